/**
 * A non-protected guest's stage 2 as the host kernel sees it from EL1
 * (arch/arm64/kvm/pkvm.c, pkvm_pgtable_stage2_*): the host cannot touch the
 * real guest page table, which lives at EL2, so it keeps a sorted
 * gfn → pfn map (pkvm_mappings) and asks the hypervisor for every change
 * through the share / unshare / relax / wrprotect / test-clear-young
 * hypercalls. The hypervisor's side of the same pages is in the ownership
 * map (ownership.ts); this map is the host's bookkeeping, journaled as host
 * state.
 */

import type { Journal, JMap } from '../journal/journal'
import { ERRNO, PROT, type Hypercalls } from './hypercalls'

/** struct pkvm_mapping: one hypercall's worth of guest memory (a page or a PMD block). */
export interface PkvmMapping {
  readonly gfn: number
  readonly pfn: number
  readonly nrPages: number
  /** KVM_PGTABLE_PROT_* the host asked for (the model keeps it for display). */
  readonly prot: number
}

export class GuestStage2 {
  private readonly store: JMap<number, PkvmMapping>
  /** gfns of the mappings, ascending (derived from the map, kept in step). */
  private gfns: number[] = []
  private readonly pageSize: number
  private readonly blockPages: number

  constructor(
    private readonly j: Journal,
    private readonly hc: Hypercalls,
    readonly guest: string,
  ) {
    this.pageSize = hc.own.pageSize
    this.blockPages = hc.blockPages
    this.store = j.map(`host.pkvm_mappings.${guest}`, 'host')
  }

  /** After the map was restored behind this object's back: rebuild the sorted gfn list from its keys. */
  restore(): void {
    this.gfns = [...this.store.keys()].sort((a, b) => a - b)
  }

  /** Mappings in gfn order. */
  mappings(): PkvmMapping[] {
    return this.gfns.map((g) => this.store.get(g)!)
  }

  /** The mapping covering gfn, if any. */
  find(gfn: number): PkvmMapping | undefined {
    const i = this.lastAtOrBelow(gfn)
    const m = i >= 0 ? this.store.get(this.gfns[i]) : undefined
    return m && gfn < m.gfn + m.nrPages ? m : undefined
  }

  /** Mappings intersecting [gfn, gfn + pages), in order. */
  overlapping(gfn: number, pages: number): PkvmMapping[] {
    const out: PkvmMapping[] = []
    let i = Math.max(0, this.lastAtOrBelow(gfn))
    for (; i < this.gfns.length; i++) {
      const m = this.store.get(this.gfns[i])!
      if (m.gfn >= gfn + pages) break
      if (m.gfn + m.nrPages > gfn) out.push(m)
    }
    return out
  }

  /**
   * pkvm_pgtable_stage2_map(addr, size, phys, prot): size must be PAGE_SIZE
   * or PMD_SIZE (-EINVAL). An existing mapping of the same size is a race
   * (-EAGAIN); one of another size is unmapped first. Then
   * __pkvm_host_share_guest, and the mapping is recorded.
   */
  map(ipa: number, size: number, pa: number, prot: number): number {
    return this.j.span('host.guest.map', 'host', { guest: this.guest, ipa, size, pa, prot }, () => {
      const pages = size / this.pageSize
      if (pages !== 1 && pages !== this.blockPages) return this.done(-ERRNO.EINVAL)
      const gfn = ipa / this.pageSize
      const pfn = pa / this.pageSize
      if (!Number.isInteger(gfn) || !Number.isInteger(pfn)) return this.done(-ERRNO.EINVAL)
      const over = this.overlapping(gfn, pages)
      if (over.length) {
        if (over[0].nrPages === pages) return this.done(-ERRNO.EAGAIN)
        const r = this.unmapAll(over)
        if (r) return this.done(r)
      }
      const ret = this.hc.hostShareGuest(pfn, gfn, pages, this.guest, prot)
      if (ret) return this.done(ret)
      this.put({ gfn, pfn, nrPages: pages, prot })
      return this.done(0)
    })
  }

