import { expect, test } from 'vitest'
import { iommuPgsize } from './iopgtable'
import { cdUsed, makeS1Cd } from './cd'

const K4 = 0x1000 + 0x200000 + 0x40000000

// iommu_pgsize worked by hand (drivers/iommu/iommu.c): the largest size <= size and <= alignment of iova|pa,
// and a count that stops where the next larger size would fit.
test('iommu_pgsize: 2 MiB + 4 KiB at 0x200000 is one 2M block, then one 4K page', () => {
  expect(iommuPgsize(K4, 0x200000, 0x4100_0000, 0x201000)).toEqual({ pgsize: 0x200000, count: 1 })
  expect(iommuPgsize(K4, 0x400000, 0x4120_0000, 0x1000)).toEqual({ pgsize: 0x1000, count: 1 })
})

test('iommu_pgsize: 4K pages up to the next 2M boundary when a block fits after it', () => {
  // iova 0x1ff000, 4 MiB: pages until 0x200000 (offset 0x1000 = 1 page), since 0x1000 + 2M <= 4M.
  expect(iommuPgsize(K4, 0x1ff000, 0x411ff000, 0x400000)).toEqual({ pgsize: 0x1000, count: 1 })
  // iova and pa offset differently within 2M: no block ever, all 4K pages.
  expect(iommuPgsize(K4, 0x1ff000, 0x41000000, 0x400000)).toEqual({ pgsize: 0x1000, count: 0x400 })
})

test('CD used bits: everything when valid, TT0 fields ignored with EPD0', () => {
  const cd = makeS1Cd({ asid: 1, tsz: 16, tg: 0, irgn: 1, orgn: 1, sh: 3, ips: 4, ttbr: 0x4000_0000 })
  // q0 = T0SZ 16 | IR0 1<<8 | OR0 1<<10 | SH0 3<<12 | EPD1 b30 | V b31 | IPS 4<<32 | AA64 b41 | R b45 | A b46 | ASET b47 | ASID 1<<48.
  expect(cd[0]).toBe(0x0001_e204_c000_3510n)
  expect(cd[3]).toBe(0xf404_ff44n)
  expect(cdUsed(cd)[1]).toBe((1n << 64n) - 1n)
  // EPD0 (bit 14) makes T0SZ[5:0], TG0[7:6], IR0, OR0, SH0[13:8] and TTB0[51:4] unused.
  const off = [...cd]
  off[0] |= 1n << 14n
  expect(cdUsed(off)[0] & 0x3fffn).toBe(0n)
  expect(cdUsed(off)[1]).toBe(((1n << 64n) - 1n) & ~(((1n << 52n) - 1n) & ~0xfn))
  expect(cdUsed(new Array<bigint>(8).fill(0n))).toEqual([1n << 31n, 0n, 0n, 0n, 0n, 0n, 0n, 0n])
})
