import { describe, expect, test } from 'vitest'
import { PhysMem } from '../mem/physmem'
import { PageTableBuilder } from '../pgtable/builder'
import type { Access, S1Config, S2Config, TransConfig, WalkStep } from './types'
import { translate, walkS1 } from './walk'
import { bumpAllocator } from './testkit'

// Nested walks (Arm ARM D8 "stage 2 translation of stage 1 table walks";
// SPEC-FACTS A§5 nested). Counts and addresses are worked by hand.

const R: Access = { read: true, write: false }
const W: Access = { read: false, write: true }

/**
 * Stage 2 (4K, T0SZ 16, SL0 2: L0 start) maps the 2M of IPA 0x7000_0000 that
 * holds the stage-1 tables to the same PA with pages, so every stage-1
 * descriptor read costs a full 4-level stage-2 walk; IPA 0x1_2345_6000 maps
 * to PA 0x4567_8000 (read-write) and 0x1_2345_7000 to 0x4567_9000 (read-only).
 * Stage 1 (4K, T0SZ 16: L0 start) maps IOVA 0x80_8060_4000 -> IPA 0x1_2345_6000
 * and 0x80_8060_5000 -> 0x1_2345_7000.
 */
function nested() {
  const mem = new PhysMem(0x4000_0000, 0x4000_0000)
  const s1alloc = bumpAllocator(0x7000_0000) // stage-1 tables (IPA = PA)
  const s2alloc = bumpAllocator(0x7800_0000) // stage-2 tables
  const s2b = new PageTableBuilder({ mem, stage: 2, granule: 12, inputBits: 48, alloc: s2alloc, actor: 'hyp' })
  for (let ipa = 0x7000_0000; ipa < 0x7000_8000; ipa += 0x1000) s2b.map(ipa, ipa, 12, { read: true, write: true })
  s2b.map(0x1_2345_6000, 0x4567_8000, 12, { read: true, write: true })
  s2b.map(0x1_2345_7000, 0x4567_9000, 12, { read: true, write: false })
  const s1b = new PageTableBuilder({ mem, stage: 1, granule: 12, inputBits: 48, alloc: s1alloc, actor: 'host' })
  s1b.map(0x80_8060_4000, 0x1_2345_6000, 12, { read: true, write: true })
  s1b.map(0x80_8060_5000, 0x1_2345_7000, 12, { read: true, write: true })
  const s2: S2Config = { vmid: 3, tsz: 16, sl0: 2, granule: 12, ttb: s2b.root, ps: 48, affd: false, record: true }
  const s1: S1Config = {
    tt: [{ tsz: 16, granule: 12, ttb: s1b.root, ttbPa: s1b.root, had: false }, null],
    tbi: 0,
    oas: 48,
    affd: false,
    record: true,
    asid: 7,
  }
  return { mem, s1, s2, s1b, s2b }
}

