import { useMemo } from 'react'
import type { QueueView } from '../../engine/api-types'
import { ringGeometry } from './ring-geometry'

const R = 46
const T = 13
const BOX = 2 * (R + 26)

/** The queue as a ring of slots with PROD and CONS marked; pending slots filled. */
export function QueueRing({ queue }: { queue: QueueView }) {
  const g = useMemo(() => ringGeometry(queue, R, T), [queue])
  const label =
    `${queue.name} ring: ${g.size} slots, ${g.pending} pending, ` +
    `PROD index ${queue.prodIndex} wrap ${queue.prodWrap}, CONS index ${queue.consIndex} wrap ${queue.consWrap}`
  return (
    <svg
      className="ring"
      role="img"
      aria-label={label}
      width={BOX}
      height={BOX}
      viewBox={`${-BOX / 2} ${-BOX / 2} ${BOX} ${BOX}`}
    >
      <title>{label}</title>
      {g.slots.length > 0 ? (
        g.slots.map((s) => <path key={s.index} d={s.path} className={s.pending ? 'slot pending' : 'slot'} />)
      ) : (
        <>
          <path d={g.track} className="slot" />
          {g.pendingPath !== '' && <path d={g.pendingPath} className="slot pending" />}
        </>
      )}
      {g.markers.map((m) => (
        <g key={m.label} className={`marker ${m.label.toLowerCase()}`}>
          <line x1={m.x1} y1={m.y1} x2={m.x2} y2={m.y2} />
          <text x={m.lx} y={m.ly} textAnchor="middle" dominantBaseline="middle">
            {m.label}
          </text>
        </g>
      ))}
      <text className="ring-count" textAnchor="middle" dominantBaseline="middle">
        {g.pending}/{g.size}
      </text>
    </svg>
  )
}
