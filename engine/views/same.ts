/**
 * Structural equality of two view values (plain objects, arrays and
 * primitives: what the views build and the structured clone carries), with
 * the same keys on both sides; no allocation, so comparing a view that did
 * not change costs one walk over it.
 */
export function sameView(a: unknown, b: unknown): boolean {
  if (Object.is(a, b)) return true
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false
  if (Array.isArray(a)) {
    if (!Array.isArray(b) || a.length !== b.length) return false
    for (let k = 0; k < a.length; k++) if (!sameView(a[k], b[k])) return false
    return true
  }
  if (Array.isArray(b)) return false
  const x = a as Record<string, unknown>
  const y = b as Record<string, unknown>
  let n = 0
  for (const k in y) {
    if (!Object.hasOwn(y, k)) continue
    if (!Object.hasOwn(x, k) || !sameView(x[k], y[k])) return false
    n++
  }
  for (const k in x) if (Object.hasOwn(x, k)) n--
  return n === 0
}
