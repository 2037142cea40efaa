/**
 * The journal panel's rows by arithmetic (fixed row height, no
 * measurement): which rows the scroll position shows whole, how many it
 * spans, and the window of rows to fetch (`overscan` more on each side).
 * A cursor move that leaves the whole rows brings the window along in the
 * same round trip (engine stepView's `follow`), which centres the cursor's
 * row and answers the top row to scroll to; scrolled there, this function
 * gives back exactly that window, so nothing is fetched twice.
 */
export interface JournalGeometry {
  /** Rows to fetch [p0, p1). */
  readonly p0: number
  readonly p1: number
  /** Rows [top, top + visible) are shown whole. */
  readonly top: number
  readonly visible: number
  /** Rows the viewport's height spans (the last may be cut). */
  readonly span: number
}

export function journalGeometry(scrollTop: number, height: number, rowHeight: number, overscan: number): JournalGeometry {
  const top = Math.ceil(scrollTop / rowHeight)
  const bottom = Math.floor((scrollTop + height) / rowHeight)
  return {
    p0: Math.max(0, Math.floor(scrollTop / rowHeight) - overscan),
    p1: Math.ceil((scrollTop + height) / rowHeight) + overscan,
    top,
    visible: Math.max(1, bottom - top),
    span: Math.max(1, Math.ceil(height / rowHeight)),
  }
}

/** Whether two geometries show the same rows and fetch the same window. */
export function sameJournalGeometry(a: JournalGeometry, b: JournalGeometry): boolean {
  return a.p0 === b.p0 && a.p1 === b.p1 && a.top === b.top && a.visible === b.visible && a.span === b.span
}

/**
 * Rows split into runs at consecutive positions, each with the position of
 * its first row: a run is drawn as one block at that row's place. The rows of
 * a window are one run; more only for a moment, while rows fetched before
 * spans were collapsed or expanded are still on screen.
 */
export function rowRuns<R>(rows: readonly R[], position: (row: R) => number): { readonly top: number; readonly rows: readonly R[] }[] {
  const runs: { top: number; rows: R[] }[] = []
  let next = Number.NaN
  for (const r of rows) {
    const p = position(r)
    if (p !== next) runs.push({ top: p, rows: [] })
    runs[runs.length - 1].rows.push(r)
    next = p + 1
  }
  return runs
}
