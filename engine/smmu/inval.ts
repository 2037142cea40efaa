/**
 * The scope of a TLB invalidation command: which input addresses it names,
 * decoded from the command's Address/TG/NUM/SCALE/TTL/Leaf fields
 * (IHI 0070 §4.4, TLB invalidation; range invalidation is SMMUv3.2 IDR3.RIL).
 *
 * Pure: no state, no journal. The command decoder hands over field values
 * (already extracted by the command layout); this file only gives them meaning.
 */
import type { Granule } from './types'

/** Field values of a TLBI command, named as in the specification. */
export interface TlbiFields {
  /** Address[63:12] in place (bits 11:0 are not part of the field and are ignored). */
  readonly Address?: number | bigint
  readonly TG?: number
  readonly NUM?: number
  readonly SCALE?: number
  readonly TTL?: number
  readonly Leaf?: number | boolean
  readonly ASID?: number
  readonly VMID?: number
}

/** What a TLBI command covers, in input pages (address >> 12). */
export interface InvalScope {
  /** ASID to match; absent: any ASID (NH_VAA, S2_IPA). */
  readonly asid?: number
  /** VMID to match; absent: any VMID. -1 names entries with no VMID (S2P = 0). */
  readonly vmid?: number
  /** First input page: Address >> 12, < 2^52 (a TT1 address keeps its top bits). */
  readonly start: number
  /** Number of 4K frames covered, from `start`. 1 for a single address (TG = 0). */
  readonly pages: number
  /** log2 of the TG granule; null when TG = 0 (no range: one address). */
  readonly granule: Granule | null
  /** TTL hint: level of the leaf entries to invalidate; 0 = no hint (always 0 when TG = 0). */
  readonly ttl: number
  /** Leaf: only last-level entries need go. The IOTLB holds leaf entries only, so it changes nothing. */
  readonly leaf: boolean
}

const TG_GRANULE: Record<number, Granule | undefined> = { 1: 12, 2: 14, 3: 16 }

function inputPage(address: number | bigint | undefined): number {
  if (address === undefined) return 0
  if (typeof address === 'bigint') return Number(BigInt.asUintN(64, address) >> 12n)
  return Math.floor(address / 4096)
}

/**
 * Decode a TLBI command's address scope (IHI 0070 §4.4, range invalidation).
 *
 * - TG = 0: a single address; NUM, SCALE and TTL are not used (TTL only means
 *   something together with the granule TG names), so `ttl` is 0.
 * - TG = 1/2/3 (4K/16K/64K): (NUM + 1) × 2^SCALE granules starting at Address.
 */
export function decodeScope(f: TlbiFields): InvalScope {
  const start = inputPage(f.Address)
  const leaf = f.Leaf === true || f.Leaf === 1
  const granule = TG_GRANULE[f.TG ?? 0] ?? null
  const ids: { asid?: number; vmid?: number } = {}
  if (f.ASID !== undefined) ids.asid = f.ASID
  if (f.VMID !== undefined) ids.vmid = f.VMID
  if (granule === null) return { ...ids, start, pages: 1, granule: null, ttl: 0, leaf }
  const count = ((f.NUM ?? 0) + 1) * 2 ** (f.SCALE ?? 0)
  return { ...ids, start, pages: count * 2 ** (granule - 12), granule, ttl: f.TTL ?? 0, leaf }
}
