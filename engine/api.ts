import type {
  EngineApi,
  FindDirection,
  FindQuery,
  LoadResult,
  Meta,
  SpanMeta,
  ViewModel,
  ViewRequest,
} from './api-types'
import { commandFromFields, OPCODES } from './arch/commands'
import { EVENT_TYPES } from './arch/events'
import { regByName } from './arch/registers'
import type { JRecord } from './journal/journal'
import { ReplayState } from './journal/replay'
import { Machine } from './machine'
import type { Scenario } from './scenario/format'
import { validateScenario, type ValidateHooks } from './scenario/validate'
import { traceText } from './trace/format'
import { journalRows } from './views/journal'
import { queueView } from './views/queues'
import { registerRows } from './views/registers'
import defaultJson from './scenario/builtin/raw-cmdq.json'

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
  return structuredClone(defaultJson)
}

class Engine implements EngineApi {
  private machine: Machine | undefined
  private scenario: Scenario | undefined
  private replay: ReplayState | undefined

  load(json: unknown): LoadResult {
    const v = validateScenario(json, SCENARIO_HOOKS)
    if (!v.ok) return { ok: false, errors: v.errors }
    // Load = reset + run: idempotent, so a second call (StrictMode) changes nothing.
    const m = new Machine(v.scenario)
    m.run()
    this.machine = m
    this.scenario = v.scenario
    this.replay = new ReplayState(m.j.records, m.j.maps.length, v.scenario.platform.ram)
    return {
      ok: true,
      summary: {
        title: v.scenario.title,
        notes: v.scenario.notes,
        records: m.j.length,
        steps: v.scenario.steps.length,
        expectations: m.expectations,
        stopped: m.stopped,
      },
    }
  }

  private need(): { m: Machine; r: ReplayState } {
    if (!this.machine || !this.replay) throw new Error('no scenario is loaded')
    return { m: this.machine, r: this.replay }
  }

  view(cursor: number, req: ViewRequest): ViewModel {
    const { m, r } = this.need()
    r.seek(cursor)
    const records = m.j.records
    const regMap = r.maps[m.smmu.regs.id] as Map<string, bigint>
    const reg = (n: string) => regMap.get(n) ?? 0n
    const last = r.cursor > 0 ? records[r.cursor - 1] : undefined
    const changedRegs = new Set<string>()
    for (const c of last?.changes ?? []) if (c[0] === m.smmu.regs.id) changedRegs.add(String(c[1]))
    return {
      cursor: r.cursor,
      records: records.length,
      journal: req.journal ? journalRows(records, req.journal.from, req.journal.to) : undefined,
      registers: req.registers ? registerRows(reg, changedRegs) : undefined,
      cmdq: req.cmdq ? queueView('CMDQ', r, reg, 16, req.cmdq) : undefined,
      evtq: req.evtq ? queueView('EVENTQ', r, reg, 32, req.evtq) : undefined,
    }
  }

  find(query: FindQuery, from: number, direction: FindDirection): number | null {
    const { m } = this.need()
    const recs = m.j.records
    const match = (rec: JRecord): boolean => {
      if (query.failedExpect) return rec.kind === 'expect' && rec.ok === false
      if (query.kind !== undefined && rec.kind !== query.kind) return false
      if (query.reg !== undefined && rec.reg !== query.reg) return false
      if (query.sid !== undefined && rec.sid !== query.sid && rec.SID !== query.sid) return false
      if (query.opcode !== undefined && rec.opcode !== query.opcode) return false
      if (query.event !== undefined && !(rec.kind === 'event' && rec.type === query.event)) return false
      if (query.verdict !== undefined && rec.verdict !== query.verdict) return false
      return true
    }
    if (direction === 'forward') {
      for (let i = Math.max(0, from); i < recs.length; i++) if (match(recs[i])) return i
    } else {
      for (let i = Math.min(from, recs.length - 1); i >= 0; i--) if (match(recs[i])) return i
    }
    return null
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
    return this.machine
  }
}

export function createEngine(): EngineApi & { readonly current: Machine | undefined } {
  return new Engine()
}
