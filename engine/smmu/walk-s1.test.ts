import { describe, expect, test } from 'vitest'
import { PageTableBuilder } from '../pgtable/builder'
import type { Access, Granule, S1Config, S1Table, WalkStep } from './types'
import { walkS1 } from './walk-s1'
import { walkMemory } from './testkit'
import type { PhysMem } from '../mem/physmem'

// Expected values are worked by hand from the Arm ARM (DDI 0487) D8 walk:
// index at level L = IOVA[level_shift(L) + 8 : level_shift(L)] (4K: shifts
// 39/30/21/12), descriptor address = table + 8 × index.

const R: Access = { read: true, write: false }
const W: Access = { read: false, write: true }

const setup = walkMemory

function table(ttb: number, tsz = 16, granule: Granule = 12, had = false): S1Table {
  return { tsz, granule, ttb, ttbPa: ttb, had }
}

function cfg(tt0: S1Table | null, tt1: S1Table | null = null, extra: Partial<S1Config> = {}): S1Config {
  return { tt: [tt0, tt1], tbi: 0, oas: 48, affd: false, record: true, asid: 1, ...extra }
}

function split(iova: bigint): [number, number] {
  return [Number(iova >> 32n), Number(iova & 0xffff_ffffn)]
}

function walk(mem: PhysMem, c: S1Config, iova: bigint, access: Access = R, steps?: WalkStep[]) {
  const [hi, lo] = split(iova)
  return walkS1(mem, c, hi, lo, access, null, steps ? (s) => steps.push(s) : null)
}

// IOVA 0x80_8060_4567: L0 index 1 (bit 39), L1 index 2, L2 index 3, L3 index 4, offset 0x567.
const IOVA = 0x0000_0080_8060_4567n

/** 4K, T0SZ 16, tables by hand at 0x4000_0000 (L0), 0x4000_1000 (L1), 0x4000_2000 (L2), 0x4000_3000 (L3). */
function handTables() {
  const s = setup()
  s.put(0x4000_0008, 0x4000_1003n) // L0[1] -> table 0x4000_1000
  s.put(0x4000_1010, 0x4000_2003n) // L1[2] -> table 0x4000_2000
  s.put(0x4000_2018, 0x4000_3003n) // L2[3] -> table 0x4000_3000
  s.put(0x4000_3020, 0x4567_8403n) // L3[4] -> page 0x4567_8000, AF, AP RW
  return s
}

