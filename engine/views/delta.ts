/**
 * A view part sent as its changes against a value the receiver holds
 * (stepView, MoveResult.patched): every object or array in `next` equal to
 * the held one at the same place is sent as a marker, so a step that
 * changes one queue entry sends that entry, not the window of seventy
 * (37 KB of structured clone, decoded and compared on the page's main
 * thread, four times a step with the look-aheads).
 *
 * "The same place" follows the rules the page's structural sharing
 * (app/store/reuse.ts) follows, so the value a delta rebuilds shares the
 * held value's objects exactly where reuse would: object properties by
 * name, arrays of rows by the field that names a row (a scrolled window
 * shifts its rows), other arrays by position.
 *
 * Encoding, for plain objects, arrays and primitives (what views are):
 * - `{ '@same': true }`: the held value at this place;
 * - `{ '@rows': key, items }`: an array of rows named by field `key`; an
 *   item is the key of a held row (a number or string: rows are objects)
 *   for that row unchanged, a changed row encoded against the held row
 *   with its key (its key field always sent as is), or a new row;
 * - an array or object otherwise: encoded item by item, property by
 *   property; a primitive, as is.
 * View keys never start with '@' (field names, view names): the markers
 * cannot be taken for data.
 */
import { sameView } from './same'

const SAME = '@same'
const ROWS = '@rows'
/** The one marker the encoder gives for "the held value": most rows of a step are unchanged, and none allocates. */
const SAME_MARK: Readonly<Plain> = Object.freeze({ [SAME]: true })

/** Fields that name a row: arrays of rows are matched by them, not by position (a scrolled window shifts its rows). */
const ROW_KEYS = ['i', 'record', 'index', 'sid', 'seq', 'name'] as const

export type Plain = Record<string, unknown>

export function isPlain(v: unknown): v is Plain {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return false
  const proto = Object.getPrototypeOf(v) as unknown
  return proto === Object.prototype || proto === null
}

/** The key field every element of both arrays has, with a distinct primitive value in `prev`. */
export function rowKey(prev: readonly unknown[], next: readonly unknown[]): string | undefined {
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

/**
 * A plain object with the keys of `next`, each value `value(k)`: the
 * object branch of encodeDelta and of the page's reuse. Every key becomes
 * an own property, "__proto__" too (an assignment to it would set the
 * prototype and drop the key; a value from JSON may have it).
 */
export function mapPlain(next: Plain, value: (k: string) => unknown): Plain {
  const out: Plain = {}
  for (const k of Object.keys(next)) {
    if (k === '__proto__') Object.defineProperty(out, k, { value: value(k), enumerable: true, writable: true, configurable: true })
    else out[k] = value(k)
  }
  return out
}

/** Whether a delta from encodeDelta says the whole value is the held one (on the side that encoded it). */
export function unchanged(delta: unknown): boolean {
  return delta === SAME_MARK
}

/**
 * `next` as its changes against `held` (see the file comment). Equality is
 * tested first with `sameView`, which allocates nothing: most parts of a
 * step are unchanged and cost one walk. A changed part is walked again at
 * each level on the way down to what changed; encoding in a single walk
 * instead (building each level's delta, then dropping it when all its
 * children were equal) measured slower on the heavy scenario's step views
 * (0.58–0.65 against 0.30–0.42 ms a step), as for `reuse` on the page.
 */
export function encodeDelta(held: unknown, next: unknown): unknown {
  if (typeof next !== 'object' || next === null) return next
  if (sameView(held, next)) return SAME_MARK
  if (Array.isArray(held) && Array.isArray(next)) return encodeArray(held as readonly unknown[], next as readonly unknown[])
  if (isPlain(held) && isPlain(next)) return mapPlain(next, (k) => (Object.hasOwn(held, k) ? encodeDelta(held[k], next[k]) : next[k]))
  return next
}

/** An array against the held one: rows by their key when they have one, other elements by position. */
function encodeArray(held: readonly unknown[], next: readonly unknown[]): unknown {
  const key = rowKey(held, next)
  if (key === undefined) return next.map((e, k) => (k < held.length ? encodeDelta(held[k], e) : e))
  const byKey = new Map(held.map((e) => [(e as Plain)[key], e]))
  const items = next.map((e) => {
    const k = (e as Plain)[key]
    const old = byKey.get(k)
    if (old === undefined) return e
    // An unchanged row is its key; a changed one keeps its key field as is (a primitive): the receiver finds the held row by it.
    const d = encodeDelta(old, e)
    return unchanged(d) ? k : d
  })
  return { [ROWS]: key, items }
}

/**
 * The value `delta` (from encodeDelta against a value equal to `held`)
 * stands for, built from `held`'s own objects wherever the delta says they
 * are unchanged: a panel showing them is not drawn again. Neither argument
 * is modified; objects on the way to a marker are copies.
 */
export function applyDelta<T>(held: T, delta: unknown): T {
  return resolve(held, delta) as T
}

function resolve(held: unknown, d: unknown): unknown {
  if (typeof d !== 'object' || d === null) return d
  if (Array.isArray(d)) {
    const h = Array.isArray(held) ? held : []
    let out: unknown[] | undefined
    for (let k = 0; k < d.length; k++) {
      const r = resolve(h[k], d[k])
      if (r !== d[k]) (out ??= d.slice())[k] = r
    }
    return out ?? d
  }
  const o = d as Plain
  if (Object.hasOwn(o, SAME)) {
    if (typeof held === 'object' && held !== null) return held
    throw new Error(`delta: a marker for a held value where the held value is ${held === undefined ? 'missing' : typeof held}`)
  }
  if (Object.hasOwn(o, ROWS)) {
    const key = o[ROWS] as string
    const items = o.items as unknown[]
    const byKey = new Map<unknown, unknown>()
    if (Array.isArray(held)) for (const e of held) if (isPlain(e)) byKey.set(e[key], e)
    return items.map((e) => {
      if (isPlain(e)) return resolve(byKey.get(e[key]), e)
      const old = byKey.get(e)
      if (old === undefined) throw new Error(`delta: no held row with ${key} = ${String(e)}`)
      return old
    })
  }
  let out: Plain | undefined
  const h = isPlain(held) ? held : undefined
  for (const k of Object.keys(o)) {
    const r = resolve(h?.[k], o[k])
    if (r !== o[k]) (out ??= { ...o })[k] = r
  }
  return out ?? o
}
