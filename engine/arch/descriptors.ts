/**
 * VMSAv8-64 translation table descriptors (Arm ARM DDI 0487, D8.3), stage 1
 * and stage 2, for the 4K, 16K and 64K granules.
 *
 * The field tables below are the only place a descriptor bit position is
 * written. The address field depends on the granule (and, for blocks, on the
 * level), so each (stage, kind, granule, level) gets its own layout, built
 * from the same field specs. The walker's hot path uses `half()` accessors
 * and address masks derived here from those layouts.
 */

import { layout, Layout, type FieldSpec, type HalfAccessor } from './layout'

/** Translation granule as log2 of its size: 4K, 16K, 64K. */
export type Granule = 12 | 14 | 16
export type Stage = 1 | 2
export type DescKind = 'table' | 'block' | 'page'

export const GRANULES: readonly Granule[] = [12, 14, 16]

const REF = 'DDI 0487 D8.3'

/**
 * log2 of the region one descriptor at `level` maps: granule + (3 − level) ×
 * (granule − 3) (Arm ARM D8.2; each level resolves granule − 3 bits).
 */
export function levelShift(g: Granule, level: number): number {
  return g + (3 - level) * (g - 3)
}

/**
 * Levels at which each granule has a block layout (Arm ARM D8.3 without
 * FEAT_LPA2): 4K at L1 (1G) and L2 (2M); 16K at L2 (32M); 64K at L2 (512M)
 * and, with a 52-bit OA (FEAT_LPA), L1 (4T).
 */
export const BLOCK_LAYOUT_LEVELS: Readonly<Record<Granule, readonly number[]>> = { 12: [1, 2], 14: [2], 16: [1, 2] }

// ---- field specs shared by all layouts --------------------------------------

const Valid: FieldSpec = { word: 0, bits: [0, 0], desc: 'Valid: 0 makes the descriptor invalid (Translation fault when used)' }
const TypeNonLeafLevel: FieldSpec = {
  word: 0,
  bits: [1, 1],
  values: { block: 0, table: 1 },
  desc: 'Descriptor type at levels 0-2: 1 table, 0 block (a block only where the granule permits one)',
}
const TypeLevel3: FieldSpec = {
  word: 0,
  bits: [1, 1],
  values: { reserved: 0, page: 1 },
  desc: 'Descriptor type at level 3: 1 page; 0 is reserved and faults like an invalid descriptor',
}

function addressField(lo: number, leaf: boolean): FieldSpec {
  return leaf
    ? { word: 0, bits: [47, lo], kind: 'address', desc: `Output address OA[47:${lo}]` }
    : { word: 0, bits: [47, lo], kind: 'address', desc: `Next-level table address [47:${lo}]` }
}

/** 64K granule with a 52-bit OA: address bits [51:48] sit in descriptor bits [15:12] (FEAT_LPA). */
function addressTop(leaf: boolean): FieldSpec {
  return { word: 0, bits: [15, 12], desc: `${leaf ? 'OA' : 'Next-level table address'} bits [51:48] (64K granule, FEAT_LPA)`, ref: 'DDI 0487 D8.3, FEAT_LPA' }
}

const S1TableAttrs: Record<string, FieldSpec> = {
  PXNTable: { word: 0, bits: [59, 59], desc: 'PXNTable: no privileged execution at later levels' },
  XNTable: { word: 0, bits: [60, 60], desc: 'XNTable (UXNTable): no (unprivileged) execution at later levels' },
  APTable: {
    word: 0,
    bits: [62, 61],
    values: { none: 0, noEL0: 1, readOnly: 2, readOnlyNoEL0: 3 },
    desc: 'APTable: limits on later levels; bit 1 (descriptor bit 62) removes write permission, bit 0 removes EL0 access; ignored when HAD = 1',
  },
  NSTable: { word: 0, bits: [63, 63], desc: 'NSTable: later levels are Non-secure (ignored in Non-secure state)' },
}

