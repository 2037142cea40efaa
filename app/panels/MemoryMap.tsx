import { scaleLinear } from 'd3'
import { useLayoutEffect, useMemo, useRef, useState, type PointerEvent } from 'react'
import type { OwnRun } from '../../engine/api-types'
import { useRelated } from '../components/useRelated'
import { useApp } from '../store/context'
import { useSel } from '../store/selection-slice'

const BAR = 22
const hexOf = (n: number) => '0x' + n.toString(16)

/** The colour class of an ownership run: who owns the pages and how they are shared. */
export function ownClass(r: Pick<OwnRun, 'host' | 'owner' | 'hyp'>): string {
  if (r.host === 'NOPAGE') return r.owner === 'hyp' ? 'own-hyp' : 'own-guest'
  if (r.host === 'SHARED_OWNED') return 'own-shared'
  if (r.host === 'SHARED_BORROWED') return 'own-borrowed'
  return 'own-host'
}

function ownText(r: OwnRun): string {
  if (r.host === 'NOPAGE') return `owned by ${r.owner} (host: no page)`
  if (r.host === 'SHARED_OWNED') return `host-owned, shared (hyp: ${r.hyp})`
  if (r.host === 'SHARED_BORROWED') return `borrowed by the host from ${r.owner}`
  return 'host-owned'
}

function parsePa(s: string): number | undefined {
  const t = s.trim().replace(/_/g, '')
  const n = /^0x[0-9a-f]+$/i.test(t) ? parseInt(t.slice(2), 16) : /^\d+$/.test(t) ? Number(t) : Number.NaN
  return Number.isFinite(n) ? n : undefined
}

/**
 * The physical memory map at the cursor (pKVM): ownership runs coloured by
 * owner and sharing state, the identity stage 2 beneath (page leaves, block
 * leaves, holes), drawn as runs so 8 GiB costs what has changed. Click or
 * pick a page to see who maps it and why.
 */
