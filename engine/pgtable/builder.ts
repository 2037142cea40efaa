/**
 * A VMSAv8-64 translation table writer, stage 1 or stage 2, in emulated
 * physical memory: what Linux io-pgtable-arm does for the host driver, and
 * what the hypervisor uses for its identity stage 2. Every store goes
 * through the journal (`PhysMem.write64` / `writeBytes`).
 */

import { classify, descAddress, descLayout, DESC_ADDR, type DescField } from '../arch/descriptors'
import type { FieldInput } from '../arch/layout'
import type { Actor } from '../journal/journal'
import type { PhysMem } from '../mem/physmem'
import { bitsPerLevel, blockAllowed, concatenatedTables, levelForSize, levelShift, startLevel, type Granule } from './geometry'

/** What a mapping allows and how it is typed; defaults are io-pgtable's for IOMMU_READ | IOMMU_WRITE | IOMMU_CACHE. */
export interface MapAttrs {
  readonly read: boolean
  readonly write: boolean
  /** AF; default true (io-pgtable always sets it). */
  readonly af?: boolean
  /** Stage 1 AttrIndx; default 1 (Normal write-back, IOMMU_CACHE). */
  readonly attrIndx?: number
  /** SH; default inner shareable (IOMMU_CACHE), io-pgtable uses outer otherwise. */
  readonly sh?: 'non' | 'outer' | 'inner'
  /** Stage 2 MemAttr; default 0xF (Normal write-back). */
  readonly memAttr?: number
  /** Stage 1 nG; default true (io-pgtable always sets it). */
  readonly nG?: boolean
  /** Stage 1 AP[1] (EL0 access); default true (io-pgtable unless IOMMU_PRIV). */
  readonly unpriv?: boolean
  /** Execute-never: stage 1 PXN and UXN, stage 2 XN = 0b11 (IOMMU_NOEXEC). */
  readonly xn?: boolean
  readonly contiguous?: boolean
  readonly dbm?: boolean
}

export interface BuilderOptions {
  readonly mem: PhysMem
  readonly stage: 1 | 2
  readonly granule: Granule
  /** Input address size in bits (64 − TnSZ). */
  readonly inputBits: number
  /**
   * First lookup level. Stage 1: must be the one the input size implies
   * (the default). Stage 2: any level from which the IPA size needs 1 to 16
   * concatenated start tables (SL0 = vtcrSl0(granule, startLevel)).
   */
  readonly startLevel?: number
  /** Stage 2 without startLevel: start one level deeper, with concatenated start tables (io-pgtable when mandatory). */
  readonly concat?: boolean
  /** Output address size; default 48. 52 needs the 64K granule and allows 4T blocks. */
  readonly oas?: number
  /** Allocates `bytes` of table memory aligned to `align`; returns the address descriptors will hold. */
  readonly alloc: (bytes: number, align: number) => number
  /** Receives tables an unmap disconnected. */
  readonly free?: (addr: number, bytes: number) => void
  /** Where table memory lives when descriptors hold IPAs (a stage 1 under nesting); identity by default. */
  readonly toPa?: (addr: number) => number
  readonly actor: Actor
}

const SH_VALUE = { non: 0, outer: 2, inner: 3 } as const
const TWO48 = 2 ** 48

function hex(v: number): string {
  return '0x' + v.toString(16)
}

function sizeName(bits: number): string {
  const units = ['', 'K', 'M', 'G', 'T', 'P']
  return `${2 ** (bits % 10)}${units[Math.floor(bits / 10)]}`
}

export class PageTableBuilder {
  /** The TTB value: address of the start table (of the first of the concatenated tables). */
  readonly root: number
  readonly startLevel: number
  /** Number of concatenated start tables (1 unless stage 2 concatenates). */
  readonly tables: number
  readonly stage: 1 | 2
  readonly granule: Granule
  readonly inputBits: number
  readonly oas: number
  private readonly mem: PhysMem
  private readonly opts: BuilderOptions
  private readonly toPa: (addr: number) => number

