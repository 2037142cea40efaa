import { describe, expect, test } from 'vitest'
import { HypPanic } from './pkvm'
import { HOST_CMDQ, HOST_STRTAB, HYP_BASE, PkvmKit } from './pkvm-testkit'

// Expected values worked by hand from SPEC-FACTS B§8 ("MMIO emulation") and the
// register layouts of IHI 0070 6.3; the kit's SMMU is QEMU-like: nested, MSI,
// 8 SID bits, CMDQS = EVENTQS = 8, OAS 44.

const warns = (k: PkvmKit) => k.records('hyp.warn').map((r) => r.reason)

describe('read-only registers', () => {
  test('IDR0 hides S2P, VMID16, MSI and HYP', () => {
    const k = new PkvmKit()
    // Hardware IDR0: S2P|S1P (0x3) | TTF=AArch64 (0x8) | COHACC (0x10) | ASID16 (0x1000) | MSI (0x2000)
    // | VMID16 (0x40000) | TTENDIAN=LE (0x400000) | STALL_MODEL=1 (0x1000000) | TERM_MODEL (0x4000000) = 0x0544301B.
    expect(k.smmu.reg('IDR0')).toBe(0x0544301bn)
    // Less S2P (bit 0), MSI (bit 13) and VMID16 (bit 18); HYP (bit 9) is already 0.
    expect(k.read('IDR0')).toBe(0x0540101an)
    expect(k.lastMmio().verdict).toBe('masked')
  })

  test('IDR1, IDR3, IDR5, IIDR and GERROR pass through', () => {
    const k = new PkvmKit()
    // IDR1: SIDSIZE 8 | EVENTQS 8 << 16 | CMDQS 8 << 21.
    expect(k.read('IDR1')).toBe(0x0108_0008n)
    // IDR3: HAD (0x4) | XNX (0x10) | RIL (0x400) | BBML=2 (0x1000).
    expect(k.read('IDR3')).toBe(0x1414n)
    // IDR5: OAS=44-bit (4) | GRAN4K|16K|64K (0x70).
    expect(k.read('IDR5')).toBe(0x74n)
    expect(k.read('IIDR')).toBe(0n)
    expect(k.read('GERROR')).toBe(0n)
    expect(k.lastMmio().verdict).toBe('passthrough')
    expect(warns(k)).toEqual([])
  })

  test('IDR2, IDR4 and AIDR are refused: read as 0 with a WARN', () => {
    const k = new PkvmKit()
    for (const r of ['IDR2', 'IDR4', 'AIDR'] as const) {
      expect(k.read(r)).toBe(0n)
      expect(k.lastMmio().verdict).toBe('refused')
    }
    // AIDR on the hardware is SMMUv3.1 (1): the host never sees it.
    expect(k.smmu.reg('AIDR')).toBe(1n)
    expect(warns(k)).toHaveLength(3)
  })

  test('a write to a read-only register is refused', () => {
    const k = new PkvmKit()
    k.write('IDR1', 0)
    expect(k.lastMmio().verdict).toBe('refused')
    expect(k.smmu.reg('IDR1')).toBe(0x0108_0008n)
  })

  test('unknown offsets and wrong sizes are refused and have no effect', () => {
    const k = new PkvmKit()
    k.write(0x40, 1) // STATUSR: not in the series' table
    k.write('CR0', 1, 8) // CR0 is 32-bit
    k.write('CMDQ_BASE', 0x4000_0000, 4) // the series relies on 64-bit stores
    expect(k.read(0x0a8)).toBe(0n) // EVENTQ_PROD lives on page 1 only
    expect(k.records('hyp.mmio').map((r) => r.verdict)).toEqual(['refused', 'refused', 'refused', 'refused'])
    expect(k.smmu.reg('CR0')).toBe(0n)
    expect(k.hyp.get('CMDQ_BASE')).toBe(0n)
    expect(warns(k)).toHaveLength(4)
  })
})

describe('CMDQ registers', () => {
  test('CMDQ_BASE is stored while CMDQEN=0, never sent to the hardware', () => {
    const k = new PkvmKit()
    const shadow = k.smmu.reg('CMDQ_BASE')
    k.write('CMDQ_BASE', BigInt(HOST_CMDQ) | 6n)
    expect(k.hyp.get('CMDQ_BASE')).toBe(0x4080_0006n)
    expect(k.read('CMDQ_BASE')).toBe(0x4080_0006n)
    expect(k.smmu.reg('CMDQ_BASE')).toBe(shadow)
    expect(k.lastMmio().verdict).toBe('emulated')
  })

  test('CMDQ_BASE and CMDQ_CONS writes while the emulated CMDQEN=1 are refused', () => {
    const k = new PkvmKit()
    k.hostBoot()
    k.write('CMDQ_BASE', BigInt(HYP_BASE) | 6n)
    k.write('CMDQ_CONS', 5)
    expect(k.hyp.get('CMDQ_BASE')).toBe(0x4080_0006n)
    expect(k.hyp.get('CMDQ_CONS')).toBe(0n)
    expect(warns(k).filter((w) => String(w).includes('CMDQEN=1'))).toHaveLength(2)
  })

  test('CMDQ_PROD is stored; with CMDQEN=0 nothing runs', () => {
    const k = new PkvmKit()
    k.write('CMDQ_PROD', 3)
    expect(k.read('CMDQ_PROD')).toBe(3n)
    expect(k.records('hyp.cmdq.emulate')).toHaveLength(0)
    expect(k.smmu.reg('CMDQ_PROD')).toBe(0n)
  })

  test('CMDQ_CONS reads the emulated index OR the hardware CONS.ERR', () => {
    const k = new PkvmKit()
    k.hostBoot()
    // TLBI_EL3_ALL passes the filter and is ILLEGAL on the Non-secure queue: CONS.ERR = CERROR_ILL (1).
    k.cmds([{ op: 'TLBI_EL3_ALL' }])
    // Host index 1 (consumed by the emulation) | ERR 1 << 24.
    expect(k.read('CMDQ_CONS')).toBe(0x0100_0001n)
  })
})

