import { expect, test } from 'vitest'
import { journalGeometry } from './journal-window'

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
