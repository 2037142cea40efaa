/**
 * The hypervisor's IOMMU page pool: a carve-out of RAM the kernel hands to
 * EL2 at boot (kvm_iommu_init(pool_base, nr_pages) in the series), sized
 * host_s2_pgtable_pages() + 500 pages. The identity stage 2's tables and the
 * shadow L2 stream tables come from it.
 *
 * Allocation is deterministic: the lowest free run that fits, aligned to its
 * own size as hyp_alloc_pages() returns buddy blocks. The allocator's state
 * (the bump index and the freed pages below it) is a journaled map, so replay
 * restores it like any other state.
 */

import type { Journal, JMap, JRecord } from '../journal/journal'
import type { PhysMem } from '../mem/physmem'
import { ERRNO } from './hypercalls'

export { carveOut, hostS2PgtablePages, hypPgtableMaxPages, iommuPoolPages, SHADOW_PAGES } from '../pgtable/pool-size'

export interface PoolOptions {
  readonly journal: Journal
  /** PA of the first pool page (PAGE_SIZE aligned). */
  readonly base: number
  readonly pages: number
  readonly pageShift: number
  /** Journaled-map name; one per pool. */
  readonly name?: string
}

/** Key of the bump index in the pool map; freed pages are keyed by their page index. */
const NEXT = 'next'

export class HypPool {
  readonly base: number
  readonly pages: number
  readonly pageSize: number
  private readonly state: JMap<string | number, number | true>
  /** Sorted page indexes freed below `next` (a cache of the map's numeric keys). */
  private freed: number[] = []

  constructor(opts: PoolOptions) {
    this.pageSize = 2 ** opts.pageShift
    if (opts.base % this.pageSize !== 0) throw new RangeError(`pool base 0x${opts.base.toString(16)} is not PAGE_SIZE aligned`)
    this.base = opts.base
    this.pages = opts.pages
    this.state = opts.journal.map(opts.name ?? 'hyp.iommu_pool', 'hyp')
  }

  /** After the map was restored behind this object's back: rebuild the freed-page cache from its keys. */
  restore(): void {
    this.freed = [...this.state.keys()].filter((k): k is number => typeof k === 'number').sort((a, b) => a - b)
  }

  private get next(): number {
    return (this.state.get(NEXT) as number | undefined) ?? 0
  }

  /** Pages handed out and not freed. */
  get used(): number {
    return this.next - this.freed.length
  }

  get available(): number {
    return this.pages - this.used
  }

  contains(pa: number): boolean {
    return pa >= this.base && pa < this.base + this.pages * this.pageSize
  }

  /**
   * `count` contiguous pages whose physical address is aligned to `count`
   * pages (a power of two: queues and tables need natural alignment), or
   * undefined when the pool cannot supply them (-ENOMEM). Contents are not
   * cleared: callers zero what they use (as io-pgtable does with fresh tables).
   * Changes go to `rec`, or to a `state` record of their own.
   */
  alloc(count = 1, rec?: JRecord): number | undefined {
    if (count < 1 || !Number.isInteger(Math.log2(count))) throw new RangeError(`pool: ${count} pages is not a power of two`)
    // Alignment is of the physical address, not of the index within the pool.
    const off = (this.base / this.pageSize) % count
    // Lowest freed run first, then the bump index.
    for (let i = 0; i < this.freed.length; i++) {
      const start = this.freed[i]
      if ((start + off) % count !== 0 || i + count > this.freed.length || this.freed[i + count - 1] !== start + count - 1) continue
      this.freed.splice(i, count)
      for (let k = 0; k < count; k++) this.state.delete(start + k, rec)
      return this.base + start * this.pageSize
    }
    const next = this.next
    const start = Math.ceil((next + off) / count) * count - off
    if (start + count > this.pages) return undefined
    // Pages skipped for alignment become free (sorted: they are above every freed page).
    for (let k = next; k < start; k++) {
      this.freed.push(k)
      this.state.set(k, true, rec)
    }
    this.state.set(NEXT, start + count, rec)
    return this.base + start * this.pageSize
  }

  /** Give back `count` pages starting at `pa` (hyp_put_page). */
  free(pa: number, count = 1, rec?: JRecord): void {
    const first = (pa - this.base) / this.pageSize
    if (!Number.isInteger(first) || first < 0 || first + count > this.next) throw new RangeError(`pool: 0x${pa.toString(16)} was not allocated from this pool`)
    for (let k = first; k < first + count; k++) {
      if (this.state.has(k)) throw new RangeError(`pool: page 0x${(this.base + k * this.pageSize).toString(16)} freed twice`)
      this.state.set(k, true, rec)
      const at = this.freed.findIndex((x) => x > k)
      if (at < 0) this.freed.push(k)
      else this.freed.splice(at, 0, k)
    }
  }
}

/**
 * The pool as the SMMU half asks for memory (kvm_iommu_donate_pages):
 * `bytes` aligned to `align`, zeroed, or -ENOMEM (-12).
 */
export function zeroedAllocator(pool: HypPool, mem: PhysMem): { alloc(bytes: number, align: number): number } {
  return {
    alloc(bytes: number, align: number): number {
      const pages = 2 ** Math.ceil(Math.log2(Math.max(bytes, align, pool.pageSize) / pool.pageSize))
      const pa = pool.alloc(pages)
      if (pa === undefined) return -ERRNO.ENOMEM
      const zero = new Uint8Array(4096)
      for (let off = 0; off < pages * pool.pageSize; off += 4096) mem.writeBytes(pa + off, zero, 'hyp')
      return pa
    },
  }
}
