import type { HypActiveEntry, HypCmdMark, HypQueuesView, ShadowSlotSource } from '../api-types'
import type { JRecord } from '../journal/journal'
import type { ReplayState } from '../journal/replay'
import { queueView, queueWindow } from './queues'

/**
 * The host CMDQ and the shadow CMDQ side by side (pKVM "trap and emulate",
 * SPEC-FACTS B§8): on a trapped CMDQ_PROD write the hypervisor copies each
 * host entry between CONS and PROD into its own memory (`hyp.copy`), judges
 * the copy (`hyp.cmd` span: copied, rejected or rewritten) and appends what
 * passes to the shadow queue (`cmd.issue`, queue 'shadow', source 'host').
 * The journal alone says which host slot became which shadow slot.
 */

interface Judgement extends HypCmdMark {
  /** Journal index of the shadow cmd.issue that appended it (absent: rejected). */
  readonly issueRecord?: number
}

interface QueueIndex {
  /** Judgements in journal order. */
  readonly judged: readonly Judgement[]
  /** Per host slot: its judgements, in journal order. */
  readonly judgedBySlot: ReadonlyMap<number, readonly Judgement[]>
  /** Per host slot: the records of the host's cmd.issue writes to it, in journal order. */
  readonly hostIssuesBySlot: ReadonlyMap<number, readonly number[]>
  /** Per shadow slot: the shadow cmd.issue records that filled it, in journal order. */
  readonly shadowBySlot: ReadonlyMap<number, readonly ShadowSlotSource[]>
}

/**
 * The number of leading elements of `list` (sorted by `at`) with `at(e) < limit`:
 * a view at cursor c sees the records before c, and a step must not scan the
 * whole run (a 200k-record journal has thousands of commands).
 */
function countBefore<T>(list: readonly T[], at: (e: T) => number, limit: number): number {
  let lo = 0
  let hi = list.length
  while (lo < hi) {
    const mid = (lo + hi) >>> 1
    if (at(list[mid]) < limit) lo = mid + 1
    else hi = mid
  }
  return lo
}

/** The last element of `list` (sorted by `at`) with `at(e) < limit`, if any. */
function lastBefore<T>(list: readonly T[] | undefined, at: (e: T) => number, limit: number): T | undefined {
  if (list === undefined) return undefined
  const n = countBefore(list, at, limit)
  return n > 0 ? list[n - 1] : undefined
}

function bySlot<T>(list: readonly T[], slot: (e: T) => number): Map<number, T[]> {
  const m = new Map<number, T[]>()
  for (const e of list) {
    const k = slot(e)
    const l = m.get(k)
    if (l === undefined) m.set(k, [e])
    else l.push(e)
  }
  return m
}

const cache = new WeakMap<readonly JRecord[], QueueIndex>()

const str = (v: unknown): string => (typeof v === 'string' ? v : '')
const strs = (v: unknown): string[] => (Array.isArray(v) ? v.map(String) : [])

/** One pass over the journal, kept per journal: runs do not change once recorded. */
function indexOf(records: readonly JRecord[]): QueueIndex {
  const hit = cache.get(records)
  if (hit) return hit
  const judged: Judgement[] = []
  const hostIssues: [number, number][] = []
  const shadowIssues: ShadowSlotSource[] = []
  let copy: { record: number; index: number } | undefined
  // The last judgement that passed and waits for its shadow slot.
  let waiting: number | undefined
  for (let i = 0; i < records.length; i++) {
    const r = records[i]
    if (r.kind === 'hyp.copy' && r.what === 'command' && typeof r.index === 'number') copy = { record: i, index: r.index }
    else if (r.kind === 'hyp.cmd' && copy) {
      const verdict = r.verdict === 'rejected' || r.verdict === 'rewritten' ? r.verdict : 'copied'
      judged.push({
        index: copy.index,
        record: i,
        copyRecord: copy.record,
        opcode: str(r.opcode),
        verdict,
        reason: str(r.reason),
        raw: strs(r.raw),
        rewritten: r.rewritten === undefined ? undefined : strs(r.rewritten),
      })
      waiting = verdict === 'rejected' ? undefined : judged.length - 1
      copy = undefined
    } else if (r.kind === 'cmd.issue' && typeof r.index === 'number') {
      if (r.actor === 'host') hostIssues.push([i, r.index])
      else if (r.queue === 'shadow') {
        const fromHost = r.source === 'host' && waiting !== undefined
        const src: ShadowSlotSource = fromHost
          ? { index: r.index, record: i, source: 'host', hostIndex: judged[waiting!].index }
          : { index: r.index, record: i, source: 'hyp' }
        if (fromHost) {
          judged[waiting!] = { ...judged[waiting!], shadowIndex: r.index, issueRecord: i }
          waiting = undefined
        }
        shadowIssues.push(src)
      }
    }
  }
  const out: QueueIndex = {
    judged,
    judgedBySlot: bySlot(judged, (j) => j.index),
    hostIssuesBySlot: new Map([...bySlot(hostIssues, (h) => h[1])].map(([slot, l]) => [slot, l.map((h) => h[0])])),
    shadowBySlot: bySlot(shadowIssues, (s) => s.index),
  }
  cache.set(records, out)
  return out
}

