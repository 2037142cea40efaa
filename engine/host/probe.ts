/**
 * arm_smmu_device_hw_probe and arm_smmu_device_iidr_probe: the ID registers
 * turned into the driver's feature set (named as Linux names it), options,
 * page-size bitmap, address sizes and table decisions (SPEC-FACTS B§6).
 * Pure: the driver reads the registers through MMIO and hands the values here.
 */
import { REG } from '../arch/registers'

export type SmmuFeature =
  | 'ARM_SMMU_FEAT_2_LVL_STRTAB'
  | 'ARM_SMMU_FEAT_2_LVL_CDTAB'
  | 'ARM_SMMU_FEAT_TT_LE'
  | 'ARM_SMMU_FEAT_TT_BE'
  | 'ARM_SMMU_FEAT_PRI'
  | 'ARM_SMMU_FEAT_ATS'
  | 'ARM_SMMU_FEAT_SEV'
  | 'ARM_SMMU_FEAT_MSI'
  | 'ARM_SMMU_FEAT_COHERENCY'
  | 'ARM_SMMU_FEAT_TRANS_S1'
  | 'ARM_SMMU_FEAT_TRANS_S2'
  | 'ARM_SMMU_FEAT_STALLS'
  | 'ARM_SMMU_FEAT_HYP'
  | 'ARM_SMMU_FEAT_STALL_FORCE'
  | 'ARM_SMMU_FEAT_VAX'
  | 'ARM_SMMU_FEAT_RANGE_INV'
  | 'ARM_SMMU_FEAT_BTM'
  | 'ARM_SMMU_FEAT_E2H'
  | 'ARM_SMMU_FEAT_NESTING'
  | 'ARM_SMMU_FEAT_ATTR_TYPES_OVR'
  | 'ARM_SMMU_FEAT_HA'
  | 'ARM_SMMU_FEAT_HD'
  | 'ARM_SMMU_FEAT_S2FWB'
  | 'ARM_SMMU_FEAT_BBML2'

/** The order Linux declares them in (arm-smmu-v3.h), for a stable view. */
export const FEATURE_ORDER: readonly SmmuFeature[] = [
  'ARM_SMMU_FEAT_2_LVL_STRTAB', 'ARM_SMMU_FEAT_2_LVL_CDTAB', 'ARM_SMMU_FEAT_TT_LE', 'ARM_SMMU_FEAT_TT_BE',
  'ARM_SMMU_FEAT_PRI', 'ARM_SMMU_FEAT_ATS', 'ARM_SMMU_FEAT_SEV', 'ARM_SMMU_FEAT_MSI', 'ARM_SMMU_FEAT_COHERENCY',
  'ARM_SMMU_FEAT_TRANS_S1', 'ARM_SMMU_FEAT_TRANS_S2', 'ARM_SMMU_FEAT_STALLS', 'ARM_SMMU_FEAT_HYP',
  'ARM_SMMU_FEAT_STALL_FORCE', 'ARM_SMMU_FEAT_VAX', 'ARM_SMMU_FEAT_RANGE_INV', 'ARM_SMMU_FEAT_BTM',
  'ARM_SMMU_FEAT_E2H', 'ARM_SMMU_FEAT_NESTING', 'ARM_SMMU_FEAT_ATTR_TYPES_OVR', 'ARM_SMMU_FEAT_HA',
  'ARM_SMMU_FEAT_HD', 'ARM_SMMU_FEAT_S2FWB', 'ARM_SMMU_FEAT_BBML2',
]

export type SmmuOption = 'ARM_SMMU_OPT_MSIPOLL' | 'ARM_SMMU_OPT_CMDQ_FORCE_SYNC'

export interface IdRegValues {
  readonly IDR0: number
  readonly IDR1: number
  readonly IDR3: number
  readonly IDR5: number
  readonly IIDR: number
}

