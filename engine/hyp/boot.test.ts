import { describe, expect, test } from 'vitest'
import { HYP_BASE, PkvmKit } from './pkvm-testkit'

// smmu_init_device (SPEC-FACTS B§8 "Boot"); register encodings from IHI 0070 6.3.

describe('boot', () => {
  test('takes the MMIO, programs the shadow CMDQ and stream table, sets GBPA.ABORT; CR0 stays 0', () => {
    const k = new PkvmKit()
    expect(k.bus.trapped).toBe(true)
    const cfg = k.hyp.cfg!
    // Shadow CMDQ: min(IDR1.CMDQS = 8, log2(16 pages * 4K / 16)) = 8: 256 entries, 4 KiB.
    expect(cfg.cmdq?.log2).toBe(8)
    expect(k.smmu.reg('CMDQ_BASE')).toBe(BigInt(cfg.cmdq!.base) | 8n)
    expect([k.smmu.reg('CMDQ_PROD'), k.smmu.reg('CMDQ_CONS')]).toEqual([0n, 0n])
    // Linear table for 8 SID bits: 256 STEs; STRTAB_BASE = ADDR | RA (bit 62); CFG = FMT 0 | LOG2SIZE 8.
    expect(cfg.strtab).toMatchObject({ entries: 256 })
    expect(k.smmu.reg('STRTAB_BASE')).toBe(BigInt(cfg.strtab!.base) | (1n << 62n))
    expect(k.smmu.reg('STRTAB_BASE_CFG')).toBe(8n)
    // Both come from the hypervisor's pool.
    expect(cfg.cmdq!.base).toBeGreaterThanOrEqual(HYP_BASE)
    expect(k.smmu.reg('GBPA')).toBe(0x10_1000n)
    expect(k.smmu.reg('CR0')).toBe(0n)
  })

  test('2-level table: 256 L1 descriptors, FMT 1 | SPLIT 8 | LOG2SIZE 16', () => {
    const k = new PkvmKit({ params: { sidBits: 16, strtab: '2level' } })
    // FMT 1 << 16 | SPLIT 8 << 6 | LOG2SIZE 16 = 0x10210.
    expect(k.smmu.reg('STRTAB_BASE_CFG')).toBe(0x10210n)
    expect(k.hyp.cfg!.strtab!.entries).toBe(256)
  })

  test('an SMMU without stage 2 is refused and the MMIO given back', () => {
    const k = new PkvmKit({ params: { stages: 's1' }, boot: false })
    expect(k.hyp.boot()).toBe(-6)
    expect(k.bus.trapped).toBe(false)
  })

  test('v6 refuses MMU-600 before r2 (nesting errata); v4 does not check', () => {
    const iidr = { product: 'mmu-600' as const, variant: 1, revision: 0 }
    expect(new PkvmKit({ params: { iidr }, boot: false }).hyp.boot()).toBe(-6)
    expect(new PkvmKit({ params: { iidr }, boot: false, version: 'v4' }).hyp.boot()).toBe(0)
    expect(new PkvmKit({ params: { iidr: { product: 'mmu-700', variant: 1, revision: 1 } }, boot: false }).hyp.boot()).toBe(0)
  })

  test("'mmio' level: no shadow structures; the hardware keeps its reset CMDQ_BASE", () => {
    const k = new PkvmKit({ emulation: 'mmio' })
    expect(k.hyp.cfg?.cmdq).toBeUndefined()
    expect(k.hyp.cfg?.strtab).toBeUndefined()
    expect(k.smmu.reg('CMDQ_BASE')).toBe(19n)
    expect(k.hyp.hwQueue).toBe('host')
  })
})
