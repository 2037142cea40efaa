import type { PhysMem } from '../mem/physmem'
import type { Journal } from './journal'

/**
 * Take a live machine's state back in time: undo the records [to, length)
 * on its own journaled maps and memory, then cut the journal at `to`, so the
 * machine can record on from there as if the later records had never been
 * made (DESIGN.md "The journal": editing the scenario re-runs from the
 * checkpoint before the first changed operation).
 *
 * Only journaled state moves here; what components derive from it (indexes,
 * caches, flags) is theirs to rebuild afterwards.
 *
 * Record by record, newest first, never by checkpoint blocks: a block keeps
 * only net changes, and a key deleted then set again inside one would come
 * back with its value right but its place in the Map's order wrong (see
 * restoreOrder). The work is the records undone, far less than running them.
 */
export function rewind(j: Journal, mem: PhysMem, to: number): void {
  if (!j.resumableAt(to)) throw new RangeError(`the journal cannot be cut back to ${to} records`)
  const records = j.records
  const maps = j.maps
  /** Maps into which the rewind put back a key that had been deleted (at the end of the Map's order). */
  const reinserted = new Set<number>()
  const undo = (id: number, key: string | number, old: unknown): void => {
    const m = maps[id]
    if (old !== undefined && !m.has(key)) reinserted.add(id)
    m.poke(key, old)
  }
  let at = records.length
  while (at > to) {
    const rec = records[--at]
    const ms = rec.mem
    if (ms) for (let k = ms.length - 1; k >= 0; k--) mem.poke(ms[k].pa, ms[k].old)
    const ch = rec.changes
    if (ch) for (let k = ch.length - 1; k >= 0; k--) undo(ch[k][0], ch[k][1], ch[k][2])
  }
  for (const id of reinserted) restoreOrder(j, id, to)
  j.truncate(to)
}

/**
 * A Map iterates in the order its keys were (last) inserted, and components
 * iterate their maps: a key present at `to` sits where its last insertion
 * before `to` put it. Found by scanning back from `to` until every present
 * key has been seen being inserted (a change from absent to present).
 */
function restoreOrder(j: Journal, id: number, to: number): void {
  const m = j.maps[id]
  const stamps = new Map<string | number, number>()
  let order = 0
  for (let i = to - 1; i >= 0 && stamps.size < m.size; i--) {
    const ch = j.records[i].changes
    if (!ch) continue
    for (let k = ch.length - 1; k >= 0; k--) {
      const [mid, key, old, value] = ch[k]
      if (mid === id && old === undefined && value !== undefined && !stamps.has(key) && m.has(key)) stamps.set(key, order++)
    }
  }
  // Latest insertion found first: the Map's order is the reverse.
  m.reorder([...stamps.keys()].reverse())
}
