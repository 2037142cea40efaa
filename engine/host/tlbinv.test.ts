import { describe, expect, test } from 'vitest'
import { encodeCommand } from '../arch/commands'
import { batchSubmissions, EMPTY_GATHER, gatherAddPage, tlbInvContextCommand, tlbInvRangeCommands, type Gather } from './tlbinv'

const K4 = 0x1000 + 0x200000 + 0x40000000 // 4K | 2M | 1G
const K16 = 0x4000 + 0x2000000 // 16K | 32M
const K64 = 0x10000 + 0x20000000 + 2 ** 42 // 64K | 512M | 4T
const S1 = { stage: 1, asid: 1 } as const
const words = (t: Parameters<typeof tlbInvRangeCommands>[0], iova: number, size: number, granule: number, leaf: boolean, ril: boolean, bitmap: number) =>
  tlbInvRangeCommands(t, iova, size, granule, leaf, { ril, pgsizeBitmap: bitmap }).map((c) => encodeCommand(c))

// Expected words from __arm_smmu_tlb_inv_range worked by hand (SPEC-FACTS B§1, B§2):
// NH_VA cmd0 = 0x12 | NUM<<12 | SCALE<<20 | VMID<<32 | ASID<<48; cmd1 = Leaf | TTL<<8 | TG<<10 | addr.
describe('range invalidation with RIL', () => {
  test('4K domain: the 2 MiB block of "unmap 2 MiB + 4 KiB at 0x200000"', () => {
    // tg = ffs(bitmap) = 12, TG = (12-10)/2 = 1; num_pages = 2M >> 12 = 512; leaf TTL = 4 - (21-3)/(12-3) = 2;
    // scale = ffs(512) = 9, num = (512 >> 9) & 31 = 1 -> NUM 0, SCALE 9; one command covers 2 MiB.
    expect(words(S1, 0x200000, 0x200000, 0x200000, true, true, K4)).toEqual([[0x0001_0000_0090_0012n, 0x200601n]])
  })

  test('4K domain: the 4 KiB page of the same unmap', () => {
    // num_pages 1, TTL = 4 - (12-3)/9 = 3, scale 0, num 1 -> NUM 0.
    expect(words(S1, 0x400000, 0x1000, 0x1000, true, true, K4)).toEqual([[0x0001_0000_0000_0012n, 0x400701n]])
  })

  test('35 pages: NUM/SCALE taken 5 bits at a time', () => {
    // 35 = 0b100011: scale 0, num 3 (NUM 2) covering 0x3000; then 32 pages: scale 5, num 1 (NUM 0).
    expect(words(S1, 0x10000, 35 * 0x1000, 0x1000, true, true, K4)).toEqual([
      [0x0001_0000_0000_2012n, 0x10701n],
      [0x0001_0000_0050_0012n, 0x13701n],
    ])
  })

  test('non-leaf (flush_walk): TTL 0, and a single page becomes two', () => {
    // 2 MiB table freed: 512 pages, (512 & 31) != 1 -> SCALE 9, TTL 0, Leaf 0.
    expect(words(S1, 0x200000, 0x200000, 0x1000, false, true, K4)).toEqual([[0x0001_0000_0090_0012n, 0x200400n]])
    // One page: (1 & 31) == 1 -> num_pages 2 -> SCALE 1, NUM 0 (avoids SCALE = NUM = TTL = 0).
    expect(words(S1, 0x3000, 0x1000, 0x1000, false, true, K4)).toEqual([[0x0001_0000_0010_0012n, 0x3400n]])
  })

  test('16K domain: TG 2; 32M block TTL 2 (SCALE 11), 16K page TTL 3', () => {
    // TTL = 4 - (25-3)/(14-3) = 2; num_pages = 32M >> 14 = 2048 = 2^11.
    expect(words(S1, 0x2000000, 0x2000000, 0x2000000, true, true, K16)).toEqual([[0x0001_0000_00b0_0012n, 0x2000a01n]])
    expect(words(S1, 0x4000, 0x4000, 0x4000, true, true, K16)).toEqual([[0x0001_0000_0000_0012n, 0x4b01n]])
  })

  test('64K domain: TG 3; 512M block TTL 2 (SCALE 13), 4T block TTL 1, page TTL 3', () => {
    expect(words(S1, 0x20000000, 0x20000000, 0x20000000, true, true, K64)).toEqual([[0x0001_0000_00d0_0012n, 0x20000e01n]])
    // 4T = 2^42: TTL = 4 - (42-3)/13 = 1; num_pages = 2^26 -> SCALE 26 (0x1a).
    expect(words(S1, 2 ** 42, 2 ** 42, 2 ** 42, true, true, K64)).toEqual([[0x0001_0000_01a0_0012n, BigInt(2 ** 42) | 0xd01n]])
    expect(words(S1, 0x10000, 0x10000, 0x10000, true, true, K64)).toEqual([[0x0001_0000_0000_0012n, 0x10f01n]])
  })

  test('stage 2: TLBI_S2_IPA with the VMID', () => {
    // cmd0 = 0x2a | VMID 1 << 32.
    expect(words({ stage: 2, vmid: 1 }, 0x10000, 0x10000, 0x10000, true, true, K64)).toEqual([[0x0000_0001_0000_002an, 0x10f01n]])
  })
})

