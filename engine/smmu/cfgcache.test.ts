import { describe, expect, test } from 'vitest'
import { Journal } from '../journal/journal'
import { ReplayState } from '../journal/replay'
import { ConfigCache } from './cfgcache'
import type { ConfigKind, TransConfig } from './types'

function cfg(sid: number, ssid: number, kind: ConfigKind = 's1'): TransConfig {
  return { sid, ssid, kind, steAddr: 0x1000 + sid * 64, ...(kind === 's1' || kind === 'nested' ? { cdAddr: 0x8000 + ssid * 64 } : {}) }
}

function filled(list: TransConfig[]) {
  const j = new Journal()
  const cache = new ConfigCache(j)
  for (const c of list) cache.insert(c)
  const left = () => cache.contents().map((c) => `${c.sid.toString(16)}/${c.ssid}`)
  return { j, cache, left }
}

describe('configuration cache', () => {
  test('a miss, then a fill, then a hit; the counters are journaled state', () => {
    const j = new Journal()
    const cache = new ConfigCache(j)
    expect(cache.lookup(3, 0)).toBeUndefined()
    const c = cfg(3, 0)
    cache.insert(c)
    expect(cache.lookup(3, 0)).toBe(c)
    expect(cache.lookup(3, 1)).toBeUndefined()
    expect([cache.hits, cache.misses]).toEqual([1, 2])
    expect(j.records.map((r) => r.kind)).toEqual(['cfg.miss', 'cfg.insert', 'cfg.hit', 'cfg.miss'])
  })

  test('CFGI_STE drops every SubstreamID of that StreamID only', () => {
    const { cache, left, j } = filled([cfg(1, 0), cfg(1, 7), cfg(2, 0)])
    expect(cache.invalidateSte(1)).toBe(2)
    expect(left()).toEqual(['2/0'])
    expect(j.records[j.length - 1]).toMatchObject({ kind: 'cfg.invalidate', command: 'CFGI_STE', count: 2 })
  })

  test('CFGI_STE_RANGE SID=0x13 Range=2 covers SIDs 0x10..0x17', () => {
    // mask = 2^(2+1) - 1 = 7; start = 0x13 & ~7 = 0x10; end = 0x17 (SPEC-FACTS A§2).
    const { cache, left } = filled([cfg(0x0f, 0), cfg(0x10, 0), cfg(0x17, 3), cfg(0x18, 0)])
    expect(cache.invalidateSteRange(0x13, 2)).toBe(2)
    expect(left()).toEqual(['f/0', '18/0'])
  })

  test('Range 31 is CFGI_ALL: every StreamID, up to 2^32 - 1', () => {
    const { cache, left, j } = filled([cfg(0, 0), cfg(0xffff_ffff, 0), cfg(0x8000_0000, 5)])
    expect(cache.invalidateSteRange(0x1234, 31)).toBe(3)
    expect(left()).toEqual([])
    expect(j.records[j.length - 1].command).toBe('CFGI_ALL')
  })

  test('CFGI_CD drops that SubstreamID only (the architecture; QEMU drops the whole SID)', () => {
    const { cache, left } = filled([cfg(4, 0), cfg(4, 1), cfg(4, 2), cfg(5, 1)])
    expect(cache.invalidateCd(4, 1)).toBe(1)
    expect(left()).toEqual(['4/0', '4/2', '5/1'])
  })

  test('CFGI_CD_ALL drops the CD-bearing configurations of the SID; an S2-only one has no CD to drop', () => {
    const { cache, left } = filled([cfg(4, 0), cfg(4, 9, 'nested'), cfg(6, 0, 's2'), cfg(7, 0)])
    expect(cache.invalidateCdAll(4)).toBe(2)
    expect(cache.invalidateCdAll(6)).toBe(0)
    expect(cache.invalidateCd(6, 0)).toBe(0)
    expect(left()).toEqual(['6/0', '7/0'])
    expect(cache.invalidateSte(6)).toBe(1)
  })

  test('out-of-range IDs are refused before anything changes', () => {
    const { cache, j } = filled([])
    expect(() => cache.lookup(1, 2 ** 20)).toThrow(/SubstreamID/)
    expect(() => cache.insert(cfg(2 ** 32, 0))).toThrow(/StreamID/)
    expect(j.length).toBe(0)
  })

  test('replay restores cached configurations and counters at any cursor', () => {
    const j = new Journal()
    const cache = new ConfigCache(j)
    const marks: { cursor: number; keys: string[]; hits: number }[] = []
    const mark = () => marks.push({ cursor: j.length, keys: cache.contents().map((c) => `${c.sid}/${c.ssid}`), hits: cache.hits })
    mark()
    cache.insert(cfg(1, 0))
    cache.insert(cfg(1, 1))
    mark()
    cache.lookup(1, 1)
    mark()
    cache.invalidateCd(1, 1)
    mark()
    cache.invalidateAll()
    mark()
    const id = j.mapNames.indexOf('cfgcache')
    const stats = j.mapNames.indexOf('cfgcache.stats')
    const r = new ReplayState(j.records, j.maps.length, { base: 0, size: 0x1000 })
    for (const m of [...marks].reverse().concat(marks)) {
      r.seek(m.cursor)
      const keys = ([...r.maps[id].values()] as TransConfig[]).map((c) => `${c.sid}/${c.ssid}`).sort()
      expect(keys).toEqual([...m.keys].sort())
      expect(r.maps[stats].get('hit') ?? 0).toBe(m.hits)
    }
    expect(marks.map((m) => m.keys.length)).toEqual([0, 2, 2, 1, 0])
  })

  test('restore forgets the last-hit memo: a lookup after the map was put back sees the map', () => {
    const { j, cache } = filled([])
    const c = cfg(3, 0)
    cache.insert(c)
    expect(cache.lookup(3, 0)).toBe(c) // remembered as the last hit
    // A rewind to before the insert takes the entry out of the map without a record.
    const id = j.mapNames.indexOf('cfgcache')
    for (const k of [...j.maps[id].keys()]) j.maps[id].poke(k, undefined)
    cache.restore()
    expect(cache.lookup(3, 0)).toBeUndefined()
  })
})