describe('stream table, GBPA, CR0, CR1 and passthrough', () => {
  test('STRTAB_BASE(_CFG) are stored while SMMUEN=0 and refused after', () => {
    const k = new PkvmKit()
    const hw = k.smmu.reg('STRTAB_BASE')
    k.write('STRTAB_BASE', HOST_STRTAB)
    k.write('STRTAB_BASE_CFG', 8)
    expect(k.read('STRTAB_BASE')).toBe(0x4000_0000n)
    expect(k.read('STRTAB_BASE_CFG')).toBe(8n)
    expect(k.smmu.reg('STRTAB_BASE')).toBe(hw)
    k.hostBoot()
    k.write('STRTAB_BASE', HYP_BASE)
    k.write('STRTAB_BASE_CFG', 4)
    expect(k.hyp.get('STRTAB_BASE')).toBe((1n << 62n) | 0x4000_0000n)
    expect(k.hyp.get('STRTAB_BASE_CFG')).toBe(8n)
    expect(k.records('hyp.mmio').slice(-2).map((r) => r.verdict)).toEqual(['refused', 'refused'])
  })

  test('GBPA v6: reads ABORT, writes ignored; the hardware keeps ABORT', () => {
    const k = new PkvmKit()
    k.write('GBPA', 1n << 31n)
    expect(k.lastMmio().verdict).toBe('ignored')
    // ABORT is bit 20.
    expect(k.read('GBPA')).toBe(0x10_0000n)
    // Hardware: reset 0x1000 (SHCFG=incoming) | ABORT, set by the hypervisor's boot.
    expect(k.smmu.reg('GBPA')).toBe(0x10_1000n)
    expect(warns(k)).toEqual([])
  })

  test('GBPA v4: reads echo what the host wrote', () => {
    const k = new PkvmKit({ version: 'v4' })
    k.write('GBPA', 0x8000_1000n)
    expect(k.read('GBPA')).toBe(0x8000_1000n)
    expect(k.smmu.reg('GBPA')).toBe(0x10_1000n)
  })

  test('CR1 is forced to 0xD75; another value is a WARN', () => {
    const k = new PkvmKit()
    k.write('CR1', 0)
    // QUEUE_IC/OC = WB (1, 1<<2), QUEUE_SH = ISH (3<<4), TABLE_IC/OC = WB (1<<6, 1<<8), TABLE_SH = ISH (3<<10) = 0xD75.
    expect(k.smmu.reg('CR1')).toBe(0xd75n)
    expect(k.lastMmio().verdict).toBe('forced')
    expect(warns(k)).toHaveLength(1)
    k.write('CR1', 0xd75)
    expect(warns(k)).toHaveLength(1)
  })

  test('CR0 is recorded and forwarded; CR0ACK follows on the hardware', () => {
    const k = new PkvmKit()
    k.write('CR0', 0)
    k.write('CR2', 6)
    expect(k.smmu.reg('CR2')).toBe(6n)
    k.write('CMDQ_BASE', BigInt(HOST_CMDQ) | 6n)
    k.write('CR0', 8) // CMDQEN
    expect(k.hyp.get('CR0')).toBe(8n)
    expect(k.read('CR0ACK')).toBe(8n)
    expect(k.lastMmio().verdict).toBe('passthrough')
  })

  test('GERRORN, IRQ_CTRL, IRQ_CFG and EVTQ registers pass through', () => {
    const k = new PkvmKit()
    k.write('IRQ_CTRL', 5)
    expect(k.read('IRQ_CTRLACK')).toBe(5n)
    k.write('GERROR_IRQ_CFG0', 0n)
    k.write('EVENTQ_IRQ_CFG1', 7)
    expect(k.smmu.reg('EVENTQ_IRQ_CFG1')).toBe(7n)
    k.write('EVENTQ_CONS', 2)
    expect(k.smmu.reg('EVENTQ_CONS')).toBe(2n)
    k.write('GERRORN', 0)
    expect(warns(k)).toEqual([])
  })

  test('EVENTQ_BASE is refused while the emulated EVENTQEN=1', () => {
    const k = new PkvmKit()
    k.hostBoot()
    const hw = k.smmu.reg('EVENTQ_BASE')
    k.write('EVENTQ_BASE', HYP_BASE)
    expect(k.lastMmio().verdict).toBe('refused')
    expect(k.smmu.reg('EVENTQ_BASE')).toBe(hw)
  })

  test('onRefused panic: a refused access stops the hypervisor', () => {
    const k = new PkvmKit({ onRefused: 'panic' })
    expect(() => k.read('AIDR')).toThrow(HypPanic)
    expect(() => k.read('AIDR')).toThrow(/^hypervisor panic \(WARN at EL2\): read of AIDR/)
  })
})
