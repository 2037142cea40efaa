import type { CacheMark, CfgRow, TlbRow } from '../api-types'
import { hex } from '../arch/u64'
import type { JRecord } from '../journal/journal'
import type { CachedTlbEntry } from '../smmu/tlb'
import { GRANULE_NAME, PERM_R, PERM_W, type TransConfig } from '../smmu/types'

/** Permission flags as R/W letters ("RW", "R-", "--"). */
export function permText(p: number): string {
  return `${p & PERM_R ? 'R' : '-'}${p & PERM_W ? 'W' : '-'}`
}

/** A size of 2^bits bytes as a reader says it: 4K, 2M, 1G. */
export function sizeText(bits: number): string {
  const units = ['', 'K', 'M', 'G', 'T', 'P']
  const u = Math.min(units.length - 1, Math.floor(bits / 10))
  return `${2 ** (bits - u * 10)}${units[u]}`
}

/**
 * What records [since, cursor) did to one journaled map, by key: an entry
 * that appeared was inserted (or replaced, if one stood under its key); one
 * that vanished was evicted or invalidated, by the kind of the record that
 * removed it. The last thing done to a key wins. Removed entries keep their
 * old value so the panel can still show them.
 */
export function cacheMarks(records: readonly JRecord[], mapId: number, since: number, cursor: number): Map<string | number, { mark: CacheMark; old: unknown }> {
  const out = new Map<string | number, { mark: CacheMark; old: unknown }>()
  for (let i = Math.max(0, since); i < Math.min(cursor, records.length); i++) {
    const rec = records[i]
    for (const [id, key, old, value] of rec.changes ?? []) {
      if (id !== mapId) continue
      if (value === undefined) {
        out.set(key, { mark: rec.kind === 'tlb.evict' ? 'evicted' : rec.kind === 'tlb.insert' ? 'replaced' : 'invalidated', old })
      } else if (old === undefined) {
        out.set(key, { mark: 'inserted', old })
      }
    }
  }
  return out
}

function tlbRow(e: CachedTlbEntry, present: boolean, mark: CacheMark | undefined): TlbRow {
  return {
    seq: e.seq,
    asid: e.asid,
    vmid: e.vmid,
    stage: e.stage,
    level: e.level,
    granule: GRANULE_NAME[e.granule],
    input: hex(e.ipn * 4096),
    size: sizeText(e.sizeBits),
    sizeBits: e.sizeBits,
    pa: hex(e.pa),
    perm: permText(e.perm),
    parentPerm: permText(e.parentPerm),
    mark,
    present,
  }
}

/**
 * The IOTLB at the cursor, oldest entry first (the order FIFO replacement
 * evicts), with what records [since, cursor) inserted, evicted or
 * invalidated marked; removed entries stay listed with `present: false`.
 * Entries hit by those records are marked 'hit'.
 */
export function iotlbView(entries: ReadonlyMap<string | number, unknown>, records: readonly JRecord[], mapId: number, since: number, cursor: number): TlbRow[] {
  const marks = cacheMarks(records, mapId, since, cursor)
  const hits = new Set<number>()
  for (let i = Math.max(0, since); i < Math.min(cursor, records.length); i++) {
    const r = records[i]
    if (r.kind !== 'tlb.hit') continue
    if (typeof r.seq === 'number') hits.add(r.seq)
    if (typeof r.seq2 === 'number') hits.add(r.seq2)
  }
  const rows: TlbRow[] = []
  for (const v of entries.values()) {
    const e = v as CachedTlbEntry
    rows.push(tlbRow(e, true, marks.get(e.seq)?.mark ?? (hits.has(e.seq) ? 'hit' : undefined)))
  }
  for (const [key, m] of marks) if (!entries.has(key) && m.old !== undefined) rows.push(tlbRow(m.old as CachedTlbEntry, false, m.mark))
  return rows.sort((a, b) => a.seq - b.seq)
}

function stageText(c: TransConfig): string[] {
  const out: string[] = []
  if (c.s1) {
    c.s1.tt.forEach((t, n) => {
      if (t) out.push(`S1 TT${n}: ${GRANULE_NAME[t.granule]}, ${64 - t.tsz}-bit VA, TTB${n} ${hex(t.ttb)}`)
    })
  }
  if (c.s2) out.push(`S2: ${GRANULE_NAME[c.s2.granule]}, ${64 - c.s2.tsz}-bit IPA, S2TTB ${hex(c.s2.ttb)}, ${c.s2.ps}-bit PA`)
  return out
}

function cfgRow(c: TransConfig, present: boolean, mark: CacheMark | undefined): CfgRow {
  return {
    sid: c.sid,
    ssid: c.ssid,
    config: c.kind,
    steAddr: hex(c.steAddr),
    cdAddr: c.cdAddr === undefined ? undefined : hex(c.cdAddr),
    asid: c.s1?.asid,
    vmid: c.s2?.vmid,
    stages: stageText(c),
    mark,
    present,
  }
}

/** The configuration cache at the cursor in (SID, SSID) order, with the last step's fills and drops marked. */
export function cfgCacheView(entries: ReadonlyMap<string | number, unknown>, records: readonly JRecord[], mapId: number, since: number, cursor: number): CfgRow[] {
  const marks = cacheMarks(records, mapId, since, cursor)
  const hits = new Set<string>()
  for (let i = Math.max(0, since); i < Math.min(cursor, records.length); i++) {
    const r = records[i]
    if (r.kind === 'cfg.hit') hits.add(`${String(r.sid)}:${String(r.ssid)}`)
  }
  const rows: { key: number; row: CfgRow }[] = []
  for (const [key, v] of entries) {
    const c = v as TransConfig
    rows.push({ key: Number(key), row: cfgRow(c, true, marks.get(key)?.mark ?? (hits.has(`${c.sid}:${c.ssid}`) ? 'hit' : undefined)) })
  }
  for (const [key, m] of marks) if (!entries.has(key) && m.old !== undefined) rows.push({ key: Number(key), row: cfgRow(m.old as TransConfig, false, m.mark) })
  return rows.sort((a, b) => a.key - b.key).map((x) => x.row)
}
