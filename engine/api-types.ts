/**
 * The worker API's data: everything that crosses from the engine to the app.
 * Plain, structured-cloneable data only; 64-bit values are hex strings.
 * The app imports this file (types only) and the scenario format, nothing else.
 */
import type { Granularity, StepDirection, StepKind } from './journal/cursor'
import type { RecordQuery, RunToStop } from './journal/find'

export interface ValidationError {
  /** JSON path into the scenario: "steps[3].iova". */
  readonly path: string
  readonly message: string
}

export interface ExpectResult {
  /** Index of the `expect` step. */
  readonly step: number
  readonly ok: boolean
  readonly message: string
  /** Journal index of the record. */
  readonly record: number
}

export interface RunSummary {
  readonly title: string
  readonly notes: string
  readonly records: number
  readonly steps: number
  readonly expectations: readonly ExpectResult[]
  /**
   * Re-run on edit: the step the run resumed at, on the previous run's
   * machine rewound to the boundary before it. Absent when the machine ran
   * from scratch (another platform, or a journal that could not be cut there).
   */
  readonly resumedAt?: number
  /** An operation the engine could not carry out (the run stopped there). */
  readonly stopped?: { readonly step: number; readonly message: string }
  /**
   * Re-run on edit: journal records [0, reused) were taken from the previous
   * run instead of being computed again (all of them when the scenario did
   * not change); 0 when the machine ran from scratch.
   */
  readonly reused: number
}

export type LoadResult =
  | { readonly ok: true; readonly summary: RunSummary }
  | { readonly ok: false; readonly errors: readonly ValidationError[] }

/** One journal record as the app shows it (the CLI's JSONL record, plus span info). */
export interface JournalRow {
  readonly i: number
  readonly depth: number
  readonly actor: 'scenario' | 'host' | 'hyp' | 'smmu' | 'device'
  readonly kind: string
  /** One-line human summary ("CMDQ_PROD <- 0x3 (trapped)"). */
  readonly text: string
  /** Span records: index one past the span's last record. */
  readonly end?: number
  /** The record's kind-specific fields, JSON-safe (as the CLI prints them). */
  readonly fields: Readonly<Record<string, unknown>>
}

export interface FieldRow {
  readonly name: string
  readonly hi: number
  readonly lo: number
  readonly word: number
  /** Hex string. */
  readonly value: string
  readonly display: string
  readonly desc: string
  readonly ref: string
}

export interface RegisterRow {
  readonly name: string
  readonly offset: number
  /** 32 or 64. */
  readonly width: number
  /** Hex string. */
  readonly value: string
  readonly fields: readonly FieldRow[]
  /** Changed by the record just before the cursor. */
  readonly changed: boolean
}

export interface QueueEntryRow {
  readonly index: number
  readonly address: string
  /** Hex words. */
  readonly raw: readonly string[]
  readonly opcode: string
  readonly fields: readonly FieldRow[]
  /** Between CONS and PROD: issued and not yet consumed. */
  readonly pending: boolean
}

export interface QueueView {
  readonly name: string
  readonly base: string
  readonly log2size: number
  readonly prod: number
  readonly cons: number
  readonly prodWrap: number
  readonly consWrap: number
  readonly prodIndex: number
  readonly consIndex: number
  readonly err: number
  /** Entries in the requested window (of slots). */
  readonly entries: readonly QueueEntryRow[]
}

export interface ViewRequest {
  /** Journal rows [from, to). */
  readonly journal?: { readonly from: number; readonly to: number }
  readonly registers?: boolean
  /** Command queue entries [from, to) of the ring (defaults to a window around CONS). */
  readonly cmdq?: { readonly from?: number; readonly to?: number }
  readonly evtq?: { readonly from?: number; readonly to?: number }
}

export interface ViewModel {
  readonly cursor: number
  readonly records: number
  readonly journal?: readonly JournalRow[]
  readonly registers?: readonly RegisterRow[]
  readonly cmdq?: QueueView
  readonly evtq?: QueueView
}

