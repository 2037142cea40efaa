import { describe, expect, test } from 'vitest'
import { levelShift } from '../arch/descriptors'
import { RW, SmmuKit } from './testkit'
import type { Granule } from './types'

// Translations through the whole device: SMMUEN/GBPA, STE, CD, walk, IOTLB
// (IHI 0070 3; SPEC-FACTS A§5, A§6). Expected PAs are mapping base + offset;
// descriptor addresses are worked out from the Arm ARM D8 walk by hand:
// index at level L = IOVA[level_shift(L) + stride - 1 : level_shift(L)].

const GRANULES: readonly [string, Granule][] = [['4K', 12], ['16K', 14], ['64K', 16]]

describe.each(GRANULES)('stage 1, %s granule', (_name, g) => {
  const page = 2 ** g
  const iova = 0x12_3450_0000 // aligned to 64K, so to every granule

  test('TT0: a page, PA = page + offset; the TLB caches it and the next access hits', () => {
    const k = new SmmuKit()
    const { pt } = k.s1Stream(1, g, 48, 1)
    pt.map(iova, 0x5000_0000, g, RW)
    const m = k.mark()
    expect(k.dma(1, iova + 0x123)).toMatchObject({ result: 'ok', pa: 0x5000_0123 })
    expect(k.since(m, 'tlb.insert')).toMatchObject([{ asid: 1, vmid: 0, stage: 1, ipn: iova / 4096, sizeBits: g, level: 3, pa: 0x5000_0000 }])
    const m2 = k.mark()
    expect(k.dma(1, iova + page - 8, 'write')).toMatchObject({ result: 'ok', pa: 0x5000_0000 + page - 8, reason: 'IOTLB hit' })
    expect(k.since(m2, 'ptw.read')).toEqual([])
  })

  test('TT0: a level-2 block (2M, 32M, 512M)', () => {
    const k = new SmmuKit()
    const { pt } = k.s1Stream(1, g, 48, 1)
    const bits = levelShift(g, 2)
    const base = 2 ** 40 // a block-aligned IOVA for every granule
    pt.map(base, 0x6000_0000, bits, RW)
    expect(k.dma(1, base + 2 ** bits - 4)).toMatchObject({ result: 'ok', pa: 0x6000_0000 + 2 ** bits - 4 })
    expect(k.smmu.tlb.contents()).toMatchObject([{ sizeBits: bits, level: 2 }])
  })

  test('TT1 with TBI1: the top byte is ignored, and the TLB is tagged with the canonical address', () => {
    const k = new SmmuKit()
    const tt0 = k.pageTable(1, g, 48)
    const tt1 = k.pageTable(1, g, 39)
    // TT1 covers 0xFFFF_FF80_0000_0000 up (T1SZ 25); the builder takes the low 39 bits.
    tt1.map(0x10_0000, 0x5100_0000, g, RW)
    const cd = k.putCd(k.cdFields(tt0, 4, {
      EPD1: 0, T1SZ: 25, TG1: g === 12 ? '4K' : g === 14 ? '16K' : '64K', TTB1: BigInt(tt1.root), TBI: 0b10,
    }))
    k.putSte(1, { Config: 's1', S1ContextPtr: BigInt(cd) })
    const canonical = 0xffff_ff80_0010_0000n
    const tagged = 0xabff_ff80_0010_0000n
    expect(k.dma(1, tagged + 0x40n)).toMatchObject({ result: 'ok', pa: 0x5100_0040 })
    expect(k.dma(1, canonical + 0x44n)).toMatchObject({ result: 'ok', pa: 0x5100_0044, reason: 'IOTLB hit' })
    expect(k.smmu.tlb.contents()).toMatchObject([{ ipn: Number(canonical >> 12n) }])
    // Linux invalidates the canonical VA; the entry the tagged access made goes.
    k.cmd({ op: 'TLBI_NH_VA', ASID: 4, Address: canonical, Leaf: 1 }, { op: 'SYNC' })
    expect(k.smmu.tlb.size).toBe(0)
    // Without TBI1 the tagged address is in neither range: F_TRANSLATION.
    k.putCd(k.cdFields(tt0, 4, { EPD1: 0, T1SZ: 25, TG1: g === 12 ? '4K' : g === 14 ? '16K' : '64K', TTB1: BigInt(tt1.root) }), cd)
    k.cmd({ op: 'CFGI_CD', SID: 1, SSID: 0, Leaf: 1 }, { op: 'SYNC' })
    expect(k.dma(1, tagged)).toMatchObject({ result: 'fault', event: 'F_TRANSLATION', stage: 1 })
  })
})

