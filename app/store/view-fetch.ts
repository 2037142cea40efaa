/**
 * What the app asks the worker for, in one round trip: the parts of the
 * view the visible panels need, and how an answer lands in the store.
 *
 * A view has three parts, each refetched on its own occasion: the journal
 * rows in the journal panel's window (scrolling), the register file and
 * queues (the cursor), and the SMMU / hypervisor structure views (the
 * cursor, the selection, the centre tab). A cursor move asks for all three
 * at once. Every fetch is the engine's stepView (a move, or a seek to the
 * cursor where it is), and fetches run one after another: each plans its
 * request from the state the one before left, so an answer always belongs
 * to the cursor and selection on screen.
 *
 * Looking ahead: once the view has settled, the four debugger steps from
 * the cursor (into and over, both ways) are asked for in advance.
 * A step the user then takes whose request is the one looked ahead with
 * (same run, cursor, move and view request) uses that answer: the key press
 * reaches the screen without waiting for the worker.
 */
import { castDraft, freeze } from 'immer'
import type { CursorMove, HeldPart, HypViewRequest, MoveResult, MoveViewRequest, SmmuViewRequest } from '../../engine/api-types'
import { applyDelta } from '../../engine/views/delta'
import type { EnginePort } from '../bridge/engine-port'
import { STEP_CALLS } from './navigate'
import { reuse } from './reuse'
import type { FullState } from './selection-slice'
import type { StateView } from './types'

export type ViewPart = 'journal' | 'state' | 'smmu'

export const ALL_PARTS: readonly ViewPart[] = ['journal', 'state', 'smmu']

/** The engine's held parts, and the part of the app's fetches each belongs to. */
const PART_OF: Readonly<Record<HeldPart, ViewPart>> = { journal: 'journal', registers: 'state', cmdq: 'state', evtq: 'state', smmu: 'smmu', hyp: 'smmu' }
const HELD = Object.keys(PART_OF) as HeldPart[]

/** A step asked for ahead of the user: the answer, and once it came, its values reused against the store of the time. */
interface Ahead {
  readonly result: Promise<MoveResult>
  prepared?: { readonly base: FullState; readonly parts: Reused }
}

/** The store values an answer brings (undefined: a part not asked for). */
interface Reused {
  readonly journal: FullState['journalRows'] | undefined
  readonly view: FullState['view'] | undefined
  readonly smmu: FullState['smmu'] | undefined
  readonly hyp: FullState['hyp'] | undefined
}

/**
 * The register file and queues: the store's own object when every field is
 * (each part was already matched with the store's by reuse, or taken from it
 * or rebuilt from it as the answer said), so nothing that reads it draws again.
 */
function stateView(held: StateView | null, next: StateView): StateView {
  if (held === null) return next
  return (Object.keys(next) as (keyof StateView)[]).every((k) => Object.is(held[k], next[k])) ? held : next
}

/**
 * How long the view must stay put before the steps from it are looked ahead:
 * after a step briefly (the next key press comes soon); after any other
 * fetch (scrolling a list, a selection, a tab) longer, so a scroll that
 * fetches rows at every wheel notch does not also ask for four steps between
 * notches (each answer decoded and compared while the list is drawing).
 */
const AHEAD_DELAY_MS = { move: 30, pull: 250 } as const

/** A request as a look ahead is matched on: everything but the held parts. */
function requestKey(request: MoveViewRequest): string {
  const { held: _held, ...rest } = request
  return JSON.stringify(rest)
}

/** What a look-ahead answer depends on besides the run: the cursor, the move and the request. */
function aheadKey(cursor: number, mv: CursorMove, request: string): string {
  return `${cursor} ${JSON.stringify(mv)} ${request}`
}

/** Rows of the CD table fetched at once. */
export const CD_PAGE = 64

/** The queue panels, by id: the SMMU's CMDQ and EVENTQ, and under pKVM the host's CMDQ and the shadow CMDQ. */
export type QueueKey = 'cmdq' | 'evtq' | 'hostq' | 'shadowq'

