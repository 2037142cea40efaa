import { describe, expect, test } from 'vitest'
import { probeIdRegs, restrictPgsizes } from './probe'

// QEMU's virt SMMU with both stages (SPEC-FACTS A§1): IDR0 0x0D44101B, IDR1 0x02730010, IDR3 0x1414, IDR5 0x74.
const QEMU = { IDR0: 0x0d44101b, IDR1: 0x02730010, IDR3: 0x1414, IDR5: 0x74, IIDR: 0 }
const ENV = { coherent: true, pageShift: 12 }
// IIDR = ProductID[31:20] | Variant[19:16] | Revision[15:12] | Implementer[11:0] (0x43B = Arm).
const iidr = (product: number, variant: number, revision: number) => ((product << 20) | (variant << 16) | (revision << 12) | 0x43b) >>> 0

describe('probe (arm_smmu_device_hw_probe, B§6)', () => {
  test('QEMU defaults', () => {
    const p = probeIdRegs(QEMU, ENV)
    // IDR0: S2P, S1P, TTF=AArch64, ASID16, VMID16, TTENDIAN=LE, STALL_MODEL=1 (no stalls), ST_LEVEL=2-level.
    // IDR3 0x1414: RIL (bit 10), BBML=2 (bits 12:11). COHERENCY comes from the firmware.
    expect(p.features).toEqual([
      'ARM_SMMU_FEAT_2_LVL_STRTAB', 'ARM_SMMU_FEAT_TT_LE', 'ARM_SMMU_FEAT_COHERENCY', 'ARM_SMMU_FEAT_TRANS_S1',
      'ARM_SMMU_FEAT_TRANS_S2', 'ARM_SMMU_FEAT_RANGE_INV', 'ARM_SMMU_FEAT_NESTING', 'ARM_SMMU_FEAT_BBML2',
    ])
    expect(p.options).toEqual([])
    // 4K|2M|1G|16K|32M|64K|512M = 0x1000+0x200000+0x40000000+0x4000+0x2000000+0x10000+0x20000000.
    expect(p.pgsizeBitmap).toBe(0x62215000)
    // OAS=4: 44 bits; ias = max(0, oas).
    expect([p.ias, p.oas, p.asidBits, p.vmidBits, p.sidBits, p.ssidBits]).toEqual([44, 44, 16, 16, 16, 0])
    // Queues: min(IDR1 19, 4K pages << MAX_PAGE_ORDER 10 = 4 MiB / entry size): CMDQ 2^18, EVTQ 2^17.
    expect([p.cmdqShift, p.evtqShift]).toEqual([18, 17])
    expect(p.error).toBeUndefined()
  })

  test('MMU-600 r0p0: erratum 1076982 clears SEV, 1209401 clears nesting', () => {
    const p = probeIdRegs({ ...QEMU, IDR0: QEMU.IDR0 | (1 << 14), IIDR: iidr(0x483, 0, 0) }, ENV)
    expect(p.features).not.toContain('ARM_SMMU_FEAT_SEV')
    expect(p.features).not.toContain('ARM_SMMU_FEAT_NESTING')
    expect(p.errata).toEqual(['Arm erratum 1076982: SEV cleared', 'Arm erratum 1209401: NESTING cleared'])
  })

  test('MMU-600 r2p0 keeps SEV and nesting', () => {
    const p = probeIdRegs({ ...QEMU, IDR0: QEMU.IDR0 | (1 << 14), IIDR: iidr(0x483, 2, 0) }, ENV)
    expect(p.features).toContain('ARM_SMMU_FEAT_SEV')
    expect(p.features).toContain('ARM_SMMU_FEAT_NESTING')
  })

  test('MMU-700: BTM cleared, CMDQ_FORCE_SYNC, nesting off', () => {
    // IDR0.BTM is bit 5.
    const p = probeIdRegs({ ...QEMU, IDR0: QEMU.IDR0 | (1 << 5), IIDR: iidr(0x487, 1, 1) }, ENV)
    expect(p.features).not.toContain('ARM_SMMU_FEAT_BTM')
    expect(p.features).not.toContain('ARM_SMMU_FEAT_NESTING')
    expect(p.options).toEqual(['ARM_SMMU_OPT_CMDQ_FORCE_SYNC'])
  })

  test('52-bit OAS adds the 4 TB page', () => {
    // IDR5.OAS = 6.
    const p = probeIdRegs({ ...QEMU, IDR5: 0x76 }, ENV)
    expect(p.oas).toBe(52)
    expect(p.ias).toBe(52)
    expect(p.pgsizeBitmap).toBe(0x62215000 + 2 ** 42)
    // A 64K domain keeps 4T only when its output size exceeds 48 bits.
    expect(restrictPgsizes(p.pgsizeBitmap, 16, 52).bitmap).toBe(0x10000 + 0x20000000 + 2 ** 42)
    expect(restrictPgsizes(p.pgsizeBitmap, 16, 48).bitmap).toBe(0x10000 + 0x20000000)
  })

  test('sid_bits <= 8 chooses a linear stream table', () => {
    const p = probeIdRegs({ ...QEMU, IDR1: 0x02730008 }, ENV)
    expect(p.sidBits).toBe(8)
    expect(p.features).not.toContain('ARM_SMMU_FEAT_2_LVL_STRTAB')
  })

  test('MSI polling needs a coherent SMMU', () => {
    const msi = { ...QEMU, IDR0: QEMU.IDR0 | (1 << 13) }
    expect(probeIdRegs(msi, ENV).options).toEqual(['ARM_SMMU_OPT_MSIPOLL'])
    expect(probeIdRegs(msi, { ...ENV, coherent: false }).options).toEqual([])
  })

  test('refusals: no stage, 64-entry CMDQ, presets', () => {
    expect(probeIdRegs({ ...QEMU, IDR0: QEMU.IDR0 & ~3 }, ENV).error).toBe('no translation support!')
    // CMDQS = 6 (bits 25:21).
    expect(probeIdRegs({ ...QEMU, IDR1: (QEMU.IDR1 & ~(0x1f << 21)) | (6 << 21) }, ENV).error).toMatch(/<= 64 entries/)
    expect(probeIdRegs({ ...QEMU, IDR1: QEMU.IDR1 | (1 << 29) }, ENV).error).toBe('embedded implementation not supported')
  })

  test('PAGE_SIZE picks the granule, else the largest smaller one', () => {
    // 16K kernel on an SMMU with 4K and 64K only: 4K (largest below 16K).
    expect(restrictPgsizes(0x1000 + 0x200000 + 0x40000000 + 0x10000 + 0x20000000, 14, 48).granule).toBe(12)
    expect(restrictPgsizes(0x10000 + 0x20000000, 12, 48).granule).toBe(16)
  })
})