describe('stage 2 with concatenated start tables (Arm ARM D8.2)', () => {
  // [granule, IPA bits, start level, tables, IPA, offset of the first descriptor read from S2TTB]
  const CASES: readonly [string, Granule, number, number, number, number, number][] = [
    // 4K, start L1 (shift 30): index = IPA[39:30] = 0x200 -> second table, entry 0.
    ['4K', 12, 40, 1, 2, 0x80_1234_5000, 0x1000],
    // 16K, start L2 (shift 25): index = IPA[39:25] = 0x4000 + 9 -> 0x4009 * 8, in the ninth table.
    ['16K', 14, 40, 2, 16, 0x80_1234_4000, 0x2_0048],
    // 64K, start L2 (shift 29), 44-bit IPA: index = IPA[43:29] = 0x5000 -> 0x5000 * 8, in the third table.
    ['64K', 16, 44, 2, 4, 0xa00_1234_0000, 0x28000],
  ]

  test.each(CASES)('%s: %d-bit IPA from level %d over %d tables', (_n, g, bits, start, tables, ipa, first) => {
    const k = new SmmuKit()
    const pt = k.s2Stream(2, g, bits, 9, start)
    expect(pt.tables).toBe(tables)
    pt.map(ipa, 0x5000_0000, g, RW)
    const m = k.mark()
    expect(k.dma(2, ipa + 0x18, 'write')).toMatchObject({ result: 'ok', pa: 0x5000_0018 })
    const reads = k.since(m, 'ptw.read')
    expect(reads[0]).toMatchObject({ stage: 2, level: start, address: pt.root + first })
    expect(reads).toHaveLength(4 - start)
    expect(k.smmu.tlb.contents()).toMatchObject([{ asid: -1, vmid: 9, stage: 2, sizeBits: g }])
  })
})

describe('SMMUEN=0, abort and bypass, 2-level stream table', () => {
  test('SMMUEN=0: GBPA.ABORT=0 bypasses, GBPA.ABORT=1 aborts; no events', () => {
    const k = new SmmuKit()
    k.write('CR0', 0xc)
    expect(k.dma(7, 0x1234_5678)).toMatchObject({ result: 'ok', pa: 0x1234_5678 })
    k.write('GBPA', 0x8010_0000)
    expect(k.dma(7, 0x1234_5678)).toMatchObject({ result: 'abort' })
    expect(k.events()).toEqual([])
  })

  test('STE Config=abort terminates silently; Config=bypass passes the address through', () => {
    const k = new SmmuKit()
    k.putSte(1, { Config: 'abort' })
    k.putSte(2, { Config: 'bypass' })
    expect(k.dma(1, 0x1000)).toMatchObject({ result: 'abort' })
    expect(k.dma(2, 0xdead_b000)).toMatchObject({ result: 'ok', pa: 0xdead_b000 })
    expect(k.events()).toEqual([])
  })

  test('2-level stream table, SPLIT 8: SID 0x123 is STE 0x23 of the L2 table of L1[1]', () => {
    const k = new SmmuKit({ params: { sidBits: 16, strtab: '2level' }, split: 8 })
    const l2 = k.putL1(1, 9) // Span 9: 2^8 STEs
    const pt = k.pageTable(1, 12, 48)
    pt.map(0x7000, 0x5000_7000, 12, RW)
    k.putWords(l2 + 0x23 * 64, [0xbn | BigInt(k.putCd(k.cdFields(pt, 3))), 0n, 0n, 0n, 0n, 0n, 0n, 0n]) // V | Config s1 (0b101 << 1)
    const m = k.mark()
    expect(k.dma(0x123, 0x7abc)).toMatchObject({ result: 'ok', pa: 0x5000_7abc })
    expect(k.since(m, 'ste.read')).toMatchObject([{ sid: 0x123, address: l2 + 0x23 * 64 }])
  })
})