/** Slots a queue window paged away from the cursor shows. */
export const QUEUE_PAGE = 32

/** Trap log rows shown at once. */
export const TRAP_PAGE = 40

/** The fields of a journal row the journal panel reads (to mark rows about the linked selection); the rest stay in the worker. */
export const JOURNAL_ROW_FIELDS: readonly string[] = ['sid', 'SID', 'pa', 'iova', 'index', 'queue']

/** The STE fields a stream-table row shows, by Config (with V and Config, and any field that changed); all fields are the inspector's. */
export const STE_KEY_FIELDS: Readonly<Record<string, readonly string[]>> = {
  s1: ['S1ContextPtr', 'S1CDMax', 'S1Fmt', 'S1DSS'],
  s2: ['S2VMID', 'S2TTB', 'S2T0SZ', 'S2SL0', 'S2TG', 'S2PS', 'S2R'],
  nested: ['S1ContextPtr', 'S1CDMax', 'S2VMID', 'S2TTB', 'S2T0SZ', 'S2SL0'],
}

/** The fields of an STE row the worker sends (the rest of a row's fields are not drawn: a window of rows stays small). */
export const STE_ROW_FIELDS: readonly string[] = [...new Set(['V', 'Config', ...Object.values(STE_KEY_FIELDS).flat()])]

/** One request: what it asked for, for which run and cursor. */
export interface ViewFetch {
  readonly request: MoveViewRequest
  readonly parts: readonly ViewPart[]
  readonly move: boolean
  readonly summary: unknown
  readonly cursor: number
  /** The journal rows asked for start here (the answer may move the window when it follows the cursor). */
  readonly journalFrom: number
  /** The run whose timeline strip is asked for (it changes only with the run: fetched once per run). */
  readonly timelineFor: unknown
}

type Get = () => FullState
type Set = (edit: (s: FullState) => void) => void

export class ViewFetcher {
  constructor(private readonly engine: EnginePort) {}

  private queue: Promise<unknown> = Promise.resolve()
  /** Jobs waiting to start, by key: asking again for one that waits joins it (it plans from the newest state when it starts). */
  private readonly waiting = new Map<string, Promise<void>>()
  /** The cursor of the last answer, and the cursor the caches and STEs mark changes since. */
  private lastCursor = -1
  private since: number | undefined = undefined
  private timelineFor: unknown = null
  /** The answer each view part in the store came in (the worker leaves out a part that has not changed since). */
  private held = new Map<HeldPart, number>()
  private heldSummary: unknown = null
  /** Answers asked for ahead of the user, for the state they were planned in (see the file comment). */
  private ahead: { readonly summary: unknown; readonly answers: Map<string, Ahead> } | null = null
  private aheadTimer: ReturnType<typeof setTimeout> | undefined

  /** Run `job` after every fetch asked for before it (the worker answers in order; the store changes in the same order). */
  run(job: () => Promise<void>, key?: string): Promise<void> {
    if (key !== undefined) {
      const w = this.waiting.get(key)
      if (w !== undefined) return w
    }
    const p = this.queue.then(() => {
      if (key !== undefined) this.waiting.delete(key)
      return job()
    })
    if (key !== undefined) this.waiting.set(key, p)
    this.queue = p.catch(() => undefined)
    return p
  }

  /** Fetch `parts` of the view at the cursor (a seek to where it is); fetches asked for again while they wait are one. */
  pull(get: Get, set: Set, parts: readonly ViewPart[]): Promise<void> {
    return this.run(async () => {
      const st = get()
      if (st.summary === null) return
      this.forgetAhead()
      const f = this.plan(st, parts, false)
      const r = await this.engine.stepView(st.cursor, { kind: 'seek', to: st.cursor }, f.request)
      const edit = this.apply(get(), f, r)
      if (edit === null) return
      set(edit)
      this.hold(f, r)
      this.lookAhead(get, AHEAD_DELAY_MS.pull)
    }, parts.join())
  }

