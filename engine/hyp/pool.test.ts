import { expect, test } from 'vitest'
import { Journal } from '../journal/journal'
import { ReplayState } from '../journal/replay'
import { PhysMem } from '../mem/physmem'
import { HypPool, hostS2PgtablePages, hypPgtableMaxPages, iommuPoolPages, zeroedAllocator } from './pool'

// Sizes worked by hand from arch/arm64/include/asm/kvm_pkvm.h:
// __hyp_pgtable_max_pages sums DIV_ROUND_UP(n, PTRS_PER_PTE) over 4 levels;
// host_s2_pgtable_pages adds 16 (concatenated PGDs) and 1 GiB of MMIO.

test('__hyp_pgtable_max_pages: 1 GiB of 4K pages = 512 + 1 + 1 + 1', () => {
  expect(hypPgtableMaxPages(262144, 12)).toBe(515)
  // 16K: 65536 pages / 2048 = 32, then 1, 1, 1.
  expect(hypPgtableMaxPages(65536, 14)).toBe(35)
})

test('IOMMU pool = host_s2_pgtable_pages + 500', () => {
  const gib = [{ base: 0x4000_0000, size: 2 ** 30 }]
  expect(hostS2PgtablePages(gib, 12)).toBe(515 + 16 + 515)
  expect(iommuPoolPages(gib, 12)).toBe(1546)
  // 8 GiB at 4K: 2M pages → 4096 + 8 + 1 + 1 = 4106; + 16 + 515 + 500.
  expect(iommuPoolPages([{ base: 0x8000_0000, size: 8 * 2 ** 30 }], 12)).toBe(5137)
  expect(iommuPoolPages(gib, 14)).toBe(35 + 16 + 35 + 500)
})

test('deterministic: lowest first, runs aligned to their size, freed pages reused, exhaustion is undefined', () => {
  const j = new Journal()
  const pool = new HypPool({ journal: j, base: 0x4010_0000, pages: 8, pageShift: 12 })
  expect(pool.alloc()).toBe(0x4010_0000)
  // Two pages aligned to 2 pages: page 1 is skipped (and free), pages 2-3 taken.
  expect(pool.alloc(2)).toBe(0x4010_2000)
  expect(pool.alloc()).toBe(0x4010_1000)
  pool.free(0x4010_0000)
  expect(pool.alloc()).toBe(0x4010_0000)
  expect(pool.alloc(4)).toBe(0x4010_4000)
  expect(pool.used).toBe(8)
  expect(pool.alloc()).toBeUndefined()
  expect(() => pool.free(0x4010_0000 + 8 * 4096)).toThrow()
  // Replay restores the allocator's map.
  const replay = new ReplayState(j.records, j.maps.length, { base: 0x4000_0000, size: 0x100_0000 })
  replay.seek(j.length)
  expect([...replay.maps[0].entries()].sort()).toEqual([...j.maps[0].entries()].sort())
})

test('the SMMU half’s allocator: zeroed blocks, -ENOMEM when dry', () => {
  const j = new Journal()
  const mem = new PhysMem(0x4000_0000, 0x10_0000, j)
  mem.write64(0x4000_1008, 0xdeadn, 'host')
  const a = zeroedAllocator(new HypPool({ journal: j, base: 0x4000_0000, pages: 4, pageShift: 12 }), mem)
  expect(a.alloc(64, 64)).toBe(0x4000_0000)
  expect(a.alloc(4096, 4096)).toBe(0x4000_1000)
  expect(mem.read64(0x4000_1008)).toBe(0n)
  expect(a.alloc(8192, 8192)).toBe(0x4000_2000)
  expect(a.alloc(4096, 4096)).toBe(-12)
})

test('restore: after a rewind the freed-page cache follows the map, so the next allocation is the one a fresh run makes', () => {
  const j = new Journal()
  const pool = new HypPool({ journal: j, base: 0x8000_0000, pages: 16, pageShift: 12 })
  expect(pool.alloc(1)).toBe(0x8000_0000) // page 0; next = 1
  const cut = j.length
  // A 4-page run must be 4-page aligned: pages 1..3 are skipped (freed), the run is 4..7.
  expect(pool.alloc(4)).toBe(0x8000_4000)
  expect(pool.alloc(1)).toBe(0x8000_1000) // lowest freed page first
  // Undo the last two allocations (as a rewind does: old values back, no records).
  for (let i = j.length - 1; i >= cut; i--) for (const [, k, old] of [...(j.records[i].changes ?? [])].reverse()) j.maps[0].poke(k, old)
  pool.restore()
  // Back to "page 0 used, nothing freed": a fresh run's next single page is page 1.
  expect(pool.used).toBe(1)
  expect(pool.alloc(1)).toBe(0x8000_1000)
  expect(pool.alloc(1)).toBe(0x8000_2000)
})
