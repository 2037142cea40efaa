/**
 * Page ownership as pKVM tracks it (arch/arm64/kvm/hyp/nvhe/mem_protect.c):
 * per page, the host's state, the hypervisor's state, the hypervisor's pin
 * count (hyp_pin_shared_mem) and host_share_guest_count; per guest, the
 * leaves of its stage 2 with their software state.
 *
 * Only exceptions are stored: a page absent from the maps is in its default
 * state (host OWNED, hyp NOPAGE, no pins, no guest shares), so 8 GiB of RAM
 * costs nothing until pages change. Every change is one `own` record per run
 * of pages (`pa`, `size`, `owner`, `state`), carrying the map changes, so
 * ReplayState restores ownership at any cursor.
 *
 * This file holds state and its journaling only; the transitions with their
 * checks and return codes are in hypercalls.ts.
 */

import type { Journal, JMap, JRecord } from '../journal/journal'

/** enum pkvm_page_state (mem_protect.h). */
export const PAGE_STATE = { OWNED: 0, SHARED_OWNED: 1, SHARED_BORROWED: 2, NOPAGE: 3 } as const
export type PageState = keyof typeof PAGE_STATE

/**
 * How hyp_vmemmap stores the hypervisor's state: complemented
 * (get_hyp_state / set_hyp_state XOR with PKVM_PAGE_STATE_MASK), so a zeroed
 * vmemmap means NOPAGE. The model keeps the meaning; this is the encoding.
 */
export function encodeHypState(s: PageState): number {
  return ~PAGE_STATE[s] & 3
}

/** pkvm_component_id: who a host-stage-2 annotation names as owner (bits [9:2] of the invalid PTE). */
export const OWNER_ID = { host: 0, hyp: 1, guest: 2 } as const

/** 'host', 'hyp', or a guest's name. */
export type Owner = string

export interface MemRange {
  readonly base: number
  readonly size: number
}

/** The host's view of a page: its state and, when NOPAGE, who owns the page. */
export interface HostPage {
  readonly state: PageState
  readonly owner: Owner
}

/** One leaf of a guest's stage 2 at EL2 (key: its first gfn). */
export interface GuestLeaf {
  readonly gfn: number
  readonly pfn: number
  /** 1, or the pages of a last-level-but-one block (PMD_SIZE / PAGE_SIZE). */
  readonly pages: number
  readonly state: PageState
  /** KVM_PGTABLE_PROT_* bits: X 1, W 2, R 4. */
  readonly prot: number
  /** Access flag: set on map, cleared by test_clear_young(mkold), set by mkyoung. */
  readonly young: boolean
}

export interface GuestConfig {
  readonly name: string
  /** A protected VM: memory is donated (owner GUEST), not shared. */
  readonly protected?: boolean
}

export interface OwnershipOptions {
  /** The host's memory (memblock regions); everything else is MMIO. */
  readonly memory: readonly MemRange[]
  /** log2 PAGE_SIZE: 12, 14 or 16. */
  readonly pageShift: number
  /** Host IPA size (kvm_phys_shift): pfn_range_is_valid's limit. Default 48. */
  readonly paBits?: number
  readonly guests?: readonly GuestConfig[]
}

/** host_stage2_set_owner_locked callback: the range's owner changed (the identity map follows it). */
export type OwnerListener = (pa: number, size: number, owner: Owner) => void

const HOST_OWNED: HostPage = Object.freeze({ state: 'OWNED', owner: 'host' })

export class Ownership {
  readonly pageShift: number
  readonly pageSize: number
  readonly paBits: number
  readonly memory: readonly MemRange[]
  readonly guests: ReadonlyMap<string, GuestConfig>
  /** pfn → HostPage (absent: OWNED by the host). */
  readonly hostMap: JMap<number, HostPage>
  /** pfn → state (absent: NOPAGE). */
  readonly hypMap: JMap<number, PageState>
  /** pfn → hyp pin count (absent: 0). */
  readonly pinMap: JMap<number, number>
  /** pfn → host_share_guest_count (absent: 0). */
  readonly shareMap: JMap<number, number>
  /** Per guest: first gfn of a leaf → leaf. */
  readonly guestMaps: ReadonlyMap<string, JMap<number, GuestLeaf>>
  private readonly listeners: OwnerListener[] = []
  /** Interned HostPage values, so a million NOPAGE pages share one object (at most states x owners of them: never pruned, never large). */
  private readonly interned = new Map<string, HostPage>()