  /**
   * Move the cursor (`move` is asked when the job starts, from the cursor
   * the moves before it left; null: stay) and fetch every part of the view
   * there, in one round trip; `also` edits the store with the answer.
   */
  move(get: Get, set: Set, move: () => CursorMove | null, also?: (s: FullState, r: MoveResult) => void): Promise<void> {
    return this.run(async () => {
      const st = get()
      const mv = st.summary === null ? null : move()
      if (mv === null) return
      const f = this.plan(st, ALL_PARTS, true)
      const early = this.takeAhead(st, mv, f.request)
      const r = await (early?.result ?? this.engine.stepView(st.cursor, mv, f.request))
      const now = get()
      const edit = this.apply(now, f, r, early?.prepared?.base === now ? early.prepared.parts : undefined)
      // Another run was loaded, or the cursor was set again meanwhile (that seek's own answer follows).
      if (edit === null || get().cursor !== st.cursor) return
      set((s) => {
        s.cursor = r.cursor
        edit(s)
        also?.(s, r)
      })
      this.hold(f, r)
      this.lookAhead(get, AHEAD_DELAY_MS.move)
    })
  }

  /**
   * Ask for the four debugger steps from where the view settled, once no
   * other fetch follows for a moment (a burst of scrolling asks for nothing).
   */
  private lookAhead(get: Get, delay: number): void {
    clearTimeout(this.aheadTimer)
    this.aheadTimer = setTimeout(() => {
      this.aheadTimer = undefined
      const st = get()
      if (st.summary === null || st.view === null || this.waiting.size > 0) return
      const answers = new Map<string, Ahead>()
      // Every step from here asks for the same view: one plan serves the four.
      const f = this.plan(st, ALL_PARTS, true)
      const request = requestKey(f.request)
      for (const [kind, direction] of [STEP_CALLS.stepInto, STEP_CALLS.stepOver, STEP_CALLS.stepBackInto, STEP_CALLS.stepBackOver]) {
        const mv: CursorMove = { kind: 'step', step: kind, direction, granularity: st.granularity }
        const key = aheadKey(st.cursor, mv, request)
        // Holding what the store holds: the parts a step leaves alone (most of them) are not sent, copied and compared again;
        // the worker remembers what each look-ahead sent, so the one taken leaves the store holding its parts in turn.
        const a: Ahead = { result: this.engine.stepView(st.cursor, mv, f.request) }
        // Compare the answer with the store while nothing else happens, so a
        // step that uses it only swaps values in; a look ahead that fails is
        // only not there: the step asks the worker itself.
        // Frozen now, too: immer walks and freezes new data as it enters the store, which would otherwise happen in the key press.
        a.result.then((r) => { if (get() === st) a.prepared = { base: st, parts: freeze(this.reuseParts(st, f, r), true) } }, () => answers.delete(key))
        answers.set(key, a)
      }
      this.ahead = { summary: st.summary, answers }
    }, delay)
  }

  /** The answer looked ahead for exactly this move and request, if there is one (used once). */
  private takeAhead(st: FullState, mv: CursorMove, request: MoveViewRequest): Ahead | undefined {
    const a = this.ahead
    this.forgetAhead()
    if (a === null || a.summary !== st.summary) return undefined
    return a.answers.get(aheadKey(st.cursor, mv, requestKey(request)))
  }

  private forgetAhead(): void {
    clearTimeout(this.aheadTimer)
    this.aheadTimer = undefined
    this.ahead = null
  }

  /**
   * After the store took answer `r` to fetch `f`: the parts it sent are held
   * under its number, those it left out under theirs, and those it was not
   * asked for (the store dropped them) not at all.
   */
  private hold(f: ViewFetch, r: MoveResult): void {
    for (const p of HELD) {
      if (!f.parts.includes(PART_OF[p]) || r.same.includes(p)) continue
      if (r.view[p] !== undefined) this.held.set(p, r.answer)
      else this.held.delete(p)
    }
  }

