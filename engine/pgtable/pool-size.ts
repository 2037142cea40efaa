/**
 * How much memory pKVM takes at boot, as the series sizes it: the IOMMU page
 * pool (host_s2_pgtable_pages() + 500 pages, worst-case page-table pages)
 * and where the carve-out lies in RAM. Pure arithmetic, shared by the boot
 * (engine/platform) and the scenario validator, which refuses a platform
 * whose RAM cannot hold it.
 */

/** A physical memory region. */
interface MemRange {
  readonly base: number
  readonly size: number
}

/** KVM_PGTABLE_MAX_LEVELS: the worst case provisions a table at every level. */
const PGTABLE_LEVELS = 4

/**
 * __hyp_pgtable_max_pages (arch/arm64/include/asm/kvm_pkvm.h): table pages
 * to map `nrPages` pages at page granularity, worst case: at each of the four
 * levels, DIV_ROUND_UP(pages, PTRS_PER_PTE), where PTRS_PER_PTE is
 * PAGE_SIZE / 8.
 */
export function hypPgtableMaxPages(nrPages: number, pageShift: number): number {
  const perTable = 2 ** (pageShift - 3)
  let total = 0
  let n = nrPages
  for (let i = 0; i < PGTABLE_LEVELS; i++) {
    n = Math.ceil(n / perTable)
    total += n
  }
  return total
}

/**
 * host_s2_pgtable_pages (kvm_pkvm.h): every memory region at page
 * granularity, plus 16 pages for concatenated PGDs, plus 1 GiB of MMIO.
 */
export function hostS2PgtablePages(memory: readonly MemRange[], pageShift: number): number {
  let res = 0
  for (const r of memory) res += hypPgtableMaxPages(Math.floor(r.size / 2 ** pageShift), pageShift)
  res += 16
  res += hypPgtableMaxPages(2 ** 30 / 2 ** pageShift, pageShift)
  return res
}

/** Pages of the IOMMU pool as the series sizes it: host_s2_pgtable_pages() + 500. */
export function iommuPoolPages(memory: readonly MemRange[], pageShift: number): number {
  return hostS2PgtablePages(memory, pageShift) + 500
}

/** Pages for the shadow CMDQ (16 pages, as the series allocates) and the hypervisor's stream table. */
export const SHADOW_PAGES = 16 + 8

/**
 * Where the hypervisor's carve-out lies in one RAM region: at the top, 2 MiB
 * aligned (so naturally aligned queues and tables fit without waste), big
 * enough for the IOMMU pool and the shadow structures. The host keeps the
 * top half of RAM below it for its own allocations (`hostBase` up to `base`).
 */
export function carveOut(ram: MemRange, pageShift: number): { readonly base: number; readonly pages: number; readonly hostBase: number } {
  const pageSize = 2 ** pageShift
  const need = (iommuPoolPages([ram], pageShift) + SHADOW_PAGES) * pageSize
  const top = ram.base + ram.size
  const base = Math.floor((top - need) / 0x20_0000) * 0x20_0000
  return { base, pages: (top - base) / pageSize, hostBase: ram.base + Math.floor(ram.size / 2 / pageSize) * pageSize }
}