  constructor(opts: BuilderOptions) {
    const { stage, granule: g, inputBits } = opts
    this.opts = opts
    this.mem = opts.mem
    this.stage = stage
    this.granule = g
    this.inputBits = inputBits
    this.oas = opts.oas ?? 48
    this.toPa = opts.toPa ?? ((a) => a)
    if (this.oas > 48 && !(this.oas === 52 && g === 16)) throw new RangeError(`a ${this.oas}-bit output address needs the 64K granule (52 bits, FEAT_LPA)`)
    const natural = startLevel(g, inputBits)
    if (natural < 0 || natural > 3 || inputBits > 52) throw new RangeError(`no VMSAv8-64 walk resolves a ${inputBits}-bit input with the ${sizeName(g)} granule`)
    const start = opts.startLevel ?? (stage === 2 && opts.concat ? natural + 1 : natural)
    if (stage === 1) {
      if (start !== natural) throw new RangeError(`a stage-1 walk of ${inputBits} bits with the ${sizeName(g)} granule starts at level ${natural}, not ${start}`)
      this.tables = 1
    } else {
      const n = concatenatedTables(g, inputBits, start)
      if (n < 1 || n > 16) throw new RangeError(`a ${inputBits}-bit IPA cannot start at level ${start} with the ${sizeName(g)} granule (it would need ${n} concatenated tables; 1 to 16 are allowed)`)
      this.tables = n
    }
    this.startLevel = start
    // The start table holds 2^(inputBits − level_shift(start)) descriptors (all
    // concatenated tables together), at least 64 bytes, aligned to its size.
    const bytes = Math.max(64, 2 ** (inputBits - levelShift(g, start) + 3))
    this.root = opts.alloc(bytes, bytes)
    if (this.root % bytes !== 0) throw new RangeError(`alloc returned ${hex(this.root)}, not aligned to ${bytes}`)
    this.zero(this.root, bytes)
  }

  /** Map [va, va + 2^sizeBits) to [pa, ...) with one page or block descriptor, creating tables as needed. */
  map(va: number, pa: number, sizeBits: number, attrs: MapAttrs): void {
    const g = this.granule
    const level = levelForSize(g, sizeBits)
    const oa52 = this.oas === 52
    if (level !== 3 && !(level >= 0 && blockAllowed(g, level, oa52))) {
      throw new RangeError(`${sizeName(sizeBits)} is not a page or block size of the ${sizeName(g)} granule`)
    }
    this.checkRange('map', va, sizeBits)
    if (pa % 2 ** sizeBits !== 0) throw new RangeError(`map ${hex(va)}: PA ${hex(pa)} is not aligned to ${sizeName(sizeBits)}`)
    if (pa + 2 ** sizeBits > 2 ** this.oas) throw new RangeError(`map ${hex(va)}: PA ${hex(pa)} is beyond the ${this.oas}-bit output size`)
    if (!attrs.read && !attrs.write) throw new RangeError(`map ${hex(va)}: neither read nor write (io-pgtable refuses with -EINVAL)`)

    let table = this.root
    for (let l = this.startLevel; l < level; l++) {
      const addr = table + this.index(va, l) * 8
      const word = this.mem.read64(this.toPa(addr))
      const lo = Number(word & 0xffff_ffffn)
      const hi = Number(word >> 32n)
      const cls = classify(g, l, lo, oa52)
      if (cls === 'table') {
        table = descAddress(DESC_ADDR[this.stage - 1][g].table, lo, hi)
      } else if (cls === 'invalid') {
        const bytes = 2 ** g
        const next = this.opts.alloc(bytes, bytes)
        if (next % bytes !== 0) throw new RangeError(`alloc returned ${hex(next)}, not aligned to ${bytes}`)
        this.zero(next, bytes)
        this.write(addr, descLayout(this.stage, g, 'table', l).encode({ Valid: 1, Type: 'table', ...this.addressFields(next, 'NLTA', 'NLTAHi') })[0])
        table = next
      } else {
        throw new Error(`map ${hex(va)}: already inside the ${sizeName(levelShift(g, l))} ${cls} descriptor at level ${l} (${hex(addr)}); unmap it first`)
      }
    }
    const addr = table + this.index(va, level) * 8
    const word = this.mem.read64(this.toPa(addr))
    const cls = classify(g, level, Number(word & 0xffff_ffffn), oa52)
    if (cls === 'table') throw new Error(`map ${hex(va)}: a level ${level} table is there (${hex(addr)}); refusing to map a ${sizeName(sizeBits)} block over it`)
    if (cls !== 'invalid') throw new Error(`map ${hex(va)}: already mapped (level ${level} descriptor at ${hex(addr)} is valid; io-pgtable: -EEXIST)`)
    this.write(addr, this.leaf(level, pa, attrs))
  }

