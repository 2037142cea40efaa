/**
 * The journal: every state change and every observation the engine makes,
 * in order, nested in spans. The state at cursor c is the initial (empty)
 * state plus the changes of records [0, c).
 *
 * State lives in journaled maps (`JMap`) and in physical memory; both record
 * their changes here, so the journal is complete by construction: a component
 * cannot change state without a record, and replay needs no knowledge of it.
 */

export type Actor = 'scenario' | 'host' | 'hyp' | 'smmu' | 'device'

/** [mapId, key, old, new]; `undefined` is "absent". Values are immutable. */
export type Change = readonly [map: number, key: string | number, old: unknown, value: unknown]

/** Bytes written to physical memory, with what they replaced. */
export interface MemChange {
  readonly pa: number
  readonly old: Uint8Array
  readonly value: Uint8Array
}

export interface JRecord {
  kind: string
  actor: Actor
  depth: number
  /** Span records: index one past the span's last record. */
  end?: number
  /** Journaled-map changes this record made. */
  changes?: Change[]
  /** Physical memory changes this record made. */
  mem?: MemChange[]
  /** Kind-specific fields (the CLI trace prints them). */
  [field: string]: unknown
}

export type Fields = Record<string, unknown>

export class Journal {
  readonly records: JRecord[] = []
  /** Off: state still changes, nothing is recorded (benchmarks, bulk replay). */
  enabled: boolean
  private depth = 0
  private mapCount = 0
  readonly mapNames: string[] = []
  readonly maps: JMap<string | number, unknown>[] = []
  /** Record receiving changes made outside any explicit entry. */
  private open: JRecord[] = []
  /**
   * Changes attached to a record that was neither the newest nor an open
   * span: [index of that record, journal length when it happened]. Rare;
   * `resumableAt` needs them, because such a change rewrites the past.
   */
  private readonly late: [at: number, when: number][] = []

  constructor(enabled = true) {
    this.enabled = enabled
  }

  get length(): number {
    return this.records.length
  }

  get currentDepth(): number {
    return this.depth
  }

  /** Run `fn` inside a span; the span record precedes everything `fn` records. */
  span<T>(kind: string, actor: Actor, fields: Fields, fn: () => T): T {
    if (!this.enabled) return fn()
    const rec: JRecord = { kind, actor, depth: this.depth, ...fields }
    this.records.push(rec)
    this.open.push(rec)
    this.depth++
    try {
      return fn()
    } finally {
      this.depth--
      this.open.pop()
      rec.end = this.records.length
    }
  }

  /** Add fields to the innermost open span (results known only at its end). */
  annotate(fields: Fields): void {
    if (!this.enabled) return
    const top = this.open[this.open.length - 1]
    if (top) Object.assign(top, fields)
  }

  /** One observation or state change record; returns it so callers may attach changes. */
  entry(kind: string, actor: Actor, fields: Fields = {}): JRecord | undefined {
    if (!this.enabled) return undefined
    const rec: JRecord = { kind, actor, depth: this.depth, ...fields }
    this.records.push(rec)
    return rec
  }

  /** A journaled map. Create all maps before the run starts (their ids are positional). */
  map<K extends string | number, V>(name: string, owner: Actor): JMap<K, V> {
    const m = new JMap<K, V>(this, this.mapCount++, name, owner)
    this.mapNames.push(name)
    this.maps.push(m)
    return m
  }

  /** Attach a change to the record given, or to a fresh `state` record. */
  change(c: Change, actor: Actor, rec?: JRecord): void {
    if (!this.enabled) return
    if (rec) this.noteTarget(rec)
    const target = rec ?? this.entry('state', actor, { map: this.mapNames[c[0]], key: c[1] })!
    ;(target.changes ??= []).push(c)
  }

  memChange(m: MemChange, actor: Actor, rec?: JRecord): void {
    if (!this.enabled) return
    if (rec) this.noteTarget(rec)
    const target = rec ?? this.entry('mem.write', actor, { pa: m.pa, size: m.value.length })!
    ;(target.mem ??= []).push(m)
  }

