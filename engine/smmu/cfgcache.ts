/**
 * The configuration cache: the decoded STE (+ CD) for each (StreamID,
 * SubstreamID), and the CFGI_* commands that drop it (IHI 0070 §4.3).
 *
 * Architecture vs QEMU: CMD_CFGI_CD names one CD, the one for SubstreamID SSID
 * of StreamID SID (IHI 0070 §4.3, CMD_CFGI_CD); QEMU drops the whole SID's
 * config. smmuscope follows the architecture: other SubstreamIDs keep their
 * entries. CFGI_CD and CFGI_CD_ALL drop only configurations that include a
 * CD (stage 1 or nested): an S2-only, bypass or abort configuration caches
 * no CD, and a CD invalidation does not invalidate STEs. CFGI_STE drops every
 * SubstreamID of the SID, because each cached configuration was reached
 * through that STE (its CD table pointer, S1CDMax, S2 fields).
 *
 * Failed decodes are not cached (the device inserts only what decoded); there
 * is no capacity limit, as in QEMU's per-device table.
 */
import type { JMap, JRecord, Journal } from '../journal/journal'
import type { TransConfig } from './types'

/**
 * SubstreamIDs are at most 20 bits (IDR1.SSIDSIZE ≤ 20), StreamIDs at most 32.
 * SSID -1 is a transaction without a SubstreamID (SSV=0): its own slot.
 */
const SSID_SPAN = 2 ** 20 + 1
const SID_SPAN = 2 ** 32

function key(sid: number, ssid: number): number {
  if (!Number.isInteger(sid) || sid < 0 || sid >= SID_SPAN) throw new RangeError(`config cache: StreamID ${sid} out of range`)
  if (!Number.isInteger(ssid) || ssid < -1 || ssid >= SSID_SPAN - 1) throw new RangeError(`config cache: SubstreamID ${ssid} out of range`)
  return sid * SSID_SPAN + ssid + 1
}

function sidOf(k: number): number {
  return Math.floor(k / SSID_SPAN)
}

function hasCd(c: TransConfig): boolean {
  return c.kind === 's1' || c.kind === 'nested'
}

export class ConfigCache {
  private readonly j: Journal
  private readonly map: JMap<number, TransConfig>
  private readonly stats: JMap<'hit' | 'miss', number>

  /** The last hit (a derived memo, forgotten on every change): its StreamID, SubstreamID and config. */
  private lastSid = -1
  private lastSsid = -2
  private lastCfg: TransConfig | undefined

  constructor(journal: Journal) {
    this.j = journal
    this.map = journal.map<number, TransConfig>('cfgcache', 'smmu')
    this.stats = journal.map<'hit' | 'miss', number>('cfgcache.stats', 'smmu')
  }

  get size(): number {
    return this.map.size
  }

  get hits(): number {
    return this.stats.get('hit') ?? 0
  }

  get misses(): number {
    return this.stats.get('miss') ?? 0
  }

  /** Cached configurations in (SID, SSID) order. */
  contents(): TransConfig[] {
    return [...this.map.entries()].sort((a, b) => a[0] - b[0]).map(([, c]) => c)
  }

  /** After the map was restored behind this object's back: forget the last-hit memo. */
  restore(): void {
    this.forget()
  }

  private forget(): void {
    this.lastSid = -1
    this.lastSsid = -2
    this.lastCfg = undefined
  }

  /** The cached configuration for (sid, ssid); counts a hit or a miss. */
  lookup(sid: number, ssid: number): TransConfig | undefined {
    // The last hit is remembered: a device streaming through one context
    // costs no key computation and no map lookup.
    let c = sid === this.lastSid && ssid === this.lastSsid ? this.lastCfg : undefined
    if (c === undefined) {
      c = this.map.get(key(sid, ssid))
      if (c) {
        this.lastSid = sid
        this.lastSsid = ssid
        this.lastCfg = c
      }
    }
    // Hit/miss counts are for the journal's readers: with the journal off
    // (benchmarks) nothing is counted, keeping the hot path to one lookup.
    if (!this.j.enabled) return c
    const which = c ? 'hit' : 'miss'
    const rec = this.j.entry(c ? 'cfg.hit' : 'cfg.miss', 'smmu', { sid, ssid, ...(c ? { config: c.kind } : {}) })
    this.stats.set(which, (this.stats.get(which) ?? 0) + 1, rec)
    return c
  }

  insert(cfg: TransConfig): void {
    this.forget()
    const k = key(cfg.sid, cfg.ssid)
    if (this.map.get(k) === cfg) return
    const rec = this.j.enabled ? this.j.entry('cfg.insert', 'smmu', { sid: cfg.sid, ssid: cfg.ssid, config: cfg.kind, steAddr: cfg.steAddr, cdAddr: cfg.cdAddr }) : undefined
    this.map.set(k, cfg, rec)
  }

  /** CMD_CFGI_STE: the STE of `sid`, and so every configuration reached through it. */
  invalidateSte(sid: number): number {
    return this.drop({ command: 'CFGI_STE', sid }, (k) => sidOf(k) === sid)
  }

  /**
   * CMD_CFGI_STE_RANGE: StreamIDs sid & ~(2^(Range+1) - 1) up to that plus
   * 2^(Range+1) - 1; Range 31 covers every StreamID (that is CMD_CFGI_ALL).
   */
  invalidateSteRange(sid: number, range: number): number {
    if (range >= 31) return this.drop({ command: 'CFGI_ALL', sid, range }, () => true)
    const span = 2 ** (range + 1)
    const start = sid - (sid % span)
    const end = start + span - 1
    return this.drop({ command: 'CFGI_STE_RANGE', sid, range, start, end }, (k) => {
      const s = sidOf(k)
      return s >= start && s <= end
    })
  }

  /** CMD_CFGI_CD: the CD of SubstreamID `ssid` of `sid` only (not QEMU's whole SID). */
  invalidateCd(sid: number, ssid: number): number {
    const k = key(sid, ssid)
    return this.drop({ command: 'CFGI_CD', sid, ssid }, (x, c) => x === k && hasCd(c))
  }

  /** CMD_CFGI_CD_ALL: every CD of `sid`. */
  invalidateCdAll(sid: number): number {
    return this.drop({ command: 'CFGI_CD_ALL', sid }, (k, c) => sidOf(k) === sid && hasCd(c))
  }

  /** Everything (CMD_CFGI_ALL, and SMMU reset). */
  invalidateAll(): number {
    return this.drop({ command: 'CFGI_ALL' }, () => true)
  }

  private drop(fields: Record<string, unknown>, pred: (k: number, c: TransConfig) => boolean): number {
    this.forget()
    const rec: JRecord | undefined = this.j.enabled ? this.j.entry('cfg.invalidate', 'smmu', fields) : undefined
    const doomed: number[] = []
    for (const [k, c] of this.map.entries()) if (pred(k, c)) doomed.push(k)
    for (const k of doomed) this.map.delete(k, rec)
    if (rec) rec.count = doomed.length
    return doomed.length
  }
}