export interface SpanMeta {
  readonly i: number
  readonly end: number
  readonly depth: number
  readonly kind: string
  readonly actor: string
  readonly text: string
}

export interface Meta {
  readonly records: number
  /** Top-level spans (scenario operations) with their children to depth 2. */
  readonly spans: readonly SpanMeta[]
}

export type FindDirection = 'forward' | 'backward'

/**
 * A search over the journal: every condition given must hold (kind, actor,
 * register, SID, opcode, event type, hypervisor verdict, memory range
 * written, failed expectation). Breakpoints are a list of these.
 */
export type FindQuery = RecordQuery

/** Where `runTo` stopped and which breakpoint (by index) stopped it; null at an end of the journal. */
export type RunToResult = RunToStop

export type { Granularity, StepDirection, StepKind }

/** A built-in scenario: the library the app offers and the tests run. */
export interface BuiltinScenario {
  /** File name without `.json` (engine/scenario/builtin/ID.json). */
  readonly id: string
  readonly title: string
  readonly notes: string
  readonly scenario: unknown
  /** A real-scale platform: loading takes seconds (8 GiB identity map, 65536 SIDs). */
  readonly heavy?: boolean
}

/**
 * How a combined call moves the cursor before it computes the view there:
 * a debugger step, a jump to a record, or a continue to the next breakpoint.
 */
export type CursorMove =
  | { readonly kind: 'step'; readonly step: StepKind; readonly direction: StepDirection; readonly granularity?: Granularity }
  | { readonly kind: 'seek'; readonly to: number }
  | { readonly kind: 'runTo'; readonly breakpoints: readonly FindQuery[]; readonly direction: FindDirection }

/** A view request for the combined call: the journal window can follow the cursor. */
export interface MoveViewRequest extends ViewRequest {
  /**
   * With `journal`: the journal panel shows rows [top, top + visible) whole
   * and spans `span` rows (≥ visible: the last may be cut); its window is
   * `margin` rows more on each side. A cursor whose row would leave the
   * rows on screen (or come within two rows of their edge) moves the window
   * by as few rows as keep it there, or, after a jump of more than a
   * screen, centres it (rows [0, records] exist: the last, "end of run", is
   * at most the last whole row); the answer says where.
   */
  readonly follow?: JournalFollow
  /** Keep only these fields of each journal row (what the panel reads; the JSONL export has them all). */
  readonly journalFields?: readonly string[]
  /**
   * The parts of the view the caller holds, each with the `answer` it came
   * in: a part equal to what that answer sent is left out of this one and
   * named in `same` (a step usually changes few parts; the rest need not be
   * built into messages, copied between threads and compared again). The
   * engine remembers each part of its last several answers (look-aheads
   * too): a part held under an answer older than those is sent whole.
   */
  readonly held?: Readonly<Partial<Record<HeldPart, number>>>
}

/** The parts of a view an answer can leave out when the caller holds them already. */
export type HeldPart = 'journal' | 'registers' | 'cmdq' | 'evtq' | 'smmu' | 'hyp'

export interface JournalFollow {
  readonly top: number
  readonly visible: number
  readonly span: number
  readonly margin: number
}

/** The journal window a combined call answered: rows [from, to), the first one on screen `top`. */
export interface JournalWindow {
  readonly from: number
  readonly to: number
  readonly top: number
}

/** What a combined call answers: where the cursor went and the view there, in one round trip. */
export interface MoveResult {
  readonly cursor: number
  /** The breakpoint (index) a runTo stopped at; null otherwise. */
  readonly breakpoint: number | null
  /** The journal window the rows in `view.journal` fill (absent when the request had none). */
  readonly journal?: JournalWindow
  readonly view: ViewModel
  /** This answer's number (a part it sent is held under it: MoveViewRequest.held). */
  readonly answer: number
  /** Parts asked for and left out of `view`: equal to those of the answers the request said are held. */
  readonly same: readonly HeldPart[]
  /**
   * Parts that changed since the answer the request said holds them, sent in
   * `view` as their changes against that answer's value (views/delta.ts):
   * applyDelta(held value, view[part]) is the part.
   */
  readonly patched: readonly HeldPart[]
}

