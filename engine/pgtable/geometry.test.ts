import { describe, expect, test } from 'vitest'
import {
  bitsPerLevel,
  concatenatedTables,
  ioPgtableS2Start,
  levelCount,
  levelForSize,
  levelShift,
  mappingSizes,
  s2StartConsistent,
  s2StartLevel,
  startLevel,
  startTableEntries,
  vtcrSl0,
} from './geometry'

// Values from the Arm ARM D8.2 translation-granule tables and SPEC-FACTS A§5 / B§7.

describe('per-granule geometry', () => {
  test('bits per level and level shifts', () => {
    expect([bitsPerLevel(12), bitsPerLevel(14), bitsPerLevel(16)]).toEqual([9, 11, 13])
    expect([0, 1, 2, 3].map((l) => levelShift(12, l))).toEqual([39, 30, 21, 12])
    expect([0, 1, 2, 3].map((l) => levelShift(14, l))).toEqual([47, 36, 25, 14])
    expect([1, 2, 3].map((l) => levelShift(16, l))).toEqual([42, 29, 16])
  })

  test('start level from the input size (A§5 S1 step 2 examples)', () => {
    expect(startLevel(12, 48)).toBe(0) // 4K, T0SZ 16
    expect(startLevel(12, 39)).toBe(1) // 4K, T0SZ 25
    expect(startLevel(16, 48)).toBe(1) // 64K, T0SZ 16
    expect(startLevel(14, 48)).toBe(0) // 16K: L0 holds 2 entries (bit 47)
    expect(startLevel(14, 47)).toBe(1)
    expect(startLevel(12, 30)).toBe(2)
    expect(levelCount(12, 48)).toBe(4)
    expect(levelCount(16, 42)).toBe(2)
    expect(startTableEntries(14, 48, 0)).toBe(2)
    expect(startTableEntries(16, 48, 1)).toBe(64)
    expect(startTableEntries(12, 48, 0)).toBe(512)
  })

  test('mapping sizes (B§7): 4K {4K,2M,1G}; 16K {16K,32M}; 64K {64K,512M} + 4T with 52-bit OA', () => {
    expect(mappingSizes(12, false)).toEqual([12, 21, 30])
    expect(mappingSizes(14, true)).toEqual([14, 25])
    expect(mappingSizes(16, false)).toEqual([16, 29])
    expect(mappingSizes(16, true)).toEqual([16, 29, 42])
    expect(levelForSize(12, 21)).toBe(2)
    expect(levelForSize(16, 42)).toBe(1)
    expect(levelForSize(12, 13)).toBe(-1)
  })
})

describe('stage-2 start level and concatenation', () => {
  test('SL0 -> start level (A§5 S2 step 2)', () => {
    expect([0, 1, 2].map((s) => s2StartLevel(12, s))).toEqual([2, 1, 0])
    expect([0, 1, 2].map((s) => s2StartLevel(14, s))).toEqual([3, 2, 1])
    expect([0, 1, 2].map((s) => s2StartLevel(16, s))).toEqual([3, 2, 1])
    expect(s2StartLevel(12, 3)).toBeUndefined()
  })

  test('VTCR.SL0 = ~(start + (4K ? 1 : 0)) & 3 inverts it (B§7)', () => {
    expect(vtcrSl0(12, 0)).toBe(2)
    expect(vtcrSl0(12, 1)).toBe(1)
    expect(vtcrSl0(16, 1)).toBe(2)
    expect(vtcrSl0(14, 3)).toBe(0)
    for (const g of [12, 14, 16] as const) {
      for (const sl0 of [0, 1, 2]) expect(vtcrSl0(g, s2StartLevel(g, sl0)!)).toBe(sl0)
    }
  })

  test('concatenated start tables', () => {
    // B§7 examples: 4K 40-bit from L1 -> 2 tables; 42-bit -> 8; 16K 40-bit from L2 -> 16
    expect(concatenatedTables(12, 40, 1)).toBe(2)
    expect(concatenatedTables(12, 42, 1)).toBe(8)
    expect(concatenatedTables(14, 40, 2)).toBe(16)
    // 64K 44-bit from L2: L2 resolves bits 41:29, two more bits -> 4 tables
    expect(concatenatedTables(16, 44, 2)).toBe(4)
    expect(concatenatedTables(12, 39, 1)).toBe(1)
    expect(concatenatedTables(12, 32, 1)).toBe(1) // a partial L1 table (bits 31:30)
    expect(concatenatedTables(12, 30, 1)).toBe(0) // L1 resolves nothing of a 30-bit IPA
    // 4K L1 resolves bits 38:30; 43 bits need 2^4 = 16 tables, 44 bits 32
    expect(s2StartConsistent(12, 43, 1)).toBe(true)
    expect(s2StartConsistent(12, 44, 1)).toBe(false)
    expect(s2StartConsistent(12, 30, 1)).toBe(false)
  })

  test('io-pgtable concatenates only when mandatory (B§7)', () => {
    expect(ioPgtableS2Start(12, 40, 40)).toEqual({ startLevel: 1, tables: 2 })
    expect(ioPgtableS2Start(12, 42, 42)).toEqual({ startLevel: 1, tables: 8 })
    expect(ioPgtableS2Start(14, 40, 40)).toEqual({ startLevel: 2, tables: 16 })
    expect(ioPgtableS2Start(14, 48, 48)).toEqual({ startLevel: 1, tables: 2 })
    expect(ioPgtableS2Start(12, 48, 48)).toEqual({ startLevel: 0, tables: 1 })
    expect(ioPgtableS2Start(12, 40, 44)).toEqual({ startLevel: 0, tables: 1 })
  })
})
