/**
 * Stage-2 translation table walk (Arm ARM DDI 0487 D8; SMMU IHI 0070 3.4,
 * 5.2 S2*): SL0 start level, concatenated start tables, S2AF/S2AFFD, S2AP,
 * the PS output size check. A pure function of memory.
 */

import { blockAllowed, D, descAddress, getHalf } from '../arch/descriptors'
import { BusError } from '../mem/physmem'
import { s2StartLevel } from '../pgtable/geometry'
import { alignDown, fail, faultOf, leaf, geoOf, indexOf, lowBits, POW2, resultOf, TWO32 } from './walk-common'
import type { Access, DescReader, FaultClass, S2Config, WalkResult, WalkTrace } from './types'
import { PERM_R, PERM_W } from './types'

/**
 * Walk core: translate `ipa` (< 2^53) through stage 2. Returns true with the
 * translation in `out`, or false with the fault there (stage 2; class `cls`;
 * addr2 the IPA, or the descriptor address for F_WALK_EABT).
 */
export function s2Walk(
  mem: DescReader,
  s2: S2Config,
  ipa: number,
  wantR: boolean,
  wantW: boolean,
  cls: FaultClass,
  trace: WalkTrace,
  forS1: number | undefined,
): boolean {
  const g = s2.granule
  const geo = geoOf(g)
  const ipaBits = 64 - s2.tsz
  // IPA ≥ 2^(64 − S2T0SZ): translation fault before any read (SPEC-FACTS A§5 S2 step 3).
  if (ipa >= POW2[ipaBits]) return fail('F_TRANSLATION', 2, cls, -1, ipa)
  const start = s2StartLevel(g, s2.sl0)
  // A reserved SL0, or one that cannot resolve the IPA size with 1 to 16
  // concatenated tables (AArch64.S2InconsistentSL), is misprogramming
  // (C_BAD_STE at STE decode); a walk given one faults at its first lookup.
  if (start === undefined) return fail('F_TRANSLATION', 2, cls, -1, ipa)
  let shift = geo.lsh[start]
  if (ipaBits <= shift || ipaBits - shift - geo.stride > 4) return fail('F_TRANSLATION', 2, cls, start, ipa)
  const limit = POW2[s2.ps]
  if (s2.ttb >= limit) return fail('F_ADDR_SIZE', 2, cls, -1, ipa)

  const lo = ipa >>> 0
  const hi = (ipa - lo) / TWO32
  const masks = geo.s2
  const oa52 = s2.ps === 52
  let level = start
  // Architectural concatenation (Arm ARM D8.2): the concatenated start tables
  // are contiguous, so the start index simply takes every IPA bit above the
  // level's shift, and the table base is S2TTB aligned to the whole block.
  // QEMU instead ANDs the table offset away (SPEC-FACTS A§5 S2 step 4): with
  // 4K, T0SZ 24, SL0 1 and IPA bit 39 set it reads S2TTB, not S2TTB + 0x1000.
  let mask = POW2[ipaBits - shift] - 1
  const tableBytes = Math.max(64, (mask + 1) * 8)
  let table = alignDown(s2.ttb, tableBytes)
  // QEMU adds the concatenated table's offset to S2TTB, then clears every bit
  // below the whole block's size, offset included, and indexes one table's
  // worth of entries: with S2TTB aligned, every IPA reads the first table.
  if (s2.qemuConcat && mask > geo.idxMask) mask = geo.idxMask

  for (;;) {
    const addr = table + indexOf(hi, lo, shift, mask) * 8
    let dlo: number
    let dhi: number
    try {
      dlo = mem.load64(addr)
      dhi = mem.hi
    } catch (e) {
      if (!(e instanceof BusError)) throw e
      if (trace) trace({ stage: 2, level, address: addr, lo: 0, hi: 0, type: 'eabt', forS1, cls })
      return fail('F_WALK_EABT', 2, cls, level, addr)
    }
    if (getHalf(D.Valid, dlo, dhi) === 0) {
      if (trace) trace({ stage: 2, level, address: addr, lo: dlo, hi: dhi, type: 'invalid', forS1, cls })
      return fail('F_TRANSLATION', 2, cls, level, ipa)
    }
    const isTable = getHalf(D.Type, dlo, dhi) === 1
    if (level < 3 && isTable) {
      if (trace) trace({ stage: 2, level, address: addr, lo: dlo, hi: dhi, type: 'table', forS1, cls })
      const next = descAddress(masks.table, dlo, dhi)
      if (next >= limit) return fail('F_ADDR_SIZE', 2, cls, level, ipa)
      table = next
      level++
      shift -= geo.stride
      mask = geo.idxMask
      continue
    }
    // Level 3 with Type 0, or a block where the granule permits none: reserved.
    if (level === 3 ? !isTable : !blockAllowed(g, level, oa52)) {
      if (trace) trace({ stage: 2, level, address: addr, lo: dlo, hi: dhi, type: 'reserved', forS1, cls })
      return fail('F_TRANSLATION', 2, cls, level, ipa)
    }
    if (trace) trace({ stage: 2, level, address: addr, lo: dlo, hi: dhi, type: level === 3 ? 'page' : 'block', forS1, cls })
    const oa = descAddress(level === 3 ? masks.page : masks.block[level]!, dlo, dhi)
    // Leaf checks in the architecture's priority order (Arm ARM D8, fault
    // prioritization): address size, then access flag, then permission.
    // QEMU checks AF and S2AP before the size (SPEC-FACTS A§5 S2 step 5).
    if (oa >= limit) return fail('F_ADDR_SIZE', 2, cls, level, ipa)
    if (getHalf(D.S2AF, dlo, dhi) === 0 && !s2.affd) return fail('F_ACCESS', 2, cls, level, ipa)
    // S2AP bit 0 (descriptor bit 6) read, bit 1 (bit 7) write: the same encoding as Perm.
    const perm = getHalf(D.S2AP, dlo, dhi)
    if ((wantR && (perm & PERM_R) === 0) || (wantW && (perm & PERM_W) === 0)) return fail('F_PERMISSION', 2, cls, level, ipa)
    return leaf(oa + lowBits(hi, lo, shift), shift, level, perm, g)
  }
}

/**
 * Walk stage 2 for one IPA. `cls` is what the access is for (IN: the final
 * IPA of a transaction; TT: a stage-1 table; CD: a CD fetch) and goes in the
 * fault; `forS1` tags the trace steps of a nested walk (WalkStep.forS1).
 * Faults report stage 2 and addr2 = the IPA (the descriptor address for
 * F_WALK_EABT).
 */
export function walkS2(
  mem: DescReader,
  s2: S2Config,
  ipa: number,
  access: Access,
  cls: FaultClass,
  trace: WalkTrace,
  forS1?: number,
): WalkResult {
  if (!s2Walk(mem, s2, ipa, access.read, access.write, cls, trace, forS1)) return { ok: false, fault: faultOf() }
  return resultOf(null)
}
