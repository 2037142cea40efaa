/**
 * Stage-1 translation table walk (Arm ARM DDI 0487 D8; SMMU IHI 0070 3.4,
 * 5.4 CD), alone or nested over stage 2. A pure function of memory.
 */

import { AP_NO_WRITE, blockAllowed, D, descAddress, getHalf } from '../arch/descriptors'
import { BusError } from '../mem/physmem'
import { alignDown, fail, faultOf, leaf, geoOf, halfOnes, indexOf, inputPage, lowBits, out, POW2, resultOf } from './walk-common'
import { s2Walk } from './walk-s2'
import type { Access, DescReader, S1Config, S2Config, WalkResult, WalkTrace } from './types'
import { PERM_R, PERM_W } from './types'

/** Bits [top:from] of the 64-bit value (hi, lo) all equal `sel` (0 or 1); top ≥ 32. */
function bitsAllEqual(hi: number, lo: number, top: number, from: number, sel: number): boolean {
  if (from > top) return true
  const hm = halfOnes(Math.max(from, 32) - 32, top - 32)
  if ((hi & hm) >>> 0 !== (sel ? hm : 0)) return false
  if (from >= 32) return true
  const lm = halfOnes(from, 31)
  return (lo & lm) >>> 0 === (sel ? lm : 0)
}

/**
 * Walk core: translate the IOVA (hi, lo) through stage 1 and, when `s2` is
 * given, nest every descriptor fetch and the output through stage 2.
 * Returns true with the translation in `out`, false with the fault there.
 */
