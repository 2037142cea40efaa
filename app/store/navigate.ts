/**
 * Where each step lands, computed from journal rows alone.
 *
 * Cursor c means records [0, c) are applied; record c is the next one (the
 * debugger's "current line"). The journal is a pre-order walk of nested spans,
 * so the nearest earlier record with a smaller depth is the innermost span
 * enclosing record c, and a span's `end` is the first record after it.
 */
import type { JournalRow } from '../../engine/api-types'

/** Consecutive journal rows: rows[k].i === from + k. */
export interface RowWindow {
  readonly from: number
  readonly rows: readonly JournalRow[]
}

function rowAt(w: RowWindow, i: number): JournalRow | undefined {
  return w.rows[i - w.from]
}

/** Depth of the next record, or 0 at the end (nothing left is nested). */
export function depthAt(w: RowWindow, c: number, records: number): number {
  if (c >= records) return 0
  return rowAt(w, c)?.depth ?? 0
}

/** Step over: apply the next record and, if it opens a span, the whole span. */
export function overTarget(next: JournalRow | undefined, c: number, records: number): number {
  if (c >= records || next === undefined) return records
  return Math.min(records, Math.max(c + 1, next.end ?? c + 1))
}

/**
 * Scan backwards from c - 1 for the first record whose depth satisfies `accept`.
 * Returns its index, or undefined when the window does not reach far enough back
 * (the caller fetches an earlier window), or -1 when there is none at all.
 */
export function scanBack(w: RowWindow, c: number, accept: (depth: number) => boolean): number | undefined {
  for (let i = c - 1; i >= w.from; i--) {
    const row = rowAt(w, i)
    if (row === undefined) return undefined
    if (accept(row.depth)) return i
  }
  return w.from === 0 ? -1 : undefined
}

/** Step out: finish the innermost span that encloses the next record. */
export function outTarget(w: RowWindow, c: number, records: number): number | undefined {
  if (c >= records) return records
  const d = depthAt(w, c, records)
  if (d === 0) return records
  const parent = scanBack(w, c, (depth) => depth < d)
  if (parent === undefined) return undefined
  if (parent < 0) return records
  return Math.min(records, rowAt(w, parent)?.end ?? records)
}

/** Step back over: back to the start of the previous record at the same or a shallower depth. */
export function backOverTarget(w: RowWindow, c: number, records: number): number | undefined {
  if (c <= 0) return 0
  const d = depthAt(w, c, records)
  const found = scanBack(w, c, (depth) => depth <= d)
  if (found === undefined) return undefined
  return Math.max(0, found)
}

/** Step back out: back to the start of the span that encloses the next record. */
export function backOutTarget(w: RowWindow, c: number, records: number): number | undefined {
  if (c <= 0) return 0
  const d = depthAt(w, c, records)
  if (d === 0) return 0
  const found = scanBack(w, c, (depth) => depth < d)
  if (found === undefined) return undefined
  return Math.max(0, found)
}
