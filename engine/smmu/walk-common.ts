/**
 * Helpers shared by the stage-1 and stage-2 walkers: per-granule geometry as
 * module constants, index extraction from an address held as two 32-bit
 * halves, and the scratch record a walk core leaves its outcome in (so a
 * nested walk allocates nothing per descriptor).
 */

import { DESC_ADDR, type DescAddrMasks } from '../arch/descriptors'
import { bitsPerLevel, levelShift, startLevel } from '../pgtable/geometry'
import type { FaultClass, FaultType, Granule, LeafInfo, WalkFault, WalkResult } from './types'

export const TWO32 = 0x1_0000_0000

/** POW2[n] = 2^n for n = 0..64: a table lookup, where `2 ** n` with a variable n is a slow generic call. */
export const POW2: readonly number[] = Array.from({ length: 65 }, (_, n) => 2 ** n)

export interface GranuleGeo {
  readonly g: Granule
  readonly stride: number
  /** level_shift(L) for L = 0..3. */
  readonly lsh: readonly number[]
  /** 2^stride − 1: index mask below the start level. */
  readonly idxMask: number
  /** Stage-1 start level by input size in bits (index 0..64). */
  readonly s1Start: readonly number[]
  readonly s1: DescAddrMasks
  readonly s2: DescAddrMasks
}

function geo(g: Granule): GranuleGeo {
  return {
    g,
    stride: bitsPerLevel(g),
    lsh: [0, 1, 2, 3].map((l) => levelShift(g, l)),
    idxMask: (1 << bitsPerLevel(g)) - 1,
    s1Start: Array.from({ length: 65 }, (_, bits) => startLevel(g, bits)),
    s1: DESC_ADDR[0][g],
    s2: DESC_ADDR[1][g],
  }
}

const GEO4K = geo(12)
const GEO16K = geo(14)
const GEO64K = geo(16)

export function geoOf(g: Granule): GranuleGeo {
  return g === 12 ? GEO4K : g === 14 ? GEO16K : GEO64K
}

/**
 * (addr >> shift) & mask for an address held as halves; shift ≥ 12 and the
 * mask at most 17 bits (a concatenated start table), so one half or the
 * two halves' junction holds every index bit.
 */
export function indexOf(hi: number, lo: number, shift: number, mask: number): number {
  if (shift >= 32) return (hi >>> (shift - 32)) & mask
  return ((lo >>> shift) | (hi << (32 - shift))) & mask
}

/** The 4 KiB input page (address >> 12) of an address held as halves: what the IOTLB indexes. */
export function inputPage(hi: number, lo: number): number {
  return (hi >>> 0) * 1048576 + ((lo >>> 0) >>> 12)
}

/** addr mod 2^n for an address held as halves (n ≤ 52). */
export function lowBits(hi: number, lo: number, n: number): number {
  if (n >= 32) return (hi & ((1 << (n - 32)) - 1)) * TWO32 + (lo >>> 0)
  return (lo & ((1 << n) - 1)) >>> 0
}

/** addr aligned down to `bytes`, a power of two ≤ 2^32 (only low-half bits are cleared). */
export function alignDown(addr: number, bytes: number): number {
  return addr - ((addr >>> 0) & (bytes - 1))
}

/** Bits [to:from] set, within one 32-bit half (0 ≤ from, to ≤ 31); 0 when to < from. */
export function halfOnes(from: number, to: number): number {
  if (to < from) return 0
  const below = to === 31 ? -1 : (1 << (to + 1)) - 1
  return (below & (-1 << from)) >>> 0
}

/**
 * Outcome of the last walk core call. A core returns true (translation in
 * pa/sizeBits/level/perm) or false (fault in type/level/addr2/stage/cls).
 * Read it right after the call: the next walk overwrites it.
 */
export const out = {
  pa: 0,
  sizeBits: 0,
  level: 0,
  perm: 0,
  /** Stage-1 output (nested). */
  ipa: 0,
  granule: 12 as Granule,
  parentPerm: 0,
  /** Nested: each stage's leaf (stage 1's output base is an IPA). */
  s1Size: 0,
  s1Level: 0,
  s1Granule: 12 as Granule,
  s1Oa: 0,
  s2Size: 0,
  s2Level: 0,
  s2Granule: 12 as Granule,
  type: 'F_TRANSLATION' as FaultType,
  stage: 1 as 1 | 2,
  cls: 'IN' as FaultClass,
  addr2: 0,
}

export function fail(type: FaultType, stage: 1 | 2, cls: FaultClass, level: number, addr2: number): false {
  out.type = type
  out.stage = stage
  out.cls = cls
  out.level = level
  out.addr2 = addr2
  return false
}

/** A translation found: its output, mapping size, level, permission and granule go in `out`. */
export function leaf(pa: number, sizeBits: number, level: number, perm: number, granule: Granule): true {
  out.pa = pa
  out.sizeBits = sizeBits
  out.level = level
  out.perm = perm
  out.parentPerm = perm
  out.granule = granule
  return true
}

export function faultOf(): WalkFault {
  return { type: out.type, stage: out.stage, cls: out.cls, level: out.level, addr2: out.addr2 }
}

/**
 * A nested walk's two leaves, from `out` after a successful nested core call
 * for input page `ipn`: stage 1 maps the IOVA leaf to an IPA base, stage 2
 * the IPA leaf to a PA base. The IOTLB keeps them with a combined entry (to
 * invalidate it by either stage's address) or caches them apart (split).
 */
export function s1LeafOf(ipn: number): LeafInfo {
  return new Leaf(ipn - lowBits(0, ipn, out.s1Size - 12), out.s1Size, out.s1Level, out.s1Granule, out.s1Oa, out.perm)
}

export function s2LeafOf(): LeafInfo {
  const ipaPn = Math.floor(out.ipa / 4096)
  const inLeaf = lowBits(0, ipaPn, out.s2Size - 12)
  return new Leaf(ipaPn - inLeaf, out.s2Size, out.s2Level, out.s2Granule, out.pa - (out.ipa - ipaPn * 4096) - inLeaf * 4096, out.parentPerm)
}

/**
 * A leaf as a class instance, not a literal: the IOTLB keeps these with its
 * entries, and V8's allocation-site pretenuring flip-flops on literals that
 * live as long as a small FIFO (see Cached in tlb.ts).
 */
class Leaf implements LeafInfo {
  constructor(
    readonly ipn: number,
    readonly sizeBits: number,
    readonly level: number,
    readonly granule: Granule,
    readonly pa: number,
    readonly perm: number,
  ) {}
}

/** The WalkResult of the last core call that succeeded (`nestedIpn`: the input page of a nested walk, else null). */
export function resultOf(nestedIpn: number | null): WalkResult {
  if (nestedIpn === null) {
    return { ok: true, pa: out.pa, sizeBits: out.sizeBits, level: out.level, granule: out.granule, perm: out.perm, parentPerm: out.perm }
  }
  return {
    ok: true,
    pa: out.pa,
    ipa: out.ipa,
    sizeBits: out.sizeBits,
    level: out.level,
    granule: out.granule,
    perm: out.perm,
    parentPerm: out.parentPerm,
    s1Leaf: s1LeafOf(nestedIpn),
    s2Leaf: s2LeafOf(),
  }
}