  /**
   * The request for `parts` at the state's cursor; with `move`, for the
   * cursor a move from there reaches (the journal window follows it, and
   * changes are marked since the cursor the move starts from).
   */
  plan(s: FullState, parts: readonly ViewPart[], move: boolean): ViewFetch {
    const has = (p: ViewPart) => parts.includes(p)
    if (!move && s.cursor !== this.lastCursor) this.moved(s.cursor)
    // Changes are marked since the cursor of the last answer (a seek may show its cursor before its answer);
    // the engine clamps `since` to the record before the new cursor: a move backwards marks that record only.
    const since = move ? (this.lastCursor >= 0 ? this.lastCursor : s.cursor) : this.since
    const from = Math.max(0, Math.min(s.journalWindow.from, s.records))
    const to = Math.max(from, Math.min(s.journalWindow.to, s.records))
    const tab = s.centreTab
    const wantTimeline = has('smmu') && this.timelineFor !== s.summary
    const request: MoveViewRequest = {
      journal: has('journal') ? { from, to } : undefined,
      journalFields: has('journal') ? JOURNAL_ROW_FIELDS : undefined,
      follow: has('journal') && move && s.journalFollow !== null ? s.journalFollow : undefined,
      registers: has('state') ? true : undefined,
      // Under pKVM the queues panel shows the host's and the shadow CMDQ (hyp.cmdq) instead.
      cmdq: has('state') && tab === 'queues' && s.hyp === null ? queuePage(s, 'cmdq') : undefined,
      evtq: has('state') && tab === 'queues' ? queuePage(s, 'evtq') : undefined,
      smmu: has('smmu') ? smmuRequest(s, since) : undefined,
      hyp: has('smmu') ? hypRequest(s) : undefined,
      timeline: wantTimeline || undefined,
      held: this.heldFor(s, parts),
    }
    return { request, parts, move, summary: s.summary, cursor: s.cursor, journalFrom: from, timelineFor: wantTimeline ? s.summary : undefined }
  }

  /** The held parts a request for `parts` may leave out: only those the store still shows for this run. */
  private heldFor(s: FullState, parts: readonly ViewPart[]): Partial<Record<HeldPart, number>> | undefined {
    if (s.summary !== this.heldSummary) {
      this.held.clear()
      this.heldSummary = s.summary
    }
    const out: Partial<Record<HeldPart, number>> = {}
    for (const [p, answer] of this.held) if (parts.includes(PART_OF[p])) out[p] = answer
    return Object.keys(out).length ? out : undefined
  }

  /**
   * The store edit for an answer at cursor `vm.cursor` (null when another
   * run was loaded meanwhile): each part asked for, unchanged parts keeping
   * their identity (panels showing them are not drawn again).
   */
  apply(prev: FullState, f: ViewFetch, r: MoveResult, prepared?: Reused): ((s: FullState) => void) | null {
    const vm = r.view
    const win = r.journal
    if (prev.summary !== f.summary || (!f.move && prev.cursor !== f.cursor)) return null
    if (vm.cursor !== this.lastCursor) this.moved(vm.cursor)
    if (f.timelineFor !== undefined && vm.timeline) this.timelineFor = f.timelineFor
    const { journal, view, smmu, hyp } = prepared ?? this.reuseParts(prev, f, r)
    const moved = journal !== undefined && win !== undefined && (win.from !== f.request.journal?.from || win.to !== f.request.journal.to)
    return (s) => {
      if (journal !== undefined) {
        s.journalRows = castDraft(journal)
        s.journalFrom = win?.from ?? f.journalFrom
        if (moved) {
          s.journalWindow = { from: win.from, to: win.to }
          s.journalScroll = { top: win.top }
        }
      }
      if (view !== undefined) s.view = castDraft(view)
      if (smmu !== undefined) s.smmu = castDraft(smmu)
      if (hyp !== undefined) s.hyp = castDraft(hyp)
      if (vm.timeline && f.timelineFor !== undefined) s.timeline = castDraft(vm.timeline)
    }
  }

