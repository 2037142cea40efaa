import type { HostMapping, OwnHistoryRow, PageView } from '../api-types'
import { hex, hex64 } from '../arch/u64'
import type { HostPage, PageState } from '../hyp/ownership'
import type { JRecord } from '../journal/journal'
import type { PhysMem } from '../mem/physmem'
import { vtcrSl0 } from '../pgtable/geometry'
import { walkS2 } from '../smmu/walk'
import type { WalkStep } from '../smmu/types'
import { traceText } from '../trace/format'
import type { IdmapGeometry, OwnMaps } from './memmap'

/** The page's state at the cursor from the replayed ownership maps. */
export interface PageMaps extends OwnMaps {
  readonly pins: ReadonlyMap<string | number, unknown>
  readonly shares: ReadonlyMap<string | number, unknown>
}

const num = (v: unknown): number => (typeof v === 'number' ? v : typeof v === 'bigint' ? Number(v) : Number.NaN)

/** The span a record sits in: the nearest earlier record one level up (its parent). */
function parentText(records: readonly JRecord[], i: number): string {
  const d = records[i].depth
  for (let k = i - 1; k >= 0; k--) if (records[k].depth < d) return traceText(records[k])
  return ''
}

/** `own` records [0, cursor) whose run covers the page: the page's ownership history, oldest first. */
function history(records: readonly JRecord[], cursor: number, pa: number, pageSize: number): OwnHistoryRow[] {
  const out: OwnHistoryRow[] = []
  for (let i = 0; i < Math.min(cursor, records.length); i++) {
    const r = records[i]
    if (r.kind !== 'own') continue
    const base = num(r.pa)
    const size = num(r.size) || pageSize
    if (pa < base || pa >= base + size) continue
    out.push({ record: i, of: String(r.of), owner: String(r.owner), state: String(r.state), why: parentText(records, i) })
  }
  return out
}

/**
 * The host driver's io-pgtable mappings whose output covers the page: its
 * `host.map` / `host.unmap` records replayed up to the cursor (an unmap
 * removes what it covers of each earlier mapping of the domain).
 */
function hostMappings(records: readonly JRecord[], cursor: number, pa: number): HostMapping[] {
  interface Live { record: number; domain: string; iova: number; pa: number; size: number; prot: string }
  let live: Live[] = []
  for (let i = 0; i < Math.min(cursor, records.length); i++) {
    const r = records[i]
    if (r.kind === 'host.map') {
      live.push({ record: i, domain: String(r.domain), iova: num(r.iova), pa: num(r.pa), size: num(r.size), prot: String(r.prot) })
    } else if (r.kind === 'host.unmap') {
      const a = num(r.iova)
      const b = a + num(r.size)
      const next: Live[] = []
      for (const m of live) {
        if (m.domain !== String(r.domain) || m.iova + m.size <= a || m.iova >= b) {
          next.push(m)
          continue
        }
        if (m.iova < a) next.push({ ...m, size: a - m.iova })
        if (m.iova + m.size > b) next.push({ ...m, iova: b, pa: m.pa + (b - m.iova), size: m.iova + m.size - b })
      }
      live = next
    }
  }
  return live
    .filter((m) => pa >= m.pa && pa < m.pa + m.size)
    .map((m) => ({ record: m.record, domain: m.domain, iova: hex(m.iova + (pa - m.pa)), prot: m.prot }))
}

/** Walk the identity stage 2 for one PA without journaling it (the walker is a function of memory). */
function idmapLeaf(mem: PhysMem, g: IdmapGeometry, oas: number, pa: number): NonNullable<PageView['idmap']> {
  const reads: WalkStep[] = []
  const res = walkS2(
    mem,
    { vmid: 0, tsz: 64 - g.ias, sl0: vtcrSl0(g.granule, g.startLevel), granule: g.granule, ttb: g.root, ps: oas, affd: false, record: false },
    pa,
    { read: true, write: false },
    'IN',
    (s) => reads.push(s),
  )
  const last = reads[reads.length - 1] as WalkStep | undefined
  return {
    ok: res.ok,
    level: res.ok ? res.level : (last?.level ?? -1),
    kind: last?.type ?? 'none',
    reads: reads.map((s) => ({ level: s.level, address: hex(s.address), raw: hex64((BigInt(s.hi >>> 0) << 32n) | BigInt(s.lo >>> 0)) })),
    fault: res.ok ? undefined : `${res.fault.type} at level ${res.fault.level}`,
  }
}

/** One page: its ownership now and through the run, the identity map's leaf for it, and the host's DMA mappings of it. */
export function pageView(
  records: readonly JRecord[],
  cursor: number,
  mem: PhysMem,
  maps: PageMaps,
  pageShift: number,
  inRam: boolean,
  paIn: number,
  idmap: { readonly geo: IdmapGeometry; readonly oas: number } | undefined,
): PageView {
  const pageSize = 2 ** pageShift
  const pfn = Math.floor(paIn / pageSize)
  const pa = pfn * pageSize
  const host = maps.host.get(pfn) as HostPage | undefined
  const hyp = maps.hyp.get(pfn) as PageState | undefined
  return {
    pa: hex(pa),
    inRam,
    host: host?.state ?? 'OWNED',
    owner: host?.owner ?? 'host',
    hyp: hyp ?? 'NOPAGE',
    pins: num(maps.pins.get(pfn) ?? 0),
    shareCount: num(maps.shares.get(pfn) ?? 0),
    history: history(records, cursor, pa, pageSize),
    idmap: idmap ? idmapLeaf(mem, idmap.geo, idmap.oas, pa) : undefined,
    hostMappings: hostMappings(records, cursor, pa),
  }
}