describe('stage-1 walk, 4K, hand-built tables', () => {
  test('a page: four reads at the hand-computed addresses, PA = page + offset', () => {
    const { mem } = handTables()
    const steps: WalkStep[] = []
    const r = walk(mem, cfg(table(0x4000_0000)), IOVA, R, steps)
    expect(r).toEqual({ ok: true, pa: 0x4567_8567, sizeBits: 12, level: 3, granule: 12, perm: 3, parentPerm: 3 })
    expect(steps.map((s) => [s.level, s.address, s.type])).toEqual([
      [0, 0x4000_0008, 'table'],
      [1, 0x4000_1010, 'table'],
      [2, 0x4000_2018, 'table'],
      [3, 0x4000_3020, 'page'],
    ])
    expect(steps[3]).toMatchObject({ stage: 1, lo: 0x4567_8403, hi: 0 })
  })

  test('TTB low bits below the table size are ignored', () => {
    const { mem } = handTables()
    expect(walk(mem, cfg(table(0x4000_0ff0)), IOVA)).toMatchObject({ ok: true, pa: 0x4567_8567 })
  })

  test('a 2M block at L2 and a 1G block at L1', () => {
    const { mem, put } = handTables()
    put(0x4000_2018, 0x4560_0401n) // L2 block 0x4560_0000
    expect(walk(mem, cfg(table(0x4000_0000)), IOVA)).toMatchObject({ ok: true, pa: 0x4560_4567, sizeBits: 21, level: 2 })
    put(0x4000_1010, 0xc000_0401n) // L1 block 0xC000_0000; IOVA[29:0] = 0x0060_4567
    expect(walk(mem, cfg(table(0x4000_0000)), IOVA)).toMatchObject({ ok: true, pa: 0xc060_4567, sizeBits: 30, level: 1 })
  })

  test('a block at L0 (4K) is not permitted: F_TRANSLATION at level 0', () => {
    const { mem, put } = handTables()
    put(0x4000_0008, 0x80_0000_0401n)
    expect(walk(mem, cfg(table(0x4000_0000)), IOVA)).toEqual({ ok: false, fault: { type: 'F_TRANSLATION', stage: 1, cls: 'IN', level: 0, addr2: 0 } })
  })

  test('invalid descriptor and reserved level-3 type 0b01: F_TRANSLATION', () => {
    const a = handTables()
    a.put(0x4000_2018, 0n)
    expect(walk(a.mem, cfg(table(0x4000_0000)), IOVA)).toEqual({ ok: false, fault: { type: 'F_TRANSLATION', stage: 1, cls: 'IN', level: 2, addr2: 0 } })
    const b = handTables()
    b.put(0x4000_3020, 0x4567_8401n)
    const steps: WalkStep[] = []
    expect(walk(b.mem, cfg(table(0x4000_0000)), IOVA, R, steps)).toEqual({ ok: false, fault: { type: 'F_TRANSLATION', stage: 1, cls: 'IN', level: 3, addr2: 0 } })
    expect(steps[3].type).toBe('reserved')
  })

  test('AF = 0: F_ACCESS unless AFFD', () => {
    const { mem, put } = handTables()
    put(0x4000_3020, 0x4567_8003n)
    expect(walk(mem, cfg(table(0x4000_0000)), IOVA)).toEqual({ ok: false, fault: { type: 'F_ACCESS', stage: 1, cls: 'IN', level: 3, addr2: 0 } })
    expect(walk(mem, cfg(table(0x4000_0000), null, { affd: true }), IOVA)).toMatchObject({ ok: true, pa: 0x4567_8567 })
  })

  test('AP[2] = 1: reads pass with read-only permission, writes fault F_PERMISSION', () => {
    const { mem, put } = handTables()
    put(0x4000_3020, 0x4567_8483n)
    expect(walk(mem, cfg(table(0x4000_0000)), IOVA, R)).toMatchObject({ ok: true, perm: 1 })
    expect(walk(mem, cfg(table(0x4000_0000)), IOVA, W)).toEqual({ ok: false, fault: { type: 'F_PERMISSION', stage: 1, cls: 'IN', level: 3, addr2: 0 } })
  })

  test('APTable[1] removes write at later levels unless HAD; the fault is at the leaf', () => {
    const { mem, put } = handTables()
    put(0x4000_1010, 0x4000_0000_4000_2003n) // APTable = 0b10 (bit 62)
    expect(walk(mem, cfg(table(0x4000_0000)), IOVA, W)).toEqual({ ok: false, fault: { type: 'F_PERMISSION', stage: 1, cls: 'IN', level: 3, addr2: 0 } })
    expect(walk(mem, cfg(table(0x4000_0000)), IOVA, R)).toMatchObject({ ok: true, perm: 1 })
    expect(walk(mem, cfg(table(0x4000_0000, 16, 12, true)), IOVA, W)).toMatchObject({ ok: true, perm: 3 })
  })

  test('output at or above 2^OAS: F_ADDR_SIZE, before the access flag', () => {
    const { mem, put } = handTables()
    put(0x4000_3020, 0x1_0000_0403n)
    expect(walk(mem, cfg(table(0x4000_0000), null, { oas: 32 }), IOVA)).toEqual({ ok: false, fault: { type: 'F_ADDR_SIZE', stage: 1, cls: 'IN', level: 3, addr2: 0 } })
    put(0x4000_3020, 0x1_0000_0003n) // AF = 0 as well: the size fault has priority
    expect(walk(mem, cfg(table(0x4000_0000), null, { oas: 32 }), IOVA)).toMatchObject({ ok: false, fault: { type: 'F_ADDR_SIZE' } })
    expect(walk(mem, cfg(table(0x4000_0000), null, { oas: 36 }), IOVA)).toMatchObject({ ok: false, fault: { type: 'F_ACCESS' } })
  })

  test('a table address at or above 2^OAS: F_ADDR_SIZE at that level', () => {
    const { mem, put } = handTables()
    put(0x4000_2018, 0x1_0000_0003n)
    expect(walk(mem, cfg(table(0x4000_0000), null, { oas: 32 }), IOVA)).toEqual({ ok: false, fault: { type: 'F_ADDR_SIZE', stage: 1, cls: 'IN', level: 2, addr2: 0 } })
  })

  test('a table outside RAM: F_WALK_EABT, class TT, addr2 = the descriptor address', () => {
    const { mem, put } = handTables()
    put(0x4000_1010, 0x9000_0003n) // L2 table at 0x9000_0000, beyond RAM; L2[3] is at +0x18
    const steps: WalkStep[] = []
    expect(walk(mem, cfg(table(0x4000_0000)), IOVA, R, steps)).toEqual({ ok: false, fault: { type: 'F_WALK_EABT', stage: 1, cls: 'TT', level: 2, addr2: 0x9000_0018 } })
    expect(steps[2]).toMatchObject({ level: 2, address: 0x9000_0018, type: 'eabt' })
  })

  test('T0SZ 25 starts at level 1 (index IOVA[38:30])', () => {
    const { mem, put } = setup()
    // IOVA 0x40_8060_4567: L1 index 0x102 (bits 38:30), L2 index 3, L3 index 4
    put(0x4000_0000 + 0x102 * 8, 0x4000_2003n)
    put(0x4000_2018, 0x4000_3003n)
    put(0x4000_3020, 0x4567_8403n)
    const steps: WalkStep[] = []
    expect(walk(mem, cfg(table(0x4000_0000, 25)), 0x40_8060_4567n, R, steps)).toMatchObject({ ok: true, pa: 0x4567_8567 })
    expect(steps.map((s) => s.address)).toEqual([0x4000_0810, 0x4000_2018, 0x4000_3020])
  })
})

