import { describe, expect, test } from 'vitest'
import { createEngine, defaultScenario } from '../api'
import type { JRecord } from '../journal/journal'
import { walkView } from './walk'

// raw-cmdq.json's stage 2: S2T0SZ=25 (39-bit IPA), S2SL0=1 (start at level 1), 4K
// granule, S2TTB 0x4002_0000. IPA 0x1000_0000: L1 index IPA[38:30] = 0 -> 0x4002_0000;
// L2 index IPA[29:21] = 0x80 -> 0x4002_1000 + 0x400 = 0x4002_1400; L3 index IPA[20:12]
// = 0 -> 0x4002_2000 (Arm ARM D8.2: 9 bits per level, 8-byte descriptors).
describe('walk grid of the built-in scenario', () => {
  const e = createEngine()
  e.load(defaultScenario())
  const first = e.find({ kind: 'dma' }, 0, 'forward')!
  const second = e.find({ kind: 'dma' }, first + 1, 'forward')!
  const third = e.find({ kind: 'dma' }, second + 1, 'forward')!

  test('the first DMA: one row, its IPA through three stage-2 reads L1/L2/L3', () => {
    const w = e.view(Number.MAX_SAFE_INTEGER, { smmu: { walk: { at: first } } }).smmu!.walk!
    expect(w).toMatchObject({ record: first, device: 'nic', sid: 1, iova: '0x10000000', result: 'ok', pa: '0x41000000', config: 's2' })
    expect(w.rows).toHaveLength(1)
    expect(w.rows[0].what).toBe('IPA')
    expect(w.rows[0].s1).toBeUndefined()
    expect(w.rows[0].s2.map((c) => [c.level, c.address, c.raw, c.type])).toEqual([
      [1, '0x40020000', '0x0000000040021003', 'table'],
      [2, '0x40021400', '0x0000000040022003', 'table'],
      [3, '0x40022000', '0x00000000410007ff', 'page'],
    ])
    expect(w.prev).toBeUndefined()
    expect(w.next).toBe(second)
    // The dma span is its op's only child, so it ends where the next op (the expect) begins.
    expect(w.end).toBe(e.find({ kind: 'op' }, first, 'forward'))
    expect(w.nextEnd).toBe(e.find({ kind: 'op' }, second, 'forward'))
  })

  test('inside the span, reads after the cursor are marked future', () => {
    const w = e.view(first + 1, { smmu: { walk: {} } }).smmu!.walk!
    expect(w.record).toBe(first)
    expect(w.rows[0].s2.every((c) => c.future)).toBe(true)
  })

  test('the second DMA faults at L3 index 1 (0x4002_2008, an invalid descriptor), marked with its event', () => {
    const w = e.view(Number.MAX_SAFE_INTEGER, { smmu: { walk: { at: second } } }).smmu!.walk!
    const cells = w.rows[0].s2
    expect(cells.map((c) => [c.address, c.fault])).toEqual([['0x40020000', false], ['0x40021400', false], ['0x40022008', true]])
    expect(w.event).toMatchObject({ type: 'F_TRANSLATION', stage: 2, addr2: '0x10001000' })
  })

  test('the third DMA never walks: C_BAD_STE; at the end of the run it is the DMA shown', () => {
    const w = e.view(Number.MAX_SAFE_INTEGER, { smmu: { walk: {} } }).smmu!.walk!
    expect(w.record).toBe(third)
    expect(w.rows).toEqual([])
    expect(w.event?.type).toBe('C_BAD_STE')
    expect(w.prev).toBe(second)
  })

  test('before any DMA there is nothing to show', () => {
    expect(e.view(first - 1, { smmu: { walk: {} } }).smmu!.walk).toBeNull()
  })
})

// A nested walk as walk-s1.ts reports it: before stage-1 read k, the stage-2 walk of its
// table's IPA (forS1 = k - 1; -1 is TTB0), then after the last stage-1 read the stage-2
// walk of the output IPA (forS1 = number of stage-1 reads). Two stage-1 levels (2, 3)
// over a two-level stage 2 (levels 2, 3) give 3 rows: TTB, L2 table, IPA.
describe('walk grid of a nested walk (hand-built records)', () => {
  const read = (stage: 1 | 2, level: number, address: number, forS1?: number): JRecord => ({
    kind: 'ptw.read', actor: 'smmu', depth: 1, stage, level, address, raw: ['0x0000000000000003'], type: level === 3 ? 'page' : 'table', forS1,
  })
  const records: JRecord[] = [
    { kind: 'dma', actor: 'device', depth: 0, end: 12, device: 'd', sid: 5, iova: 0x8000_1000, access: 'read', result: 'ok', pa: 0x4500_1000 },
    { kind: 'cfg.hit', actor: 'smmu', depth: 1, sid: 5, ssid: -1, config: 'nested' },
    { kind: 'tlb.miss', actor: 'smmu', depth: 1 },
    read(2, 2, 0x4100_0000, -1), read(2, 3, 0x4100_1000, -1),
    read(1, 2, 0x4200_0000),
    read(2, 2, 0x4100_0008, 0), read(2, 3, 0x4100_2000, 0),
    read(1, 3, 0x4200_1008),
    read(2, 2, 0x4100_0010, 2), read(2, 3, 0x4100_3000, 2),
    { kind: 'tlb.insert', actor: 'smmu', depth: 1 },
  ]

  test('stage-1 levels down, each table IPA walked across, the final IPA last', () => {
    const w = walkView(records, records.length)!
    expect(w.config).toBe('nested')
    expect(w.rows.map((r) => [r.what, r.s2.map((c) => c.level), r.s1?.level])).toEqual([
      ['TTB', [2, 3], 2],
      ['L2 table', [2, 3], 3],
      ['IPA', [2, 3], undefined],
    ])
    expect(w.rows[1].s1?.address).toBe('0x42001008')
  })

  test('a TLB hit replaces the walk', () => {
    const hit: JRecord[] = [
      { kind: 'dma', actor: 'device', depth: 0, end: 3, device: 'd', sid: 5, iova: 0x8000_1000, access: 'read', result: 'ok', pa: 0x4500_1000 },
      { kind: 'cfg.hit', actor: 'smmu', depth: 1, sid: 5, ssid: -1, config: 'nested' },
      { kind: 'tlb.hit', actor: 'smmu', depth: 1, seq: 7, pa: 0x4500_0000, sizeBits: 21 },
    ]
    const w = walkView(hit, 3)!
    expect(w.rows).toEqual([])
    expect(w.tlbHit).toEqual({ record: 2, seq: 7, pa: '0x45000000', sizeBits: 21 })
  })
})
