/**
 * Locating an STE and a CD (IHI 0070 3.3): the level-1 descriptors of
 * 2-level stream and CD tables, and the pure address calculations, which read
 * level-1 descriptors through a caller-supplied reader (the caller journals
 * the reads and, when nested, translates CD-table IPAs).
 */
import { layout, type FieldView, type Words } from './layout'
import { alignDown } from './u64'

/** Level 1 Stream Table Descriptor (IHI 0070 5.1). */
export const L1STD = layout('L1STD', { words: 1, ref: 'IHI 0070 5.1', title: 'Level 1 Stream Table Descriptor' }, {
  Span: { word: 0, bits: [4, 0], desc: 'The level-2 table holds 2^(Span-1) STEs; 0 = invalid (12-31 behave as 0)' },
  L2Ptr: { word: 0, bits: [51, 6], kind: 'address', desc: 'Level-2 table address, aligned by the SMMU to its size' },
})

/** Level 1 Context Descriptor (IHI 0070 5.3). */
export const L1CD = layout('L1CD', { words: 1, ref: 'IHI 0070 5.3', title: 'Level 1 Context Descriptor' }, {
  V: { word: 0, bits: [0, 0], desc: 'L2Ptr valid; V=0 gives C_BAD_SUBSTREAMID' },
  L2Ptr: { word: 0, bits: [51, 12], kind: 'address', desc: 'Level-2 CD table address (an IPA when stage 2 translates)' },
})

const STE_SHIFT = 6 // 64-byte STE
const CD_SHIFT = 6 // 64-byte CD
const L1_SHIFT = 3 // 8-byte level-1 descriptors
const SPAN_MAX = 11

/** Reads the 64-bit level-1 descriptor at an address; may throw the memory's bus error. */
export type ReadL1 = (addr: number) => bigint

export type SteLookup =
  | { readonly ok: true; readonly steAddr: number; readonly l1Addr?: number }
  | { readonly ok: false; readonly event: 'C_BAD_STREAMID' | 'F_STE_FETCH'; readonly reason: string; readonly fetchAddr?: number }

export type CdLookup =
  | { readonly ok: true; readonly cdAddr: number; readonly l1Addr?: number }
  | { readonly ok: false; readonly event: 'C_BAD_SUBSTREAMID' | 'F_CD_FETCH'; readonly reason: string; readonly fetchAddr?: number }

/** STRTAB_BASE.ADDR and STRTAB_BASE_CFG, as programmed. */
export interface StrtabConfig {
  readonly base: number
  readonly log2size: number
  readonly split: number
  /** 1: 2-level; any other value behaves as linear (IHI 0070 6.3 SMMU_STRTAB_BASE_CFG.FMT). */
  readonly fmt: number
  /** IDR1.SIDSIZE: the effective LOG2SIZE is min(LOG2SIZE, SIDSIZE). */
  readonly sidBits?: number
}

/**
 * A bus error from the reader (PhysMem's BusError: an Error carrying `pa`).
 * Matched by shape: arch/ may not import mem/ (DESIGN.md layering). Anything
 * else the reader throws (a stage-2 fault signal, a bug) propagates.
 */
function isBusError(e: unknown): boolean {
  return e instanceof Error && typeof (e as { pa?: unknown }).pa === 'number'
}

function readOrAbort(read: ReadL1, addr: number): bigint[] | null {
  try {
    return [read(addr)]
  } catch (e) {
    if (isBusError(e)) return null
    throw e
  }
}

const hx = (n: number) => '0x' + n.toString(16)

/**
 * Where the STE of a StreamID is (IHI 0070 3.3.2, 6.3 SMMU_STRTAB_BASE/_CFG, 5.1).
 * The table base is aligned by the SMMU using the literal LOG2SIZE: to the table
 * size (linear) or to max(64 bytes, L1 table size) (2-level).
 */