/**
 * A piece of the journal as the CLI prints it with `--jsonl` (UTF-8, one
 * record a line); the piece that reaches the end carries the CLI's summary
 * line too, so the pieces joined equal the CLI's output.
 */
export interface JsonlChunk {
  /** UTF-8 text (its buffer is transferred, not copied, out of the worker). */
  readonly bytes: Uint8Array<ArrayBuffer>
  /** Records [from, next) are in this piece. */
  readonly from: number
  /** Where the next piece starts; null after the last. */
  readonly next: number | null
  readonly records: number
}

/** The engine's API: the worker exposes exactly this, the CLI and tests call it directly. */
export interface EngineApi {
  load(scenario: unknown): LoadResult
  view(cursor: number, request: ViewRequest): ViewModel
  find(query: FindQuery, from: number, direction: FindDirection): number | null
  /** Step into / over / out, forwards or backwards, stopping only where `granularity` allows (default: any record). */
  step(cursor: number, kind: StepKind, direction: StepDirection, granularity?: Granularity): number
  /** Continue to the next record (or, backwards, the previous one) matching any breakpoint. */
  runTo(breakpoints: readonly FindQuery[], from: number, direction: FindDirection): RunToResult
  meta(): Meta
  /** Move the cursor and compute the view at the new cursor: one round trip per debugger step. */
  stepView(cursor: number, move: CursorMove, request: MoveViewRequest): MoveResult
  /** The journal as JSONL, from record `from`, in pieces of at most `maxRecords` records (and a few MiB). */
  exportJsonl(from: number, maxRecords?: number): JsonlChunk
}

/** What the worker exposes: the engine API plus the built-in scenarios. */
export interface WorkerApi extends EngineApi {
  defaultScenario(): unknown
  builtins(): readonly BuiltinScenario[]
}

// ---- SMMU structure panels: stream table, CD, walk, caches, inspector, linked selection ----

/** Which stream table a view shows: the host's, or (under pKVM) the hypervisor's shadow. */
export type StrtabTable = 'host' | 'shadow'

/** A window of StreamIDs [from, to) of one stream table (at most 512 per call). */
export interface StrtabRequest {
  readonly table?: StrtabTable
  readonly from: number
  readonly to: number
  /** Fields changed since this cursor are listed in each row's `changed` (default: cursor - 1). */
  readonly since?: number
  /** Only these fields (by name), and those in the row's `changed`, in each row's `fields` (default: every field). */
  readonly fields?: readonly string[]
}

/** One level-1 Stream Table Descriptor covering part of the window (of SIDs). */
export interface L1StdRow {
  readonly index: number
  readonly address: string
  readonly raw: string
  /** SIDs [sidFrom, sidTo) this descriptor indexes. */
  readonly sidFrom: number
  readonly sidTo: number
  readonly span: number
  readonly l2ptr: string
  /** Span valid (1..SPLIT+1): a level-2 table exists. */
  readonly valid: boolean
  readonly fields: readonly FieldRow[]
  readonly error?: string
}

export interface SteRow {
  readonly sid: number
  /** Where the STE is; absent when it cannot be located (`error` says why). */
  readonly address?: string
  readonly l1Index?: number
  /** The event a transaction with this SID would raise while locating the STE (C_BAD_STREAMID, F_STE_FETCH). */
  readonly error?: string
  readonly v: number
  /** STE.Config by name ("abort", "bypass", "s1", "s2", "nested", or the reserved value). */
  readonly config: string
  readonly raw: readonly string[]
  readonly fields: readonly FieldRow[]
  /** Fields whose value differs from the STE at `since` (or, side by side, from the other table's STE). */
  readonly changed: readonly string[]
}

