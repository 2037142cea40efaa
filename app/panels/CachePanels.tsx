import type { CacheMark } from '../../engine/api-types'
import { useRelated } from '../components/useRelated'
import { useSel } from '../store/selection-slice'

const MARK_TEXT: Readonly<Record<CacheMark, string>> = {
  inserted: 'inserted',
  evicted: 'evicted',
  invalidated: 'invalidated',
  replaced: 'replaced',
  hit: 'hit',
}

function Mark({ mark }: { mark: CacheMark | undefined }) {
  return mark ? <span className={`badge mark-${mark}`}>{MARK_TEXT[mark]}</span> : null
}

const tag = (n: number) => (n < 0 ? '—' : String(n))

/** The IOTLB at the cursor, oldest first, with what the last step did to it. */
export function IotlbPanel() {
  const rows = useSel((s) => s.smmu?.iotlb)
  const select = useSel((s) => s.select)
  const inspecting = useSel((s) => s.inspecting)
  const related = useRelated()
  return (
    <section className="panel iotlb" aria-labelledby="iotlb-h">
      <h2 id="iotlb-h">
        IOTLB <span className="sub">{rows ? `${rows.filter((r) => r.present).length} entries` : ''}</span>
      </h2>
      {rows === undefined ? (
        <p className="empty">Loading…</p>
      ) : rows.length === 0 ? (
        <p className="empty">Empty.</p>
      ) : (
        <div className="scroll" role="region" tabIndex={0} aria-label="IOTLB entries">
          <table className="cache">
            <caption className="sr-only">IOTLB entries with their tags</caption>
            <thead>
              <tr>
                <th scope="col">#</th>
                <th scope="col" title="Address space identifier (CD.ASID); — for stage-2-only entries">ASID</th>
                <th scope="col" title="STE.S2VMID; — without stage 2">VMID</th>
                <th scope="col" title="1: stage 1, 2: stage 2, 12: nested combined">Stage</th>
                <th scope="col" title="Level of the leaf descriptor and granule">Lvl/TG</th>
                <th scope="col" title="Input address (IOVA, or IPA for stage 2) = ipn × 4096">IOVA/IPA</th>
                <th scope="col">Size</th>
                <th scope="col">PA</th>
                <th scope="col" title="Permission and parent (stage-2) permission">Perm</th>
              </tr>
            </thead>
            <tbody>
              {rows.map((r) => {
                const sel = inspecting?.kind === 'tlb' && inspecting.seq === r.seq
                const cls = [r.present ? '' : 'gone', r.mark ? `mark-${r.mark}` : '', sel ? 'selected' : '', related.tlb.includes(r.seq) ? 'related' : ''].filter(Boolean).join(' ')
                return (
                  <tr key={r.seq} className={cls} data-seq={r.seq}>
                    <td className="mono">
                      <button type="button" className="link" aria-pressed={sel} onClick={() => void select({ kind: 'tlb', seq: r.seq }, { kind: 'tlb', seq: r.seq })}>
                        {r.seq}
                      </button>
                      <Mark mark={r.mark} />
                    </td>
                    <td className="mono">{tag(r.asid)}</td>
                    <td className="mono">{tag(r.vmid)}</td>
                    <td className="mono">{r.stage}</td>
                    <td className="mono">
                      L{r.level} {r.granule}
                    </td>
                    <td className="mono">{r.input}</td>
                    <td className="mono">{r.size}</td>
                    <td className="mono">{r.pa}</td>
                    <td className="mono">
                      {r.perm}
                      {r.stage === 12 ? ` / ${r.parentPerm}` : ''}
                    </td>
                  </tr>
                )
              })}
            </tbody>
          </table>
        </div>
      )}
    </section>
  )
}

/** The configuration cache: decoded STE (+ CD) per (SID, SSID). */
export function CfgCachePanel() {
  const rows = useSel((s) => s.smmu?.cfgcache)
  const select = useSel((s) => s.select)
  const related = useRelated()
  return (
    <section className="panel cfgcache" aria-labelledby="cfgc-h">
      <h2 id="cfgc-h">Configuration cache</h2>
      {rows === undefined ? (
        <p className="empty">Loading…</p>
      ) : rows.length === 0 ? (
        <p className="empty">Empty.</p>
      ) : (
        <div className="scroll" role="region" tabIndex={0} aria-label="Configuration cache entries">
          <table className="cache">
            <caption className="sr-only">Cached configurations</caption>
            <thead>
              <tr>
                <th scope="col">SID</th>
                <th scope="col" title="SubstreamID; — for transactions without one (SSV=0)">SSID</th>
                <th scope="col">Config</th>
                <th scope="col">ASID</th>
                <th scope="col">VMID</th>
                <th scope="col">STE / CD</th>
                <th scope="col">Stages</th>
              </tr>
            </thead>
            <tbody>
              {rows.map((r) => {
                const key = `${r.sid}:${r.ssid}`
                const cls = [r.present ? '' : 'gone', r.mark ? `mark-${r.mark}` : '', related.cfg.includes(key) ? 'related' : ''].filter(Boolean).join(' ')
                return (
                  <tr key={key} className={cls}>
                    <td className="mono">
                      <button type="button" className="link" onClick={() => void select({ kind: 'sid', sid: r.sid }, { kind: 'ste', sid: r.sid })}>
                        {r.sid}
                      </button>
                      <Mark mark={r.mark} />
                    </td>
                    <td className="mono">{tag(r.ssid)}</td>
                    <td className="mono">{r.config}</td>
                    <td className="mono">{r.asid ?? '—'}</td>
                    <td className="mono">{r.vmid ?? '—'}</td>
                    <td className="mono">
                      {r.steAddr}
                      {r.cdAddr !== undefined ? ` / ${r.cdAddr}` : ''}
                    </td>
                    <td>{r.stages.join('; ')}</td>
                  </tr>
                )
              })}
            </tbody>
          </table>
        </div>
      )}
    </section>
  )
}
