import { CD } from '../arch/cd'
import { STE } from '../arch/ste'
import { cdAddress, steAddress } from '../arch/strtab'
import { hex64 } from '../arch/u64'
import type { Journal } from '../journal/journal'
import { BusError } from '../mem/physmem'
import type { PhysMem } from '../mem/physmem'
import { psBits, type SmmuFeatures } from './features'
import type { FaultClass, Granule, S1Config, S1Table, S2Config, TransConfig, WalkFault, WalkStep } from './types'
import { configTag } from './tlb-store'
import { walkS2 } from './walk-s2'
import { s2StartLevel, concatenatedTables } from '../pgtable/geometry'

/**
 * Fetching and checking the configuration of a transaction: stream table
 * lookup, STE, CD (IHI 0070 5.2, 5.4), and the ILLEGAL-configuration checks
 * that raise C_BAD_STE / C_BAD_CD. Each failed check carries a `reason`
 * naming the field and the rule, so the UI can say exactly what was wrong.
 */

export type ConfigEventType =
  | 'C_BAD_STREAMID'
  | 'F_STE_FETCH'
  | 'C_BAD_STE'
  | 'C_BAD_SUBSTREAMID'
  | 'F_STREAM_DISABLED'
  | 'F_CD_FETCH'
  | 'C_BAD_CD'

export interface ConfigError {
  readonly ok: false
  /** A configuration event, or a stage-2 walk fault while fetching the CD / translating a TTB (nested). */
  readonly event: ConfigEventType | null
  readonly fault?: WalkFault
  readonly reason: string
  /** FetchAddr for F_STE_FETCH / F_CD_FETCH. */
  readonly fetchAddr?: number
  readonly steAddr?: number
}

export type ConfigResult = { readonly ok: true; readonly cfg: TransConfig } | ConfigError

export interface StrtabRegs {
  readonly base: number
  readonly log2size: number
  readonly split: number
  readonly fmt: number
}

export interface ConfigContext {
  readonly mem: PhysMem
  readonly feat: SmmuFeatures
  readonly strtab: StrtabRegs
  /** Receives stage-2 descriptor reads made while translating CD/TTB addresses (nested). */
  readonly trace: ((s: WalkStep) => void) | null
  /** Where the STE, CD and level-1 descriptor reads are recorded (`ste.read`, `cd.read`, `l1.read`), when enabled. */
  readonly journal?: Journal
  /** platform.qemuCompat: stage-2 configurations walk their concatenated start tables as QEMU does. */
  readonly qemuCompat?: boolean
}

/** The journal, when it records: reads are observations, made only when someone is watching. */
function watching(ctx: ConfigContext): Journal | undefined {
  return ctx.journal?.enabled ? ctx.journal : undefined
}

const bad = (event: ConfigEventType, reason: string, extra: Partial<ConfigError> = {}): ConfigError => ({ ok: false, event, reason, ...extra })

/** STE.S2TG and CD.TG0 / TG1 encodings (IHI 0070 5.2, 5.4). */
const S2TG_GRANULE: readonly (Granule | undefined)[] = [12, 16, 14, undefined]
const TG0_GRANULE: readonly (Granule | undefined)[] = [12, 16, 14, undefined]
const TG1_GRANULE: readonly (Granule | undefined)[] = [undefined, 14, 12, 16]

/**
 * Effective output size: a programmed size above what the SMMU implements
 * behaves as the implemented size (IHI 0070 5.2 S2PS, 5.4 IPS); without
 * 64K granule tables, more than 48 bits cannot be expressed (no FEAT_LPA2).
 */
function effectivePs(code: number, feat: SmmuFeatures, granule: Granule): number | undefined {
  const ps = psBits(code)
  if (ps === undefined) return undefined
  const capped = Math.min(ps, feat.oas)
  return granule === 16 ? capped : Math.min(capped, 48)
}

/** STE.S2VMID as the SMMU uses it: 8 bits unless IDR0.VMID16 (the upper byte is then ignored). */
function steVmid(ste: readonly bigint[], feat: SmmuFeatures): number {
  const v = STE.get(ste, 'S2VMID')
  return feat.vmid16 ? v : v & 0xff
}

