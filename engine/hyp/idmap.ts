/**
 * The hypervisor's identity IOMMU stage 2: an ARM_64_LPAE_S2 io-pgtable with
 * ias = oas = min(48, smallest SMMU OAS) and granule PAGE_SIZE, built from
 * the hypervisor's pool, that mirrors the host's CPU stage 2 (SPEC-FACTS
 * B§8 "Identity map"; the series' kvm_iommu_snapshot_host_stage2 and
 * smmu_host_stage2_idmap):
 * - memory the host owns (or shares) is mapped read/write with PAGE_SIZE
 *   leaves only (io-pgtable cannot split blocks, so memory never gets them);
 * - everything else below 2^ias is MMIO, mapped with device attributes as
 *   the largest aligned blocks the page-size bitmap allows;
 * - pages owned by the hypervisor or a guest are left out.
 * After the snapshot, host_stage2_set_owner_locked keeps it in step: the
 * host getting memory back maps it, hyp or a guest taking it unmaps it,
 * PAGE_SIZE at a time, the end clamped to 2^oas. TLB maintenance is the
 * caller's (onChange): this module writes tables only.
 *
 * Bulk builds journal compactly: tables are assembled in scratch buffers in
 * ascending address order and each finished table is written once, one
 * `mem.write` per 4 KiB (PhysMem.writeBytes), never one record per
 * descriptor.
 */

import { classify, DESC_ADDR, descAddress, descLayout, type AddrMask, type Granule } from '../arch/descriptors'
import type { FieldInput } from '../arch/layout'
import { STE, type SteField } from '../arch/ste'
import type { Journal, JRecord } from '../journal/journal'
import type { PhysMem } from '../mem/physmem'
import { bitsPerLevel, ioPgtableS2Start, levelForSize, levelShift, mappingSizes, vtcrSl0 } from '../pgtable/geometry'
import type { Owner, Ownership } from './ownership'
import type { HypPool } from './pool'

/** One SMMU as the identity map sees it: its output size and the page sizes it supports (log2). */
export interface IdmapSmmu {
  readonly oas: number
  readonly pgsizes: readonly number[]
}

export interface IdmapOptions {
  readonly journal: Journal
  readonly mem: PhysMem
  readonly pool: HypPool
  readonly own: Ownership
  /** Every SMMU the hypervisor drives: ias/oas and pgsize bitmap are the AND over them. */
  readonly smmus: readonly IdmapSmmu[]
  /** Series version: v4 sets `initialized = !!ret` (see IdmapBuild.initialized). */
  readonly version: 'v4' | 'v6'
}

export interface IdmapBuild {
  /** Return of the snapshot walk (0: the host stage 2 was walked to the end). */
  readonly ret: number
  /**
   * Whether later ownership changes reach the identity map. v6: `ret == 0`.
   * v4 wrote `kvm_idmap_initialized = !!ret`, which is false after a
   * successful snapshot, so no donation ever unmapped anything: the
   * documented v4 difference, kept so a scenario can show it.
   */
  readonly initialized: boolean
  /** True when the v4 inversion decided `initialized`. */
  readonly v4Inversion: boolean
  /** Table pages taken from the pool. */
  readonly tablePages: number
  readonly pageLeaves: number
  readonly blockLeaves: number
  /** First address left unmapped because the pool ran dry (map failures are tolerated, as in the series). */
  readonly truncatedAt?: number
}

export type IdmapChangeKind = 'map' | 'unmap'
/** Called after the tables changed: the trap half issues S2_IPA range + SYNC, NH_ALL(VMID 0) + SYNC per SMMU. */
export type IdmapChange = (range: { readonly pa: number; readonly size: number }, kind: IdmapChangeKind) => void

/** io-pgtable S2 MemAttr (SPEC-FACTS B§7): Normal write-back (IOMMU_CACHE), Device-nGnRE (IOMMU_MMIO). */
const MEMATTR_NORMAL_WB = 0xf
const MEMATTR_DEVICE = 0x1
const TWO32 = 0x1_0000_0000
const GNAME = { 12: '4K', 14: '16K', 16: '64K' } as const
const PS_NAME: Record<number, string> = { 32: '32-bit', 36: '36-bit', 40: '40-bit', 42: '42-bit', 44: '44-bit', 48: '48-bit' }

