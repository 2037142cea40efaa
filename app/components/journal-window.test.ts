import { expect, test } from 'vitest'
import { journalGeometry, rowRuns, sameJournalGeometry } from './journal-window'

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

test('rows at consecutive positions are one run at the first row\'s position', () => {
  // Records 40-44 with nothing collapsed: positions equal indexes, one block at row 40.
  const runs = rowRuns([40, 41, 42, 43, 44], (i) => i)
  expect(runs).toEqual([{ top: 40, rows: [40, 41, 42, 43, 44] }])
})

test('a gap in positions starts a new run', () => {
  // Positions 3, 4, then 9, 10 (rows 5-8 not among the rows): two blocks, at rows 3 and 9.
  const runs = rowRuns(['a', 'b', 'c', 'd'], (r) => ({ a: 3, b: 4, c: 9, d: 10 })[r]!)
  expect(runs).toEqual([
    { top: 3, rows: ['a', 'b'] },
    { top: 9, rows: ['c', 'd'] },
  ])
  expect(rowRuns([], (r: number) => r)).toEqual([])
})

test('scrolling within a row keeps the geometry; crossing a row boundary changes it', () => {
  // 20 px rows, 10 rows of overscan, 300 px high. 0 and 15 px: p0 = 0, top = ceil(0/20) = 0 vs ceil(15/20) = 1: different.
  const g = (t: number) => journalGeometry(t, 300, 20, 10)
  expect(sameJournalGeometry(g(0), g(0))).toBe(true)
  expect(sameJournalGeometry(g(0), g(15))).toBe(false)
  // 25 and 35 px: floor 1, ceil 2, bottom floor(325/20) = floor(335/20) = 16, p1 = ceil(325/20) + 10 = ceil(335/20) + 10 = 27: same.
  expect(sameJournalGeometry(g(25), g(35))).toBe(true)
})
