import type {
  BuiltinScenario,
  EngineApi,
  FindDirection,
  FindQuery,
  Granularity,
  LoadResult,
  Meta,
  RunToResult,
  SpanMeta,
  StepDirection,
  StepKind,
  ViewModel,
  ViewRequest,
} from './api-types'
import { commandFromFields, OPCODES } from './arch/commands'
import { EVENT_TYPES } from './arch/events'
import { regByName } from './arch/registers'
import { Checkpoints } from './journal/checkpoint'
import { JournalIndex } from './journal/cursor'
import { findRecord, runTo } from './journal/find'
import { ReplayState } from './journal/replay'
import { Machine } from './machine'
import type { Scenario } from './scenario/format'
import { validateScenario, type ValidateHooks } from './scenario/validate'
import { traceText } from './trace/format'
import { journalRows } from './views/journal'
import { queueView } from './views/queues'
import { registerRows } from './views/registers'
import { smmuView } from './views/smmu'
import { hypView, noMap, smmuViewUnderPkvm } from './views/hyp'
import { timelineView } from './views/timeline'
import { BUILTINS } from './scenario/builtin'
import { HEAVY } from './scenario/builtin/heavy'

/**
 * The engine's one API (DESIGN.md "Worker API"): coarse calls, plain data
 * out. The worker exposes it, the CLI and the tests call it directly.
 */

/** Validation hooks that know the architecture's names. */
export const SCENARIO_HOOKS: ValidateHooks = {
  checkCommand: (op, fields) => {
    try {
      commandFromFields(op, fields)
      return null
    } catch (e) {
      return e instanceof Error ? e.message : String(e)
    }
  },
  isRegister: (name) => regByName(name) !== undefined,
  isField: (reg, field) => {
    const def = regByName(reg)
    return def !== undefined && field in def.layout.fields
  },
  isEvent: (name) => Object.values(EVENT_TYPES).some((e) => e === name) || name in EVENT_TYPES,
  isOpcode: (name) => name === 'CFGI_ALL' || Object.values(OPCODES).some((o) => o.name === name),
}

export function defaultScenario(): unknown {
  return structuredClone(BUILTINS[0][1])
}

/** The built-in scenario library (fresh copies: callers may edit them). */
export function builtins(): BuiltinScenario[] {
  const light = BUILTINS.map(([id, json]) => ({ id, title: json.title ?? id, notes: json.notes ?? '', scenario: structuredClone(json) }))
  const heavy = HEAVY.map(([id, json]) => ({ id, title: json.title ?? id, notes: json.notes ?? '', scenario: structuredClone(json), heavy: true }))
  return [...light, ...heavy]
}

/** Structural equality of validated scenarios (plain data: objects, arrays, strings, numbers, bigints, booleans). */
export function sameData(a: unknown, b: unknown): boolean {
  if (a === b) return true
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false
  if (Array.isArray(a) !== Array.isArray(b)) return false
  const ka = Object.keys(a).filter((k) => (a as Record<string, unknown>)[k] !== undefined)
  const kb = Object.keys(b).filter((k) => (b as Record<string, unknown>)[k] !== undefined)
  if (ka.length !== kb.length) return false
  return ka.every((k) => sameData((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k]))
}

/** One loaded run: the machine that produced the journal, and what time travel over it needs. */
interface Loaded {
  readonly scenario: Scenario
  readonly machine: Machine
  readonly checkpoints: Checkpoints
  readonly index: JournalIndex
  readonly replay: ReplayState
}

/**
 * How much of `prev`'s journal a run of `next` shares: with the same
 * platform and the same first k steps, the deterministic engine writes the
 * same records up to the op record of step k.
 */
