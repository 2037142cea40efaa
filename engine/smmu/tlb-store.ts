/**
 * Where the IOTLB keeps its entries: an open-addressing hash table keyed by
 * (ASID, VMID, stage, size, input page), the sizes present under each tag,
 * and the insertion order for FIFO replacement.
 *
 * Why not a `Map` per tag and size: a cache that is full evicts one entry
 * for every one it inserts, always under new keys. A long-lived `Map` with
 * that churn rehashes its backing store every few dozen operations, in old
 * space, which costs about 90 ns per insert and eviction and a full garbage
 * collection every few hundred thousand misses (measured in Node 20). This
 * table never grows: it holds at most `capacity` entries in at least twice
 * as many slots, and deletion shifts the probe run back (no tombstones).
 */
import type { CachedTlbEntry } from './tlb'
import type { StreamTag, TransConfig } from './types'
import { POW2 } from './walk-common'

/** ASID (17 bits with -1), VMID (17 bits with -1), stage (2 bits): 36 bits, exact in a number. */
export function tagKey(asid: number, vmid: number, stage: 1 | 2 | 12): number {
  return ((asid + 1) * 0x20000 + (vmid + 1)) * 4 + (stage === 12 ? 3 : stage)
}

export function streamTag(asid: number, vmid: number, stage: 1 | 2 | 12): StreamTag {
  return { asid, vmid, stage, key: tagKey(asid, vmid, stage) }
}

/**
 * The tag a configuration's translations carry: its CD's ASID (-1 without
 * stage 1), the VMID (STE.S2VMID, or `vmid` for a stage-1-only STE: 0 when
 * stage 2 is implemented, -1 when S2P = 0), and the stage.
 */
export function configTag(c: TransConfig, s2p: boolean): StreamTag {
  const vmid = c.s2 ? c.s2.vmid : (c.vmid ?? (s2p ? 0 : -1))
  return streamTag(c.s1 ? c.s1.asid : -1, vmid, c.kind === 's1' ? 1 : c.kind === 's2' ? 2 : 12)
}

/** The sizes cached under one tag: a count per sizeBits, and those present, smallest first. */
interface TagSizes {
  readonly counts: number[]
  sizes: number[]
  total: number
}

/** A 32-bit mix of the key (tag ≤ 2^36, input page < 2^52, size). */
function hash(tk: number, sizeBits: number, ipn: number): number {
  let h = Math.imul((ipn >>> 0) ^ (sizeBits << 26), 0x9e37_79b1)
  h ^= Math.imul(((ipn / 0x1_0000_0000) >>> 0) ^ (tk >>> 0), 0x85eb_ca6b)
  h ^= Math.imul((tk / 0x1_0000_0000) >>> 0, 0xc2b2_ae35)
  return h ^ (h >>> 15)
}

function hashOf(e: CachedTlbEntry): number {
  return hash(tagKey(e.asid, e.vmid, e.stage), e.sizeBits, e.ipn)
}

/** Smallest power of two ≥ n. */
function pow2AtLeast(n: number): number {
  let p = 1
  while (p < n) p *= 2
  return p
}

export class TlbStore {
  private readonly table: (CachedTlbEntry | undefined)[]
  private readonly mask: number
  /** Entries in insertion order, oldest at `head`; removed ones stay until skipped or compacted. */
  private readonly ring: (CachedTlbEntry | undefined)[]
  private head = 0
  private queued = 0
  private count = 0
  private readonly tags = new Map<number, TagSizes>()
  private lastTk = -1
  private lastTag: TagSizes | undefined
  /**
   * The entry the last `find` returned (a micro-TLB: a device streaming
   * through a page hits it again and again). Forgotten on every add and
   * remove, and taken only from the smallest size present, so it answers
   * only where `find` would return the same entry.
   */
  private recent: CachedTlbEntry | undefined
  /** Its tag and input pages [recentLo, recentEnd), held as plain numbers for the check. */
  private recentTk = -1
  private recentLo = 0
  private recentEnd = 0

  constructor(readonly capacity: number) {
    const slots = pow2AtLeast(Math.max(16, capacity * 2))
    this.table = new Array<CachedTlbEntry | undefined>(slots).fill(undefined)
    this.ring = new Array<CachedTlbEntry | undefined>(slots).fill(undefined)
    this.mask = slots - 1
  }

  get size(): number {
    return this.count
  }

  /** The entry translating input page `ipn` under the tag, trying each cached size, smallest first. */
  find(tag: StreamTag, ipn: number): CachedTlbEntry | undefined {
    const tk = tag.key
    if (tk === this.recentTk && ipn >= this.recentLo && ipn < this.recentEnd) return this.recent
    const { asid, vmid, stage } = tag
    const t = this.tag(tk)
    if (t === undefined) return undefined
    const sizes = t.sizes
    for (let k = 0; k < sizes.length; k++) {
      const sb = sizes[k]
      const div = POW2[sb - 12]
      const e = this.get(tk, asid, vmid, stage, sb, div === 1 ? ipn : Math.floor(ipn / div) * div)
      if (e !== undefined) {
        // Remembered only from the smallest size under the tag: no smaller
        // entry (which would take precedence) can then lie inside it.
        if (k === 0) this.remember(e, tk)
        return e
      }
    }
    return undefined
  }