describe('TT0/TT1 selection and TBI (Arm ARM D8.1: VA[55] selects the range)', () => {
  function twoRanges() {
    const s = handTables()
    // TT1 start table at 0x4000_8000: L0[1] -> the same L1 table
    s.put(0x4000_8008, 0x4000_1003n)
    return s
  }
  const c = (tbi: number) => cfg(table(0x4000_0000), table(0x4000_8000), { tbi })

  test('bits 63:48 all ones: TT1', () => {
    const { mem } = twoRanges()
    const steps: WalkStep[] = []
    expect(walk(mem, c(0), 0xffff_0080_8060_4567n, R, steps)).toMatchObject({ ok: true, pa: 0x4567_8567 })
    expect(steps[0].address).toBe(0x4000_8008)
  })

  test('the gap between the ranges, and a disabled TT (EPD): F_TRANSLATION before any read', () => {
    const { mem } = twoRanges()
    const gap = { ok: false, fault: { type: 'F_TRANSLATION', stage: 1, cls: 'IN', level: -1, addr2: 0 } }
    expect(walk(mem, c(0), 0x0001_0080_8060_4567n)).toEqual(gap)
    expect(walk(mem, c(0), 0xfffe_0080_8060_4567n)).toEqual(gap)
    expect(walk(mem, cfg(table(0x4000_0000), null), 0xffff_0080_8060_4567n)).toEqual(gap)
  })

  test('a tagged TT0 address needs TBI0', () => {
    const { mem } = twoRanges()
    expect(walk(mem, c(0), 0x5a00_0080_8060_4567n)).toMatchObject({ ok: false, fault: { type: 'F_TRANSLATION', level: -1 } })
    expect(walk(mem, c(0b01), 0x5a00_0080_8060_4567n)).toMatchObject({ ok: true, pa: 0x4567_8567 })
    expect(walk(mem, c(0b10), 0x5a00_0080_8060_4567n)).toMatchObject({ ok: false })
  })

  test('a tagged TT1 address needs TBI1, not TBI0 (QEMU reads TBI0 here, A§5 S1 step 1)', () => {
    const { mem } = twoRanges()
    const steps: WalkStep[] = []
    expect(walk(mem, c(0b10), 0xaaff_0080_8060_4567n, R, steps)).toMatchObject({ ok: true, pa: 0x4567_8567 })
    expect(steps[0].address).toBe(0x4000_8008)
    expect(walk(mem, c(0b01), 0xaaff_0080_8060_4567n)).toMatchObject({ ok: false, fault: { type: 'F_TRANSLATION', level: -1 } })
    // bit 55 = 0 picks TT0 even when the tag looks like a TT1 address
    expect(walk(mem, c(0b11), 0xff7f_0080_8060_4567n)).toMatchObject({ ok: false, fault: { type: 'F_TRANSLATION', level: -1 } })
    expect(walk(mem, c(0b11), 0xff00_0080_8060_4567n)).toMatchObject({ ok: true })
  })
})

