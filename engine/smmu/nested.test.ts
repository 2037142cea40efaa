import { describe, expect, test } from 'vitest'
import { RO, RW, SmmuKit, type KitOptions } from './testkit'
import type { Granule } from './types'

// Nested translation (IHI 0070 3.3.2 "two-stage translation"; SPEC-FACTS A§5
// nested): the CD pointer, TTB0 and every stage-1 table address are IPAs
// that stage 2 translates, then the stage-1 output IPA goes through stage 2.
//
// Layout: stage 2 (4K, 40-bit IPA, start level 1, VMID 7) maps
//   IPA 0x1000_0000 + 2M block -> PA 0x4200_0000  (stage-1 tables and the CD)
//   IPA 0x2000_0000 + 64K      -> PA 0x4400_0000  (the data, 16 4K pages)
// Stage 1 (ASID 5) maps IOVA 0x8000_0000 -> IPA 0x2000_0000 with its own granule.
// If the walker used a table IPA as a PA it would read 0x1000_xxxx, which is not RAM.

const IPA_TABLES = 0x1000_0000
const PA_TABLES = 0x4200_0000
const IPA_DATA = 0x2000_0000
const PA_DATA = 0x4400_0000
const IOVA = 0x8000_0000
const SID = 4

function nested(g: Granule, opts: KitOptions = {}, dataAttrs = RW) {
  const k = new SmmuKit(opts)
  const s2 = k.pageTable(2, 12, 40, { startLevel: 1 })
  s2.map(IPA_TABLES, PA_TABLES, 21, RW)
  for (let p = 0; p < 16; p++) s2.map(IPA_DATA + p * 0x1000, PA_DATA + p * 0x1000, 12, dataAttrs)
  let next = IPA_TABLES
  const alloc = (bytes: number, align: number) => {
    next = Math.ceil(next / align) * align
    const a = next
    next += bytes
    return a
  }
  const toPa = (ipa: number) => ipa - IPA_TABLES + PA_TABLES
  const s1 = k.pageTable(1, g, 48, { alloc, toPa })
  s1.map(IOVA, IPA_DATA, g, RW)
  const cdIpa = IPA_TABLES + 0x1f_f000
  k.putCd(k.cdFields(s1, 5), toPa(cdIpa))
  k.putSte(SID, { Config: 'nested', S1ContextPtr: BigInt(cdIpa), ...k.s2Fields(s2, 7) })
  return { k, s1, s2, cdIpa }
}

describe.each([['4K', 12], ['16K', 14], ['64K', 16]] as const)('stage-1 %s over a 4K stage 2', (_n, g) => {
  test('the right PA; every stage-1 table read is translated by stage 2 first', () => {
    const { k, s1 } = nested(g)
    const m = k.mark()
    expect(k.dma(SID, IOVA + 0x234)).toMatchObject({ result: 'ok', pa: PA_DATA + 0x234 })
    const reads = k.since(m, 'ptw.read')
    const s1Reads = reads.filter((r) => r.stage === 1)
    // Stage-1 levels from the start level to 3, each read at a PA inside the tables' block.
    expect(s1Reads.map((r) => r.level)).toEqual(Array.from({ length: 4 - s1.startLevel }, (_, i) => s1.startLevel + i))
    for (const r of s1Reads) expect(r.address).toBeGreaterThanOrEqual(PA_TABLES)
    // Stage-2 reads: the CD pointer at decode (L1 table + L2 block: 2), 2 before each
    // stage-1 read (its descriptor's IPA, TTB0's included), and 3 for the output IPA (L1, L2, L3 page).
    expect(reads.filter((r) => r.stage === 2).length).toBe(2 + 2 * s1Reads.length + 3)
    // The combined entry: the smaller of the two mappings (the 4K stage-2 page), both IDs.
    expect(k.smmu.tlb.contents()).toMatchObject([{ asid: 5, vmid: 7, stage: 12, ipn: IOVA / 4096, sizeBits: 12, pa: PA_DATA }])
    expect(k.dma(SID, IOVA + 0x238)).toMatchObject({ pa: PA_DATA + 0x238, reason: 'IOTLB hit' })
  })
})

