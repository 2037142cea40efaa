import { castDraft } from 'immer'
import type { EnginePort } from '../bridge/engine-port'
import { STEP_CALLS, type StepName } from './navigate'
import type { CursorSlice, Slice } from './types'

export function createCursorSlice(engine: EnginePort): Slice<CursorSlice> {
  return (set, get) => {
    async function go(target: Promise<number> | number, stoppedAt: number | null = null): Promise<void> {
      const before = get().cursor
      const t = await target
      // A step that was overtaken by another (the user pressed twice) is dropped.
      if (get().cursor !== before) return
      set((s) => {
        s.stoppedAt = stoppedAt
      })
      await get().setCursor(t)
    }

    const step = (name: StepName) => () => {
      const [kind, direction] = STEP_CALLS[name]
      const { cursor, granularity } = get()
      return go(engine.step(cursor, kind, direction, granularity))
    }

    const cont = (direction: 'forward' | 'backward') => async () => {
      const { cursor, breakpoints } = get()
      const before = cursor
      const r = await engine.runTo([...breakpoints], cursor, direction)
      if (get().cursor !== before) return
      await go(r.cursor, r.breakpoint)
    }

    return {
      cursor: 0,
      records: 0,
      granularity: 'record',
      breakpoints: [],
      stoppedAt: null,

      async setCursor(n) {
        const c = Math.max(0, Math.min(get().records, Math.trunc(n)))
        if (c === get().cursor && get().view !== null) return
        set((s) => {
          s.cursor = c
        })
        await get().refresh()
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
      toStart: () => go(0),
      toEnd: () => go(get().records),
      continueForward: cont('forward'),
      continueBack: cont('backward'),
    }
  }
}