export function decodeS2(ste: readonly bigint[], feat: SmmuFeatures, qemuCompat = false): S2Config | ConfigError {
  const g = S2TG_GRANULE[STE.get(ste, 'S2TG')]
  if (STE.get(ste, 'S2AA64') === 0) return bad('C_BAD_STE', 'S2AA64=0: AArch32 stage-2 tables are not supported (IDR0.TTF has no AArch32)')
  if (g === undefined) return bad('C_BAD_STE', `S2TG=${STE.get(ste, 'S2TG')} is reserved`)
  if (!feat.granules.has(g)) return bad('C_BAD_STE', `S2TG selects a ${1 << (g - 10)}K granule that IDR5 does not offer`)
  const ps = effectivePs(STE.get(ste, 'S2PS'), feat, g)
  if (ps === undefined) return bad('C_BAD_STE', `S2PS=${STE.get(ste, 'S2PS')} is reserved`)
  const ttb = STE.get(ste, 'S2TTB')
  if (ttb >= 2 ** ps) return bad('C_BAD_STE', `S2TTB 0x${ttb.toString(16)} has bits at or above the ${ps}-bit effective PA size`)
  const tsz = STE.get(ste, 'S2T0SZ')
  const minTsz = g === 16 ? 64 - ps : Math.max(16, 64 - ps)
  if (tsz > 39) return bad('C_BAD_STE', `S2T0SZ=${tsz} is above 39`)
  if (tsz < minTsz) return bad('C_BAD_STE', `S2T0SZ=${tsz} is below ${minTsz} (64 - ${ps}-bit PA size)`)
  const sl0 = STE.get(ste, 'S2SL0')
  const start = s2StartLevel(g, sl0)
  if (start === undefined) return bad('C_BAD_STE', `S2SL0=${sl0} is reserved for the ${1 << (g - 10)}K granule`)
  const concat = concatenatedTables(g, 64 - tsz, start)
  if (concat < 1) return bad('C_BAD_STE', `S2SL0=${sl0} starts at level ${start}, too low for a ${64 - tsz}-bit IPA`)
  if (concat > 16) return bad('C_BAD_STE', `S2SL0=${sl0} with S2T0SZ=${tsz} needs ${concat} concatenated tables (at most 16)`)
  if (STE.get(ste, 'S2ENDI') === 1 && feat.ttendian === 2) return bad('C_BAD_STE', 'S2ENDI=1 (big-endian tables) but IDR0.TTENDIAN is little-endian only')
  if (STE.get(ste, 'S2S') === 1 && feat.stallModel === 1) return bad('C_BAD_STE', 'S2S=1 but IDR0.STALL_MODEL says stalling is not supported')
  if (STE.get(ste, 'S2S') === 0 && feat.stallModel === 2) return bad('C_BAD_STE', 'S2S=0 but IDR0.STALL_MODEL forces stalls')
  // Concatenated start tables must be aligned to their total size (IHI 0070 5.2 S2TTB).
  const tableBytes = concat * 2 ** g
  if (ttb % tableBytes !== 0 && concat > 1) return bad('C_BAD_STE', `S2TTB 0x${ttb.toString(16)} is not aligned to its ${concat} concatenated tables`)
  return {
    vmid: steVmid(ste, feat),
    tsz,
    sl0,
    granule: g,
    ttb,
    ps,
    affd: STE.get(ste, 'S2AFFD') === 1,
    record: STE.get(ste, 'S2R') === 1,
    ...(qemuCompat && concat > 1 ? { qemuConcat: true } : {}),
  }
}

function isErr(v: S1Config | S2Config | ConfigError): v is ConfigError {
  return 'ok' in v
}

/** Read memory; a bus error becomes the fetch event. */
function fetch(mem: PhysMem, pa: number, words: number): bigint[] | BusError {
  try {
    return mem.readWords(pa, words)
  } catch (e) {
    if (e instanceof BusError) return e
    throw e
  }
}

