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
 * Rows with their positions and React keys, in key order. Each row is placed
 * by its position on its own, and keyed by its position modulo the number of
 * rows: a window that moves on by k rows keeps the keys (so the elements) of
 * the rows it keeps and gives its k new rows the keys of the k it dropped,
 * and the order of the keys never changes. A page move then updates k rows
 * in place instead of removing k elements and making k new ones (style and
 * layout for a row made afresh cost more than for a row's new text). Rows
 * whose keys would repeat (positions not consecutive, for a moment after
 * spans were collapsed or expanded) are keyed by record instead, after the others.
 */
export function rowSlots<R>(rows: readonly R[], position: (row: R) => number, record: (row: R) => number): { readonly row: R; readonly position: number; readonly key: string }[] {
  const used = new Set<number>()
  const slots = rows.map((row) => {
    const p = position(row)
    const k = p % rows.length
    const slot = used.has(k) ? rows.length + record(row) : k
    used.add(slot)
    return { row, position: p, slot }
  })
  slots.sort((a, b) => a.slot - b.slot)
  return slots.map(({ row, position: p, slot }) => ({ row, position: p, key: slot < rows.length ? `s${slot}` : `r${slot - rows.length}` }))
}
