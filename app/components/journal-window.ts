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
 * Slots for rows, as React keys: a row keeps the slot it had while it stays
 * in the window; a row that comes into it takes a slot a row leaving it
 * freed (lowest first), and a new slot only when the window is longer than
 * before. Rows are drawn in slot order, each placed by its position on its
 * own: a page move that brings k rows updates the k elements the k dropped
 * rows had, in place (none is made, removed or moved, and the rows kept are
 * not touched), instead of removing k elements and making k new ones.
 * `prev` maps record → slot as returned for the rows drawn before.
 */
export function rowSlots<R>(prev: ReadonlyMap<number, number>, rows: readonly R[], record: (row: R) => number): { readonly slots: ReadonlyMap<number, number>; readonly order: readonly R[] } {
  const slots = new Map<number, number>()
  const taken = new Set<number>()
  for (const r of rows) {
    const s = prev.get(record(r))
    if (s !== undefined) {
      slots.set(record(r), s)
      taken.add(s)
    }
  }
  let next = 0
  for (const r of rows) {
    if (slots.has(record(r))) continue
    while (taken.has(next)) next++
    slots.set(record(r), next)
    taken.add(next)
  }
  const order = [...rows].sort((a, b) => slots.get(record(a))! - slots.get(record(b))!)
  return { slots, order }
}
