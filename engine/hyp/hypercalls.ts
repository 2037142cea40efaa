/**
 * pKVM memory transitions (arch/arm64/kvm/hyp/nvhe/mem_protect.c) with the
 * checks and return codes the kernel has: each call either changes nothing
 * and returns a negative errno, or makes the whole transition and returns 0.
 * Each call is a `hypercall` span (actor hyp) with its kernel name and
 * arguments, annotated with `ret`.
 *
 * Expected codes follow the kernel's own acceptance test,
 * pkvm_ownership_selftest (NVHE_EL2_DEBUG), and SPEC-FACTS B§8.
 */

import type { Journal } from '../journal/journal'
import type { PhysMem } from '../mem/physmem'
import type { GuestLeaf, Ownership, PageState } from './ownership'

/** Linux errno values (include/uapi/asm-generic/errno-base.h); calls return them negated. */
export const ERRNO = { EPERM: 1, ENOENT: 2, E2BIG: 7, EAGAIN: 11, ENOMEM: 12, EBUSY: 16, EINVAL: 22 } as const

const EPERM = -ERRNO.EPERM
const ENOENT = -ERRNO.ENOENT
const E2BIG = -ERRNO.E2BIG
const EAGAIN = -ERRNO.EAGAIN
const EBUSY = -ERRNO.EBUSY
const EINVAL = -ERRNO.EINVAL

/** enum kvm_pgtable_prot (asm/kvm_pgtable.h): X BIT(0), W BIT(1), R BIT(2). */
export const PROT = { X: 1, W: 2, R: 4, RWX: 7 } as const

/** host_share_guest_count is a u32 in struct hyp_page; a share beyond U32_MAX is -EBUSY. */
const U32_MAX = 0xffff_ffff

/** Name of an errno return, for journal and UI ("-EPERM"); "0" for success. */
export function errName(ret: number): string {
  if (ret >= 0) return String(ret)
  for (const [k, v] of Object.entries(ERRNO)) if (v === -ret) return `-${k}`
  return String(ret)
}

export class Hypercalls {
  private readonly pageSize: number
  /** PMD_SIZE / PAGE_SIZE: the only huge mapping guest transitions accept (kvm_granule_size(LAST_LEVEL − 1)). */
  readonly blockPages: number

  constructor(
    private readonly j: Journal,
    readonly own: Ownership,
    /** Memory, for poisoning pages a protected guest gives back; without it nothing is poisoned. */
    private readonly mem?: PhysMem,
  ) {
    this.pageSize = own.pageSize
    this.blockPages = 2 ** (own.pageShift - 3)
  }

  // ---- boot ------------------------------------------------------------------

  /**
   * Boot-time ownership of the hypervisor's carve-out (fix_host_ownership):
   * host NOPAGE with owner hyp, hyp OWNED. Not a hypercall: it happens
   * before the host runs, so there is nothing to check.
   */
  hypCarveOut(pa: number, pages: number): void {
    this.j.span('hyp.carve_out', 'hyp', { pa, size: pages * this.pageSize }, () => {
      this.own.setHypState(pa, pages, 'OWNED')
      this.own.setHostOwner(pa, pages, 'hyp')
    })
  }

  // ---- host <-> hyp ------------------------------------------------------------

  /** __pkvm_host_share_hyp(pfn): host OWNED, hyp NOPAGE → SHARED_OWNED / SHARED_BORROWED. */
  hostShareHyp(pfn: number): number {
    return this.call('__pkvm_host_share_hyp', { pfn }, () => {
      const pa = this.pa(pfn)
      const r = this.pfnValid(pfn, 1) || this.hostCheck(pa, 1, 'OWNED') || this.hypCheck(pa, 1, 'NOPAGE')
      if (r) return r
      this.own.setHypState(pa, 1, 'SHARED_BORROWED')
      this.own.setHostState(pa, 1, 'SHARED_OWNED')
      return 0
    })
  }

