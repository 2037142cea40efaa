import { describe, expect, test } from 'vitest'
import { Journal } from '../journal/journal'
import { PhysMem } from '../mem/physmem'
import { PageTableBuilder, type BuilderOptions } from './builder'

// Descriptor values are those Linux io-pgtable-arm writes (SPEC-FACTS B§7,
// ARM_LPAE_PTE_*), worked by hand: stage-1 page RW cacheable = PA | 0xF47
// (page 0b11, AttrIndx 1 << 2, AP[1] 1 << 6, SH IS 3 << 8, AF 1 << 10, nG 1 << 11);
// read-only adds AP[2] (0x80); stage-2 page RW = PA | 0x7FF (MemAttr 0xF << 2,
// S2AP 0b11 << 6, SH IS, AF); table = next-level address | 0b11.

function setup(j?: Journal) {
  const mem = new PhysMem(0x4000_0000, 0x4000_0000, j)
  const allocs: [number, number][] = []
  let next = 0x7000_0000
  const alloc = (bytes: number, align: number): number => {
    next = Math.ceil(next / align) * align
    const a = next
    next += bytes
    allocs.push([a, bytes])
    return a
  }
  const opts = (o: Partial<BuilderOptions>): BuilderOptions => ({ mem, stage: 1, granule: 12, inputBits: 48, alloc, actor: 'host', ...o })
  return { mem, alloc, allocs, opts }
}

