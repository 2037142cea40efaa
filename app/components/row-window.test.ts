import { expect, test } from 'vitest'
import { rowWindow, sameRowWindow } from './row-window'

// 54 px rows (the stream table's), 8 rows of overscan; figures worked by hand.
test('at the top: the rows the viewport touches and the overscan below', () => {
  // 400 px high: rows 0..ceil(400/54) = 8 touched (row 7 cut), + 8 below: [0, 16).
  expect(rowWindow({ top: 0, height: 400 }, 54, 8)).toEqual({ from: 0, to: 16 })
})

test('scrolled: overscan on both sides', () => {
  // top 1000: first row floor(1000/54) = 18, minus 8 = 10; last edge ceil(1400/54) = 26, plus 8 = 34.
  expect(rowWindow({ top: 1000, height: 400 }, 54, 8)).toEqual({ from: 10, to: 34 })
})

test('never empty, even for a viewport of no height', () => {
  expect(rowWindow({ top: 0, height: 0 }, 54, 0)).toEqual({ from: 0, to: 1 })
})

test('scrolling within a row keeps the window; into the next row changes it', () => {
  // 1000 and 1020: first rows floor(1000/54) = floor(1020/54) = 18, but bottom edges 1400/54 = 25.9 -> 26 and 1420/54 = 26.3 -> 27.
  expect(sameRowWindow({ top: 1000, height: 400 }, { top: 1020, height: 400 }, 54, 8)).toBe(false)
  // 1000 and 1004: 1400/54 = 25.93 and 1404/54 = 26.0 -> both 26; floor(1004/54) = 18: same window.
  expect(sameRowWindow({ top: 1000, height: 400 }, { top: 1004, height: 400 }, 54, 8)).toBe(true)
})