  /** Note a change given to a record older than the newest one that is not an open span. */
  private noteTarget(rec: JRecord): void {
    const n = this.records.length
    if (rec === this.records[n - 1] || this.open.includes(rec)) return
    // One record often takes many (a bulk build's allocation record): one entry each, widened.
    const last = this.late[this.late.length - 1] as [at: number, when: number] | undefined
    if (last && this.records[last[0]] === rec) {
      last[1] = n
      return
    }
    const at = this.records.lastIndexOf(rec)
    if (at >= 0) this.late.push([at, n])
  }

  /**
   * Whether the journal can be cut back to `length` records and recorded on
   * from there, as if records [length, ...) had never been made: no span is
   * open across the cut (depth 0 at it: `length` is a record of depth 0, or
   * the end), and no change made after the cut was given to a record before it.
   */
  resumableAt(length: number): boolean {
    if (length < 0 || length > this.records.length || this.open.length > 0) return false
    if (length < this.records.length && this.records[length].depth !== 0) return false
    return this.late.every(([at, when]) => at >= length || when <= length)
  }

  /**
   * Cut the journal back to its first `length` records (see `resumableAt`).
   * State is not touched: the caller restores maps and memory to match.
   */
  truncate(length: number): void {
    if (!this.resumableAt(length)) throw new RangeError(`the journal cannot be cut back to ${length} records`)
    this.records.length = length
    for (let k = this.late.length - 1; k >= 0; k--) if (this.late[k][1] > length) this.late.splice(k, 1)
  }
}

/**
 * A Map whose every set/delete is a journal change. Values must be treated
 * as immutable: replace them, never mutate in place.
 */
export class JMap<K extends string | number, V> {
  private readonly m = new Map<K, V>()
  /** Record that receives this map's next changes (set by `into`). */
  private target: JRecord | undefined

  constructor(
    private readonly j: Journal,
    readonly id: number,
    readonly name: string,
    readonly owner: Actor,
  ) {}

  get size(): number {
    return this.m.size
  }

  get(k: K): V | undefined {
    return this.m.get(k)
  }

  has(k: K): boolean {
    return this.m.has(k)
  }

  entries(): IterableIterator<[K, V]> {
    return this.m.entries()
  }

  keys(): IterableIterator<K> {
    return this.m.keys()
  }

  values(): IterableIterator<V> {
    return this.m.values()
  }

  set(k: K, v: V, rec?: JRecord): void {
    if (!this.j.enabled) {
      this.m.set(k, v)
      return
    }
    const old = this.m.get(k)
    if (old === v) return
    this.m.set(k, v)
    this.j.change([this.id, k, old, v], this.owner, rec ?? this.target)
  }

  delete(k: K, rec?: JRecord): boolean {
    if (!this.j.enabled) return this.m.delete(k)
    // Values are never undefined (poke deletes for undefined), so one lookup tells presence.
    const old = this.m.get(k)
    if (old === undefined) return false
    this.m.delete(k)
    this.j.change([this.id, k, old, undefined], this.owner, rec ?? this.target)
    return true
  }

  clear(rec?: JRecord): void {
    for (const k of [...this.m.keys()]) this.delete(k, rec)
  }

  /** Route the changes made by `fn` to `rec` (e.g. a tlb.invalidate record). */
  into<T>(rec: JRecord | undefined, fn: () => T): T {
    const prev = this.target
    this.target = rec
    try {
      return fn()
    } finally {
      this.target = prev
    }
  }

  /** Replay only: set without recording. */
  poke(k: K, v: V | undefined): void {
    if (v === undefined) this.m.delete(k)
    else this.m.set(k, v)
  }

  /**
   * Replay only: put the keys in `order` first, in that order (a rewind
   * re-inserts deleted keys at the end of the Map, where a run that never
   * deleted them would not have them; iteration order is part of the state).
   */
  reorder(order: readonly K[]): void {
    const old = new Map(this.m)
    this.m.clear()
    for (const k of order) if (old.has(k)) this.m.set(k, old.get(k)!)
    for (const [k, v] of old) if (!this.m.has(k)) this.m.set(k, v)
  }

  snapshot(): Map<K, V> {
    return new Map(this.m)
  }
}
