import { describe, expect, test } from 'vitest'
import { descLayout } from '../arch/descriptors'
import { PageTableBuilder } from '../pgtable/builder'
import type { Access, Granule, S2Config, WalkStep } from './types'
import { PERM_R, PERM_W } from './types'
import { walkS2 } from './walk-s2'
import { walkMemory } from './testkit'

// Expected values are worked by hand from the Arm ARM (DDI 0487) D8 stage-2
// walk: start level from SL0 (4K: 0 → L2, 1 → L1, 2 → L0; 16K/64K: 0 → L3,
// 1 → L2, 2 → L1), concatenated start tables contiguous from S2TTB.

const R: Access = { read: true, write: false }
const W: Access = { read: false, write: true }
const RW: Access = { read: true, write: true }

const setup = walkMemory

function s2(ttb: number, tsz: number, sl0: number, granule: Granule = 12, extra: Partial<S2Config> = {}): S2Config {
  return { vmid: 1, tsz, sl0, granule, ttb, ps: 48, affd: false, record: true, ...extra }
}

test('S2AP encodes like Perm: bit 0 read, bit 1 write (layout values vs IOMMU flags)', () => {
  const values = descLayout(2, 12, 'page', 3).field('S2AP').values!
  expect(values.read).toBe(PERM_R)
  expect(values.write).toBe(PERM_W)
})

describe('stage-2 walk, 4K, hand-built tables (T0SZ 16, SL0 2: start at L0)', () => {
  // IPA 0x80_8060_4567: L0 index 1, L1 index 2, L2 index 3, L3 index 4
  const IPA = 0x80_8060_4567
  function hand() {
    const s = setup()
    s.put(0x4000_0008, 0x4000_1003n)
    s.put(0x4000_1010, 0x4000_2003n)
    s.put(0x4000_2018, 0x4000_3003n)
    s.put(0x4000_3020, 0x4567_87ffn) // page, RW, AF, MemAttr 0xF, SH IS
    return s
  }
  const c = (extra: Partial<S2Config> = {}) => s2(0x4000_0000, 16, 2, 12, extra)

  test('a page: reads at the hand-computed addresses; perm = S2AP', () => {
    const { mem } = hand()
    const steps: WalkStep[] = []
    expect(walkS2(mem, c(), IPA, RW, 'IN', (s) => steps.push(s))).toEqual({ ok: true, pa: 0x4567_8567, sizeBits: 12, level: 3, granule: 12, perm: 3, parentPerm: 3 })
    expect(steps.map((s) => [s.stage, s.level, s.address, s.type, s.cls])).toEqual([
      [2, 0, 0x4000_0008, 'table', 'IN'],
      [2, 1, 0x4000_1010, 'table', 'IN'],
      [2, 2, 0x4000_2018, 'table', 'IN'],
      [2, 3, 0x4000_3020, 'page', 'IN'],
    ])
  })

  test('IPA at or above 2^(64 − S2T0SZ): F_TRANSLATION before any read, addr2 = IPA', () => {
    const { mem } = hand()
    const steps: WalkStep[] = []
    expect(walkS2(mem, s2(0x4000_0000, 24, 1), 0x100_0000_0000, R, 'IN', (s) => steps.push(s))).toEqual({
      ok: false,
      fault: { type: 'F_TRANSLATION', stage: 2, cls: 'IN', level: -1, addr2: 0x100_0000_0000 },
    })
    expect(steps).toEqual([])
  })

  test('invalid and reserved descriptors: F_TRANSLATION, stage 2, addr2 = IPA, the caller’s class', () => {
    const a = hand()
    a.put(0x4000_1010, 0n)
    expect(walkS2(a.mem, c(), IPA, R, 'TT', null)).toEqual({ ok: false, fault: { type: 'F_TRANSLATION', stage: 2, cls: 'TT', level: 1, addr2: IPA } })
    const b = hand()
    b.put(0x4000_3020, 0x4567_87fdn) // level 3, Type 0
    expect(walkS2(b.mem, c(), IPA, R, 'CD', null)).toEqual({ ok: false, fault: { type: 'F_TRANSLATION', stage: 2, cls: 'CD', level: 3, addr2: IPA } })
  })

  test('S2AF = 0: F_ACCESS unless S2AFFD', () => {
    const { mem, put } = hand()
    put(0x4000_3020, 0x4567_83ffn)
    expect(walkS2(mem, c(), IPA, R, 'IN', null)).toEqual({ ok: false, fault: { type: 'F_ACCESS', stage: 2, cls: 'IN', level: 3, addr2: IPA } })
    expect(walkS2(mem, c({ affd: true }), IPA, R, 'IN', null)).toMatchObject({ ok: true })
  })

  test('S2AP must hold every requested permission', () => {
    const { mem, put } = hand()
    put(0x4000_3020, 0x4567_877fn) // S2AP = 0b01: read only
    expect(walkS2(mem, c(), IPA, R, 'IN', null)).toMatchObject({ ok: true, perm: 1 })
    expect(walkS2(mem, c(), IPA, W, 'IN', null)).toEqual({ ok: false, fault: { type: 'F_PERMISSION', stage: 2, cls: 'IN', level: 3, addr2: IPA } })
    put(0x4000_3020, 0x4567_87bfn) // S2AP = 0b10: write only
    expect(walkS2(mem, c(), IPA, W, 'IN', null)).toMatchObject({ ok: true, perm: 2 })
    expect(walkS2(mem, c(), IPA, R, 'IN', null)).toMatchObject({ ok: false, fault: { type: 'F_PERMISSION' } })
    expect(walkS2(mem, c(), IPA, RW, 'IN', null)).toMatchObject({ ok: false, fault: { type: 'F_PERMISSION' } })
  })

  test('output or table address at or above 2^PS: F_ADDR_SIZE', () => {
    const { mem, put } = hand()
    put(0x4000_3020, 0x1_0000_07ffn)
    expect(walkS2(mem, c({ ps: 32 }), IPA, R, 'IN', null)).toEqual({ ok: false, fault: { type: 'F_ADDR_SIZE', stage: 2, cls: 'IN', level: 3, addr2: IPA } })
    put(0x4000_1010, 0x1_0000_0003n)
    expect(walkS2(mem, c({ ps: 32 }), IPA, R, 'IN', null)).toMatchObject({ ok: false, fault: { type: 'F_ADDR_SIZE', level: 1 } })
  })

  test('a table outside RAM: F_WALK_EABT, stage 2, addr2 = the descriptor address', () => {
    const { mem, put } = hand()
    put(0x4000_2018, 0x9000_0003n) // L3 table at 0x9000_0000; L3[4] at +0x20
    expect(walkS2(mem, c(), IPA, R, 'IN', null)).toEqual({ ok: false, fault: { type: 'F_WALK_EABT', stage: 2, cls: 'IN', level: 3, addr2: 0x9000_0020 } })
  })

  test('a reserved SL0, or SL0 inconsistent with T0SZ: F_TRANSLATION without reading', () => {
    const { mem } = hand()
    expect(walkS2(mem, s2(0x4000_0000, 16, 3), IPA, R, 'IN', null)).toMatchObject({ ok: false, fault: { type: 'F_TRANSLATION', level: -1 } })
    // 48-bit IPA from L1 would need 2^9 concatenated tables
    expect(walkS2(mem, s2(0x4000_0000, 16, 1), IPA, R, 'IN', null)).toMatchObject({ ok: false, fault: { type: 'F_TRANSLATION', level: 1 } })
  })
})

