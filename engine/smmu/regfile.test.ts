import { describe, expect, test } from 'vitest'
import { SmmuKit } from './testkit'

// Register behaviour (IHI 0070 6.2, 6.3; SPEC-FACTS A§1). Offsets and bit
// positions below are the specification's, written out by hand.

const fresh = (params = {}) => new SmmuKit({ boot: false, params })

describe('register map', () => {
  test('page 1 is an alias of page 0: EVENTQ_PROD at 0x100A8 is the register at 0xA8', () => {
    const k = fresh()
    // EVENTQEN=0, so EVENTQ_PROD is writable. WR [19:0] and OVFLG [31] are its fields.
    k.write(0x100a8, 0x8000_0005)
    expect(k.read(0xa8)).toBe(0x8000_0005n)
    expect(k.read(0x100a8)).toBe(0x8000_0005n)
    k.write(0xac, 0x3)
    expect(k.read(0x100ac)).toBe(0x3n)
  })

  test('a 64-bit register is two 32-bit halves: STRTAB_BASE at 0x80 (bits 31:0) and 0x84 (bits 63:32)', () => {
    const k = fresh()
    // ADDR is bits [51:6]: the low 6 bits of the low half are RES0 and dropped.
    k.write(0x80, 0x4000_107f)
    k.write(0x84, 0x4000_0012) // bit 62 (RA) is bit 30 of the high half; ADDR[51:32] = 0x12
    expect(k.read(0x80, 8)).toBe(0x4000_0012_4000_1040n)
    expect(k.read(0x80)).toBe(0x4000_1040n)
    expect(k.read(0x84)).toBe(0x4000_0012n)
    // Rewriting the low half keeps the high half.
    k.write(0x80, 0x8000_0000)
    expect(k.read(0x80, 8)).toBe(0x4000_0012_8000_0000n)
    // A 64-bit write sets both halves; bits 61:52 and 63 are RES0.
    k.write(0x80, 0xfff0_0001_2345_6780n, 8)
    expect(k.read(0x80, 8)).toBe(0x4000_0001_2345_6780n)
  })

  test('a 64-bit access to a 32-bit register is refused (reads 0, write ignored)', () => {
    const k = fresh()
    k.write('CR2', 0x6)
    expect(k.read('CR2', 8)).toBe(0n)
    k.write('CR2', 0x1n, 8)
    expect(k.read('CR2')).toBe(0x6n)
    // Nor is a 64-bit access at the upper half of a 64-bit register valid.
    k.write(0x84, 0xffff_ffff_ffff_ffffn, 8)
    expect(k.read(0x80, 8)).toBe(0n)
    const errs = k.j.records.filter((r) => r.kind === 'mmio.error')
    expect(errs.map((r) => r.reg)).toEqual(['CR2', 'CR2', 'STRTAB_BASE'])
  })

  test('read-only registers ignore writes', () => {
    const k = fresh()
    const idr0 = k.read('IDR0')
    k.write('IDR0', 0)
    k.write('IDR5', 0xffff_ffff)
    k.write('GERROR', 1)
    k.write('CR0ACK', 0xf)
    k.write('IRQ_CTRLACK', 7)
    expect(k.read('IDR0')).toBe(idr0)
    expect(k.read('IDR5')).toBe(0x74n)
    expect(k.read('GERROR')).toBe(0n)
    expect(k.read('CR0ACK')).toBe(0n)
    expect(k.read('IRQ_CTRLACK')).toBe(0n)
  })

  test('CR0 is acknowledged at once in CR0ACK; RES0 bits are dropped', () => {
    const k = fresh()
    // SMMUEN 0, EVENTQEN 2, CMDQEN 3, ATSCHK 4 = 0x1D; bit 5 is RES0 (QEMU's mask 0xFFFFFC20).
    k.write('CR0', 0x3d)
    expect(k.read('CR0')).toBe(0x1dn)
    expect(k.read('CR0ACK')).toBe(0x1dn)
    k.write('CR0', 0)
    expect(k.read('CR0ACK')).toBe(0n)
  })

  test('GBPA: a write with UPDATE=0 is ignored; UPDATE=1 applies it and reads back UPDATE=0', () => {
    const k = fresh()
    expect(k.read('GBPA')).toBe(0x1000n) // reset: SHCFG=0b01 (use incoming)
    k.write('GBPA', 0x0010_0000) // ABORT (bit 20) without UPDATE (bit 31)
    expect(k.read('GBPA')).toBe(0x1000n)
    k.write('GBPA', 0x8010_0000)
    expect(k.read('GBPA')).toBe(0x0010_0000n)
    k.write('GBPA', 0x8000_1000)
    expect(k.read('GBPA')).toBe(0x1000n)
  })

  test('IRQ_CTRL is acknowledged in IRQ_CTRLACK (GERROR_IRQEN 0, PRIQ_IRQEN 1, EVENTQ_IRQEN 2)', () => {
    const k = fresh()
    k.write('IRQ_CTRL', 0x5)
    expect(k.read('IRQ_CTRLACK')).toBe(0x5n)
    k.write('IRQ_CTRL', 0xff)
    expect(k.read('IRQ_CTRL')).toBe(0x7n)
    expect(k.read('IRQ_CTRLACK')).toBe(0x7n)
  })

  test('STRTAB_BASE and STRTAB_BASE_CFG are ignored while SMMUEN=1', () => {
    const k = new SmmuKit() // booted: STRTAB_BASE = 0x4000_0000, LOG2SIZE 8
    k.write('STRTAB_BASE', 0x5000_0000, 8)
    k.write(0x84, 0x1)
    k.write('STRTAB_BASE_CFG', 0x10)
    expect(k.read('STRTAB_BASE', 8)).toBe(0x4000_0000n)
    expect(k.read('STRTAB_BASE_CFG')).toBe(8n)
    k.write('CR0', 0xc) // SMMUEN off, queues on
    k.write('STRTAB_BASE', 0x5000_0000, 8)
    expect(k.read('STRTAB_BASE', 8)).toBe(0x5000_0000n)
  })

  test('CMDQ_BASE is ignored while CMDQEN=1', () => {
    const k = new SmmuKit() // CMDQ_BASE = 0x4080_0000 | LOG2SIZE 6
    k.write('CMDQ_BASE', 0x5000_0008n, 8)
    expect(k.read('CMDQ_BASE', 8)).toBe(0x4080_0006n)
    k.write('CR0', 0x1) // CMDQEN off
    k.write('CMDQ_BASE', 0x5000_0008n, 8)
    expect(k.read('CMDQ_BASE', 8)).toBe(0x5000_0008n)
  })

  test('unknown offsets read as zero and ignore writes (RAZ/WI)', () => {
    const k = fresh()
    for (const off of [0x30, 0x8c, 0x100, 0xe00, 0x1_0030]) {
      const before = k.j.length
      k.write(off, 0xffff_ffff)
      expect(k.read(off)).toBe(0n)
      // Nothing changed: no state record at all.
      expect(k.j.records.slice(before).filter((r) => r.changes)).toEqual([])
    }
  })
})

