/**
 * io-pgtable-arm on top of the translation-table writer (pgtable/builder),
 * and the IOMMU core's iommu_map / iommu_unmap around it (SPEC-FACTS B§7):
 * page sizes picked like iommu_pgsize (the largest the alignment and the
 * length allow), runs of entries per table (map_pages / unmap_pages),
 * -EEXIST over a mapping, a block over a table frees the table (flushing
 * the walk), no splitting of a block on a partial unmap (WARN, 0 unmapped),
 * leaves reported through tlb_add_page and freed tables through tlb_flush_walk.
 */
import { classify, descAddress, DESC_ADDR } from '../arch/descriptors'
import type { PhysMem } from '../mem/physmem'
import type { MapAttrs, PageTableBuilder } from '../pgtable/builder'
import { bitsPerLevel, levelForSize, levelShift, type Granule } from '../pgtable/geometry'
import { bitmapSizes } from './probe'

/** IOMMU_READ / IOMMU_WRITE / IOMMU_CACHE (the DMA API adds CACHE for coherent devices). */
export interface IommuProt {
  readonly read: boolean
  readonly write: boolean
  readonly cache: boolean
}

/** io_pgtable flush ops (arm_smmu_flush_ops). */
export interface FlushOps {
  /** tlb_add_page: a leaf was cleared (gathered for iotlb_sync). */
  addPage(iova: number, size: number): void
  /** tlb_flush_walk: a table was freed; invalidate the walk now (non-leaf, with SYNC). */
  flushWalk(iova: number, size: number, granule: number): void
  /** A WARN the kernel would print. */
  warn(message: string): void
}

export type Errno = '-EEXIST' | '-EINVAL' | '-ERANGE'

export interface IoPgtableCfg {
  readonly stage: 1 | 2
  readonly granule: Granule
  readonly ias: number
  readonly oas: number
  /** The domain's sizes (restricted to the granule). */
  readonly pgsizeBitmap: number
}

/** The descriptor a walk stops at: the first non-table on the way, or the one at the wanted level. */
interface Slot {
  readonly level: number
  readonly cls: ReturnType<typeof classify>
}

export class IoPgtable {
  constructor(
    private readonly mem: PhysMem,
    readonly cfg: IoPgtableCfg,
    private readonly b: PageTableBuilder,
  ) {}

  get root(): number {
    return this.b.root
  }

  /** Walk towards `level` for `va` (reads only: the driver's own memory). */
  private slot(va: number, level: number): Slot {
    const g = this.cfg.granule
    const oa52 = this.cfg.oas === 52
    let table = this.b.root
    for (let l = this.b.startLevel; ; l++) {
      const bits = l === this.b.startLevel ? this.cfg.ias - levelShift(g, l) : bitsPerLevel(g)
      const idx = Math.floor(va / 2 ** levelShift(g, l)) % 2 ** bits
      const word = this.mem.read64(table + idx * 8)
      const lo = Number(word & 0xffff_ffffn)
      const cls = classify(g, l, lo, oa52)
      if (l === level || cls !== 'table') return { level: l, cls }
      table = descAddress(DESC_ADDR[this.cfg.stage - 1][g].table, lo, Number(word >> 32n))
    }
  }

  /** Entries from `va`'s index to the end of its table at `level` (arm_lpae_max_entries). */
  private maxEntries(va: number, level: number): number {
    const per = 2 ** bitsPerLevel(this.cfg.granule)
    const idx = Math.floor(va / 2 ** levelShift(this.cfg.granule, level))
    return per - (idx % per)
  }

  private attrs(prot: IommuProt): MapAttrs {
    // arm_lpae_prot_to_pte: cacheable and inner-shareable with IOMMU_CACHE, else Normal-NC and outer-shareable.
    return this.cfg.stage === 1
      ? { read: prot.read, write: prot.write, attrIndx: prot.cache ? 1 : 0, sh: prot.cache ? 'inner' : 'outer' }
      : { read: prot.read, write: prot.write, memAttr: prot.cache ? 0xf : 0x5, sh: prot.cache ? 'inner' : 'outer' }
  }

