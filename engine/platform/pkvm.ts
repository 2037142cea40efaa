import type { CommandInput } from '../arch/commands'
import { tlbInvRangeCommands } from '../host/tlbinv'
import { GuestStage2 } from '../hyp/guest'
import { Hypercalls } from '../hyp/hypercalls'
import { IdentityMap, type IdmapBuild } from '../hyp/idmap'
import { Ownership } from '../hyp/ownership'
import { carveOut, HypPool, zeroedAllocator } from '../hyp/pool'
import { PkvmSmmu } from '../hyp/pkvm'
import type { Journal } from '../journal/journal'
import type { MmioBus } from '../mem/bus'
import type { PhysMem } from '../mem/physmem'
import { GRANULE_SHIFT, type Platform } from '../scenario/format'
import type { Smmu } from '../smmu/smmu'

/**
 * The pKVM side of a platform, assembled as the series boots it: the host
 * gives the hypervisor a carve-out of RAM (its page pool), the hypervisor
 * builds the identity IOMMU stage 2 from the host's memory map, then takes
 * the SMMU's MMIO and programs its shadow structures. Only then does the
 * host kernel's driver probe, against a trapped SMMU.
 */

/** log2 of the page sizes the SMMU offers io-pgtable (Part B §6, IDR5 granules). */
function pgsizes(granules: readonly string[], oas: number): number[] {
  const out: number[] = []
  if (granules.includes('4K')) out.push(12, 21, 30)
  if (granules.includes('16K')) out.push(14, 25)
  if (granules.includes('64K')) out.push(16, 29, ...(oas > 48 ? [42] : []))
  return out
}

export interface PkvmPlatform {
  readonly own: Ownership
  readonly hc: Hypercalls
  readonly pool: HypPool
  readonly idmap: IdentityMap
  readonly build: IdmapBuild
  readonly smmu: PkvmSmmu
  readonly guests: ReadonlyMap<string, GuestStage2>
  /** The part of RAM the host kernel keeps for itself (its allocator's region). */
  readonly hostRegion: { readonly base: number; readonly size: number }
}

export function bootPkvm(j: Journal, mem: PhysMem, bus: MmioBus, hw: Smmu, p: Platform): PkvmPlatform {
  const pageShift = GRANULE_SHIFT[p.pageSize]
  const pageSize = 2 ** pageShift
  const memory = [{ base: p.ram.base, size: p.ram.size }]
  const own = new Ownership(j, {
    memory,
    pageShift,
    paBits: Math.min(48, p.smmu.oas),
    guests: p.guests.map((g) => ({ name: g.name })),
  })
  const hc = new Hypercalls(j, own, mem)
  // The carve-out sits at the top of RAM; the host allocates below it.
  const { base: carveBase, pages, hostBase } = carveOut(p.ram, pageShift)
  hc.hypCarveOut(carveBase, pages)
  const pool = new HypPool({ journal: j, base: carveBase, pages, pageShift })
  const fidelity = p.pkvm.fidelity
  const idmap = new IdentityMap({
    journal: j,
    mem,
    pool,
    own,
    smmus: [{ oas: p.smmu.oas, pgsizes: pgsizes(p.smmu.granules, p.smmu.oas) }],
    // v4's inverted `initialized` flag is a series bug: 'architectural' runs v4 without it.
    version: fidelity === 'series' ? p.pkvm.version : 'v6',
  })
  const build = j.span('hyp.idmap.build', 'hyp', { pageSize }, () => idmap.build())
  const smmu = new PkvmSmmu(j, bus, mem, { pool: zeroedAllocator(pool, mem), idmap, host: hc.hostSharing() }, {
    version: p.pkvm.version,
    emulation: p.emulation ?? 'nested',
    onRefused: p.pkvm.onRefused,
    fidelity,
  })
  // A page leaving the host leaves the devices' view at once: stage-2 range
  // invalidation of the IPA range with VMID 0, then NH_ALL(VMID 0), each
  // with a SYNC, on every enabled SMMU (SPEC-FACTS B §8 "TLB maintenance").
  idmap.onChange((range, kind) => {
    // Below the 'ste' level no STE carries the identity stage 2: nothing to invalidate.
    if (kind !== 'unmap' || !smmu.smmuEnabled || !smmu.has('ste')) return
    const ril = hw.feat.ril
    const cmds: CommandInput[] = tlbInvRangeCommands({ stage: 2, vmid: 0 }, range.pa, range.size, pageSize, true, { ril, pgsizeBitmap: pageSize })
    // A failed invalidation leaves devices able to reach the page: the series WARNs (fatal at EL2).
    const ret = smmu.sendBatch(cmds) || smmu.send({ op: 'TLBI_NH_ALL', VMID: 0 })
    if (ret) smmu.warn(`stage-2 TLB maintenance for 0x${range.pa.toString(16)}+0x${range.size.toString(16)} failed (${ret}): devices may still reach the page`)
  })
  smmu.boot()
  hw.queueLabel = smmu.hwQueue
  const guests = new Map(p.guests.map((g) => [g.name, new GuestStage2(j, hc, g.name)]))
  // The host driver's allocator keeps the top half of RAM, less the carve-out.
  return { own, hc, pool, idmap, build, smmu, guests, hostRegion: { base: hostBase, size: carveBase - hostBase } }
}

/**
 * After the journaled state was put back to an earlier operation boundary:
 * the hypervisor's parts rebuild what they derive from their maps. What
 * boot fixed (configuration, the identity map's root and flags, listeners)
 * is the same at every boundary, since boot precedes the first operation.
 */
export function restorePkvm(k: PkvmPlatform): void {
  k.pool.restore()
  for (const g of k.guests.values()) g.restore()
}
