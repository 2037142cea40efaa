import { castDraft } from 'immer'
import type { ViewRequest } from '../../engine/api-types'
import type { EnginePort } from '../bridge/engine-port'
import type { Slice, ViewSlice } from './types'

export function createViewSlice(engine: EnginePort): Slice<ViewSlice> {
  // Responses arrive out of order when the user scrubs; only the newest counts.
  let stateSeq = 0
  let journalSeq = 0

  async function fetchView(withState: boolean, get: () => ViewSlice & { cursor: number; records: number }) {
    const { cursor, records, journalWindow } = get()
    const from = Math.max(0, Math.min(journalWindow.from, records))
    const to = Math.max(from, Math.min(journalWindow.to, records))
    const js = ++journalSeq
    const ss = withState ? ++stateSeq : stateSeq
    const request: ViewRequest = withState
      ? { journal: { from, to }, registers: true, cmdq: {}, evtq: {} }
      : { journal: { from, to } }
    return { js, ss, from, vm: await engine.view(cursor, request) }
  }

  return (set, get) => ({
    view: null,
    journalRows: [],
    journalFrom: 0,
    journalWindow: { from: 0, to: 64 },

    async setJournalWindow(from, to) {
      const w = get().journalWindow
      if (w.from === from && w.to === to) return
      set((s) => {
        s.journalWindow = { from, to }
      })
      if (get().summary === null) return
      const { js, from: f, vm } = await fetchView(false, get)
      if (js !== journalSeq) return
      set((s) => {
        s.journalRows = castDraft(vm.journal ?? [])
        s.journalFrom = f
      })
    },

    async refresh() {
      if (get().summary === null) return
      const { js, ss, from, vm } = await fetchView(true, get)
      set((s) => {
        if (ss === stateSeq) s.view = castDraft(vm)
        if (js === journalSeq) {
          s.journalRows = castDraft(vm.journal ?? [])
          s.journalFrom = from
        }
      })
    },
  })
}