class PoolExhausted extends Error {
  constructor(readonly va: number) {
    super(`IOMMU pool exhausted at 0x${va.toString(16)}`)
  }
}

/** Two 32-bit halves of a descriptor template (address bits zero). */
interface Template {
  readonly lo: number
  readonly hi: number
  readonly mask: AddrMask
}

/** A table being assembled (ascending build): its coverage and its descriptors as 32-bit halves. */
interface OpenTable {
  readonly level: number
  readonly base: number
  readonly span: number
  readonly pa: number
  readonly words: Uint32Array
}

function template(word: bigint, mask: AddrMask): Template {
  return { lo: Number(word & 0xffff_ffffn), hi: Number(word >> 32n), mask }
}

export class IdentityMap {
  readonly granule: Granule
  readonly pageSize: number
  readonly ias: number
  readonly oas: number
  readonly startLevel: number
  /** Concatenated start tables (1 unless io-pgtable makes concatenation mandatory). */
  readonly tables: number
  /** Mapping sizes (log2) the AND of the page-size bitmaps allows, largest first. */
  readonly sizes: readonly number[]
  /** S2TTB / VTTBR: the start table; 0 until build(). */
  root = 0
  built = false
  initialized = false
  private readonly j: Journal
  private readonly mem: PhysMem
  private readonly pool: HypPool
  private readonly own: Ownership
  private readonly version: 'v4' | 'v6'
  private readonly listeners: IdmapChange[] = []
  private readonly rootBytes: number
  private readonly tMem: Template
  private readonly tMmioPage: Template
  private readonly tMmioBlock: (Template | null)[]
  private readonly tTable: Template
  private tablePages = 0
  private poolRec: JRecord | undefined

  constructor(opts: IdmapOptions) {
    this.j = opts.journal
    this.mem = opts.mem
    this.pool = opts.pool
    this.own = opts.own
    this.version = opts.version
    const g = opts.own.pageShift as Granule
    this.granule = g
    this.pageSize = 2 ** g
    if (opts.smmus.length === 0) throw new RangeError('the identity map needs at least one SMMU')
    // ias = oas = min(48, smallest oas) (SPEC-FACTS B§8 Boot).
    this.ias = this.oas = Math.min(48, ...opts.smmus.map((s) => s.oas))
    // pgsize_bitmap = AND over the SMMUs, restricted to what the granule maps; it must include PAGE_SIZE.
    const common = mappingSizes(g, false).filter((s) => opts.smmus.every((m) => m.pgsizes.includes(s)))
    if (!common.includes(g)) throw new RangeError(`the SMMUs' page sizes have no ${GNAME[g]} (PAGE_SIZE) in common: the identity map cannot be built`)
    this.sizes = [...common].sort((a, b) => b - a)
    const geo = ioPgtableS2Start(g, this.ias, this.oas)
    this.startLevel = geo.startLevel
    this.tables = geo.tables
    this.rootBytes = Math.max(64, 2 ** (this.ias - levelShift(g, this.startLevel) + 3))
    const masks = DESC_ADDR[1][g]
    const leaf = { Valid: 1, AF: 1, S2AP: 'readWrite' } as const
    this.tMem = template(descLayout(2, g, 'page', 3).encode({ ...leaf, Type: 'page', MemAttr: MEMATTR_NORMAL_WB, SH: 'inner' })[0], masks.page)
    this.tMmioPage = template(descLayout(2, g, 'page', 3).encode({ ...leaf, Type: 'page', MemAttr: MEMATTR_DEVICE, SH: 'outer' })[0], masks.page)
    this.tMmioBlock = [0, 1, 2].map((l) => {
      const m = masks.block[l]
      return m ? template(descLayout(2, g, 'block', l).encode({ ...leaf, Type: 'block', MemAttr: MEMATTR_DEVICE, SH: 'outer' })[0], m) : null
    })
    this.tTable = template(descLayout(2, g, 'table', 0).encode({ Valid: 1, Type: 'table' })[0], masks.table)
    opts.own.onOwnerChange((pa, size, owner) => this.ownerChanged(pa, size, owner))
  }

  /** Receive every change made after the snapshot (for TLB maintenance). */
  onChange(fn: IdmapChange): void {
    this.listeners.push(fn)
  }

