/**
 * The IOTLB: cached leaf translations, tagged by ASID, VMID and stage, and the
 * matching rules of every TLBI command (IHI 0070 §4.4).
 *
 * The entries live in a TlbStore (hash table and FIFO order, tlb-store.ts).
 * While the journal records, every change is mirrored in a journaled map
 * keyed by insertion sequence: what time travel restores (the store is then
 * rebuilt from it) and what the views read.
 *
 * Two organisations (scenario `platform.smmu.tlb.model`):
 * - 'combined' (QEMU's): one entry per translation. Stage tag 1 (S1-only),
 *   2 (S2-only config, or the S2 translation of a CD/table address, ASID -1),
 *   12 (nested: both stages folded into one entry; the stage-2 permission is
 *   kept as parentPerm).
 * - 'split': a nested translation is cached as a stage-1 entry (IOVA->IPA,
 *   tagged ASID+VMID) and a stage-2 entry (IPA->PA, VMID, ASID -1). A nested
 *   lookup hits only when both probes hit, and each part is invalidated by its
 *   own stage's commands.
 *
 * Stage 2 invalidation and combined entries (the question the issue raised).
 * The architecture does not require CMD_TLBI_S2_IPA to remove entries that
 * combine stage 1 and stage 2: the Arm ARM says of TLBI IPAS2* that "the
 * invalidation is not required to apply to caching structures that combine
 * stage 1 and stage 2 translation table entries" (DDI 0487, "Invalidation of
 * TLB entries from stage 2 translations"); the SMMU's TLB model is the same
 * (IHI 0070 §4.4 TLB invalidation, and IHI 0070F.b §16.2 Caching, which
 * QEMU's nesting series cites for its combined design). So software has to
 * follow a stage-2 change with CMD_TLBI_NH_ALL or CMD_TLBI_S12_VMALL, and
 * Linux does: it issues TLBI_NH_ALL(VMID) after invalidating a nest-parent S2
 * domain (arm_smmu_tlb_inv_range_domain). Removing them as well is permitted,
 * since an implementation may always invalidate more than it is asked to.
 * So both behaviours are architectural, and smmuscope lets the user pick:
 * - default: S2_IPA also removes every combined entry whose stage-2 leaf
 *   covers an IPA in the range (each combined entry keeps the stage-2 leaf it
 *   came through, `s2`), so no stale combined entry survives;
 * - `qemuCompat`: S2_IPA removes only ASID -1 (stage-2) entries, as QEMU does;
 *   the combined entries it leaves behind are counted as `retained` in the
 *   tlb.invalidate record, which is what a driver that forgets NH_ALL meets on
 *   hardware that caches combined entries.
 */
import type { JMap, JRecord, Journal } from '../journal/journal'
import type { InvalScope } from './inval'
import type { Granule, LeafInfo, Perm, StreamTag, TlbEntry, TlbTag } from './types'
import { streamTag, tagKey, TlbStore } from './tlb-store'
import { POW2 } from './walk-common'

export type TlbModel = 'combined' | 'split'

export interface IotlbOptions {
  readonly model: TlbModel
  /** Capacity in entries (a split nested translation takes two). 0 disables caching. */
  readonly entries: number
  /** CMD_TLBI_S2_IPA removes only ASID -1 entries, keeping combined ones (QEMU). */
  readonly qemuCompat?: boolean
}

/** One stage's leaf mapping inside a nested translation (the walker's LeafInfo). */
export type TlbPart = LeafInfo

/**
 * A nested translation with both stages' leaves. The combined model needs `s2`
 * to find the entry by IPA (S2_IPA) and `s1` to match NH_VA on the whole
 * stage-1 leaf; the split model caches the two parts separately.
 */
export interface NestedTlbEntry extends TlbEntry {
  readonly stage: 12
  readonly s1: TlbPart
  readonly s2: TlbPart
}

/** A stored entry: the entry as inserted plus its sequence number (its key, and its FIFO position). */
export type CachedTlbEntry = TlbEntry & {
  readonly seq: number
  readonly s1?: TlbPart
  readonly s2?: TlbPart
}

/**
 * A stored entry as a class rather than an object literal: V8 tracks the
 * survival of literal allocation sites and, for entries that live exactly as
 * long as a FIFO of a few dozen misses, kept flipping this one between old-
 * and new-space allocation, deoptimizing the miss path each time (about
 * 1.8x slower). A constructor allocates in new space and keeps one shape
 * (`s1`/`s2` undefined unless the entry is nested).
 */
