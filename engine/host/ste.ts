/**
 * The STEs the Linux driver builds (arm_smmu_make_*_ste) and the bits the
 * SMMU uses in each (arm_smmu_get_ste_used), from the STE layout of
 * arch/ste.ts (SPEC-FACTS B§3). Pure functions over eight 64-bit words.
 */
import { STE, type SteField } from '../arch/ste'
import type { FieldInput } from '../arch/layout'

const m = (name: SteField): bigint => STE.field(name).mask

/** SMMU features the make functions look at. */
export interface SteEnv {
  /** ARM_SMMU_FEAT_ATTR_TYPES_OVR: SHCFG=incoming is programmed where it applies. */
  readonly attrTypesOvr: boolean
  /** ARM_SMMU_FEAT_STALLS: S1STALLD for masters that cannot stall. */
  readonly stalls: boolean
  /** ARM_SMMU_FEAT_E2H: StreamWorld EL2 (never in this model: the host is nVHE). */
  readonly e2h: boolean
}

export interface MasterOpts {
  /** ATS enabled on the master (STE.EATS = 1); the model's devices are not ATS-capable. */
  readonly ats?: boolean
  readonly stallEnabled?: boolean
}

/** A CD table as the STE points at it. */
export interface CdTableRef {
  readonly ptr: number
  /** 0 linear, 2 64K-leaf two-level. */
  readonly s1fmt: 0 | 2
  readonly s1cdmax: number
}

/** The stage-2 part of an S2 domain's configuration (io-pgtable's VTCR and VTTBR). */
export interface S2Config {
  readonly vmid: number
  readonly tsz: number
  readonly sl0: number
  readonly irgn: number
  readonly orgn: number
  readonly sh: number
  /** VTCR TG encoding: 4K 0, 64K 1, 16K 2. */
  readonly tg: number
  /** VTCR PS encoding (IDR5.OAS encoding). */
  readonly ps: number
  readonly vttbr: number
  /** IO_PGTABLE_QUIRK_ARM_S2FWB (nest parents on SMMUs with IDR3.FWB). */
  readonly fwb?: boolean
}

export type S1Dss = 'terminate' | 'bypass' | 'ssid0'

function words(values: FieldInput<SteField>): bigint[] {
  return STE.encode(values)
}

/** V=1, Config=abort: also the initial value of every STE (arm_smmu_init_initial_stes). */
export function makeAbortSte(): bigint[] {
  return words({ V: 1, Config: 'abort' })
}

export function makeBypassSte(env: SteEnv): bigint[] {
  return words({ V: 1, Config: 'bypass', ...(env.attrTypesOvr && { SHCFG: 'incoming' }) })
}

/** arm_smmu_make_cdtable_ste: stage 1 through the master's CD table. */
export function makeCdtableSte(env: SteEnv, cd: CdTableRef, s1dss: S1Dss, opts: MasterOpts = {}): bigint[] {
  return words({
    V: 1,
    Config: 's1',
    S1Fmt: cd.s1fmt,
    S1ContextPtr: BigInt(cd.ptr),
    S1CDMax: cd.s1cdmax,
    S1DSS: s1dss,
    S1CIR: 'WBRA',
    S1COR: 'WBRA',
    S1CSH: 'ISH',
    S1STALLD: env.stalls && !opts.stallEnabled,
    EATS: opts.ats ? 'full' : 'abort',
    ...(env.attrTypesOvr && s1dss === 'bypass' && { SHCFG: 'incoming' }),
    // Without E2H: NS-EL1, and VMID 0, reserved for stage-1 and bypass STEs.
    STRW: env.e2h ? 'EL2' : 'NSEL1',
  })
}

