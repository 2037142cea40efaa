import { expect, test } from 'vitest'
import { lastAtOrBefore, stripGeometry } from './timeline-geometry'

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

// 1000 records over 10 px: 100 records per pixel (worked by hand).
const dense = {
  records: 1000,
  segments: [
    // Lane 0: one wide op (records 0-499: 5 px), then ten 10-record ops (0.1 px each) in pixel 5, three host, seven hyp.
    { i: 0, end: 500, depth: 0 as const, actor: 'scenario', kind: 'op', text: 'boot' },
    ...Array.from({ length: 10 }, (_, k) => ({ i: 500 + 10 * k, end: 510 + 10 * k, depth: 0 as const, actor: k < 3 ? 'host' : 'hyp', kind: 'op', text: `op ${k}` })),
    // Then 50-record host ops over pixels 6 and 7 (0.5 px each): both columns host, one shape.
    ...Array.from({ length: 4 }, (_, k) => ({ i: 600 + 50 * k, end: 650 + 50 * k, depth: 0 as const, actor: 'host', kind: 'op', text: `late ${k}` })),
  ],
  marks: [
    { i: 520, kind: 'event' as const, text: 'EVTQ <- F_TRANSLATION' },
    { i: 560, kind: 'event' as const, text: 'EVTQ <- C_BAD_STE' },
    { i: 580, kind: 'expect' as const, text: 'expect ok' },
  ],
}

test('a wide span keeps its own shape; narrow spans in one pixel become one shape of the actor covering most records', () => {
  const g = stripGeometry(dense, 10)
  expect(g.segments.map((s) => [s.x, s.w, s.actor, s.spans])).toEqual([
    [0, 5, 'scenario', 1],
    // Pixel 5: 70 hyp records against 30 host records.
    [5, 1, 'hyp', 10],
    // Pixels 6 and 7: host in both, joined (not with pixel 5: another actor).
    [6, 2, 'host', 4],
  ])
  expect(g.segments[0].text).toBe('boot')
  expect(g.segments[1].text).toBe('10 spans: op 0 … op 9')
  expect(g.segments[1].i).toBe(500)
})

test('marks of one kind in one pixel are one line; another kind keeps its own', () => {
  const g = stripGeometry(dense, 10)
  // Records 520 and 560 fall in pixel 5 (x = 5.205 and 5.605); 580 too, but it is an expectation.
  expect(g.marks.map((m) => [m.kind, m.count, m.i])).toEqual([
    ['event', 2, 520],
    ['expect', 1, 580],
  ])
  expect(g.marks[0].x).toBe(5.205)
  expect(g.marks[0].text).toBe('2 × event: EVTQ <- F_TRANSLATION … EVTQ <- C_BAD_STE')
})

test('the scenario op the cursor is in: the last one starting at or before it, none before the first', () => {
  const ops = [{ i: 3 }, { i: 10 }, { i: 11 }, { i: 40 }]
  expect(lastAtOrBefore(ops, 0)).toBe(-1)
  expect(lastAtOrBefore(ops, 3)).toBe(0)
  expect(lastAtOrBefore(ops, 9)).toBe(0)
  expect(lastAtOrBefore(ops, 10)).toBe(1)
  expect(lastAtOrBefore(ops, 39)).toBe(2)
  expect(lastAtOrBefore(ops, 1e9)).toBe(3)
  expect(lastAtOrBefore([], 5)).toBe(-1)
  // Against the linear search it replaces, at every cursor.
  for (let c = -1; c < 45; c++) expect(lastAtOrBefore(ops, c)).toBe(ops.findLastIndex((s) => s.i <= c))
})