  /** The entry with exactly this key (`ipn` aligned to 2^sizeBits). */
  get(tk: number, asid: number, vmid: number, stage: 1 | 2 | 12, sizeBits: number, ipn: number): CachedTlbEntry | undefined {
    const table = this.table
    const mask = this.mask
    for (let i = hash(tk, sizeBits, ipn) & mask; ; i = (i + 1) & mask) {
      const e = table[i]
      if (e === undefined) return undefined
      if (e.ipn === ipn && e.sizeBits === sizeBits && e.asid === asid && e.vmid === vmid && e.stage === stage) return e
    }
  }

  /** Add an entry; the caller has removed any entry with its key and made room (size < capacity). */
  add(e: CachedTlbEntry): void {
    if (this.count >= this.capacity) throw new RangeError(`IOTLB store: full (${this.capacity} entries)`)
    this.remember(undefined, -1)
    const table = this.table
    const mask = this.mask
    let i = hashOf(e) & mask
    while (table[i] !== undefined) i = (i + 1) & mask
    table[i] = e
    this.count++
    if (this.queued === this.ring.length) this.compact()
    this.ring[(this.head + this.queued) & mask] = e
    this.queued++
    const tk = tagKey(e.asid, e.vmid, e.stage)
    let t = this.tag(tk)
    if (t === undefined) {
      t = { counts: new Array<number>(65).fill(0), sizes: [], total: 0 }
      this.tags.set(tk, t)
      this.lastTk = tk
      this.lastTag = t
    }
    if (t.counts[e.sizeBits]++ === 0) t.sizes = [...t.sizes, e.sizeBits].sort((a, b) => a - b)
    t.total++
  }

  /** Remove this entry (by identity); false when it is not stored. */
  remove(e: CachedTlbEntry): boolean {
    const table = this.table
    const mask = this.mask
    let hole = hashOf(e) & mask
    for (;;) {
      const x = table[hole]
      if (x === undefined) return false
      if (x === e) break
      hole = (hole + 1) & mask
    }
    // Backward-shift deletion (linear probing): an entry further along the
    // run moves into the hole unless its home slot lies cyclically in
    // (hole, j], where a lookup starting at home would never pass the hole.
    for (let j = (hole + 1) & mask; ; j = (j + 1) & mask) {
      const x = table[j]
      if (x === undefined) break
      const home = hashOf(x) & mask
      const between = hole < j ? home > hole && home <= j : home > hole || home <= j
      if (!between) {
        table[hole] = x
        hole = j
      }
    }
    table[hole] = undefined
    this.count--
    this.remember(undefined, -1)
    const tk = tagKey(e.asid, e.vmid, e.stage)
    const t = this.tag(tk)
    if (t !== undefined) {
      if (--t.counts[e.sizeBits] === 0) t.sizes = t.sizes.filter((s) => s !== e.sizeBits)
      if (--t.total === 0) {
        this.tags.delete(tk)
        this.lastTk = -1
        this.lastTag = undefined
      }
    }
    return true
  }

  /** Whether this very entry is stored. */
  has(e: CachedTlbEntry): boolean {
    return this.get(tagKey(e.asid, e.vmid, e.stage), e.asid, e.vmid, e.stage, e.sizeBits, e.ipn) === e
  }

  /** The oldest stored entry (the next FIFO victim). */
  oldest(): CachedTlbEntry | undefined {
    while (this.queued > 0) {
      const e = this.ring[this.head]!
      if (this.has(e)) return e
      this.ring[this.head] = undefined
      this.head = (this.head + 1) & this.mask
      this.queued--
    }
    return undefined
  }

  /** Every stored entry, oldest first. */
  ordered(): CachedTlbEntry[] {
    const out: CachedTlbEntry[] = []
    for (let k = 0; k < this.queued; k++) {
      const e = this.ring[(this.head + k) & this.mask]!
      if (this.has(e)) out.push(e)
    }
    return out
  }

  clear(): void {
    this.table.fill(undefined)
    this.ring.fill(undefined)
    this.head = this.queued = this.count = 0
    this.remember(undefined, -1)
    this.tags.clear()
    this.lastTk = -1
    this.lastTag = undefined
  }

  /** Drop removed entries from the insertion order (the ring is full of them; at most `capacity` are live). */
  private compact(): void {
    const live = this.ordered()
    this.ring.fill(undefined)
    live.forEach((e, k) => { this.ring[k] = e })
    this.head = 0
    this.queued = live.length
  }

  private remember(e: CachedTlbEntry | undefined, tk: number): void {
    this.recent = e
    this.recentTk = tk
    this.recentLo = e ? e.ipn : 0
    this.recentEnd = e ? e.ipn + POW2[e.sizeBits - 12] : 0
  }

  /** A device streams under one tag: the last one is remembered. */
  private tag(tk: number): TagSizes | undefined {
    if (tk === this.lastTk) return this.lastTag
    const t = this.tags.get(tk)
    if (t !== undefined) {
      this.lastTk = tk
      this.lastTag = t
    }
    return t
  }
}