  /**
   * Unmap the page or block of 2^sizeBits at va. Returns the bytes unmapped
   * (0 when nothing was mapped). A table in the way is disconnected (and
   * handed to `free`); part of a larger block cannot be unmapped (io-pgtable
   * removed split-block unmap).
   */
  unmap(va: number, sizeBits: number): number {
    const g = this.granule
    const level = levelForSize(g, sizeBits)
    if (level < this.startLevel) throw new RangeError(`${sizeName(sizeBits)} is not a page or block size of this ${sizeName(g)} table`)
    this.checkRange('unmap', va, sizeBits)
    const oa52 = this.oas === 52
    let table = this.root
    for (let l = this.startLevel; ; l++) {
      const addr = table + this.index(va, l) * 8
      const word = this.mem.read64(this.toPa(addr))
      const lo = Number(word & 0xffff_ffffn)
      const hi = Number(word >> 32n)
      const cls = classify(g, l, lo, oa52)
      if (l === level) {
        if (cls === 'invalid') return 0
        this.write(addr, 0n)
        if (cls === 'table') this.freeTable(descAddress(DESC_ADDR[this.stage - 1][g].table, lo, hi), l + 1)
        return 2 ** sizeBits
      }
      if (cls === 'invalid') return 0
      if (cls !== 'table') {
        throw new Error(`unmap ${hex(va)} (${sizeName(sizeBits)}): it is part of the ${sizeName(levelShift(g, l))} ${cls} at level ${l} (${hex(addr)}); split-block unmap is not supported`)
      }
      table = descAddress(DESC_ADDR[this.stage - 1][g].table, lo, hi)
    }
  }

  private checkRange(op: string, va: number, sizeBits: number): void {
    if (!Number.isSafeInteger(va) || va < 0 || va % 2 ** sizeBits !== 0) throw new RangeError(`${op} ${hex(va)}: not aligned to ${sizeName(sizeBits)}`)
    if (va + 2 ** sizeBits > 2 ** this.inputBits) throw new RangeError(`${op} ${hex(va)}: beyond the ${this.inputBits}-bit input size`)
  }

  /** Descriptor index of va at a level; the start level's index spans the concatenated tables. */
  private index(va: number, level: number): number {
    const bits = level === this.startLevel ? this.inputBits - levelShift(this.granule, level) : bitsPerLevel(this.granule)
    return Math.floor(va / 2 ** levelShift(this.granule, level)) % 2 ** bits
  }

  private addressFields(addr: number, name: 'OA' | 'NLTA', top: 'OAHi' | 'NLTAHi'): FieldInput<DescField> {
    if (this.granule === 16) return { [name]: BigInt(addr % TWO48), [top]: Math.floor(addr / TWO48) }
    if (addr >= TWO48) throw new RangeError(`${hex(addr)} needs more than 48 address bits, which only the 64K granule holds`)
    return { [name]: BigInt(addr) }
  }

  private leaf(level: number, pa: number, a: MapAttrs): bigint {
    const kind = level === 3 ? 'page' : 'block'
    const common: FieldInput<DescField> = {
      Valid: 1,
      Type: kind,
      SH: SH_VALUE[a.sh ?? 'inner'],
      AF: a.af ?? true,
      Contiguous: a.contiguous ?? false,
      DBM: a.dbm ?? false,
      ...this.addressFields(pa, 'OA', 'OAHi'),
    }
    const l = descLayout(this.stage, this.granule, kind, level)
    if (this.stage === 1) {
      // AP[2] (read-only) when the mapping is not writable; stage 1 cannot
      // express write-only, so io-pgtable maps it read-write.
      const ap = (a.write ? 0 : 2) | ((a.unpriv ?? true) ? 1 : 0)
      return l.encode({ ...common, AttrIndx: a.attrIndx ?? 1, AP: ap, nG: a.nG ?? true, PXN: a.xn ?? false, UXN: a.xn ?? false })[0]
    }
    const s2ap = (a.read ? 1 : 0) | (a.write ? 2 : 0)
    return l.encode({ ...common, MemAttr: a.memAttr ?? 0xf, S2AP: s2ap, XN: a.xn ? 3 : 0 })[0]
  }

  private write(addr: number, v: bigint): void {
    this.mem.write64(this.toPa(addr), v, this.opts.actor)
  }

  /** Zero fresh table memory, one 4K frame at a time (journaled; nothing recorded when already zero). */
  private zero(addr: number, bytes: number): void {
    const chunk = Math.min(bytes, 4096)
    const z = new Uint8Array(chunk)
    for (let off = 0; off < bytes; off += chunk) this.mem.writeBytes(this.toPa(addr + off), z, this.opts.actor)
  }

  private freeTable(addr: number, level: number): void {
    const g = this.granule
    const entries = 2 ** bitsPerLevel(g)
    if (level < 3) {
      for (let i = 0; i < entries; i++) {
        const word = this.mem.read64(this.toPa(addr + i * 8))
        const lo = Number(word & 0xffff_ffffn)
        if (classify(g, level, lo, this.oas === 52) === 'table') {
          this.freeTable(descAddress(DESC_ADDR[this.stage - 1][g].table, lo, Number(word >> 32n)), level + 1)
        }
      }
    }
    this.opts.free?.(addr, 2 ** g)
  }
}