/**
 * Look up and decode the configuration for (sid, ssid). `ssid` is
 * undefined for a transaction without a SubstreamID (SSV=0).
 */
/** A translating configuration with the IOTLB tag its translations carry, worked out once here. */
function tagged(c: TransConfig, feat: SmmuFeatures): TransConfig {
  return { ...c, tag: configTag(c, feat.s2p) }
}

export function fetchConfig(ctx: ConfigContext, sid: number, ssid: number | undefined): ConfigResult {
  const { mem, feat, strtab } = ctx
  const j = watching(ctx)
  // STRTAB_BASE_CFG.LOG2SIZE beyond IDR1.SIDSIZE behaves as SIDSIZE (IHI 0070 6.3.24).
  const log2size = Math.min(strtab.log2size, feat.sidBits)
  const loc = steAddress({ base: strtab.base, log2size, split: strtab.split, fmt: strtab.fmt === 1 ? 1 : 0 }, sid, (pa) => {
    const v = mem.read64(pa)
    j?.entry('l1.read', 'smmu', { table: 'L1STD', sid, address: pa, raw: [hex64(v)] })
    return v
  })
  if (!loc.ok) {
    const reason = loc.event === 'F_STE_FETCH' ? `stream table read at 0x${(loc.fetchAddr ?? 0).toString(16)} is outside memory` : loc.reason
    return bad(loc.event, reason, { fetchAddr: loc.fetchAddr })
  }
  const steAddr = loc.steAddr
  const ste = fetch(mem, steAddr, 8)
  if (ste instanceof BusError) return bad('F_STE_FETCH', `STE read at 0x${steAddr.toString(16)} is outside memory`, { fetchAddr: steAddr })
  j?.entry('ste.read', 'smmu', { sid, address: steAddr, raw: ste.map(hex64) })
  const withSte = (e: ConfigError): ConfigError => ({ ...e, steAddr })

  if (STE.get(ste, 'V') === 0) return withSte(bad('C_BAD_STE', 'V=0'))
  const config = STE.get(ste, 'Config')
  // Config 0b001-0b011 are reserved and behave as abort (IHI 0070 5.2 STE.Config).
  if (config < 4) return { ok: true, cfg: { sid, ssid: ssid ?? -1, kind: 'abort', steAddr } }
  if (config === 4) return { ok: true, cfg: { sid, ssid: ssid ?? -1, kind: 'bypass', steAddr } }

  const s1On = (config & 1) === 1
  const s2On = (config & 2) === 2
  if (s1On && !feat.s1p) return withSte(bad('C_BAD_STE', 'stage 1 enabled but IDR0.S1P=0'))
  if (s2On && !feat.s2p) return withSte(bad('C_BAD_STE', 'stage 2 enabled but IDR0.S2P=0'))

  const strw = STE.get(ste, 'STRW')
  if (strw === 1 || strw === 3) return withSte(bad('C_BAD_STE', `STRW=${strw} is reserved`))
  if (strw === 2 && !feat.hyp) return withSte(bad('C_BAD_STE', 'STRW=EL2 but IDR0.HYP=0'))

  let s2: S2Config | undefined
  if (s2On) {
    const d = decodeS2(ste, feat, ctx.qemuCompat)
    if (isErr(d)) return withSte(d)
    s2 = d
  }
  if (!s1On) {
    if (ssid !== undefined) return withSte(bad('C_BAD_SUBSTREAMID', 'a SubstreamID was given but stage 1 is disabled'))
    return { ok: true, cfg: tagged({ sid, ssid: -1, kind: 's2', s2, steAddr }, feat) }
  }

  // Stage 1: the CD table.
  const cdMax = STE.get(ste, 'S1CDMax')
  if (cdMax > feat.ssidBits) return withSte(bad('C_BAD_STE', `S1CDMax=${cdMax} exceeds IDR1.SSIDSIZE=${feat.ssidBits}`))
  if (STE.get(ste, 'S1STALLD') === 1 && feat.stallModel !== 0) return withSte(bad('C_BAD_STE', 'S1STALLD=1 but IDR0.STALL_MODEL is not 0b00'))
  const fmt = STE.get(ste, 'S1Fmt')
  // S1Fmt=0b11 is reserved and behaves as linear (IHI 0070 5.2 STE.S1Fmt): cdAddress treats it so.
  if (cdMax > 0 && (fmt === 1 || fmt === 2) && !feat.cd2l) return withSte(bad('C_BAD_STE', 'S1Fmt selects a 2-level CD table but IDR0.CD2L=0'))

  let cdIndex = 0
  if (ssid !== undefined) {
    if (cdMax === 0) return withSte(bad('C_BAD_SUBSTREAMID', 'a SubstreamID was given but S1CDMax=0 (one CD)'))
    if (ssid >= 2 ** cdMax) return withSte(bad('C_BAD_SUBSTREAMID', `SSID ${ssid} is beyond S1CDMax=${cdMax} (${2 ** cdMax} CDs)`))
    cdIndex = ssid
  } else if (cdMax > 0) {
    // Untagged traffic with substreams enabled: S1DSS decides (IHI 0070 5.2).
    const dss = STE.get(ste, 'S1DSS')
    if (dss === 0) return withSte(bad('F_STREAM_DISABLED', 'S1DSS=terminate: traffic without a SubstreamID is not allowed'))
    if (dss === 1) {
      return { ok: true, cfg: { sid, ssid: -1, kind: s2 ? 's2' : 'bypass', s2, steAddr } }
    }
    if (dss === 3) return withSte(bad('C_BAD_STE', 'S1DSS=3 is reserved'))
  }

  // In a nested configuration the CD table pointers are IPAs: stage 2 translates them (class CD).
  const s2Fault: { f?: WalkFault } = {}
  const toPa = (ipa: number, cls: FaultClass): number | undefined => {
    if (!s2) return ipa
    const r = walkS2(mem, s2, ipa, { read: true, write: false }, cls, ctx.trace, -1)
    if (!r.ok) {
      s2Fault.f = r.fault
      return undefined
    }
    return r.pa
  }
  const ctxPtr = STE.get(ste, 'S1ContextPtr')
  const loc2 = cdAddress({ ptr: ctxPtr, fmt, cdMax }, cdIndex, (ipa) => {
    const pa = toPa(ipa, 'CD')
    if (pa === undefined) throw new S2FaultSignal()
    const v = mem.read64(pa)
    j?.entry('l1.read', 'smmu', { table: 'L1CD', sid, ssid: ssid ?? -1, address: pa, raw: [hex64(v)] })
    return v
  })
  if (s2Fault.f) return withSte({ ok: false, event: null, fault: s2Fault.f, reason: `stage 2 faulted translating the CD table address 0x${ctxPtr.toString(16)}` })
  if (!loc2.ok) return withSte(bad(loc2.event, loc2.reason, { fetchAddr: loc2.fetchAddr }))
  const cdPa = toPa(loc2.cdAddr, 'CD')
  if (cdPa === undefined) return withSte({ ok: false, event: null, fault: s2Fault.f, reason: `stage 2 faulted translating the CD address 0x${loc2.cdAddr.toString(16)}` })
  const cd = fetch(mem, cdPa, 8)
  if (cd instanceof BusError) return withSte(bad('F_CD_FETCH', `CD read at 0x${cdPa.toString(16)} is outside memory`, { fetchAddr: cdPa }))
  j?.entry('cd.read', 'smmu', { sid, ssid: ssid ?? -1, index: cdIndex, address: cdPa, raw: cd.map(hex64) })

  const s1 = decodeCd(cd, feat)
  if (isErr(s1)) return withSte(s1)
  // Nested: TTB0/TTB1 stay IPAs. The walk translates every stage-1 descriptor
  // address through stage 2 (class TT), the start table's included, so a
  // stage-2 change is seen by the next walk without a CFGI (QEMU instead
  // translates the TTBs here and caches the PAs in its config cache).
  const s1cfg: S1Config = s1
  const vmid = s2 ? s2.vmid : feat.s2p ? steVmid(ste, feat) : -1
  return { ok: true, cfg: tagged({ sid, ssid: ssid ?? -1, kind: s2 ? 'nested' : 's1', s1: s1cfg, s2, vmid, steAddr, cdAddr: cdPa }, feat) }
}

