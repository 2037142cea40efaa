/**
 * VMSAv8-64 translation table geometry (Arm ARM DDI 0487 D8.2): how many
 * bits each level resolves, where a walk starts, which block sizes exist,
 * and stage-2 start levels with concatenated start tables (SL0, VTCR).
 */

import { blockAllowed, levelShift, type Granule } from '../arch/descriptors'

export { blockAllowed, levelShift }
export type { Granule }

/** Bits resolved per level: granule − 3 (9, 11, 13): a table holds 2^(granule−3) 8-byte descriptors. */
export function bitsPerLevel(g: Granule): number {
  return g - 3
}

/**
 * First lookup level for an input size: 4 − ceil((inputBits − granule) / (granule − 3))
 * (Arm ARM D8.2; the same as QEMU's 4 − (inputsize − 4) / stride). 4K with
 * 48 bits starts at L0, 4K with 39 at L1, 64K with 48 at L1. Below 0 needs
 * FEAT_LPA2 (not modelled).
 */
export function startLevel(g: Granule, inputBits: number): number {
  return 4 - Math.ceil((inputBits - g) / bitsPerLevel(g))
}

/** Number of lookup levels for an input size. */
export function levelCount(g: Granule, inputBits: number): number {
  return 4 - startLevel(g, inputBits)
}

/** Entries of the (single, unconcatenated) start table for an input size. */
export function startTableEntries(g: Granule, inputBits: number, level: number): number {
  return 2 ** Math.max(0, Math.min(inputBits - levelShift(g, level), bitsPerLevel(g)))
}

/** log2 sizes a mapping may have: the page and the blocks the granule permits. */
export function mappingSizes(g: Granule, oa52: boolean): number[] {
  const out: number[] = [g]
  for (const l of [2, 1]) if (blockAllowed(g, l, oa52)) out.push(levelShift(g, l))
  return out
}

/** The level a mapping of 2^sizeBits lives at, or -1 when no level maps that size. */
export function levelForSize(g: Granule, sizeBits: number): number {
  for (let l = 0; l <= 3; l++) if (levelShift(g, l) === sizeBits) return l
  return -1
}

/**
 * Stage-2 start level from VTCR/STE S2SL0 (SMMU IHI 0070 5.2 S2SL0; Arm ARM
 * VTCR_EL2.SL0): 4K: 0 → L2, 1 → L1, 2 → L0; 16K and 64K: 0 → L3, 1 → L2,
 * 2 → L1. Other encodings are reserved here (undefined): SL0 = 3 needs
 * FEAT_TTST or FEAT_LPA2, and the STE is ILLEGAL with them.
 */
export function s2StartLevel(g: Granule, sl0: number): number | undefined {
  if (sl0 < 0 || sl0 > 2) return undefined
  return g === 12 ? 2 - sl0 : 3 - sl0
}

/**
 * VTCR.SL0 (STE S2SL0) for a start level, as Linux io-pgtable computes it:
 * SL0 = ~(start + (4K ? 1 : 0)) & 3 (SPEC-FACTS B§7). The inverse of
 * s2StartLevel for the levels it maps.
 */
export function vtcrSl0(g: Granule, start: number): number {
  return ~(start + (g === 12 ? 1 : 0)) & 3
}

/**
 * Concatenated start tables a stage-2 walk from `start` uses for an IPA size
 * (Arm ARM D8.2 "Concatenated translation tables"):
 * 2^(ipaBits − (level_shift(start) + granule − 3)), and 1 when the IPA does
 * not fill one table. 0 when the start level cannot resolve the top IPA bit
 * (ipaBits ≤ level_shift(start)); above 16 SL0 and T0SZ disagree too
 * (AArch64.S2InconsistentSL).
 */
export function concatenatedTables(g: Granule, ipaBits: number, start: number): number {
  if (ipaBits <= levelShift(g, start)) return 0
  const extra = ipaBits - (levelShift(g, start) + bitsPerLevel(g))
  return extra > 0 ? 2 ** extra : 1
}

/** Whether SL0 and T0SZ agree: between 1 and 16 concatenated start tables (AArch64.S2InconsistentSL). */
export function s2StartConsistent(g: Granule, ipaBits: number, start: number): boolean {
  const n = concatenatedTables(g, ipaBits, start)
  return n >= 1 && n <= 16
}

/**
 * Stage-2 geometry as Linux io-pgtable picks it (SPEC-FACTS B§7,
 * arm_lpae_concat_mandatory): start at 4 − levels, then, when the
 * architecture requires it, one level deeper with concatenated start tables
 * (4K from L0 with a 40- or 42-bit PA; 16K from L0 with ias or oas 48; 16K
 * from L1 with a 40-bit PA).
 */
export function ioPgtableS2Start(g: Granule, ias: number, oas: number): { startLevel: number; tables: number } {
  const start = startLevel(g, ias)
  const mandatory =
    (g === 12 && start === 0 && (oas === 40 || oas === 42)) ||
    (g === 14 && start === 0 && (ias === 48 || oas === 48)) ||
    (g === 14 && start === 1 && oas === 40)
  if (!mandatory) return { startLevel: start, tables: 1 }
  return { startLevel: start + 1, tables: concatenatedTables(g, ias, start + 1) }
}