  /** __pkvm_host_unshare_hyp(pfn): the reverse; a pinned page is -EBUSY. */
  hostUnshareHyp(pfn: number): number {
    return this.call('__pkvm_host_unshare_hyp', { pfn }, () => {
      const pa = this.pa(pfn)
      const r = this.pfnValid(pfn, 1) || this.hostCheck(pa, 1, 'SHARED_OWNED') || this.hypCheck(pa, 1, 'SHARED_BORROWED')
      if (r) return r
      // hyp_page_referenced(): the hypervisor still uses it (hyp_pin_shared_mem).
      if (this.own.pins(pa) > 0) return EBUSY
      this.own.setHypState(pa, 1, 'NOPAGE')
      this.own.setHostState(pa, 1, 'OWNED')
      return 0
    })
  }

  /**
   * hyp_pin_shared_mem(from, to): every page of [from, to) (PAs here; hyp
   * VAs in the kernel) must be host SHARED_OWNED and hyp SHARED_BORROWED;
   * each page's refcount goes up.
   */
  hypPinSharedMem(from: number, to: number): number {
    return this.call('hyp_pin_shared_mem', { from, to }, () => {
      const [pa, pages] = this.span(from, to)
      if (pages === 0) return 0
      const r = this.hostCheck(pa, pages, 'SHARED_OWNED') || this.hypCheck(pa, pages, 'SHARED_BORROWED')
      if (r) return r
      this.own.addPins(pa, pages, 1)
      return 0
    })
  }

  /**
   * hyp_unpin_shared_mem(from, to). The kernel's is void and BUG()s on a
   * refcount of 0 (hyp_page_ref_dec); the model refuses with -EINVAL instead
   * and changes nothing.
   */
  hypUnpinSharedMem(from: number, to: number): number {
    return this.call('hyp_unpin_shared_mem', { from, to }, () => {
      const [pa, pages] = this.span(from, to)
      for (let k = 0; k < pages; k++) if (this.own.pins(pa + k * this.pageSize) === 0) return EINVAL
      if (pages) this.own.addPins(pa, pages, -1)
      return 0
    })
  }

  /** __pkvm_host_donate_hyp(pfn, nr_pages): host OWNED → NOPAGE (owner hyp), hyp OWNED; the identity map unmaps. */
  hostDonateHyp(pfn: number, nrPages: number): number {
    return this.call('__pkvm_host_donate_hyp', { pfn, nr_pages: nrPages }, () => {
      const pa = this.pa(pfn)
      const r = this.pfnValid(pfn, nrPages) || this.hostCheck(pa, nrPages, 'OWNED') || this.hypCheck(pa, nrPages, 'NOPAGE')
      if (r) return r
      this.own.setHypState(pa, nrPages, 'OWNED')
      this.own.setHostOwner(pa, nrPages, 'hyp')
      return 0
    })
  }

  /** __pkvm_hyp_donate_host(pfn, nr_pages): hyp OWNED, host NOPAGE → the reverse; the identity map maps. */
  hypDonateHost(pfn: number, nrPages: number): number {
    return this.call('__pkvm_hyp_donate_host', { pfn, nr_pages: nrPages }, () => {
      const pa = this.pa(pfn)
      const r = this.pfnValid(pfn, nrPages) || this.hypCheck(pa, nrPages, 'OWNED') || this.hostCheck(pa, nrPages, 'NOPAGE')
      if (r) return r
      this.own.setHypState(pa, nrPages, 'NOPAGE')
      this.own.setHostOwner(pa, nrPages, 'host')
      return 0
    })
  }

  /**
   * __pkvm_host_donate_hyp_mmio (v6 "MMIO donation"): the SMMU's register
   * frame leaves the host, so its accesses trap. MMIO only (memory is
   * -EPERM). The series donates it before the identity map is built, which
   * therefore leaves it out; MMIO is never donated afterwards.
   */
  hostDonateHypMmio(pfn: number, nrPages: number): number {
    return this.call('__pkvm_host_donate_hyp_mmio', { pfn, nr_pages: nrPages }, () => {
      const pa = this.pa(pfn)
      let r = this.pfnValid(pfn, nrPages) || this.sameRegion(pa, nrPages)
      if (r) return r
      if (this.own.isMemory(pa)) return EPERM
      r = this.statesAre(pa, nrPages, (p) => this.own.host(p).state === 'OWNED') || this.hypCheck(pa, nrPages, 'NOPAGE')
      if (r) return r
      this.own.setHypState(pa, nrPages, 'OWNED')
      this.own.setHostOwner(pa, nrPages, 'hyp')
      return 0
    })
  }