/** What the firmware and the CPU tell the driver besides the ID registers. */
export interface ProbeEnv {
  /** Firmware's dma-coherent / IORT COHACC override (wins over IDR0.COHACC). */
  readonly coherent: boolean
  /** log2 of the kernel's PAGE_SIZE (12, 14, 16). */
  readonly pageShift: number
  /** The kernel runs at EL2 with VHE (this model's host is nVHE, as pKVM requires). */
  readonly vhe?: boolean
}

export interface ProbeResult {
  readonly features: readonly SmmuFeature[]
  readonly options: readonly SmmuOption[]
  /** Page and block sizes the SMMU supports, as a bitmap of sizes (up to 1<<42). */
  readonly pgsizeBitmap: number
  readonly ias: number
  readonly oas: number
  readonly asidBits: number
  readonly vmidBits: number
  readonly sidBits: number
  readonly ssidBits: number
  /** log2 of the queue entries the driver allocates (before shrinking on allocation failure). */
  readonly cmdqShift: number
  readonly evtqShift: number
  readonly priqShift: number
  /** Errata applied from IIDR, as Linux cites them. */
  readonly errata: readonly string[]
  /** Why the driver refuses this SMMU (-ENXIO), if it does. */
  readonly error?: string
}

/** STRTAB_SPLIT: 256 STEs per level-2 table. */
export const STRTAB_SPLIT = 8
/** CTXDESC_LINEAR_CDMAX: a linear CD table holds at most 1024 CDs (64 KiB). */
export const CTXDESC_LINEAR_CDMAX = 10
export const CMDQ_BATCH_ENTRIES = 64

const SZ = (shift: number): number => 2 ** shift
const OAS_BITS = [32, 36, 40, 42, 44, 48, 52] as const
const IMPLEMENTER_ARM = 0x43b
const PRODUCT_MMU_600 = 0x483
const PRODUCT_MMU_700 = 0x487

/** arm64 MAX_PAGE_ORDER by PAGE_SIZE (4K: 10, 16K: 11, 64K: 13): queues are capped at PAGE_SIZE << MAX_PAGE_ORDER bytes. */
function maxPageOrder(pageShift: number): number {
  return pageShift === 12 ? 10 : pageShift === 14 ? 11 : 13
}

