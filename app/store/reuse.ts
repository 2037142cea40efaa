/**
 * Structural sharing for view models: every part of `next` that equals the
 * same part of `prev` is replaced by `prev`'s object, so a panel whose view
 * did not change keeps the same reference, its selector returns the same
 * value, and React skips it (zustand compares with Object.is, React.memo by
 * reference). A step usually changes a few rows of a few panels.
 */

/** Fields that name a row: arrays of rows are matched by them, not by position (a scrolled window shifts its rows). */
const ROW_KEYS = ['i', 'record', 'index', 'sid', 'seq', 'name'] as const

type Plain = Record<string, unknown>

function isPlain(v: unknown): v is Plain {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return false
  const proto = Object.getPrototypeOf(v) as unknown
  return proto === Object.prototype || proto === null
}

/** The key field every element of both arrays has, with a distinct primitive value in `prev`. */
function rowKey(prev: readonly unknown[], next: readonly unknown[]): string | undefined {
  if (prev.length === 0 || next.length === 0) return undefined
  const first = prev[0]
  if (!isPlain(first)) return undefined
  for (const k of ROW_KEYS) {
    if (!(k in first)) continue
    const seen = new Set<unknown>()
    let ok = true
    for (const e of prev) {
      const v = isPlain(e) ? e[k] : undefined
      if ((typeof v !== 'number' && typeof v !== 'string') || seen.has(v)) {
        ok = false
        break
      }
      seen.add(v)
    }
    if (ok && next.every((e) => isPlain(e) && (typeof e[k] === 'number' || typeof e[k] === 'string'))) return k
  }
  return undefined
}

function reuseArray(prev: readonly unknown[], next: readonly unknown[]): readonly unknown[] {
  const key = rowKey(prev, next)
  let byKey: Map<unknown, unknown> | undefined
  if (key !== undefined) byKey = new Map(prev.map((e) => [(e as Plain)[key], e]))
  let same = prev.length === next.length
  const out = next.map((e, k) => {
    const old = byKey !== undefined ? byKey.get((e as Plain)[key!]) : prev[k]
    const r = old === undefined ? e : reuse(old, e)
    if (r !== prev[k]) same = false
    return r
  })
  return same ? prev : out
}

function reuseObject(prev: Plain, next: Plain): Plain {
  const keys = Object.keys(next)
  let same = keys.length === Object.keys(prev).length
  const out: Plain = {}
  for (const k of keys) {
    const r = k in prev ? reuse(prev[k], next[k]) : next[k]
    if (r !== prev[k] || !(k in prev)) same = false
    out[k] = r
  }
  return same ? prev : out
}

/** `next`, with every part equal to the corresponding part of `prev` taken from `prev` (all of `prev` when they are equal). */
export function reuse<T>(prev: unknown, next: T): T {
  if (Object.is(prev, next)) return prev as T
  if (Array.isArray(prev) && Array.isArray(next)) return reuseArray(prev, next) as T
  if (isPlain(prev) && isPlain(next)) return reuseObject(prev, next) as T
  return next
}
