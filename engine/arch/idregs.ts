/**
 * ID register values from a platform description: what an SMMU built with
 * these parameters reports in IDR0..IDR5, IIDR and AIDR (IHI 0070 6.3.1-6.3.8).
 * Every bit is placed through the register layouts of registers.ts.
 */
import { REG } from './registers'

/** The scenario's `platform.smmu`, less the TLB model (DESIGN.md, scenario format v1). */
export interface SmmuParams {
  /** Which translation stages the SMMU implements (IDR0.S1P/S2P). */
  readonly stages: 's1' | 's2' | 'nested'
  /** IDR5.OAS in bits. */
  readonly oas: 32 | 36 | 40 | 42 | 44 | 48 | 52
  /** Translation granules offered (IDR5.GRAN4K/16K/64K); never empty. */
  readonly granules: readonly ('4K' | '16K' | '64K')[]
  /** IDR1.SIDSIZE: 0..32. */
  readonly sidBits: number
  /** IDR1.SSIDSIZE: 0..20 (CD2L is reported when non-zero). */
  readonly ssidBits: number
  /** IDR0.ST_LEVEL: linear only, or 2-level stream tables supported. */
  readonly strtab: 'linear' | '2level'
  /** IDR3.RIL: range invalidation. */
  readonly ril: boolean
  /** IDR0.ATS. */
  readonly ats: boolean
  /** IDR0.MSI. */
  readonly msi: boolean
  /**
   * IDR0.COHACC: table walks and queue accesses are IO-coherent (default 1).
   * Linux uses MSI-polled CMD_SYNC only when coherent; pKVM supports coherent SMMUs only.
   */
  readonly coherent?: boolean
  /** IDR1.CMDQS: log2 of the largest command queue, 0..19. */
  readonly cmdqLog2: number
  /** IDR1.EVENTQS: 0..19. */
  readonly evtqLog2: number
  readonly iidr: {
    readonly product: 'generic' | 'mmu-600' | 'mmu-700'
    readonly variant: number
    readonly revision: number
  }
}

export interface IdRegs {
  readonly IDR0: number
  readonly IDR1: number
  readonly IDR2: number
  readonly IDR3: number
  readonly IDR4: number
  readonly IDR5: number
  readonly IIDR: number
  readonly AIDR: number
}

/** JEP106 code of Arm, and the ProductIDs Linux's IIDR errata checks look for (arm-smmu-v3 probe). */
const ARM_IMPLEMENTER = 0x43b
const PRODUCT_ID = { 'mmu-600': 0x483, 'mmu-700': 0x487 } as const

const u32 = (w: bigint[]): number => Number(w[0])

/**
 * ID registers of an SMMU with these parameters. Features the model does not
 * implement are reported absent, as QEMU does: no PRI, HTTU, BTM, HYP, SEV or
 * stalls (STALL_MODEL=terminate only, TERM_MODEL=1); AArch64 little-endian tables only.
 */
export function buildIdRegs(p: SmmuParams): IdRegs {
  const s1 = p.stages !== 's2'
  const s2 = p.stages !== 's1'
  const IDR0 = u32(REG.IDR0.layout.encode({
    S1P: s1,
    S2P: s2,
    TTF: 'AArch64',
    COHACC: p.coherent ?? true,
    ATS: p.ats,
    ASID16: 1,
    MSI: p.msi,
    VMID16: 1,
    // 2-level CD tables come with substreams (Linux needs CD2L for more than 1024 SSIDs).
    CD2L: p.ssidBits > 0,
    TTENDIAN: 'LE',
    STALL_MODEL: 'terminate',
    TERM_MODEL: 1,
    ST_LEVEL: p.strtab,
  }))
  const IDR1 = u32(REG.IDR1.layout.encode({
    SIDSIZE: p.sidBits,
    SSIDSIZE: p.ssidBits,
    EVENTQS: p.evtqLog2,
    CMDQS: p.cmdqLog2,
  }))
  // HAD and BBML=2 as QEMU; XNX only means something with stage 2.
  const IDR3 = u32(REG.IDR3.layout.encode({ HAD: 1, XNX: s2, RIL: p.ril, BBML: 2 }))
  const IDR5 = u32(REG.IDR5.layout.encode({
    OAS: `${p.oas}-bit`,
    GRAN4K: p.granules.includes('4K'),
    GRAN16K: p.granules.includes('16K'),
    GRAN64K: p.granules.includes('64K'),
  }))
  const IIDR = p.iidr.product === 'generic'
    ? 0
    : u32(REG.IIDR.layout.encode({
        Implementer: ARM_IMPLEMENTER,
        ProductID: PRODUCT_ID[p.iidr.product],
        Variant: p.iidr.variant,
        Revision: p.iidr.revision,
      }))
  // SMMUv3.1, as QEMU reports (range invalidation is nonetheless advertised through IDR3.RIL).
  const AIDR = u32(REG.AIDR.layout.encode({ ArchMajorRev: 0, ArchMinorRev: 1 }))
  return { IDR0, IDR1, IDR2: 0, IDR3, IDR4: 0, IDR5, IIDR, AIDR }
}