export interface StrtabView {
  readonly table: StrtabTable
  /** STRTAB_BASE and STRTAB_BASE_CFG as programmed (hex) and decoded. */
  readonly baseReg: string
  readonly cfgReg: string
  readonly base: string
  readonly fmt: 'linear' | '2level'
  /** Effective log2 of the number of STEs: min(LOG2SIZE, IDR1.SIDSIZE). */
  readonly log2size: number
  readonly split: number
  readonly sidCount: number
  readonly l1: readonly L1StdRow[]
  readonly rows: readonly SteRow[]
}

/** CDs [from, to) of the CD table of StreamID `sid` (at most 256 per call). */
export interface CdRequest {
  readonly sid: number
  readonly from?: number
  readonly to?: number
}

export interface CdRow {
  /** SubstreamID (the CD's index in the table). */
  readonly ssid: number
  /** The CD's address as the STE names it (an IPA when stage 2 translates) and the PA read. */
  readonly address?: string
  readonly pa?: string
  readonly l1Index?: number
  readonly error?: string
  readonly v: number
  readonly asid: number
  readonly raw: readonly string[]
  readonly fields: readonly FieldRow[]
}

export interface CdView {
  readonly sid: number
  /** Why the STE has no CD table (not stage 1, V=0, ...), when it has none. */
  readonly none?: string
  readonly ptr: string
  readonly fmt: string
  readonly cdMax: number
  readonly count: number
  /** Stage 2 translates the table's addresses (nested). */
  readonly ipa: boolean
  readonly rows: readonly CdRow[]
}

/** One descriptor read by the walker: a cell of the walk grid. */
export interface WalkCell {
  /** Journal index of the ptw.read record. */
  readonly record: number
  readonly stage: 1 | 2
  readonly level: number
  readonly address: string
  readonly raw: string
  readonly type: string
  /** The record is after the cursor: the walk has not reached it yet. */
  readonly future: boolean
  /** The walk stopped here with the DMA's fault. */
  readonly fault: boolean
}

/**
 * A row of the walk grid: the stage-2 walk that translates an address
 * (across), then the stage-1 read it made possible (down). `what` names the
 * address being translated: "CD", "TTB" / "L<n> table" (a stage-1 table's
 * IPA), or "IPA" (the final output).
 */
export interface WalkRow {
  readonly what: string
  readonly s2: readonly WalkCell[]
  readonly s1?: WalkCell
}

export interface WalkView {
  /** Journal index of the dma span, and its extent. */
  readonly record: number
  readonly end: number
  readonly device: string
  readonly sid: number
  readonly ssid?: number
  readonly iova: string
  readonly access: string
  readonly result: string
  readonly pa?: string
  readonly reason: string
  /** Configuration kind of the stream (from the config cache record or the STE read in the span). */
  readonly config?: string
  /** The translation hit in the IOTLB (no walk). */
  readonly tlbHit?: { readonly record: number; readonly seq: number; readonly pa: string; readonly sizeBits: number }
  readonly rows: readonly WalkRow[]
  /** Event written for this DMA: type, record index, EVTQ-record fields. */
  readonly event?: { readonly record: number; readonly type: string; readonly stage?: number; readonly addr2: string; readonly raw: readonly string[] }
  /** The previous and next dma records, and the cursor just after each (its whole walk applied). */
  readonly prev?: number
  readonly next?: number
  readonly prevEnd?: number
  readonly nextEnd?: number
}

export type CacheMark = 'inserted' | 'evicted' | 'invalidated' | 'replaced' | 'hit'

export interface TlbRow {
  readonly seq: number
  readonly asid: number
  readonly vmid: number
  /** 1, 2 or 12 (nested, combined). */
  readonly stage: number
  readonly level: number
  readonly granule: string
  /** Input address (IOVA or IPA) = ipn × 4096, and the size the entry covers. */
  readonly input: string
  readonly size: string
  readonly sizeBits: number
  readonly pa: string
  readonly perm: string
  readonly parentPerm: string
  /** What the last step did to the entry; removed entries are kept as rows with their mark. */
  readonly mark?: CacheMark
  readonly present: boolean
}