class Cached implements CachedTlbEntry {
  constructor(
    readonly asid: number,
    readonly vmid: number,
    readonly stage: 1 | 2 | 12,
    readonly ipn: number,
    readonly sizeBits: number,
    readonly level: number,
    readonly granule: Granule,
    readonly pa: number,
    readonly perm: Perm,
    readonly parentPerm: Perm,
    readonly seq: number,
    readonly s1: TlbPart | undefined,
    readonly s2: TlbPart | undefined,
  ) {}
}

function pagesOf(sizeBits: number): number {
  return POW2[sizeBits - 12]
}

function samePart(a: TlbPart | undefined, b: TlbPart | undefined): boolean {
  if (a === b) return true
  if (!a || !b) return false
  return a.ipn === b.ipn && a.sizeBits === b.sizeBits && a.level === b.level && a.granule === b.granule && a.pa === b.pa && a.perm === b.perm
}

function sameEntry(a: CachedTlbEntry, b: TlbEntry & { s1?: TlbPart; s2?: TlbPart }): boolean {
  return a.asid === b.asid && a.vmid === b.vmid && a.stage === b.stage && a.ipn === b.ipn && a.sizeBits === b.sizeBits &&
    a.level === b.level && a.granule === b.granule && a.pa === b.pa && a.perm === b.perm && a.parentPerm === b.parentPerm &&
    samePart(a.s1, b.s1) && samePart(a.s2, b.s2)
}

function isNested(e: TlbEntry): e is NestedTlbEntry {
  const n = e as Partial<NestedTlbEntry>
  return e.stage === 12 && n.s1 !== undefined && n.s2 !== undefined
}

/** The leaf an address match is judged on: [ipn, ipn + pages), its level and granule. */
interface Leaf {
  readonly ipn: number
  readonly sizeBits: number
  readonly level: number
  readonly granule: Granule
}

/**
 * Does the scope name this leaf? TG = 0: the leaf contains the address.
 * TG != 0: the leaf overlaps the range. A TTL hint (IHI 0070 §4.4, range
 * invalidation; Arm ARM: "if an incorrect value of TTL is specified, no
 * entries are required to be invalidated") lets the SMMU skip entries that
 * are not leaves at level TTL of the TG granule; smmuscope does skip them, so
 * a wrong TTL visibly leaves the entry in place.
 */
function scopeHits(s: InvalScope, leaf: Leaf): boolean {
  const end = leaf.ipn + pagesOf(leaf.sizeBits)
  if (!(leaf.ipn < s.start + s.pages && s.start < end)) return false
  if (s.granule !== null && s.ttl !== 0) return leaf.level === s.ttl && leaf.granule === s.granule
  return true
}

function scopeFields(s: InvalScope): Record<string, unknown> {
  return { asid: s.asid, vmid: s.vmid, ipn: s.start, pages: s.pages, granule: s.granule, ttl: s.ttl, leaf: s.leaf }
}

/**
 * The IOTLB. Replacement when full is FIFO by insertion order: the
 * architecture leaves replacement IMPLEMENTATION DEFINED, QEMU empties the
 * whole table instead, and FIFO keeps the choice deterministic and lets a
 * user predict which entry a new one pushes out.
 */
export class Iotlb {
  readonly model: TlbModel
  readonly capacity: number
  readonly qemuCompat: boolean
  private readonly split: boolean
  private readonly j: Journal
  /**
   * The journal's copy of the entries, keyed by sequence number: what time
   * travel restores and the views read. Kept only while the journal records
   * (nothing reads it otherwise: no replay, no views).
   */
  private readonly map: JMap<number, CachedTlbEntry>
  private readonly meta: JMap<'next', number>
  private next = 0
  /** The entries themselves: lookups, FIFO order (the journal's map mirrors it). */
  private readonly store: TlbStore
  /** Split model: the last combined result, so a repeated nested hit allocates nothing. */
  private memoS1: CachedTlbEntry | undefined
  private memoS2: CachedTlbEntry | undefined
  private memoIpn = -1
  private memoOut: TlbEntry | undefined

