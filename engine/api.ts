import type {
  BuiltinScenario,
  CursorMove,
  EngineApi,
  FindDirection,
  FindQuery,
  Granularity,
  HeldPart,
  JournalFollow,
  JournalRow,
  JournalWindow,
  JsonlChunk,
  LoadResult,
  Meta,
  MoveResult,
  MoveViewRequest,
  RunSummary,
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
import { summaryRecord, toTraceRecord, traceText } from './trace/format'
import { journalRows } from './views/journal'
import { queueView } from './views/queues'
import { registerRows } from './views/registers'
import { smmuView } from './views/smmu'
import { hypView, noMap, smmuViewUnderPkvm } from './views/hyp'
import { timelineView } from './views/timeline'
import { encodeDelta, unchanged } from './views/delta'
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
 * The first step where `next` differs from `prev`'s scenario, or undefined
 * when the platforms differ (then nothing of the previous run carries over).
 */
function firstChangedStep(prev: Scenario, next: Scenario): number | undefined {
  if (!sameData(prev.platform, next.platform)) return undefined
  let k = 0
  while (k < prev.steps.length && k < next.steps.length && sameData(prev.steps[k], next.steps[k])) k++
  return k
}

/** A load's summary (RunSummary carries `resumedAt`). */
export type ResumeSummary = RunSummary

export type ResumeLoadResult = { readonly ok: true; readonly summary: ResumeSummary } | Extract<LoadResult, { ok: false }>

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

const MOVES = ['step', 'seek', 'runTo'] as const

/**
 * The journal window after a move to `cursor` (MoveViewRequest.follow), as
 * a debugger's source view reveals the current line: kept while the
 * cursor's row is on screen with two rows of context; when it reaches the
 * edge it is going out by, moved on a page so that the row sits a third of
 * a screen in from that edge (stepping on, the next two thirds of a screen
 * are in view and the rows stand still for as many steps, instead of the
 * list sliding a row at every step); after a jump of a screen or more,
 * centred on it. The panel scrolls to `top` and then asks for exactly this
 * window (of rows).
 */
function followWindow(w: { readonly from: number; readonly to: number }, cursor: number, records: number, f: JournalFollow): JournalWindow {
  const int = (v: unknown, min: number) => (typeof v === 'number' && Number.isFinite(v) ? Math.max(min, Math.trunc(v)) : min)
  const visible = int(f.visible, 1)
  const span = Math.max(visible, int(f.span, 1))
  const margin = int(f.margin, 0)
  const top0 = int(f.top, 0)
  const context = Math.min(2, Math.floor((visible - 1) / 2))
  // Row `records` is the "end of run" row: the window stops once it is the last whole row.
  const clamp = (t: number) => Math.max(0, Math.min(t, records + 1 - visible))
  const third = Math.floor(visible / 3)
  let top = cursor < top0 + context ? cursor - (visible - 1 - third) : cursor >= top0 + visible - context ? cursor - third : top0
  if (Math.abs(cursor - (top0 + Math.floor(visible / 2))) >= visible) top = cursor - Math.floor(visible / 2)
  top = clamp(top)
  if (top === top0) return { from: w.from, to: w.to, top }
  return { from: Math.max(0, top - margin), to: top + span + margin, top }
}

/** Records per JSONL piece, and the text length that ends a piece early (records with large byte arrays). */
const JSONL_RECORDS = 8192
const JSONL_CHARS = 8 << 20

/** Journal rows kept with only the fields a panel asked for, at most this many (a row is a few hundred bytes). */
const SLIM_ROWS = 32_768
/** The fields of a mem.write record that carry its bytes. */
const PAGE_WRITE_FIELDS = new Set(['value', 'old', 'size', 'writes'])

/** How many answers' values of each part are remembered (the app holds one; four look-aheads and a step come between). */
const RECENT_ANSWERS = 12

/** The view parts an answer leaves out when the caller holds them (MoveViewRequest.held). */
const HELD_PARTS: readonly HeldPart[] = ['journal', 'registers', 'cmdq', 'evtq', 'smmu', 'hyp']

class Engine implements EngineApi {
  private loaded: Loaded | undefined
  /** Rows of `run` trimmed to the fields `keys` names: a record's row never changes within a run, and some cost milliseconds (4 KiB page writes in hex). */
  private slim: { run: Loaded | undefined; keys: string; rows: Map<number, JournalRow> } = { run: undefined, keys: '', rows: new Map() }
  /**
   * The values of each view part sent in the last few answers, by answer
   * (stepView leaves out what the caller holds). Several, not one: the app
   * asks for four steps ahead and then takes one of them, so the part it
   * holds next may have come in any of them.
   */
  private readonly sent = new Map<HeldPart, Map<number, unknown>>()
  private answers = 0

  load(json: unknown): ResumeLoadResult {
    const v = validateScenario(json, SCENARIO_HOOKS)
    if (!v.ok) return { ok: false, errors: v.errors }
    const prev = this.loaded
    let reused = 0
    let resumedAt: number | undefined
    if (prev && sameData(prev.scenario, v.scenario)) {
      // Load = reset + run, and the engine is deterministic: the same scenario (StrictMode's second
      // call, a share link of what is already shown) gives the same run, so keep it whole.
      reused = prev.machine.j.length
    } else {
      const k = prev ? firstChangedStep(prev.scenario, v.scenario) : undefined
      let m: Machine | undefined
      // Same platform: rewind the previous machine to the boundary before the first changed step
      // and run on from there (the time before step 0, boot included, is never run again).
      if (prev && k !== undefined && this.resume(prev.machine, k, v.scenario)) {
        m = prev.machine
        reused = m.j.length
        resumedAt = k
      } else m = new Machine(v.scenario)
      m.run()
      const ram = v.scenario.platform.ram
      const checkpoints = Checkpoints.build(m.j.records, m.j.maps.length, ram, { reuse: prev && reused ? { from: prev.checkpoints, upTo: reused } : undefined })
      this.sent.clear()
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
        expectations: [...m.expectations],
        stopped: m.stopped,
        reused,
        ...(resumedAt !== undefined ? { resumedAt } : {}),
      },
    }
  }

  /**
   * Rewind `m` to the boundary before step `k` of `next` (see Machine.resumeAt). The previous
   * run's views read the journal being cut, so they go first; a machine that fails half-way
   * is dropped, and the caller runs from scratch.
   */
  private resume(m: Machine, k: number, next: Scenario): boolean {
    this.loaded = undefined
    try {
      return m.resumeAt(k, next)
    } catch {
      return false
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
      qemuCompat: m.smmu.opts.qemuCompat,
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

  stepView(cursor: number, move: CursorMove, request: MoveViewRequest): MoveResult {
    const { m } = this.need()
    const from = cursorArg('stepView', cursor)
    move = objectArg('stepView', 'move', move)
    const { follow, ...req } = objectArg('stepView', 'request', request)
    let to: number
    let breakpoint: number | null = null
    switch (oneOfArg('stepView', 'move.kind', move.kind, MOVES)) {
      case 'step': {
        const mv = move as Extract<CursorMove, { kind: 'step' }>
        to = this.step(from, mv.step, mv.direction, mv.granularity)
        break
      }
      case 'seek':
        to = cursorArg('stepView', (move as Extract<CursorMove, { kind: 'seek' }>).to)
        break
      case 'runTo': {
        const mv = move as Extract<CursorMove, { kind: 'runTo' }>
        const r = this.runTo(mv.breakpoints, from, mv.direction)
        to = r.cursor
        breakpoint = r.breakpoint
        break
      }
    }
    to = Math.min(to, m.j.length)
    let journal: JournalWindow | undefined
    if (req.journal) {
      const w = objectArg('stepView', 'journal window', req.journal)
      journal = follow ? followWindow(w, to, m.j.length, objectArg('stepView', 'follow', follow)) : { from: w.from, to: w.to, top: w.from }
    }
    const { journalFields: fields, held, ...viewReq } = req
    let view: ViewModel
    if (fields === undefined || !journal) view = this.view(to, journal ? { ...viewReq, journal: { from: journal.from, to: journal.to } } : viewReq)
    else {
      if (!Array.isArray(fields) || !fields.every((k) => typeof k === 'string')) throw new TypeError(`stepView: journalFields must be a list of field names, got ${argText(fields)}`)
      view = { ...this.view(to, { ...viewReq, journal: undefined }), journal: this.slimRows(journal.from, journal.to, fields) }
    }
    const answer = ++this.answers
    const same: HeldPart[] = []
    const patched: HeldPart[] = []
    const deltas: Partial<Record<HeldPart, unknown>> = {}
    const have = held === undefined ? undefined : objectArg('stepView', 'held', held)
    for (const p of HELD_PARTS) {
      const v = view[p]
      if (v === undefined) continue
      let recent = this.sent.get(p)
      if (recent === undefined) this.sent.set(p, (recent = new Map<number, unknown>()))
      const at = have?.[p]
      if (at !== undefined && recent.has(at)) {
        // One walk: equal, or only what changed travels (and is decoded on the page's main thread).
        const was = recent.get(at)
        const d = encodeDelta(was, v)
        // A part that stays null (no hypervisor in the run) is sent as itself, not as the marker.
        if (unchanged(d) || (was === null && v === null)) {
          same.push(p)
          // Still held: the newest again, so the answers that follow (four look-aheads each) do not push it out.
          recent.delete(at)
          recent.set(at, v)
          continue
        }
        deltas[p] = d
        patched.push(p)
      }
      recent.set(answer, v)
      if (recent.size > RECENT_ANSWERS) recent.delete(recent.keys().next().value!)
    }
    let out = view
    if (same.length > 0 || patched.length > 0) {
      const o: Record<string, unknown> = {}
      for (const [k, v] of Object.entries(view)) if (!same.includes(k as HeldPart)) o[k] = Object.hasOwn(deltas, k) ? deltas[k as HeldPart] : v
      out = o as unknown as ViewModel
    }
    return { cursor: view.cursor, breakpoint, journal, view: out, answer, same, patched }
  }

  /** Journal rows [from, to) (at most 2000, as view() gives) with only the named fields. */
  private slimRows(from: number, to: number, fields: readonly string[]): JournalRow[] {
    const loaded = this.loaded!
    const records = loaded.machine.j.records
    const keys = fields.join('\0')
    if (this.slim.run !== loaded || this.slim.keys !== keys || this.slim.rows.size > SLIM_ROWS) this.slim = { run: loaded, keys, rows: new Map() }
    const cache = this.slim.rows
    const a = Math.max(0, Math.trunc(from))
    const b = Math.min(records.length, Math.trunc(to), a + 2000)
    const out: JournalRow[] = []
    for (let i = a; i < b; i++) {
      let row = cache.get(i)
      if (row === undefined) {
        // A page write's value and old bytes (hex of up to 64 KiB each) cost milliseconds to format: unless
        // asked for, the record is formatted with its writes cut to 8 bytes (their addresses stay).
        const rec = records[i]
        const cut = rec.mem !== undefined && rec.mem.some((w) => w.value.length > 8) && !fields.some((k) => PAGE_WRITE_FIELDS.has(k))
        const full = cut ? journalRows([{ ...rec, mem: rec.mem!.map((w) => ({ ...w, value: w.value.subarray(0, 8), old: w.old.subarray(0, 8) })) }], 0, 1)[0] : journalRows(records, i, i + 1)[0]
        const kept: Record<string, unknown> = {}
        for (const k of fields) if (k in full.fields) kept[k] = full.fields[k]
        row = { ...full, i, text: cut ? traceText(rec) : full.text, fields: kept }
        cache.set(i, row)
      }
      out.push(row)
    }
    return out
  }

  exportJsonl(from: number, maxRecords = JSONL_RECORDS): JsonlChunk {
    const { m } = this.need()
    const records = m.j.records
    const start = Math.min(cursorArg('exportJsonl', from), records.length)
    const limit = typeof maxRecords === 'number' && maxRecords >= 1 ? Math.min(JSONL_RECORDS, Math.trunc(maxRecords)) : JSONL_RECORDS
    let text = ''
    let i = start
    while (i < records.length && i - start < limit && text.length < JSONL_CHARS) {
      text += JSON.stringify(toTraceRecord(records[i], i)) + '\n'
      i++
    }
    const last = i >= records.length
    if (last) text += JSON.stringify(this.traceSummary()) + '\n'
    return { bytes: new TextEncoder().encode(text), from: start, next: last ? null : i, records: i - start }
  }

  /** The line the CLI prints after the records with --jsonl, field for field. */
  private traceSummary(): Record<string, unknown> {
    const { scenario, machine: m } = this.loaded!
    return summaryRecord({ title: scenario.title, records: m.j.length, steps: scenario.steps.length, expectations: m.expectations, stopped: m.stopped })
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

export function createEngine(): Omit<EngineApi, 'load'> & {
  load(json: unknown): ResumeLoadResult
  readonly current: Machine | undefined
  readonly checkpoints: Checkpoints | undefined
} {
  return new Engine()
}
