import type { StateCreator } from 'zustand/vanilla'
import type { BuiltinScenario, FindQuery, Granularity, JournalFollow, JournalRow, QueueView, RegisterRow, RunSummary, ValidationError } from '../../engine/api-types'

/** The scenario being shown, and what loading it said. */
export interface ScenarioSlice {
  /** The scenario JSON as text (what the editor shows; kept even when invalid). */
  scenarioText: string
  /** The last scenario that loaded; the engine currently holds its run. */
  summary: RunSummary | null
  /** The scenario that loaded (parsed JSON): what a share link and a download carry. */
  loadedScenario: unknown
  /** Errors from the last load attempt (empty when it succeeded). */
  errors: readonly ValidationError[]
  /** Why the last share link could not be opened (the work on screen was left as it was). */
  linkError: string | null
  loading: boolean
  /**
   * Load scenario text; on success open at `cursor` (clamped) or, by default, at the end of the run. What is
   * selected, inspected and paged to is cleared, unless the text is an `edit` of the scenario on screen (the
   * editor's Run): a user changing a scenario keeps looking at the same SID, page or queue slots.
   */
  load: (json: string, opts?: { readonly cursor?: number; readonly edit?: boolean }) => Promise<void>
  /** Open the built-in default scenario, unless another scenario was asked for first (a share link). */
  loadDefault: () => Promise<void>
  /** The built-in scenarios (fetched once by `loadLibrary`). */
  library: readonly BuiltinScenario[]
  loadLibrary: () => Promise<void>
  /** Open a built-in scenario by id. */
  loadBuiltin: (id: string) => Promise<void>
  /** Open a share link ("#s=1.…&c=…"); a broken one sets `linkError` and changes nothing else. Returns the panels it names. */
  openLink: (hash: string) => Promise<readonly string[] | null>
  dismissLinkError: () => void
}

/** Where in the journal the user is. Cursor c: records [0, c) applied. */
export interface CursorSlice {
  cursor: number
  records: number
  /** Where steps may stop (scenario op, driver action, command, walk read, or any record). */
  granularity: Granularity
  /** Continue (forwards or back) stops before a record matching any of these. */
  breakpoints: readonly FindQuery[]
  /** The breakpoint (index) the last continue stopped at; null when it ran to an end. */
  stoppedAt: number | null
  setCursor: (n: number) => Promise<void>
  setGranularity: (g: Granularity) => void
  setBreakpoints: (b: readonly FindQuery[]) => void
  stepInto: () => Promise<void>
  stepBackInto: () => Promise<void>
  stepOver: () => Promise<void>
  stepBackOver: () => Promise<void>
  stepOut: () => Promise<void>
  stepBackOut: () => Promise<void>
  toStart: () => Promise<void>
  toEnd: () => Promise<void>
  continueForward: () => Promise<void>
  continueBack: () => Promise<void>
}

/** The register file and the queues at the cursor (the parts of the worker's view that follow the cursor alone). */
export interface StateView {
  readonly cursor: number
  readonly records: number
  readonly registers?: readonly RegisterRow[]
  readonly cmdq?: QueueView
  readonly evtq?: QueueView
}

/** View models from the worker for the visible panels, never engine objects. */
export interface ViewSlice {
  /** Registers, CMDQ and EVTQ at the cursor. */
  view: StateView | null
  /** The journal rows [journalFrom, journalFrom + journalRows.length). */
  journalRows: readonly JournalRow[]
  journalFrom: number
  /** The rows the journal panel wants [from, to). */
  journalWindow: { readonly from: number; readonly to: number }
  /** Which rows the journal panel shows whole, so a cursor move can bring its window along (null: it does not follow). */
  journalFollow: JournalFollow | null
  /** Where the journal panel should scroll to after a move took its window along (a new object each time). */
  journalScroll: { readonly top: number } | null
  /** The panel scrolled: fetch rows [from, to) (unless that is the window already) and remember what it shows. */
  setJournalWindow: (from: number, to: number, follow?: JournalFollow | null) => Promise<void>
  /** Fetch every visible part of the view at the cursor (after a load or an engine restart). */
  refresh: () => Promise<void>
  /** The loaded run's journal as the CLI's JSONL, built by the worker piece by piece; `progress` hears records done of all. */
  journalJsonl: (progress?: (done: number, total: number) => void) => Promise<Blob | null>
}

export type AppState = ScenarioSlice & CursorSlice & ViewSlice

/** A slice creator for the combined, immer-wrapped store. */
export type Slice<T> = StateCreator<AppState, [['zustand/immer', never]], [], T>