  /** arm_lpae_map_pages: up to `count` entries of `pgsize`, stopping at the end of the leaf table. */
  mapPages(iova: number, pa: number, pgsize: number, count: number, prot: IommuProt, flush: FlushOps): { mapped: number; err?: Errno } {
    const sizeBits = Math.log2(pgsize)
    if (!bitmapSizes(this.cfg.pgsizeBitmap).includes(sizeBits)) return { mapped: 0, err: '-EINVAL' }
    if (iova + pgsize > 2 ** this.cfg.ias || pa + pgsize > 2 ** this.cfg.oas) return { mapped: 0, err: '-ERANGE' }
    if (!prot.read && !prot.write) return { mapped: 0, err: '-EINVAL' }
    const level = levelForSize(this.cfg.granule, sizeBits)
    const n = Math.min(count, this.maxEntries(iova, level))
    const tables: number[] = []
    for (let i = 0; i < n; i++) {
      const va = iova + i * pgsize
      const s = this.slot(va, level)
      if (s.cls === 'table' && s.level === level) tables.push(va)
      else if (s.cls !== 'invalid') {
        flush.warn(`io-pgtable: map 0x${va.toString(16)}: a ${s.cls} is already mapped at level ${s.level} (-EEXIST)`)
        return { mapped: 0, err: '-EEXIST' }
      }
    }
    // A block replaces a table: unmap (and free) the table first, flushing the walk.
    for (const va of tables) {
      this.b.unmap(va, sizeBits)
      flush.flushWalk(va, pgsize, 2 ** this.cfg.granule)
    }
    const attrs = this.attrs(prot)
    for (let i = 0; i < n; i++) this.b.map(iova + i * pgsize, pa + i * pgsize, sizeBits, attrs)
    return { mapped: n * pgsize }
  }

  /** arm_lpae_unmap_pages: bytes unmapped (0 when nothing is mapped or a block would have to be split). */
  unmapPages(iova: number, pgsize: number, count: number, flush: FlushOps): number {
    const sizeBits = Math.log2(pgsize)
    if (!bitmapSizes(this.cfg.pgsizeBitmap).includes(sizeBits) || count === 0 || iova + pgsize > 2 ** this.cfg.ias) return 0
    const level = levelForSize(this.cfg.granule, sizeBits)
    const first = this.slot(iova, level)
    if (first.cls === 'invalid') {
      flush.warn(`io-pgtable: unmap 0x${iova.toString(16)}: nothing mapped (WARN_ON(!pte))`)
      return 0
    }
    if (first.level < level) {
      flush.warn(`io-pgtable: unmap 0x${iova.toString(16)} (0x${pgsize.toString(16)}): part of a level-${first.level} block; unmap of a partial large IOPTE is not allowed`)
      return 0
    }
    const n = Math.min(count, this.maxEntries(iova, level))
    let i = 0
    for (; i < n; i++) {
      const va = iova + i * pgsize
      const s = this.slot(va, level)
      if (s.cls === 'invalid') {
        flush.warn(`io-pgtable: unmap 0x${va.toString(16)}: nothing mapped (WARN_ON(!pte))`)
        break
      }
      this.b.unmap(va, sizeBits)
      if (s.cls === 'table') flush.flushWalk(va, pgsize, 2 ** this.cfg.granule)
      else flush.addPage(va, pgsize)
    }
    return i * pgsize
  }
}

function fls(n: number): number {
  return Math.floor(Math.log2(n))
}

function ffs(n: number): number {
  let s = 0
  while (Math.floor(n / 2 ** s) % 2 === 0) s++
  return s
}

/**
 * iommu_pgsize: the largest size in the bitmap that `size` and the
 * alignment of iova|paddr allow, and how many of them to ask for at once
 * (stopping where a larger size would become usable).
 */
export function iommuPgsize(bitmap: number, iova: number, paddr: number, size: number): { pgsize: number; count: number } {
  const merge = iova + paddr === 0 ? 0 : Math.min(iova === 0 ? Infinity : ffs(iova), paddr === 0 ? Infinity : ffs(paddr))
  const sizes = bitmapSizes(bitmap).filter((s) => s <= fls(size) && (iova + paddr === 0 || s <= merge))
  if (!sizes.length) throw new RangeError(`no page size fits iova 0x${iova.toString(16)} pa 0x${paddr.toString(16)} size 0x${size.toString(16)}`)
  const idx = sizes[sizes.length - 1]
  const pgsize = 2 ** idx
  let rest = size
  const bigger = bitmapSizes(bitmap).filter((s) => s > idx)
  if (bigger.length) {
    const next = 2 ** bigger[0]
    // A bigger page only helps when iova and paddr are equally offset within it.
    if ((iova % next) === (paddr % next)) {
      const addrMerge = iova % next
      const offset = next - addrMerge
      if (offset + next <= size) rest = offset
    }
  }
  return { pgsize, count: Math.floor(rest / pgsize) }
}
