/**
 * Structural sharing for view models: every part of `next` that equals the
 * same part of `prev` is replaced by `prev`'s object, so a panel whose view
 * did not change keeps the same reference, its selector returns the same
 * value, and React skips it (zustand compares with Object.is, React.memo by
 * reference). A step usually changes a few rows of a few panels. Rows are
 * matched as the worker's deltas match them (engine/views/delta.ts), so a
 * part sent as a delta keeps the same objects this would.
 */

import { isPlain, mapPlain, rowKey, type Plain } from '../../engine/views/delta'
import { sameView } from '../../engine/views/same'

function reuseArray(prev: readonly unknown[], next: readonly unknown[]): readonly unknown[] {
  const key = rowKey(prev, next)
  let byKey: Map<unknown, unknown> | undefined
  if (key !== undefined) byKey = new Map(prev.map((e) => [(e as Plain)[key], e]))
  return next.map((e, k) => {
    const old = byKey !== undefined ? byKey.get((e as Plain)[key!]) : prev[k]
    return old === undefined ? e : reuse(old, e)
  })
}

/**
 * `next`, with every part equal to the corresponding part of `prev` taken
 * from `prev` (all of `prev` when they are equal). Equality is the engine's
 * own test for view parts (`sameView`): it allocates nothing, so an
 * unchanged part costs one walk. A changed part is walked again at each
 * level on the way down to what changed; building the result in a single
 * walk instead measured slower on the heavy scenario's views (0.35 against
 * 0.28 ms a view), its bookkeeping costing more than the walks it saves.
 */
export function reuse<T>(prev: unknown, next: T): T {
  if (sameView(prev, next)) return prev as T
  if (Array.isArray(prev) && Array.isArray(next)) return reuseArray(prev, next) as T
  if (isPlain(prev) && isPlain(next)) return mapPlain(next, (k) => (Object.hasOwn(prev, k) ? reuse(prev[k], next[k]) : next[k])) as T
  return next
}