  /** The STE's stage-2 fields for the identity domain: VTCR (T0SZ, SL0, IR0/OR0/SH0, TG, PS) and VTTBR. */
  steFields(): FieldInput<SteField> {
    return {
      S2T0SZ: 64 - this.ias,
      S2SL0: vtcrSl0(this.granule, this.startLevel),
      // Coherent SMMUs only: io-pgtable's walk attributes are WBWA, inner shareable.
      S2IR0: 'WBWA',
      S2OR0: 'WBWA',
      S2SH0: 'ISH',
      S2TG: GNAME[this.granule],
      S2PS: PS_NAME[this.oas],
      S2AA64: 1,
      S2TTB: this.root,
    }
  }

  /** VTTBR: the start table's PA (STE.S2TTB). */
  get vttbr(): number {
    return this.root
  }

  /** The VTCR fields of steFields() as raw field values (what STE.with() stores), for the shadow STE. */
  s2Fields(): { S2T0SZ: number; S2SL0: number; S2IR0: number; S2OR0: number; S2SH0: number; S2TG: number; S2PS: number; S2AA64: number } {
    const f = this.steFields()
    const w = STE.encode(f)
    return {
      S2T0SZ: STE.get(w, 'S2T0SZ'),
      S2SL0: STE.get(w, 'S2SL0'),
      S2IR0: STE.get(w, 'S2IR0'),
      S2OR0: STE.get(w, 'S2OR0'),
      S2SH0: STE.get(w, 'S2SH0'),
      S2TG: STE.get(w, 'S2TG'),
      S2PS: STE.get(w, 'S2PS'),
      S2AA64: STE.get(w, 'S2AA64'),
    }
  }

  // ---- the snapshot ------------------------------------------------------------

  /** Build the identity map from the ownership state (kvm_iommu_snapshot_host_stage2). */
  build(): IdmapBuild {
    if (this.built) throw new Error('the identity map is built once')
    return this.j.span('hyp.idmap.build', 'hyp', { ias: this.ias, oas: this.oas, granule: GNAME[this.granule], startLevel: this.startLevel, tables: this.tables }, () => {
      this.poolRec = this.j.entry('hyp.pool.alloc', 'hyp', { for: 'idmap' })
      const b = new Builder(this)
      let truncatedAt: number | undefined
      try {
        this.root = b.allocRoot()
        b.run()
      } catch (e) {
        if (!(e instanceof PoolExhausted)) throw e
        truncatedAt = e.va
      }
      b.finish()
      this.built = true
      const ret = 0
      // v4: kvm_idmap_initialized = !!ret (inverted); v6: set on success.
      this.initialized = this.version === 'v4' ? ret !== 0 : ret === 0
      const result: IdmapBuild = {
        ret,
        initialized: this.initialized,
        v4Inversion: this.version === 'v4',
        tablePages: this.tablePages,
        pageLeaves: b.pageLeaves,
        blockLeaves: b.blockLeaves,
        ...(truncatedAt !== undefined ? { truncatedAt } : {}),
      }
      if (this.poolRec) this.poolRec.pages = this.tablePages
      this.poolRec = undefined
      this.j.annotate({ root: this.root, ...result })
      return result
    })
  }

  /** @internal Builder access. */
  allocTable(pages: number, va: number, rec: JRecord | undefined = this.poolRec): number {
    const pa = this.pool.alloc(pages, rec)
    if (pa === undefined) throw new PoolExhausted(va)
    this.tablePages += pages
    return pa
  }

  /** @internal Builder access. */
  get internals() {
    return { mem: this.mem, own: this.own, rootBytes: this.rootBytes, tMem: this.tMem, tMmioPage: this.tMmioPage, tMmioBlock: this.tMmioBlock, tTable: this.tTable }
  }

  // ---- after the snapshot --------------------------------------------------------

