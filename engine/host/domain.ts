/**
 * IOMMU domains as the Linux driver models them: blocked (abort), identity
 * (bypass), paging stage 1 (CD with an ASID), paging stage 2 (STE with a
 * VMID), and a stage-2 nesting parent. `domainGeometry` is
 * arm_smmu_domain_finalise + io-pgtable's configuration (SPEC-FACTS B§6, B§7):
 * pure, from the probe result and the scenario's domain.
 */
import { ioPgtableS2Start, startLevel, vtcrSl0, type Granule } from '../pgtable/geometry'
import { hasFeature, restrictPgsizes, type ProbeResult } from './probe'

export type DomainType = 'abort' | 'bypass' | 's1' | 's2' | 'identity'

/** A domain as a scenario asks for it (structurally the scenario format's Domain; host/ does not import scenario/). */
export interface DomainSpec {
  readonly type: DomainType
  readonly name?: string
  readonly asid?: number
  readonly vmid?: number
  readonly ias?: number
  readonly granule?: '4K' | '16K' | '64K'
}

/** IOMMU_READ / IOMMU_WRITE as a scenario writes them. */
export type Prot = 'r' | 'w' | 'rw'

/** What the host driver needs of the platform (structurally the scenario's Platform). */
export interface HostPlatform {
  readonly smmu: { readonly coherent: boolean }
  readonly ram: { readonly base: number; readonly size: number }
  readonly pageSize: '4K' | '16K' | '64K'
  readonly devices: readonly { readonly name: string; readonly sid: number; readonly ssids?: number }[]
}

/** IDR5.OAS / TCR.IPS / VTCR.PS encoding of an address size. */
export function paSizeCode(bits: number): number {
  const i = [32, 36, 40, 42, 44, 48, 52].indexOf(bits)
  if (i < 0) throw new RangeError(`${bits} bits is not an architected physical address size`)
  return i
}

/** TCR.TG0 / VTCR.TG encoding: 4K 0, 64K 1, 16K 2. */
export function tg0Code(g: Granule): number {
  return g === 12 ? 0 : g === 16 ? 1 : 2
}

/** An io-pgtable configuration: what the page table, CD and STE are built from. */
export interface PgtableGeometry {
  readonly stage: 1 | 2
  readonly granule: Granule
  readonly ias: number
  readonly oas: number
  readonly pgsizeBitmap: number
  readonly startLevel: number
  /** Concatenated start tables (stage 2). */
  readonly tables: number
  /** TCR/VTCR walk attributes: WBWA/WBWA/IS when the walk is coherent, else NC/NC/OS. */
  readonly irgn: number
  readonly orgn: number
  readonly sh: number
}

/** A domain as the host driver keeps it (immutable; replaced on change). */
export interface HostDomain {
  readonly id: string
  readonly type: DomainType
  readonly asid?: number
  readonly vmid?: number
  /** IOMMU_HWPT_ALLOC_NEST_PARENT: range invalidations are followed by TLBI_NH_ALL(VMID). */
  readonly nestParent?: boolean
  readonly pgtable?: PgtableGeometry & { readonly root: number }
}

/** Largest address io-pgtable handles: 48 bits, 52 with the 64K granule. */
function maxAddrBits(g: Granule): number {
  return g === 16 ? 52 : 48
}

/**
 * The io-pgtable configuration of a paging domain. Stage 1: ias 48 (52 with
 * VAX), oas = the SMMU's ias; stage 2: ias/oas = the SMMU's; both clamped to
 * what the granule can address. The scenario may fix ias and the granule
 * (its validator fills the granule as Linux picks it: PAGE_SIZE first).
 */
export function domainGeometry(p: ProbeResult, d: DomainSpec, pageShift: number, coherent: boolean): PgtableGeometry {
  const stage: 1 | 2 = d.type === 's2' ? 2 : 1
  const wanted = d.granule === undefined ? undefined : d.granule === '4K' ? 12 : d.granule === '16K' ? 14 : 16
  const oasIn = stage === 1 ? p.ias : p.oas
  const { granule, bitmap } = restrictPgsizes(p.pgsizeBitmap, pageShift, oasIn, wanted)
  if (!bitmap) throw new RangeError('the SMMU offers no page size io-pgtable can use')
  const g = granule as Granule
  const iasIn = d.ias ?? (stage === 1 ? (hasFeature(p, 'ARM_SMMU_FEAT_VAX') ? 52 : 48) : p.ias)
  const ias = Math.min(iasIn, maxAddrBits(g))
  const oas = Math.min(oasIn, maxAddrBits(g))
  const s2 = stage === 2 ? ioPgtableS2Start(g, ias, oas) : { startLevel: startLevel(g, ias), tables: 1 }
  return {
    stage,
    granule: g,
    ias,
    oas,
    pgsizeBitmap: bitmap,
    startLevel: s2.startLevel,
    tables: s2.tables,
    irgn: coherent ? 1 : 0,
    orgn: coherent ? 1 : 0,
    sh: coherent ? 3 : 2,
  }
}

/** VTCR.SL0 of a stage-2 geometry. */
export function geometrySl0(g: PgtableGeometry): number {
  return vtcrSl0(g.granule, g.startLevel)
}

/**
 * The lowest free ID in [1, 2^bits - 1] (xa_alloc / ida_alloc_range): ID 0
 * is never handed out (VMID 0 tags stage-1 and bypass STEs).
 */
export function allocId(used: (id: number) => boolean, bits: number): number | undefined {
  for (let id = 1; id < 2 ** bits; id++) if (!used(id)) return id
  return undefined
}