  constructor(
    private readonly j: Journal,
    opts: OwnershipOptions,
  ) {
    if (![12, 14, 16].includes(opts.pageShift)) throw new RangeError(`PAGE_SIZE 2^${opts.pageShift} is not 4K, 16K or 64K`)
    this.pageShift = opts.pageShift
    this.pageSize = 2 ** opts.pageShift
    this.paBits = opts.paBits ?? 48
    this.memory = [...opts.memory].sort((a, b) => a.base - b.base)
    for (const r of this.memory) {
      if (r.base % this.pageSize || r.size % this.pageSize || r.size <= 0) throw new RangeError(`memory 0x${r.base.toString(16)}+0x${r.size.toString(16)} is not PAGE_SIZE aligned`)
    }
    this.hostMap = j.map('hyp.own.host', 'hyp')
    this.hypMap = j.map('hyp.own.hyp', 'hyp')
    this.pinMap = j.map('hyp.own.pins', 'hyp')
    this.shareMap = j.map('hyp.own.host_share_guest_count', 'hyp')
    const guests = new Map<string, GuestConfig>()
    const maps = new Map<string, JMap<number, GuestLeaf>>()
    for (const g of opts.guests ?? []) {
      if (g.name === 'host' || g.name === 'hyp' || guests.has(g.name)) throw new RangeError(`guest name '${g.name}' is taken`)
      guests.set(g.name, g)
      maps.set(g.name, j.map(`hyp.own.guest.${g.name}`, 'hyp'))
    }
    this.guests = guests
    this.guestMaps = maps
  }

  pfn(pa: number): number {
    return Math.floor(pa / this.pageSize)
  }

  /** The memory region holding `pa`, or undefined for MMIO. */
  region(pa: number): MemRange | undefined {
    for (const r of this.memory) if (pa >= r.base && pa < r.base + r.size) return r
    return undefined
  }

  isMemory(pa: number): boolean {
    return this.region(pa) !== undefined
  }

  // ---- reads -----------------------------------------------------------------

  host(pa: number): HostPage {
    return this.hostMap.get(this.pfn(pa)) ?? HOST_OWNED
  }

  hyp(pa: number): PageState {
    return this.hypMap.get(this.pfn(pa)) ?? 'NOPAGE'
  }

  pins(pa: number): number {
    return this.pinMap.get(this.pfn(pa)) ?? 0
  }

  shareCount(pa: number): number {
    return this.shareMap.get(this.pfn(pa)) ?? 0
  }

  /** The guest leaf mapping `gfn` (a page leaf at gfn, or a block leaf covering it). */
  guestLeaf(guest: string, gfn: number, blockPages: number): GuestLeaf | undefined {
    const m = this.guestMap(guest)
    const page = m.get(gfn)
    if (page) return page
    const base = gfn - (gfn % blockPages)
    const block = m.get(base)
    return block && block.pages > 1 && gfn < base + block.pages ? block : undefined
  }

  guestMap(guest: string): JMap<number, GuestLeaf> {
    const m = this.guestMaps.get(guest)
    if (!m) throw new RangeError(`no guest named '${guest}'`)
    return m
  }

  /** Host pages not owned by the host (NOPAGE), sorted by pfn: what the identity map leaves out. */
  hostExcluded(): number[] {
    const out: number[] = []
    for (const [pfn, p] of this.hostMap.entries()) if (p.state === 'NOPAGE') out.push(pfn)
    return out.sort((a, b) => a - b)
  }

  /** Subscribe to host_stage2_set_owner_locked (the IOMMU identity map does). */
  onOwnerChange(fn: OwnerListener): void {
    this.listeners.push(fn)
  }

  // ---- writes (no checks: hypercalls.ts decides) -----------------------------

