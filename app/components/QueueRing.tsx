import { memo, useMemo, type Ref } from 'react'
import type { QueueView } from '../../engine/api-types'
import { ringGeometry } from './ring-geometry'

const R = 46
const T = 13
const BOX = 2 * (R + 26)

/** The queue as a ring of slots with PROD and CONS marked; pending slots filled. `ref` reaches the SVG (export). */
export const QueueRing = memo(function QueueRing({ queue, active, ref }: { queue: QueueView; active?: number; ref?: Ref<SVGSVGElement> }) {
  // The ring depends on the pointers alone: a step that changes entries but not PROD or CONS draws it from the same geometry.
  const { log2size, prodIndex, consIndex, prodWrap, consWrap } = queue
  const g = useMemo(() => ringGeometry({ log2size, prodIndex, consIndex, prodWrap, consWrap }, R, T), [log2size, prodIndex, consIndex, prodWrap, consWrap])
  // Up to 256 slot paths: the same elements while the pointers stand still (React then compares none of them).
  const slots = useMemo(
    () =>
      g.slots.length > 0 ? (
        g.slots.map((s) => <path key={s.index} d={s.path} className={s.pending ? 'slot pending' : 'slot'} />)
      ) : (
        <>
          <path d={g.track} className="slot" />
          {g.pendingPath !== '' && <path d={g.pendingPath} className="slot pending" />}
        </>
      ),
    [g],
  )
  const label =
    `${queue.name} ring: ${g.size} slots, ${g.pending} pending, ` +
    `PROD index ${queue.prodIndex} wrap ${queue.prodWrap}, CONS index ${queue.consIndex} wrap ${queue.consWrap}` +
    (active !== undefined ? `, entry ${active} at the cursor` : '')
  // The entry the cursor is at (being copied, judged or consumed): a dot on the ring at its slot.
  const a = active === undefined ? 0 : (2 * Math.PI * (active + 0.5)) / g.size
  const dot = { x: (R - T / 2) * Math.sin(a), y: -(R - T / 2) * Math.cos(a) }
  return (
    <svg
      ref={ref}
      className="ring"
      role="img"
      aria-label={label}
      width={BOX}
      height={BOX}
      viewBox={`${-BOX / 2} ${-BOX / 2} ${BOX} ${BOX}`}
    >
      <title>{label}</title>
      {slots}
      {g.markers.map((m) => (
        <g key={m.label} className={`marker ${m.label.toLowerCase()}`}>
          <line x1={m.x1} y1={m.y1} x2={m.x2} y2={m.y2} />
          <text x={m.lx} y={m.ly} textAnchor="middle" dominantBaseline="middle">
            {m.label}
          </text>
        </g>
      ))}
      {active !== undefined && <circle className="ring-active" cx={dot.x} cy={dot.y} r={5} />}
      <text className="ring-count" textAnchor="middle" dominantBaseline="middle">
        {g.pending}/{g.size}
      </text>
    </svg>
  )
})
