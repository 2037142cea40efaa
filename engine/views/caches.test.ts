import { describe, expect, test } from 'vitest'
import { createEngine, defaultScenario } from '../api'
import type { JRecord } from '../journal/journal'
import { cacheMarks, permText, sizeText } from './caches'

// raw-cmdq.json's first DMA (SID 1, IPA 0x1000_0000) walks stage 2 to the L3 page
// 0x4100_07ff: OA 0x4100_0000, S2AP = bits 7:6 = 0b11 (read and write), so the IOTLB
// gets one stage-2 entry: ASID -1 (none), VMID 1 (STE.S2VMID), 4K at level 3.
describe('IOTLB and config cache views (built-in scenario)', () => {
  const e = createEngine()
  e.load(defaultScenario())
  const dma = e.find({ kind: 'dma' }, 0, 'forward')!
  const insert = e.find({ kind: 'tlb.insert' }, 0, 'forward')!

  test('right after the insert the entry is there, marked inserted', () => {
    const rows = e.view(insert + 1, { smmu: { iotlb: {} } }).smmu!.iotlb!
    expect(rows).toEqual([{
      seq: 0, asid: -1, vmid: 1, stage: 2, level: 3, granule: '4K', input: '0x10000000', size: '4K', sizeBits: 12,
      pa: '0x41000000', perm: 'RW', parentPerm: 'RW', mark: 'inserted', present: true,
    }])
  })

  test('a step spanning the whole DMA marks it too; the next record does not', () => {
    expect(e.view(insert + 2, { smmu: { iotlb: { since: dma } } }).smmu!.iotlb![0].mark).toBe('inserted')
    expect(e.view(insert + 2, { smmu: { iotlb: {} } }).smmu!.iotlb![0].mark).toBeUndefined()
  })

  test('before the DMA the IOTLB is empty', () => {
    expect(e.view(dma, { smmu: { iotlb: {} } }).smmu!.iotlb).toEqual([])
  })

  test('the config cache holds SID 1 (no SubstreamID: SSID -1) as s2', () => {
    const rows = e.view(Number.MAX_SAFE_INTEGER, { smmu: { cfgcache: {} } }).smmu!.cfgcache!
    expect(rows).toHaveLength(1)
    // S2T0SZ 25: 64 - 25 = 39-bit IPA; S2PS 0b100 (word 2 bits 50:48 of 0x040c...) = 44-bit.
    expect(rows[0]).toMatchObject({ sid: 1, ssid: -1, config: 's2', steAddr: '0x40000040', vmid: 1, present: true })
    expect(rows[0].stages).toEqual(['S2: 4K, 39-bit IPA, S2TTB 0x40020000, 44-bit PA'])
  })
})

describe('cacheMarks', () => {
  const rec = (kind: string, changes: JRecord['changes']): JRecord => ({ kind, actor: 'smmu', depth: 0, changes })
  const a = { seq: 1 }
  const b = { seq: 2 }
  const records = [
    rec('tlb.insert', [[3, 1, undefined, a]]),
    rec('tlb.evict', [[3, 1, a, undefined]]),
    rec('tlb.insert', [[3, 2, undefined, b], [9, 'next', 2, 3]]),
    rec('tlb.invalidate', [[3, 2, b, undefined]]),
  ]
  test('names what each record did to each key of its map, keeping removed values', () => {
    expect(cacheMarks(records, 3, 0, 1)).toEqual(new Map([[1, { mark: 'inserted', old: undefined }]]))
    expect(cacheMarks(records, 3, 1, 3)).toEqual(new Map([[1, { mark: 'evicted', old: a }], [2, { mark: 'inserted', old: undefined }]]))
    expect(cacheMarks(records, 3, 3, 4)).toEqual(new Map([[2, { mark: 'invalidated', old: b }]]))
    expect(cacheMarks(records, 9, 0, 4).size).toBe(0)
  })
})

describe('text forms', () => {
  test('permissions as R/W (PERM_R = 1, PERM_W = 2)', () => {
    expect([0, 1, 2, 3].map(permText)).toEqual(['--', 'R-', '-W', 'RW'])
  })
  test('sizes', () => {
    expect([12, 16, 21, 30, 39].map(sizeText)).toEqual(['4K', '64K', '2M', '1G', '512G'])
  })
})
