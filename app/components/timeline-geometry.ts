/**
 * Geometry of the journal strip: d3's linear scale maps record indexes to x
 * (STYLE.md habit 12: d3 computes, React renders). A segment narrower than
 * a pixel still gets one, so no op disappears from a long run; narrow
 * segments that share a pixel column are drawn as one shape, so a journal of
 * thousands of ops is a few hundred shapes, not thousands of DOM nodes.
 */
import { scaleLinear } from 'd3'
import type { TimelineMark, TimelineSegment, TimelineView } from '../../engine/api-types'

export interface StripSegment {
  /** The first record of the (first) span drawn. */
  readonly i: number
  readonly depth: 0 | 1
  readonly x: number
  readonly w: number
  readonly actor: string
  readonly text: string
  /** How many spans the shape stands for (more than one: narrow spans sharing pixels). */
  readonly spans: number
}

export interface StripMark {
  /** The (first) record marked. */
  readonly i: number
  readonly x: number
  readonly kind: string
  readonly text: string
  /** How many records of this kind the line stands for (they share its pixel column). */
  readonly count: number
}

export interface StripGeometry {
  readonly segments: readonly StripSegment[]
  readonly marks: readonly StripMark[]
  /** x of the line before record `i` (the cursor). */
  readonly xOf: (i: number) => number
  /** The cursor (record index, rounded) under pixel `x`. */
  readonly cursorAt: (x: number) => number
}

/** Segments at least this wide (px) are drawn on their own, with their own title; narrower ones are binned by pixel column. */
export const OWN_SHAPE_PX = 2

/** Narrow spans starting in one pixel column: the actor that covers most records there stands for them all. */
interface Column {
  readonly px: number
  readonly first: TimelineSegment
  last: TimelineSegment
  spans: number
  readonly cover: Map<string, number>
}

function dominant(c: Column): string {
  let best = c.first.actor
  let most = -1
  for (const [actor, n] of c.cover) {
    if (n > most) {
      best = actor
      most = n
    }
  }
  return best
}

function binText(first: TimelineSegment, last: TimelineSegment, spans: number): string {
  return spans === 1 ? first.text : `${spans} spans: ${first.text} … ${last.text}`
}

/** One lane's shapes: wide segments as they are, narrow ones per pixel column, adjacent columns of one actor joined. */
function laneShapes(segs: readonly TimelineSegment[], depth: 0 | 1, x: (i: number) => number): StripSegment[] {
  const out: StripSegment[] = []
  // The shape being grown from binned columns (joined while the actor stays and the columns touch).
  let run: { px0: number; px1: number; actor: string; first: TimelineSegment; last: TimelineSegment; spans: number } | null = null
  let col: Column | null = null
  const flushRun = () => {
    if (run === null) return
    out.push({ i: run.first.i, depth, x: run.px0, w: run.px1 - run.px0, actor: run.actor, text: binText(run.first, run.last, run.spans), spans: run.spans })
    run = null
  }
  const flushCol = () => {
    if (col === null) return
    const actor = dominant(col)
    if (run !== null && run.actor === actor && run.px1 === col.px) {
      run.px1 = col.px + 1
      run.last = col.last
      run.spans += col.spans
    } else {
      flushRun()
      run = { px0: col.px, px1: col.px + 1, actor, first: col.first, last: col.last, spans: col.spans }
    }
    col = null
  }
  for (const s of segs) {
    const x0 = x(s.i)
    const x1 = x(s.end)
    if (x1 - x0 >= OWN_SHAPE_PX) {
      flushCol()
      flushRun()
      out.push({ i: s.i, depth, x: x0, w: x1 - x0, actor: s.actor, text: s.text, spans: 1 })
      continue
    }
    const px = Math.floor(x0)
    if (col !== null && col.px !== px) flushCol()
    if (col === null) col = { px, first: s, last: s, spans: 0, cover: new Map() }
    col.last = s
    col.spans++
    col.cover.set(s.actor, (col.cover.get(s.actor) ?? 0) + Math.max(1, s.end - s.i))
  }
  flushCol()
  flushRun()
  return out
}

/** One line per kind and pixel column (at the first record's x); the title counts the records it stands for. */
function markLines(marks: readonly TimelineMark[], x: (i: number) => number): StripMark[] {
  const lines = new Map<string, { i: number; x: number; kind: string; first: string; last: string; count: number }>()
  for (const m of marks) {
    const mx = x(m.i + 0.5)
    const key = `${m.kind}@${Math.floor(mx)}`
    const l = lines.get(key)
    if (l === undefined) lines.set(key, { i: m.i, x: mx, kind: m.kind, first: m.text, last: m.text, count: 1 })
    else {
      l.last = m.text
      l.count++
    }
  }
  return [...lines.values()].map((l) => ({ i: l.i, x: l.x, kind: l.kind, text: l.count === 1 ? l.first : `${l.count} × ${l.kind}: ${l.first} … ${l.last}`, count: l.count }))
}

/** The strip for a run at a width: it changes with neither the cursor nor the selection, so a step does not redraw it. */
export function stripGeometry(t: TimelineView, width: number): StripGeometry {
  const x = scaleLinear().domain([0, Math.max(1, t.records)]).range([0, Math.max(1, width)]).clamp(true)
  const lane = (d: 0 | 1) => laneShapes(t.segments.filter((s) => s.depth === d), d, x)
  return {
    segments: [...lane(0), ...lane(1)],
    marks: markLines(t.marks, x),
    xOf: (i) => x(i),
    cursorAt: (px) => Math.round(x.invert(px)),
  }
}

/** The index of the last segment starting at or before `i` (segments in record order), -1 if none. */
export function lastAtOrBefore(segs: readonly { readonly i: number }[], i: number): number {
  let lo = 0
  let hi = segs.length
  while (lo < hi) {
    const mid = (lo + hi) >>> 1
    if (segs[mid].i <= i) lo = mid + 1
    else hi = mid
  }
  return lo - 1
}
