import { castDraft } from 'immer'
import type { CursorMove } from '../../engine/api-types'
import { STEP_CALLS, type StepName } from './navigate'
import type { FullSlice } from './selection-slice'
import type { CursorSlice } from './types'
import type { ViewFetcher } from './view-fetch'

export function createCursorSlice(fetcher: ViewFetcher): FullSlice<CursorSlice> {
  return (set, get) => {
    // Each move is one round trip (engine stepView: the move and the view
    // there). Moves run one after another, each from the cursor the one
    // before left: F11 pressed twice steps twice.
    const move = (m: () => CursorMove | null) =>
      fetcher.move(get, set, m, (s, r) => {
        s.stoppedAt = r.breakpoint
      })

    const step = (name: StepName) => () => {
      const [kind, direction] = STEP_CALLS[name]
      return move(() => ({ kind: 'step', step: kind, direction, granularity: get().granularity }))
    }

    const cont = (direction: 'forward' | 'backward') => () => move(() => ({ kind: 'runTo', breakpoints: [...get().breakpoints], direction }))

    return {
      cursor: 0,
      records: 0,
      granularity: 'record',
      breakpoints: [],
      stoppedAt: null,

      setCursor(n) {
        if (!Number.isFinite(n) || get().summary === null) return Promise.resolve()
        const c = Math.max(0, Math.min(get().records, Math.trunc(n)))
        if (c === get().cursor && get().view !== null) return Promise.resolve()
        // The target is known: the cursor shows it at once (a row clicked, the strip scrubbed); the view follows.
        set((s) => {
          s.cursor = c
        })
        return move(() => ({ kind: 'seek', to: c }))
      },

      setGranularity(g) {
        set((s) => {
          s.granularity = g
        })
      },

      setBreakpoints(b) {
        set((s) => {
          s.breakpoints = castDraft(b.map((q) => ({ ...q })))
        })
      },

      stepInto: step('stepInto'),
      stepOver: step('stepOver'),
      stepOut: step('stepOut'),
      stepBackInto: step('stepBackInto'),
      stepBackOver: step('stepBackOver'),
      stepBackOut: step('stepBackOut'),
      toStart: () => move(() => ({ kind: 'seek', to: 0 })),
      toEnd: () => move(() => ({ kind: 'seek', to: get().records })),
      continueForward: cont('forward'),
      continueBack: cont('backward'),
    }
  }
}