/** What the record at the cursor (the next one) or just before it does to a queue entry. */
function activeEntry(records: readonly JRecord[], cursor: number, judged: readonly Judgement[]): HypActiveEntry | undefined {
  for (const i of [cursor, cursor - 1]) {
    const r = records[i] as JRecord | undefined
    if (!r) continue
    if (r.kind === 'hyp.copy' && r.what === 'command' && typeof r.index === 'number') return { queue: 'host', index: r.index, what: 'copy' }
    const at = r.kind === 'hyp.cmd' ? lastBefore(judged, (j) => j.record, i + 1) : undefined
    const judging = at?.record === i ? at : undefined
    if (judging) return { queue: 'host', index: judging.index, what: 'judge' }
    if (r.kind === 'cmd.issue' && r.queue === 'shadow' && typeof r.index === 'number') return { queue: 'shadow', index: r.index, what: 'issue' }
    if (r.kind === 'cmd.consume' && r.queue === 'shadow' && typeof r.index === 'number') return { queue: 'shadow', index: r.index, what: 'consume' }
  }
  // Inside a judgement (re-shadowing an STE runs many records): the entry being judged.
  const j = lastBefore(judged, (x) => x.record, cursor + 1)
  if (j === undefined) return undefined
  const end = records[j.record].end ?? j.record + 1
  return cursor < end ? { queue: 'host', index: j.index, what: 'judge' } : undefined
}

type Win = { readonly from?: number; readonly to?: number }

/** A window that shows `index` when the caller left the window to us. */
function around(win: Win | undefined, index: number | undefined): Win {
  if (win?.from !== undefined || index === undefined) return win ?? {}
  return queueWindow(index)
}

/**
 * Host and shadow CMDQ at the cursor: `hostReg` answers with the emulated
 * registers (what the host programmed), `hwReg` with the hardware's.
 */
export function hypQueuesView(
  records: readonly JRecord[],
  r: ReplayState,
  hostReg: (n: string) => bigint,
  hwReg: (n: string) => bigint,
  hasShadow: boolean,
  req: { readonly host?: Win; readonly shadow?: Win },
): HypQueuesView {
  const cursor = r.cursor
  const idx = indexOf(records)
  const active = activeEntry(records, cursor, idx.judged)
  const host = queueView('CMDQ', r, hostReg, 16, around(req.host, active?.queue === 'host' ? active.index : undefined))
  const shadowWin = around(req.shadow, active?.queue === 'shadow' ? active.index : undefined)
  const shadow = hasShadow ? queueView('CMDQ', r, hwReg, 16, shadowWin) : undefined
  // Per slot in the window: the newest host write before the cursor, and the newest judgement; a judgement of an
  // older command than the slot now holds is not shown on it (judgements follow their copies, in journal order).
  const marks: HypCmdMark[] = []
  for (const e of host.entries) {
    const j = lastBefore(idx.judgedBySlot.get(e.index), (x) => x.record, cursor)
    if (j === undefined) continue
    const lastWrite = lastBefore(idx.hostIssuesBySlot.get(e.index), (rec) => rec, cursor) ?? -1
    if (j.copyRecord < lastWrite) continue
    const { issueRecord, ...mark } = j
    marks.push(issueRecord !== undefined && issueRecord >= cursor ? { ...mark, shadowIndex: undefined } : mark)
  }
  const sources: ShadowSlotSource[] = []
  for (const e of shadow?.entries ?? []) {
    const src = lastBefore(idx.shadowBySlot.get(e.index), (x) => x.record, cursor)
    if (src !== undefined) sources.push(src)
  }
  return { host, shadow, marks: marks.sort((a, b) => a.index - b.index), sources: sources.sort((a, b) => a.index - b.index), active }
}
