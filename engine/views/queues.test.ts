import { describe, expect, test } from 'vitest'
import { queueWindow } from './queues'

describe('queueWindow', () => {
  test('shows at least four slots above the slot and twenty from it on, from a multiple of 16', () => {
    for (let index = 0; index < 600; index++) {
      const w = queueWindow(index)
      expect(w.from % 16).toBe(0)
      expect(w.from).toBeLessThanOrEqual(Math.max(0, index - 4))
      expect(w.to).toBe(Math.max(w.from + 24, index + 20))
    }
  })

  test('grows at its end while the slot moves within a block, and drops the block above when it leaves', () => {
    // Slots 4..19 have 4 above them from slot 0: the window starts there and ends 20 slots after the slot.
    expect(queueWindow(4)).toEqual({ from: 0, to: 24 })
    expect(queueWindow(12)).toEqual({ from: 0, to: 32 })
    expect(queueWindow(19)).toEqual({ from: 0, to: 39 })
    // Slot 20 needs only slot 16 above it: the rows before 16 go.
    expect(queueWindow(20)).toEqual({ from: 16, to: 40 })
    expect(queueWindow(0)).toEqual({ from: 0, to: 24 })
  })
})
