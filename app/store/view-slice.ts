import type { EnginePort } from '../bridge/engine-port'
import type { FullSlice } from './selection-slice'
import type { ViewSlice } from './types'
import type { ViewFetcher } from './view-fetch'

export function createViewSlice(engine: EnginePort, fetcher: ViewFetcher): FullSlice<ViewSlice> {
  return (set, get) => ({
    view: null,
    journalRows: [],
    journalFrom: 0,
    journalWindow: { from: 0, to: 64 },
    journalFollow: null,
    journalScroll: null,

    async setJournalWindow(from, to, follow) {
      const w = get().journalWindow
      const same = w.from === from && w.to === to
      set((s) => {
        if (follow !== undefined) s.journalFollow = follow
        if (!same) s.journalWindow = { from, to }
      })
      if (!same) await fetcher.pull(get, set, ['journal'])
    },

    // A seek to the cursor: the journal window follows it (a run opens at its end).
    refresh: () => fetcher.move(get, set, () => ({ kind: 'seek', to: get().cursor })),

    async journalJsonl(progress) {
      const summary = get().summary
      if (summary === null) return null
      // Pieces of a few MiB, each within a call's deadline; their bytes are transferred, not copied.
      const parts: Uint8Array<ArrayBuffer>[] = []
      let from: number | null = 0
      while (from !== null) {
        const chunk = await engine.exportJsonl(from)
        // Another scenario loaded meanwhile: the pieces would mix two runs.
        if (get().summary !== summary) return null
        parts.push(chunk.bytes)
        from = chunk.next
        progress?.(chunk.next ?? summary.records, summary.records)
      }
      return new Blob(parts, { type: 'application/x-ndjson' })
    },
  })
}
