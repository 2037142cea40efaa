import { memo, useLayoutEffect, useMemo, useRef, useState, type CSSProperties, type KeyboardEvent, type PointerEvent } from 'react'
import { useApp } from '../store/context'
import { useSel } from '../store/selection-slice'
import { lastAtOrBefore, stripGeometry, type StripGeometry } from './timeline-geometry'

const H = 26

/** Segments and marks: drawn again only when the run or the width changes, not on every step. */
const StripShapes = memo(function StripShapes({ g }: { g: StripGeometry }) {
  return (
    <>
      {g.segments.map((s) => (
        <rect key={`${s.depth}-${s.i}`} className={`tseg d${s.depth} actor-${s.actor}`} x={s.x} y={s.depth === 0 ? 3 : 13} width={s.w} height={s.depth === 0 ? 8 : 10}>
          <title>{s.text}</title>
        </rect>
      ))}
      {g.marks.map((m) => (
        <line key={`${m.kind}${m.i}`} className={`tmark ${m.kind}`} x1={m.x} x2={m.x} y1={1} y2={H - 1}>
          <title>{m.text}</title>
        </line>
      ))}
    </>
  )
})

/**
 * The cursor over the strip: an element over the whole strip whose
 * background is a 2 px line (a gradient with hard stops at --x), so a step
 * repaints one background and nothing else. Chromium lays out all its
 * compositor layers again (about 1 ms a frame here, measured) when a
 * painted area changes its bounds or a transform moves, and it did at every
 * step the line moved while the line was an element of its own moved by a
 * transform (or a small background moved by background-position, whose
 * painted area is the tile); this background fills the strip wherever the
 * line is. The line moves by whole pixels, as the strip is binned per pixel
 * column.
 */
function StripCursor({ x }: { x: number }) {
  return <div className="tcursor" aria-hidden="true" style={{ '--x': `${Math.round(x) - 1}px` } as CSSProperties} />
}

/**
 * The journal as a scrubbable strip: scenario ops (top lane) and the spans
 * inside them (bottom lane) as segments coloured by actor, events / failed expectations / rejected commands as marks, the
 * cursor as a line. A slider for the keyboard: arrows step one record,
 * PageUp/PageDown jump between segments, Home/End to the ends.
 */
export const Timeline = memo(function Timeline() {
  const t = useSel((s) => s.timeline)
  const cursor = useApp((s) => s.cursor)
  const records = useApp((s) => s.records)
  const setCursor = useApp((s) => s.setCursor)
  const ref = useRef<SVGSVGElement>(null)
  const [width, setWidth] = useState(300)
  const dragging = useRef(false)

  useLayoutEffect(() => {
    const el = ref.current
    if (el === null) return
    const ro = new ResizeObserver(() => {
      setWidth(el.clientWidth || 300)
    })
    ro.observe(el)
    setWidth(el.clientWidth || 300)
    return () => {
      ro.disconnect()
    }
  }, [])

  const g = useMemo(() => (t ? stripGeometry(t, width) : null), [t, width])
  // The scenario ops (top lane) in record order: the one the cursor is in is found by bisection at every step.
  const ops = useMemo(() => t?.segments.filter((s) => s.depth === 0) ?? [], [t])
  if (t === null || g === null)
    return (
      <div className="timeline-wrap">
        <svg ref={ref} className="timeline" height={H} aria-hidden="true" />
      </div>
    )

  const seek = (e: PointerEvent<SVGSVGElement>) => {
    const box = e.currentTarget.getBoundingClientRect()
    void setCursor(g.cursorAt(e.clientX - box.left))
  }
  const opAt = (c: number) => {
    const k = lastAtOrBefore(ops, c)
    return k < 0 ? undefined : ops[k]
  }
  const onKey = (e: KeyboardEvent<SVGSVGElement>) => {
    let next: number | undefined
    if (e.key === 'ArrowRight' || e.key === 'ArrowUp') next = cursor + 1
    else if (e.key === 'ArrowLeft' || e.key === 'ArrowDown') next = cursor - 1
    // The start of the next op, or of the one before the cursor (the start of its own op counts once the cursor is past it).
    else if (e.key === 'PageDown') next = ops[lastAtOrBefore(ops, cursor) + 1]?.i ?? records
    else if (e.key === 'PageUp') next = opAt(cursor - 1)?.i ?? 0
    else if (e.key === 'Home') next = 0
    else if (e.key === 'End') next = records
    if (next === undefined) return
    e.preventDefault()
    e.stopPropagation()
    void setCursor(next)
  }
  const here = opAt(cursor)
  return (
    <div className="timeline-wrap">
      <svg
        ref={ref}
        className="timeline"
        height={H}
        role="slider"
        tabIndex={0}
        aria-label="Timeline"
        aria-valuemin={0}
        aria-valuemax={records}
        aria-valuenow={cursor}
        aria-valuetext={`record ${cursor} of ${records}${here ? `, in ${here.text}` : ''}`}
        data-testid="timeline"
        onPointerDown={(e) => {
          dragging.current = true
          e.currentTarget.setPointerCapture(e.pointerId)
          seek(e)
        }}
        onPointerMove={(e) => {
          if (dragging.current) seek(e)
        }}
        onPointerUp={() => {
          dragging.current = false
        }}
        onKeyDown={onKey}
      >
        <StripShapes g={g} />
      </svg>
      <StripCursor x={g.xOf(cursor)} />
    </div>
  )
})