export function probeIdRegs(id: IdRegValues, env: ProbeEnv): ProbeResult {
  const f = new Set<SmmuFeature>()
  const options = new Set<SmmuOption>()
  const errata: string[] = []
  const i0 = (n: string) => REG.IDR0.layout.get([BigInt(id.IDR0)], n as never)
  const i1 = (n: string) => REG.IDR1.layout.get([BigInt(id.IDR1)], n as never)
  const i3 = (n: string) => REG.IDR3.layout.get([BigInt(id.IDR3)], n as never)
  const i5 = (n: string) => REG.IDR5.layout.get([BigInt(id.IDR5)], n as never)
  let error: string | undefined
  const fail = (why: string) => (error ??= why)
  let ias = 0
  if (env.coherent) f.add('ARM_SMMU_FEAT_COHERENCY')

  // IDR0
  if (i0('ST_LEVEL') === 1) f.add('ARM_SMMU_FEAT_2_LVL_STRTAB')
  if (i0('CD2L')) f.add('ARM_SMMU_FEAT_2_LVL_CDTAB')
  // Tables must have the CPU's endianness (little-endian here).
  const endian = i0('TTENDIAN')
  if (endian === 0) {
    f.add('ARM_SMMU_FEAT_TT_LE')
    f.add('ARM_SMMU_FEAT_TT_BE')
  } else if (endian === 2) f.add('ARM_SMMU_FEAT_TT_LE')
  else fail('unknown/unsupported TT endianness!')
  if (i0('PRI')) f.add('ARM_SMMU_FEAT_PRI')
  if (i0('ATS')) f.add('ARM_SMMU_FEAT_ATS')
  if (i0('SEV')) f.add('ARM_SMMU_FEAT_SEV')
  if (i0('MSI')) {
    f.add('ARM_SMMU_FEAT_MSI')
    // Polling the CMD_SYNC's own slot needs the MSI write to be coherent.
    if (env.coherent) options.add('ARM_SMMU_OPT_MSIPOLL')
  }
  if (i0('HYP')) {
    f.add('ARM_SMMU_FEAT_HYP')
    if (env.vhe) f.add('ARM_SMMU_FEAT_E2H')
  }
  // BTM only when the SMMU's stream world can match the CPU's (E2H with VHE).
  if (i0('BTM') && (!env.vhe || i0('HYP'))) f.add('ARM_SMMU_FEAT_BTM')
  const httu = i0('HTTU')
  if (httu >= 1) f.add('ARM_SMMU_FEAT_HA')
  if (httu >= 2) f.add('ARM_SMMU_FEAT_HD')
  const stall = i0('STALL_MODEL')
  if (stall === 2) f.add('ARM_SMMU_FEAT_STALL_FORCE')
  if (stall === 0 || stall === 2) f.add('ARM_SMMU_FEAT_STALLS')
  if (i0('S1P')) f.add('ARM_SMMU_FEAT_TRANS_S1')
  if (i0('S2P')) f.add('ARM_SMMU_FEAT_TRANS_S2')
  if (!i0('S1P') && !i0('S2P')) fail('no translation support!')
  const ttf = i0('TTF')
  if (ttf === 3) ias = 40
  else if (ttf !== 2) fail('AArch64 table format not supported!')
  const asidBits = i0('ASID16') ? 16 : 8
  const vmidBits = i0('VMID16') ? 16 : 8

  // IDR1
  if (i1('TABLES_PRESET') || i1('QUEUES_PRESET') || i1('REL')) fail('embedded implementation not supported')
  if (i1('ATTR_TYPES_OVR')) f.add('ARM_SMMU_FEAT_ATTR_TYPES_OVR')
  const qmax = env.pageShift + maxPageOrder(env.pageShift)
  const cmdqShift = Math.min(qmax - 4, i1('CMDQS'))
  if (cmdqShift <= Math.log2(CMDQ_BATCH_ENTRIES)) fail(`command queue size <= ${CMDQ_BATCH_ENTRIES} entries not supported`)
  const evtqShift = Math.min(qmax - 5, i1('EVENTQS'))
  const priqShift = Math.min(qmax - 4, i1('PRIQS'))
  const ssidBits = i1('SSIDSIZE')
  const sidBits = i1('SIDSIZE')
  // Fewer SID bits than one level-2 table covers: a linear table is smaller.
  if (sidBits <= STRTAB_SPLIT) f.delete('ARM_SMMU_FEAT_2_LVL_STRTAB')

  // IDR3
  if (i3('RIL')) f.add('ARM_SMMU_FEAT_RANGE_INV')
  if (i3('FWB')) f.add('ARM_SMMU_FEAT_S2FWB')
  if (i3('BBML') === 2) f.add('ARM_SMMU_FEAT_BBML2')

  // IDR5
  let pgsize = 0
  if (i5('GRAN64K')) pgsize += SZ(16) + SZ(29)
  if (i5('GRAN16K')) pgsize += SZ(14) + SZ(25)
  if (i5('GRAN4K')) pgsize += SZ(12) + SZ(21) + SZ(30)
  if (i5('VAX') === 1) f.add('ARM_SMMU_FEAT_VAX')
  const oasCode = i5('OAS')
  // Unknown encodings are truncated to 48 bits.
  const oas = oasCode < OAS_BITS.length ? OAS_BITS[oasCode] : 48
  // A 52-bit output adds the 64K granule's level-1 block: 4 TB.
  if (oas === 52) pgsize += SZ(42)
  ias = Math.max(ias, oas)
  if (f.has('ARM_SMMU_FEAT_TRANS_S1') && f.has('ARM_SMMU_FEAT_TRANS_S2')) f.add('ARM_SMMU_FEAT_NESTING')

  // IIDR errata (arm_smmu_device_iidr_probe)
  const iidr = BigInt(id.IIDR)
  const L = REG.IIDR.layout
  if (L.get([iidr], 'Implementer') === IMPLEMENTER_ARM) {
    const product = L.get([iidr], 'ProductID')
    const variant = L.get([iidr], 'Variant')
    const revision = L.get([iidr], 'Revision')
    if (product === PRODUCT_MMU_600) {
      if (variant === 0 && revision <= 2 && f.delete('ARM_SMMU_FEAT_SEV')) errata.push('Arm erratum 1076982: SEV cleared')
      if (variant < 2 && f.delete('ARM_SMMU_FEAT_NESTING')) errata.push('Arm erratum 1209401: NESTING cleared')
    } else if (product === PRODUCT_MMU_700) {
      if (f.delete('ARM_SMMU_FEAT_BTM')) errata.push('Arm erratum 2812531: BTM cleared')
      options.add('ARM_SMMU_OPT_CMDQ_FORCE_SYNC')
      errata.push('Arm erratum 2812531: CMDQ_FORCE_SYNC set')
      if (f.delete('ARM_SMMU_FEAT_NESTING')) errata.push('Arm errata 2268618, 2812531: NESTING cleared')
    }
  }

  return {
    features: FEATURE_ORDER.filter((x) => f.has(x)),
    options: (['ARM_SMMU_OPT_MSIPOLL', 'ARM_SMMU_OPT_CMDQ_FORCE_SYNC'] as const).filter((o) => options.has(o)),
    pgsizeBitmap: pgsize,
    ias,
    oas,
    asidBits,
    vmidBits,
    sidBits,
    ssidBits,
    cmdqShift,
    evtqShift,
    priqShift,
    errata,
    ...(error !== undefined && { error }),
  }
}

