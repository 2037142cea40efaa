import { useState } from 'react'
import type { FieldRow, InspectView } from '../../engine/api-types'
import { useSel } from '../store/selection-slice'

const bitsText = (f: FieldRow) => (f.word < 0 ? '' : `w${f.word}${f.hi === f.lo ? `[${f.lo}]` : `[${f.hi}:${f.lo}]`}`)
const explain = (f: FieldRow) => `${f.name} ${bitsText(f)} = ${f.display}${f.display !== f.value ? ` (${f.value})` : ''}: ${f.desc || 'no description'} — ${f.ref}`

/** One word as a strip of its fields, most significant bit first; hovering or focusing a field explains it. */
function WordStrip({ v, word, onExplain }: { v: InspectView; word: number; onExplain: (f: FieldRow) => void }) {
  const fields = v.fields.filter((f) => f.word === word).sort((a, b) => b.lo - a.lo)
  const width = v.wordBits
  return (
    <div className="bitstrip" role="group" aria-label={`word ${word} fields`}>
      {fields.map((f) => {
        const zero = /^0x0*$/.test(f.value)
        return (
          <button
            key={f.name}
            type="button"
            className={`seg${zero ? ' zero' : ''}`}
            style={{ flexGrow: f.hi - f.lo + 1, flexBasis: 0, minWidth: `${(100 * 0.6) / width}%` }}
            aria-label={explain(f)}
            onMouseEnter={() => onExplain(f)}
            onFocus={() => onExplain(f)}
          >
            {f.name}
          </button>
        )
      })}
    </div>
  )
}

/** Whatever is selected, field by field: bits, value, meaning and specification section, and its raw words. */
export function Inspector() {
  const hostCmd = useSel((s) => (s.hostCommand !== null ? s.hyp?.hostCommand : undefined))
  const smmuInspect = useSel((s) => s.smmu?.inspect)
  const inspecting = useSel((s) => s.inspecting)
  const hostCommand = useSel((s) => s.hostCommand)
  // A host CMDQ slot (pKVM) is inspected through the hypervisor's view; everything else through the SMMU's.
  const v = hostCmd ?? smmuInspect
  const target = hostCommand !== null ? hostCommand : inspecting
  const [explained, setExplained] = useState<FieldRow | null>(null)
  return (
    <section className="panel inspector" aria-labelledby="insp-h">
      <h2 id="insp-h">
        Inspector {v && <span className="sub">{v.title}</span>}
      </h2>
      <div className="scroll" role="region" tabIndex={0} aria-label="Inspected structure">
        {target === null || v === undefined ? (
          <p className="empty">Select an STE, CD, descriptor, TLB entry or command to see its fields.</p>
        ) : v.error !== undefined ? (
          <p className="empty err">
            {v.title}: {v.error}
            {v.raw.length > 0 && <span className="mono"> {v.raw.join(' ')}</span>}
          </p>
        ) : (
          <div className="insp">
            <p className="insp-head">
              <strong>{v.layout}</strong> <span className="ref">{v.ref}</span>
              {v.address !== undefined && <span className="mono"> @ {v.address}</span>}
            </p>
            {v.notes.map((n, i) => (
              <p key={i} className="note">
                {n}
              </p>
            ))}
            {v.raw.map((w, i) => (
              <div key={i} className="insp-word">
                <span className="mono rawline">
                  w{i} {w}
                  {!v.fields.some((f) => f.word === i) && <span className="sub"> no fields modelled (RES0)</span>}
                </span>
                {v.fields.some((f) => f.word === i) && <WordStrip v={v} word={i} onExplain={setExplained} />}
              </div>
            ))}
            <p className="explain" aria-live="polite" data-testid="inspector-explain">
              {explained ? explain(explained) : 'Hover or focus a field to see what it means.'}
            </p>
            <table className="fields">
              <caption className="sr-only">{v.title} fields</caption>
              <thead>
                <tr>
                  <th scope="col">Field, bits</th>
                  <th scope="col">Value</th>
                  <th scope="col">Meaning</th>
                </tr>
              </thead>
              <tbody>
                {v.fields.map((f) => (
                  <tr key={`${f.word}.${f.name}`} className={/^0x0*$/.test(f.value) ? 'zero' : undefined} onMouseEnter={() => setExplained(f)}>
                    <th scope="row" className="mono" title={explain(f)}>
                      {f.name}
                      <span className="bits">{bitsText(f)}</span>
                    </th>
                    <td className="mono" data-field={f.name}>
                      {f.display}
                    </td>
                    <td>
                      {f.desc} <span className="ref">{f.ref}</span>
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </div>
    </section>
  )
}
