import { fc, test as prop } from '@fast-check/vitest'
import { describe, expect, test } from 'vitest'
import { increment, isEmpty } from './queue'
import {
  queueBase,
  queueEntryAddress,
  queueFree,
  queueIncrement,
  queueIndex,
  queueIsEmpty,
  queueIsFull,
  queueUsed,
  queueWrap,
} from './queue'

// An 8-entry queue (log2 3): index bits [2:0], wrap bit 3 (IHI 0070 3.5.1).
describe('PROD/CONS arithmetic', () => {
  test('index and wrap', () => {
    expect(queueIndex(0b1010, 3)).toBe(2)
    expect(queueWrap(0b1010, 3)).toBe(1)
    expect(queueWrap(0b0010, 3)).toBe(0)
  })

  test('empty: same index and wrap; full: same index, different wrap', () => {
    expect(queueIsEmpty(0b0010, 0b0010, 3)).toBe(true)
    expect(queueIsFull(0b0010, 0b0010, 3)).toBe(false)
    expect(queueIsFull(0b1010, 0b0010, 3)).toBe(true)
    expect(queueIsEmpty(0b1010, 0b0010, 3)).toBe(false)
  })

  test('used and free across the wrap', () => {
    // PROD wrapped to index 1, CONS at index 6: entries 6, 7, 0 are in use.
    expect(queueUsed(0b1001, 0b0110, 3)).toBe(3)
    expect(queueFree(0b1001, 0b0110, 3)).toBe(5)
    expect(queueUsed(0b1010, 0b0010, 3)).toBe(8)
  })

  test('increment toggles wrap at the end and keeps bits above it (CONS.ERR, PROD.OVFLG)', () => {
    expect(queueIncrement(0x7, 3)).toBe(0x8)
    expect(queueIncrement(0xf, 3)).toBe(0x0)
    expect(queueIncrement(0x6, 3, 3)).toBe(0x9)
    expect(queueIncrement(0x0100_0007, 3)).toBe(0x0100_0008)
    expect(queueIncrement(0x8000_000f, 3)).toBe(0x8000_0000)
  })

  test('the largest queue, 2^19 entries: wrap is bit 19', () => {
    expect(queueIsFull((1 << 19) | 5, 5, 19)).toBe(true)
    expect(queueIncrement((1 << 19) - 1, 19)).toBe(1 << 19)
  })

  test('a one-entry queue (log2 0): the wrap bit is bit 0', () => {
    expect(queueIsFull(1, 0, 0)).toBe(true)
    expect(queueIncrement(1, 0)).toBe(0)
  })

  test('entry address = base + index x entry size', () => {
    expect(queueEntryAddress(0x1000, 0x9, 3, 16)).toBe(0x1010)
    expect(queueEntryAddress(0x2000, 0xf, 3, 32)).toBe(0x20e0)
  })

  test('the short names are the same functions', () => {
    expect(isEmpty).toBe(queueIsEmpty)
    expect(increment).toBe(queueIncrement)
  })

  prop.prop([fc.integer({ min: 0, max: 19 }), fc.nat(), fc.nat()])('used + free = size; empty iff used 0; full iff used = size', (log2, start, k) => {
    const size = 2 ** log2
    const cons = queueIncrement(0, log2, start % (2 * size))
    const prod = queueIncrement(cons, log2, k % (size + 1))
    const used = queueUsed(prod, cons, log2)
    expect(used).toBe(k % (size + 1))
    expect(used + queueFree(prod, cons, log2)).toBe(size)
    expect(queueIsEmpty(prod, cons, log2)).toBe(used === 0)
    expect(queueIsFull(prod, cons, log2)).toBe(used === size)
  })
})

describe('Q_BASE', () => {
  test('LOG2SIZE is capped at the IDR1 maximum; the base is aligned to the queue size', () => {
    // RA | ADDR 0x8000_0040 | LOG2SIZE 8: 256 x 16 bytes = 4KB, so the base is 0x8000_0000.
    expect(queueBase(0x4000_0000_8000_0048n, 16, 19)).toEqual({ base: 0x8000_0000, log2: 8 })
    expect(queueBase(0x8000_0000n | 25n, 32, 19)).toEqual({ base: 0x8000_0000, log2: 19 })
  })

  test('small queues are aligned to 32 bytes', () => {
    // One 16-byte entry: aligned to max(16, 32) = 32.
    expect(queueBase(0x8000_0060n, 16, 19)).toEqual({ base: 0x8000_0060, log2: 0 })
  })
})