export interface CfgRow {
  readonly sid: number
  readonly ssid: number
  readonly config: string
  readonly steAddr: string
  readonly cdAddr?: string
  readonly asid?: number
  readonly vmid?: number
  /** Short description of each stage ("S2: 4K, 39-bit IPA, TTB 0x..."). */
  readonly stages: readonly string[]
  readonly mark?: CacheMark
  readonly present: boolean
}

export interface CacheRequest {
  /** Marks what records [since, cursor) did (default: the record before the cursor). */
  readonly since?: number
}

/** What the inspector can show. */
export type InspectTarget =
  | { readonly kind: 'register'; readonly name: string }
  | { readonly kind: 'ste'; readonly sid: number; readonly table?: StrtabTable }
  | { readonly kind: 'cd'; readonly sid: number; readonly ssid: number }
  | { readonly kind: 'l1std'; readonly sid: number }
  | { readonly kind: 'command'; readonly index: number }
  | { readonly kind: 'event'; readonly index: number }
  /** A descriptor read: the journal index of its ptw.read record. */
  | { readonly kind: 'descriptor'; readonly record: number }
  | { readonly kind: 'tlb'; readonly seq: number }

export interface InspectView {
  readonly title: string
  /** Layout title and specification section. */
  readonly layout: string
  readonly ref: string
  readonly address?: string
  /** Width of a word in bits (32 for 32-bit registers). */
  readonly wordBits: number
  readonly raw: readonly string[]
  readonly fields: readonly FieldRow[]
  /** Lines of context (what the structure means here: the STE's config, the walk level...). */
  readonly notes: readonly string[]
  readonly error?: string
}

/** A selection that links panels: each panel highlights what relates to it. */
export type Selection =
  | { readonly kind: 'iova'; readonly iova: string; readonly sid: number }
  | { readonly kind: 'sid'; readonly sid: number }
  | { readonly kind: 'page'; readonly pa: string }
  | { readonly kind: 'command'; readonly index: number }
  | { readonly kind: 'tlb'; readonly seq: number }

/** Everything related to a selection, by the keys each panel uses. */
export interface Related {
  readonly sids: readonly number[]
  /** CDs as "sid:ssid". */
  readonly cds: readonly string[]
  /** Descriptor and structure addresses (hex), as walk cells and rows name them. */
  readonly addresses: readonly string[]
  /** IOTLB entry sequence numbers. */
  readonly tlb: readonly number[]
  /** Config cache entries as "sid:ssid". */
  readonly cfg: readonly string[]
  /** CMDQ slot indexes. */
  readonly commands: readonly number[]
  /** Input pages (IOVA, 4K-aligned hex) and output pages (PA). */
  readonly iovas: readonly string[]
  readonly pages: readonly string[]
}

/** The SMMU structure views, requested together (one round trip). */
export interface SmmuViewRequest {
  readonly strtab?: StrtabRequest
  readonly cd?: CdRequest
  /** The DMA enclosing the cursor or the last before it; `at` picks a dma record instead. */
  readonly walk?: { readonly at?: number }
  readonly iotlb?: CacheRequest
  readonly cfgcache?: CacheRequest
  readonly inspect?: InspectTarget
  readonly related?: Selection
}

export interface SmmuViewModel {
  readonly strtab?: StrtabView
  readonly cd?: CdView
  /** null: no DMA at or before the cursor. */
  readonly walk?: WalkView | null
  readonly iotlb?: readonly TlbRow[]
  readonly cfgcache?: readonly CfgRow[]
  readonly inspect?: InspectView
  readonly related?: Related
}

// Declaration merging: the SMMU structure views join the one view() request.
export interface ViewRequest {
  /** Stream table, CD, walk, caches, inspector and linked selection at the cursor. */
  readonly smmu?: SmmuViewRequest
}

export interface ViewModel {
  readonly smmu?: SmmuViewModel
}