describe('nested walk, 4K stage 1 (T0SZ 16) over 4K stage 2 (start level 0)', () => {
  test('24 descriptor reads: 4 stage-2 reads before each of the 4 stage-1 reads, then 4 for the output IPA', () => {
    const { mem, s1, s2, s1b } = nested()
    const steps: WalkStep[] = []
    const r = walkS1(mem, s1, 0x80, 0x8060_4567, R, s2, (s) => steps.push(s))
    expect(r).toEqual({
      ok: true, pa: 0x4567_8567, ipa: 0x1_2345_6567, sizeBits: 12, level: 3, granule: 12, perm: 3, parentPerm: 3,
      // Each stage's 4K leaf: IOVA page 0x80_8060_4 -> IPA 0x1_2345_6000; IPA page 0x12_3456 -> PA 0x4567_8000.
      s1Leaf: { ipn: 0x808_0604, sizeBits: 12, level: 3, granule: 12, pa: 0x1_2345_6000, perm: 3 },
      s2Leaf: { ipn: 0x12_3456, sizeBits: 12, level: 3, granule: 12, pa: 0x4567_8000, perm: 3 },
    })
    expect(steps.length).toBe(24)
    // (stage, level, forS1, cls) in order: S2 L0..L3 for the TTB0 descriptor IPA
    // (forS1 -1), S1 L0, S2 for the L1 table (forS1 0), S1 L1, ... S1 L3, S2 for the output IPA (forS1 4).
    const s2walk = (forS1: number, cls: 'TT' | 'IN') => [0, 1, 2, 3].map((l) => [2, l, forS1, cls])
    expect(steps.map((s) => [s.stage, s.level, s.forS1 ?? null, s.cls ?? null])).toEqual([
      ...s2walk(-1, 'TT'), [1, 0, null, null],
      ...s2walk(0, 'TT'), [1, 1, null, null],
      ...s2walk(1, 'TT'), [1, 2, null, null],
      ...s2walk(2, 'TT'), [1, 3, null, null],
      ...s2walk(4, 'IN'),
    ])
    // The stage-1 L0 descriptor: TTB0 + 8 × IOVA[47:39] (= 1); the IPA equals the PA here.
    expect(steps[4].address).toBe(s1b.root + 8)
  })

  test('stage-1 permission is perm, stage-2 permission is parentPerm', () => {
    const { mem, s1, s2 } = nested()
    expect(walkS1(mem, s1, 0x80, 0x8060_5010, R, s2, null)).toMatchObject({ ok: true, pa: 0x4567_9010, perm: 3, parentPerm: 1 })
  })

  test('a stage-2 permission fault on the output IPA: stage 2, class IN, addr2 = the IPA', () => {
    const { mem, s1, s2 } = nested()
    expect(walkS1(mem, s1, 0x80, 0x8060_5010, W, s2, null)).toEqual({
      ok: false,
      fault: { type: 'F_PERMISSION', stage: 2, cls: 'IN', level: 3, addr2: 0x1_2345_7010 },
    })
  })

  test('a stage-2 fault while fetching a stage-1 descriptor: stage 2, class TT, addr2 = the descriptor IPA', () => {
    const { mem, s1, s2, s2b } = nested()
    // The stage-1 tables are allocated in order: L0 (root) 0x7000_0000, L1 0x7000_1000, L2 0x7000_2000, L3 0x7000_3000.
    expect(s2b.unmap(0x7000_2000, 12)).toBe(0x1000)
    const steps: WalkStep[] = []
    // The L2 descriptor for IOVA index 3 is at IPA 0x7000_2000 + 3 × 8.
    expect(walkS1(mem, s1, 0x80, 0x8060_4567, R, s2, (s) => steps.push(s))).toEqual({
      ok: false,
      fault: { type: 'F_TRANSLATION', stage: 2, cls: 'TT', level: 3, addr2: 0x7000_2018 },
    })
    // 4 + 1 + 4 + 1 reads, then the failing stage-2 walk of 4
    expect(steps.length).toBe(14)
    expect(steps[13]).toMatchObject({ stage: 2, level: 3, type: 'invalid', forS1: 1, cls: 'TT' })
  })

  test('the combined size is the smaller mapping', () => {
    // S1 2M block over S2 4K pages: 4K, level and granule from stage 2.
    const a = nested()
    a.s1b.map(0x80_8000_0000, 0x1_2340_0000, 21, { read: true, write: true })
    a.s2b.map(0x1_2341_0000, 0x4600_0000, 12, { read: true, write: true })
    expect(walkS1(a.mem, a.s1, 0x80, 0x8001_0abc, R, a.s2, null)).toMatchObject({ ok: true, pa: 0x4600_0abc, ipa: 0x1_2341_0abc, sizeBits: 12, level: 3 })
    // S1 1G block over an S2 2M block: 2M at level 2.
    const b = nested()
    b.s1b.map(0x40_0000_0000, 0x2_0000_0000, 30, { read: true, write: true })
    b.s2b.map(0x2_0020_0000, 0x4620_0000, 21, { read: true, write: true })
    expect(walkS1(b.mem, b.s1, 0x40, 0x0021_2345, R, b.s2, null)).toMatchObject({ ok: true, pa: 0x4621_2345, sizeBits: 21, level: 2 })
  })
})

describe('translate dispatches on the configuration', () => {
  test('s1, s2 (the IOVA is the IPA) and nested', () => {
    const { mem, s1, s2 } = nested()
    const base = { sid: 5, ssid: 0, steAddr: 0x4000_0000 }
    const nestedCfg: TransConfig = { ...base, kind: 'nested', s1, s2 }
    expect(translate(mem, nestedCfg, 0x80, 0x8060_4567, R, null)).toMatchObject({ ok: true, pa: 0x4567_8567 })
    // stage 2 alone: IPA 0x1_2345_6567 -> 0x4567_8567
    expect(translate(mem, { ...base, kind: 's2', s2 }, 0x1, 0x2345_6567, R, null)).toMatchObject({ ok: true, pa: 0x4567_8567 })
    // stage 1 alone: the stage-1 tables read as PAs give the IPA as the output
    expect(translate(mem, { ...base, kind: 's1', s1 }, 0x80, 0x8060_4567, R, null)).toMatchObject({ ok: true, pa: 0x1_2345_6567 })
    // an S2-only input beyond any IPA size
    expect(translate(mem, { ...base, kind: 's2', s2 }, 0xffff_0000, 0, R, null)).toMatchObject({ ok: false, fault: { type: 'F_TRANSLATION', stage: 2, level: -1 } })
  })

  test('bypass and abort do not walk', () => {
    const { mem } = nested()
    expect(() => translate(mem, { sid: 1, ssid: 0, steAddr: 0, kind: 'bypass' }, 0, 0x1000, R, null)).toThrow(/do not walk/)
    expect(() => translate(mem, { sid: 1, ssid: 0, steAddr: 0, kind: 'abort' }, 0, 0x1000, R, null)).toThrow(/do not walk/)
  })
})
