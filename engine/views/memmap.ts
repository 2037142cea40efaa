import type { IdmapRun, MemmapView, OwnRun } from '../api-types'
import { classify, DESC_ADDR, descAddress, levelShift, type Granule } from '../arch/descriptors'
import { hex } from '../arch/u64'
import type { HostPage, PageState } from '../hyp/ownership'
import type { PhysMem } from '../mem/physmem'

/**
 * The physical memory map under pKVM (DESIGN.md "The screen"): page
 * ownership as runs, and the identity IOMMU stage 2 beside it. Ownership
 * maps hold exceptions only (a page absent from them is host OWNED, hyp
 * NOPAGE), so 8 GiB of RAM costs what has changed; the identity map is read
 * from its tables in memory, a table at a time, never a page at a time, and
 * its runs coalesce contiguous leaves of one kind.
 */

/** The ownership maps at the cursor (replayed), keyed by pfn. */
export interface OwnMaps {
  readonly host: ReadonlyMap<string | number, unknown>
  readonly hyp: ReadonlyMap<string | number, unknown>
}

/** Where the identity stage 2 is (from the hypervisor's identity map). */
export interface IdmapGeometry {
  readonly root: number
  readonly granule: Granule
  readonly ias: number
  readonly startLevel: number
}

function ownKey(host: HostPage | undefined, hyp: PageState | undefined): [string, string, string] {
  return [host?.state ?? 'OWNED', host?.owner ?? 'host', hyp ?? 'NOPAGE']
}

/** Ownership runs of pfns [first, last). */
export function ownRuns(maps: OwnMaps, pageShift: number, first: number, last: number): OwnRun[] {
  const keys = new Set<number>()
  for (const m of [maps.host, maps.hyp]) for (const k of m.keys()) if (typeof k === 'number' && k >= first && k < last) keys.add(k)
  const sorted = [...keys].sort((a, b) => a - b)
  const runs: { start: number; pages: number; key: [string, string, string] }[] = []
  const push = (start: number, pages: number, key: [string, string, string]) => {
    if (pages <= 0) return
    const prev = runs[runs.length - 1] as (typeof runs)[number] | undefined
    if (prev && prev.start + prev.pages === start && prev.key.every((v, i) => v === key[i])) prev.pages += pages
    else runs.push({ start, pages, key })
  }
  const dflt = ownKey(undefined, undefined)
  let p = first
  for (const e of sorted) {
    push(p, e - p, dflt)
    push(e, 1, ownKey(maps.host.get(e) as HostPage | undefined, maps.hyp.get(e) as PageState | undefined))
    p = e + 1
  }
  push(p, last - p, dflt)
  return runs.map((r) => ({ base: hex(r.start * 2 ** pageShift), pages: r.pages, host: r.key[0], owner: r.key[1], hyp: r.key[2] }))
}

/**
 * Leaves of the identity stage 2 over PAs [from, to) as runs of `pageSize`
 * pages (IPA = PA). Descriptors are classified with the architecture's
 * rules (Arm ARM D8.3: Valid, and Type at levels above 3).
 */
export function idmapRuns(mem: PhysMem, g: IdmapGeometry, from: number, to: number, pageSize: number): IdmapRun[] {
  const runs: { base: number; bytes: number; kind: IdmapRun['kind']; level?: number }[] = []
  const emit = (base: number, bytes: number, kind: IdmapRun['kind'], level?: number) => {
    const a = Math.max(base, from)
    const b = Math.min(base + bytes, to)
    if (b <= a) return
    const prev = runs[runs.length - 1] as (typeof runs)[number] | undefined
    if (prev && prev.base + prev.bytes === a && prev.kind === kind && prev.level === level) prev.bytes += b - a
    else runs.push({ base: a, bytes: b - a, kind, level })
  }
  const masks = DESC_ADDR[1][g.granule]
  const walk = (table: number, level: number, base: number, entries: number) => {
    const span = 2 ** levelShift(g.granule, level)
    const i0 = Math.max(0, Math.floor((from - base) / span))
    const i1 = Math.min(entries, Math.ceil((to - base) / span))
    for (let i = i0; i < i1; i++) {
      const va = base + i * span
      const at = table + i * 8
      if (!mem.contains(at, 8)) {
        emit(va, span, 'none')
        continue
      }
      const lo = mem.load64(at)
      const hi = mem.hi
      const c = classify(g.granule, level, lo, false)
      if (c === 'table' && level < 3) walk(descAddress(masks.table, lo, hi), level + 1, va, 2 ** (g.granule - 3))
      else if (c === 'page' || c === 'block') emit(va, span, c, level)
      else emit(va, span, 'none')
    }
  }
  // The start level's tables, concatenated or not, are one array indexed by the top IPA bits.
  walk(g.root, g.startLevel, 0, 2 ** Math.max(0, g.ias - levelShift(g.granule, g.startLevel)))
  if (to > 2 ** g.ias) emit(Math.max(from, 2 ** g.ias), to - Math.max(from, 2 ** g.ias), 'none')
  return runs.map((r) => ({ base: hex(r.base), pages: r.bytes / pageSize, kind: r.kind, level: r.level }))
}

/** The map over PAs [from, to): ownership runs, and identity-map runs once it exists. */
export function memmapView(mem: PhysMem, maps: OwnMaps, pageShift: number, from: number, to: number, idmap: IdmapGeometry | undefined): MemmapView {
  const pageSize = 2 ** pageShift
  const a = Math.floor(from / pageSize)
  const b = Math.max(a, Math.ceil(to / pageSize))
  return {
    from: hex(a * pageSize),
    to: hex(b * pageSize),
    pageSize,
    own: ownRuns(maps, pageShift, a, b),
    idmap: idmap ? idmapRuns(mem, idmap, a * pageSize, b * pageSize, pageSize) : undefined,
    idmapRoot: idmap ? hex(idmap.root) : undefined,
  }
}