  private ownerChanged(pa: number, size: number, owner: Owner): void {
    // Before the snapshot there is nothing to update: the snapshot reads the state.
    if (!this.built) return
    if (!this.initialized) {
      this.j.entry('hyp.idmap.skip', 'hyp', { pa, size, owner, reason: 'v4: kvm_idmap_initialized = !!ret is false after a successful snapshot; the identity map is not updated' })
      return
    }
    // host_stage2_set_owner_locked refuses non-memory (-EPERM) before the IOMMU hook.
    if (!this.own.isMemory(pa)) return
    const end = Math.min(pa + size, 2 ** this.oas)
    if (pa >= end) return
    const kind: IdmapChangeKind = owner === 'host' ? 'map' : 'unmap'
    const done = this.j.span(`hyp.idmap.${kind}`, 'hyp', { pa, size: end - pa, owner }, () => {
      const n = this.update(pa, end, kind)
      this.j.annotate({ done: n })
      return n
    })
    if (done > 0) for (const fn of this.listeners) fn({ pa, size: done }, kind)
  }

  /**
   * Map or unmap [pa, end) PAGE_SIZE at a time, one write per run inside a
   * table. Stops at the first page io-pgtable would refuse (map over a
   * mapping: -EEXIST; unmap of a hole: 0 unmapped), with a WARN record, as
   * smmu_host_stage2_idmap stops. Returns the bytes done.
   */
  private update(pa: number, end: number, kind: IdmapChangeKind): number {
    const ps = this.pageSize
    let va = pa
    while (va < end) {
      let slot: { table: number; index: number } | undefined
      try {
        slot = this.l3Slot(va, kind === 'map')
      } catch (e) {
        if (!(e instanceof PoolExhausted)) throw e
        this.j.entry('hyp.warn', 'hyp', { reason: `identity map: map at 0x${va.toString(16)} failed (-ENOMEM), tolerated` })
        break
      }
      if (!slot) {
        this.j.entry('hyp.warn', 'hyp', { reason: `identity map: nothing mapped at 0x${va.toString(16)} to unmap` })
        break
      }
      const perTable = 2 ** bitsPerLevel(this.granule)
      const runEnd = Math.min(end, va + (perTable - slot.index) * ps)
      const n = (runEnd - va) / ps
      const cur = this.mem.readBytes(slot.table + slot.index * 8, n * 8)
      const words = new Uint32Array(cur.buffer, cur.byteOffset, n * 2)
      let k = 0
      for (; k < n; k++) {
        const valid = (words[2 * k] & 1) !== 0
        if (kind === 'map') {
          if (valid) break
          const a = va + k * ps
          words[2 * k] = (this.tMem.lo | ((a >>> 0) & this.tMem.mask.lo)) >>> 0
          words[2 * k + 1] = (this.tMem.hi | (Math.floor(a / TWO32) & this.tMem.mask.hi)) >>> 0
        } else {
          if (!valid) break
          words[2 * k] = 0
          words[2 * k + 1] = 0
        }
      }
      if (k > 0) this.mem.writeBytes(slot.table + slot.index * 8, cur.subarray(0, k * 8), 'hyp')
      va += k * ps
      if (k < n) {
        this.j.entry('hyp.warn', 'hyp', { reason: kind === 'map' ? `identity map: 0x${va.toString(16)} already mapped (-EEXIST)` : `identity map: nothing mapped at 0x${va.toString(16)} to unmap` })
        break
      }
    }
    return va - pa
  }

  /** The level-3 slot of `va`: walking the tables, creating missing ones when `create`. */
  private l3Slot(va: number, create: boolean): { table: number; index: number } | undefined {
    const g = this.granule
    let table = this.root
    for (let l = this.startLevel; l < 3; l++) {
      const addr = table + this.index(va, l) * 8
      const word = this.mem.read64(addr)
      const lo = Number(word & 0xffff_ffffn)
      const hi = Number(word >> 32n)
      const cls = classify(g, l, lo, false)
      if (cls === 'table') {
        table = descAddress(this.tTable.mask, lo, hi)
        continue
      }
      if (cls !== 'invalid' || !create) return undefined
      // After boot each table comes with a record of its own, at the time it is taken:
      // attaching it to the build's record would replay it at boot (time travel, rewind).
      const next = this.allocTable(1, va, this.j.entry('hyp.pool.alloc', 'hyp', { for: 'idmap', pages: 1 }))
      const zero = new Uint8Array(4096)
      for (let off = 0; off < this.pageSize; off += 4096) this.mem.writeBytes(next + off, zero, 'hyp')
      const desc = (BigInt((this.tTable.hi | (Math.floor(next / TWO32) & this.tTable.mask.hi)) >>> 0) << 32n) | BigInt((this.tTable.lo | ((next >>> 0) & this.tTable.mask.lo)) >>> 0)
      this.mem.write64(addr, desc, 'hyp')
      table = next
    }
    return { table, index: this.index(va, 3) }
  }