  /**
   * The store values an answer brings, each part asked for keeping the
   * identity of what the store shows where it is equal (panels showing it
   * are not drawn again). No side effects: a look-ahead answer is compared
   * with the store while the user has not pressed the key yet.
   */
  private reuseParts(prev: FullState, f: ViewFetch, r: MoveResult): Reused {
    const vm = r.view
    const has = (p: ViewPart) => f.parts.includes(p)
    // A part the answer left out is the one the store holds (equal to what the worker would have sent); a part it
    // patched is its changes against the one the store holds, and rebuilding it shares the store's objects as reuse would.
    const kept = new Set(r.same)
    const patched = new Set(r.patched)
    const part = <T>(p: HeldPart, held: T, value: unknown): T => (kept.has(p) ? held : patched.has(p) ? applyDelta(held, value) : reuse(held, value as T))
    return {
      journal: has('journal') ? part('journal', prev.journalRows, vm.journal ?? []) : undefined,
      view: has('state') ? stateView(prev.view, { cursor: vm.cursor, records: vm.records, registers: part('registers', prev.view?.registers, vm.registers), cmdq: part('cmdq', prev.view?.cmdq, vm.cmdq), evtq: part('evtq', prev.view?.evtq, vm.evtq) }) : undefined,
      smmu: has('smmu') ? part('smmu', prev.smmu, vm.smmu ?? null) : undefined,
      hyp: has('smmu') ? part('hyp', prev.hyp, vm.hyp ?? null) : undefined,
    }
  }

  /** A step forwards marks what all its records did; any other move, the record before the cursor. */
  private moved(cursor: number): void {
    this.since = this.lastCursor >= 0 && this.lastCursor < cursor ? this.lastCursor : undefined
    this.lastCursor = cursor
  }
}

function smmuRequest(st: FullState, since: number | undefined): SmmuViewRequest {
  const tab = st.centreTab
  return {
    strtab: tab === 'streams' ? { from: st.strtabWindow.from, to: st.strtabWindow.to, since, fields: STE_ROW_FIELDS } : undefined,
    cd: tab === 'streams' && st.cdSid !== null ? { sid: st.cdSid, from: st.cdFrom, to: st.cdFrom + CD_PAGE } : undefined,
    walk: tab === 'walk' ? { at: st.walkAt ?? undefined } : undefined,
    iotlb: tab === 'caches' ? { since } : undefined,
    cfgcache: tab === 'caches' ? { since } : undefined,
    inspect: st.inspecting ?? undefined,
    related: st.selection ?? undefined,
  }
}

/** The slots queue panel `q` asks for: the page it was moved to, or (empty) those around the cursor. */
function queuePage(st: FullState, q: QueueKey): { from?: number; to?: number } {
  const from = st.queueFrom[q]
  return from === null ? {} : { from, to: from + QUEUE_PAGE }
}

function hypRequest(st: FullState): HypViewRequest {
  const tab = st.centreTab
  return {
    cmdq: tab === 'queues' ? { host: queuePage(st, 'hostq'), shadow: queuePage(st, 'shadowq') } : undefined,
    strtab: tab === 'streams' ? { from: st.strtabWindow.from, to: st.strtabWindow.to, fields: STE_ROW_FIELDS } : undefined,
    traplog: tab === 'traps' ? (st.trapFrom === null ? {} : { from: st.trapFrom, to: st.trapFrom + TRAP_PAGE }) : undefined,
    memmap: tab === 'memory' ? (st.memRange ?? {}) : undefined,
    page: tab === 'memory' && st.memPage !== null ? { pa: st.memPage } : undefined,
    hostCommand: st.hostCommand ?? undefined,
    // The register panel is always on screen: under pKVM it shows the host's view beside the hardware's.
    registers: true,
  }
}
