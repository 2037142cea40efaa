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

test('rows are keyed by position modulo their number, in key order', () => {
  // Records 40-44, positions equal indexes: keys 40 % 5 = 0 ... 44 % 5 = 4, already in order.
  const at = (rows: number[]) => rowSlots(rows, (i) => i, (i) => i).map((s) => `${s.key}:${s.row}@${s.position}`)
  expect(at([40, 41, 42, 43, 44])).toEqual(['s0:40@40', 's1:41@41', 's2:42@42', 's3:43@43', 's4:44@44'])
  // Moved on by two rows: 45 and 46 take the keys of 40 and 41 (slots 0 and 1); 42-44 keep theirs.
  expect(at([42, 43, 44, 45, 46])).toEqual(['s0:45@45', 's1:46@46', 's2:42@42', 's3:43@43', 's4:44@44'])
  // Moved back by three: 37-39 take the keys of 42-44 (37 % 5 = 2 ...), 40 and 41 keep 0 and 1.
  expect(at([37, 38, 39, 40, 41])).toEqual(['s0:40@40', 's1:41@41', 's2:37@37', 's3:38@38', 's4:39@39'])
  expect(rowSlots([], (r: number) => r, (r) => r)).toEqual([])
})

test('a window moved by any distance keeps the key of every row it keeps, and keys never repeat', () => {
  for (let n = 1; n <= 12; n++)
    for (let from = 0; from < 30; from++)
      for (let to = 0; to < 30; to++) {
        const win = (f: number) => Array.from({ length: n }, (_, k) => f + k)
        const keyOf = (rows: number[]) => new Map(rowSlots(rows, (i) => i, (i) => i).map((s) => [s.row, s.key]))
        const a = keyOf(win(from))
        const b = keyOf(win(to))
        expect(new Set(b.values()).size).toBe(n)
        for (const [row, key] of b) if (a.has(row)) expect(key).toBe(a.get(row))
      }
})

test('positions that are not consecutive (spans just collapsed): repeated keys fall back to the record, placed after', () => {
  // Records a-d at positions 3, 4, 7, 8: 3 % 4 = 3, 4 % 4 = 0, 7 % 4 = 3 (taken: keyed by record 70), 8 % 4 = 0 (taken: 80).
  const pos = { a: 3, b: 4, c: 7, d: 8 } as const
  const rec = { a: 30, b: 40, c: 70, d: 80 } as const
  const slots = rowSlots(['a', 'b', 'c', 'd'] as const, (r) => pos[r], (r) => rec[r])
  expect(slots.map((s) => `${s.key}:${s.row}@${s.position}`)).toEqual(['s0:b@4', 's3:a@3', 'r70:c@7', 'r80:d@8'])
})

test('scrolling within a row keeps the geometry; crossing a row boundary changes it', () => {
  // 20 px rows, 10 rows of overscan, 300 px high. 0 and 15 px: p0 = 0, top = ceil(0/20) = 0 vs ceil(15/20) = 1: different.
  const g = (t: number) => journalGeometry(t, 300, 20, 10)
  expect(sameJournalGeometry(g(0), g(0))).toBe(true)
  expect(sameJournalGeometry(g(0), g(15))).toBe(false)
  // 25 and 35 px: floor 1, ceil 2, bottom floor(325/20) = floor(335/20) = 16, p1 = ceil(325/20) + 10 = ceil(335/20) + 10 = 27: same.
  expect(sameJournalGeometry(g(25), g(35))).toBe(true)
})
