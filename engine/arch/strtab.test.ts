import { describe, expect, test } from 'vitest'
import { cdAddress, L1CD, L1STD, steAddress } from './strtab'

/** Memory of level-1 descriptors; anything else is a bus error, shaped like PhysMem's BusError. */
class FakeBusError extends Error {
  constructor(readonly pa: number) {
    super(`no memory at 0x${pa.toString(16)}`)
  }
}
function reader(descs: Record<number, bigint>): (pa: number) => bigint {
  return (pa) => {
    const d = descs[pa]
    if (d === undefined) throw new FakeBusError(pa)
    return d
  }
}
const noRead = reader({})

describe('level-1 descriptors', () => {
  test("L1STD as Linux writes it: Span 9 (SPLIT + 1) | L2Ptr [51:6]", () => {
    expect(L1STD.encode({ Span: 9, L2Ptr: 0x8010_0000 })[0]).toBe(0x8010_0009n)
  })
  test('L1CD: V bit 0, L2Ptr [51:12]', () => {
    expect(L1CD.encode({ V: 1, L2Ptr: 0xa000_0000 })[0]).toBe(0xa000_0001n)
    expect(() => L1CD.encode({ L2Ptr: 0xa000_0800 })).toThrow(/bits outside \[51:12\]/)
  })
})

describe('steAddress: linear table (IHI 0070 3.3.2)', () => {
  const linear = { base: 0x8000_0000, log2size: 8, split: 0, fmt: 0 }

  test('STE n is at base + 64n', () => {
    expect(steAddress(linear, 5, noRead)).toEqual({ ok: true, steAddr: 0x8000_0140 })
  })

  test('the base is aligned to the table size: ADDR[LOG2SIZE+5:0] = 0', () => {
    // 256 STEs x 64 bytes = 0x4000: 0x8000_1040 is taken as 0x8000_0000.
    expect(steAddress({ ...linear, base: 0x8000_1040 }, 5, noRead)).toEqual({ ok: true, steAddr: 0x8000_0140 })
  })

  test('StreamID >= 2^LOG2SIZE is C_BAD_STREAMID; LOG2SIZE is capped by IDR1.SIDSIZE', () => {
    expect(steAddress(linear, 256, noRead)).toMatchObject({ ok: false, event: 'C_BAD_STREAMID' })
    expect(steAddress({ ...linear, log2size: 16, sidBits: 8 }, 300, noRead)).toMatchObject({ ok: false, event: 'C_BAD_STREAMID' })
  })

  test('a reserved FMT behaves as linear', () => {
    expect(steAddress({ ...linear, fmt: 2 }, 5, noRead)).toEqual({ ok: true, steAddr: 0x8000_0140 })
  })
})

describe("steAddress: 2-level table (Linux's SPLIT 8, LOG2SIZE 16)", () => {
  const two = { base: 0x8000_0000, log2size: 16, split: 8, fmt: 1 }
  // SID 0x1234: L1 index 0x12 (8 bytes each), L2 index 0x34.
  const l1 = 0x8000_0000 + 0x12 * 8

  test('L1 index SID[15:8], L2 index SID[7:0]', () => {
    const r = steAddress(two, 0x1234, reader({ [l1]: L1STD.encode({ Span: 9, L2Ptr: 0x8010_0000 })[0] }))
    expect(r).toEqual({ ok: true, steAddr: 0x8010_0000 + 0x34 * 64, l1Addr: 0x8000_0090 })
  })

  test('the L1 base is aligned to the L1 table size (2^(16-8) x 8 = 2KB)', () => {
    const r = steAddress({ ...two, base: 0x8000_0400 }, 0x1234, reader({ [l1]: L1STD.encode({ Span: 9, L2Ptr: 0x8010_0000 })[0] }))
    expect(r).toMatchObject({ ok: true, l1Addr: 0x8000_0090 })
  })

  test('the L2 table is aligned to its size: L2Ptr[Span+4:0] are zero', () => {
    // Span 9: 256 STEs = 16KB.
    const r = steAddress(two, 0x1234, reader({ [l1]: L1STD.encode({ Span: 9, L2Ptr: 0x8010_2040 })[0] }))
    expect(r).toMatchObject({ ok: true, steAddr: 0x8010_0d00 })
  })

  test('Span 0, a reserved Span, or a Span above SPLIT+1 is C_BAD_STREAMID', () => {
    for (const span of [0, 10, 12, 31]) {
      expect(steAddress(two, 0x1234, reader({ [l1]: BigInt(span) | 0x8010_0000n })), `Span ${span}`).toMatchObject({ ok: false, event: 'C_BAD_STREAMID' })
    }
  })

  test('an index beyond the level-2 table is C_BAD_STREAMID (IHI 0070 7.3.3; QEMU says C_BAD_STE)', () => {
    // Span 3: 4 STEs; SID[7:0] = 5.
    const r = steAddress(two, 0x1205, reader({ [l1]: L1STD.encode({ Span: 3, L2Ptr: 0x8010_0000 })[0] }))
    expect(r).toMatchObject({ ok: false, event: 'C_BAD_STREAMID' })
    expect(steAddress(two, 0x1203, reader({ [l1]: L1STD.encode({ Span: 3, L2Ptr: 0x8010_0000 })[0] }))).toMatchObject({ ok: true, steAddr: 0x8010_00c0 })
  })

  test('an L1 read that aborts is F_STE_FETCH with the L1 address', () => {
    expect(steAddress(two, 0x1234, noRead)).toMatchObject({ ok: false, event: 'F_STE_FETCH', fetchAddr: l1 })
  })

  test('errors that are not bus errors propagate', () => {
    expect(() => steAddress(two, 0x1234, () => {
      throw new Error('not a bus error')
    })).toThrow('not a bus error')
  })

  test('a reserved SPLIT behaves as 6', () => {
    // SID 0x1234 with SPLIT 6: L1 index 0x48, L2 index 0x34; L1 table 2^(16-6) x 8 = 8KB.
    const r = steAddress({ ...two, split: 7 }, 0x1234, reader({ [0x8000_0000 + 0x48 * 8]: L1STD.encode({ Span: 7, L2Ptr: 0x8020_0000 })[0] }))
    expect(r).toEqual({ ok: true, steAddr: 0x8020_0000 + 0x34 * 64, l1Addr: 0x8000_0240 })
  })
})