  constructor(journal: Journal, opts: IotlbOptions) {
    this.j = journal
    this.model = opts.model
    this.split = opts.model === 'split'
    this.capacity = Math.max(0, Math.trunc(opts.entries))
    this.qemuCompat = opts.qemuCompat ?? false
    this.map = journal.map<number, CachedTlbEntry>('iotlb', 'smmu')
    this.meta = journal.map<'next', number>('iotlb.seq', 'smmu')
    this.store = new TlbStore(this.capacity)
  }

  get size(): number {
    return this.store.size
  }

  /** The cached entries, oldest first (the order eviction follows). */
  contents(): CachedTlbEntry[] {
    return this.store.ordered()
  }

  /**
   * Rebuild the derived index from the journaled map, after its contents were
   * restored behind this object's back (JMap.poke from a checkpoint).
   */
  rebuild(): void {
    this.memoS1 = this.memoS2 = undefined
    this.store.clear()
    const all = [...this.map.values()].sort((a, b) => a.seq - b.seq)
    for (const e of all) this.store.add(e)
    const last = all.length ? all[all.length - 1].seq + 1 : 0
    this.next = Math.max(this.meta.get('next') ?? 0, last)
  }

  /** False for a zero-entry IOTLB: nothing is cached, so callers need not build entries. */
  get caching(): boolean {
    return this.capacity > 0
  }

  /** Look up a translation of input page `ipn` (input address >> 12). */
  lookup(tag: TlbTag, ipn: number): TlbEntry | undefined {
    return this.probe(streamTag(tag.asid, tag.vmid, tag.stage), ipn)
  }

  /** `lookup` with the stream's packed tag, for the translation hot path. */
  probe(tag: StreamTag, ipn: number): TlbEntry | undefined {
    if (tag.stage === 12 && this.split) return this.probeSplit(tag.asid, tag.vmid, ipn)
    const e = this.store.find(tag, ipn)
    if (this.j.enabled) {
      const { asid, vmid, stage } = tag
      if (e) this.j.entry('tlb.hit', 'smmu', { asid, vmid, stage, ipn, seq: e.seq, sizeBits: e.sizeBits, pa: e.pa })
      else this.j.entry('tlb.miss', 'smmu', { asid, vmid, stage, ipn })
    }
    return e
  }

  /**
   * Cache a successful translation. A nested translation should be a
   * `NestedTlbEntry` (with its stage-1 and stage-2 leaves): the split model
   * needs them to cache it at all, and the combined model to match it exactly.
   */
  insert(e: TlbEntry | NestedTlbEntry): void {
    const parts = isNested(e) ? [e, e.s1, e.s2] : [e]
    for (const l of parts) {
      if (!Number.isInteger(l.sizeBits) || l.sizeBits < 12 || l.sizeBits > 64) throw new RangeError(`IOTLB: sizeBits ${l.sizeBits} out of range`)
      if (l.ipn % pagesOf(l.sizeBits) !== 0) throw new RangeError(`IOTLB: ipn 0x${l.ipn.toString(16)} is not aligned to 2^${l.sizeBits}`)
    }
    const n = isNested(e) ? e : undefined
    this.cacheWalk(e.asid, e.vmid, e.stage, e.ipn, e.sizeBits, e.level, e.granule, e.pa, e.perm, e.parentPerm, n?.s1, n?.s2)
  }

  /** CMD_TLBI_NSNH_ALL: every non-secure, non-hyp entry, i.e. all of them. */
  invalidateAll(): number {
    return this.invalidateWhere({ command: 'TLBI_NSNH_ALL' }, () => true)
  }

  /** CMD_TLBI_NH_ALL: stage-1 and combined entries of `vmid` (-1 when S2P = 0). */
  invalidateVmidS1(vmid: number): number {
    return this.invalidateWhere({ command: 'TLBI_NH_ALL', vmid }, (e) => e.stage !== 2 && e.vmid === vmid)
  }

  /** CMD_TLBI_NH_ASID: stage-1 and combined entries with this ASID and VMID. */
  invalidateAsid(asid: number, vmid: number): number {
    return this.invalidateWhere({ command: 'TLBI_NH_ASID', asid, vmid }, (e) => e.stage !== 2 && e.asid === asid && e.vmid === vmid)
  }

