import type { JRecord } from './journal'

/**
 * Stepping over the journal as a debugger steps over code.
 *
 * Cursor c means records [0, c) are applied; record c is the next one (the
 * "current line"). The journal is a pre-order walk of nested spans: a span's
 * `end` is the first record after it, and a record's parent is the innermost
 * span that contains it. Into / over / out follow that nesting; a
 * granularity keeps only the records worth stopping at (scenario ops, driver
 * actions, commands, walk reads) and steps between those.
 */

export type StepKind = 'into' | 'over' | 'out'
export type StepDirection = 'forward' | 'backward'
/**
 * Where a step may stop: every record, a scenario op, a driver action or
 * trapped access (depth ≤ 1), a command (issued, judged or consumed), one
 * descriptor read of a table walk.
 */
export type Granularity = 'record' | 'op' | 'action' | 'command' | 'walk'

const COMMAND_KINDS: ReadonlySet<string> = new Set(['cmd.issue', 'hyp.cmd', 'cmd.consume'])

/** Whether a step of this granularity may stop before `rec`. */
export function stopsAt(g: Granularity, rec: JRecord): boolean {
  switch (g) {
    case 'record':
      return true
    case 'op':
      return rec.kind === 'op'
    case 'action':
      return rec.depth <= 1
    case 'command':
      return COMMAND_KINDS.has(rec.kind)
    case 'walk':
      return rec.kind === 'ptw.read'
  }
}

/** Parents of every record of a finished journal, computed once. */
export class JournalIndex {
  /** parent[i]: the innermost span containing record i, or -1 at depth 0. */
  private readonly parent: Int32Array

  constructor(readonly records: readonly JRecord[]) {
    this.parent = new Int32Array(records.length)
    const open: number[] = []
    for (let i = 0; i < records.length; i++) {
      while (open.length && (records[open[open.length - 1]].end ?? 0) <= i) open.pop()
      this.parent[i] = open.length ? open[open.length - 1] : -1
      const end = records[i].end
      if (end !== undefined && end > i + 1) open.push(i)
    }
  }

  get length(): number {
    return this.records.length
  }

  parentOf(i: number): number {
    return this.parent[i]
  }

  /** Depth of the next record, or 0 at the end (nothing left is nested). */
  depthAt(c: number): number {
    return c < this.records.length ? this.records[c].depth : 0
  }

  /** First i in [from, n) that `ok` accepts, else n. */
  private nextWhere(from: number, ok: (rec: JRecord) => boolean): number {
    const recs = this.records
    for (let i = Math.max(0, from); i < recs.length; i++) if (ok(recs[i])) return i
    return recs.length
  }

  /** Last i in [0, from] that `ok` accepts, else 0. */
  private prevWhere(from: number, ok: (rec: JRecord) => boolean): number {
    for (let i = Math.min(from, this.records.length - 1); i >= 0; i--) if (ok(this.records[i])) return i
    return 0
  }

  /** The cursor a step lands on (always within [0, records]). */
  step(cursor: number, kind: StepKind, direction: StepDirection, g: Granularity = 'record'): number {
    const n = this.records.length
    const c = Math.max(0, Math.min(n, Math.trunc(cursor)))
    const stop = (rec: JRecord) => stopsAt(g, rec)
    const d = this.depthAt(c)
    if (direction === 'forward') {
      if (c >= n) return n
      switch (kind) {
        case 'into':
          return this.nextWhere(c + 1, stop)
        case 'over': {
          // Apply the next record and, if it opens a span, the whole span; then the next stop no deeper.
          const after = Math.max(c + 1, this.records[c].end ?? c + 1)
          return this.nextWhere(after, (r) => r.depth <= d && stop(r))
        }
        case 'out': {
          if (d === 0) return n
          const p = this.parent[c]
          const pd = this.records[p].depth
          return this.nextWhere(this.records[p].end ?? n, (r) => r.depth <= pd && stop(r))
        }
      }
    }
    if (c <= 0) return 0
    switch (kind) {
      case 'into':
        return this.prevWhere(c - 1, stop)
      case 'over':
        // Back to the start of the previous record at the same or a shallower depth.
        return this.prevWhere(c - 1, (r) => r.depth <= d && stop(r))
      case 'out': {
        if (d === 0) return 0
        // Back to the start of the span that holds the next record.
        const p = c < n ? this.parent[c] : -1
        if (p < 0) return 0
        const pd = this.records[p].depth
        return this.prevWhere(p, (r) => r.depth <= pd && stop(r))
      }
    }
  }
}
