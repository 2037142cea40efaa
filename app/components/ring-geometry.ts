/**
 * Geometry of a queue drawn as a ring: d3 computes the paths, React renders them
 * (STYLE.md habit 12). Index 0 is at 12 o'clock, indices grow clockwise.
 */
import { arc, scaleLinear } from 'd3'
import type { QueueView } from '../../engine/api-types'

type Pointers = Pick<QueueView, 'log2size' | 'prodIndex' | 'consIndex' | 'prodWrap' | 'consWrap'>

/**
 * Entries issued and not yet consumed. IHI 0070 3.5.1: a queue is empty when
 * PROD and CONS have equal index and wrap, full when the indices are equal and
 * the wrap bits differ; in between the count is PROD - CONS modulo twice the size.
 */
export function pendingCount(q: Pointers): number {
  const size = 2 ** q.log2size
  return (q.prodWrap !== q.consWrap ? size : 0) + q.prodIndex - q.consIndex
}

/** Whether ring slot `index` lies in [CONS, PROD). */
export function isPending(q: Pointers, index: number): boolean {
  const size = 2 ** q.log2size
  return (index - q.consIndex + size) % size < pendingCount(q)
}

export interface RingSlot {
  readonly index: number
  readonly path: string
  readonly pending: boolean
}

export interface RingMarker {
  readonly label: 'PROD' | 'CONS'
  readonly x1: number
  readonly y1: number
  readonly x2: number
  readonly y2: number
  readonly lx: number
  readonly ly: number
}

export interface RingGeometry {
  readonly size: number
  readonly pending: number
  /** One arc per slot when the ring is small enough to show slots; else empty. */
  readonly slots: readonly RingSlot[]
  /** The whole ring (background) and the pending span, when slots are not drawn. */
  readonly track: string
  readonly pendingPath: string
  readonly markers: readonly RingMarker[]
}

/** Rings with more slots than this are drawn as a track with the pending span on it. */
export const MAX_SLOTS = 64

interface Span {
  readonly a0: number
  readonly a1: number
}

export function ringGeometry(q: Pointers, radius: number, thickness: number): RingGeometry {
  const size = 2 ** q.log2size
  const angle = scaleLinear().domain([0, size]).range([0, 2 * Math.PI])
  const r0 = radius - thickness
  const gen = arc<Span>()
    .innerRadius(r0)
    .outerRadius(radius)
    .startAngle((d) => d.a0)
    .endAngle((d) => d.a1)
  const pending = pendingCount(q)
  const slots: RingSlot[] = []
  if (size <= MAX_SLOTS) {
    const pad = Math.min(0.04, Math.PI / size / 4)
    for (let i = 0; i < size; i++) {
      slots.push({
        index: i,
        path: gen({ a0: angle(i) + pad, a1: angle(i + 1) - pad }) ?? '',
        pending: isPending(q, i),
      })
    }
  }
  const marker = (label: 'PROD' | 'CONS', index: number, outside: boolean): RingMarker => {
    const a = angle(index)
    const sin = Math.sin(a)
    const cos = -Math.cos(a)
    const labelR = outside ? radius + 12 : r0 - 12
    return {
      label,
      x1: (r0 - 3) * sin,
      y1: (r0 - 3) * cos,
      x2: (radius + 3) * sin,
      y2: (radius + 3) * cos,
      lx: labelR * sin,
      ly: labelR * cos,
    }
  }
  return {
    size,
    pending,
    slots,
    track: gen({ a0: 0, a1: 2 * Math.PI }) ?? '',
    pendingPath: pending > 0 ? (gen({ a0: angle(q.consIndex), a1: angle(q.consIndex + pending) }) ?? '') : '',
    // PROD outside the ring and CONS inside, so the labels never collide when the queue is empty.
    markers: [marker('PROD', q.prodIndex, true), marker('CONS', q.consIndex, false)],
  }
}
