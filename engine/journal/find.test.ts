import { describe, expect, test } from 'vitest'
import { findRecord, matches, runTo } from './find'
import type { JRecord } from './journal'

const bytes = (n: number) => new Uint8Array(n)
// Records shaped as the engine writes them (DESIGN.md "Headless runner" kinds and fields).
const recs: JRecord[] = [
  { kind: 'mmio', actor: 'host', depth: 1, reg: 'CMDQ_PROD', write: true, trapped: true },
  { kind: 'state', actor: 'smmu', depth: 2, map: 'smmu.regs', key: 'CMDQ_PROD' },
  { kind: 'hyp.cmd', actor: 'hyp', depth: 2, opcode: 'CFGI_STE', verdict: 'rejected' },
  { kind: 'cmd.consume', actor: 'smmu', depth: 2, opcode: 'CFGI_STE', SID: 16 },
  { kind: 'mem.write', actor: 'host', depth: 1, mem: [{ pa: 0x4000_0400, old: bytes(8), value: bytes(8) }] },
  { kind: 'event', actor: 'smmu', depth: 2, type: 'C_BAD_STE', sid: 16 },
  { kind: 'expect', actor: 'scenario', depth: 1, ok: true },
  { kind: 'expect', actor: 'scenario', depth: 1, ok: false },
]

describe('queries', () => {
  test('each condition on its own', () => {
    const hits = (q: Parameters<typeof matches>[1]) => recs.flatMap((r, i) => (matches(r, q) ? [i] : []))
    expect(hits({ kind: 'expect' })).toEqual([6, 7])
    expect(hits({ kind: ['hyp.cmd', 'cmd.consume'] })).toEqual([2, 3])
    expect(hits({ reg: 'CMDQ_PROD' })).toEqual([0, 1]) // the access and the value change
    expect(hits({ sid: 16 })).toEqual([3, 5]) // a command's SID field and an event's sid
    expect(hits({ opcode: 'CFGI_STE' })).toEqual([2, 3])
    expect(hits({ event: 'C_BAD_STE' })).toEqual([5])
    expect(hits({ verdict: 'rejected' })).toEqual([2])
    expect(hits({ failedExpect: true })).toEqual([7])
    expect(hits({ actor: 'hyp' })).toEqual([2])
  })
  test('address range written: half-open, any overlapping byte', () => {
    // The write covers [0x4000_0400, 0x4000_0408).
    expect(matches(recs[4], { writes: { from: 0x4000_0407, to: 0x4000_0500 } })).toBe(true)
    expect(matches(recs[4], { writes: { from: 0x4000_0408, to: 0x4000_0500 } })).toBe(false)
    expect(matches(recs[4], { writes: { from: 0x4000_0300, to: 0x4000_0400 } })).toBe(false)
    expect(matches(recs[4], { writes: { from: 0x4000_0300, to: 0x4000_0401 } })).toBe(true)
  })
  test('conditions combine: all must hold', () => {
    expect(matches(recs[3], { opcode: 'CFGI_STE', sid: 16 })).toBe(true)
    expect(matches(recs[2], { opcode: 'CFGI_STE', sid: 16 })).toBe(false)
    expect(matches(recs[7], { failedExpect: true, kind: 'mmio' })).toBe(false)
  })
  test('find searches from a record inclusive, either way', () => {
    expect(findRecord(recs, { opcode: 'CFGI_STE' }, 0, 'forward')).toBe(2)
    expect(findRecord(recs, { opcode: 'CFGI_STE' }, 3, 'forward')).toBe(3)
    expect(findRecord(recs, { opcode: 'CFGI_STE' }, 4, 'forward')).toBeNull()
    expect(findRecord(recs, { opcode: 'CFGI_STE' }, 7, 'backward')).toBe(3)
    expect(findRecord(recs, { event: 'F_TRANSLATION' }, 0, 'forward')).toBeNull()
  })
})

describe('breakpoints', () => {
  const bps = [{ verdict: 'rejected' }, { failedExpect: true }]
  test('continue stops before the next match of any breakpoint and says which', () => {
    expect(runTo(recs, bps, 0, 'forward')).toEqual({ cursor: 2, breakpoint: 0 })
    // Continuing from a stop moves past it.
    expect(runTo(recs, bps, 2, 'forward')).toEqual({ cursor: 7, breakpoint: 1 })
    expect(runTo(recs, bps, 7, 'forward')).toEqual({ cursor: recs.length, breakpoint: null })
  })
  test('backwards: the nearest earlier match, else the start', () => {
    expect(runTo(recs, bps, recs.length, 'backward')).toEqual({ cursor: 7, breakpoint: 1 })
    expect(runTo(recs, bps, 7, 'backward')).toEqual({ cursor: 2, breakpoint: 0 })
    expect(runTo(recs, bps, 2, 'backward')).toEqual({ cursor: 0, breakpoint: null })
  })
  test('no breakpoints: continue runs to the end', () => {
    expect(runTo(recs, [], 3, 'forward')).toEqual({ cursor: recs.length, breakpoint: null })
  })
})