  /** Descriptor index of va at a level; the start level's index spans the concatenated tables. */
  index(va: number, level: number): number {
    const g = this.granule
    const bits = level === this.startLevel ? this.ias - levelShift(g, level) : bitsPerLevel(g)
    return Math.floor(va / 2 ** levelShift(g, level)) % 2 ** bits
  }
}

/**
 * The ascending snapshot build. Segments (memory page runs, MMIO runs) are
 * visited in address order, so each level has one table open at a time; a
 * table is written out when the build moves past it, and its scratch buffer
 * is reused. Peak memory is the tables themselves plus one scratch table per
 * level.
 */
class Builder {
  pageLeaves = 0
  blockLeaves = 0
  private readonly open: (OpenTable | undefined)[] = [undefined, undefined, undefined, undefined]
  private readonly scratch: Uint32Array[] = []
  private readonly g: Granule
  private readonly ps: number

  constructor(private readonly m: IdentityMap) {
    this.g = m.granule
    this.ps = m.pageSize
  }

  allocRoot(): number {
    const { rootBytes } = this.m.internals
    const pages = Math.max(1, rootBytes / this.ps)
    const pa = this.m.allocTable(pages, 0)
    const level = this.m.startLevel
    this.open[level] = { level, base: 0, span: 2 ** this.m.ias, pa, words: new Uint32Array((pages * this.ps) / 4) }
    return pa
  }

  run(): void {
    const { own } = this.m.internals
    const limit = 2 ** this.m.oas
    const excluded = own.hostExcluded()
    let ei = 0
    // Memory regions in order, with the MMIO gaps between them.
    let cursor = 0
    const regions = own.memory.filter((r) => r.base < limit)
    for (const r of regions) {
      ei = this.mmio(cursor, r.base, excluded, ei)
      const end = Math.min(r.base + r.size, limit)
      ei = this.memory(r.base, end, excluded, ei)
      cursor = end
    }
    this.mmio(cursor, 2 ** this.m.ias, excluded, ei)
  }

  /** Write out every open table, deepest first. */
  finish(): void {
    for (let l = 3; l >= 0; l--) this.close(l)
  }

  /** PAGE_SIZE leaves over [start, end), skipping excluded pfns (sorted, cursor ei). */
  private memory(start: number, end: number, excluded: readonly number[], ei: number): number {
    const { tMem } = this.m.internals
    const ps = this.ps
    const tlo = tMem.lo
    const mlo = tMem.mask.lo
    while (ei < excluded.length && excluded[ei] * ps < start) ei++
    let nextEx = ei < excluded.length ? excluded[ei] * ps : Infinity
    let va = start
    while (va < end) {
      // Open a table only where a leaf goes (io-pgtable creates none for a run of excluded pages).
      while (va < end && va === nextEx) {
        va += ps
        nextEx = ++ei < excluded.length ? excluded[ei] * ps : Infinity
      }
      if (va >= end) break
      const t = this.table(va, 3)
      const stop = Math.min(end, t.base + t.span)
      let idx = this.m.index(va, 3) * 2
      const endIdx = idx + ((stop - va) / ps) * 2
      // A level-3 table never straddles a 4 GiB boundary: the high half is
      // fixed and the low half (attributes below the address field) steps
      // by PAGE_SIZE without a carry out of bit 31.
      const hi = (tMem.hi | (Math.floor(va / TWO32) & tMem.mask.hi)) >>> 0
      let lo = (tlo | ((va >>> 0) & mlo)) >>> 0
      const w = t.words
      const va0 = va
      const idx0 = idx
      let n = 0
      while (idx < endIdx) {
        // Leaves up to the next excluded page in this table, then skip it.
        const runEnd = nextEx < stop ? idx0 + ((nextEx - va0) / ps) * 2 : endIdx
        if (runEnd < idx) {
          // A pfn listed twice: already skipped.
          nextEx = ++ei < excluded.length ? excluded[ei] * ps : Infinity
          continue
        }
        n += (runEnd - idx) >> 1
        for (; idx < runEnd; idx += 2, lo += ps) {
          w[idx] = lo
          w[idx + 1] = hi
        }
        if (runEnd < endIdx) {
          idx += 2
          lo += ps
          nextEx = ++ei < excluded.length ? excluded[ei] * ps : Infinity
        }
      }
      va = stop
      this.pageLeaves += n
    }
    return ei
  }