// ---- The hypervisor made visible: shadow CMDQ, host vs shadow stream tables, MMIO traps, memory map, timeline ----

/** The hypervisor's judgement of one host command (a `hyp.copy` then its `hyp.cmd` span). */
export interface HypCmdMark {
  /** Slot of the host CMDQ the command was copied from. */
  readonly index: number
  /** Journal index of the hyp.cmd record (and of the hyp.copy before it). */
  readonly record: number
  readonly copyRecord: number
  readonly opcode: string
  readonly verdict: 'copied' | 'rejected' | 'rewritten'
  readonly reason: string
  /** The host's words as copied. */
  readonly raw: readonly string[]
  /** What was written to the shadow queue instead (rewritten commands). */
  readonly rewritten?: readonly string[]
  /** Shadow CMDQ slot the command went to (absent when rejected, or not yet appended at the cursor). */
  readonly shadowIndex?: number
}

/** Where a shadow CMDQ slot's command came from. */
export interface ShadowSlotSource {
  readonly index: number
  readonly record: number
  /** 'host': a copied host command (hostIndex names its slot); 'hyp': the hypervisor's own (TLBI for the identity map, CFGI after re-shadowing). */
  readonly source: 'host' | 'hyp'
  readonly hostIndex?: number
}

/** The entry the cursor is at: being copied, judged, appended or consumed. */
export interface HypActiveEntry {
  readonly queue: 'host' | 'shadow'
  readonly index: number
  readonly what: 'copy' | 'judge' | 'issue' | 'consume'
}

export interface HypQueuesView {
  /** The host's CMDQ as the host programmed it (the emulated CMDQ_BASE / PROD / CONS). */
  readonly host: QueueView
  /** The shadow CMDQ the hardware consumes (the real CMDQ_BASE / PROD / CONS); absent when the host's queue is given to the hardware ('mmio' emulation). */
  readonly shadow?: QueueView
  /** Latest judgement of each host slot in the window (none for a slot written again since). */
  readonly marks: readonly HypCmdMark[]
  readonly sources: readonly ShadowSlotSource[]
  readonly active?: HypActiveEntry
}

/** A hardware register access the hypervisor made while handling a trap. */
export interface HwAccess {
  readonly record: number
  readonly reg: string
  readonly write: boolean
  /** Hex. */
  readonly value: string
}

/** One trapped host register access: the access, the hypervisor's decision, its own hardware accesses. */
export interface TrapRow {
  /** Position in the list of traps. */
  readonly n: number
  readonly record: number
  readonly end: number
  readonly reg: string
  readonly write: boolean
  readonly size: number
  /** Hex: the value written, or the value the host read back. */
  readonly value: string
  readonly verdict: string
  readonly reason: string
  /** The first hardware accesses made for it (at most 12), and how many there were. */
  readonly hw: readonly HwAccess[]
  readonly hwCount: number
}

export interface TrapLogView {
  readonly total: number
  readonly from: number
  readonly rows: readonly TrapRow[]
  /** The trap containing the cursor, or the last one before it (-1: none yet). */
  readonly at: number
}

/** A register as the host sees it under pKVM, beside the hardware's value. */
export interface HostRegRow {
  readonly name: string
  /** Hex. */
  readonly host: string
  readonly hw: string
  /** 'emulated': the hypervisor's stored copy answers host reads; 'host access': the last value the host read or wrote. */
  readonly source: 'emulated' | 'host access'
}

/** A run of physical pages in one ownership state. */
export interface OwnRun {
  /** Hex. */
  readonly base: string
  readonly pages: number
  /** The host's state (OWNED, SHARED_OWNED, SHARED_BORROWED, NOPAGE) and, when NOPAGE, who owns the pages. */
  readonly host: string
  readonly owner: string
  /** The hypervisor's state for the pages (NOPAGE when it has none). */
  readonly hyp: string
}

/** A run of the identity stage 2: mapped by page or block leaves, or not mapped. */
export interface IdmapRun {
  readonly base: string
  readonly pages: number
  readonly kind: 'page' | 'block' | 'none'
  /** Leaf level (page and block runs). */
  readonly level?: number
}

