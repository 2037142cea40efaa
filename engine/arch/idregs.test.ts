import { describe, expect, test } from 'vitest'
import { buildIdRegs, type SmmuParams } from './idregs'

// QEMU's SMMUv3 device defaults (SPEC-FACTS A§1, init_id_regs).
const QEMU: SmmuParams = {
  stages: 's1',
  oas: 44,
  granules: ['4K', '16K', '64K'],
  sidBits: 16,
  ssidBits: 0,
  strtab: '2level',
  ril: true,
  ats: false,
  msi: false,
  cmdqLog2: 19,
  evtqLog2: 19,
  iidr: { product: 'generic', variant: 0, revision: 0 },
}

describe('buildIdRegs against QEMU (SPEC-FACTS A§1)', () => {
  test('stage 1: IDR0 0x0D44101A, IDR1 0x02730010, IDR3 0x1404, IDR5 0x74', () => {
    const r = buildIdRegs(QEMU)
    expect(r.IDR0).toBe(0x0d44_101a)
    expect(r.IDR1).toBe(0x0273_0010)
    expect(r.IDR2).toBe(0)
    expect(r.IDR3).toBe(0x1404)
    expect(r.IDR4).toBe(0)
    expect(r.IDR5).toBe(0x74)
    expect(r.IIDR).toBe(0)
    expect(r.AIDR).toBe(1) // SMMUv3.1
  })

  test('stage 2: IDR0 0x0D441019 and IDR3 0x1414 (XNX)', () => {
    const r = buildIdRegs({ ...QEMU, stages: 's2' })
    expect(r.IDR0).toBe(0x0d44_1019)
    expect(r.IDR3).toBe(0x1414)
  })

  test('nested: IDR0 0x0D44101B', () => {
    expect(buildIdRegs({ ...QEMU, stages: 'nested' }).IDR0).toBe(0x0d44_101b)
  })
})

describe('buildIdRegs: each parameter moves its own bits', () => {
  test('linear stream table clears ST_LEVEL (bits 28:27)', () => {
    expect(buildIdRegs({ ...QEMU, strtab: 'linear' }).IDR0).toBe(0x0d44_101a - (1 << 27))
  })

  test('substreams set SSIDSIZE (IDR1[10:6]) and CD2L (IDR0 bit 19)', () => {
    const r = buildIdRegs({ ...QEMU, ssidBits: 20 })
    expect(r.IDR1).toBe(0x0273_0010 + (20 << 6))
    expect(r.IDR0).toBe(0x0d44_101a + (1 << 19))
  })

  test('ATS is IDR0 bit 10, MSI bit 13', () => {
    expect(buildIdRegs({ ...QEMU, ats: true, msi: true }).IDR0).toBe(0x0d44_101a + (1 << 10) + (1 << 13))
  })

  test('sizes: SIDSIZE, EVENTQS, CMDQS', () => {
    // SIDSIZE 8 | EVENTQS 10 << 16 | CMDQS 12 << 21
    expect(buildIdRegs({ ...QEMU, sidBits: 8, evtqLog2: 10, cmdqLog2: 12 }).IDR1).toBe(8 + (10 << 16) + (12 << 21))
  })

  test('no RIL clears IDR3 bit 10', () => {
    expect(buildIdRegs({ ...QEMU, ril: false }).IDR3).toBe(0x1004)
  })

  test('OAS 48 with 4K only: IDR5 = OAS 5 | GRAN4K', () => {
    expect(buildIdRegs({ ...QEMU, oas: 48, granules: ['4K'] }).IDR5).toBe(0x15)
    expect(buildIdRegs({ ...QEMU, oas: 52, granules: ['64K'] }).IDR5).toBe(0x46)
    expect(buildIdRegs({ ...QEMU, oas: 32, granules: [] }).IDR5).toBe(0)
  })

  test('IIDR: Arm (0x43B) MMU-600 r2p1 and MMU-700 r1p1', () => {
    // ProductID << 20 | Variant << 16 | Revision << 12 | Implementer
    expect(buildIdRegs({ ...QEMU, iidr: { product: 'mmu-600', variant: 2, revision: 1 } }).IIDR).toBe(0x4832_143b)
    expect(buildIdRegs({ ...QEMU, iidr: { product: 'mmu-700', variant: 1, revision: 1 } }).IIDR).toBe(0x4871_143b)
  })

  test('parameters that do not fit their field are refused', () => {
    expect(() => buildIdRegs({ ...QEMU, sidBits: 64 })).toThrow(/SIDSIZE/)
    expect(() => buildIdRegs({ ...QEMU, iidr: { product: 'mmu-600', variant: 16, revision: 0 } })).toThrow(/Variant/)
  })
})