/** arm_smmu_make_s2_domain_ste. */
export function makeS2DomainSte(env: SteEnv, s2: S2Config, opts: MasterOpts = {}): bigint[] {
  return words({
    V: 1,
    Config: 's2',
    EATS: opts.ats ? 'full' : 'abort',
    S2FWB: s2.fwb ?? false,
    ...(env.attrTypesOvr && { SHCFG: 'incoming' }),
    S2VMID: s2.vmid,
    S2T0SZ: s2.tsz,
    S2SL0: s2.sl0,
    S2IR0: s2.irgn,
    S2OR0: s2.orgn,
    S2SH0: s2.sh,
    S2TG: s2.tg,
    S2PS: s2.ps,
    S2AA64: 1,
    S2PTW: 1,
    S2S: opts.stallEnabled ?? false,
    S2R: 1,
    S2TTB: BigInt(s2.vttbr),
  })
}

/**
 * arm_smmu_make_nested_cd_table_ste (iommufd): the parent's S2 STE with
 * the guest's vSTE stage-1 fields merged in, Config=nested, and MEV set
 * (merged events, to blunt a guest flooding the EVTQ).
 */
export function makeNestedSte(env: SteEnv, parent: S2Config, vste: readonly bigint[], opts: MasterOpts = {}): bigint[] {
  const t = makeS2DomainSte(env, parent, opts)
  const guest0 = (vste[0] ?? 0n) & (m('S1Fmt') | m('S1ContextPtr') | m('S1CDMax'))
  const guest1 = (vste[1] ?? 0n) & (m('S1DSS') | m('S1CIR') | m('S1COR') | m('S1CSH') | m('S1STALLD') | m('EATS'))
  t[0] = STE.with([guest0], { V: 1, Config: 'nested' })[0]
  t[1] = t[1] | guest1 | m('MEV')
  return t
}

/** arm_smmu_get_ste_used: the bits the SMMU reads in an STE with this configuration. */
export function steUsed(e: readonly bigint[]): bigint[] {
  const used = new Array<bigint>(8).fill(0n)
  used[0] = m('V')
  if (!STE.get(e, 'V')) return used
  used[0] |= m('Config')
  const cfg = STE.get(e, 'Config')
  if (cfg & 1) {
    used[0] |= m('S1Fmt') | m('S1ContextPtr') | m('S1CDMax')
    used[1] |= m('S1DSS') | m('S1CIR') | m('S1COR') | m('S1CSH') | m('S1STALLD') | m('STRW') | m('EATS') | m('MEV')
    used[2] |= m('S2VMID')
    // SHCFG applies to S1DSS=bypass traffic (IHI 0070 13.5).
    if (STE.get(e, 'S1DSS') === STE.fields.S1DSS.values?.bypass) used[1] |= m('SHCFG')
  }
  if (cfg & 2) {
    used[1] |= m('S2FWB') | m('EATS') | m('SHCFG') | m('MEV')
    used[2] |= m('S2VMID') | m('S2T0SZ') | m('S2SL0') | m('S2IR0') | m('S2OR0') | m('S2SH0') | m('S2TG') | m('S2PS') |
      m('S2AA64') | m('S2ENDI') | m('S2PTW') | m('S2S') | m('S2R')
    used[3] |= m('S2TTB')
  }
  if (cfg === STE.fields.Config.values?.bypass) used[1] |= m('SHCFG')
  return used
}

/**
 * arm_smmu_get_ste_update_safe: MEV only changes how faults are reported,
 * and EATS=1 may be sequenced freely when neither entry uses EATS=S1CHK or
 * S2S (a transient EATS=1 with S2S=1 would be an illegal STE).
 */
export function steUpdateSafe(cur: readonly bigint[], target: readonly bigint[]): bigint[] {
  const safe = new Array<bigint>(8).fill(0n)
  const s1chk = STE.encode({ EATS: 'split' })[1]
  const trans = STE.encode({ EATS: 'full' })[1]
  if (!((cur[1] | target[1]) & s1chk) && !((cur[2] | target[2]) & m('S2S'))) safe[1] |= trans
  safe[1] |= m('MEV')
  return safe
}