export function hasFeature(p: ProbeResult, feat: SmmuFeature): boolean {
  return p.features.includes(feat)
}

export function hasOption(p: ProbeResult, opt: SmmuOption): boolean {
  return p.options.includes(opt)
}

/**
 * arm_lpae_restrict_pgsizes: the sizes one io-pgtable domain may use. The
 * granule is PAGE_SIZE when the SMMU offers it, else the largest smaller
 * one, else the smallest larger one; blocks follow the granule (4T only
 * with a 64K granule and an output size above 48 bits).
 */
export function restrictPgsizes(smmuBitmap: number, pageShift: number, oas: number, granuleShift?: number): { granule: number; bitmap: number } {
  let g = granuleShift
  if (g === undefined) {
    const page = SZ(pageShift)
    const offered = [12, 14, 16].filter((s) => smmuBitmap % SZ(s + 1) >= SZ(s))
    if (offered.includes(pageShift)) g = pageShift
    else {
      const smaller = offered.filter((s) => SZ(s) < page)
      g = smaller.length ? smaller[smaller.length - 1] : offered.find((s) => SZ(s) > page)
    }
  }
  if (g === undefined) return { granule: 0, bitmap: 0 }
  const sizes = g === 12 ? [12, 21, 30] : g === 14 ? [14, 25] : oas > 48 ? [16, 29, 42] : [16, 29]
  const bitmap = sizes.filter((s) => smmuBitmap % SZ(s + 1) >= SZ(s)).reduce((a, s) => a + SZ(s), 0)
  return { granule: g, bitmap }
}

/** Sizes (log2) present in a bitmap, smallest first. */
export function bitmapSizes(bitmap: number): number[] {
  const out: number[] = []
  for (let s = 0; s < 53; s++) if (Math.floor(bitmap / SZ(s)) % 2 === 1) out.push(s)
  return out
}