  // ---- FF-A (called by the hypervisor's FF-A proxy, not by the host directly) --

  /** __pkvm_host_share_ffa(pfn, nr_pages): host OWNED → SHARED_OWNED. */
  hostShareFfa(pfn: number, nrPages: number): number {
    return this.call('__pkvm_host_share_ffa', { pfn, nr_pages: nrPages }, () => {
      const pa = this.pa(pfn)
      const r = this.pfnValid(pfn, nrPages) || this.hostCheck(pa, nrPages, 'OWNED')
      if (r) return r
      this.own.setHostState(pa, nrPages, 'SHARED_OWNED')
      return 0
    })
  }

  /**
   * __pkvm_host_unshare_ffa(pfn, nr_pages): host SHARED_OWNED → OWNED. Like
   * the kernel it looks at the host state only: the FF-A proxy pairs it
   * with its own share.
   */
  hostUnshareFfa(pfn: number, nrPages: number): number {
    return this.call('__pkvm_host_unshare_ffa', { pfn, nr_pages: nrPages }, () => {
      const pa = this.pa(pfn)
      const r = this.pfnValid(pfn, nrPages) || this.hostCheck(pa, nrPages, 'SHARED_OWNED')
      if (r) return r
      this.own.setHostState(pa, nrPages, 'OWNED')
      return 0
    })
  }

  // ---- guests ------------------------------------------------------------------

  /**
   * __pkvm_host_share_guest(pfn, gfn, nr_pages, vcpu, prot): the guest maps
   * the pages SHARED_BORROWED; the host keeps them (SHARED_OWNED, count++),
   * so the identity map does not change.
   */
  hostShareGuest(pfn: number, gfn: number, nrPages: number, guest: string, prot: number): number {
    return this.call('__pkvm_host_share_guest', { pfn, gfn, nr_pages: nrPages, guest, prot }, () => {
      if (prot & ~PROT.RWX) return EINVAL
      let r = this.pfnValid(pfn, nrPages) || this.transitionSize(pfn, gfn, nrPages)
      if (r) return r
      const pa = this.pa(pfn)
      r = this.allowedMemory(pa, nrPages)
      if (r) return r
      if (this.guestRangeUsed(guest, gfn, nrPages)) return EPERM
      for (let k = 0; k < nrPages; k++) {
        const p = pa + k * this.pageSize
        const s = this.own.host(p).state
        if (s === 'OWNED') continue
        if (s === 'SHARED_OWNED') {
          const n = this.own.shareCount(p)
          if (n === U32_MAX) return EBUSY
          // Only host → non-protected guest multi-sharing is tolerated.
          if (n > 0) continue
        }
        return EPERM
      }
      this.own.setHostState(pa, nrPages, 'SHARED_OWNED')
      this.own.addShareCount(pa, nrPages, 1)
      this.own.setGuestLeaf(guest, gfn, { gfn, pfn, pages: nrPages, state: 'SHARED_BORROWED', prot, young: true })
      return 0
    })
  }

