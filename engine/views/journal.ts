import type { JournalRow } from '../api-types'
import type { JRecord } from '../journal/journal'
import { toTraceRecord, traceText } from '../trace/format'

/** Rows [from, to) of the journal (at most 2000 per call), as the CLI prints them plus span extents. */
export function journalRows(records: readonly JRecord[], from: number, to: number): JournalRow[] {
  const rows: JournalRow[] = []
  const a = Math.max(0, Math.trunc(from))
  const b = Math.min(records.length, Math.trunc(to), a + 2000)
  for (let i = a; i < b; i++) {
    const rec = records[i]
    const t = toTraceRecord(rec, i)
    const fields: Record<string, unknown> = {}
    for (const [k, v] of Object.entries(t)) if (k !== 'i' && k !== 'depth' && k !== 'actor' && k !== 'kind') fields[k] = v
    rows.push({ i, depth: rec.depth, actor: rec.actor, kind: rec.kind, text: traceText(rec), end: rec.end, fields })
  }
  return rows
}
