/**
 * The rows a virtualized list of fixed-height rows fetches for a scroll
 * position: those the viewport touches, `overscan` more on each side. Two
 * positions with the same window draw the same rows, so a list redraws only
 * when a row enters or leaves it, not for every pixel the wheel scrolls.
 */
import type { Viewport } from './useScrollViewport'

/** Rows [from, to) for viewport `v` (at least one row). */
export function rowWindow(v: Viewport, rowHeight: number, overscan: number): { readonly from: number; readonly to: number } {
  const from = Math.max(0, Math.floor(v.top / rowHeight) - overscan)
  const to = Math.ceil((v.top + v.height) / rowHeight) + overscan
  return { from, to: Math.max(from + 1, to) }
}

/** Whether two viewports give the same row window. */
export function sameRowWindow(a: Viewport, b: Viewport, rowHeight: number, overscan: number): boolean {
  const x = rowWindow(a, rowHeight, overscan)
  const y = rowWindow(b, rowHeight, overscan)
  return x.from === y.from && x.to === y.to
}
