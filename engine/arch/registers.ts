/**
 * The SMMUv3 register file of page 0 (IHI 0070 6.3), as data: offset, width,
 * reset value, access and the architectural field layout of every register.
 * The device model, the MMIO trap log and the register panel all read this table.
 */
import { SHAREABILITY } from './attrs'
import { layout, type FieldSpec, type Layout } from './layout'

export type RegAccess = 'rw' | 'ro' | 'wo'

export interface RegDef<L extends Layout = Layout> {
  /** Specification name without the SMMU_ prefix. */
  readonly name: string
  /** Offset in page 0. */
  readonly offset: number
  readonly width: 32 | 64
  /** Value at reset (architecturally UNKNOWN values are modelled as the value given here). */
  readonly reset: bigint
  readonly layout: L
  readonly access: RegAccess
  /**
   * Register page the architecture places the register on. EVENTQ_PROD/CONS and
   * PRIQ_PROD/CONS live on page 1 (offset + 0x10000); `offset` is still the page-0 offset.
   */
  readonly page: 0 | 1
  readonly desc: string
}

/** The same type, under the name the SMMU model uses. */
export type RegisterDef<L extends Layout = Layout> = RegDef<L>

const REF = 'IHI 0070 6.3'

// Cited by register name: section numbers within 6.3 differ between revisions of IHI 0070.
function regLayout<const S extends Record<string, FieldSpec>>(name: string, wordBits: 32 | 64, specs: S) {
  return layout(`SMMU_${name}`, { words: 1, wordBits, ref: `${REF} SMMU_${name}`, title: `SMMU_${name}` }, specs)
}

function reg<L extends Layout>(
  name: string,
  offset: number,
  width: 32 | 64,
  access: RegAccess,
  reset: bigint,
  lay: L,
  desc: string,
  page: 0 | 1 = 0,
): RegDef<L> {
  return { name, offset, width, reset, layout: lay, access, page, desc }
}

// Named values shared by several fields (values, not positions).
const CACHEABILITY = { NC: 0, WB: 1, WT: 2 } as const
/** IDR5.OAS / CD.IPS / STE.S2PS encoding of a physical address size (IHI 0070 6.3.6). */
export const PA_SIZE_VALUES = { '32-bit': 0, '36-bit': 1, '40-bit': 2, '42-bit': 3, '44-bit': 4, '48-bit': 5, '52-bit': 6 } as const

/** CMDQ_CONS.ERR codes (IHI 0070 4.1.4). */
export const CERROR = { CERROR_NONE: 0, CERROR_ILL: 1, CERROR_ABT: 2, CERROR_ATC_INV_SYNC: 3 } as const
export type CerrorName = keyof typeof CERROR

const f = (hi: number, lo: number, desc: string, extra: Partial<FieldSpec> = {}): FieldSpec => ({ word: 0, bits: [hi, lo], desc, ...extra })

// Field sets used by two registers (a register and its ACK or N partner): declared once.
const CR0_FIELDS = {
  SMMUEN: f(0, 0, 'Non-secure SMMU enable'),
  PRIQEN: f(1, 1, 'PRI queue enable'),
  EVENTQEN: f(2, 2, 'Event queue enable'),
  CMDQEN: f(3, 3, 'Command queue enable'),
  ATSCHK: f(4, 4, 'ATS behavior: 1 = ATS Translated traffic is checked against the STE'),
  VMW: f(8, 6, 'VMID wildcard for TLB invalidation (0 = exact match)'),
} as const

const IRQ_CTRL_FIELDS = {
  GERROR_IRQEN: f(0, 0, 'GERROR interrupt enable'),
  PRIQ_IRQEN: f(1, 1, 'PRI queue interrupt enable'),
  EVENTQ_IRQEN: f(2, 2, 'Event queue interrupt enable'),
} as const

