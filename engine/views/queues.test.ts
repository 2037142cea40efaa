import { describe, expect, test } from 'vitest'
import { queueWindow } from './queues'

describe('queueWindow', () => {
  test('shows the slot with four slots above it and twenty below, from a multiple of 8', () => {
    for (let index = 0; index < 600; index++) {
      const w = queueWindow(index)
      expect(w.from % 8).toBe(0)
      expect(w.from).toBeLessThanOrEqual(Math.max(0, index - 4))
      expect(w.to).toBeGreaterThanOrEqual(index + 21)
      expect(w.to - w.from).toBe(32)
    }
  })

  test('stands still while the slot moves within a block, and moves by a block when it leaves', () => {
    // Slots 12..19 have 4 above them from slot 8: one window; slot 20 needs slot 16 in view: the next.
    const at12 = queueWindow(12)
    for (let index = 12; index < 20; index++) expect(queueWindow(index)).toEqual(at12)
    expect(at12).toEqual({ from: 8, to: 40 })
    expect(queueWindow(20)).toEqual({ from: 16, to: 48 })
    // Near the start the window starts at slot 0.
    expect(queueWindow(0)).toEqual({ from: 0, to: 32 })
    expect(queueWindow(11)).toEqual({ from: 0, to: 32 })
  })
})
