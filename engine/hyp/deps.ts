/**
 * What the SMMU half of the hypervisor needs from the memory half
 * (ownership, hypercalls, identity stage 2, page pool), as small interfaces.
 * The lead glues the real implementations in; tests use doubles.
 */

/** Error numbers the series returns (negated), as Linux defines them. */
export const EPERM = 1
export const E2BIG = 7
export const ENOMEM = 12
export const EBUSY = 16
export const EINVAL = 22
export const ENXIO = 6
export const ETIMEDOUT = 110

/** Hypervisor-owned memory: the IOMMU page pool (kvm_iommu_donate_pages). */
export interface PagePool {
  /** A zeroed, hypervisor-owned block of `bytes` aligned to `align`; a negative errno when exhausted. */
  alloc(bytes: number, align: number): number
}

/**
 * The identity stage 2's VTCR as STE fields (arm_lpae_s2_cfg.vtcr).
 * The shadow STE takes the VTCR fields; VMID, S2AA64, S2R and S2PTW it sets
 * itself as the series does, so those here are informative only.
 */
export interface IdentityS2Fields {
  readonly S2T0SZ: number
  readonly S2SL0: number
  readonly S2IR0: number
  readonly S2OR0: number
  readonly S2SH0: number
  readonly S2TG: number
  readonly S2PS: number
  readonly S2VMID?: number
  readonly S2AA64?: number
  readonly S2R?: number
  readonly S2PTW?: number
}

/** The hypervisor's identity stage 2 (idmap_pgtable). */
export interface IdentityS2 {
  /** The start table's PA (STE.S2TTB). */
  readonly vttbr: number
  s2Fields(): IdentityS2Fields
}

/**
 * Host memory the hypervisor touches: __pkvm_host_share_hyp /
 * __pkvm_host_unshare_hyp and hyp_pin_shared_mem / hyp_unpin_shared_mem over
 * a page-aligned range. Each returns 0 or a negative errno and changes
 * nothing when it fails.
 */
export interface HostSharing {
  /** The kernel's PAGE_SIZE. */
  readonly pageSize: number
  shareHost(pa: number, size: number): number
  unshareHost(pa: number, size: number): number
  pin(pa: number, size: number): number
  unpin(pa: number, size: number): number
}

/** Everything PkvmSmmu needs from the rest of the hypervisor. */
export interface HypDeps {
  readonly pool: PagePool
  readonly idmap: IdentityS2
  readonly host: HostSharing
}

/** The page-aligned range covering [pa, pa + size). */
export function pageRange(pageSize: number, pa: number, size: number): { base: number; size: number } {
  const base = pa - (pa % pageSize)
  const end = pa + size
  const top = end % pageSize === 0 ? end : end - (end % pageSize) + pageSize
  return { base, size: top - base }
}

/**
 * smmu_share_pages: share the pages with the hypervisor, then pin them so
 * the host cannot take them back while the hypervisor reads them. A refused
 * share is -EPERM; a refused pin undoes the share.
 */
export function sharePages(h: HostSharing, pa: number, size: number): number {
  const r = pageRange(h.pageSize, pa, size)
  if (h.shareHost(r.base, r.size) !== 0) return -EPERM
  const ret = h.pin(r.base, r.size)
  if (ret !== 0) h.unshareHost(r.base, r.size)
  return ret
}

/** smmu_unshare_pages: unpin, then unshare (a still-pinned page refuses: -EBUSY). */
export function unsharePages(h: HostSharing, pa: number, size: number): number {
  const r = pageRange(h.pageSize, pa, size)
  h.unpin(r.base, r.size)
  return h.unshareHost(r.base, r.size)
}
