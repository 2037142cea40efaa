import type { WalkCell, WalkRow, WalkView } from '../api-types'
import { hex } from '../arch/u64'
import type { JRecord } from '../journal/journal'

/** Walk faults: the walk stopped at its last descriptor read. */
const WALK_FAULTS = new Set(['F_TRANSLATION', 'F_ADDR_SIZE', 'F_ACCESS', 'F_PERMISSION', 'F_WALK_EABT'])

const num = (v: unknown): number => (typeof v === 'number' ? v : typeof v === 'bigint' ? Number(v) : 0)
const hexOf = (v: unknown): string => (typeof v === 'number' || typeof v === 'bigint' ? hex(v) : '0x0')
const str = (v: unknown): string => (typeof v === 'string' ? v : '')
const rawOf = (v: unknown): string[] => (Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : [])

/** The dma span the walk grid shows: the record at the cursor, the one enclosing it, or the last before it. */
export function findDma(records: readonly JRecord[], cursor: number): number | undefined {
  if (cursor < records.length && records[cursor].kind === 'dma') return cursor
  for (let i = Math.min(cursor, records.length) - 1; i >= 0; i--) if (records[i].kind === 'dma') return i
  return undefined
}

function nextDma(records: readonly JRecord[], after: number): number | undefined {
  for (let i = after + 1; i < records.length; i++) if (records[i].kind === 'dma') return i
  return undefined
}

/** Stage-2 reads of one walk belong together until the level starts again or their purpose changes. */
function startsNewWalk(group: readonly WalkCell[], groupFor: number | undefined, cell: WalkCell, forS1: number | undefined): boolean {
  if (group.length === 0) return false
  return forS1 !== groupFor || cell.level <= group[group.length - 1].level
}

/**
 * The walk grid of one DMA (DESIGN.md "The screen"): stage-1 levels down;
 * before each stage-1 read, the stage-2 walk that translated its table's IPA
 * (ptw.read `forS1`: -1 for the start table TTBn, k for the table stage-1
 * read k pointed to); last, the stage-2 walk of the final IPA. A stage-2-only
 * walk is one row (its input is the IPA), a stage-1-only walk has no stage-2
 * cells. Stage-2 walks made while fetching the configuration (the CD table
 * and CD addresses, TTBn of a nested stream) come first, in their own rows.
 */
export function walkView(records: readonly JRecord[], cursor: number, at?: number): WalkView | null {
  const start = at !== undefined && records[at]?.kind === 'dma' ? at : findDma(records, cursor)
  if (start === undefined) return null
  const d = records[start]
  const end = d.end ?? start + 1
  const rows: WalkRow[] = []
  let tlbHit: WalkView['tlbHit']
  let event: WalkView['event']
  let config: string | undefined
  let cfgEnd = -1
  let group: WalkCell[] = []
  let groupFor: number | undefined
  let groupCfg = false
  let s1Count = 0
  let lastS1Level = -1
  let lastRead: WalkCell | undefined
  const cells: WalkCell[] = []

  const flush = (what: string) => {
    if (group.length) rows.push({ what, s2: group })
    group = []
  }
  // A config-time stage-2 walk is named by what the SMMU read with its output next.
  const cfgName = (i: number): string => {
    for (let k = i; k < end; k++) {
      const kind = records[k].kind
      if (kind === 'l1.read') return 'L1CD (IPA)'
      if (kind === 'cd.read') return 'CD (IPA)'
      if (kind !== 'ptw.read') break
    }
    return 'TTB (IPA)'
  }

  for (let i = start + 1; i < end; i++) {
    const r = records[i]
    switch (r.kind) {
      case 'cfg.fetch':
        cfgEnd = r.end ?? i + 1
        break
      case 'cfg.hit':
      case 'cfg.insert':
        config = str(r.config)
        break
      case 'tlb.hit':
        tlbHit = { record: i, seq: num(r.seq), pa: hexOf(r.pa), sizeBits: num(r.sizeBits) }
        break
      case 'event':
        event = { record: i, type: str(r.type), stage: r.stage === undefined ? undefined : num(r.stage), addr2: hexOf(r.addr2), raw: rawOf(r.raw) }
        break
      case 'ptw.read': {
        const stage = num(r.stage) === 1 ? 1 : 2
        const cell: WalkCell = {
          record: i,
          stage,
          level: num(r.level),
          address: hexOf(r.address),
          raw: rawOf(r.raw)[0] ?? '',
          type: str(r.type),
          future: i >= cursor,
          fault: false,
        }
        cells.push(cell)
        lastRead = cell
        const forS1 = r.forS1 === undefined ? undefined : num(r.forS1)
        const inCfg = i < cfgEnd
        if (stage === 2) {
          if (startsNewWalk(group, groupFor, cell, forS1) || (group.length > 0 && inCfg !== groupCfg)) {
            flush(groupCfg ? cfgName(i) : forS1 === undefined ? 'IPA' : 'table (IPA)')
          }
          group.push(cell)
          groupFor = forS1
          groupCfg = inCfg
          if (inCfg && (i + 1 >= cfgEnd || records[i + 1].kind !== 'ptw.read')) flush(cfgName(i + 1))
          break
        }
        // A stage-1 read: the stage-2 walk before it translated its table's IPA.
        const what = s1Count === 0 ? 'TTB' : `L${lastS1Level} table`
        rows.push({ what, s2: group, s1: cell })
        group = []
        s1Count++
        lastS1Level = cell.level
        break
      }
      default:
        break
    }
  }
  flush('IPA')

  const result = str(d.result)
  if (result === 'fault' && lastRead && WALK_FAULTS.has(str(d.event)) && !tlbHit) {
    const faulty = lastRead
    for (const row of rows) {
      const mark = (c: WalkCell): WalkCell => (c === faulty ? { ...c, fault: true } : c)
      const s2 = row.s2.map(mark)
      const s1 = row.s1 ? mark(row.s1) : undefined
      rows[rows.indexOf(row)] = { what: row.what, s2, s1 }
    }
  }
  let prev: number | undefined
  for (let i = start - 1; i >= 0; i--) {
    if (records[i].kind === 'dma') {
      prev = i
      break
    }
  }
  const next = nextDma(records, start)
  return {
    record: start,
    end,
    device: str(d.device),
    sid: num(d.sid),
    ssid: d.ssid === undefined ? undefined : num(d.ssid),
    iova: hexOf(d.iova),
    access: str(d.access),
    result,
    pa: d.pa === undefined ? undefined : hexOf(d.pa),
    reason: str(d.reason),
    config,
    tlbHit,
    rows,
    event,
    prev,
    next,
    prevEnd: prev === undefined ? undefined : (records[prev].end ?? prev + 1),
    nextEnd: next === undefined ? undefined : (records[next].end ?? next + 1),
  }
}
