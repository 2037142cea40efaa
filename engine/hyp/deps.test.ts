import { expect, test } from 'vitest'
import { pageRange, sharePages, unsharePages } from './deps'
import { SharingDouble } from './pkvm-testkit'

// smmu_share_pages / smmu_unshare_pages: whole pages, share then pin; unpin then unshare.

test('pageRange covers whole pages', () => {
  // [0x4000_0ff0, 0x4000_1010) touches pages 0x4000_0000 and 0x4000_1000.
  expect(pageRange(0x1000, 0x4000_0ff0, 0x20)).toEqual({ base: 0x4000_0000, size: 0x2000 })
  expect(pageRange(0x1000, 0x4000_1000, 0x1000)).toEqual({ base: 0x4000_1000, size: 0x1000 })
})

test('share pins; a second share of the same page is -EPERM; unshare releases', () => {
  const h = new SharingDouble()
  expect(sharePages(h, 0x4000_0800, 0x1000)).toBe(0)
  expect([h.shared.get(0x4000_0000), h.shared.get(0x4000_1000)]).toEqual([1, 1])
  expect(sharePages(h, 0x4000_1000, 0x10)).toBe(-1)
  expect(unsharePages(h, 0x4000_0800, 0x1000)).toBe(0)
  expect(h.shared.size).toBe(0)
})

test('a pinned page refuses a bare unshare (-EBUSY)', () => {
  const h = new SharingDouble()
  sharePages(h, 0x4000_0000, 0x1000)
  expect(h.unshareHost(0x4000_0000, 0x1000)).toBe(-16)
})
