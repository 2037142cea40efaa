import { describe, expect, test } from 'vitest'
import type { JournalRow } from '../../engine/api-types'
import { backOutTarget, backOverTarget, outTarget, overTarget, type RowWindow } from './navigate'

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
const shape: [number, number | undefined][] = [[0, 6], [1, 4], [2, undefined], [2, undefined], [1, 6], [2, undefined], [0, 8], [1, undefined], [0, undefined]]
const rows: JournalRow[] = shape.map(([depth, end], i) => ({ i, depth, end, actor: 'host', kind: 'k', text: '', fields: {} }))
const N = rows.length
const all: RowWindow = { from: 0, rows }
const tail = (from: number): RowWindow => ({ from, rows: rows.slice(from) })

describe('step over', () => {
  test('over a span lands on its end, over a leaf on the next record', () => {
    expect(overTarget(rows[0], 0, N)).toBe(6)
    expect(overTarget(rows[1], 1, N)).toBe(4)
    expect(overTarget(rows[2], 2, N)).toBe(3)
    expect(overTarget(rows[8], 8, N)).toBe(9)
  })
  test('at the end it stays at the end', () => {
    expect(overTarget(undefined, N, N)).toBe(N)
  })
})

describe('step out', () => {
  test('finishes the innermost enclosing span', () => {
    expect(outTarget(all, 2, N)).toBe(4) // inside span 1 (end 4)
    expect(outTarget(all, 5, N)).toBe(6) // inside span 4 (end 6)
    expect(outTarget(all, 1, N)).toBe(6) // inside span 0 (end 6)
    expect(outTarget(all, 7, N)).toBe(8) // inside span 6 (end 8)
  })
  test('at depth 0 there is nothing to leave: runs to the end', () => {
    expect(outTarget(all, 0, N)).toBe(N)
    expect(outTarget(all, 6, N)).toBe(N)
  })
  test('asks for more rows when the parent is before the window', () => {
    expect(outTarget(tail(2), 2, N)).toBeUndefined()
    expect(outTarget(tail(1), 2, N)).toBe(4)
  })
})

describe('step back over', () => {
  test('goes to the start of the previous record at the same or a shallower depth', () => {
    expect(backOverTarget(all, 6, N)).toBe(0) // previous op
    expect(backOverTarget(all, 4, N)).toBe(1) // previous sibling span
    expect(backOverTarget(all, 2, N)).toBe(1) // first child: back to its parent
    expect(backOverTarget(all, 8, N)).toBe(6)
  })
  test('from the end, back over the last top-level record', () => {
    expect(backOverTarget(all, N, N)).toBe(8)
  })
  test('at the start it stays there', () => {
    expect(backOverTarget(all, 0, N)).toBe(0)
  })
  test('asks for more rows when the window does not reach', () => {
    expect(backOverTarget(tail(5), 6, N)).toBeUndefined()
  })
})

describe('step back out', () => {
  test('goes to the start of the enclosing span', () => {
    expect(backOutTarget(all, 5, N)).toBe(4)
    expect(backOutTarget(all, 3, N)).toBe(1)
    expect(backOutTarget(all, 4, N)).toBe(0)
  })
  test('at depth 0 it goes to the start', () => {
    expect(backOutTarget(all, 6, N)).toBe(0)
    expect(backOutTarget(all, N, N)).toBe(0)
  })
})
