import { RawWords } from '../components/RawWords'
import { useRelated } from '../components/useRelated'
import { CD_PAGE, useSel } from '../store/selection-slice'

const KEY = ['V', 'ASID', 'T0SZ', 'TG0', 'IPS', 'EPD0', 'TTB0', 'EPD1', 'TTB1', 'AA64', 'R']

/** The CD table of the selected STE, a page of CDs at a time, each decoded. */
export function CdPanel() {
  const cd = useSel((s) => s.smmu?.cd)
  const sid = useSel((s) => s.cdSid)
  const from = useSel((s) => s.cdFrom)
  const setCd = useSel((s) => s.setCd)
  const select = useSel((s) => s.select)
  const inspecting = useSel((s) => s.inspecting)
  const related = useRelated()
  return (
    <section className="panel cdpanel" aria-labelledby="cd-h">
      <h2 id="cd-h">
        CD table {sid !== null && <span className="sub">of STE {sid}</span>}
      </h2>
      {sid === null || cd === undefined ? (
        <p className="empty">Select an STE to see its CD table.</p>
      ) : cd.none !== undefined ? (
        <p className="empty">{cd.none}</p>
      ) : (
        <>
          <p className="strtab-head mono">
            S1ContextPtr {cd.ptr}
            {cd.ipa ? ' (IPA)' : ''} · S1Fmt {cd.fmt} · S1CDMax {cd.cdMax} ({cd.count} CDs)
            {cd.count > CD_PAGE && (
              <>
                {' '}
                <button type="button" disabled={from === 0} onClick={() => void setCd(sid, Math.max(0, from - CD_PAGE))}>
                  ◂ CDs
                </button>{' '}
                <button type="button" disabled={from + CD_PAGE >= cd.count} onClick={() => void setCd(sid, from + CD_PAGE)}>
                  CDs ▸
                </button>
              </>
            )}
          </p>
          <div className="scroll" role="region" tabIndex={0} aria-label="Context descriptors">
            <ul className="cdlist">
              {cd.rows.map((r) => {
                const sel = inspecting?.kind === 'cd' && inspecting.sid === sid && inspecting.ssid === r.ssid
                const rel = related.cds.includes(`${sid}:${r.ssid}`)
                return (
                  <li key={r.ssid}>
                    <button type="button" className={`cdrow${sel ? ' selected' : ''}${rel ? ' related' : ''}${r.error !== undefined ? ' bad' : ''}`} aria-pressed={sel} onClick={() => void select({ kind: 'sid', sid }, { kind: 'cd', sid, ssid: r.ssid })}>
                      <span className="mono sid">SSID {r.ssid}</span>
                      {r.error !== undefined ? (
                        <span className="err">{r.error}</span>
                      ) : (
                        <>
                          <span className="mono muted">
                            {r.address}
                            {r.pa !== r.address ? ` → PA ${r.pa ?? ''}` : ''}
                          </span>
                          {r.fields
                            .filter((f) => KEY.includes(f.name))
                            .map((f) => (
                              <span key={f.name} className="chip" title={`${f.name} w${f.word}[${f.hi}:${f.lo}]: ${f.desc} (${f.ref})`}>
                                {f.name}={f.display}
                              </span>
                            ))}
                          <RawWords raw={r.raw.slice(0, 3)} label={`CD ${r.ssid} raw words 0-2`} />
                        </>
                      )}
                    </button>
                  </li>
                )
              })}
            </ul>
          </div>
        </>
      )}
    </section>
  )
}