const S1LeafAttrs: Record<string, FieldSpec> = {
  AttrIndx: { word: 0, bits: [4, 2], desc: 'AttrIndx: index into MAIR (io-pgtable: 0 Normal NC, 1 Normal WB, 2 Device)' },
  NS: { word: 0, bits: [5, 5], desc: 'NS: output address is Non-secure (ignored in Non-secure state)' },
  AP: {
    word: 0,
    bits: [7, 6],
    values: { rwPriv: 0, rwAll: 1, roPriv: 2, roAll: 3 },
    desc: 'AP[2:1]: AP[2] (bit 7) read-only; AP[1] (bit 6) EL0 access',
  },
  SH: { word: 0, bits: [9, 8], values: { non: 0, reserved: 1, outer: 2, inner: 3 }, desc: 'SH: shareability' },
  AF: { word: 0, bits: [10, 10], desc: 'AF: access flag; 0 gives an Access flag fault unless AFFD = 1' },
  nG: { word: 0, bits: [11, 11], desc: 'nG: not global, the entry is tagged with the ASID' },
  GP: { word: 0, bits: [50, 50], desc: 'GP: guarded page (FEAT_BTI)' },
  DBM: { word: 0, bits: [51, 51], desc: 'DBM: dirty bit modifier (FEAT_HAFDBS)' },
  Contiguous: { word: 0, bits: [52, 52], desc: 'Contiguous: one of a run of adjacent entries with the same mapping (a TLB hint)' },
  PXN: { word: 0, bits: [53, 53], desc: 'PXN: privileged execute-never' },
  UXN: { word: 0, bits: [54, 54], desc: 'UXN / XN: unprivileged execute-never' },
  SW: { word: 0, bits: [58, 55], desc: 'Reserved for software use (io-pgtable: bit 55 SW-sync)' },
}

const S2LeafAttrs: Record<string, FieldSpec> = {
  MemAttr: { word: 0, bits: [5, 2], desc: 'MemAttr[3:0]: stage-2 memory type (io-pgtable: 0xF WB, 0x5 NC, 0x1 Device)' },
  S2AP: {
    word: 0,
    bits: [7, 6],
    values: { none: 0, read: 1, write: 2, readWrite: 3 },
    desc: 'S2AP: bit 6 (S2AP[0]) read, bit 7 (S2AP[1]) write',
  },
  SH: { word: 0, bits: [9, 8], values: { non: 0, reserved: 1, outer: 2, inner: 3 }, desc: 'SH: shareability' },
  AF: { word: 0, bits: [10, 10], desc: 'AF: access flag; 0 gives an Access flag fault unless S2AFFD = 1' },
  DBM: { word: 0, bits: [51, 51], desc: 'DBM: dirty bit modifier (FEAT_HAFDBS)' },
  Contiguous: { word: 0, bits: [52, 52], desc: 'Contiguous: one of a run of adjacent entries with the same mapping (a TLB hint)' },
  XN: { word: 0, bits: [54, 53], desc: 'XN[1:0]: stage-2 execute-never (XN[0] is FEAT_XNX)' },
  SW: { word: 0, bits: [58, 55], desc: 'Reserved for software use' },
}

const nT: FieldSpec = { word: 0, bits: [16, 16], desc: 'nT: block translation entry, used in break-before-make sequences (FEAT_BBM)' }

// ---- layout names -----------------------------------------------------------

export type S1TableField = 'Valid' | 'Type' | 'NLTA' | 'NLTAHi' | 'PXNTable' | 'XNTable' | 'APTable' | 'NSTable'
export type S2TableField = 'Valid' | 'Type' | 'NLTA' | 'NLTAHi'
export type S1LeafField =
  | 'Valid' | 'Type' | 'AttrIndx' | 'NS' | 'AP' | 'SH' | 'AF' | 'nG' | 'OA' | 'OAHi' | 'nT'
  | 'GP' | 'DBM' | 'Contiguous' | 'PXN' | 'UXN' | 'SW'
export type S2LeafField =
  | 'Valid' | 'Type' | 'MemAttr' | 'S2AP' | 'SH' | 'AF' | 'OA' | 'OAHi' | 'nT' | 'DBM' | 'Contiguous' | 'XN' | 'SW'
