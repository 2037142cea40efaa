import { describe, expect, test } from 'vitest'
import { JournalIndex } from './cursor'
import type { JRecord } from './journal'

// A journal shaped like a real run (pre-order spans; `end` is one past the span's last record):
//  0 op boot            d0 end 6
//  1   host.cmdq.insert d1 end 4
//  2     cmd.issue      d2
//  3     mmio           d2
//  4   smmu.cmdq        d1 end 6
//  5     cmd.consume    d2
//  6 op mmio            d0 end 8
//  7   mmio             d1
//  8 expect             d0
const shape: [string, number, number | undefined][] = [
  ['op', 0, 6], ['host.cmdq.insert', 1, 4], ['cmd.issue', 2, undefined], ['mmio', 2, undefined], ['smmu.cmdq', 1, 6],
  ['cmd.consume', 2, undefined], ['op', 0, 8], ['mmio', 1, undefined], ['expect', 0, undefined],
]
const recs: JRecord[] = shape.map(([kind, depth, end]) => ({ kind, actor: 'host', depth, ...(end !== undefined && { end }) }))
const ix = new JournalIndex(recs)
const N = recs.length

describe('parents', () => {
  test('each record knows the innermost span around it', () => {
    expect(recs.map((_, i) => ix.parentOf(i))).toEqual([-1, 0, 1, 1, 0, 4, -1, 6, -1])
  })
})

describe('step into / over / out, every record', () => {
  test('into moves one record either way and stops at the ends', () => {
    expect(ix.step(0, 'into', 'forward')).toBe(1)
    expect(ix.step(N, 'into', 'forward')).toBe(N)
    expect(ix.step(5, 'into', 'backward')).toBe(4)
    expect(ix.step(0, 'into', 'backward')).toBe(0)
  })
  test('over a span lands on its end, over a leaf on the next record', () => {
    expect(ix.step(0, 'over', 'forward')).toBe(6)
    expect(ix.step(1, 'over', 'forward')).toBe(4)
    expect(ix.step(2, 'over', 'forward')).toBe(3)
    expect(ix.step(8, 'over', 'forward')).toBe(9)
  })
  test('out finishes the innermost enclosing span; at depth 0 runs to the end', () => {
    expect(ix.step(2, 'out', 'forward')).toBe(4) // inside span 1 (end 4)
    expect(ix.step(5, 'out', 'forward')).toBe(6) // inside span 4 (end 6)
    expect(ix.step(1, 'out', 'forward')).toBe(6) // inside span 0 (end 6)
    expect(ix.step(7, 'out', 'forward')).toBe(8) // inside span 6 (end 8)
    expect(ix.step(0, 'out', 'forward')).toBe(N)
  })
  test('back over goes to the start of the previous record at the same or a shallower depth', () => {
    expect(ix.step(6, 'over', 'backward')).toBe(0) // previous op
    expect(ix.step(4, 'over', 'backward')).toBe(1) // previous sibling span
    expect(ix.step(2, 'over', 'backward')).toBe(1) // first child: back to its parent
    expect(ix.step(8, 'over', 'backward')).toBe(6)
    expect(ix.step(N, 'over', 'backward')).toBe(8) // from the end, the last top-level record
    expect(ix.step(0, 'over', 'backward')).toBe(0)
  })
  test('back out goes to the start of the enclosing span; at depth 0 to the start', () => {
    expect(ix.step(5, 'out', 'backward')).toBe(4)
    expect(ix.step(3, 'out', 'backward')).toBe(1)
    expect(ix.step(4, 'out', 'backward')).toBe(0)
    expect(ix.step(6, 'out', 'backward')).toBe(0)
    expect(ix.step(N, 'out', 'backward')).toBe(0)
  })
  test('cursors outside the journal are clamped', () => {
    expect(ix.step(-5, 'into', 'forward')).toBe(1)
    expect(ix.step(99, 'into', 'backward')).toBe(N - 1)
  })
})

describe('granularity', () => {
  test('op: only scenario ops (and the end) are stops', () => {
    expect(ix.step(1, 'into', 'forward', 'op')).toBe(6)
    expect(ix.step(6, 'into', 'forward', 'op')).toBe(N)
    expect(ix.step(7, 'into', 'backward', 'op')).toBe(6)
    expect(ix.step(5, 'out', 'forward', 'op')).toBe(6) // leave span 4 (ends at 6, an op)
    expect(ix.step(7, 'out', 'forward', 'op')).toBe(N) // leave op 6; record 8 is an expect, not an op
  })
  test('action: records at depth ≤ 1', () => {
    expect(ix.step(1, 'into', 'forward', 'action')).toBe(4)
    expect(ix.step(4, 'into', 'forward', 'action')).toBe(6)
    expect(ix.step(6, 'into', 'backward', 'action')).toBe(4)
  })
  test('command: cmd.issue, hyp.cmd and cmd.consume', () => {
    expect(ix.step(0, 'into', 'forward', 'command')).toBe(2)
    expect(ix.step(2, 'into', 'forward', 'command')).toBe(5)
    expect(ix.step(5, 'into', 'forward', 'command')).toBe(N)
    expect(ix.step(N, 'into', 'backward', 'command')).toBe(5)
    // Over from the issue (depth 2): the next command at depth ≤ 2 after it.
    expect(ix.step(2, 'over', 'forward', 'command')).toBe(5)
    // Out of span 1 (ends at 4): the first command from there at depth ≤ 1: none.
    expect(ix.step(2, 'out', 'forward', 'command')).toBe(N)
  })
  test('walk: only ptw.read records, none here', () => {
    expect(ix.step(0, 'into', 'forward', 'walk')).toBe(N)
    expect(ix.step(N, 'into', 'backward', 'walk')).toBe(0)
  })
})