describe('without RIL', () => {
  test('one command per granule, TG/TTL/NUM/SCALE all zero, even for leaves', () => {
    expect(words(S1, 0x200000, 0x200000, 0x200000, true, false, K4)).toEqual([[0x0001_0000_0000_0012n, 0x200001n]])
    expect(words(S1, 0x400000, 0x2000, 0x1000, true, false, K4)).toEqual([
      [0x0001_0000_0000_0012n, 0x400001n],
      [0x0001_0000_0000_0012n, 0x401001n],
    ])
  })

  test('a 2 MiB walk flush is 512 page commands: eight batches of 64, one SYNC at the end', () => {
    const cmds = tlbInvRangeCommands(S1, 0x200000, 0x200000, 0x1000, false, { ril: false, pgsizeBitmap: K4 })
    expect(cmds).toHaveLength(512)
    const subs = batchSubmissions(cmds, false)
    expect(subs.map((s) => [s.cmds.length, s.sync])).toEqual([...Array.from({ length: 7 }, () => [64, false]), [64, true]])
    // CMDQ_FORCE_SYNC (MMU-700): submitted with a SYNC whenever the 64th would be added: 8 x 63, then 8.
    expect(batchSubmissions(cmds, true).map((s) => [s.cmds.length, s.sync])).toEqual([...Array.from({ length: 8 }, () => [63, true]), [8, true]])
  })
})

test('flush-all commands (arm_smmu_tlb_inv_context)', () => {
  expect(encodeCommand(tlbInvContextCommand(S1))).toEqual([0x0001_0000_0000_0011n, 0n])
  expect(encodeCommand(tlbInvContextCommand({ stage: 2, vmid: 5 }))).toEqual([0x0000_0005_0000_0028n, 0n])
})

test('gather: a page of another size flushes what was gathered first', () => {
  const flushed: Gather[] = []
  let g = gatherAddPage(EMPTY_GATHER, 0x200000, 0x200000, (x) => flushed.push(x))
  g = gatherAddPage(g, 0x400000, 0x1000, (x) => flushed.push(x))
  expect(flushed).toEqual([{ start: 0x200000, end: 0x3fffff, pgsize: 0x200000 }])
  expect(g).toEqual({ start: 0x400000, end: 0x400fff, pgsize: 0x1000 })
  // Adjacent pages of the same size merge.
  expect(gatherAddPage(g, 0x401000, 0x1000, () => flushed.push(g))).toEqual({ start: 0x400000, end: 0x401fff, pgsize: 0x1000 })
  expect(flushed).toHaveLength(1)
})
