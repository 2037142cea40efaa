/**
 * Context descriptors as the Linux driver builds them (arm_smmu_make_s1_cd)
 * and the bits the SMMU uses (arm_smmu_get_cd_used), from arch/cd.ts
 * (SPEC-FACTS B§4). Pure functions over eight 64-bit words.
 */
import { CD, type CdField } from '../arch/cd'

const m = (name: CdField): bigint => CD.field(name).mask
const ALL = (1n << 64n) - 1n

/** io-pgtable's MAIR: idx0 Normal NC (0x44), idx1 Normal WBRWA (0xff), idx2 Device nGnRE (0x04), idx3 inner NC / outer WB (0xf4). */
export const IO_PGTABLE_MAIR = 0xf404ff44

/** What arm_smmu_make_s1_cd takes from the domain's io-pgtable configuration (TCR, TTBR). */
export interface S1CdConfig {
  readonly asid: number
  /** T0SZ = 64 - ias. */
  readonly tsz: number
  /** TG0 encoding: 4K 0, 64K 1, 16K 2. */
  readonly tg: number
  readonly irgn: number
  readonly orgn: number
  readonly sh: number
  /** IPS encoding of the output size. */
  readonly ips: number
  readonly ttbr: number
  /** Stall-capable master (CD.S). */
  readonly stall?: boolean
  /** IO_PGTABLE_QUIRK_ARM_HD: dirty tracking (HA and HD). */
  readonly hd?: boolean
}

export function makeS1Cd(c: S1CdConfig): bigint[] {
  return CD.encode({
    T0SZ: c.tsz,
    TG0: c.tg,
    IR0: c.irgn,
    OR0: c.orgn,
    SH0: c.sh,
    EPD1: 1,
    V: 1,
    IPS: c.ips,
    AA64: 1,
    S: c.stall ?? false,
    R: 1,
    A: 1,
    ASET: 1,
    ASID: c.asid,
    HA: c.hd ?? false,
    HD: c.hd ?? false,
    TTB0: BigInt(c.ttbr),
    MAIR0: IO_PGTABLE_MAIR,
  })
}

/** All bits when V=1, except what EPD0 makes IGNORED (the TT0 walk fields and TTB0). */
export function cdUsed(e: readonly bigint[]): bigint[] {
  const used = new Array<bigint>(8).fill(0n)
  used[0] = m('V')
  if (!CD.get(e, 'V')) return used
  used.fill(ALL)
  if (CD.get(e, 'EPD0')) {
    used[0] &= ~(m('T0SZ') | m('TG0') | m('IR0') | m('OR0') | m('SH0')) & ALL
    used[1] &= ~m('TTB0') & ALL
  }
  return used
}
