import type { EnginePort } from '../bridge/engine-port'
import { backOutTarget, backOverTarget, outTarget, overTarget, type RowWindow } from './navigate'
import type { CursorSlice, Slice } from './types'

/** Rows fetched per round trip when a step must look backwards for a span start. */
export const SCAN_CHUNK = 2048

export function createCursorSlice(engine: EnginePort): Slice<CursorSlice> {
  return (set, get) => {
    async function rows(from: number, to: number): Promise<RowWindow> {
      const vm = await engine.view(get().cursor, { journal: { from, to } })
      return { from, rows: vm.journal ?? [] }
    }

    /**
     * Runs `target` on ever larger windows ending just after the cursor until it
     * can decide (a span's start may lie far back, e.g. after a bulk identity map).
     */
    async function backwards(target: (w: RowWindow, c: number, n: number) => number | undefined): Promise<number> {
      const { cursor: c, records: n } = get()
      let from = c
      for (;;) {
        from = Math.max(0, from - SCAN_CHUNK)
        const w = await rows(from, Math.min(n, c + 1))
        const t = target(w, c, n)
        if (t !== undefined) return t
        if (from === 0) return 0
      }
    }

    async function go(target: Promise<number> | number): Promise<void> {
      const before = get().cursor
      const t = await target
      // A step that was overtaken by another (the user pressed twice) is dropped.
      if (get().cursor !== before) return
      await get().setCursor(t)
    }

    return {
      cursor: 0,
      records: 0,

      async setCursor(n) {
        const c = Math.max(0, Math.min(get().records, Math.trunc(n)))
        if (c === get().cursor && get().view !== null) return
        set((s) => {
          s.cursor = c
        })
        await get().refresh()
      },

      stepInto: () => go(get().cursor + 1),
      stepBackInto: () => go(get().cursor - 1),
      toStart: () => go(0),
      toEnd: () => go(get().records),

      stepOver: () =>
        go(
          (async () => {
            const { cursor: c, records: n } = get()
            if (c >= n) return n
            const w = await rows(c, c + 1)
            return overTarget(w.rows[0], c, n)
          })(),
        ),
      stepOut: () => go(backwards(outTarget)),
      stepBackOver: () => go(backwards(backOverTarget)),
      stepBackOut: () => go(backwards(backOutTarget)),
    }
  }
}
