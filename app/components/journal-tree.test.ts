import { expect, test } from 'vitest'
import { hiddenRanges, isHidden, positionOf, recordAt, rowCount, visibleRanges } from './journal-tree'

// A journal of 20 records where span 2 ends at 8 (hides 3..7) and span 10 ends at 15 (hides 11..14),
// and span 4 ends at 6 inside the first (adds nothing): worked by hand.
const h = hiddenRanges(
  new Map([
    [2, 8],
    [4, 6],
    [10, 15],
  ]),
)

test('collapsed spans hide their records, nested ones merged', () => {
  expect(h).toEqual([
    [3, 8],
    [11, 15],
  ])
  expect(isHidden(h, 2)).toBe(false)
  expect(isHidden(h, 3)).toBe(true)
  expect(isHidden(h, 8)).toBe(false)
  expect(rowCount(h, 20)).toBe(20 - 5 - 4)
})

test('record index and row position map both ways', () => {
  // Rows: 0 1 2 | 8 9 10 | 15 16 17 18 19
  expect([0, 2, 8, 10, 15, 19].map((i) => positionOf(h, i))).toEqual([0, 2, 3, 5, 6, 10])
  expect([0, 2, 3, 5, 6, 10].map((p) => recordAt(h, p))).toEqual([0, 2, 8, 10, 15, 19])
})

test('the rows in view come from a few record ranges', () => {
  expect(visibleRanges(h, 1, 8, 20)).toEqual([
    [1, 3],
    [8, 11],
    [15, 17],
  ])
  expect(visibleRanges(h, 0, 100, 20)).toEqual([
    [0, 3],
    [8, 11],
    [15, 20],
  ])
  expect(visibleRanges([], 5, 9, 20)).toEqual([[5, 9]])
})
