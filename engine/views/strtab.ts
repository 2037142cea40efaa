import type { L1StdRow, SteRow, StrtabTable, StrtabView } from '../api-types'
import type { Words } from '../arch/layout'
import { REG } from '../arch/registers'
import { STE } from '../arch/ste'
import { L1STD, steAddress, type StrtabConfig } from '../arch/strtab'
import { hex, hex64 } from '../arch/u64'
import type { JRecord } from '../journal/journal'
import type { PhysMem } from '../mem/physmem'
import { toRow } from './fields'
import { wordsAt } from './mem-history'

/** At most this many STEs per call: a screenful or two, never the whole table. */
export const STRTAB_WINDOW_MAX = 512

/** Where a stream table lives and what state to read it in. */
export interface StrtabSource {
  readonly table: StrtabTable
  /** SMMU_STRTAB_BASE and SMMU_STRTAB_BASE_CFG (the host's, or the values the hypervisor programmed). */
  readonly baseReg: bigint
  readonly cfgReg: bigint
  /** IDR1.SIDSIZE. */
  readonly sidBits: number
  readonly mem: PhysMem
  readonly records: readonly JRecord[]
  readonly cursor: number
}

/** The decoded STRTAB_BASE / STRTAB_BASE_CFG pair, as steAddress takes it. */
export function strtabConfig(baseReg: bigint, cfgReg: bigint, sidBits: number): StrtabConfig {
  const c = [cfgReg]
  return {
    base: REG.STRTAB_BASE.layout.get([baseReg], 'ADDR'),
    log2size: REG.STRTAB_BASE_CFG.layout.get(c, 'LOG2SIZE'),
    split: REG.STRTAB_BASE_CFG.layout.get(c, 'SPLIT'),
    fmt: REG.STRTAB_BASE_CFG.layout.get(c, 'FMT'),
    sidBits,
  }
}

/** Names of the fields whose values differ between two STEs (host against shadow, or then against now). */
export function steDiff(a: Words, b: Words): string[] {
  return STE.order.filter((f) => (((a[f.word] ?? 0n) ^ (b[f.word] ?? 0n)) & f.mask) !== 0n).map((f) => f.name)
}

function read64(mem: PhysMem, pa: number): bigint {
  return mem.read64(pa)
}

/** SPLIT as the SMMU uses it: values other than 8 and 10 behave as 6 (IHI 0070 6.3.24). */
function effectiveSplit(split: number): number {
  return split === 8 || split === 10 ? split : 6
}

/**
 * STEs [from, to) of a stream table at the cursor, located exactly as the
 * SMMU locates them (steAddress: linear, or 2-level through the L1STD), each
 * decoded with the STE layout; `changed` lists the fields records
 * [since, cursor) changed.
 */
export function strtabView(src: StrtabSource, from: number, to: number, since = src.cursor - 1): StrtabView {
  const cfg = strtabConfig(src.baseReg, src.cfgReg, src.sidBits)
  const log2size = Math.min(cfg.log2size, src.sidBits)
  const sidCount = 2 ** log2size
  const twoLevel = cfg.fmt === 1
  const split = effectiveSplit(cfg.split)
  const a = Math.max(0, Math.min(sidCount, Math.trunc(from)))
  const b = Math.max(a, Math.min(sidCount, Math.trunc(to), a + STRTAB_WINDOW_MAX))
  const rows: SteRow[] = []
  for (let sid = a; sid < b; sid++) rows.push(steRow(src, cfg, sid, since))
  const l1: L1StdRow[] = []
  if (twoLevel && b > a) {
    const l1Base = cfg.base - (cfg.base % 2 ** Math.max(6, cfg.log2size - split + 3))
    for (let k = Math.floor(a / 2 ** split); k <= Math.floor((b - 1) / 2 ** split); k++) l1.push(l1Row(src.mem, l1Base, k, split))
  }
  return {
    table: src.table,
    baseReg: hex64(src.baseReg),
    cfgReg: hex(src.cfgReg, 8),
    base: hex(cfg.base),
    fmt: twoLevel ? '2level' : 'linear',
    log2size,
    split,
    sidCount,
    l1,
    rows,
  }
}

/**
 * `v` with each row's fields cut to `names` and the row's `changed` ones (a
 * window of STEs is drawn a screenful at a time; every field of one STE is
 * the inspector's). Undefined `names`: every field.
 */
export function keepFields(v: StrtabView, names: readonly string[] | undefined): StrtabView {
  if (names === undefined) return v
  if (!Array.isArray(names) || !names.every((n) => typeof n === 'string')) throw new TypeError('strtab.fields must be a list of field names')
  const keep = new Set(names)
  return { ...v, rows: v.rows.map((r) => ({ ...r, fields: r.fields.filter((f) => keep.has(f.name) || r.changed.includes(f.name)) })) }
}

function l1Row(mem: PhysMem, l1Base: number, index: number, split: number): L1StdRow {
  const address = l1Base + index * 8
  const sidFrom = index * 2 ** split
  const common = { index, address: hex(address), sidFrom, sidTo: sidFrom + 2 ** split }
  if (!mem.contains(address, 8)) {
    return { ...common, raw: '', span: 0, l2ptr: '0x0', valid: false, fields: [], error: `F_STE_FETCH: no memory at ${hex(address)}` }
  }
  const w = [read64(mem, address)]
  const span = L1STD.get(w, 'Span')
  // Span 0 and 12..31 mean "no level-2 table"; Span > SPLIT + 1 is invalid too (IHI 0070 5.1).
  const valid = span >= 1 && span <= 11 && span <= split + 1
  return { ...common, raw: hex64(w[0]), span, l2ptr: hex(L1STD.get(w, 'L2Ptr')), valid, fields: L1STD.describe(w).map(toRow) }
}

function steRow(src: StrtabSource, cfg: StrtabConfig, sid: number, since: number): SteRow {
  const noSte = (error: string, l1Index?: number): SteRow => ({ sid, l1Index, error, v: 0, config: '', raw: [], fields: [], changed: [] })
  let loc
  try {
    loc = steAddress(cfg, sid, (pa) => read64(src.mem, pa))
  } catch (e) {
    return noSte(`F_STE_FETCH: ${e instanceof Error ? e.message : String(e)}`)
  }
  const l1Index = cfg.fmt === 1 ? Math.floor(sid / 2 ** effectiveSplit(cfg.split)) : undefined
  if (!loc.ok) return noSte(`${loc.event}: ${loc.reason}`, l1Index)
  const words = wordsAt(src.mem, src.records, src.cursor, src.cursor, loc.steAddr, 8)
  if (!words) return noSte(`F_STE_FETCH: no memory at ${hex(loc.steAddr)}`, l1Index)
  const before = since < src.cursor ? wordsAt(src.mem, src.records, since, src.cursor, loc.steAddr, 8) : words
  const config = STE.get(words, 'Config')
  return {
    sid,
    address: hex(loc.steAddr),
    l1Index,
    v: STE.get(words, 'V'),
    config: STE.valueName('Config', config) ?? `0b${config.toString(2).padStart(3, '0')} (reserved: abort)`,
    raw: words.map(hex64),
    fields: STE.describe(words).map(toRow),
    changed: before ? steDiff(before, words) : [],
  }
}
