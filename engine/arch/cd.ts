/**
 * The Context Descriptor (IHI 0070 5.4): 64 bytes, eight 64-bit words
 * (Linux's CTXDESC_CD_n_*). Word 0 is the stage-1 TCR and the ASID, words
 * 1 and 2 the two translation table bases, words 3 and 4 MAIR and AMAIR.
 */
import { SHAREABILITY, WALK_CACHE } from './attrs'
import { layout, type FieldInput } from './layout'
import { PA_SIZE_VALUES } from './registers'


/** TG0 and TG1 encode the granule differently (as TCR_EL1.TG0/TG1 do). */
export const TG0_VALUES = { '4K': 0, '64K': 1, '16K': 2 } as const
export const TG1_VALUES = { '16K': 1, '4K': 2, '64K': 3 } as const

export const CD = layout('CD', { words: 8, ref: 'IHI 0070 5.4', title: 'Context Descriptor' }, {
  T0SZ: { word: 0, bits: [5, 0], desc: 'TT0 input size is 64 - T0SZ bits' },
  TG0: { word: 0, bits: [7, 6], values: TG0_VALUES, desc: 'TT0 granule' },
  IR0: { word: 0, bits: [9, 8], values: WALK_CACHE, desc: 'TT0 walk inner cacheability' },
  OR0: { word: 0, bits: [11, 10], values: WALK_CACHE, desc: 'TT0 walk outer cacheability' },
  SH0: { word: 0, bits: [13, 12], values: SHAREABILITY, desc: 'TT0 walk shareability' },
  EPD0: { word: 0, bits: [14, 14], desc: 'TT0 disabled: addresses it covers fault' },
  ENDI: { word: 0, bits: [15, 15], desc: 'Translation tables are big-endian' },
  T1SZ: { word: 0, bits: [21, 16], desc: 'TT1 input size is 64 - T1SZ bits' },
  TG1: { word: 0, bits: [23, 22], values: TG1_VALUES, desc: 'TT1 granule' },
  IR1: { word: 0, bits: [25, 24], values: WALK_CACHE, desc: 'TT1 walk inner cacheability' },
  OR1: { word: 0, bits: [27, 26], values: WALK_CACHE, desc: 'TT1 walk outer cacheability' },
  SH1: { word: 0, bits: [29, 28], values: SHAREABILITY, desc: 'TT1 walk shareability' },
  EPD1: { word: 0, bits: [30, 30], desc: 'TT1 disabled: addresses it covers fault' },
  V: { word: 0, bits: [31, 31], desc: 'CD valid; V=0 transactions abort with C_BAD_CD' },
  IPS: { word: 0, bits: [34, 32], values: PA_SIZE_VALUES, desc: 'Stage-1 output (intermediate physical) address size' },
  AFFD: { word: 0, bits: [35, 35], desc: 'Access flag fault disable' },
  WXN: { word: 0, bits: [36, 36], desc: 'Writable implies execute-never' },
  UWXN: { word: 0, bits: [37, 37], desc: 'Unprivileged writable implies privileged execute-never' },
  TBI: { word: 0, bits: [39, 38], desc: 'Top byte ignore: bit 0 for TT0, bit 1 for TT1' },
  PAN: { word: 0, bits: [40, 40], desc: 'Privileged access never' },
  AA64: { word: 0, bits: [41, 41], desc: 'Tables are VMSAv8-64 (0: VMSAv8-32 LPAE)' },
  HD: { word: 0, bits: [42, 42], desc: 'Hardware dirty-state update' },
  HA: { word: 0, bits: [43, 43], desc: 'Hardware Access flag update' },
  S: { word: 0, bits: [44, 44], desc: 'Stage-1 faults stall' },
  R: { word: 0, bits: [45, 45], desc: 'Record stage-1 faults' },
  A: { word: 0, bits: [46, 46], desc: 'Terminated transactions abort (0: RAZ/WI)' },
  ASET: { word: 0, bits: [47, 47], desc: 'ASID set: 1 = not shared with PE broadcast invalidation' },
  ASID: { word: 0, bits: [63, 48], desc: 'Address space identifier tagging TLB entries' },
  NSCFG0: { word: 1, bits: [0, 0], desc: 'TT0 walks are Non-secure (Secure streams)' },
  HAD0: { word: 1, bits: [1, 1], desc: 'TT0 hierarchical attribute disable: APTable etc. ignored' },
  TTB0: { word: 1, bits: [51, 4], kind: 'address', desc: 'TT0 base (an IPA when stage 2 translates)' },
  HWU059: { word: 1, bits: [60, 60], desc: 'TT0 descriptor bit 59 hardware use' },
  HWU060: { word: 1, bits: [61, 61], desc: 'TT0 descriptor bit 60 hardware use' },
  HWU061: { word: 1, bits: [62, 62], desc: 'TT0 descriptor bit 61 hardware use' },
  HWU062: { word: 1, bits: [63, 63], desc: 'TT0 descriptor bit 62 hardware use' },
  NSCFG1: { word: 2, bits: [0, 0], desc: 'TT1 walks are Non-secure (Secure streams)' },
  HAD1: { word: 2, bits: [1, 1], desc: 'TT1 hierarchical attribute disable' },
  TTB1: { word: 2, bits: [51, 4], kind: 'address', desc: 'TT1 base (an IPA when stage 2 translates)' },
  HWU159: { word: 2, bits: [60, 60], desc: 'TT1 descriptor bit 59 hardware use' },
  HWU160: { word: 2, bits: [61, 61], desc: 'TT1 descriptor bit 60 hardware use' },
  HWU161: { word: 2, bits: [62, 62], desc: 'TT1 descriptor bit 61 hardware use' },
  HWU162: { word: 2, bits: [63, 63], desc: 'TT1 descriptor bit 62 hardware use' },
  MAIR0: { word: 3, bits: [31, 0], desc: 'MAIR attributes 0-3 (as MAIR_EL1[31:0])' },
  MAIR1: { word: 3, bits: [63, 32], desc: 'MAIR attributes 4-7 (as MAIR_EL1[63:32])' },
  AMAIR0: { word: 4, bits: [31, 0], desc: 'AMAIR attributes 0-3 (IMPLEMENTATION DEFINED)' },
  AMAIR1: { word: 4, bits: [63, 32], desc: 'AMAIR attributes 4-7 (IMPLEMENTATION DEFINED)' },
})

export type CdField = keyof typeof CD.fields

/** CD words from named fields; V defaults to 1. */
export function encodeCd(values: FieldInput<CdField>): bigint[] {
  return CD.encode({ V: 1, ...values })
}

const GRANULE_BITS: Readonly<Record<string, 12 | 14 | 16>> = { '4K': 12, '16K': 14, '64K': 16 }

/** log2 of the granule a TG0/TG1 value selects, or undefined for a reserved encoding. */
export function cdGranule(field: 'TG0' | 'TG1', value: number): 12 | 14 | 16 | undefined {
  const name = CD.valueName(field, value)
  return name === undefined ? undefined : GRANULE_BITS[name]
}
