import { castDraft } from 'immer'
import { useStore } from 'zustand'
import type { StateCreator } from 'zustand/vanilla'
import type { HypViewModel, InspectTarget, JournalRow, Selection, SmmuViewModel, TimelineView } from '../../engine/api-types'
import type { EnginePort } from '../bridge/engine-port'
import { useAppStore } from './context'
import type { AppState } from './types'
import { CD_PAGE, JOURNAL_ROW_FIELDS, type QueueKey, type ViewFetcher, type ViewPart } from './view-fetch'

export { CD_PAGE }

/** The centre panels, one shown at a time. */
export type CentreTab = 'queues' | 'streams' | 'walk' | 'caches' | 'traps' | 'memory'

/** What is selected and inspected, and the SMMU structure views at the cursor. */
export interface SelectionSlice {
  /** The linked selection: every panel highlights what relates to it. */
  selection: Selection | null
  /** What the inspector shows. */
  inspecting: InspectTarget | null
  centreTab: CentreTab
  /** Stream table rows [from, to) wanted by the panel. */
  strtabWindow: { readonly from: number; readonly to: number }
  /** The StreamID whose CD table the CD panel shows. */
  cdSid: number | null
  cdFrom: number
  /** A dma record picked in the walk panel; null: the DMA at or before the cursor. */
  walkAt: number | null
  smmu: SmmuViewModel | null
  /** The pKVM views at the cursor (null: no hypervisor, or not fetched yet). */
  hyp: HypViewModel | null
  /** The journal as a strip (fetched once per run). */
  timeline: TimelineView | null
  /** A host CMDQ slot shown in the inspector (under pKVM the host's queue is not the one the SMMU reads). */
  hostCommand: number | null
  /** The page the memory panel details, and the PA range it shows (null: all of RAM). */
  memPage: string | null
  memRange: { readonly from: string; readonly to: string } | null
  /** Trap log rows [from, from + TRAP_PAGE) wanted; null: around the cursor. */
  trapFrom: number | null
  /** Queue slots [from, from + QUEUE_PAGE) wanted, per queue panel; null: those around the cursor. */
  queueFrom: Readonly<Record<QueueKey, number | null>>
  select: (sel: Selection | null, inspect?: InspectTarget | null) => Promise<void>
  inspect: (t: InspectTarget | null) => Promise<void>
  setCentreTab: (t: CentreTab) => Promise<void>
  setStrtabWindow: (from: number, to: number) => Promise<void>
  setCd: (sid: number | null, from?: number) => Promise<void>
  setWalkAt: (record: number | null) => Promise<void>
  inspectHostCommand: (index: number | null) => Promise<void>
  setMemPage: (pa: string | null) => Promise<void>
  setMemRange: (r: { readonly from: string; readonly to: string } | null) => Promise<void>
  setTrapFrom: (n: number | null) => Promise<void>
  /** Page queue `q` to slot `from` (null: back to the slots around the cursor). */
  setQueueFrom: (q: QueueKey, from: number | null) => Promise<void>
  /** Journal rows of several record ranges (the journal with collapsed spans shows pieces). */
  journalRowsFor: (ranges: readonly (readonly [number, number])[]) => Promise<JournalRow[]>
  /** Fetch the views the visible panels need at the cursor (one round trip). */
  refreshSmmu: () => Promise<void>
}

export type FullState = AppState & SelectionSlice

/** Select one value from the full store, selection slice included. */
export function useSel<T>(selector: (s: FullState) => T): T {
  return useStore(useAppStore(), selector)
}

/** A slice creator that sees the whole store. */
export type FullSlice<T> = StateCreator<FullState, [['zustand/immer', never]], [], T>

/** What is selected, inspected and paged to: it belongs to one run's journal, and another scenario starts without it. */
export type RunSelection = Pick<SelectionSlice, 'selection' | 'inspecting' | 'cdSid' | 'cdFrom' | 'walkAt' | 'hostCommand' | 'memPage' | 'memRange' | 'trapFrom' | 'queueFrom'>

export function freshSelection(): RunSelection {
  return { selection: null, inspecting: null, cdSid: null, cdFrom: 0, walkAt: null, hostCommand: null, memPage: null, memRange: null, trapFrom: null, queueFrom: { cmdq: null, evtq: null, hostq: null, shadowq: null } }
}

export function createSelectionSlice(engine: EnginePort, fetcher: ViewFetcher): FullSlice<SelectionSlice> {
  return (set, get) => {
    /** Fetch `parts` of the view at the cursor (one round trip, after the fetches before it). */
    const fetchParts = (parts: readonly ViewPart[]) => fetcher.pull(get, set, parts)
    const update = async (recipe: (s: FullState) => void) => {
      set((s) => {
        recipe(s)
      })
      await fetchParts(['smmu'])
    }
    return {
      ...freshSelection(),
      centreTab: 'queues',
      strtabWindow: { from: 0, to: 32 },
      smmu: null,
      hyp: null,
      timeline: null,

      select: (sel, inspect) =>
        update((s) => {
          s.selection = castDraft(sel)
          if (inspect !== undefined) {
            s.inspecting = castDraft(inspect)
            s.hostCommand = null
          }
        }),
      inspect: (t) =>
        update((s) => {
          s.inspecting = castDraft(t)
          s.hostCommand = null
        }),
      inspectHostCommand: (index) =>
        update((s) => {
          s.hostCommand = index
          if (index !== null) s.inspecting = null
        }),
      setMemPage: (pa) =>
        update((s) => {
          s.memPage = pa
        }),
      setMemRange: (r) =>
        update((s) => {
          s.memRange = r
        }),
      setTrapFrom: (n) =>
        update((s) => {
          s.trapFrom = n
        }),
      async setQueueFrom(q, from) {
        set((s) => {
          s.queueFrom[q] = from === null ? null : Math.max(0, Math.trunc(from))
        })
        // The SMMU's own queues come with the register file; under pKVM the host's and the shadow CMDQ with the hypervisor's views.
        await fetchParts(q === 'cmdq' || q === 'evtq' ? ['state'] : ['smmu'])
      },
      async journalRowsFor(ranges) {
        // Each range is a seek to the cursor asking for those rows only (with the fields the panel reads).
        const { cursor } = get()
        const parts = await Promise.all(ranges.map(([from, to]) => engine.stepView(cursor, { kind: 'seek', to: cursor }, { journal: { from, to }, journalFields: JOURNAL_ROW_FIELDS })))
        return parts.flatMap((p) => p.view.journal ?? [])
      },
      async setCentreTab(t) {
        set((s) => {
          s.centreTab = t
        })
        // The queues tab shows parts of the register-and-queue view too.
        await fetchParts(['state', 'smmu'])
      },
      async setStrtabWindow(from, to) {
        const w = get().strtabWindow
        if (w.from === from && w.to === to) return
        await update((s) => {
          s.strtabWindow = { from, to }
        })
      },
      setCd: (sid, from = 0) =>
        update((s) => {
          s.cdSid = sid
          s.cdFrom = from
        }),
      setWalkAt: (record) =>
        update((s) => {
          s.walkAt = record
        }),

      refreshSmmu: () => fetchParts(['smmu']),
    }
  }
}