/** Thrown through cdAddress's reader when stage 2 faults; the fault is kept aside. */
class S2FaultSignal extends Error {}

export function decodeCd(cd: readonly bigint[], feat: SmmuFeatures): S1Config | ConfigError {
  if (CD.get(cd, 'V') === 0) return bad('C_BAD_CD', 'V=0')
  if (CD.get(cd, 'AA64') === 0) return bad('C_BAD_CD', 'AA64=0: AArch32 stage-1 tables are not supported')
  if (CD.get(cd, 'ENDI') === 1 && feat.ttendian === 2) return bad('C_BAD_CD', 'ENDI=1 (big-endian tables) but IDR0.TTENDIAN is little-endian only')
  if (CD.get(cd, 'A') === 0 && feat.termModel === 1) return bad('C_BAD_CD', 'A=0 but IDR0.TERM_MODEL=1 (faulting transactions always abort)')
  if (CD.get(cd, 'S') === 1 && feat.stallModel === 1) return bad('C_BAD_CD', 'S=1 but IDR0.STALL_MODEL says stalling is not supported')
  if (CD.get(cd, 'S') === 0 && feat.stallModel === 2) return bad('C_BAD_CD', 'S=0 but IDR0.STALL_MODEL forces stalls')
  if ((CD.get(cd, 'HA') === 1 || CD.get(cd, 'HD') === 1) && feat.httu === 0) return bad('C_BAD_CD', 'HA/HD set but IDR0.HTTU=0 (no hardware access/dirty flag updates)')
  const ips = CD.get(cd, 'IPS')
  const tt: (S1Table | null)[] = []
  let oas = 52
  for (const n of [0, 1] as const) {
    const epd = CD.get(cd, n === 0 ? 'EPD0' : 'EPD1') === 1
    if (epd) {
      tt.push(null)
      continue
    }
    const tgRaw = CD.get(cd, n === 0 ? 'TG0' : 'TG1')
    const g = (n === 0 ? TG0_GRANULE : TG1_GRANULE)[tgRaw]
    if (g === undefined) return bad('C_BAD_CD', `TG${n}=${tgRaw} is reserved`)
    if (!feat.granules.has(g)) return bad('C_BAD_CD', `TG${n} selects a ${1 << (g - 10)}K granule that IDR5 does not offer`)
    const tsz = CD.get(cd, n === 0 ? 'T0SZ' : 'T1SZ')
    if (tsz < 16 || tsz > 39) return bad('C_BAD_CD', `T${n}SZ=${tsz} is outside 16..39`)
    const ps = effectivePs(ips, feat, g)
    if (ps === undefined) return bad('C_BAD_CD', `IPS=${ips} is reserved`)
    oas = Math.min(oas, ps)
    const ttb = CD.get(cd, n === 0 ? 'TTB0' : 'TTB1')
    if (ttb >= 2 ** ps) return bad('C_BAD_CD', `TTB${n} 0x${ttb.toString(16)} has bits at or above the ${ps}-bit output size`)
    tt.push({ tsz, granule: g, ttb, ttbPa: ttb, had: CD.get(cd, n === 0 ? 'HAD0' : 'HAD1') === 1 })
  }
  if (tt[0] === null && tt[1] === null) oas = effectivePs(ips, feat, 12) ?? feat.oas
  return {
    tt: [tt[0], tt[1]],
    tbi: CD.get(cd, 'TBI'),
    oas,
    affd: CD.get(cd, 'AFFD') === 1,
    record: CD.get(cd, 'R') === 1,
    asid: feat.asid16 ? CD.get(cd, 'ASID') : CD.get(cd, 'ASID') & 0xff,
  }
}
