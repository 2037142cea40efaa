import { describe, expect, test } from 'vitest'
import { isPending, MAX_SLOTS, pendingCount, ringGeometry } from './ring-geometry'

// IHI 0070 3.5.1: PROD/CONS carry an index and a wrap bit; empty when both are
// equal, full when the indices are equal and the wrap bits differ.
const q = (log2size: number, prodIndex: number, prodWrap: number, consIndex: number, consWrap: number) => ({
  log2size,
  prodIndex,
  prodWrap,
  consIndex,
  consWrap,
})

describe('pending entries', () => {
  test('same wrap: PROD - CONS', () => {
    expect(pendingCount(q(3, 5, 0, 2, 0))).toBe(3)
  })
  test('PROD wrapped past CONS: size + PROD - CONS, slots 6, 7, 0', () => {
    const w = q(3, 1, 1, 6, 0)
    expect(pendingCount(w)).toBe(3)
    expect([0, 1, 5, 6, 7].map((i) => isPending(w, i))).toEqual([true, false, false, true, true])
  })
  test('empty and full', () => {
    expect(pendingCount(q(3, 4, 1, 4, 1))).toBe(0)
    expect(pendingCount(q(3, 4, 1, 4, 0))).toBe(8)
    expect(isPending(q(3, 4, 1, 4, 0), 3)).toBe(true)
  })
})

describe('ring geometry', () => {
  test('a small ring has one slot per entry, marked pending from CONS to PROD', () => {
    const g = ringGeometry(q(3, 5, 0, 2, 0), 62, 16)
    expect(g.slots.map((s) => s.pending)).toEqual([false, false, true, true, true, false, false, false])
    expect(g.slots.every((s) => s.path.startsWith('M'))).toBe(true)
  })
  test('a large ring is a track with one pending span', () => {
    const g = ringGeometry(q(8, 10, 0, 2, 0), 62, 16)
    expect(256).toBeGreaterThan(MAX_SLOTS)
    expect(g.slots).toEqual([])
    expect(g.pending).toBe(8)
    expect(g.pendingPath).not.toBe('')
  })
  test('PROD is labelled outside the ring, CONS inside, at their index angles', () => {
    // Index 0 of 8 is at 12 o'clock; index 2 of 8 is a quarter turn clockwise (3 o'clock).
    const g = ringGeometry(q(3, 0, 0, 2, 0), 62, 16)
    const [prod, cons] = g.markers
    expect(prod.label).toBe('PROD')
    expect(prod.lx).toBeCloseTo(0)
    expect(prod.ly).toBeCloseTo(-(62 + 12))
    expect(cons.label).toBe('CONS')
    expect(cons.lx).toBeCloseTo(62 - 16 - 12)
    expect(cons.ly).toBeCloseTo(0)
  })
})
