import { PhysMem } from '../mem/physmem'
import type { JRecord } from './journal'

/**
 * The state at a cursor, rebuilt from the journal alone: physical memory and
 * every journaled map. Cursor c means records [0, c) are applied.
 * Stepping back applies the old values; nothing here knows what a record means.
 */
export class ReplayState {
  readonly mem: PhysMem
  readonly maps: Map<string | number, unknown>[]
  cursor = 0

  constructor(
    private readonly records: readonly JRecord[],
    mapCount: number,
    ram: { base: number; size: number },
  ) {
    this.mem = new PhysMem(ram.base, ram.size)
    this.maps = Array.from({ length: mapCount }, () => new Map<string | number, unknown>())
  }

  private apply(rec: JRecord, forward: boolean): void {
    if (rec.mem) {
      const list = forward ? rec.mem : [...rec.mem].reverse()
      for (const m of list) this.mem.poke(m.pa, forward ? m.value : m.old)
    }
    if (rec.changes) {
      const list = forward ? rec.changes : [...rec.changes].reverse()
      for (const [id, key, old, value] of list) {
        const v = forward ? value : old
        if (v === undefined) this.maps[id].delete(key)
        else this.maps[id].set(key, v)
      }
    }
  }

  /** Move to cursor `c` (clamped to [0, records.length]). */
  seek(c: number): void {
    const target = Math.max(0, Math.min(this.records.length, Math.trunc(c)))
    while (this.cursor < target) this.apply(this.records[this.cursor++], true)
    while (this.cursor > target) this.apply(this.records[--this.cursor], false)
  }
}