/** GERROR / GERRORN bits (IHI 0070 6.3.14): an error is active while GERROR[n] != GERRORN[n]. */
const GERROR_FIELDS = {
  CMDQ_ERR: f(0, 0, 'Command queue error; reason in CMDQ_CONS.ERR'),
  EVENTQ_ABT_ERR: f(2, 2, 'Event queue write aborted'),
  PRIQ_ABT_ERR: f(3, 3, 'PRI queue write aborted'),
  MSI_CMDQ_ABT_ERR: f(4, 4, 'CMD_SYNC MSI write aborted'),
  MSI_EVENTQ_ABT_ERR: f(5, 5, 'Event queue MSI write aborted'),
  MSI_PRIQ_ABT_ERR: f(6, 6, 'PRI queue MSI write aborted'),
  MSI_GERROR_ABT_ERR: f(7, 7, 'GERROR MSI write aborted'),
  SFM_ERR: f(8, 8, 'SMMU entered Service Failure Mode'),
} as const

/** GERROR bit names, bit 0 first. */
export const GERROR_BITS = Object.keys(GERROR_FIELDS) as (keyof typeof GERROR_FIELDS)[]

const IRQ_CFG0_FIELDS = { ADDR: f(51, 2, 'MSI target address; 0 = no MSI (wired IRQ)', { kind: 'address' }) } as const
const IRQ_CFG1_FIELDS = { DATA: f(31, 0, 'MSI payload') } as const
const IRQ_CFG2_FIELDS = {
  MemAttr: f(3, 0, 'Memory type of the MSI write'),
  SH: f(5, 4, 'Shareability of the MSI write', { values: SHAREABILITY }),
} as const

const QUEUE_BASE_ADDR = {
  ADDR: f(51, 5, 'Queue base PA; aligned by the SMMU to max(queue size, 32 bytes)', { kind: 'address' }),
  LOG2SIZE: f(4, 0, 'Queue size as log2(entries), capped at IDR1.CMDQS/EVENTQS/PRIQS'),
} as const

const PROD_WR = { WR: f(19, 0, 'Write index: bits [QS-1:0] index, bit [QS] wrap') } as const
const CONS_RD = { RD: f(19, 0, 'Read index: bits [QS-1:0] index, bit [QS] wrap') } as const

const byte = (name: string, desc: string) => ({ [name]: f(7, 0, desc) }) as Record<string, FieldSpec>

