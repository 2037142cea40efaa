/** Raw 64-bit (or 32-bit) words, word 0 first, each labelled with its index. */
export function RawWords({ raw, label }: { raw: readonly string[]; label: string }) {
  return (
    <span className="rawwords mono" aria-label={label}>
      {raw.map((w, i) => (
        <span key={i} className="rawword" title={`word ${i}`}>
          {w}
        </span>
      ))}
    </span>
  )
}
