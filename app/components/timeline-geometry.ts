/**
 * Geometry of the journal strip: d3's linear scale maps record indexes to x
 * (STYLE.md habit 12: d3 computes, React renders). A segment narrower than
 * a pixel still gets one, so no op disappears from a long run.
 */
import { scaleLinear } from 'd3'
import type { TimelineView } from '../../engine/api-types'

export interface StripSegment {
  readonly i: number
  readonly depth: 0 | 1
  readonly x: number
  readonly w: number
  readonly actor: string
  readonly text: string
}

export interface StripMark {
  readonly i: number
  readonly x: number
  readonly kind: string
  readonly text: string
}

export interface StripGeometry {
  readonly segments: readonly StripSegment[]
  readonly marks: readonly StripMark[]
  /** x of the line before record `i` (the cursor). */
  readonly xOf: (i: number) => number
  /** The cursor (record index, rounded) under pixel `x`. */
  readonly cursorAt: (x: number) => number
}

/** The strip for a run at a width: it changes with neither the cursor nor the selection, so a step does not redraw it. */
export function stripGeometry(t: TimelineView, width: number): StripGeometry {
  const x = scaleLinear().domain([0, Math.max(1, t.records)]).range([0, Math.max(1, width)]).clamp(true)
  return {
    segments: t.segments.map((s) => ({ i: s.i, depth: s.depth, x: x(s.i), w: Math.max(1, x(s.end) - x(s.i)), actor: s.actor, text: s.text })),
    marks: t.marks.map((m) => ({ i: m.i, x: x(m.i + 0.5), kind: m.kind, text: m.text })),
    xOf: (i) => x(i),
    cursorAt: (px) => Math.round(x.invert(px)),
  }
}