  /**
   * __pkvm_host_unshare_guest(gfn, nr_pages, vm): the leaf at gfn must be a
   * SHARED_BORROWED leaf of exactly that size (none: -ENOENT; another size:
   * -E2BIG); count--, and the host gets OWNED back when the count reaches 0.
   */
  hostUnshareGuest(gfn: number, nrPages: number, guest: string): number {
    return this.call('__pkvm_host_unshare_guest', { gfn, nr_pages: nrPages, guest }, () => {
      let r = this.transitionSize(0, gfn, nrPages)
      if (r) return r
      const leaf = this.own.guestLeaf(guest, gfn, this.blockPages)
      if (!leaf) return ENOENT
      if (leaf.pages !== nrPages) return E2BIG
      if (leaf.state !== 'SHARED_BORROWED') return EPERM
      const pa = this.pa(leaf.pfn)
      r = this.allowedMemory(pa, leaf.pages)
      if (r) return r
      for (let k = 0; k < leaf.pages; k++) {
        const p = pa + k * this.pageSize
        if (this.own.host(p).state !== 'SHARED_OWNED') return EPERM
        if (this.own.shareCount(p) === 0) return EINVAL
      }
      this.own.setGuestLeaf(guest, leaf.gfn, undefined)
      this.own.addShareCount(pa, leaf.pages, -1)
      // Pages whose count reached 0 go back to OWNED, one record per run.
      let runStart = -1
      for (let k = 0; k <= leaf.pages; k++) {
        const done = k < leaf.pages && this.own.shareCount(pa + k * this.pageSize) === 0
        if (done && runStart < 0) runStart = k
        if (!done && runStart >= 0) {
          this.own.setHostState(pa + runStart * this.pageSize, k - runStart, 'OWNED')
          runStart = -1
        }
      }
      return 0
    })
  }

  /**
   * __pkvm_host_donate_guest(pfn, gfn, nr_pages, vcpu): memory for a
   * protected guest: host NOPAGE (owner the guest), guest OWNED; the
   * identity map unmaps.
   */
  hostDonateGuest(pfn: number, gfn: number, nrPages: number, guest: string): number {
    return this.call('__pkvm_host_donate_guest', { pfn, gfn, nr_pages: nrPages, guest }, () => {
      const pa = this.pa(pfn)
      const r = this.pfnValid(pfn, nrPages) || this.transitionSize(pfn, gfn, nrPages) || this.hostCheck(pa, nrPages, 'OWNED')
      if (r) return r
      if (this.guestRangeUsed(guest, gfn, nrPages)) return EPERM
      this.own.setHostOwner(pa, nrPages, guest)
      this.own.setGuestLeaf(guest, gfn, { gfn, pfn, pages: nrPages, state: 'OWNED', prot: PROT.RWX, young: true })
      return 0
    })
  }

  /**
   * __pkvm_host_reclaim_page_guest(gfn, nr_pages, vm): a protected guest's
   * OWNED page comes back to the host, poisoned (zeroed) first; the identity
   * map maps it again.
   */
  hostReclaimGuest(gfn: number, nrPages: number, guest: string): number {
    return this.call('__pkvm_host_reclaim_page_guest', { gfn, nr_pages: nrPages, guest }, () => {
      const r = this.transitionSize(0, gfn, nrPages)
      if (r) return r
      if (!this.isProtected(guest)) return EPERM
      const leaf = this.own.guestLeaf(guest, gfn, this.blockPages)
      if (!leaf) return ENOENT
      if (leaf.pages !== nrPages) return E2BIG
      if (leaf.state !== 'OWNED') return EPERM
      const pa = this.pa(leaf.pfn)
      this.poison(pa, leaf.pages)
      this.own.setGuestLeaf(guest, leaf.gfn, undefined)
      this.own.setHostOwner(pa, leaf.pages, 'host')
      return 0
    })
  }

  /**
   * __pkvm_host_relax_perms_guest(gfn, vcpu, prot): add permissions to the
   * leaf at gfn. Protected guests: -EPERM; prot outside RWX: -EINVAL; no
   * leaf: -EAGAIN (stage2_attr_walker on an invalid PTE).
   */
  hostRelaxPermsGuest(gfn: number, guest: string, prot: number): number {
    return this.call('__pkvm_host_relax_perms_guest', { gfn, guest, prot }, () => {
      if (this.isProtected(guest)) return EPERM
      if (prot & ~PROT.RWX) return EINVAL
      const leaf = this.own.guestLeaf(guest, gfn, this.blockPages)
      if (!leaf) return EAGAIN
      this.replaceLeaf(guest, leaf, { prot: leaf.prot | prot })
      return 0
    })
  }