export function MemoryMap() {
  const hyp = useSel((s) => s.hyp)
  const mm = hyp?.memmap
  const page = hyp?.page
  const memPage = useSel((s) => s.memPage)
  const setPage = useSel((s) => s.setMemPage)
  const memRange = useSel((s) => s.memRange)
  const setRange = useSel((s) => s.setMemRange)
  const select = useSel((s) => s.select)
  const setCursor = useApp((s) => s.setCursor)
  const related = useRelated()
  const ref = useRef<SVGSVGElement>(null)
  const [width, setWidth] = useState(500)
  const [goto, setGoto] = useState('')

  useLayoutEffect(() => {
    const el = ref.current
    if (el === null) return
    const ro = new ResizeObserver(() => {
      setWidth(el.clientWidth || 500)
    })
    ro.observe(el)
    return () => {
      ro.disconnect()
    }
  }, [mm !== undefined])

  const geo = useMemo(() => {
    if (!mm) return null
    const from = Number(mm.from)
    const to = Number(mm.to)
    const x = scaleLinear().domain([from, Math.max(from + 1, to)]).range([0, width]).clamp(true)
    const rect = (base: string, pages: number) => {
      const a = Number(base)
      return { x: x(a), w: Math.max(1, x(a + pages * mm.pageSize) - x(a)) }
    }
    return { x, from, to, own: mm.own.map((r) => ({ r, ...rect(r.base, r.pages) })), id: (mm.idmap ?? []).map((r) => ({ r, ...rect(r.base, r.pages) })) }
  }, [mm, width])

  const pick = (pa: number) => {
    const p = hexOf(pa - (pa % (mm?.pageSize ?? 4096)))
    void setPage(p)
    void select({ kind: 'page', pa: p })
  }
  const onBar = (e: PointerEvent<SVGSVGElement>) => {
    if (!geo) return
    const box = e.currentTarget.getBoundingClientRect()
    pick(Math.floor(geo.x.invert(e.clientX - box.left)))
  }
  const zoom = (factor: number) => {
    if (!geo || !mm) return
    const centre = memPage !== null ? Number(memPage) : (geo.from + geo.to) / 2
    const span = Math.max(mm.pageSize * 16, Math.floor((geo.to - geo.from) / factor))
    const a = Math.max(0, Math.floor((centre - span / 2) / mm.pageSize) * mm.pageSize)
    void setRange({ from: hexOf(a), to: hexOf(a + span) })
  }

  if (hyp === null) return <p className="empty">No hypervisor on this platform: all RAM belongs to the host and no identity stage 2 exists.</p>
  if (!mm || !geo) return <p className="empty">Loading…</p>
  const mark = (pa: string, cls: string) => {
    const a = Number(pa)
    if (a < geo.from || a >= geo.to) return null
    const x0 = geo.x(a)
    return <rect key={`${cls}${pa}`} className={cls} x={x0 - 1} y={0} width={Math.max(3, geo.x(a + mm.pageSize) - x0 + 2)} height={2 * BAR + 18} />
  }
  return (
    <section className="panel memmap" aria-labelledby="mem-h">
      <h2 id="mem-h">
        Physical memory <span className="sub mono">{mm.from}–{mm.to} · {mm.pageSize / 1024}K pages{mm.idmapRoot ? ` · identity S2TTB ${mm.idmapRoot}` : ''}</span>
      </h2>
      <div className="toolbar">
        <form
          className="goto"
          onSubmit={(e) => {
            e.preventDefault()
            const pa = parsePa(goto)
            if (pa !== undefined) pick(pa)
          }}
        >
          <label>
            Page at PA{' '}
            <input className="mono" size={12} value={goto} onChange={(e) => setGoto(e.target.value)} />
          </label>
          <button type="submit">Show page</button>
        </form>
        <button type="button" onClick={() => zoom(16)}>
          Zoom in
        </button>
        <button type="button" onClick={() => zoom(1 / 16)}>
          Zoom out
        </button>
        <button type="button" disabled={memRange === null} onClick={() => void setRange(null)}>
          All RAM
        </button>
      </div>
      <div className="memlegend" aria-hidden="true">
        <span className="sw own-host" /> host <span className="sw own-shared" /> shared with hyp <span className="sw own-borrowed" /> borrowed <span className="sw own-hyp" /> hyp <span className="sw own-guest" /> guest <span className="sw id-page" /> idmap page <span className="sw id-block" /> idmap block <span className="sw id-none" /> not mapped
      </div>
      <svg ref={ref} className="membar" width="100%" height={2 * BAR + 18} role="img" aria-label={`Ownership and identity map from ${mm.from} to ${mm.to}: ${mm.own.length} ownership runs, ${mm.idmap?.length ?? 0} identity-map runs`} onPointerDown={onBar}>
        <text className="mlabel" x={2} y={10}>
          owner
        </text>
        {geo.own.map(({ r, x, w }) => (
          <rect key={r.base} className={`mrun ${ownClass(r)}`} x={x} y={12} width={w} height={BAR - 6}>
            <title>{`${r.base} +${r.pages} pages: ${ownText(r)}`}</title>
          </rect>
        ))}
        <text className="mlabel" x={2} y={BAR + 14}>
          identity stage 2
        </text>
        {geo.id.map(({ r, x, w }) => (
          <rect key={r.base} className={`mrun id-${r.kind}`} x={x} y={BAR + 16} width={w} height={BAR - 6}>
            <title>{`${r.base} +${r.pages} pages: ${r.kind === 'none' ? 'not mapped' : `${r.kind} leaves at level ${r.level ?? ''}`}`}</title>
          </rect>
        ))}
        {related.pages.map((p) => mark(p, 'mrelated'))}
        {memPage !== null && mark(memPage, 'mselected')}
      </svg>
      <div className="memlower">
        <div className="scroll" role="region" tabIndex={0} aria-label="Ownership runs">
          <table className="runs">
            <caption className="sr-only">Ownership runs</caption>
            <thead>
              <tr>
                <th scope="col">PA</th>
                <th scope="col">Pages</th>
                <th scope="col">Owner and state</th>
              </tr>
            </thead>
            <tbody>
              {mm.own.map((r) => (
                <tr key={r.base} data-base={r.base} className={ownClass(r)}>
                  <td className="mono">
                    <button type="button" className="link" aria-label={`Details of the run at ${r.base}`} onClick={() => pick(Number(r.base))}>
                      {r.base}
                    </button>
                  </td>
                  <td className="mono">{r.pages}</td>
                  <td>
                    <span className={`sw ${ownClass(r)}`} aria-hidden="true" /> {ownText(r)}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
        <div className="scroll pagedetail" role="region" tabIndex={0} aria-label="Selected page" data-testid="page-detail">
          {page === undefined ? (
            <p className="empty">Click the map or a run to see a page: who owns it, who maps it and why.</p>
          ) : (
            <>
              <p>
                <strong className="mono">page {page.pa}</strong>
                {!page.inRam && <span className="err"> (not RAM)</span>}
              </p>
              <p data-testid="page-owner">
                host {page.host}, owner {page.owner}; hyp {page.hyp}
                {page.pins > 0 && `; pinned ${page.pins}×`}
                {page.shareCount > 0 && `; shared with guests ${page.shareCount}×`}
              </p>
              {page.idmap && (
                <p data-testid="page-idmap">
                  Identity stage 2:{' '}
                  {page.idmap.ok ? (
                    <span className="ok">mapped by a {page.idmap.kind} at level {page.idmap.level}</span>
                  ) : (
                    <span className="err">not mapped ({page.idmap.fault})</span>
                  )}
                  <span className="mono sub"> {page.idmap.reads.map((r) => `L${r.level} ${r.address}=${r.raw}`).join(' → ')}</span>
                </p>
              )}
              <p>
                Host DMA mappings (io-pgtable):{' '}
                {page.hostMappings.length === 0
                  ? 'none'
                  : page.hostMappings.map((m) => (
                      <span key={`${m.domain}${m.iova}`} className="mono">
                        {m.domain} IOVA {m.iova} ({m.prot}){' '}
                      </span>
                    ))}
              </p>
              <p>Ownership changes up to the cursor:</p>
              {page.history.length === 0 ? (
                <p className="sub">none: the host has owned it since boot</p>
              ) : (
                <ol className="history">
                  {page.history.map((h) => (
                    <li key={h.record}>
                      <button type="button" className="link mono" aria-label={`Go to record ${h.record}`} onClick={() => void setCursor(h.record)}>
                        #{h.record}
                      </button>{' '}
                      {h.of}: {h.state} (owner {h.owner}) <span className="sub">— {h.why}</span>
                    </li>
                  ))}
                </ol>
              )}
            </>
          )}
        </div>
      </div>
    </section>
  )
}