export function s1Walk(
  mem: DescReader,
  s1: S1Config,
  hi: number,
  lo: number,
  wantR: boolean,
  wantW: boolean,
  s2: S2Config | null,
  trace: WalkTrace,
): boolean {
  // TT0/TT1 (Arm ARM D8.1 "VA ranges"; IHI 0070 3.4.1): VA[55] picks the
  // range, even with top-byte-ignore; TBI0/TBI1 belong to that range; bits
  // [top:inputsize] must then all equal VA[55], top = 55 with TBI, 63
  // without. (QEMU's TBI1 helper reads TBI bit 0, SPEC-FACTS A§5 S1 step 1.)
  const sel = (hi >>> 23) & 1
  const tt = s1.tt[sel]
  if (tt === null) return fail('F_TRANSLATION', 1, 'IN', -1, 0)
  const inputBits = 64 - tt.tsz
  if (!bitsAllEqual(hi, lo, (s1.tbi >>> sel) & 1 ? 55 : 63, inputBits, sel)) return fail('F_TRANSLATION', 1, 'IN', -1, 0)
  const g = tt.granule
  const geo = geoOf(g)
  const start = geo.s1Start[inputBits]
  // T0SZ/T1SZ out of range (C_BAD_CD at decode): no lookup level exists.
  if (start < 0 || start > 3) return fail('F_TRANSLATION', 1, 'IN', -1, 0)
  const limit = POW2[s1.oas]
  if (tt.ttb >= limit) return fail('F_ADDR_SIZE', 1, 'IN', -1, 0)

  const masks = geo.s1
  const oa52 = s1.oas === 52
  let level = start
  let shift = geo.lsh[start]
  let mask = POW2[inputBits - shift] - 1
  // The start table is aligned to its size, at least 64 bytes (Arm ARM D8.2,
  // TTBR BADDR): low TTB bits below that are treated as zero.
  const tableBytes = Math.max(64, (mask + 1) * 8)
  // Nested: the architecture translates every descriptor's IPA through
  // stage 2 on each walk, the start table's included, so TTBn (an IPA) is
  // used here and not the TTB the config decoder translated (QEMU caches that
  // in the config and never refreshes it on S2 invalidation, SPEC-FACTS A§5).
  const ttb = s2 !== null ? tt.ttb : tt.ttbPa
  let table = alignDown(ttb, tableBytes)
  let noWrite = false
  let steps = 0

  for (;;) {
    let addr = table + indexOf(hi, lo, shift, mask) * 8
    if (s2 !== null) {
      // The descriptor's own IPA goes through stage 2, class TT; a fault
      // there is a stage-2 fault with addr2 = that IPA. The table of step
      // (steps − 1) is being read; −1 is the start table (TTBn).
      if (!s2Walk(mem, s2, addr, true, false, 'TT', trace, steps - 1)) return false
      addr = out.pa
    }
    let dlo: number
    let dhi: number
    try {
      dlo = mem.load64(addr)
      dhi = mem.hi
    } catch (e) {
      if (!(e instanceof BusError)) throw e
      if (trace) trace({ stage: 1, level, address: addr, lo: 0, hi: 0, type: 'eabt' })
      return fail('F_WALK_EABT', 1, 'TT', level, addr)
    }
    steps++
    if (getHalf(D.Valid, dlo, dhi) === 0) {
      if (trace) trace({ stage: 1, level, address: addr, lo: dlo, hi: dhi, type: 'invalid' })
      return fail('F_TRANSLATION', 1, 'IN', level, 0)
    }
    const isTable = getHalf(D.Type, dlo, dhi) === 1
    if (level < 3 && isTable) {
      if (trace) trace({ stage: 1, level, address: addr, lo: dlo, hi: dhi, type: 'table' })
      const next = descAddress(masks.table, dlo, dhi)
      if (next >= limit) return fail('F_ADDR_SIZE', 1, 'IN', level, 0)
      // APTable[1] removes write permission at every later level unless HAD
      // (Arm ARM D8.4 hierarchical permissions). The architecture applies it
      // to the leaf's permission, so a write faults at the leaf's level after
      // the walk and the limit reaches the TLB entry; QEMU faults at the table
      // and leaves it out of the cached permission (SPEC-FACTS A§5 S1 step 4).
      if (!tt.had && (getHalf(D.APTable, dlo, dhi) & AP_NO_WRITE) !== 0) noWrite = true
      table = next
      level++
      shift -= geo.stride
      mask = geo.idxMask
      continue
    }
    if (level === 3 ? !isTable : !blockAllowed(g, level, oa52)) {
      if (trace) trace({ stage: 1, level, address: addr, lo: dlo, hi: dhi, type: 'reserved' })
      return fail('F_TRANSLATION', 1, 'IN', level, 0)
    }
    if (trace) trace({ stage: 1, level, address: addr, lo: dlo, hi: dhi, type: level === 3 ? 'page' : 'block' })
    const oa = descAddress(level === 3 ? masks.page : masks.block[level]!, dlo, dhi)
    // Architecture priority (Arm ARM D8, fault prioritization): address
    // size, access flag, permission. QEMU checks AF, AP, then the size.
    if (oa >= limit) return fail('F_ADDR_SIZE', 1, 'IN', level, 0)
    if (getHalf(D.AF, dlo, dhi) === 0 && !s1.affd) return fail('F_ACCESS', 1, 'IN', level, 0)
    // Every SMMU access is treated as privileged: AP[1] does not matter, AP[2] is read-only.
    if ((getHalf(D.AP, dlo, dhi) & AP_NO_WRITE) !== 0) noWrite = true
    if (wantW && noWrite) return fail('F_PERMISSION', 1, 'IN', level, 0)
    const perm = noWrite ? PERM_R : PERM_R | PERM_W
    const ipa = oa + lowBits(hi, lo, shift)
    if (s2 === null) return leaf(ipa, shift, level, perm, g)
    // Nested: the output IPA through stage 2 with the transaction's access, class IN.
    if (!s2Walk(mem, s2, ipa, wantR, wantW, 'IN', trace, steps)) return false
    out.s1Size = shift
    out.s1Level = level
    out.s1Granule = g
    out.s1Oa = oa
    out.s2Size = out.sizeBits
    out.s2Level = out.level
    out.s2Granule = out.granule
    // The TLB may cache the smaller of the two mappings, stage 1's on a tie
    // (SPEC-FACTS A§5 nested).
    if (out.sizeBits >= shift) {
      out.sizeBits = shift
      out.level = level
      out.granule = g
    }
    out.parentPerm = out.perm
    out.perm = perm
    out.ipa = ipa
    return true
  }
}

/**
 * Walk stage 1 for the IOVA given as its 32-bit halves; with `s2`, a nested
 * walk in which every descriptor fetch and the final IPA go through stage 2.
 */
export function walkS1(
  mem: DescReader,
  s1: S1Config,
  iovaHi: number,
  iovaLo: number,
  access: Access,
  s2: S2Config | null,
  trace: WalkTrace,
): WalkResult {
  if (!s1Walk(mem, s1, iovaHi >>> 0, iovaLo >>> 0, access.read, access.write, s2, trace)) return { ok: false, fault: faultOf() }
  return resultOf(s2 === null ? null : inputPage(iovaHi, iovaLo))
}
