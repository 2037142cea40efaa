import type { TimelineMark, TimelineSegment, TimelineView } from '../api-types'
import type { JRecord } from '../journal/journal'
import { traceText } from '../trace/format'

/** Marks beyond this many are dropped (the first of each kind always stays). */
export const TIMELINE_MARKS_MAX = 2000

const cache = new WeakMap<readonly JRecord[], TimelineView>()

/** What deserves a mark on the strip, or null. */
function markOf(r: JRecord): TimelineMark['kind'] | null {
  if (r.kind === 'event') return 'event'
  if (r.kind === 'expect') return r.ok === false ? 'fail' : 'expect'
  if (r.kind === 'hyp.cmd' && r.verdict === 'rejected') return 'rejected'
  if (r.kind === 'hyp.warn') return 'warn'
  return null
}

/**
 * The journal as a strip (DESIGN.md "The screen": a scrubbable timeline):
 * the depth-0 spans (scenario ops, and the boot work before them) and the
 * spans inside them (host driver actions, hypervisor work, DMA) as segments, and the records worth finding again (events, expectations,
 * rejected commands, WARNs at EL2) as marks. Computed once per journal.
 */
export function timelineView(records: readonly JRecord[]): TimelineView {
  const hit = cache.get(records)
  if (hit) return hit
  const segments: TimelineSegment[] = []
  const marks: TimelineMark[] = []
  const seen = new Set<string>()
  let dropped = 0
  for (let i = 0; i < records.length; i++) {
    const r = records[i]
    if (r.depth <= 1 && (r.depth === 0 || r.end !== undefined)) segments.push({ i, end: r.end ?? i + 1, depth: r.depth === 0 ? 0 : 1, actor: r.actor, kind: r.kind, text: traceText(r) })
    const m = markOf(r)
    if (m === null) continue
    if (marks.length < TIMELINE_MARKS_MAX || !seen.has(m)) marks.push({ i, kind: m, text: traceText(r) })
    else dropped++
    seen.add(m)
  }
  const v: TimelineView = { records: records.length, segments, marks: dropped ? marks.sort((a, b) => a.i - b.i) : marks }
  cache.set(records, v)
  return v
}
