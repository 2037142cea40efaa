import { expect, test } from 'vitest'
import { Journal } from '../journal/journal'
import { hostPageOf, Ownership, PAGE_STATE } from './ownership'

// Defaults from mem_protect.c: the host owns the memory it was given (its
// hyp_vmemmap host_state is 0 = OWNED), the hypervisor has NOPAGE (its
// complemented state reads 0 from zeroed memory), counts start at 0.

test('enum pkvm_page_state values (mem_protect.h)', () => {
  expect(PAGE_STATE).toEqual({ OWNED: 0, SHARED_OWNED: 1, SHARED_BORROWED: 2, NOPAGE: 3 })
})

test('8 GiB of RAM costs nothing until pages change: only exceptions are stored', () => {
  const j = new Journal()
  const own = new Ownership(j, { memory: [{ base: 0x8000_0000, size: 8 * 2 ** 30 }], pageShift: 12 })
  expect(own.host(0x2_0000_0000)).toEqual({ state: 'OWNED', owner: 'host' })
  expect(own.hyp(0x2_0000_0000)).toBe('NOPAGE')
  expect([own.pins(0x8000_0000), own.shareCount(0x8000_0000)]).toEqual([0, 0])
  expect([own.hostMap.size, own.hypMap.size, j.length]).toEqual([0, 0, 0])
  own.setHostState(0x8000_0000, 3, 'SHARED_OWNED')
  expect(own.hostMap.size).toBe(3)
  own.setHostState(0x8000_0000, 3, 'OWNED')
  expect(own.hostMap.size).toBe(0)
})

test('owner changes reach listeners with the range; NOPAGE pages share one value', () => {
  const j = new Journal()
  const own = new Ownership(j, { memory: [{ base: 0x4000_0000, size: 0x10_0000 }], pageShift: 14, guests: [{ name: 'g' }] })
  const heard: [number, number, string][] = []
  own.onOwnerChange((pa, size, owner) => heard.push([pa, size, owner]))
  own.setHostOwner(0x4000_8000, 2, 'g')
  expect(heard).toEqual([[0x4000_8000, 0x8000, 'g']])
  expect(own.hostMap.get(own.pfn(0x4000_8000))).toBe(own.hostMap.get(own.pfn(0x4000_c000)))
  expect(own.hostExcluded()).toEqual([0x4000_8000 / 0x4000, 0x4000_c000 / 0x4000])
  expect(hostPageOf(own.hostMap.get(own.pfn(0x4000_8000)))).toEqual({ state: 'NOPAGE', owner: 'g' })
  expect(hostPageOf(undefined)).toEqual({ state: 'OWNED', owner: 'host' })
  expect(() => new Ownership(new Journal(), { memory: [{ base: 0x1000, size: 0x1000 }], pageShift: 14 })).toThrow(/aligned/)
})
