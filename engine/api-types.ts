/**
 * The worker API's data: everything that crosses from the engine to the app.
 * Plain, structured-cloneable data only; 64-bit values are hex strings.
 * The app imports this file (types only) and the scenario format, nothing else.
 */

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
  /** An operation the engine could not carry out (the run stopped there). */
  readonly stopped?: { readonly step: number; readonly message: string }
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
  /** Entries in the requested window. */
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

export interface FindQuery {
  readonly kind?: string
  readonly reg?: string
  readonly sid?: number
  readonly opcode?: string
  readonly event?: string
  readonly verdict?: string
  readonly failedExpect?: boolean
}

/** The engine's API: the worker exposes exactly this, the CLI and tests call it directly. */
export interface EngineApi {
  load(scenario: unknown): LoadResult
  view(cursor: number, request: ViewRequest): ViewModel
  find(query: FindQuery, from: number, direction: FindDirection): number | null
  meta(): Meta
}