describe('concatenated start tables (architectural; A§5 S2 step 4)', () => {
  test('4K, T0SZ 24, SL0 1, IPA bit 39 set: the second table, S2TTB + 0x1000 (QEMU reads S2TTB + 0)', () => {
    const { mem, put } = setup()
    // 40-bit IPA from L1 (bits 38:30): 2 tables at 0x4000_0000 and 0x4000_1000.
    // IPA 0x80_4020_1000: bit 39 -> table 1, bits 38:30 = 1 -> entry 1: 0x4000_1008.
    put(0x4000_1008, 0x1_0000_04c1n) // 1G block at 0x1_0000_0000, S2AP RW, AF
    put(0x4000_0008, 0x2_0000_04c1n) // what QEMU's base would find instead
    const steps: WalkStep[] = []
    expect(walkS2(mem, s2(0x4000_0000, 24, 1), 0x80_4020_1000, R, 'IN', (s) => steps.push(s))).toEqual({
      ok: true, pa: 0x1_0020_1000, sizeBits: 30, level: 1, granule: 12, perm: 3, parentPerm: 3,
    })
    expect(steps.map((s) => s.address)).toEqual([0x4000_1008])
  })

  test('qemuConcat: the same IPA reads S2TTB + 8, the first table, as QEMU does', () => {
    const { mem, put } = setup()
    // QEMU: base = (0x4000_0000 + 1 * 0x1000) & ~indexmask, indexmask = 2^(40 - 9 * 3) - 1
    // = 0x1fff, so 0x4000_0000; offset = (IPA >> 30) & 511 = 1: 0x4000_0008.
    put(0x4000_1008, 0x1_0000_04c1n)
    put(0x4000_0008, 0x2_0000_04c1n)
    const steps: WalkStep[] = []
    expect(walkS2(mem, s2(0x4000_0000, 24, 1, 12, { qemuConcat: true }), 0x80_4020_1000, R, 'IN', (s) => steps.push(s))).toMatchObject({ ok: true, pa: 0x2_0020_1000 })
    expect(steps.map((s) => s.address)).toEqual([0x4000_0008])
    // An IPA in the first table reads the same descriptor either way.
    steps.length = 0
    expect(walkS2(mem, s2(0x4000_0000, 24, 1, 12, { qemuConcat: true }), 0x4020_1000, R, 'IN', (s) => steps.push(s))).toMatchObject({ ok: true, pa: 0x2_0020_1000 })
    expect(steps.map((s) => s.address)).toEqual([0x4000_0008])
  })

  test('64K, T0SZ 20, SL0 1: four tables at L2, IPA bits 43:42 pick the table', () => {
    const { mem, put } = setup()
    // 44-bit IPA from L2 (bits 41:29): 2^(44 − 42) = 4 tables of 64K at 0x4000_0000.
    // IPA 0xC12_3456_7890 >> 29 = 0x6091: table 3 (0x4003_0000), entry 0x91 -> 0x4003_0488.
    put(0x4003_0488, 0x2000_04c1n) // 512M block at 0x2000_0000
    const steps: WalkStep[] = []
    // PA = 0x2000_0000 + IPA[28:0] (0x1456_7890)
    expect(walkS2(mem, s2(0x4000_0000, 20, 1, 16), 0xc12_3456_7890, R, 'IN', (s) => steps.push(s))).toMatchObject({ ok: true, pa: 0x3456_7890, sizeBits: 29, level: 2 })
    expect(steps.map((s) => s.address)).toEqual([0x4003_0488])
  })

  test('the builder lays out concatenated tables the walker reads (4K, 40-bit IPA, io-pgtable concat)', () => {
    const { mem, alloc } = setup()
    const b = new PageTableBuilder({ mem, stage: 2, granule: 12, inputBits: 40, concat: true, alloc, actor: 'hyp' })
    expect([b.startLevel, b.tables]).toEqual([1, 2])
    b.map(0x80_4020_1000, 0x4567_8000, 12, { read: true, write: true })
    const steps: WalkStep[] = []
    expect(walkS2(mem, s2(b.root, 24, 1), 0x80_4020_1234, RW, 'IN', (s) => steps.push(s))).toMatchObject({ ok: true, pa: 0x4567_8234 })
    expect(steps[0].address).toBe(b.root + 0x1008)
  })
})