function sharedRecords(prev: Loaded, next: Scenario): number {
  const a = prev.scenario
  if (!sameData(a.platform, next.platform)) return 0
  let k = 0
  while (k < a.steps.length && k < next.steps.length && sameData(a.steps[k], next.steps[k])) k++
  if (k === 0) return 0
  const recs = prev.machine.j.records
  // The op record of step k starts the first difference; without one (prev ended or stopped sooner) all of prev is shared.
  for (let i = 0; i < recs.length; i++) if (recs[i].depth === 0 && recs[i].kind === 'op' && recs[i].index === k) return i
  return recs.length
}

// Arguments cross the worker boundary from code we do not control: each is
// checked, and a bad one gets a message naming the call and the argument.
const DIRECTIONS = ['forward', 'backward'] as const
const STEP_KINDS = ['into', 'over', 'out'] as const
const GRANULARITIES = ['record', 'op', 'action', 'command', 'walk'] as const

function argText(v: unknown): string {
  if (v === null) return 'null'
  if (typeof v === 'string') return JSON.stringify(v.slice(0, 40))
  if (typeof v === 'number' || typeof v === 'boolean' || typeof v === 'undefined') return String(v)
  return Array.isArray(v) ? 'a list' : typeof v === 'object' ? 'an object' : typeof v
}

/** A record index: any number (clamped later to the journal); NaN and non-numbers are refused. */
function cursorArg(call: string, v: unknown): number {
  if (typeof v !== 'number' || Number.isNaN(v)) throw new TypeError(`${call}: the cursor must be a record index (a number), got ${argText(v)}`)
  return Math.max(0, Math.min(Number.MAX_SAFE_INTEGER, Math.trunc(v)))
}

function objectArg<T>(call: string, what: string, v: T): T {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new TypeError(`${call}: the ${what} must be an object, got ${argText(v)}`)
  return v
}

function oneOfArg<const T extends readonly string[]>(call: string, what: string, v: unknown, allowed: T): T[number] {
  if (typeof v !== 'string' || !allowed.includes(v)) throw new TypeError(`${call}: ${what} must be one of ${allowed.join(', ')}, got ${argText(v)}`)
  return v
}

class Engine implements EngineApi {
  private loaded: Loaded | undefined

  load(json: unknown): LoadResult {
    const v = validateScenario(json, SCENARIO_HOOKS)
    if (!v.ok) return { ok: false, errors: v.errors }
    const prev = this.loaded
    let reused = 0
    if (prev && sameData(prev.scenario, v.scenario)) {
      // Load = reset + run, and the engine is deterministic: the same scenario (StrictMode's second
      // call, a share link of what is already shown) gives the same run, so keep it whole.
      reused = prev.machine.j.length
    } else {
      const m = new Machine(v.scenario)
      m.run()
      const ram = v.scenario.platform.ram
      const shared = prev ? sharedRecords(prev, v.scenario) : 0
      // The machine cannot resume from a step (Machine.run always starts at step 0), so it runs
      // again; what the shared prefix saves is rebuilding its checkpoints.
      const checkpoints = Checkpoints.build(m.j.records, m.j.maps.length, ram, { reuse: prev && shared ? { from: prev.checkpoints, upTo: shared } : undefined })
      this.loaded = {
        scenario: v.scenario,
        machine: m,
        checkpoints,
        index: new JournalIndex(m.j.records),
        replay: new ReplayState(m.j.records, m.j.maps.length, ram, checkpoints),
      }
    }
    const m = this.loaded!.machine
    return {
      ok: true,
      summary: {
        title: v.scenario.title,
        notes: v.scenario.notes,
        records: m.j.length,
        steps: v.scenario.steps.length,
        expectations: m.expectations,
        stopped: m.stopped,
        reused,
      },
    }
  }

  private need(): { m: Machine; r: ReplayState } {
    if (!this.loaded) throw new Error('no scenario is loaded')
    return { m: this.loaded.machine, r: this.loaded.replay }
  }