  /**
   * CMD_TLBI_NH_VA (scope.asid set) or CMD_TLBI_NH_VAA (asid absent or -1: any
   * ASID; a VMID of -1 or absent likewise matches any, S2P = 0): stage-1 and
   * combined entries whose stage-1 leaf the scope names. A combined entry is
   * judged on its whole stage-1 leaf, since it was derived from it; one
   * inserted without its `s1` part goes whenever the tags match (its stage-1
   * leaf may be larger than the entry, and a stale entry is not allowed).
   */
  invalidateVa(scope: InvalScope): number {
    const asid = scope.asid === -1 ? undefined : scope.asid
    const vmid = scope.vmid === -1 ? undefined : scope.vmid
    const command = asid === undefined ? 'TLBI_NH_VAA' : 'TLBI_NH_VA'
    return this.invalidateWhere({ command, ...scopeFields(scope) }, (e) => {
      if (e.stage === 2 || (asid !== undefined && e.asid !== asid) || (vmid !== undefined && e.vmid !== vmid)) return false
      if (e.stage === 1) return scopeHits(scope, e)
      return e.s1 ? scopeHits(scope, e.s1) : true
    })
  }

  /** CMD_TLBI_S12_VMALL: every entry of `vmid`, whatever its stage. */
  invalidateVmid(vmid: number): number {
    return this.invalidateWhere({ command: 'TLBI_S12_VMALL', vmid }, (e) => e.vmid === vmid)
  }

  /**
   * CMD_TLBI_S2_IPA: stage-2 entries of the VMID whose IPA leaf the scope names,
   * and (unless qemuCompat) combined entries whose stage-2 leaf it names; see
   * the file comment. A combined entry inserted without its `s2` part cannot be
   * matched by IPA, so it goes whenever the VMID matches (over-invalidation is
   * allowed, a stale entry is not).
   */
  invalidateIpa(scope: InvalScope): number {
    const { vmid } = scope
    let retained = 0
    const fields: Record<string, unknown> = { command: 'TLBI_S2_IPA', ...scopeFields(scope), asid: undefined }
    return this.invalidateWhere(fields, (e) => {
      if (vmid !== undefined && e.vmid !== vmid) return false
      if (e.stage === 2) return scopeHits(scope, e)
      if (e.stage !== 12) return false
      const hit = e.s2 ? scopeHits(scope, e.s2) : true
      if (hit && this.qemuCompat) retained++
      return hit && !this.qemuCompat
    }, () => (this.qemuCompat ? { retained } : {}))
  }

  /**
   * CMD_TLBI_EL2_* and CMD_TLBI_EL3_*: they name entries of the EL2, EL2-E2H
   * and EL3 StreamWorlds (IHI 0070 §4.4; STE.STRW). Every entry this model
   * caches belongs to the NS-EL1 StreamWorld, so they remove nothing; the
   * command is still recorded so the user sees it had no effect.
   */
  invalidateEl2(command: string): number {
    return this.invalidateWhere({ command, streamWorld: 'NS-EL1 only: nothing to remove' }, () => false)
  }

  /** Two probes: the stage-1 part (IOVA->IPA), then the stage-2 part (IPA->PA). */
  private probeSplit(asid: number, vmid: number, ipn: number): TlbEntry | undefined {
    const s1 = this.store.find(streamTag(asid, vmid, 1), ipn)
    const ipaPn = s1 ? Math.floor(s1.pa / 4096) + (ipn - s1.ipn) : -1
    const s2 = s1 ? this.store.find(streamTag(-1, vmid, 2), ipaPn) : undefined
    if (!s1 || !s2) {
      if (this.j.enabled) this.j.entry('tlb.miss', 'smmu', { asid, vmid, stage: 12, ipn, part: s1 ? 's2' : 's1', ...(s1 ? { seq: s1.seq } : {}) })
      return undefined
    }
    const small = s1.sizeBits <= s2.sizeBits ? s1 : s2
    const d = pagesOf(small.sizeBits)
    const cipn = ipn - (ipn % d)
    let out = this.memoOut
    if (s1 !== this.memoS1 || s2 !== this.memoS2 || cipn !== this.memoIpn || !out) {
      const ipaBase = ipaPn - (ipaPn % d)
      out = {
        asid, vmid, stage: 12, ipn: cipn, sizeBits: small.sizeBits, level: small.level, granule: small.granule,
        pa: s2.pa + (ipaBase - s2.ipn) * 4096, perm: s1.perm, parentPerm: s2.perm,
      }
      this.memoS1 = s1
      this.memoS2 = s2
      this.memoIpn = cipn
      this.memoOut = out
    }
    if (this.j.enabled) this.j.entry('tlb.hit', 'smmu', { asid, vmid, stage: 12, ipn, seq: s1.seq, seq2: s2.seq, sizeBits: out.sizeBits, pa: out.pa })
    return out
  }