  /** __pkvm_host_wrprotect_guest(gfn, nr_pages, vm): clear W on every leaf in the range (holes are skipped). */
  hostWrprotectGuest(gfn: number, nrPages: number, guest: string): number {
    return this.call('__pkvm_host_wrprotect_guest', { gfn, nr_pages: nrPages, guest }, () => {
      if (this.isProtected(guest)) return EPERM
      const r = this.transitionSize(0, gfn, nrPages)
      if (r) return r
      for (const leaf of this.leavesIn(guest, gfn, nrPages)) {
        if (leaf.prot & PROT.W) this.replaceLeaf(guest, leaf, { prot: leaf.prot & ~PROT.W })
      }
      return 0
    })
  }

  /**
   * __pkvm_host_test_clear_young_guest(gfn, nr_pages, mkold, vm): 1 when a
   * leaf in the range has its access flag set (cleared when mkold), else 0.
   */
  hostTestClearYoungGuest(gfn: number, nrPages: number, mkold: boolean, guest: string): number {
    return this.call('__pkvm_host_test_clear_young_guest', { gfn, nr_pages: nrPages, mkold, guest }, () => {
      if (this.isProtected(guest)) return EPERM
      const r = this.transitionSize(0, gfn, nrPages)
      if (r) return r
      let young = false
      for (const leaf of this.leavesIn(guest, gfn, nrPages)) {
        if (!leaf.young) continue
        young = true
        if (mkold) this.replaceLeaf(guest, leaf, { young: false })
      }
      return young ? 1 : 0
    })
  }

  /** __pkvm_host_mkyoung_guest(gfn, vcpu): set the access flag of the leaf at gfn. */
  hostMkyoungGuest(gfn: number, guest: string): number {
    return this.call('__pkvm_host_mkyoung_guest', { gfn, guest }, () => {
      if (this.isProtected(guest)) return EPERM
      const leaf = this.own.guestLeaf(guest, gfn, this.blockPages)
      if (leaf && !leaf.young) this.replaceLeaf(guest, leaf, { young: true })
      return 0
    })
  }

  // ---- ranges, as the SMMU half uses them -------------------------------------

  /**
   * Page-aligned ranges over the per-page calls (smmu_share_pages and
   * friends): share/unshare stop at the first refusal and undo what they
   * did, so a refused range changes nothing.
   */
  hostSharing(): { readonly pageSize: number; shareHost(pa: number, size: number): number; unshareHost(pa: number, size: number): number; pin(pa: number, size: number): number; unpin(pa: number, size: number): number } {
    const ps = this.pageSize
    const each = (pa: number, size: number, fn: (pfn: number) => number, undo: (pfn: number) => number): number => {
      const first = Math.floor(pa / ps)
      const last = Math.ceil((pa + size) / ps)
      for (let p = first; p < last; p++) {
        const r = fn(p)
        if (r) {
          for (let q = first; q < p; q++) undo(q)
          return r
        }
      }
      return 0
    }
    return {
      pageSize: ps,
      shareHost: (pa, size) => each(pa, size, (p) => this.hostShareHyp(p), (p) => this.hostUnshareHyp(p)),
      unshareHost: (pa, size) => each(pa, size, (p) => this.hostUnshareHyp(p), (p) => this.hostShareHyp(p)),
      pin: (pa, size) => this.hypPinSharedMem(pa, pa + size),
      unpin: (pa, size) => this.hypUnpinSharedMem(pa, pa + size),
    }
  }

  // ---- checks ------------------------------------------------------------------

  private call(name: string, args: Record<string, unknown>, fn: () => number): number {
    return this.j.span('hypercall', 'hyp', { name, args }, () => {
      // An unknown VM handle: get_pkvm_hyp_vm() finds nothing (-EINVAL).
      const guest = args.guest
      const ret = typeof guest === 'string' && !this.own.guests.has(guest) ? EINVAL : fn()
      this.j.annotate({ ret, retName: errName(ret) })
      return ret
    })
  }

  private pa(pfn: number): number {
    return pfn * this.pageSize
  }

  /** [from, to) widened to whole pages: ALIGN_DOWN(from), PAGE_ALIGN(to). */
  private span(from: number, to: number): [number, number] {
    const start = from - (from % this.pageSize)
    const end = Math.ceil(to / this.pageSize) * this.pageSize
    return [start, Math.max(0, (end - start) / this.pageSize)]
  }

