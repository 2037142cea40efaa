/**
 * One benchmark figure beside what it is measured against, and the small
 * statistics every benchmark shares. A row's `ratio` always points the same
 * way: above 1 is worse than the limit (slower, bigger, later), so one
 * comparison, `ratio <= target`, decides `pass` for every kind of figure.
 */

export interface Row {
  readonly name: string
  readonly value: number
  readonly unit: string
  /** What the value is measured against: a reference measured in the same run, or a budget. */
  readonly limit: number | null
  readonly limitUnit?: string
  /** How many times worse than the limit (1 = at the limit). */
  readonly ratio: number | null
  /** Largest ratio that passes; null when the row is reported without a target. */
  readonly target: number | null
  readonly pass: boolean | null
  readonly note?: string
}

/** A figure with a target: pass is ratio ≤ target. */
export function row(r: Omit<Row, 'pass' | 'ratio' | 'target' | 'limit'> & { limit?: number | null; ratio?: number | null; target?: number | null }): Row {
  const limit = r.limit ?? null
  const ratio = r.ratio ?? null
  const target = r.target ?? null
  return { ...r, limit, ratio, target, pass: target !== null && ratio !== null ? ratio <= target : null }
}

/** A value against an absolute budget (ms, bytes): ratio = value / budget, target 1. */
export function budget(name: string, value: number, unit: string, limit: number, note?: string): Row {
  return row({ name, value, unit, limit, ratio: value / limit, target: 1, note })
}

export function median(xs: readonly number[]): number {
  return quantile(xs, 0.5)
}

/** Nearest-rank quantile (p95: the value 95% of samples do not exceed). */
export function quantile(xs: readonly number[], q: number): number {
  if (xs.length === 0) return NaN
  const s = [...xs].sort((a, b) => a - b)
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil(q * s.length) - 1))]
}

/** A seeded generator (xorshift32) so every run visits the same "random" positions. */
export function xorshift(seed: number): () => number {
  let x = seed >>> 0 || 1
  return () => {
    x ^= x << 13
    x >>>= 0
    x ^= x >>> 17
    x ^= x << 5
    x >>>= 0
    return x / 0x1_0000_0000
  }
}

function fmtNum(v: number): string {
  const a = Math.abs(v)
  if (a >= 1e6) return `${(v / 1e6).toFixed(2)} M`
  if (a >= 1e4) return `${(v / 1e3).toFixed(1)} k`
  if (a >= 100) return v.toFixed(0)
  if (a >= 10) return v.toFixed(1)
  return v.toFixed(2)
}

export function fmtValue(v: number, unit: string): string {
  if (Number.isNaN(v)) return 'not measured'
  if (unit === 'bytes') return v >= 2 ** 20 ? `${(v / 2 ** 20).toFixed(1)} MiB` : `${(v / 1024).toFixed(1)} KiB`
  return `${fmtNum(v)} ${unit}`
}

/** The table `npm run bench` prints: one line per row, columns aligned. */
export function table(rows: readonly Row[]): string {
  const lines = [
    ['benchmark', 'value', 'limit', 'ratio', 'target', 'ok'],
    ...rows.map((r) => [
      r.name,
      fmtValue(r.value, r.unit),
      r.limit !== null ? fmtValue(r.limit, r.limitUnit ?? r.unit) : '',
      r.ratio !== null && !Number.isNaN(r.ratio) ? `${r.ratio.toFixed(2)}x` : '',
      r.target !== null ? `<= ${r.target}x` : '',
      r.pass === null ? '' : r.pass ? 'yes' : 'NO',
    ]),
  ]
  const widths = lines[0].map((_, c) => Math.max(...lines.map((l) => l[c].length)))
  return lines.map((l) => l.map((cell, c) => cell.padEnd(widths[c])).join('  ').trimEnd()).join('\n')
}