  /** pkvm_pgtable_stage2_unmap(addr, size): __pkvm_host_unshare_guest for every mapping in range; stops at the first failure. */
  unmap(ipa: number, size: number): number {
    return this.j.span('host.guest.unmap', 'host', { guest: this.guest, ipa, size }, () => {
      return this.done(this.unmapAll(this.overlapping(ipa / this.pageSize, size / this.pageSize)))
    })
  }

  /** pkvm_pgtable_stage2_wrprotect(addr, size): __pkvm_host_wrprotect_guest per mapping; stops at the first failure. */
  wrprotect(ipa: number, size: number): number {
    return this.j.span('host.guest.wrprotect', 'host', { guest: this.guest, ipa, size }, () => {
      for (const m of this.overlapping(ipa / this.pageSize, size / this.pageSize)) {
        const r = this.hc.hostWrprotectGuest(m.gfn, m.nrPages, this.guest)
        if (r) return this.done(r)
        if (m.prot & PROT.W) this.put({ ...m, prot: m.prot & ~PROT.W })
      }
      return this.done(0)
    })
  }

  /** pkvm_pgtable_stage2_test_clear_young(addr, size, mkold): OR of the per-mapping answers. */
  testClearYoung(ipa: number, size: number, mkold: boolean): boolean {
    return this.j.span('host.guest.test_clear_young', 'host', { guest: this.guest, ipa, size, mkold }, () => {
      let young = false
      for (const m of this.overlapping(ipa / this.pageSize, size / this.pageSize)) {
        if (this.hc.hostTestClearYoungGuest(m.gfn, m.nrPages, mkold, this.guest) > 0) young = true
      }
      this.j.annotate({ young })
      return young
    })
  }

  /** pkvm_pgtable_stage2_relax_perms(addr, prot): __pkvm_host_relax_perms_guest. */
  relaxPerms(ipa: number, prot: number): number {
    return this.j.span('host.guest.relax_perms', 'host', { guest: this.guest, ipa, prot }, () => {
      const gfn = Math.floor(ipa / this.pageSize)
      const r = this.hc.hostRelaxPermsGuest(gfn, this.guest, prot)
      const m = this.find(gfn)
      if (r === 0 && m && (m.prot | prot) !== m.prot) this.put({ ...m, prot: m.prot | prot })
      return this.done(r)
    })
  }

  /** pkvm_pgtable_stage2_mkyoung(addr): __pkvm_host_mkyoung_guest. */
  mkyoung(ipa: number): number {
    return this.j.span('host.guest.mkyoung', 'host', { guest: this.guest, ipa }, () => this.done(this.hc.hostMkyoungGuest(Math.floor(ipa / this.pageSize), this.guest)))
  }

  private unmapAll(list: readonly PkvmMapping[]): number {
    for (const m of list) {
      const r = this.hc.hostUnshareGuest(m.gfn, m.nrPages, this.guest)
      // WARN_ON(ret) in the kernel: the host's map and EL2 disagree.
      if (r) return r
      this.remove(m.gfn)
    }
    return 0
  }

  private done(ret: number): number {
    this.j.annotate({ ret })
    return ret
  }

  private put(m: PkvmMapping): void {
    const rec = this.j.entry('guest.s2', 'host', { guest: this.guest, gfn: m.gfn, pfn: m.pfn, nrPages: m.nrPages, prot: m.prot })
    if (!this.store.has(m.gfn)) {
      const i = this.lastAtOrBelow(m.gfn)
      this.gfns.splice(i + 1, 0, m.gfn)
    }
    this.store.set(m.gfn, Object.freeze({ ...m }), rec)
  }

  private remove(gfn: number): void {
    const rec = this.j.entry('guest.s2', 'host', { guest: this.guest, gfn, removed: true })
    this.store.delete(gfn, rec)
    const i = this.lastAtOrBelow(gfn)
    if (i >= 0 && this.gfns[i] === gfn) this.gfns.splice(i, 1)
  }

  /** Index of the last gfn ≤ g in the sorted list, or -1. */
  private lastAtOrBelow(g: number): number {
    let lo = 0
    let hi = this.gfns.length - 1
    let ans = -1
    while (lo <= hi) {
      const mid = (lo + hi) >> 1
      if (this.gfns[mid] <= g) {
        ans = mid
        lo = mid + 1
      } else hi = mid - 1
    }
    return ans
  }
}