  view(cursor: number, req: ViewRequest): ViewModel {
    const { m, r } = this.need()
    r.seek(cursorArg('view', cursor))
    req = objectArg('view', 'request', req)
    const records = m.j.records
    const regMap = r.maps[m.smmu.regs.id] as Map<string, bigint>
    const reg = (n: string) => regMap.get(n) ?? 0n
    const last = r.cursor > 0 ? records[r.cursor - 1] : undefined
    const changedRegs = new Set<string>()
    for (const c of last?.changes ?? []) if (c[0] === m.smmu.regs.id) changedRegs.add(String(c[1]))
    const mapOf = (name: string): ReadonlyMap<string | number, unknown> => {
      const id = m.j.mapNames.indexOf(name)
      return id < 0 ? noMap() : r.maps[id]
    }
    const smmuState = {
      records,
      cursor: r.cursor,
      mem: r.mem,
      reg,
      feat: m.smmu.feat,
      iotlb: mapOf('iotlb'),
      cfgcache: mapOf('cfgcache'),
      iotlbId: m.j.mapNames.indexOf('iotlb'),
      cfgcacheId: m.j.mapNames.indexOf('cfgcache'),
    }
    const pkvm = m.pkvm
    return {
      cursor: r.cursor,
      records: records.length,
      journal: req.journal ? journalRows(records, req.journal.from, req.journal.to) : undefined,
      registers: req.registers ? registerRows(reg, changedRegs) : undefined,
      cmdq: req.cmdq ? queueView('CMDQ', r, reg, 16, req.cmdq) : undefined,
      evtq: req.evtq ? queueView('EVENTQ', r, reg, 32, req.evtq) : undefined,
      smmu: req.smmu ? (pkvm ? smmuViewUnderPkvm(smmuState, req.smmu, pkvm, mapOf('hyp.smmu')) : smmuView(smmuState, req.smmu)) : undefined,
      hyp: req.hyp ? (pkvm ? hypView({ records, r, pkvm, hwReg: reg, map: mapOf, sidBits: m.smmu.feat.sidBits }, req.hyp) : null) : undefined,
      timeline: req.timeline ? timelineView(records) : undefined,
    }
  }

  find(query: FindQuery, from: number, direction: FindDirection): number | null {
    const records = this.need().m.j.records
    return findRecord(records, objectArg('find', 'query', query), cursorArg('find', from), oneOfArg('find', 'direction', direction, DIRECTIONS))
  }

  step(cursor: number, kind: StepKind, direction: StepDirection, granularity: Granularity = 'record'): number {
    this.need()
    return this.loaded!.index.step(
      cursorArg('step', cursor),
      oneOfArg('step', 'kind', kind, STEP_KINDS),
      oneOfArg('step', 'direction', direction, DIRECTIONS),
      oneOfArg('step', 'granularity', granularity, GRANULARITIES),
    )
  }

  runTo(breakpoints: readonly FindQuery[], from: number, direction: FindDirection): RunToResult {
    if (!Array.isArray(breakpoints)) throw new TypeError(`runTo: breakpoints must be a list of queries, got ${argText(breakpoints)}`)
    for (const b of breakpoints) objectArg('runTo', 'breakpoint', b)
    return runTo(this.need().m.j.records, breakpoints, cursorArg('runTo', from), oneOfArg('runTo', 'direction', direction, DIRECTIONS))
  }

  meta(): Meta {
    const { m } = this.need()
    const spans: SpanMeta[] = []
    m.j.records.forEach((rec, i) => {
      if (rec.end !== undefined && rec.depth <= 1) {
        spans.push({ i, end: rec.end, depth: rec.depth, kind: rec.kind, actor: rec.actor, text: traceText(rec) })
      }
    })
    return { records: m.j.length, spans }
  }

  /** The loaded machine (CLI and tests). */
  get current(): Machine | undefined {
    return this.loaded?.machine
  }

  /** The loaded run's checkpoints (tests and benchmarks). */
  get checkpoints(): Checkpoints | undefined {
    return this.loaded?.checkpoints
  }
}

export function createEngine(): EngineApi & { readonly current: Machine | undefined; readonly checkpoints: Checkpoints | undefined } {
  return new Engine()
}