describe('cdAddress (IHI 0070 5.2 S1Fmt / S1CDMax, 5.3)', () => {
  test('S1CDMax 0: one CD at S1ContextPtr; a SubstreamID is C_BAD_SUBSTREAMID', () => {
    expect(cdAddress({ ptr: 0x9000_0040, fmt: 0, cdMax: 0 }, 0, noRead)).toEqual({ ok: true, cdAddr: 0x9000_0040 })
    expect(cdAddress({ ptr: 0x9000_0040, fmt: 0, cdMax: 0 }, 1, noRead)).toMatchObject({ ok: false, event: 'C_BAD_SUBSTREAMID' })
  })

  test('linear table: CD n at ptr + 64n, table aligned to its size', () => {
    expect(cdAddress({ ptr: 0x9000_0000, fmt: 0, cdMax: 4 }, 3, noRead)).toEqual({ ok: true, cdAddr: 0x9000_00c0 })
    // 16 CDs = 1KB: ptr[9:6] are RES0 and taken as zero.
    expect(cdAddress({ ptr: 0x9000_0140, fmt: 0, cdMax: 4 }, 3, noRead)).toEqual({ ok: true, cdAddr: 0x9000_00c0 })
    expect(cdAddress({ ptr: 0x9000_0000, fmt: 0, cdMax: 4 }, 16, noRead)).toMatchObject({ ok: false, event: 'C_BAD_SUBSTREAMID' })
  })

  test("2-level with 64KB leaves (Linux's layout): L1 index SSID[19:10], L2 index SSID[9:0]", () => {
    // SSID 0x1403: L1 index 5, L2 index 3.
    const r = cdAddress({ ptr: 0x9000_0000, fmt: 2, cdMax: 20 }, 0x1403, reader({ 0x9000_0028: L1CD.encode({ V: 1, L2Ptr: 0xa000_0000 })[0] }))
    expect(r).toEqual({ ok: true, cdAddr: 0xa000_00c0, l1Addr: 0x9000_0028 })
  })

  test('64KB leaves are 64KB-aligned: L2Ptr[15:12] taken as zero', () => {
    const r = cdAddress({ ptr: 0x9000_0000, fmt: 2, cdMax: 20 }, 0x1403, reader({ 0x9000_0028: L1CD.encode({ V: 1, L2Ptr: 0xa000_3000 })[0] }))
    expect(r).toMatchObject({ ok: true, cdAddr: 0xa000_00c0 })
  })

  test('2-level with 4KB leaves: 64 CDs per leaf', () => {
    // SSID 70: L1 index 1, L2 index 6.
    const r = cdAddress({ ptr: 0x9000_0000, fmt: 1, cdMax: 8 }, 70, reader({ 0x9000_0008: L1CD.encode({ V: 1, L2Ptr: 0xb000_0000 })[0] }))
    expect(r).toEqual({ ok: true, cdAddr: 0xb000_0180, l1Addr: 0x9000_0008 })
  })

  test('an L1CD with V=0 is C_BAD_SUBSTREAMID; an aborted L1CD read is F_CD_FETCH', () => {
    expect(cdAddress({ ptr: 0x9000_0000, fmt: 2, cdMax: 20 }, 0x1403, reader({ 0x9000_0028: 0xa000_0000n }))).toMatchObject({ ok: false, event: 'C_BAD_SUBSTREAMID' })
    expect(cdAddress({ ptr: 0x9000_0000, fmt: 2, cdMax: 20 }, 0x1403, noRead)).toMatchObject({ ok: false, event: 'F_CD_FETCH', fetchAddr: 0x9000_0028 })
  })

  test('S1Fmt 0b11 is reserved and behaves as linear', () => {
    expect(cdAddress({ ptr: 0x9000_0000, fmt: 3, cdMax: 4 }, 3, noRead)).toEqual({ ok: true, cdAddr: 0x9000_00c0 })
  })
})
