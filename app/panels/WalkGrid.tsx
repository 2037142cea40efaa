import { useMemo, useRef } from 'react'
import type { WalkCell, WalkView } from '../../engine/api-types'
import { exportPng, exportSvg } from '../components/export-image'
import { useRelated } from '../components/useRelated'
import { walkGeometry } from '../components/walk-geometry'
import { useApp } from '../store/context'
import { useSel } from '../store/selection-slice'

function cellText(c: WalkCell): string {
  return `stage ${c.stage} level ${c.level} descriptor at ${c.address} = ${c.raw} (${c.type})${c.fault ? ', faulted' : ''}${c.future ? ', not read yet' : ''}`
}

function Grid({ w }: { w: WalkView }) {
  const g = useMemo(() => walkGeometry(w), [w])
  const inspect = useSel((s) => s.inspect)
  const inspecting = useSel((s) => s.inspecting)
  const related = useRelated()
  const svgRef = useRef<SVGSVGElement>(null)
  const name = `walk-${w.device}-${w.iova}`
  const label = `Walk grid for ${w.device} IOVA ${w.iova}: ${g.cells.length} descriptor reads`
  return (
    <>
      <div className="export">
        <button type="button" onClick={() => svgRef.current && exportSvg(svgRef.current, name)}>
          Export SVG
        </button>
        <button type="button" onClick={() => void (svgRef.current && exportPng(svgRef.current, name))}>
          Export PNG
        </button>
      </div>
      <svg ref={svgRef} className="walkgrid" width={g.width} height={g.height} viewBox={`0 0 ${g.width} ${g.height}`} role="group" aria-label={label}>
        <title>{label}</title>
        {g.heads.map((h) => (
          <text key={h.text} className="whead" x={h.x} y={14} textAnchor="middle">
            {h.text}
          </text>
        ))}
        {g.rowLabels.map((r, i) => (
          <text key={i} className="wrowlabel" x={4} y={r.y} dominantBaseline="middle">
            {r.text}
          </text>
        ))}
        {g.links.map((l, i) => (
          <line key={i} className="wlink" x1={l.x1} y1={l.y1} x2={l.x2} y2={l.y2} />
        ))}
        {g.cells.map((p) => {
          const c = p.cell
          const sel = inspecting?.kind === 'descriptor' && inspecting.record === c.record
          const rel = related.addresses.includes(c.address)
          const cls = ['wcell', `s${c.stage}`, c.type, c.fault ? 'fault' : '', c.future ? 'future' : '', sel ? 'selected' : '', rel ? 'related' : ''].filter(Boolean).join(' ')
          const open = () => void inspect({ kind: 'descriptor', record: c.record })
          return (
            <g
              key={c.record}
              className={cls}
              role="button"
              tabIndex={0}
              aria-label={cellText(c)}
              aria-pressed={sel}
              data-testid={`walk-cell-s${c.stage}-l${c.level}`}
              transform={`translate(${p.x},${p.y})`}
              onClick={open}
              onKeyDown={(e) => {
                if (e.key === 'Enter' || e.key === ' ') {
                  e.preventDefault()
                  open()
                }
              }}
            >
              <title>{cellText(c)}</title>
              <rect width={p.w} height={p.h} rx={4} />
              <text x={6} y={15} className="wlabel">
                {p.label} · {c.type}
                {c.fault ? ' ✖' : ''}
              </text>
              <text x={6} y={31} className="waddr">
                {c.address}
              </text>
              <text x={6} y={46} className="wraw">
                {c.raw}
              </text>
            </g>
          )
        })}
      </svg>
    </>
  )
}

/** The walk of the DMA at or before the cursor: every descriptor read a cell, hits and faults marked. */
export function WalkGrid() {
  const w = useSel((s) => s.smmu?.walk)
  const setCursor = useApp((s) => s.setCursor)
  const setWalkAt = useSel((s) => s.setWalkAt)
  const select = useSel((s) => s.select)
  const inspect = useSel((s) => s.inspect)
  const selection = useSel((s) => s.selection)
  const related = useRelated()
  // Jumping to another DMA moves the cursor past its span: the whole walk is then visible.
  const goDma = (end: number | undefined) => {
    if (end === undefined) return
    void setWalkAt(null)
    void setCursor(end)
  }
  const ioSelected = selection?.kind === 'iova' && w !== undefined && w !== null && selection.iova === w.iova && selection.sid === w.sid
  return (
    <section className="panel walk" aria-labelledby="walk-h">
      <h2 id="walk-h">Translation walk</h2>
      {w === undefined ? (
        <p className="empty">Loading…</p>
      ) : w === null ? (
        <p className="empty">No DMA at or before the cursor.</p>
      ) : (
        <div className="scroll">
          <div className="walkhead">
            <button type="button" disabled={w.prev === undefined} onClick={() => goDma(w.prevEnd)} aria-label="Previous DMA">
              ◂ DMA
            </button>
            <button type="button" disabled={w.next === undefined} onClick={() => goDma(w.nextEnd)} aria-label="Next DMA">
              DMA ▸
            </button>
            <span className="mono">
              {w.device} SID {w.sid}
              {w.ssid !== undefined ? ` SSID ${w.ssid}` : ''} {w.access} IOVA{' '}
            </span>
            <button type="button" className={`link mono iova${ioSelected || related.iovas.includes(w.iova) ? ' related' : ''}`} aria-pressed={ioSelected} onClick={() => void select({ kind: 'iova', iova: w.iova, sid: w.sid })} data-testid="walk-iova">
              {w.iova}
            </button>
            <span className={`mono result ${w.result}`}>
              → {w.result}
              {w.pa !== undefined ? ` PA ${w.pa}` : ''}
            </span>
            {w.config !== undefined && <span className="sub">Config={w.config}</span>}
            <span className="sub">{w.reason}</span>
          </div>
          {w.tlbHit && (
            <p className="tlbhit">
              <button type="button" className="link" onClick={() => void inspect({ kind: 'tlb', seq: w.tlbHit?.seq ?? 0 })}>
                IOTLB hit
              </button>{' '}
              entry {w.tlbHit.seq} → PA {w.tlbHit.pa} (2^{w.tlbHit.sizeBits}): no descriptor was read.
            </p>
          )}
          {w.rows.length > 0 ? <Grid w={w} /> : !w.tlbHit && <p className="empty">No descriptor reads: the transaction did not walk.</p>}
          {w.event && (
            <p className="walkevent">
              <span className="mono err">{w.event.type}</span>
              {w.event.stage !== undefined ? ` stage ${w.event.stage}` : ''} · addr2 {w.event.addr2} · record {w.event.record}{' '}
              <span className="mono muted">{w.event.raw.join(' ')}</span>
            </p>
          )}
        </div>
      )}
    </section>
  )
}
