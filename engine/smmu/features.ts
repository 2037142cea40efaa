import { REG } from '../arch/registers'
import type { Granule } from './types'

/**
 * What the device implements, as the SMMU itself sees it (its ID registers),
 * in the form the decoder and the walker need. Built once from the IDR values.
 */
export interface SmmuFeatures {
  readonly s1p: boolean
  readonly s2p: boolean
  readonly hyp: boolean
  readonly ats: boolean
  readonly pri: boolean
  readonly msi: boolean
  /** IDR0.SEV: CMD_SYNC with CS=SIG_SEV sends a WFE wake-up event. */
  readonly sev: boolean
  readonly vmid16: boolean
  readonly asid16: boolean
  /** IDR0.TTENDIAN: 0 mixed, 2 little-endian only, 3 big-endian only. */
  readonly ttendian: number
  /** IDR0.STALL_MODEL: 0 stall and terminate, 1 terminate only, 2 stall forced. */
  readonly stallModel: number
  /** IDR0.TERM_MODEL: 1 = terminated transactions always abort (CD.A must be 1). */
  readonly termModel: number
  readonly cd2l: boolean
  readonly strtab2l: boolean
  readonly ril: boolean
  /** IDR0.HTTU: 0 none. */
  readonly httu: number
  readonly sidBits: number
  readonly ssidBits: number
  readonly cmdqLog2: number
  readonly evtqLog2: number
  /** IDR5.OAS decoded to bits. */
  readonly oas: number
  readonly granules: ReadonlySet<Granule>
}

/** IDR5.OAS / CD.IPS / STE.S2PS encodings (IHI 0070 6.3.6). */
export const PS_BITS = [32, 36, 40, 42, 44, 48, 52] as const

export function psBits(code: number): number | undefined {
  return PS_BITS[code]
}

/**
 * Decode the device's own ID registers (IHI 0070 6.3.1-6.3.6) through the
 * register layouts of arch/registers.ts.
 */
export function featuresFromIdRegs(idr: { IDR0: number; IDR1: number; IDR3: number; IDR5: number }): SmmuFeatures {
  const i0 = [BigInt(idr.IDR0)]
  const i1 = [BigInt(idr.IDR1)]
  const i3 = [BigInt(idr.IDR3)]
  const i5 = [BigInt(idr.IDR5)]
  const g0 = (n: Parameters<typeof REG.IDR0.layout.get>[1]) => REG.IDR0.layout.get(i0, n)
  const granules = new Set<Granule>()
  if (REG.IDR5.layout.get(i5, 'GRAN4K')) granules.add(12)
  if (REG.IDR5.layout.get(i5, 'GRAN16K')) granules.add(14)
  if (REG.IDR5.layout.get(i5, 'GRAN64K')) granules.add(16)
  return {
    s2p: g0('S2P') === 1,
    s1p: g0('S1P') === 1,
    httu: g0('HTTU'),
    hyp: g0('HYP') === 1,
    ats: g0('ATS') === 1,
    asid16: g0('ASID16') === 1,
    msi: g0('MSI') === 1,
    sev: g0('SEV') === 1,
    pri: g0('PRI') === 1,
    vmid16: g0('VMID16') === 1,
    cd2l: g0('CD2L') === 1,
    ttendian: g0('TTENDIAN'),
    stallModel: g0('STALL_MODEL'),
    termModel: g0('TERM_MODEL'),
    strtab2l: g0('ST_LEVEL') === 1,
    sidBits: REG.IDR1.layout.get(i1, 'SIDSIZE'),
    ssidBits: REG.IDR1.layout.get(i1, 'SSIDSIZE'),
    evtqLog2: REG.IDR1.layout.get(i1, 'EVENTQS'),
    cmdqLog2: REG.IDR1.layout.get(i1, 'CMDQS'),
    ril: REG.IDR3.layout.get(i3, 'RIL') === 1,
    oas: psBits(REG.IDR5.layout.get(i5, 'OAS')) ?? 48,
    granules,
  }
}