describe('nested faults', () => {
  test('the CD pointer IPA unmapped at stage 2: a stage-2 fault with CLASS=CD and the IPA', () => {
    const { k } = nested(12)
    k.putSte(SID, { ...decodeSteFields(k), S1ContextPtr: 0x3000_0000n })
    k.cmd({ op: 'CFGI_STE', SID, Leaf: 1 }, { op: 'SYNC' })
    expect(k.dma(SID, IOVA)).toMatchObject({ result: 'fault', event: 'F_TRANSLATION', stage: 2 })
    // w1: RnW [35] | S2 [39] | CLASS CD (0); w3: IPA[51:12].
    expect(k.eventWords(0)).toEqual([0x10n | (BigInt(SID) << 32n), (1n << 35n) | (1n << 39n), BigInt(IOVA), 0x3000_0000n])
  })

  test('TTB0 IPA unmapped at stage 2: CLASS=TT, IPA = TTB0', () => {
    const { k, s1, cdIpa } = nested(12)
    k.putCd(k.cdFields(s1, 5, { TTB0: 0x3000_0000n }), cdIpa - IPA_TABLES + PA_TABLES)
    expect(k.dma(SID, IOVA)).toMatchObject({ result: 'fault', event: 'F_TRANSLATION', stage: 2 })
    expect(k.eventWords(0)).toEqual([0x10n | (BigInt(SID) << 32n), (1n << 35n) | (1n << 39n) | (1n << 40n), BigInt(IOVA), 0x3000_0000n])
  })

  test('the stage-1 output IPA unmapped at stage 2: CLASS=IN, IPA = the output', () => {
    const { k, s1 } = nested(12)
    s1.map(IOVA + 0x1_0000, 0x3000_0000, 12, RW)
    k.dma(SID, IOVA + 0x1_0048, 'write')
    expect(k.eventWords(0)).toEqual([0x10n | (BigInt(SID) << 32n), (1n << 39n) | (2n << 40n), BigInt(IOVA + 0x1_0048), 0x3000_0000n])
  })

  test('a read-only stage 2: a read is cached, a write then faults at stage 2 from the TLB with the IPA', () => {
    const { k } = nested(12, {}, RO)
    expect(k.dma(SID, IOVA + 0x10)).toMatchObject({ result: 'ok', pa: PA_DATA + 0x10 })
    expect(k.dma(SID, IOVA + 0x20, 'write')).toMatchObject({ result: 'fault', event: 'F_PERMISSION', stage: 2, reason: 'stage 2 permission (cached entry 0x80000000)' })
    expect(k.eventWords(0)).toEqual([0x13n | (BigInt(SID) << 32n), (1n << 39n) | (2n << 40n), BigInt(IOVA + 0x20), BigInt(IPA_DATA)])
  })
})

describe('invalidating combined entries', () => {
  const filled = (opts: KitOptions = {}) => {
    const n = nested(12, opts)
    expect(n.k.dma(SID, IOVA).result).toBe('ok')
    expect(n.k.smmu.tlb.size).toBe(1)
    return n
  }

  test('TLBI_NH_ASID(ASID 5, VMID 7) and TLBI_S12_VMALL(7) remove it; other IDs do not', () => {
    const a = filled()
    a.k.cmd({ op: 'TLBI_NH_ASID', ASID: 5, VMID: 6 }, { op: 'TLBI_S12_VMALL', VMID: 6 }, { op: 'SYNC' })
    expect(a.k.smmu.tlb.size).toBe(1)
    a.k.cmd({ op: 'TLBI_NH_ASID', ASID: 5, VMID: 7 }, { op: 'SYNC' })
    expect(a.k.smmu.tlb.size).toBe(0)
    const b = filled()
    b.k.cmd({ op: 'TLBI_S12_VMALL', VMID: 7 }, { op: 'SYNC' })
    expect(b.k.smmu.tlb.size).toBe(0)
  })

  test('TLBI_S2_IPA of the data IPA removes it; with qemuCompat it is kept (software must follow with NH_ALL)', () => {
    const a = filled()
    a.k.cmd({ op: 'TLBI_S2_IPA', VMID: 7, Address: IPA_DATA, Leaf: 1 }, { op: 'SYNC' })
    expect(a.k.smmu.tlb.size).toBe(0)
    const b = filled({ qemuCompat: true })
    b.k.cmd({ op: 'TLBI_S2_IPA', VMID: 7, Address: IPA_DATA, Leaf: 1 }, { op: 'SYNC' })
    expect(b.k.smmu.tlb.size).toBe(1)
    b.k.cmd({ op: 'TLBI_NH_ALL', VMID: 7 }, { op: 'SYNC' })
    expect(b.k.smmu.tlb.size).toBe(0)
  })
})

/** The nested STE's fields as the `nested` setup wrote them, for rewriting one. */
function decodeSteFields(k: SmmuKit) {
  const w = k.mem.readWords(k.steAddr(SID), 8)
  return {
    Config: 'nested' as const,
    S2VMID: 7,
    S2T0SZ: 24,
    S2SL0: 1,
    S2TG: '4K' as const,
    S2PS: '44-bit' as const,
    S2AA64: 1,
    S2R: 1,
    S2TTB: w[3] & 0x000f_ffff_ffff_fff0n,
  }
}