export interface MemmapView {
  /** The range shown (hex) and the page size. */
  readonly from: string
  readonly to: string
  readonly pageSize: number
  readonly own: readonly OwnRun[]
  /** Absent before the identity map is built. */
  readonly idmap?: readonly IdmapRun[]
  readonly idmapRoot?: string
}

export interface OwnHistoryRow {
  readonly record: number
  /** Whose view changed (host, hyp or a guest). */
  readonly of: string
  readonly owner: string
  readonly state: string
  /** The span that made the change (the hypercall, the carve-out...). */
  readonly why: string
}

export interface HostMapping {
  readonly record: number
  readonly domain: string
  /** Hex: the IOVA that maps this page. */
  readonly iova: string
  readonly prot: string
}

/** One page: who maps it and why. */
export interface PageView {
  readonly pa: string
  readonly inRam: boolean
  readonly host: string
  readonly owner: string
  readonly hyp: string
  readonly pins: number
  readonly shareCount: number
  readonly history: readonly OwnHistoryRow[]
  /** The identity stage 2's translation of the page (a walk that is not journaled). */
  readonly idmap?: {
    readonly ok: boolean
    readonly level: number
    readonly kind: string
    readonly reads: readonly { readonly level: number; readonly address: string; readonly raw: string }[]
    readonly fault?: string
  }
  /** Live io-pgtable mappings of the host's domains whose output is this page. */
  readonly hostMappings: readonly HostMapping[]
}

export interface HypViewRequest {
  /** Host and shadow CMDQ windows (each defaults to a window around the entry at the cursor, or CONS). */
  readonly cmdq?: { readonly host?: { readonly from?: number; readonly to?: number }; readonly shadow?: { readonly from?: number; readonly to?: number } }
  /** Host and shadow stream tables side by side, SIDs [from, to); `changed` lists the fields that differ between them; `fields` as in StrtabRequest. */
  readonly strtab?: { readonly from: number; readonly to: number; readonly fields?: readonly string[] }
  /** Rows [from, to) of the trap log (default: a window around the cursor). */
  readonly traplog?: { readonly from?: number; readonly to?: number }
  readonly registers?: boolean
  /** Ownership and identity-map runs over PAs [from, to) (default: all of RAM). */
  readonly memmap?: { readonly from?: string; readonly to?: string }
  readonly page?: { readonly pa: string }
  /** A slot of the host's CMDQ, for the inspector. */
  readonly hostCommand?: number
}

export interface HypViewModel {
  readonly emulation: string
  readonly cmdq?: HypQueuesView
  readonly strtab?: { readonly host: StrtabView; readonly shadow?: StrtabView }
  readonly traplog?: TrapLogView
  readonly registers?: readonly HostRegRow[]
  readonly memmap?: MemmapView
  readonly page?: PageView
  readonly hostCommand?: InspectView
}

/** A span of depth 0 (a scenario op, or the hypervisor's boot work before it) or 1 (the actions inside it). */
export interface TimelineSegment {
  readonly i: number
  readonly end: number
  readonly depth: 0 | 1
  readonly actor: string
  readonly kind: string
  readonly text: string
}

export interface TimelineMark {
  readonly i: number
  readonly kind: 'event' | 'fail' | 'rejected' | 'warn' | 'expect'
  readonly text: string
}

export interface TimelineView {
  readonly records: number
  readonly segments: readonly TimelineSegment[]
  /** At most 2000 marks, the first of each kind kept when there are more. */
  readonly marks: readonly TimelineMark[]
}

// Declaration merging: the hypervisor views and the timeline join the one view() request.
export interface ViewRequest {
  /** pKVM views at the cursor (null in the answer when the platform has no hypervisor). */
  readonly hyp?: HypViewRequest
  readonly timeline?: boolean
}

export interface ViewModel {
  readonly hyp?: HypViewModel | null
  readonly timeline?: TimelineView
}
