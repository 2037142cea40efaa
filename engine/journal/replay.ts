import { PhysMem } from '../mem/physmem'
import { applyBlock, applyRecord, type Checkpoints } from './checkpoint'
import type { JRecord } from './journal'

/**
 * The state at a cursor, rebuilt from the journal alone: physical memory and
 * every journaled map. Cursor c means records [0, c) are applied.
 * Stepping back applies the old values; nothing here knows what a record means.
 *
 * With checkpoints, a seek crosses whole blocks (their net effect) wherever
 * one fits between here and the target, and single records only at the ends:
 * the state reached is the same as applying every record in between.
 */
export class ReplayState {
  readonly mem: PhysMem
  readonly maps: Map<string | number, unknown>[]
  cursor = 0

  constructor(
    private readonly records: readonly JRecord[],
    mapCount: number,
    ram: { base: number; size: number },
    private readonly checkpoints?: Checkpoints,
  ) {
    this.mem = new PhysMem(ram.base, ram.size)
    this.maps = Array.from({ length: mapCount }, () => new Map<string | number, unknown>())
    if (checkpoints && checkpoints.records !== records.length) throw new RangeError('checkpoints were built for another journal')
  }

  /** Move to cursor `c` (clamped to [0, records.length]). */
  seek(c: number): void {
    const target = Math.max(0, Math.min(this.records.length, Math.trunc(c)))
    const cp = this.checkpoints
    while (this.cursor < target) {
      const blk = cp?.forwardBlock(this.cursor, target)
      if (blk) {
        applyBlock(this, blk.block, true)
        this.cursor += blk.size
      } else applyRecord(this, this.records[this.cursor++], true)
    }
    while (this.cursor > target) {
      const blk = cp?.backwardBlock(this.cursor, target)
      if (blk) {
        applyBlock(this, blk.block, false)
        this.cursor -= blk.size
      } else applyRecord(this, this.records[--this.cursor], false)
    }
  }
}
