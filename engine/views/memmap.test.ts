import { describe, expect, test } from 'vitest'
import { PhysMem } from '../mem/physmem'
import { idmapRuns, ownRuns } from './memmap'

describe('ownership runs', () => {
  // Pages absent from the maps are host OWNED / hyp NOPAGE (mem_protect.c's defaults, ownership.ts).
  test('exceptions split the default run; equal neighbours merge', () => {
    const host = new Map<number, unknown>([
      [0x40004, { state: 'NOPAGE', owner: 'hyp' }],
      [0x40005, { state: 'NOPAGE', owner: 'hyp' }],
    ])
    const hyp = new Map<number, unknown>([
      [0x40004, 'OWNED'],
      [0x40005, 'OWNED'],
      [0x4000f, 'SHARED_BORROWED'],
      [0x50000, 'OWNED'], // outside the range asked for
    ])
    expect(ownRuns({ host, hyp }, 12, 0x40000, 0x40010)).toEqual([
      { base: '0x40000000', pages: 4, host: 'OWNED', owner: 'host', hyp: 'NOPAGE' },
      { base: '0x40004000', pages: 2, host: 'NOPAGE', owner: 'hyp', hyp: 'OWNED' },
      { base: '0x40006000', pages: 9, host: 'OWNED', owner: 'host', hyp: 'NOPAGE' },
      { base: '0x4000f000', pages: 1, host: 'OWNED', owner: 'host', hyp: 'SHARED_BORROWED' },
    ])
  })

  test('8 GiB of 4K pages with nothing changed is one run, not 2M pages', () => {
    const none = new Map<number, unknown>()
    const runs = ownRuns({ host: none, hyp: none }, 12, 0x80000, 0x80000 + 2 * 1024 * 1024)
    expect(runs).toEqual([{ base: '0x80000000', pages: 2 * 1024 * 1024, host: 'OWNED', owner: 'host', hyp: 'NOPAGE' }])
  })
})

describe('identity-map runs from the tables in memory', () => {
  // 4K granule, 32-bit IPA: level 0 resolves IPA[47:39], beyond 32 bits, so the walk starts at
  // level 1 with 4 entries of 1 GiB (Arm ARM D8.2). Descriptor bits 1:0 (D8.3): 0b11 table at
  // levels 0-2 and page at level 3, 0b01 block, bit 0 clear invalid.
  const mem = new PhysMem(0x4000_0000, 0x10_0000)
  mem.write64(0x4000_0008, 0x4000_1003n, 'hyp') // L1[1]: 0x4000_0000..0x7fff_ffff -> L2 table
  mem.write64(0x4000_1000, 0x4000_2003n, 'hyp') // L2[0]: 0x4000_0000..0x401f_ffff -> L3 table
  mem.write64(0x4000_1008, 0x4020_0401n, 'hyp') // L2[1]: 2 MiB block at 0x4020_0000
  for (let k = 0; k < 4; k++) mem.write64(0x4000_2000 + 8 * k, BigInt(0x4000_0403 + k * 0x1000), 'hyp') // 4 pages
  const geo = { root: 0x4000_0000, granule: 12 as const, ias: 32, startLevel: 1 }

  test('pages, then the unmapped rest of the L3 table, then the block', () => {
    expect(idmapRuns(mem, geo, 0x4000_0000, 0x4040_0000, 4096)).toEqual([
      { base: '0x40000000', pages: 4, kind: 'page', level: 3 },
      { base: '0x40004000', pages: 508, kind: 'none', level: undefined },
      { base: '0x40200000', pages: 512, kind: 'block', level: 2 },
    ])
  })

  test('a range inside a block is clipped to the range', () => {
    expect(idmapRuns(mem, geo, 0x4030_0000, 0x4031_0000, 4096)).toEqual([{ base: '0x40300000', pages: 16, kind: 'block', level: 2 }])
  })

  test('an invalid L1 entry leaves its whole gigabyte unmapped', () => {
    expect(idmapRuns(mem, geo, 0, 0x1000_0000, 4096)).toEqual([{ base: '0x0', pages: 0x1_0000, kind: 'none', level: undefined }])
  })
})