describe('stage-1 walks for each granule (tables from PageTableBuilder)', () => {
  // One page at 0x1234_5678_0000 -> 0x4010_0000 and one block at
  // 0x2000_0000_0000 -> 0x6000_0000 (aligned to 2M, 32M and 512M).
  const cases: [Granule, number, number, number, number][] = [
    // granule, block sizeBits, block level, page walk reads, block walk reads
    [12, 21, 2, 4, 3], // 4K: L0..L3; 2M block at L2
    [14, 25, 2, 4, 3], // 16K, 48 bits: L0 (2 entries)..L3; 32M block at L2
    [16, 29, 2, 3, 2], // 64K, 48 bits: L1..L3; 512M block at L2
  ]
  for (const [g, blockBits, blockLevel, pageReads, blockReads] of cases) {
    test(`${2 ** (g - 10)}K: a page and a block`, () => {
      const { mem, alloc } = setup()
      const b = new PageTableBuilder({ mem, stage: 1, granule: g, inputBits: 48, alloc, actor: 'host' })
      b.map(0x1234_5678_0000, 0x4010_0000, g, { read: true, write: true })
      b.map(0x2000_0000_0000, 0x6000_0000, blockBits, { read: true, write: false })
      const c = cfg(table(b.root, 16, g))
      const steps: WalkStep[] = []
      expect(walk(mem, c, 0x1234_5678_0123n, W, steps)).toEqual({ ok: true, pa: 0x4010_0123, sizeBits: g, level: 3, granule: g, perm: 3, parentPerm: 3 })
      expect(steps.length).toBe(pageReads)
      steps.length = 0
      expect(walk(mem, c, 0x2000_0012_3456n, R, steps)).toEqual({ ok: true, pa: 0x6012_3456, sizeBits: blockBits, level: blockLevel, granule: g, perm: 1, parentPerm: 1 })
      expect(steps.length).toBe(blockReads)
      expect(walk(mem, c, 0x2000_0012_3456n, W)).toMatchObject({ ok: false, fault: { type: 'F_PERMISSION', stage: 1, level: blockLevel } })
      expect(walk(mem, c, 0x1234_5679_0000n)).toMatchObject({ ok: false, fault: { type: 'F_TRANSLATION', stage: 1, level: 3 } })
    })
  }

  test('64K with a 52-bit OA: a page above 2^48 and a 4T block at L1', () => {
    const { mem, alloc } = setup()
    const b = new PageTableBuilder({ mem, stage: 1, granule: 16, inputBits: 48, oas: 52, alloc, actor: 'host' })
    b.map(0x1234_5678_0000, 0xf_0000_1234_0000, 16, { read: true, write: true })
    b.map(0x4000_0000_0000, 0x8_0000_0000_0000, 42, { read: true, write: true })
    const c = cfg(table(b.root, 16, 16), null, { oas: 52 })
    expect(walk(mem, c, 0x1234_5678_0123n)).toMatchObject({ ok: true, pa: 0xf_0000_1234_0123 })
    expect(walk(mem, c, 0x4000_1234_5678n)).toMatchObject({ ok: true, pa: 0x8_0000_1234_5678, sizeBits: 42, level: 1 })
    // with a 48-bit OA the same tables give an address size fault, and the L1 block is not permitted
    const c48 = cfg(table(b.root, 16, 16), null, { oas: 48 })
    expect(walk(mem, c48, 0x1234_5678_0123n)).toMatchObject({ ok: false, fault: { type: 'F_ADDR_SIZE', level: 3 } })
    expect(walk(mem, c48, 0x4000_1234_5678n)).toMatchObject({ ok: false, fault: { type: 'F_TRANSLATION', level: 1 } })
  })
})