  /**
   * Cache a translation a walk just found (the device's miss path; `insert`
   * checks its entry and comes here): the entry's fields as arguments, so
   * the stored entry is the only object made. `ipn` must be aligned to
   * 2^sizeBits (the walker's leaf is); a nested translation passes both
   * stages' leaves, which the split model caches apart.
   */
  cacheWalk(
    asid: number, vmid: number, stage: 1 | 2 | 12, ipn: number, sizeBits: number, level: number, granule: Granule,
    pa: number, perm: Perm, parentPerm: Perm, s1?: TlbPart, s2?: TlbPart,
  ): void {
    if (this.capacity === 0) return
    if (stage === 12 && this.split) {
      if (!s1 || !s2) {
        // Caching is never required; without both leaves there is nothing to split.
        if (this.j.enabled) this.j.entry('tlb.nocache', 'smmu', { asid, vmid, stage: 12, ipn, reason: 'split IOTLB: nested entry without its s1/s2 leaves' })
        return
      }
      this.cache(asid, vmid, 1, s1.ipn, s1.sizeBits, s1.level, s1.granule, s1.pa, s1.perm, s1.perm, undefined, undefined)
      this.cache(-1, vmid, 2, s2.ipn, s2.sizeBits, s2.level, s2.granule, s2.pa, s2.perm, s2.perm, undefined, undefined)
      return
    }
    this.cache(asid, vmid, stage, ipn, sizeBits, level, granule, pa, perm, parentPerm, s1, s2)
  }

  private cache(
    asid: number, vmid: number, stage: 1 | 2 | 12, ipn: number, sizeBits: number, level: number, granule: Granule,
    pa: number, perm: Perm, parentPerm: Perm, s1: TlbPart | undefined, s2: TlbPart | undefined,
  ): void {
    const old = this.store.get(tagKey(asid, vmid, stage), asid, vmid, stage, sizeBits, ipn)
    const seq = this.next
    const stored = new Cached(asid, vmid, stage, ipn, sizeBits, level, granule, pa, perm, parentPerm, seq, s1, s2)
    if (old && sameEntry(old, stored)) return
    if (!old && this.store.size >= this.capacity) this.evictOldest()
    this.next++
    const rec = this.j.enabled ? this.j.entry('tlb.insert', 'smmu', this.describe(stored, seq)) : undefined
    if (old) this.remove(old, rec)
    if (this.j.enabled) {
      this.map.set(seq, stored, rec)
      // The sequence counter matters only to a restore (rebuild), which needs the journal.
      this.meta.set('next', this.next, rec)
    }
    this.store.add(stored)
  }

  private describe(e: TlbEntry & { s1?: TlbPart; s2?: TlbPart }, seq: number): Record<string, unknown> {
    const f: Record<string, unknown> = {
      seq, asid: e.asid, vmid: e.vmid, stage: e.stage, ipn: e.ipn, sizeBits: e.sizeBits, level: e.level,
      granule: e.granule, pa: e.pa, perm: e.perm, parentPerm: e.parentPerm,
    }
    if (e.s2) {
      f.ipn2 = e.s2.ipn
      f.sizeBits2 = e.s2.sizeBits
    }
    return f
  }

  private evictOldest(): void {
    const e = this.store.oldest()
    if (!e) return
    const rec = this.j.enabled ? this.j.entry('tlb.evict', 'smmu', this.describe(e, e.seq)) : undefined
    this.remove(e, rec)
  }

  /** One tlb.invalidate record carrying the removals; `extra` adds fields known only after matching. */
  private invalidateWhere(
    fields: Record<string, unknown>,
    pred: (e: CachedTlbEntry) => boolean,
    extra?: () => Record<string, unknown>,
  ): number {
    const rec: JRecord | undefined = this.j.enabled ? this.j.entry('tlb.invalidate', 'smmu', fields) : undefined
    const doomed: CachedTlbEntry[] = []
    for (const e of this.store.ordered()) if (pred(e)) doomed.push(e)
    for (const e of doomed) this.remove(e, rec)
    if (rec) Object.assign(rec, { count: doomed.length }, extra?.())
    return doomed.length
  }

  private remove(e: CachedTlbEntry, rec: JRecord | undefined): void {
    if (this.j.enabled) this.map.delete(e.seq, rec)
    this.store.remove(e)
  }
}
