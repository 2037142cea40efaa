import { castDraft } from 'immer'
import { useStore } from 'zustand'
import type { StateCreator } from 'zustand/vanilla'
import type { HypViewModel, HypViewRequest, InspectTarget, JournalRow, Selection, SmmuViewModel, SmmuViewRequest, TimelineView } from '../../engine/api-types'
import type { EnginePort } from '../bridge/engine-port'
import { useAppStore } from './context'
import type { AppState } from './types'

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
  /** Trap log rows [from, from + 40) wanted; null: around the cursor. */
  trapFrom: number | null
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

/** Rows of the CD table fetched at once. */
export const CD_PAGE = 64

export function createSelectionSlice(engine: EnginePort): StateCreator<FullState, [['zustand/immer', never]], [], SelectionSlice> {
  let seq = 0
  // The cursor of the last fetch: a step forwards marks what all its records did.
  let lastCursor = -1
  let since: number | undefined
  // The run whose timeline the store holds.
  let timelineFor: unknown = null

  return (set, get) => {
    const update = async (recipe: (s: FullState) => void) => {
      set((s) => {
        recipe(s)
      })
      await get().refreshSmmu()
    }
    return {
      selection: null,
      inspecting: null,
      centreTab: 'queues',
      strtabWindow: { from: 0, to: 32 },
      cdSid: null,
      cdFrom: 0,
      walkAt: null,
      smmu: null,
      hyp: null,
      timeline: null,
      hostCommand: null,
      memPage: null,
      memRange: null,
      trapFrom: null,

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
      async journalRowsFor(ranges) {
        const { cursor } = get()
        const parts = await Promise.all(ranges.map(([from, to]) => engine.view(cursor, { journal: { from, to } })))
        return parts.flatMap((p) => p.journal ?? [])
      },
      setCentreTab: (t) =>
        update((s) => {
          s.centreTab = t
        }),
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

      async refreshSmmu() {
        const st = get()
        if (st.summary === null) return
        const { cursor } = st
        if (cursor !== lastCursor) {
          since = lastCursor >= 0 && lastCursor < cursor ? lastCursor : undefined
          lastCursor = cursor
        }
        const tab = st.centreTab
        const req: SmmuViewRequest = {
          strtab: tab === 'streams' ? { from: st.strtabWindow.from, to: st.strtabWindow.to, since } : undefined,
          cd: tab === 'streams' && st.cdSid !== null ? { sid: st.cdSid, from: st.cdFrom, to: st.cdFrom + CD_PAGE } : undefined,
          walk: tab === 'walk' ? { at: st.walkAt ?? undefined } : undefined,
          iotlb: tab === 'caches' ? { since } : undefined,
          cfgcache: tab === 'caches' ? { since } : undefined,
          inspect: st.inspecting ?? undefined,
          related: st.selection ?? undefined,
        }
        const hyp: HypViewRequest = {
          cmdq: tab === 'queues' ? {} : undefined,
          strtab: tab === 'streams' ? { from: st.strtabWindow.from, to: st.strtabWindow.to } : undefined,
          traplog: tab === 'traps' ? (st.trapFrom === null ? {} : { from: st.trapFrom, to: st.trapFrom + 40 }) : undefined,
          memmap: tab === 'memory' ? (st.memRange ?? {}) : undefined,
          page: tab === 'memory' && st.memPage !== null ? { pa: st.memPage } : undefined,
          hostCommand: st.hostCommand ?? undefined,
          registers: true,
        }
        // The strip changes only with the run: fetch it once per loaded summary.
        const wantTimeline = timelineFor !== st.summary
        const summary = st.summary
        const mine = ++seq
        const vm = await engine.view(cursor, { smmu: req, hyp, timeline: wantTimeline })
        if (mine !== seq) return
        if (wantTimeline) timelineFor = summary
        set((s) => {
          s.smmu = castDraft(vm.smmu ?? null)
          s.hyp = castDraft(vm.hyp ?? null)
          if (vm.timeline) s.timeline = castDraft(vm.timeline)
        })
      },
    }
  }
}