describe('ID registers from SmmuParams (bit positions: IHI 0070 6.3.1-6.3.6)', () => {
  // QEMU's init_id_regs values (SPEC-FACTS A§1) are an outside oracle for QEMU-like parameters.
  const qemu = { sidBits: 16, cmdqLog2: 19, evtqLog2: 19, strtab: '2level' as const, oas: 44 as const }

  test.each([
    ['nested', 0x0d44101b, 0x1414],
    ['s1', 0x0d44101a, 0x1404],
    ['s2', 0x0d441019, 0x1414],
  ] as const)('QEMU-like, stages=%s: IDR0 0x%s', (stages, idr0, idr3) => {
    const k = fresh({ ...qemu, stages })
    expect(k.read32('IDR0')).toBe(idr0)
    expect(k.read32('IDR1')).toBe(0x0273_0010)
    expect(k.read32('IDR2')).toBe(0)
    expect(k.read32('IDR3')).toBe(idr3)
    expect(k.read32('IDR4')).toBe(0)
    expect(k.read32('IDR5')).toBe(0x74)
    expect(k.read32('IIDR')).toBe(0)
    expect(k.read32('AIDR')).toBe(1)
  })

  test('the kit default: linear table, 8-bit SIDs, 2^8-entry queues', () => {
    const k = fresh()
    // No ST_LEVEL: 0x0D44101B - (1 << 27).
    expect(k.read32('IDR0')).toBe(0x0544_101b)
    // SIDSIZE 8 | EVENTQS 8 << 16 | CMDQS 8 << 21.
    expect(k.read32('IDR1')).toBe(0x0108_0008)
  })

  test('MSI, ATS, 20-bit SSIDs, 48-bit OAS, 4K only, MMU-700 r1p2, no RIL', () => {
    const k = fresh({
      ...qemu, strtab: 'linear', msi: true, ats: true, ssidBits: 20, oas: 48, granules: ['4K'], ril: false,
      iidr: { product: 'mmu-700', variant: 1, revision: 2 },
    })
    // 0x0544101B + CD2L (1 << 19) + MSI (1 << 13) + ATS (1 << 10).
    expect(k.read32('IDR0')).toBe(0x054c_341b)
    // SSIDSIZE 20 << 6 = 0x500.
    expect(k.read32('IDR1')).toBe(0x0273_0510)
    expect(k.read32('IDR3')).toBe(0x1014)
    // OAS 0b101 (48 bits) | GRAN4K.
    expect(k.read32('IDR5')).toBe(0x15)
    // Implementer 0x43B | Revision 2 << 12 | Variant 1 << 16 | ProductID 0x487 << 20.
    expect(k.read32('IIDR')).toBe(0x4871_243b)
  })
})
