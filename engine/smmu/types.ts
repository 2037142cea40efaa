/**
 * Shared types of the SMMU model: the decoded configuration (what an STE and
 * its CD say), walk results and faults, and IOTLB entries. The walker, the
 * caches and the device all speak these.
 */

/** Translation granule as log2 of its size: 4K, 16K, 64K. */
export type Granule = 12 | 14 | 16

export const GRANULE_NAME: Record<Granule, '4K' | '16K' | '64K'> = { 12: '4K', 14: '16K', 16: '64K' }

/** Requested access. Reads and writes; instruction fetch is not modelled (InD = 0). */
export interface Access {
  readonly read: boolean
  readonly write: boolean
}

/** Permission bits as IOMMU flags: bit 0 read, bit 1 write (QEMU's IOMMU_RO/WO/RW). */
export type Perm = number
export const PERM_R = 1
export const PERM_W = 2

/** One stage-1 translation table (TT0 or TT1) of a CD, after decode. */
export interface S1Table {
  /** TnSZ: input size is 64 - tsz bits. */
  readonly tsz: number
  readonly granule: Granule
  /** TTBn as programmed (an IPA when nested). */
  readonly ttb: number
  /** TTBn as a PA: equal to ttb, or ttb translated by stage 2 when nested. */
  readonly ttbPa: number
  /** Hierarchical attribute disable: APTable is ignored when set. */
  readonly had: boolean
}

export interface S1Config {
  /** TT0, TT1; null where EPDn = 1 (walks there fault). */
  readonly tt: readonly [S1Table | null, S1Table | null]
  /** CD.TBI[1:0]: top byte ignore for TT0 (bit 0) and TT1 (bit 1). */
  readonly tbi: number
  /** Effective output address size in bits (CD.IPS capped by IDR5.OAS). */
  readonly oas: number
  readonly affd: boolean
  /** CD.R: record stage-1 faults. */
  readonly record: boolean
  readonly asid: number
}

export interface S2Config {
  readonly vmid: number
  /** S2T0SZ: input size is 64 - tsz bits. */
  readonly tsz: number
  readonly sl0: number
  readonly granule: Granule
  /** S2TTB. */
  readonly ttb: number
  /** Effective PA size in bits: min(S2PS, IDR5.OAS) (48 cap unless 64K). */
  readonly ps: number
  readonly affd: boolean
  /** STE.S2R: record stage-2 faults. */
  readonly record: boolean
  /**
   * QEMU's concatenated start table (platform.qemuCompat): the concatenated
   * table's offset is masked away, so every IPA indexes the first table
   * (SPEC-FACTS A§5 S2 step 4). Absent: the architecture.
   */
  readonly qemuConcat?: boolean
}

export type ConfigKind = 'abort' | 'bypass' | 's1' | 's2' | 'nested'

/** What an IOTLB entry is tagged with. ASID -1: stage-2 only; VMID -1: no stage 2 (S2P = 0); stage 12: nested. */
export interface TlbTag {
  readonly asid: number
  readonly vmid: number
  readonly stage: 1 | 2 | 12
}

/** A tag with the three packed in one number (`key`, the IOTLB's index key): what a stream's translations carry. */
export interface StreamTag extends TlbTag {
  readonly key: number
}

/** A decoded STE (+ CD): what the configuration cache holds for a StreamID/SubstreamID. */
export interface TransConfig {
  readonly sid: number
  readonly ssid: number
  readonly kind: ConfigKind
  readonly s1?: S1Config
  readonly s2?: S2Config
  /**
   * VMID that tags this stream's IOTLB entries: STE.S2VMID whenever stage 2
   * is implemented, even for a stage-1-only STE (why Linux reserves VMID 0
   * for S1 and bypass STEs); -1 when IDR0.S2P=0.
   */
  readonly vmid?: number
  /** The IOTLB tag of this stream's translations (stage-1, stage-2 and nested configurations). */
  readonly tag?: StreamTag
  /** Where the STE (and CD) came from, for the UI's links. */
  readonly steAddr: number
  readonly cdAddr?: number
}

export type FaultType = 'F_TRANSLATION' | 'F_ADDR_SIZE' | 'F_ACCESS' | 'F_PERMISSION' | 'F_WALK_EABT'

/** CLASS in the event record: what the faulting access was for. */
export type FaultClass = 'CD' | 'TT' | 'IN'

export interface WalkFault {
  readonly type: FaultType
  readonly stage: 1 | 2
  readonly cls: FaultClass
  /** Level at which the walk stopped (-1 before the first read). */
  readonly level: number
  /** addr2: the IPA for stage-2 faults; the descriptor address for F_WALK_EABT. */
  readonly addr2: number
}

/** One descriptor read by the walker: a cell of the walk grid. */
export interface WalkStep {
  readonly stage: 1 | 2
  readonly level: number
  /** Address of the descriptor read (a PA). */
  readonly address: number
  /** Descriptor halves as read. */
  readonly lo: number
  readonly hi: number
  /** What the descriptor was. */
  readonly type: 'table' | 'block' | 'page' | 'invalid' | 'reserved' | 'eabt'
  /**
   * For stage-2 steps in a nested walk: which stage-1 read they serve
   * (index of the stage-1 step whose table address is being translated; -1
   * for the CD / TTB translation, `s1Steps` for the final IPA).
   */
  readonly forS1?: number
  readonly cls?: FaultClass
}

/** One stage's leaf mapping, as a nested walk found it (the split IOTLB caches stages apart). */
export interface LeafInfo {
  /** Input page (IOVA or IPA >> 12) of the leaf, aligned to 2^sizeBits. */
  readonly ipn: number
  readonly sizeBits: number
  readonly level: number
  readonly granule: Granule
  /** Output base of the leaf: an IPA for stage 1 of a nested walk, else a PA. */
  readonly pa: number
  readonly perm: Perm
}

export interface WalkOk {
  readonly ok: true
  /** Output address of the accessed byte. */
  readonly pa: number
  /** Intermediate address (nested: S1 output). */
  readonly ipa?: number
  /** log2 of the size of the mapping the TLB may cache (smaller stage wins). */
  readonly sizeBits: number
  readonly level: number
  readonly granule: Granule
  /** Stage-1 permission (or the only stage's). */
  readonly perm: Perm
  /** Stage-2 permission in a nested walk; equal to perm otherwise. */
  readonly parentPerm: Perm
  /** Nested walks: each stage's leaf (the combined entry is the smaller of the two). */
  readonly s1Leaf?: LeafInfo
  readonly s2Leaf?: LeafInfo
}

export interface WalkErr {
  readonly ok: false
  readonly fault: WalkFault
}

export type WalkResult = WalkOk | WalkErr

/** What a walk reads descriptors through: PhysMem satisfies it (throws BusError outside RAM). */
export interface DescReader {
  /** Bits 31:0 of the aligned 64-bit word at pa; bits 63:32 left in `hi`. */
  load64(pa: number): number
  readonly hi: number
}

/** Receives each descriptor read (null when nobody is watching). */
export type WalkTrace = ((step: WalkStep) => void) | null

/** A cached translation: the leaf (input page, size, output base, perm) plus its tags. `stage`: 1 (S1-only), 2 (S2-only, or S2 of a CD/table address), 12 (nested combined). */
export interface TlbEntry extends LeafInfo {
  readonly asid: number
  readonly vmid: number
  readonly stage: 1 | 2 | 12
  /** Stage-2 permission of a nested translation (equal to perm otherwise). */
  readonly parentPerm: Perm
}
