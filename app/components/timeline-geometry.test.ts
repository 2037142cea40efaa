import { expect, test } from 'vitest'
import { stripGeometry } from './timeline-geometry'

// 1000 records over 500 px: 2 records per pixel (worked by hand).
const t = {
  records: 1000,
  segments: [
    { i: 0, end: 400, depth: 0 as const, actor: 'hyp', kind: 'hyp.boot', text: 'boot' },
    { i: 400, end: 401, depth: 0 as const, actor: 'scenario', kind: 'op', text: 'step 0' },
  ],
  marks: [{ i: 599, kind: 'event' as const, text: 'EVTQ <- F_TRANSLATION' }],
}

test('segments, marks and the cursor on a 2-records-per-pixel scale', () => {
  const g = stripGeometry(t, 500)
  expect(g.segments.map((s) => [s.x, s.w])).toEqual([
    [0, 200],
    [200, 1], // half a pixel wide: drawn one pixel wide
  ])
  expect(g.marks[0].x).toBe(299.75)
  expect(g.xOf(250)).toBe(125)
})

test('a pixel maps back to the nearest cursor, clamped to the run', () => {
  const g = stripGeometry(t, 500)
  expect(g.cursorAt(100)).toBe(200)
  expect(g.cursorAt(-5)).toBe(0)
  expect(g.cursorAt(900)).toBe(1000)
})
