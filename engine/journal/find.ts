import type { JRecord } from './journal'

/**
 * Searches and breakpoints over the journal (DESIGN.md "The journal":
 * "next F_* event", "next trap of CMDQ_PROD", "next write to STE 16", "next
 * command the hypervisor rejected"). A query's conditions all hold at once;
 * a breakpoint list stops at a record any one of them matches.
 */
export interface RecordQuery {
  /** Record kind, or any of several ("cmd.consume", ["cmd.issue", "hyp.cmd"]). */
  readonly kind?: string | readonly string[]
  readonly actor?: string
  /** A register by name: its accesses (`mmio`) and its value changes (`smmu.regs`). */
  readonly reg?: string
  /** StreamID: records carrying `sid` (STE, DMA, event, cache) or a command's SID field. */
  readonly sid?: number
  readonly opcode?: string
  /** Event type name (F_TRANSLATION, C_BAD_STE, ...): `event` records only. */
  readonly event?: string
  /** The hypervisor's verdict on a host command: copied, rejected, rewritten. */
  readonly verdict?: string
  /** Memory written in [from, to): any byte of a record's memory changes in the range. */
  readonly writes?: { readonly from: number; readonly to: number }
  /** An `expect` check that did not hold. */
  readonly failedExpect?: boolean
}

function writesInto(rec: JRecord, from: number, to: number): boolean {
  if (!rec.mem) return false
  for (const m of rec.mem) if (m.pa < to && m.pa + m.value.length > from) return true
  return false
}

/** Whether `rec` satisfies every condition of `q` (an empty query matches everything). */
export function matches(rec: JRecord, q: RecordQuery): boolean {
  if (q.kind !== undefined && (typeof q.kind === 'string' ? rec.kind !== q.kind : !q.kind.includes(rec.kind))) return false
  if (q.actor !== undefined && rec.actor !== q.actor) return false
  if (q.reg !== undefined && rec.reg !== q.reg && !(rec.map === 'smmu.regs' && rec.key === q.reg)) return false
  if (q.sid !== undefined && rec.sid !== q.sid && rec.SID !== q.sid) return false
  if (q.opcode !== undefined && rec.opcode !== q.opcode) return false
  if (q.event !== undefined && !(rec.kind === 'event' && rec.type === q.event)) return false
  if (q.verdict !== undefined && rec.verdict !== q.verdict) return false
  if (q.writes !== undefined && !writesInto(rec, q.writes.from, q.writes.to)) return false
  if (q.failedExpect === true && !(rec.kind === 'expect' && rec.ok === false)) return false
  return true
}

/**
 * The first record at or after `from` (forward), or at or before `from`
 * (backward), matching `q`; null when there is none.
 */
export function findRecord(records: readonly JRecord[], q: RecordQuery, from: number, direction: 'forward' | 'backward'): number | null {
  if (direction === 'forward') {
    for (let i = Math.max(0, Math.trunc(from)); i < records.length; i++) if (matches(records[i], q)) return i
  } else {
    for (let i = Math.min(Math.trunc(from), records.length - 1); i >= 0; i--) if (matches(records[i], q)) return i
  }
  return null
}

export interface RunToStop {
  /** Where the run stopped: before the matching record, or at an end of the journal. */
  readonly cursor: number
  /** Index in the breakpoint list of the one that stopped it; null at an end. */
  readonly breakpoint: number | null
}

/**
 * Continue (F8) from cursor `from`: run to the next record matching any
 * breakpoint and stop before it. As in a debugger, continuing always moves:
 * forwards the record at the cursor itself is not a stop (the run resumes
 * from it); backwards the nearest earlier match is. Without a match the run
 * reaches the end (forwards) or the start (backwards).
 */
export function runTo(records: readonly JRecord[], breakpoints: readonly RecordQuery[], from: number, direction: 'forward' | 'backward'): RunToStop {
  const n = records.length
  const c = Math.max(0, Math.min(n, Math.trunc(from)))
  const hit = (i: number): number => breakpoints.findIndex((q) => matches(records[i], q))
  if (direction === 'forward') {
    for (let i = c + 1; i < n; i++) {
      const b = hit(i)
      if (b >= 0) return { cursor: i, breakpoint: b }
    }
    return { cursor: n, breakpoint: null }
  }
  for (let i = c - 1; i >= 0; i--) {
    const b = hit(i)
    if (b >= 0) return { cursor: i, breakpoint: b }
  }
  return { cursor: 0, breakpoint: null }
}
