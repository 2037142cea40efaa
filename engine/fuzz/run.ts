/**
 * One fuzz case: make a generated scenario valid by dropping the steps the
 * validator refuses (generators aim at valid steps; a few miss, e.g. a map
 * before its attach), run it, and ask the oracle.
 */
import type { ValidationError } from '../api-types'
import { SCENARIO_HOOKS } from '../api'
import { Machine } from '../machine'
import type { Scenario } from '../scenario/format'
import { validateScenario } from '../scenario/validate'
import { isolationViolations, type OracleOptions, type Violation } from './oracle'

type Json = Record<string, unknown>

export type Prepared = { readonly ok: true; readonly json: Json; readonly scenario: Scenario } | { readonly ok: false; readonly errors: readonly ValidationError[] }

const STEP_PATH = /^steps\[(\d+)\]/

/**
 * Validate `json`, removing each step an error names, until it validates
 * (at most 8 rounds: removing a step can only invalidate steps after it that
 * depended on it, e.g. a map on a removed attach). An error outside `steps`
 * is the platform's: not repairable.
 */
export function prepare(json: Json): Prepared {
  let cur: Json = json
  for (let round = 0; round < 8; round++) {
    const v = validateScenario(cur, SCENARIO_HOOKS)
    if (v.ok) return { ok: true, json: cur, scenario: v.scenario }
    const drop = new Set<number>()
    for (const e of v.errors) {
      const m = STEP_PATH.exec(e.path)
      if (!m) return { ok: false, errors: v.errors }
      drop.add(Number(m[1]))
    }
    const steps = Array.isArray(cur.steps) ? (cur.steps as unknown[]) : []
    cur = { ...cur, steps: steps.filter((_s, i) => !drop.has(i)) }
  }
  return { ok: false, errors: [{ path: 'steps', message: 'still invalid after 8 rounds of dropping steps' }] }
}

export interface CaseResult {
  /** The scenario that ran (invalid steps dropped). */
  readonly json: Json
  readonly records: number
  readonly violations: readonly Violation[]
}

/** Run a prepared case; a throw out of the engine is itself a violation. */
export function runCase(json: Json, opts: OracleOptions = {}): CaseResult {
  const p = prepare(json)
  if (!p.ok) {
    return { json, records: 0, violations: [{ property: 'engine-error', record: -1, message: `the generated platform is invalid: ${p.errors.map((e) => `${e.path}: ${e.message}`).join('; ')}` }] }
  }
  let m: Machine
  try {
    m = new Machine(p.scenario)
    m.run()
  } catch (e) {
    return { json: p.json, records: 0, violations: [{ property: 'engine-error', record: -1, message: `the engine threw: ${e instanceof Error ? e.message : String(e)}` }] }
  }
  return { json: p.json, records: m.j.length, violations: isolationViolations(m, opts) }
}