  /**
   * host_stage2_set_owner_locked: the host gets the range back (owner
   * 'host', state OWNED) or loses it (NOPAGE, owned by hyp or a guest).
   * Listeners hear of it after the state changed.
   */
  setHostOwner(pa: number, pages: number, owner: Owner): void {
    this.setHost(pa, pages, owner === 'host' ? HOST_OWNED : this.intern('NOPAGE', owner))
    for (const fn of this.listeners) fn(pa, pages * this.pageSize, owner)
  }

  /** __host_update_page_state: a sharing state (the owner stays the host). */
  setHostState(pa: number, pages: number, state: PageState): void {
    this.setHost(pa, pages, state === 'OWNED' ? HOST_OWNED : this.intern(state, 'host'))
  }

  /** __hyp_set_page_state_range. */
  setHypState(pa: number, pages: number, state: PageState): void {
    const rec = this.record(pa, pages, 'hyp', state === 'SHARED_BORROWED' || state === 'NOPAGE' ? 'host' : 'hyp', state)
    const first = this.pfn(pa)
    for (let k = 0; k < pages; k++) {
      if (state === 'NOPAGE') this.hypMap.delete(first + k, rec)
      else this.hypMap.set(first + k, state, rec)
    }
  }

  /** Add `delta` to each page's pin count (hyp_page_ref_inc / _dec). */
  addPins(pa: number, pages: number, delta: number): void {
    this.addCount(this.pinMap, 'own.pin', pa, pages, delta)
  }

  /** Add `delta` to each page's host_share_guest_count. */
  addShareCount(pa: number, pages: number, delta: number): void {
    this.addCount(this.shareMap, 'own.share_guest_count', pa, pages, delta)
  }

  /** Install, replace (leaf given) or remove (undefined) the guest leaf at `gfn`. */
  setGuestLeaf(guest: string, gfn: number, leaf: GuestLeaf | undefined): void {
    const m = this.guestMap(guest)
    const old = m.get(gfn)
    const shown = leaf ?? old
    const rec = this.j.entry('own', 'hyp', {
      pa: shown ? shown.pfn * this.pageSize : 0,
      size: (shown?.pages ?? 1) * this.pageSize,
      of: guest,
      owner: leaf?.state === 'OWNED' ? guest : 'host',
      ipa: gfn * this.pageSize,
      state: leaf?.state ?? 'NOPAGE',
      ...(leaf ? { prot: leaf.prot, young: leaf.young } : {}),
    })
    if (leaf) m.set(gfn, Object.freeze({ ...leaf }), rec)
    else m.delete(gfn, rec)
  }

  private setHost(pa: number, pages: number, v: HostPage): void {
    const rec = this.record(pa, pages, 'host', v.state === 'NOPAGE' ? v.owner : 'host', v.state)
    const first = this.pfn(pa)
    for (let k = 0; k < pages; k++) {
      if (v === HOST_OWNED) this.hostMap.delete(first + k, rec)
      else this.hostMap.set(first + k, v, rec)
    }
  }

  private addCount(map: JMap<number, number>, kind: string, pa: number, pages: number, delta: number): void {
    const first = this.pfn(pa)
    const rec = this.j.entry(kind, 'hyp', { pa, size: pages * this.pageSize, delta })
    for (let k = 0; k < pages; k++) {
      const n = (map.get(first + k) ?? 0) + delta
      if (n < 0) throw new RangeError(`${kind} of pfn 0x${(first + k).toString(16)} would go below 0`)
      if (n === 0) map.delete(first + k, rec)
      else map.set(first + k, n, rec)
    }
  }

  /**
   * The `own` record of one run (the DESIGN.md trace contract: pa, owner,
   * state), plus `of`: whose view of the page changed (host, hyp or a guest).
   */
  private record(pa: number, pages: number, of: Owner, owner: Owner, state: PageState): JRecord | undefined {
    return this.j.entry('own', 'hyp', { pa, size: pages * this.pageSize, of, owner, state })
  }

  private intern(state: PageState, owner: Owner): HostPage {
    const key = `${state}:${owner}`
    let v = this.interned.get(key)
    if (!v) {
      v = Object.freeze({ state, owner })
      this.interned.set(key, v)
    }
    return v
  }
}

/** The host's page as replay sees it: a map value (or its absence) read back. */
export function hostPageOf(entry: unknown): HostPage {
  return (entry as HostPage | undefined) ?? HOST_OWNED
}
