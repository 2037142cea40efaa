import { describe, expect, test } from 'vitest'
import { decodeScope } from './inval'

// Range decoding rules: IHI 0070 §4.4 (range invalidation) as summarised in
// SPEC-FACTS A§2: TG 1/2/3 = 4K/16K/64K, (NUM+1) × 2^SCALE granules from
// Address; TG = 0 is a single address.
describe('decodeScope', () => {
  test('TG=1 (4K), SCALE=0, NUM=3 at 0x10000 covers 0x10000..0x13fff', () => {
    // (3+1) × 2^0 = 4 granules of 4K = 4 frames: pages 0x10, 0x11, 0x12, 0x13.
    const s = decodeScope({ Address: 0x10000n, TG: 1, SCALE: 0, NUM: 3, TTL: 0, Leaf: 1 })
    expect(s).toEqual({ start: 0x10, pages: 4, granule: 12, ttl: 0, leaf: true })
  })

  test('TG=3 (64K), SCALE=5, NUM=1 covers 64 pages of 64K', () => {
    // (1+1) × 2^5 = 64 granules; each 64K granule is 16 frames of 4K: 1024 frames = 4 MiB.
    const s = decodeScope({ Address: 0x4000_0000n, TG: 3, SCALE: 5, NUM: 1 })
    expect(s.granule).toBe(16)
    expect(s.pages).toBe(1024)
    expect(s.start).toBe(0x40000)
  })

  test('TG=2 (16K), NUM=0, SCALE=0 with TTL=3 is one 16K granule at level 3', () => {
    const s = decodeScope({ Address: 0x8000n, TG: 2, NUM: 0, SCALE: 0, TTL: 3, Leaf: 0 })
    expect(s).toEqual({ start: 8, pages: 4, granule: 14, ttl: 3, leaf: false })
  })

  test('TG=0 is one address: NUM, SCALE and TTL are not used', () => {
    const s = decodeScope({ Address: 0x20_1000n, TG: 0, NUM: 7, SCALE: 3, TTL: 2 })
    expect(s).toEqual({ start: 0x201, pages: 1, granule: null, ttl: 0, leaf: false })
  })

  test('a TT1 address keeps its top bits in the input page number', () => {
    // 0xffff_ffff_ffe0_0000 >> 12 drops three hex digits: 0xffff_ffff_ffe00 (2^52 - 0x200).
    const s = decodeScope({ Address: 0xffff_ffff_ffe0_0000n, TG: 0 })
    expect(s.start).toBe(0xffff_ffff_ffe00)
    expect(s.start).toBe(2 ** 52 - 0x200)
    expect(s.start).toBeLessThan(2 ** 52)
  })

  test('Address bits 11:0 are not part of the field; a number address works too', () => {
    expect(decodeScope({ Address: 0x12345 }).start).toBe(0x12)
    // 2^32 + 0xfff: the page is 2^32 >> 12 = 2^20.
    expect(decodeScope({ Address: 0x1_0000_0fffn }).start).toBe(0x10_0000)
  })

  test('ASID and VMID pass through only when given', () => {
    expect(decodeScope({ Address: 0n, ASID: 3, VMID: 9 })).toMatchObject({ asid: 3, vmid: 9 })
    const s = decodeScope({ Address: 0n, VMID: 9 })
    expect('asid' in s).toBe(false)
    expect(s.vmid).toBe(9)
  })

  test("Linux's RIL loop for 65 leaf pages of 4K gives two commands covering them exactly", () => {
    // __arm_smmu_tlb_inv_range (SPEC-FACTS B§2), tg = 12, num_pages = 65 = 0b1000001:
    //  1st: scale = ffs(65) = 0, num = (65 >> 0) & 31 = 1 -> SCALE 0, NUM 0; step 1 page; 64 left
    //  2nd: scale = ffs(64) = 6, num = (64 >> 6) & 31 = 1 -> SCALE 6, NUM 0 at iova + 4K
    const iova = 0x100_0000
    const a = decodeScope({ Address: BigInt(iova), TG: 1, SCALE: 0, NUM: 0, TTL: 3, Leaf: 1 })
    const b = decodeScope({ Address: BigInt(iova + 0x1000), TG: 1, SCALE: 6, NUM: 0, TTL: 3, Leaf: 1 })
    expect([a.start, a.pages]).toEqual([0x1000, 1])
    expect([b.start, b.pages]).toEqual([0x1001, 64])
    expect(a.pages + b.pages).toBe(65)
  })

  test("Linux's RIL command for 34 pages is NUM=16, SCALE=1", () => {
    // num_pages = 34 = 0b100010: scale = 1, num = (34 >> 1) & 31 = 17 -> NUM 16: 17 × 2 = 34 pages.
    expect(decodeScope({ Address: 0n, TG: 1, SCALE: 1, NUM: 16 }).pages).toBe(34)
  })
})