  /**
   * pfn_range_is_valid: pfn and pfn + nr_pages within the host's PA size.
   * The model also refuses nr_pages = 0 (-EINVAL), where the kernel's range
   * checks would see an empty, ill-formed [start, start − 1] range.
   */
  private pfnValid(pfn: number, nrPages: number): number {
    if (!Number.isSafeInteger(pfn) || !Number.isSafeInteger(nrPages) || pfn < 0 || nrPages < 1) return EINVAL
    const limit = 2 ** (this.own.paBits - this.own.pageShift)
    return pfn < limit && limit - pfn >= nrPages ? 0 : EINVAL
  }

  /**
   * __guest_check_transition_size: one page, or exactly one
   * second-to-last-level block with phys and ipa aligned to it.
   */
  private transitionSize(pfn: number, gfn: number, nrPages: number): number {
    if (!Number.isSafeInteger(gfn) || gfn < 0) return EINVAL
    if (nrPages === 1) return 0
    if (nrPages !== this.blockPages) return EINVAL
    return pfn % this.blockPages === 0 && gfn % this.blockPages === 0 ? 0 : EINVAL
  }

  /** The range lies in one memory region or one MMIO gap (check_range_allowed_memory's first half): else -EINVAL. */
  private sameRegion(pa: number, pages: number): number {
    const last = pa + pages * this.pageSize - 1
    const r = this.own.region(pa)
    if (r) return last < r.base + r.size ? 0 : EINVAL
    // An MMIO range must not reach into memory.
    for (const m of this.own.memory) if (m.base > pa && m.base <= last) return EINVAL
    return 0
  }

  /** check_range_allowed_memory: one region (-EINVAL), and memory (-EPERM). */
  private allowedMemory(pa: number, pages: number): number {
    return this.sameRegion(pa, pages) || (this.own.isMemory(pa) ? 0 : EPERM)
  }

  /** __host_check_page_state_range: allowed memory, then every page in `state` (-EPERM). */
  private hostCheck(pa: number, pages: number, state: PageState): number {
    return this.allowedMemory(pa, pages) || this.statesAre(pa, pages, (p) => this.own.host(p).state === state)
  }

  /** __hyp_check_page_state_range: every page in `state` (-EPERM). */
  private hypCheck(pa: number, pages: number, state: PageState): number {
    return this.statesAre(pa, pages, (p) => this.own.hyp(p) === state)
  }

  private statesAre(pa: number, pages: number, ok: (pa: number) => boolean): number {
    for (let k = 0; k < pages; k++) if (!ok(pa + k * this.pageSize)) return EPERM
    return 0
  }

  /** __guest_check_page_state_range(..., NOPAGE) fails: some gfn of the range is mapped. */
  private guestRangeUsed(guest: string, gfn: number, pages: number): boolean {
    for (let g = gfn; g < gfn + pages; g++) if (this.own.guestLeaf(guest, g, this.blockPages)) return true
    return false
  }

  private leavesIn(guest: string, gfn: number, pages: number): GuestLeaf[] {
    const out: GuestLeaf[] = []
    let g = gfn
    while (g < gfn + pages) {
      const leaf = this.own.guestLeaf(guest, g, this.blockPages)
      if (leaf) {
        out.push(leaf)
        g = leaf.gfn + leaf.pages
      } else g++
    }
    return out
  }

  private replaceLeaf(guest: string, leaf: GuestLeaf, change: Partial<GuestLeaf>): void {
    this.own.setGuestLeaf(guest, leaf.gfn, { ...leaf, ...change })
  }

  private isProtected(guest: string): boolean {
    return this.own.guests.get(guest)?.protected === true
  }

  /** hyp_poison_page: zero what the guest leaves behind, one 4 KiB write at a time. */
  private poison(pa: number, pages: number): void {
    if (!this.mem) return
    const zero = new Uint8Array(4096)
    for (let off = 0; off < pages * this.pageSize; off += 4096) {
      if (this.mem.contains(pa + off, 4096)) this.mem.writeBytes(pa + off, zero, 'hyp')
    }
  }
}
