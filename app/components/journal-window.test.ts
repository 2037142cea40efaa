import { expect, test } from 'vitest'
import { journalGeometry, rowSlots, sameJournalGeometry } from './journal-window'

// 20 px rows, 20 rows of overscan; the figures are worked by hand from the scroll offset and height.
test('scrolled to the top, 300 px high: rows 0-14 whole, rows 0-34 fetched', () => {
  expect(journalGeometry(0, 300, 20, 20)).toEqual({ p0: 0, p1: 35, top: 0, visible: 15, span: 15 })
})

test('half a row scrolled, 310 px high: row 0 is cut, rows 1-15 whole, 16 rows spanned', () => {
  // top = ceil(10 / 20) = 1; bottom = floor(320 / 20) = 16; span = ceil(310 / 20) = 16; p1 = ceil(320 / 20) + 20 = 36.
  expect(journalGeometry(10, 310, 20, 20)).toEqual({ p0: 0, p1: 36, top: 1, visible: 15, span: 16 })
})

test('scrolled to a row (as after a move took the window along): the window is [top - overscan, top + span + overscan)', () => {
  // The engine's stepView answers a window of that shape with top 100, span 16, margin 20: [80, 136).
  const g = journalGeometry(100 * 20, 310, 20, 20)
  expect(g).toEqual({ p0: 80, p1: 136, top: 100, visible: 15, span: 16 })
})

test('rows keep their slots while they stay; rows coming in take the slots rows leaving freed, lowest first', () => {
  const first = rowSlots(new Map(), [40, 41, 42, 43, 44], (i) => i)
  expect([...first.slots]).toEqual([[40, 0], [41, 1], [42, 2], [43, 3], [44, 4]])
  expect(first.order).toEqual([40, 41, 42, 43, 44])
  // Moved on by two rows: 45 and 46 take the slots of 40 and 41; drawn in slot order.
  const on = rowSlots(first.slots, [42, 43, 44, 45, 46], (i) => i)
  expect([...on.slots].sort((a, b) => a[0] - b[0])).toEqual([[42, 2], [43, 3], [44, 4], [45, 0], [46, 1]])
  expect(on.order).toEqual([45, 46, 42, 43, 44])
  // A longer window (the viewport grew) takes new slots after the freed ones; a shorter one leaves slots free.
  const longer = rowSlots(on.slots, [44, 45, 46, 47, 48, 49, 50], (i) => i)
  expect([...longer.slots].sort((a, b) => a[0] - b[0])).toEqual([[44, 4], [45, 0], [46, 1], [47, 2], [48, 3], [49, 5], [50, 6]])
  const shorter = rowSlots(longer.slots, [0, 1], (i) => i)
  expect([...shorter.slots]).toEqual([[0, 0], [1, 1]])
  expect(rowSlots(new Map(), [], (r: number) => r).order).toEqual([])
})

test('any sequence of windows: every row kept keeps its slot, slots never repeat, and never more slots than rows seen at once', () => {
  let seed = 7
  const rand = (n: number) => (seed = (seed * 1103515245 + 12345) % 2147483648) % n
  let prev: ReadonlyMap<number, number> = new Map()
  let longest = 0
  for (let k = 0; k < 500; k++) {
    const from = rand(200)
    const len = 1 + rand(40)
    longest = Math.max(longest, len)
    const rows = Array.from({ length: len }, (_, j) => from + j)
    const r = rowSlots(prev, rows, (i) => i)
    for (const i of rows) if (prev.has(i)) expect(r.slots.get(i)).toBe(prev.get(i))
    const used = [...r.slots.values()]
    expect(new Set(used).size).toBe(len)
    expect(Math.max(...used)).toBeLessThan(longest)
    expect(r.order.map((i) => r.slots.get(i))).toEqual([...used].sort((a, b) => a - b))
    prev = r.slots
  }
})

test('scrolling within a row keeps the geometry; crossing a row boundary changes it', () => {
  // 20 px rows, 10 rows of overscan, 300 px high. 0 and 15 px: p0 = 0, top = ceil(0/20) = 0 vs ceil(15/20) = 1: different.
  const g = (t: number) => journalGeometry(t, 300, 20, 10)
  expect(sameJournalGeometry(g(0), g(0))).toBe(true)
  expect(sameJournalGeometry(g(0), g(15))).toBe(false)
  // 25 and 35 px: floor 1, ceil 2, bottom floor(325/20) = floor(335/20) = 16, p1 = ceil(325/20) + 10 = ceil(335/20) + 10 = 27: same.
  expect(sameJournalGeometry(g(25), g(35))).toBe(true)
})