export type DescField = S1TableField | S2TableField | S1LeafField | S2LeafField

const GNAME: Record<Granule, string> = { 12: '4K', 14: '16K', 16: '64K' }

function build(stage: Stage, kind: DescKind, g: Granule, level: number): Layout<DescField> {
  const leaf = kind !== 'table'
  const lo = kind === 'block' ? levelShift(g, level) : g
  const specs: Record<string, FieldSpec> = { Valid, Type: kind === 'page' ? TypeLevel3 : TypeNonLeafLevel }
  if (leaf) Object.assign(specs, stage === 1 ? S1LeafAttrs : S2LeafAttrs)
  else if (stage === 1) Object.assign(specs, S1TableAttrs)
  specs[leaf ? 'OA' : 'NLTA'] = addressField(lo, leaf)
  if (g === 16) specs[leaf ? 'OAHi' : 'NLTAHi'] = addressTop(leaf)
  if (kind === 'block') specs.nT = nT
  const where = kind === 'block' ? ` at level ${level}` : ''
  const name = `S${stage}_${kind.toUpperCase()}_${GNAME[g]}${kind === 'block' ? `_L${level}` : ''}`
  const title = `Stage ${stage} ${kind} descriptor, ${GNAME[g]} granule${where}`
  return layout(name, { words: 1, ref: REF, title }, specs)
}

const cache = new Map<string, Layout<DescField>>()

/**
 * The layout of a descriptor of `kind` at `level` for a stage and granule.
 * Blocks exist only at BLOCK_LAYOUT_LEVELS; pages only at level 3; tables
 * at levels 0-2.
 */
export function descLayout(stage: Stage, g: Granule, kind: DescKind, level: number): Layout<DescField> {
  if (kind === 'page' && level !== 3) throw new RangeError(`a page descriptor is a level 3 descriptor, not level ${level}`)
  if (kind === 'table' && (level < 0 || level > 2)) throw new RangeError(`no table descriptor at level ${level}`)
  if (kind === 'block' && !BLOCK_LAYOUT_LEVELS[g].includes(level)) {
    throw new RangeError(`the ${GNAME[g]} granule has no block descriptor at level ${level}`)
  }
  const key = `${stage}${kind}${g}${kind === 'block' ? level : ''}`
  let l = cache.get(key)
  if (!l) {
    l = build(stage, kind, g, level)
    cache.set(key, l)
  }
  return l
}

// ---- hot-path accessors -----------------------------------------------------

/** Reads a field from a descriptor held as two 32-bit halves. */
export function getHalf(a: HalfAccessor, lo: number, hi: number): number {
  return ((a.half === 0 ? lo : hi) >>> a.shift) & a.mask
}

/** Where an address field lies in the two 32-bit halves of a descriptor. */
export interface AddrMask {
  /** Bits of the address field in bits 31:0 (in place). */
  readonly lo: number
  /** Bits of the address field in bits 63:32, as bits 31:0 of the high half. */
  readonly hi: number
  /** Address bits [51:48] (64K granule), or null. */
  readonly top: HalfAccessor | null
}

function halfMask(from: number, to: number): number {
  // bits [to:from] of a 32-bit half, 0 <= from <= to <= 31
  if (to < from) return 0
  return (((2 ** (to + 1)) - (2 ** from)) >>> 0)
}

function addrMask(l: Layout<DescField>, name: 'OA' | 'NLTA', topName: 'OAHi' | 'NLTAHi'): AddrMask {
  const f = l.field(name)
  return {
    lo: halfMask(Math.min(f.lo, 32), Math.min(f.hi, 31)),
    hi: halfMask(Math.max(f.lo, 32) - 32, f.hi - 32),
    top: topName in l.fields ? l.half(topName) : null,
  }
}

/** The address a descriptor holds (a table address or an output address), as a number < 2^52. */
export function descAddress(m: AddrMask, lo: number, hi: number): number {
  let a = (hi & m.hi) * 0x1_0000_0000 + ((lo & m.lo) >>> 0)
  if (m.top !== null) a += getHalf(m.top, lo, hi) * 0x1_0000_0000_0000
  return a
}

