import { fc, test } from '@fast-check/vitest'
import { describe, expect, it } from 'vitest'
import type { CachedTlbEntry } from './tlb'
import { streamTag, tagKey, TlbStore } from './tlb-store'

let seq = 0
function entry(asid: number, vmid: number, stage: 1 | 2 | 12, ipn: number, sizeBits = 12): CachedTlbEntry {
  return { asid, vmid, stage, ipn, sizeBits, level: 3, granule: 12, pa: ipn * 4096, perm: 3, parentPerm: 3, seq: seq++ }
}

describe('TlbStore', () => {
  it('finds an entry by any page inside it, the smallest size first', () => {
    const s = new TlbStore(8)
    const block = entry(1, 0, 1, 0x200, 21) // 2 MiB: pages 0x200..0x3ff
    const page = entry(1, 0, 1, 0x234)
    s.add(block)
    expect(s.find(streamTag(1, 0, 1), 0x234)).toBe(block)
    expect(s.find(streamTag(1, 0, 1), 0x3ff)).toBe(block)
    expect(s.find(streamTag(1, 0, 1), 0x400)).toBeUndefined()
    s.add(page)
    // A 4K entry inside the block now answers for its page (smallest first); the block for the rest.
    expect(s.find(streamTag(1, 0, 1), 0x234)).toBe(page)
    expect(s.find(streamTag(1, 0, 1), 0x235)).toBe(block)
    // Another tag sees nothing.
    expect(s.find(streamTag(2, 0, 1), 0x234)).toBeUndefined()
    expect(s.find(streamTag(1, 0, 12), 0x234)).toBeUndefined()
  })

  it('forgets the remembered entry when it is removed', () => {
    const s = new TlbStore(4)
    const e = entry(1, 1, 12, 0x80)
    s.add(e)
    expect(s.find(streamTag(1, 1, 12), 0x80)).toBe(e)
    expect(s.remove(e)).toBe(true)
    expect(s.find(streamTag(1, 1, 12), 0x80)).toBeUndefined()
    expect(s.remove(e)).toBe(false)
  })

  it('refuses an entry beyond its capacity', () => {
    const s = new TlbStore(2)
    s.add(entry(1, 0, 1, 1))
    s.add(entry(1, 0, 1, 2))
    expect(() => s.add(entry(1, 0, 1, 3))).toThrow(/full/)
  })

  it('keeps insertion order through removals and many turns of its ring', () => {
    const s = new TlbStore(3)
    const live: CachedTlbEntry[] = []
    for (let k = 0; k < 200; k++) {
      if (live.length === 3) {
        // FIFO: the oldest goes; every fifth turn an invalidation takes the newest instead.
        const victim = k % 5 === 0 ? live.pop()! : live.shift()!
        if (k % 5 !== 0) expect(s.oldest()).toBe(victim)
        s.remove(victim)
      }
      const e = entry(k % 7, 0, 1, k * 3)
      s.add(e)
      live.push(e)
      expect(s.ordered()).toEqual(live)
    }
  })

  // Against a model: a list of entries, looked up by scanning. Keys collide
  // on purpose (few tags, few pages) so probe runs form and deletions shift them.
  const op = fc.oneof(
    fc.record({ add: fc.constant(true), asid: fc.integer({ min: -1, max: 2 }), page: fc.integer({ min: 0, max: 40 }), big: fc.boolean() }),
    fc.record({ add: fc.constant(false), pick: fc.nat() }),
  )
  test.prop([fc.array(op, { maxLength: 300 })])('agrees with a scan of its entries after any adds and removes', (ops) => {
    const s = new TlbStore(16)
    const model: CachedTlbEntry[] = []
    for (const o of ops) {
      if (o.add) {
        const sizeBits = o.big ? 14 : 12
        const ipn = o.big ? o.page - (o.page % 4) : o.page
        if (model.some((e) => e.asid === o.asid && e.sizeBits === sizeBits && e.ipn === ipn) || model.length === 16) continue
        const e = entry(o.asid, 0, 1, ipn, sizeBits)
        s.add(e)
        model.push(e)
      } else if (model.length) {
        const [e] = model.splice(o.pick % model.length, 1)
        expect(s.remove(e)).toBe(true)
      }
      expect(s.size).toBe(model.length)
      for (const e of model) {
        expect(s.get(tagKey(e.asid, e.vmid, e.stage), e.asid, e.vmid, e.stage, e.sizeBits, e.ipn)).toBe(e)
      }
      for (let asid = -1; asid <= 2; asid++) {
        for (let page = 0; page <= 40; page++) {
          const want = model.filter((e) => e.asid === asid && page >= e.ipn && page < e.ipn + 2 ** (e.sizeBits - 12)).sort((a, b) => a.sizeBits - b.sizeBits)[0]
          expect(s.find(streamTag(asid, 0, 1), page)).toBe(want)
        }
      }
      expect(s.ordered()).toEqual([...model].sort((a, b) => a.seq - b.seq))
    }
  })
})
