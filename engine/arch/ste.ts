/**
 * The Stream Table Entry (IHI 0070 5.2): 64 bytes, eight 64-bit words
 * (Linux's q0..q7). Positions are the 64-bit ones Linux uses
 * (STRTAB_STE_n_*); words 4-7 hold only Secure / SMMUv3.2+ fields the model
 * does not implement, so they are declared RES0 here.
 */
import { FETCH_CACHE, SHAREABILITY, WALK_CACHE } from './attrs'
import { layout, type FieldInput } from './layout'
import { PA_SIZE_VALUES } from './registers'


export const STE = layout('STE', { words: 8, ref: 'IHI 0070 5.2', title: 'Stream Table Entry' }, {
  // Word 0: validity, configuration and the stage-1 context pointer.
  V: { word: 0, bits: [0, 0], desc: 'STE valid; V=0 transactions abort with C_BAD_STE' },
  // 0b001-0b011 are reserved and behave as abort (0b000).
  Config: { word: 0, bits: [3, 1], values: { abort: 0, bypass: 4, s1: 5, s2: 6, nested: 7 }, desc: 'Stream configuration: stage 1 (bit 0) and stage 2 (bit 1) translate when bit 2 is set' },
  S1Fmt: { word: 0, bits: [5, 4], values: { linear: 0, '2lvl-4K': 1, '2lvl-64K': 2 }, desc: 'CD table format (ignored when S1CDMax=0)' },
  S1ContextPtr: { word: 0, bits: [51, 6], kind: 'address', desc: 'CD (or L1 CD table) address; an IPA when stage 2 translates' },
  S1CDMax: { word: 0, bits: [63, 59], desc: 'log2 of the number of CDs (0: one CD, substreams disabled)' },
  // Word 1: stage-1 walk attributes, stream world and attribute overrides.
  S1DSS: { word: 1, bits: [1, 0], values: { terminate: 0, bypass: 1, ssid0: 2 }, desc: 'Default substream: what traffic without a SubstreamID does when S1CDMax > 0' },
  S1CIR: { word: 1, bits: [3, 2], values: FETCH_CACHE, desc: 'Inner cacheability of CD and L1CD fetches' },
  S1COR: { word: 1, bits: [5, 4], values: FETCH_CACHE, desc: 'Outer cacheability of CD and L1CD fetches' },
  S1CSH: { word: 1, bits: [7, 6], values: SHAREABILITY, desc: 'Shareability of CD and L1CD fetches' },
  S2HWU59: { word: 1, bits: [8, 8], desc: 'Stage-2 descriptor bit 59 hardware use' },
  S2HWU60: { word: 1, bits: [9, 9], desc: 'Stage-2 descriptor bit 60 hardware use' },
  S2HWU61: { word: 1, bits: [10, 10], desc: 'Stage-2 descriptor bit 61 hardware use' },
  S2HWU62: { word: 1, bits: [11, 11], desc: 'Stage-2 descriptor bit 62 hardware use' },
  DRE: { word: 1, bits: [12, 12], desc: 'Destructive read enable' },
  CONT: { word: 1, bits: [16, 13], desc: 'Contiguous hint' },
  DCP: { word: 1, bits: [17, 17], desc: 'Directed cache prefetch' },
  PPAR: { word: 1, bits: [18, 18], desc: 'PRI page request PASID required in responses' },
  MEV: { word: 1, bits: [19, 19], desc: 'Merge events from this stream' },
  S2FWB: { word: 1, bits: [25, 25], desc: 'Stage-2 forced write-back (IDR3.FWB)' },
  S1STALLD: { word: 1, bits: [27, 27], desc: 'Stage-1 stall disable' },
  EATS: { word: 1, bits: [29, 28], values: { abort: 0, full: 1, split: 2 }, desc: 'ATS: whether Translation Requests are answered, and with which stages' },
  STRW: { word: 1, bits: [31, 30], values: { NSEL1: 0, EL2: 2 }, desc: 'StreamWorld: the translation regime (EL1 or EL2) of the stream' },
  MemAttr: { word: 1, bits: [35, 32], desc: 'Memory type override (with MTCFG=1)' },
  MTCFG: { word: 1, bits: [36, 36], desc: 'Memory type: 0 = incoming, 1 = MemAttr' },
  ALLOCCFG: { word: 1, bits: [40, 37], desc: 'Allocation hints override' },
  SHCFG: { word: 1, bits: [45, 44], values: { NSH: 0, incoming: 1, OSH: 2, ISH: 3 }, desc: 'Shareability override' },
  NSCFG: { word: 1, bits: [47, 46], values: { incoming: 0, secure: 2, nonsecure: 3 }, desc: 'NS attribute override (Secure streams)' },
  PRIVCFG: { word: 1, bits: [49, 48], values: { incoming: 0, unprivileged: 2, privileged: 3 }, desc: 'Privilege override' },
  INSTCFG: { word: 1, bits: [51, 50], values: { incoming: 0, data: 2, instruction: 3 }, desc: 'Instruction/data override' },
  // Word 2: stage-2 VMID and VTCR-like configuration.
  S2VMID: { word: 2, bits: [15, 0], desc: 'VMID tagging stage-2 (and nested) TLB entries' },
  S2T0SZ: { word: 2, bits: [37, 32], desc: 'IPA size is 64 - S2T0SZ bits' },
  S2SL0: { word: 2, bits: [39, 38], desc: 'Starting level of the stage-2 walk (meaning depends on S2TG)' },
  S2IR0: { word: 2, bits: [41, 40], values: WALK_CACHE, desc: 'Inner cacheability of stage-2 walks' },
  S2OR0: { word: 2, bits: [43, 42], values: WALK_CACHE, desc: 'Outer cacheability of stage-2 walks' },
  S2SH0: { word: 2, bits: [45, 44], values: SHAREABILITY, desc: 'Shareability of stage-2 walks' },
  S2TG: { word: 2, bits: [47, 46], values: { '4K': 0, '64K': 1, '16K': 2 }, desc: 'Stage-2 granule' },
  S2PS: { word: 2, bits: [50, 48], values: PA_SIZE_VALUES, desc: 'Stage-2 output (physical) address size' },
  S2AA64: { word: 2, bits: [51, 51], desc: 'Stage-2 tables are VMSAv8-64 (0: VMSAv8-32 LPAE)' },
  S2ENDI: { word: 2, bits: [52, 52], desc: 'Stage-2 tables are big-endian' },
  S2AFFD: { word: 2, bits: [53, 53], desc: 'Stage-2 Access flag fault disable' },
  S2PTW: { word: 2, bits: [54, 54], desc: 'Protected table walk: stage-1 walks to Device memory fault' },
  S2HD: { word: 2, bits: [55, 55], desc: 'Stage-2 hardware dirty-state update' },
  S2HA: { word: 2, bits: [56, 56], desc: 'Stage-2 hardware Access flag update' },
  S2S: { word: 2, bits: [57, 57], desc: 'Stage-2 faults stall' },
  S2R: { word: 2, bits: [58, 58], desc: 'Record stage-2 faults' },
  // Word 3: stage-2 translation table base.
  S2TTB: { word: 3, bits: [51, 4], kind: 'address', desc: 'Stage-2 translation table base (PA)' },
})

export type SteField = keyof typeof STE.fields

/** STE words from named fields; V defaults to 1 (STYLE.md's example: bypass word 0 = 0x9). */
export function encodeSte(values: FieldInput<SteField>): bigint[] {
  return STE.encode({ V: 1, ...values })
}