export function steAddress(strtab: StrtabConfig, sid: number, readL1: ReadL1): SteLookup {
  const log2size = Math.min(strtab.log2size, strtab.sidBits ?? strtab.log2size)
  if (sid >= 2 ** log2size) {
    return { ok: false, event: 'C_BAD_STREAMID', reason: `StreamID ${sid} >= 2^${log2size} (STRTAB_BASE_CFG.LOG2SIZE)` }
  }
  if (strtab.fmt !== 1) {
    const table = alignDown(strtab.base, strtab.log2size + STE_SHIFT)
    return { ok: true, steAddr: table + sid * 2 ** STE_SHIFT }
  }
  // SPLIT values other than 6, 8, 10 are reserved and behave as 6.
  const split = strtab.split === 8 || strtab.split === 10 ? strtab.split : 6
  const l1Base = alignDown(strtab.base, Math.max(6, strtab.log2size - split + L1_SHIFT))
  const l1Addr = l1Base + Math.floor(sid / 2 ** split) * 2 ** L1_SHIFT
  const desc = readOrAbort(readL1, l1Addr)
  if (!desc) return { ok: false, event: 'F_STE_FETCH', reason: `L1STD read at ${hx(l1Addr)} aborted`, fetchAddr: l1Addr }
  const span = L1STD.get(desc, 'Span')
  const bad = (why: string): SteLookup => ({ ok: false, event: 'C_BAD_STREAMID', reason: `L1STD at ${hx(l1Addr)}: ${why}` })
  if (span === 0 || span > SPAN_MAX) return bad(`Span=${span}: no level-2 table`)
  if (span > split + 1) return bad(`Span=${span} exceeds SPLIT+1=${split + 1}`)
  const l2Index = sid % 2 ** split
  // The architecture reports an index beyond the level-2 table as C_BAD_STREAMID
  // (IHI 0070 7.3.3, 5.1.1); QEMU raises C_BAD_STE instead.
  if (l2Index >= 2 ** (span - 1)) return bad(`StreamID[${split - 1}:0]=${l2Index} is beyond the ${2 ** (span - 1)} STEs of Span=${span}`)
  const l2Base = alignDown(L1STD.get(desc, 'L2Ptr'), span - 1 + STE_SHIFT)
  return { ok: true, steAddr: l2Base + l2Index * 2 ** STE_SHIFT, l1Addr }
}

/** STE.S1ContextPtr, S1Fmt and S1CDMax. */
export interface CdTableConfig {
  readonly ptr: number
  readonly fmt: number
  readonly cdMax: number
}

/**
 * Where CD `index` is (IHI 0070 5.2 S1Fmt/S1CDMax, 5.3). `index` is the
 * SubstreamID, or 0 for traffic without one (S1CDMax = 0, or S1DSS = SSID0:
 * the caller applies S1DSS). Addresses are in the space of S1ContextPtr (an
 * IPA when nested): `readL1` translates if it must.
 */
export function cdAddress(cfg: CdTableConfig, index: number, readL1: ReadL1): CdLookup {
  if (cfg.cdMax === 0) {
    if (index !== 0) return { ok: false, event: 'C_BAD_SUBSTREAMID', reason: `SubstreamID ${index} with S1CDMax=0 (one CD)` }
    return { ok: true, cdAddr: alignDown(cfg.ptr, CD_SHIFT) }
  }
  if (index >= 2 ** cfg.cdMax) {
    return { ok: false, event: 'C_BAD_SUBSTREAMID', reason: `SubstreamID ${index} >= 2^${cfg.cdMax} (S1CDMax)` }
  }
  // S1Fmt 0b11 is reserved and behaves as linear. Pointer bits the table size
  // makes RES0 are treated as zero (one of the permitted CONSTRAINED UNPREDICTABLE behaviours).
  if (cfg.fmt !== 1 && cfg.fmt !== 2) {
    return { ok: true, cdAddr: alignDown(cfg.ptr, cfg.cdMax + CD_SHIFT) + index * 2 ** CD_SHIFT }
  }
  // 4KB leaf tables hold 64 CDs, 64KB leaf tables 1024.
  const split = cfg.fmt === 1 ? 6 : 10
  const l1Base = alignDown(cfg.ptr, Math.max(6, cfg.cdMax - split + L1_SHIFT))
  const l1Addr = l1Base + Math.floor(index / 2 ** split) * 2 ** L1_SHIFT
  const desc = readOrAbort(readL1, l1Addr)
  if (!desc) return { ok: false, event: 'F_CD_FETCH', reason: `L1CD read at ${hx(l1Addr)} aborted`, fetchAddr: l1Addr }
  if (L1CD.get(desc, 'V') === 0) return { ok: false, event: 'C_BAD_SUBSTREAMID', reason: `L1CD at ${hx(l1Addr)} has V=0` }
  // A 64KB leaf's L2Ptr[15:12] are RES0: treated as zero.
  const l2Base = alignDown(L1CD.get(desc, 'L2Ptr'), split + CD_SHIFT)
  return { ok: true, cdAddr: l2Base + (index % 2 ** split) * 2 ** CD_SHIFT, l1Addr }
}

/** Decoded fields of a level-1 descriptor, for the inspector. */
export function describeL1(kind: 'L1STD' | 'L1CD', words: Words): FieldView[] {
  return (kind === 'L1STD' ? L1STD : L1CD).describe(words)
}
