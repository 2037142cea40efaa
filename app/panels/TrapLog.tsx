import { Pager } from '../components/Pager'
import { useApp } from '../store/context'
import { useSel } from '../store/selection-slice'
import { TRAP_PAGE } from '../store/view-fetch'

/**
 * The MMIO trap log (DESIGN.md "The screen"): each host register access →
 * the hypervisor's decision (hyp.mmio verdict and reason) → the hypervisor's
 * own accesses to the hardware. The trap at the cursor is marked; a row's
 * record number moves the cursor there.
 */
export function TrapLog() {
  const log = useSel((s) => s.hyp?.traplog)
  const hyp = useSel((s) => s.hyp)
  const setFrom = useSel((s) => s.setTrapFrom)
  const trapFrom = useSel((s) => s.trapFrom)
  const setCursor = useApp((s) => s.setCursor)
  const cursor = useApp((s) => s.cursor)
  return (
    <section className="panel traplog" aria-labelledby="traps-h">
      <h2 id="traps-h">
        MMIO trap log{' '}
        {log && (
          <span className="sub">
            {log.total} trapped host accesses · emulation '{hyp?.emulation}'
          </span>
        )}
      </h2>
      {hyp === null ? (
        <p className="empty">No hypervisor on this platform: host register accesses go straight to the SMMU.</p>
      ) : log === undefined ? (
        <p className="empty">Loading…</p>
      ) : (
        <>
          <div className="toolbar">
            <Pager
              what="traps"
              earlier={log.from === 0 ? null : () => void setFrom(Math.max(0, log.from - TRAP_PAGE))}
              later={log.from + log.rows.length >= log.total ? null : () => void setFrom(log.from + TRAP_PAGE)}
              around={trapFrom === null ? null : () => void setFrom(null)}
            />
            <span className="sub">
              traps {log.total === 0 ? 0 : log.from + 1}–{log.from + log.rows.length} of {log.total}
            </span>
          </div>
          <div className="scroll" role="region" tabIndex={0} aria-label="Trapped accesses">
            <table className="traps">
              <caption className="sr-only">Host register accesses, the hypervisor's decisions and its hardware accesses</caption>
              <thead>
                <tr>
                  <th scope="col">Record</th>
                  <th scope="col">Host access</th>
                  <th scope="col">Hypervisor</th>
                  <th scope="col">Hardware accesses</th>
                </tr>
              </thead>
              <tbody>
                {log.rows.map((t) => (
                  <tr key={t.record} data-record={t.record} className={`${t.n === log.at ? 'current' : ''}${cursor > t.record && cursor < t.end ? ' inside' : ''}`}>
                    <td className="mono">
                      <button type="button" className="link" aria-label={`Go to record ${t.record}`} onClick={() => void setCursor(t.record)}>
                        {t.record}
                      </button>
                    </td>
                    <td className="mono">
                      {t.reg} {t.write ? '←' : '→'} {t.value}
                    </td>
                    <td>
                      <span className={`verdict v-${t.verdict}`}>{t.verdict}</span> <span className="why">{t.reason}</span>
                    </td>
                    <td className="mono hw">
                      {t.hw.length === 0 ? (
                        <span className="muted">none</span>
                      ) : (
                        t.hw.map((h) => (
                          <span key={h.record} className="hwacc">
                            {h.reg} {h.write ? '←' : '→'} {h.value}
                          </span>
                        ))
                      )}
                      {t.hwCount > t.hw.length && <span className="muted"> +{t.hwCount - t.hw.length} more</span>}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        </>
      )}
    </section>
  )
}
