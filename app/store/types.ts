import type { StateCreator } from 'zustand/vanilla'
import type { JournalRow, RunSummary, ValidationError, ViewModel } from '../../engine/api-types'

/** The scenario being shown, and what loading it said. */
export interface ScenarioSlice {
  /** The scenario JSON as text (what the editor shows; kept even when invalid). */
  scenarioText: string
  /** The last scenario that loaded; the engine currently holds its run. */
  summary: RunSummary | null
  /** Errors from the last load attempt (empty when it succeeded). */
  errors: readonly ValidationError[]
  loading: boolean
  load: (json: string) => Promise<void>
  loadDefault: () => Promise<void>
}

/** Where in the journal the user is. Cursor c: records [0, c) applied. */
export interface CursorSlice {
  cursor: number
  records: number
  setCursor: (n: number) => Promise<void>
  stepInto: () => Promise<void>
  stepBackInto: () => Promise<void>
  stepOver: () => Promise<void>
  stepBackOver: () => Promise<void>
  stepOut: () => Promise<void>
  stepBackOut: () => Promise<void>
  toStart: () => Promise<void>
  toEnd: () => Promise<void>
}

/** View models from the worker for the visible panels, never engine objects. */
export interface ViewSlice {
  /** Registers, CMDQ and EVTQ at the cursor. */
  view: ViewModel | null
  /** The journal rows [journalFrom, journalFrom + journalRows.length). */
  journalRows: readonly JournalRow[]
  journalFrom: number
  /** The rows the journal panel wants [from, to). */
  journalWindow: { readonly from: number; readonly to: number }
  setJournalWindow: (from: number, to: number) => Promise<void>
  refresh: () => Promise<void>
}

export type AppState = ScenarioSlice & CursorSlice & ViewSlice

/** A slice creator for the combined, immer-wrapped store. */
export type Slice<T> = StateCreator<AppState, [['zustand/immer', never]], [], T>