describe('stage-2 walks for each granule (tables from PageTableBuilder, 48-bit IPA)', () => {
  // SL0 2 is L0 for 4K and L1 for 16K and 64K. 16K cannot start a 48-bit IPA
  // at L0 (SL0 = 3 needs FEAT_LPA2), so it starts at L1 with 2 concatenated
  // tables (io-pgtable's mandatory concatenation).
  const cases: [Granule, number, number, number][] = [
    // granule, block sizeBits, page reads, block reads
    [12, 21, 4, 3],
    [14, 25, 3, 2],
    [16, 29, 3, 2],
  ]
  for (const [g, blockBits, pageReads, blockReads] of cases) {
    test(`${2 ** (g - 10)}K: a page and a block`, () => {
      const { mem, alloc } = setup()
      const b = new PageTableBuilder({ mem, stage: 2, granule: g, inputBits: 48, concat: g === 14, alloc, actor: 'hyp' })
      b.map(0x1234_5678_0000, 0x4010_0000, g, { read: true, write: true })
      b.map(0x2000_0000_0000, 0x6000_0000, blockBits, { read: true, write: false })
      const c = s2(b.root, 16, 2, g)
      const steps: WalkStep[] = []
      expect(walkS2(mem, c, 0x1234_5678_0123, RW, 'IN', (s) => steps.push(s))).toEqual({ ok: true, pa: 0x4010_0123, sizeBits: g, level: 3, granule: g, perm: 3, parentPerm: 3 })
      expect(steps.length).toBe(pageReads)
      steps.length = 0
      expect(walkS2(mem, c, 0x2000_0012_3456, R, 'IN', (s) => steps.push(s))).toEqual({ ok: true, pa: 0x6012_3456, sizeBits: blockBits, level: 2, granule: g, perm: 1, parentPerm: 1 })
      expect(steps.length).toBe(blockReads)
      expect(walkS2(mem, c, 0x2000_0012_3456, W, 'IN', null)).toMatchObject({ ok: false, fault: { type: 'F_PERMISSION', stage: 2, level: 2, addr2: 0x2000_0012_3456 } })
    })
  }
})