/** Address masks of every descriptor kind for one stage and granule. */
export interface DescAddrMasks {
  readonly table: AddrMask
  readonly page: AddrMask
  /** Indexed by level; null where the granule has no block layout. */
  readonly block: readonly (AddrMask | null)[]
}

function masksFor(stage: Stage, g: Granule): DescAddrMasks {
  const block: (AddrMask | null)[] = [null, null, null, null]
  for (const lv of BLOCK_LAYOUT_LEVELS[g]) block[lv] = addrMask(descLayout(stage, g, 'block', lv), 'OA', 'OAHi')
  return {
    table: addrMask(descLayout(stage, g, 'table', 0), 'NLTA', 'NLTAHi'),
    page: addrMask(descLayout(stage, g, 'page', 3), 'OA', 'OAHi'),
    block,
  }
}

/** DESC_ADDR[stage - 1][granule]: address masks, derived from the layouts above. */
export const DESC_ADDR: readonly Readonly<Record<Granule, DescAddrMasks>>[] = ([1, 2] as const).map((s) => ({
  12: masksFor(s, 12),
  14: masksFor(s, 14),
  16: masksFor(s, 16),
}))

// Fields whose position is the same for every granule and level; taken from
// the 4K layouts (every layout is built from the same specs).
const s1Table = descLayout(1, 12, 'table', 0)
const s1Page = descLayout(1, 12, 'page', 3)
const s2Page = descLayout(2, 12, 'page', 3)

/** Hot-path accessors (module constants). */
export const D = {
  Valid: s1Page.half('Valid'),
  Type: s1Page.half('Type'),
  APTable: s1Table.half('APTable'),
  AP: s1Page.half('AP'),
  AF: s1Page.half('AF'),
  S2AF: s2Page.half('AF'),
  S2AP: s2Page.half('S2AP'),
} as const

/** APTable[1] (descriptor bit 62) and AP[2] (bit 7) are the upper bit of their 2-bit fields: "no write". */
export const AP_NO_WRITE = 0b10

// ---- decoding for views -----------------------------------------------------

export type DescClass = 'invalid' | 'table' | 'block' | 'page' | 'reserved'

/**
 * Whether a block descriptor is permitted at `level` (Arm ARM D8.3, no
 * FEAT_LPA2): 4K at L1 and L2; 16K at L2; 64K at L2, and at L1 only with a
 * 52-bit output address (FEAT_LPA). Elsewhere a block encoding faults.
 */
export function blockAllowed(g: Granule, level: number, oa52: boolean): boolean {
  if (g === 16 && level === 1) return oa52
  return BLOCK_LAYOUT_LEVELS[g].includes(level)
}

/**
 * What a descriptor is at a level, from Valid and Type alone (Arm ARM D8.3):
 * levels 0-2: table or block (a block where none is permitted is reserved);
 * level 3: page, or reserved for Type 0.
 */
export function classify(g: Granule, level: number, lo: number, oa52: boolean): DescClass {
  if (getHalf(D.Valid, lo, 0) === 0) return 'invalid'
  const t = getHalf(D.Type, lo, 0)
  if (level === 3) return t === 1 ? 'page' : 'reserved'
  if (t === 1) return 'table'
  return blockAllowed(g, level, oa52) ? 'block' : 'reserved'
}

/** A descriptor decoded for the inspector: its class and, when it has one, its layout. */
export interface DecodedDesc {
  readonly cls: DescClass
  readonly layout: Layout<DescField> | null
}

export function decodeDesc(stage: Stage, g: Granule, level: number, word: bigint, oa52 = true): DecodedDesc {
  const lo = Number(word & 0xffff_ffffn)
  const cls = classify(g, level, lo, oa52)
  const kind: DescKind | null = cls === 'table' || cls === 'block' || cls === 'page' ? cls : null
  return { cls, layout: kind ? descLayout(stage, g, kind, level) : null }
}
