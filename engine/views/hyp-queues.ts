import type { HypActiveEntry, HypCmdMark, HypQueuesView, ShadowSlotSource } from '../api-types'
import type { JRecord } from '../journal/journal'
import type { ReplayState } from '../journal/replay'
import { queueView } from './queues'

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
  /** Host cmd.issue records: [record, host slot]. */
  readonly hostIssues: readonly (readonly [number, number])[]
  /** Shadow cmd.issue records in journal order. */
  readonly shadowIssues: readonly ShadowSlotSource[]
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
  const out = { judged, hostIssues, shadowIssues }
  cache.set(records, out)
  return out
}

/** What the record at the cursor (the next one) or just before it does to a queue entry. */
function activeEntry(records: readonly JRecord[], cursor: number, judged: readonly Judgement[]): HypActiveEntry | undefined {
  for (const i of [cursor, cursor - 1]) {
    const r = records[i] as JRecord | undefined
    if (!r) continue
    if (r.kind === 'hyp.copy' && r.what === 'command' && typeof r.index === 'number') return { queue: 'host', index: r.index, what: 'copy' }
    const judging = r.kind === 'hyp.cmd' ? judged.find((j) => j.record === i) : undefined
    if (judging) return { queue: 'host', index: judging.index, what: 'judge' }
    if (r.kind === 'cmd.issue' && r.queue === 'shadow' && typeof r.index === 'number') return { queue: 'shadow', index: r.index, what: 'issue' }
    if (r.kind === 'cmd.consume' && r.queue === 'shadow' && typeof r.index === 'number') return { queue: 'shadow', index: r.index, what: 'consume' }
  }
  // Inside a judgement (re-shadowing an STE runs many records): the entry being judged.
  for (let k = judged.length - 1; k >= 0; k--) {
    const j = judged[k]
    if (j.record > cursor) continue
    const end = records[j.record].end ?? j.record + 1
    return cursor < end ? { queue: 'host', index: j.index, what: 'judge' } : undefined
  }
  return undefined
}

type Win = { readonly from?: number; readonly to?: number }

/** A window that shows `index` when the caller left the window to us. */
function around(win: Win | undefined, index: number | undefined): Win {
  if (win?.from !== undefined || index === undefined) return win ?? {}
  return { from: Math.max(0, index - 4), to: Math.max(0, index - 4) + 32 }
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
  const inWindow = new Set(host.entries.map((e) => e.index))
  // The newest host write of each slot in the window, so a judgement of an older command is not shown on a newer one.
  const lastWrite = new Map<number, number>()
  for (const [rec, slot] of idx.hostIssues) {
    if (rec >= cursor) break
    if (inWindow.has(slot)) lastWrite.set(slot, rec)
  }
  const marks = new Map<number, HypCmdMark>()
  for (const j of idx.judged) {
    if (j.record >= cursor) break
    if (!inWindow.has(j.index) || j.copyRecord < (lastWrite.get(j.index) ?? -1)) continue
    const { issueRecord, ...mark } = j
    marks.set(j.index, issueRecord !== undefined && issueRecord >= cursor ? { ...mark, shadowIndex: undefined } : mark)
  }
  const shadowSlots = new Set(shadow?.entries.map((e) => e.index) ?? [])
  const sources = new Map<number, ShadowSlotSource>()
  for (const s of idx.shadowIssues) {
    if (s.record >= cursor) break
    if (shadowSlots.has(s.index)) sources.set(s.index, s)
  }
  return { host, shadow, marks: [...marks.values()].sort((a, b) => a.index - b.index), sources: [...sources.values()].sort((a, b) => a.index - b.index), active }
}