describe('PageTableBuilder', () => {
  test('a 4K stage-1 page: root at the first allocation, three new tables, io-pgtable descriptors', () => {
    const { mem, allocs, opts } = setup()
    const b = new PageTableBuilder(opts({}))
    expect(b.root).toBe(0x7000_0000)
    expect(b.startLevel).toBe(0)
    // IOVA 0x80_8060_4000: L0 index 1, L1 index 2, L2 index 3, L3 index 4
    b.map(0x80_8060_4000, 0x4567_8000, 12, { read: true, write: true })
    expect(allocs).toEqual([[0x7000_0000, 0x1000], [0x7000_1000, 0x1000], [0x7000_2000, 0x1000], [0x7000_3000, 0x1000]])
    expect(mem.read64(0x7000_0008)).toBe(0x7000_1003n)
    expect(mem.read64(0x7000_1010)).toBe(0x7000_2003n)
    expect(mem.read64(0x7000_2018)).toBe(0x7000_3003n)
    expect(mem.read64(0x7000_3020)).toBe(0x4567_8f47n)
    b.map(0x80_8060_5000, 0x4567_9000, 12, { read: true, write: false })
    expect(mem.read64(0x7000_3028)).toBe(0x4567_8fc7n + 0x1000n)
    expect(allocs.length).toBe(4)
  })

  test('a stage-2 page and a 2M block', () => {
    const { mem, opts } = setup()
    const b = new PageTableBuilder(opts({ stage: 2, actor: 'hyp' }))
    b.map(0x80_8060_4000, 0x4567_8000, 12, { read: true, write: true })
    expect(mem.read64(0x7000_3020)).toBe(0x4567_87ffn)
    // 2M block at IPA 0x80_8080_0000 (L2 index 4) -> 0x4600_0000, read-only: S2AP 0b01, block Type 0 -> 0x77D
    b.map(0x80_8080_0000, 0x4600_0000, 21, { read: true, write: false })
    expect(mem.read64(0x7000_2020)).toBe(0x4600_077dn)
  })

  test('64K with a 52-bit OA: PA[51:48] in bits 15:12', () => {
    const { mem, opts } = setup()
    const b = new PageTableBuilder(opts({ granule: 16, oas: 52 }))
    b.map(0, 0xf_0000_1234_0000, 16, { read: true, write: true })
    // 64K, 48 bits: L1 (64 entries, 512 bytes) at 0x7000_0000, L2 at 0x7001_0000, L3 at 0x7002_0000
    expect(mem.read64(0x7002_0000)).toBe(0x1234_ff47n)
    expect(() => new PageTableBuilder(opts({ granule: 12, oas: 52 }))).toThrow(/64K granule/)
  })

  test('stage-2 concatenation: start level and table count, root aligned to the whole block', () => {
    const { opts } = setup()
    const b = new PageTableBuilder(opts({ stage: 2, inputBits: 40, concat: true }))
    expect([b.startLevel, b.tables, b.root % 0x2000]).toEqual([1, 2, 0])
    const c = new PageTableBuilder(opts({ stage: 2, granule: 16, inputBits: 44, startLevel: 2 }))
    expect([c.startLevel, c.tables, c.root % 0x4_0000]).toEqual([2, 4, 0])
    expect(() => new PageTableBuilder(opts({ stage: 2, inputBits: 48, startLevel: 1 }))).toThrow(/512 concatenated tables/)
    expect(() => new PageTableBuilder(opts({ stage: 1, inputBits: 48, startLevel: 1 }))).toThrow(/starts at level 0/)
  })

  test('refuses to map over a leaf, over a table, or inside a block', () => {
    const { opts } = setup()
    const b = new PageTableBuilder(opts({}))
    b.map(0x20_0000, 0x4000_0000, 21, { read: true, write: true })
    b.map(0x40_0000, 0x4567_8000, 12, { read: true, write: true })
    expect(() => b.map(0x20_0000, 0x4100_0000, 21, { read: true, write: true })).toThrow(/already mapped/)
    expect(() => b.map(0x21_0000, 0x4100_0000, 12, { read: true, write: true })).toThrow(/already inside the 2M block/)
    expect(() => b.map(0x40_0000, 0x4100_0000, 21, { read: true, write: true })).toThrow(/table is there/)
    expect(() => b.map(0x40_1000, 0x4100_0000, 12, { read: false, write: false })).toThrow(/-EINVAL/)
    expect(() => b.map(0x40_1800, 0x4100_0000, 12, { read: true, write: true })).toThrow(/not aligned/)
    expect(() => b.map(0x40_1000, 0x4100_0000, 13, { read: true, write: true })).toThrow(/not a page or block size/)
    expect(() => b.map(0x1_0000_0000_0000, 0x4100_0000, 12, { read: true, write: true })).toThrow(/48-bit input/)
  })

  test('unmap clears the leaf; nothing there gives 0; part of a block is refused; a table in the way is freed', () => {
    const { mem, opts } = setup()
    const freed: number[] = []
    const b = new PageTableBuilder(opts({ free: (a) => freed.push(a) }))
    b.map(0x40_0000, 0x4567_8000, 12, { read: true, write: true })
    b.map(0x20_0000, 0x4000_0000, 21, { read: true, write: true })
    expect(b.unmap(0x40_0000, 12)).toBe(0x1000)
    expect(mem.read64(0x7000_3000)).toBe(0n)
    expect(b.unmap(0x40_0000, 12)).toBe(0)
    expect(b.unmap(0x1000_0000, 12)).toBe(0)
    expect(() => b.unmap(0x20_1000, 12)).toThrow(/split-block unmap/)
    // the 2M slot at 0x40_0000 holds the L3 table 0x7000_3000: unmapping 2M there frees it
    expect(b.unmap(0x40_0000, 21)).toBe(0x20_0000)
    expect(freed).toEqual([0x7000_3000])
    expect(b.unmap(0x20_0000, 21)).toBe(0x20_0000)
  })

  test('writes are journaled by the actor given', () => {
    const j = new Journal()
    const { opts } = setup(j)
    const b = new PageTableBuilder(opts({ actor: 'hyp' }))
    const before = j.length
    b.map(0x80_8060_4000, 0x4567_8000, 12, { read: true, write: true })
    const writes = j.records.slice(before).filter((r) => r.kind === 'mem.write')
    // three table descriptors and the page (fresh tables are already zero: nothing recorded)
    expect(writes.map((r) => [r.actor, r.pa])).toEqual([
      ['hyp', 0x7000_0008],
      ['hyp', 0x7000_1010],
      ['hyp', 0x7000_2018],
      ['hyp', 0x7000_3020],
    ])
  })
})
