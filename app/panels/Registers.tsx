import { FieldChips, FieldTable } from '../components/FieldList'
import { useApp } from '../store/context'

function hexOffset(n: number): string {
  return `0x${n.toString(16).padStart(4, '0')}`
}

/** The SMMU register file at the cursor; registers the last record changed are marked. */
export function Registers() {
  const registers = useApp((s) => s.view?.registers)
  return (
    <section className="panel registers" aria-labelledby="regs-h">
      <h2 id="regs-h">Registers</h2>
      <div className="scroll" role="region" tabIndex={0} aria-label="Register values">
        {registers === undefined ? (
          <p className="empty">No register state.</p>
        ) : (
          <ul className="reglist">
            {registers.map((r) => (
              <li key={r.name} className={r.changed ? 'reg changed' : 'reg'} data-reg={r.name}>
                <details>
                  <summary>
                    <span className="rname mono">{r.name}</span>
                    <span className="roff mono">{hexOffset(r.offset)}</span>
                    <span className="rval mono" data-testid={`reg-${r.name}`}>
                      {r.value}
                    </span>
                    {r.changed && <span className="badge">changed</span>}
                    <FieldChips fields={r.fields} />
                  </summary>
                  <FieldTable fields={r.fields} caption={`${r.name} fields`} />
                </details>
              </li>
            ))}
          </ul>
        )}
      </div>
    </section>
  )
}