  /** Largest aligned device blocks over [start, end), around excluded (donated MMIO) pages. */
  private mmio(start: number, end: number, excluded: readonly number[], ei: number): number {
    const ps = this.ps
    let s = start
    while (s < end) {
      while (ei < excluded.length && excluded[ei] * ps < s) ei++
      const e = ei < excluded.length && excluded[ei] * ps < end ? excluded[ei] * ps : end
      this.mmioRun(s, e)
      s = e === end ? end : e + ps
    }
    return ei
  }

  private mmioRun(start: number, end: number): void {
    const { tMmioPage, tMmioBlock } = this.m.internals
    const sizes = this.m.sizes.map((s) => 2 ** s)
    let va = start
    while (va < end) {
      let k = sizes.length - 1
      for (let i = 0; i < sizes.length; i++) {
        if (va % sizes[i] === 0 && va + sizes[i] <= end) {
          k = i
          break
        }
      }
      const step = sizes[k]
      const level = levelForSize(this.g, this.m.sizes[k])
      const t = level === 3 ? tMmioPage : tMmioBlock[level]!
      const table = this.table(va, level)
      const stop = Math.min(end, table.base + table.span)
      const w = table.words
      let idx = this.m.index(va, level) * 2
      // Blocks of this size until the table ends, the run ends, or a larger
      // block fits (at the next address aligned to it, if that block ends
      // within the run: later aligned addresses end later still).
      let n = Math.max(1, Math.floor((stop - va) / step))
      if (k > 0) {
        const bigger = sizes[k - 1]
        const nb = Math.ceil((va + step) / bigger) * bigger
        if (nb + bigger <= end) n = Math.min(n, (nb - va) / step)
      }
      // Halves stepped by the block size: the address field is aligned to it,
      // so a carry out of the low half is the address crossing 4 GiB.
      let lo = (t.lo | ((va >>> 0) & t.mask.lo)) >>> 0
      let hi = (t.hi | (Math.floor(va / TWO32) & t.mask.hi)) >>> 0
      const stepLo = step % TWO32
      const stepHi = Math.floor(step / TWO32)
      for (let c = 0; c < n; c++, idx += 2) {
        w[idx] = lo
        w[idx + 1] = hi
        lo += stepLo
        hi += stepHi
        if (lo >= TWO32) {
          lo -= TWO32
          hi++
        }
      }
      va += n * step
      if (level === 3) this.pageLeaves += n
      else this.blockLeaves += n
    }
  }

  /** The open table at `level` covering va, opening (and linking) it when needed. */
  private table(va: number, level: number): OpenTable {
    const cur = this.open[level]
    if (cur && va >= cur.base && va < cur.base + cur.span) return cur
    for (let l = 3; l >= level; l--) this.close(l)
    const parent = this.table(va, level - 1)
    const span = 2 ** levelShift(this.g, level - 1)
    const base = va - (va % span)
    const pa = this.m.allocTable(1, va)
    const { tTable } = this.m.internals
    const pi = this.m.index(va, level - 1)
    parent.words[2 * pi] = (tTable.lo | ((pa >>> 0) & tTable.mask.lo)) >>> 0
    parent.words[2 * pi + 1] = (tTable.hi | (Math.floor(pa / TWO32) & tTable.mask.hi)) >>> 0
    let words = this.scratch[level] as Uint32Array | undefined
    if (words) words.fill(0)
    else words = this.scratch[level] = new Uint32Array(this.ps / 4)
    const t: OpenTable = { level, base, span, pa, words }
    this.open[level] = t
    return t
  }

  /** Write an open table out, one writeBytes per 4 KiB, and forget it. */
  private close(level: number): void {
    const t = this.open[level]
    if (!t) return
    const { mem } = this.m.internals
    const bytes = new Uint8Array(t.words.buffer, t.words.byteOffset, t.words.byteLength)
    for (let off = 0; off < bytes.length; off += 4096) mem.writeBytes(t.pa + off, bytes.subarray(off, off + 4096), 'hyp')
    this.open[level] = undefined
  }
}
