/**
 * The journal as a tree of spans with some collapsed: a collapsed span at
 * record s (ending before record e) hides records [s + 1, e). Rows are laid
 * out by arithmetic, so the panel needs record index ↔ row position both
 * ways; hidden ranges are kept merged and sorted.
 */

/** Half-open record ranges [from, to), sorted and disjoint. */
export type Hidden = readonly (readonly [number, number])[]

/** The ranges collapsed spans hide (a span inside a collapsed one adds nothing). */
export function hiddenRanges(collapsed: ReadonlyMap<number, number>): Hidden {
  const spans = [...collapsed.entries()].map(([s, e]) => [s + 1, e] as const).filter(([a, b]) => b > a).sort((x, y) => x[0] - y[0])
  const out: [number, number][] = []
  for (const [a, b] of spans) {
    const last = out[out.length - 1] as [number, number] | undefined
    if (last && a <= last[1]) last[1] = Math.max(last[1], b)
    else out.push([a, b])
  }
  return out
}

/** Records hidden before record `i`. */
function hiddenBefore(h: Hidden, i: number): number {
  let n = 0
  for (const [a, b] of h) {
    if (a >= i) break
    n += Math.min(b, i) - a
  }
  return n
}

/** Whether record `i` is hidden. */
export function isHidden(h: Hidden, i: number): boolean {
  return h.some(([a, b]) => i >= a && i < b)
}

/** Row position of record `i` (a hidden record sits where its collapsed span's next visible row would). */
export function positionOf(h: Hidden, i: number): number {
  return i - hiddenBefore(h, i)
}

/** The record shown at row position `p` (the first visible record at or after it). */
export function recordAt(h: Hidden, p: number): number {
  let i = p
  for (const [a, b] of h) {
    if (a > i) break
    i += b - a
  }
  return i
}

/** Total rows for `records` records. */
export function rowCount(h: Hidden, records: number): number {
  return records - hiddenBefore(h, records)
}

/** Visible record ranges covering row positions [p0, p1): what to fetch. */
export function visibleRanges(h: Hidden, p0: number, p1: number, records: number): [number, number][] {
  const out: [number, number][] = []
  let i = recordAt(h, p0)
  let left = p1 - p0
  for (const [a, b] of h) {
    if (left <= 0 || i >= records) break
    if (b <= i) continue
    if (a > i) {
      const n = Math.min(a - i, left)
      out.push([i, i + n])
      left -= n
    }
    i = Math.max(i, b)
  }
  if (left > 0 && i < records) out.push([i, Math.min(records, i + left)])
  return out
}
