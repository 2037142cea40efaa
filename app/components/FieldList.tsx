import type { FieldRow } from '../../engine/api-types'

function bits(f: FieldRow): string {
  return f.hi === f.lo ? `[${f.lo}]` : `[${f.hi}:${f.lo}]`
}

function isZero(hex: string): boolean {
  return /^(0x)?0*$/i.test(hex)
}

/** Non-zero fields inline as NAME=value; every field's bits, meaning and section on hover. */
export function FieldChips({ fields }: { fields: readonly FieldRow[] }) {
  const shown = fields.filter((f) => !isZero(f.value))
  return (
    <span className="chips">
      {shown.map((f) => (
        <span key={`${f.word}.${f.name}`} className="chip" title={`${f.name} w${f.word}${bits(f)} = ${f.value}: ${f.desc} (${f.ref})`}>
          {f.name}={f.display}
        </span>
      ))}
      {shown.length < fields.length && <span className="chip zero">{fields.length - shown.length} zero</span>}
    </span>
  )
}

/** Every field of a structure: word, bits, value, meaning, section. */
export function FieldTable({ fields, caption }: { fields: readonly FieldRow[]; caption: string }) {
  return (
    <table className="fields">
      <caption className="sr-only">{caption}</caption>
      <thead>
        <tr>
          <th scope="col">Field</th>
          <th scope="col">Bits</th>
          <th scope="col">Value</th>
          <th scope="col">Meaning</th>
        </tr>
      </thead>
      <tbody>
        {fields.map((f) => (
          <tr key={`${f.word}.${f.name}`}>
            <td className="mono">{f.name}</td>
            <td className="mono">
              w{f.word}
              {bits(f)}
            </td>
            <td className="mono">{f.display}</td>
            <td>
              {f.desc} <span className="ref">{f.ref}</span>
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  )
}