export const REG = {
  IDR0: reg('IDR0', 0x00, 32, 'ro', 0n, regLayout('IDR0', 32, {
    S2P: f(0, 0, 'Stage 2 translation supported'),
    S1P: f(1, 1, 'Stage 1 translation supported'),
    TTF: f(3, 2, 'Translation table formats supported', { values: { AArch32: 1, AArch64: 2, 'AArch32+AArch64': 3 } }),
    COHACC: f(4, 4, 'Coherent access to structures, queues and tables'),
    BTM: f(5, 5, 'Broadcast TLB maintenance'),
    HTTU: f(7, 6, 'Hardware translation table update', { values: { none: 0, AF: 1, 'AF+dirty': 2 } }),
    DORMHINT: f(8, 8, 'STATUSR.DORMANT hint supported'),
    HYP: f(9, 9, 'EL2 translation regime (E2H) supported'),
    ATS: f(10, 10, 'PCIe ATS supported'),
    NS1ATS: f(11, 11, 'Split-stage ATS not supported'),
    ASID16: f(12, 12, '16-bit ASIDs (else 8)'),
    MSI: f(13, 13, 'Message-signalled interrupts supported'),
    SEV: f(14, 14, 'SMMU generates WFE wake-up events'),
    ATOS: f(15, 15, 'Address Translation Operations supported'),
    PRI: f(16, 16, 'PCIe PRI supported'),
    VMW: f(17, 17, 'VMID wildcard matching supported'),
    VMID16: f(18, 18, '16-bit VMIDs (else 8)'),
    CD2L: f(19, 19, '2-level CD tables supported'),
    VATOS: f(20, 20, 'Virtual ATOS page supported'),
    TTENDIAN: f(22, 21, 'Translation table endianness supported', { values: { mixed: 0, LE: 2, BE: 3 } }),
    ATSRECERR: f(23, 23, 'ATS recoverable error handling'),
    STALL_MODEL: f(25, 24, 'Stall model', { values: { 'stall+terminate': 0, terminate: 1, 'stall-forced': 2 } }),
    TERM_MODEL: f(26, 26, 'Terminate model: 1 = terminated transactions always abort (CD.A must be 1)'),
    ST_LEVEL: f(28, 27, 'Stream table levels supported', { values: { linear: 0, '2level': 1 } }),
    RME_IMPL: f(30, 30, 'Realm Management Extension implemented'),
  }), 'Identification: translation features'),
  IDR1: reg('IDR1', 0x04, 32, 'ro', 0n, regLayout('IDR1', 32, {
    SIDSIZE: f(5, 0, 'StreamID bits'),
    SSIDSIZE: f(10, 6, 'SubstreamID bits (0 = substreams unsupported)'),
    PRIQS: f(15, 11, 'Maximum PRI queue log2 size'),
    EVENTQS: f(20, 16, 'Maximum Event queue log2 size'),
    CMDQS: f(25, 21, 'Maximum Command queue log2 size'),
    ATTR_PERMS_OVR: f(26, 26, 'STE overrides of PRIVCFG/INSTCFG supported'),
    ATTR_TYPES_OVR: f(27, 27, 'STE overrides of MTCFG/MemAttr/ALLOCCFG/SHCFG supported'),
    REL: f(28, 28, 'Queue and table base addresses are relative'),
    QUEUES_PRESET: f(29, 29, 'Queue bases are fixed'),
    TABLES_PRESET: f(30, 30, 'Table bases are fixed'),
    ECMDQ: f(31, 31, 'Enhanced Command queues supported'),
  }), 'Identification: sizes and presets'),
  IDR2: reg('IDR2', 0x08, 32, 'ro', 0n, regLayout('IDR2', 32, {
    BA_VATOS: f(9, 0, 'Base address of the VATOS page (in 64KB units)'),
  }), 'Identification: VATOS'),
  IDR3: reg('IDR3', 0x0c, 32, 'ro', 0n, regLayout('IDR3', 32, {
    HAD: f(2, 2, 'Hierarchical attribute disable (CD.HAD0/1) supported'),
    PBHA: f(3, 3, 'Page-based hardware attributes'),
    XNX: f(4, 4, 'EL0/EL1 execute-never distinction at stage 2'),
    PPS: f(5, 5, 'PRI responses use the PASID of the stalled request'),
    MPAM: f(7, 7, 'MPAM supported'),
    FWB: f(8, 8, 'Stage 2 forced write-back (STE.S2FWB)'),
    STT: f(9, 9, 'Small translation tables'),
    RIL: f(10, 10, 'Range invalidation (TG/TTL/SCALE/NUM)'),
    BBML: f(12, 11, 'Break-before-make level'),
    E0PD: f(13, 13, 'CD.E0PD supported'),
    PTWNNC: f(14, 14, 'Walks to Normal non-cacheable memory are not coherent'),
    DPT: f(15, 15, 'Device Permission Table supported'),
  }), 'Identification: optional features'),
  IDR4: reg('IDR4', 0x10, 32, 'ro', 0n, regLayout('IDR4', 32, {}), 'Identification: IMPLEMENTATION DEFINED'),
  IDR5: reg('IDR5', 0x14, 32, 'ro', 0n, regLayout('IDR5', 32, {
    OAS: f(2, 0, 'Output (physical) address size', { values: PA_SIZE_VALUES }),
    GRAN4K: f(4, 4, '4KB translation granule supported'),
    GRAN16K: f(5, 5, '16KB translation granule supported'),
    GRAN64K: f(6, 6, '64KB translation granule supported'),
    VAX: f(11, 10, 'Virtual address extension', { values: { '48-bit': 0, '52-bit': 1 } }),
    STALL_MAX: f(31, 16, 'Maximum outstanding stalled transactions'),
  }), 'Identification: addresses and granules'),
  IIDR: reg('IIDR', 0x18, 32, 'ro', 0n, regLayout('IIDR', 32, {
    Implementer: f(11, 0, 'JEP106 implementer code (0x43B = Arm)'),
    Revision: f(15, 12, 'Minor revision'),
    Variant: f(19, 16, 'Major revision'),
    ProductID: f(31, 20, 'Product (0x483 MMU-600, 0x487 MMU-700)'),
  }), 'Implementation identification'),
  AIDR: reg('AIDR', 0x1c, 32, 'ro', 0n, regLayout('AIDR', 32, {
    ArchMinorRev: f(3, 0, 'SMMUv3.x minor revision'),
    ArchMajorRev: f(7, 4, 'Major revision (0 = SMMUv3)'),
  }), 'Architecture version'),
  CR0: reg('CR0', 0x20, 32, 'rw', 0n, regLayout('CR0', 32, CR0_FIELDS), 'Global control: enables'),
  CR0ACK: reg('CR0ACK', 0x24, 32, 'ro', 0n, regLayout('CR0ACK', 32, CR0_FIELDS), 'CR0 as the SMMU has applied it'),
  CR1: reg('CR1', 0x28, 32, 'rw', 0n, regLayout('CR1', 32, {
    QUEUE_IC: f(1, 0, 'Queue access inner cacheability', { values: CACHEABILITY }),
    QUEUE_OC: f(3, 2, 'Queue access outer cacheability', { values: CACHEABILITY }),
    QUEUE_SH: f(5, 4, 'Queue access shareability', { values: SHAREABILITY }),
    TABLE_IC: f(7, 6, 'Table walk inner cacheability', { values: CACHEABILITY }),
    TABLE_OC: f(9, 8, 'Table walk outer cacheability', { values: CACHEABILITY }),
    TABLE_SH: f(11, 10, 'Table walk shareability', { values: SHAREABILITY }),
  }), 'Global control: attributes of queue and table accesses'),
  CR2: reg('CR2', 0x2c, 32, 'rw', 0n, regLayout('CR2', 32, {
    E2H: f(0, 0, 'EL2 streams use the E2H (VHE) regime'),
    RECINVSID: f(1, 1, 'Record C_BAD_STREAMID for invalid StreamIDs'),
    PTM: f(2, 2, 'Private TLB maintenance: ignore broadcast TLBI'),
  }), 'Global control: miscellaneous'),
  STATUSR: reg('STATUSR', 0x40, 32, 'ro', 0n, regLayout('STATUSR', 32, {
    DORMANT: f(0, 0, 'SMMU and its caches are dormant'),
  }), 'Status'),
  // Reset 0x1000 (SHCFG = use incoming) as QEMU; the architecture leaves ABORT's reset IMPLEMENTATION DEFINED.
  GBPA: reg('GBPA', 0x44, 32, 'rw', 0x1000n, regLayout('GBPA', 32, {
    MemAttr: f(3, 0, 'Memory type override when bypassing with SMMUEN=0'),
    MTCFG: f(4, 4, 'Memory type: 0 = use incoming, 1 = use MemAttr'),
    ALLOCCFG: f(11, 8, 'Allocation hints override'),
    SHCFG: f(13, 12, 'Shareability override', { values: { NSH: 0, incoming: 1, OSH: 2, ISH: 3 } }),
    PRIVCFG: f(17, 16, 'Privilege override', { values: { incoming: 0, unprivileged: 2, privileged: 3 } }),
    INSTCFG: f(19, 18, 'Instruction/data override', { values: { incoming: 0, data: 2, instruction: 3 } }),
    ABORT: f(20, 20, 'Abort all incoming transactions while SMMUEN=0'),
    UPDATE: f(31, 31, 'Write 1 with new values; reads 1 until the update completes'),
  }), 'Global bypass attributes (SMMUEN=0)'),
  AGBPA: reg('AGBPA', 0x48, 32, 'rw', 0n, regLayout('AGBPA', 32, {}), 'Alternate global bypass attributes (IMPLEMENTATION DEFINED)'),
  IRQ_CTRL: reg('IRQ_CTRL', 0x50, 32, 'rw', 0n, regLayout('IRQ_CTRL', 32, IRQ_CTRL_FIELDS), 'Interrupt enables'),
  IRQ_CTRLACK: reg('IRQ_CTRLACK', 0x54, 32, 'ro', 0n, regLayout('IRQ_CTRLACK', 32, IRQ_CTRL_FIELDS), 'IRQ_CTRL as the SMMU has applied it'),
  GERROR: reg('GERROR', 0x60, 32, 'ro', 0n, regLayout('GERROR', 32, GERROR_FIELDS), 'Global errors: the SMMU toggles a bit to raise an error'),
  GERRORN: reg('GERRORN', 0x64, 32, 'rw', 0n, regLayout('GERRORN', 32, GERROR_FIELDS), 'Global errors acknowledged: software toggles a bit to match GERROR'),
  GERROR_IRQ_CFG0: reg('GERROR_IRQ_CFG0', 0x68, 64, 'rw', 0n, regLayout('GERROR_IRQ_CFG0', 64, IRQ_CFG0_FIELDS), 'GERROR MSI address'),
  GERROR_IRQ_CFG1: reg('GERROR_IRQ_CFG1', 0x70, 32, 'rw', 0n, regLayout('GERROR_IRQ_CFG1', 32, IRQ_CFG1_FIELDS), 'GERROR MSI data'),
  GERROR_IRQ_CFG2: reg('GERROR_IRQ_CFG2', 0x74, 32, 'rw', 0n, regLayout('GERROR_IRQ_CFG2', 32, IRQ_CFG2_FIELDS), 'GERROR MSI attributes'),
  STRTAB_BASE: reg('STRTAB_BASE', 0x80, 64, 'rw', 0n, regLayout('STRTAB_BASE', 64, {
    ADDR: f(51, 6, 'Stream table base PA; aligned by the SMMU to the table (linear) or L1 table size (2-level)', { kind: 'address' }),
    RA: f(62, 62, 'Read-allocate hint for table walks'),
  }), 'Stream table base'),
  STRTAB_BASE_CFG: reg('STRTAB_BASE_CFG', 0x88, 32, 'rw', 0n, regLayout('STRTAB_BASE_CFG', 32, {
    LOG2SIZE: f(5, 0, 'Stream table size as log2(STEs); effective value min(LOG2SIZE, IDR1.SIDSIZE)'),
    SPLIT: f(10, 6, 'StreamID bits indexing the level-2 tables (6, 8 or 10; others behave as 6)'),
    FMT: f(17, 16, 'Stream table format (reserved values behave as linear)', { values: { linear: 0, '2level': 1 } }),
  }), 'Stream table configuration'),
  // CMDQ/EVENTQ bases: architecturally UNKNOWN at reset; LOG2SIZE = 19 as QEMU resets them.
  CMDQ_BASE: reg('CMDQ_BASE', 0x90, 64, 'rw', 19n, regLayout('CMDQ_BASE', 64, {
    ...QUEUE_BASE_ADDR,
    RA: f(62, 62, 'Read-allocate hint'),
  }), 'Command queue base and size'),
  CMDQ_PROD: reg('CMDQ_PROD', 0x98, 32, 'rw', 0n, regLayout('CMDQ_PROD', 32, PROD_WR), 'Command queue producer index (software)'),
  CMDQ_CONS: reg('CMDQ_CONS', 0x9c, 32, 'rw', 0n, regLayout('CMDQ_CONS', 32, {
    ...CONS_RD,
    ERR: f(30, 24, 'Reason for the last command error (valid while GERROR.CMDQ_ERR is active)', { values: CERROR }),
  }), 'Command queue consumer index (SMMU) and error'),
  EVENTQ_BASE: reg('EVENTQ_BASE', 0xa0, 64, 'rw', 19n, regLayout('EVENTQ_BASE', 64, {
    ...QUEUE_BASE_ADDR,
    WA: f(62, 62, 'Write-allocate hint'),
  }), 'Event queue base and size'),
  EVENTQ_PROD: reg('EVENTQ_PROD', 0xa8, 32, 'rw', 0n, regLayout('EVENTQ_PROD', 32, {
    ...PROD_WR,
    OVFLG: f(31, 31, 'Overflow flag: toggled by the SMMU when it drops an event on a full queue'),
  }), 'Event queue producer index (SMMU)', 1),
  EVENTQ_CONS: reg('EVENTQ_CONS', 0xac, 32, 'rw', 0n, regLayout('EVENTQ_CONS', 32, {
    ...CONS_RD,
    OVACKFLG: f(31, 31, 'Overflow acknowledge: software copies PROD.OVFLG here'),
  }), 'Event queue consumer index (software)', 1),
  EVENTQ_IRQ_CFG0: reg('EVENTQ_IRQ_CFG0', 0xb0, 64, 'rw', 0n, regLayout('EVENTQ_IRQ_CFG0', 64, IRQ_CFG0_FIELDS), 'Event queue MSI address'),
  EVENTQ_IRQ_CFG1: reg('EVENTQ_IRQ_CFG1', 0xb8, 32, 'rw', 0n, regLayout('EVENTQ_IRQ_CFG1', 32, IRQ_CFG1_FIELDS), 'Event queue MSI data'),
  EVENTQ_IRQ_CFG2: reg('EVENTQ_IRQ_CFG2', 0xbc, 32, 'rw', 0n, regLayout('EVENTQ_IRQ_CFG2', 32, IRQ_CFG2_FIELDS), 'Event queue MSI attributes'),
  PRIQ_BASE: reg('PRIQ_BASE', 0xc0, 64, 'rw', 0n, regLayout('PRIQ_BASE', 64, {
    ...QUEUE_BASE_ADDR,
    WA: f(62, 62, 'Write-allocate hint'),
  }), 'PRI queue base and size'),
  PRIQ_PROD: reg('PRIQ_PROD', 0xc8, 32, 'rw', 0n, regLayout('PRIQ_PROD', 32, {
    ...PROD_WR,
    OVFLG: f(31, 31, 'Overflow flag'),
  }), 'PRI queue producer index (SMMU)', 1),
  PRIQ_CONS: reg('PRIQ_CONS', 0xcc, 32, 'rw', 0n, regLayout('PRIQ_CONS', 32, {
    ...CONS_RD,
    OVACKFLG: f(31, 31, 'Overflow acknowledge'),
  }), 'PRI queue consumer index (software)', 1),
  PRIQ_IRQ_CFG0: reg('PRIQ_IRQ_CFG0', 0xd0, 64, 'rw', 0n, regLayout('PRIQ_IRQ_CFG0', 64, IRQ_CFG0_FIELDS), 'PRI queue MSI address'),
  PRIQ_IRQ_CFG1: reg('PRIQ_IRQ_CFG1', 0xd8, 32, 'rw', 0n, regLayout('PRIQ_IRQ_CFG1', 32, IRQ_CFG1_FIELDS), 'PRI queue MSI data'),
  PRIQ_IRQ_CFG2: reg('PRIQ_IRQ_CFG2', 0xdc, 32, 'rw', 0n, regLayout('PRIQ_IRQ_CFG2', 32, {
    ...IRQ_CFG2_FIELDS,
    LO: f(31, 31, 'Lock-out: PRI queue overflow handling'),
  }), 'PRI queue MSI attributes'),
  // CoreSight identification (IHI 0070 6.2): byte values of an MMU-600, as QEMU presents them.
  PIDR4: reg('PIDR4', 0xfd0, 32, 'ro', 0x04n, regLayout('PIDR4', 32, { DES_2: f(3, 0, 'JEP106 continuation code'), SIZE: f(7, 4, '4KB blocks occupied (log2)') }), 'Peripheral ID 4'),
  PIDR5: reg('PIDR5', 0xfd4, 32, 'ro', 0n, regLayout('PIDR5', 32, {}), 'Peripheral ID 5 (reserved)'),
  PIDR6: reg('PIDR6', 0xfd8, 32, 'ro', 0n, regLayout('PIDR6', 32, {}), 'Peripheral ID 6 (reserved)'),
  PIDR7: reg('PIDR7', 0xfdc, 32, 'ro', 0n, regLayout('PIDR7', 32, {}), 'Peripheral ID 7 (reserved)'),
  PIDR0: reg('PIDR0', 0xfe0, 32, 'ro', 0x84n, regLayout('PIDR0', 32, byte('PART_0', 'Part number bits [7:0]')), 'Peripheral ID 0'),
  PIDR1: reg('PIDR1', 0xfe4, 32, 'ro', 0xb4n, regLayout('PIDR1', 32, { PART_1: f(3, 0, 'Part number bits [11:8]'), DES_0: f(7, 4, 'JEP106 identity bits [3:0]') }), 'Peripheral ID 1'),
  PIDR2: reg('PIDR2', 0xfe8, 32, 'ro', 0xf0n, regLayout('PIDR2', 32, { DES_1: f(2, 0, 'JEP106 identity bits [6:4]'), JEDEC: f(3, 3, 'JEDEC-assigned identity'), REVISION: f(7, 4, 'Revision') }), 'Peripheral ID 2'),
  PIDR3: reg('PIDR3', 0xfec, 32, 'ro', 0x10n, regLayout('PIDR3', 32, { CMOD: f(3, 0, 'Customer modified'), REVAND: f(7, 4, 'Manufacturer revision') }), 'Peripheral ID 3'),
  CIDR0: reg('CIDR0', 0xff0, 32, 'ro', 0x0dn, regLayout('CIDR0', 32, byte('PRMBL_0', 'Preamble')), 'Component ID 0'),
  CIDR1: reg('CIDR1', 0xff4, 32, 'ro', 0xf0n, regLayout('CIDR1', 32, { PRMBL_1: f(3, 0, 'Preamble'), CLASS: f(7, 4, 'Component class') }), 'Component ID 1'),
  CIDR2: reg('CIDR2', 0xff8, 32, 'ro', 0x05n, regLayout('CIDR2', 32, byte('PRMBL_2', 'Preamble')), 'Component ID 2'),
  CIDR3: reg('CIDR3', 0xffc, 32, 'ro', 0xb1n, regLayout('CIDR3', 32, byte('PRMBL_3', 'Preamble')), 'Component ID 3'),
} as const

export type RegName = keyof typeof REG

/** Every page-0 register, ordered by offset. */
export const REGISTERS: readonly RegDef[] = (Object.values(REG) as RegDef[]).slice().sort((a, b) => a.offset - b.offset)

const BY_NAME = new Map<string, RegDef>(REGISTERS.map((r) => [r.name, r]))
const BY_OFFSET = new Map<number, RegDef>(REGISTERS.map((r) => [r.offset, r]))

/** The register with this specification name (without SMMU_), or undefined. */
export function regByName(name: string): RegDef | undefined {
  return BY_NAME.get(name)
}

/**
 * The register starting at this page-0 offset, or undefined. The upper half of
 * a 64-bit register (offset + 4) is not a register of its own: callers doing
 * 32-bit accesses to 64-bit registers align down to 8 first. Page 1 is folded by the caller.
 */
export function regByOffset(offset: number): RegDef | undefined {
  return BY_OFFSET.get(offset)
}
