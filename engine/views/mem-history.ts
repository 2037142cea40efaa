import { wordsFromBytes } from '../arch/layout'
import type { JRecord } from '../journal/journal'
import type { PhysMem } from '../mem/physmem'

/** Bytes [pa, pa + len) at the cursor, or null where memory does not exist there. */
export function readNow(mem: PhysMem, pa: number, len: number): Uint8Array | null {
  return mem.contains(pa, len) ? mem.readBytes(pa, len) : null
}

/**
 * The 64-bit words at `pa` as they were at cursor `since`, given the memory at
 * `cursor` (since ≤ cursor): the old bytes of records [since, cursor) that
 * touch the range are put back, newest first. Null outside memory.
 */
export function wordsAt(mem: PhysMem, records: readonly JRecord[], since: number, cursor: number, pa: number, words: number): bigint[] | null {
  const len = words * 8
  const now = readNow(mem, pa, len)
  if (!now) return null
  const out = now.slice()
  for (let i = Math.min(cursor, records.length) - 1; i >= Math.max(0, since); i--) {
    const changes = records[i].mem
    if (!changes) continue
    for (let k = changes.length - 1; k >= 0; k--) {
      const c = changes[k]
      const a = Math.max(pa, c.pa)
      const b = Math.min(pa + len, c.pa + c.old.length)
      for (let x = a; x < b; x++) out[x - pa] = c.old[x - c.pa]
    }
  }
  return wordsFromBytes(out, words)
}
