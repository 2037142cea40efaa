import type {
  EngineApi,
  FieldRow,
  FindDirection,
  FindQuery,
  JournalRow,
  LoadResult,
  Meta,
  QueueEntryRow,
  QueueView,
  RegisterRow,
  SpanMeta,
  ViewModel,
  ViewRequest,
} from './api-types'
import { commandFromFields, describeCommand, decodeCommand, OPCODES } from './arch/commands'
import { decodeEvent, describeEvent, EVENT_TYPES } from './arch/events'
import type { FieldView } from './arch/layout'
import { queueIndex } from './arch/queue'
import { regByName, REG, REGISTERS } from './arch/registers'
import { hex, hex64 } from './arch/u64'
import type { JRecord } from './journal/journal'
import { ReplayState } from './journal/replay'
import { Machine } from './machine'
import type { Scenario } from './scenario/format'
import { validateScenario, type ValidateHooks } from './scenario/validate'
import { toTraceRecord, traceText } from './trace/format'
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

const toRow = (f: FieldView): FieldRow => ({
  name: f.name,
  hi: f.hi,
  lo: f.lo,
  word: f.word,
  value: hex(f.value),
  display: f.display,
  desc: f.desc,
  ref: f.ref,
})

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

function journalRows(records: readonly JRecord[], from: number, to: number): JournalRow[] {
  const rows: JournalRow[] = []
  const a = Math.max(0, Math.trunc(from))
  const b = Math.min(records.length, Math.trunc(to), a + 2000)
  for (let i = a; i < b; i++) {
    const rec = records[i]
    const t = toTraceRecord(rec, i)
    const fields: Record<string, unknown> = {}
    for (const [k, v] of Object.entries(t)) if (k !== 'i' && k !== 'depth' && k !== 'actor' && k !== 'kind') fields[k] = v
    rows.push({ i, depth: rec.depth, actor: rec.actor, kind: rec.kind, text: traceText(rec), end: rec.end, fields })
  }
  return rows
}

function registerRows(reg: (n: string) => bigint, changed: ReadonlySet<string>): RegisterRow[] {
  return REGISTERS.map((d) => {
    const v = reg(d.name)
    return {
      name: d.name,
      offset: d.offset + (d.page === 1 ? 0x10000 : 0),
      width: d.width,
      value: '0x' + v.toString(16).padStart(d.width / 4, '0'),
      fields: d.layout.describe([v]).map(toRow),
      changed: changed.has(d.name),
    }
  })
}

function queueView(
  which: 'CMDQ' | 'EVENTQ',
  r: ReplayState,
  reg: (n: string) => bigint,
  entryBytes: 16 | 32,
  win: { from?: number; to?: number },
): QueueView {
  const baseDef = which === 'CMDQ' ? REG.CMDQ_BASE : REG.EVENTQ_BASE
  const baseV = [reg(`${which}_BASE`)]
  const base = baseDef.layout.get(baseV, 'ADDR')
  const log2 = baseDef.layout.get(baseV, 'LOG2SIZE')
  const prod = Number(reg(`${which}_PROD`) & 0xffff_ffffn)
  const cons = Number(reg(`${which}_CONS`) & 0xffff_ffffn)
  const size = 2 ** log2
  const prodIndex = queueIndex(prod, log2)
  const consIndex = queueIndex(cons, log2)
  const wrap = (p: number) => Math.floor(p / size) & 1
  const from = Math.max(0, win.from ?? Math.max(0, consIndex - 4))
  const to = Math.min(size, win.to ?? from + 32, from + 512)
  const pendingCount = (prodIndex - consIndex + size) % size || (wrap(prod) !== wrap(cons) ? size : 0)
  const entries: QueueEntryRow[] = []
  for (let i = from; i < to; i++) {
    const addr = base + i * entryBytes
    if (!r.mem.contains(addr, entryBytes)) break
    const words = r.mem.readWords(addr, entryBytes / 8)
    const pending = (i - consIndex + size) % size < pendingCount
    if (which === 'CMDQ') {
      const cmd = decodeCommand(words)
      entries.push({ index: i, address: hex(addr), raw: words.map(hex64), opcode: cmd.op === 'UNKNOWN' ? (words[0] === 0n && words[1] === 0n ? '' : `0x${cmd.opcode.toString(16)}`) : cmd.op, fields: describeCommand(words).map(toRow), pending })
    } else {
      const ev = decodeEvent(words)
      entries.push({ index: i, address: hex(addr), raw: words.map(hex64), opcode: words.every((w) => w === 0n) ? '' : ev.type, fields: describeEvent(words).map(toRow), pending })
    }
  }
  return {
    name: which,
    base: hex(base),
    log2size: log2,
    prod,
    cons,
    prodWrap: wrap(prod),
    consWrap: wrap(cons),
    prodIndex,
    consIndex,
    err: which === 'CMDQ' ? REG.CMDQ_CONS.layout.get([BigInt(cons)], 'ERR') : 0,
    entries,
  }
}

export function createEngine(): EngineApi & { readonly current: Machine | undefined } {
  return new Engine()
}
