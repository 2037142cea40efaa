import { describe, expect, test } from 'vitest'
import { CERROR, GERROR_BITS, REG, REGISTERS, regByName, regByOffset } from './registers'

describe('register map', () => {
  test('offsets of page 0 as IHI 0070 6.2 / SPEC-FACTS A§1 list them', () => {
    const expected: Record<string, number> = {
      IDR0: 0x00, IDR1: 0x04, IDR2: 0x08, IDR3: 0x0c, IDR4: 0x10, IDR5: 0x14, IIDR: 0x18, AIDR: 0x1c,
      CR0: 0x20, CR0ACK: 0x24, CR1: 0x28, CR2: 0x2c, STATUSR: 0x40, GBPA: 0x44, AGBPA: 0x48,
      IRQ_CTRL: 0x50, IRQ_CTRLACK: 0x54, GERROR: 0x60, GERRORN: 0x64,
      GERROR_IRQ_CFG0: 0x68, GERROR_IRQ_CFG1: 0x70, GERROR_IRQ_CFG2: 0x74,
      STRTAB_BASE: 0x80, STRTAB_BASE_CFG: 0x88, CMDQ_BASE: 0x90, CMDQ_PROD: 0x98, CMDQ_CONS: 0x9c,
      EVENTQ_BASE: 0xa0, EVENTQ_PROD: 0xa8, EVENTQ_CONS: 0xac,
      EVENTQ_IRQ_CFG0: 0xb0, EVENTQ_IRQ_CFG1: 0xb8, EVENTQ_IRQ_CFG2: 0xbc,
      PRIQ_BASE: 0xc0, PRIQ_PROD: 0xc8, PRIQ_CONS: 0xcc,
      PIDR4: 0xfd0, PIDR5: 0xfd4, PIDR6: 0xfd8, PIDR7: 0xfdc, PIDR0: 0xfe0, PIDR1: 0xfe4, PIDR2: 0xfe8, PIDR3: 0xfec,
      CIDR0: 0xff0, CIDR1: 0xff4, CIDR2: 0xff8, CIDR3: 0xffc,
    }
    for (const [name, off] of Object.entries(expected)) {
      expect(regByName(name)?.offset, name).toBe(off)
      expect(regByOffset(off)?.name, name).toBe(name)
    }
  })

  test('REGISTERS is ordered by offset, REG keys are the names, no two registers overlap', () => {
    for (let i = 1; i < REGISTERS.length; i++) {
      const a = REGISTERS[i - 1]
      const b = REGISTERS[i]
      expect(a.offset + a.width / 8, `${a.name} runs into ${b.name}`).toBeLessThanOrEqual(b.offset)
    }
    for (const [k, r] of Object.entries(REG)) expect(r.name).toBe(k)
  })

  test('64-bit registers are the ones A§1 names (plus PRIQ), each with a 64-bit layout', () => {
    const wide = REGISTERS.filter((r) => r.width === 64).map((r) => r.name)
    expect(wide).toEqual(['GERROR_IRQ_CFG0', 'STRTAB_BASE', 'CMDQ_BASE', 'EVENTQ_BASE', 'EVENTQ_IRQ_CFG0', 'PRIQ_BASE', 'PRIQ_IRQ_CFG0'])
    for (const r of REGISTERS) {
      expect(r.layout.wordBits, r.name).toBe(r.width)
      expect(r.reset >> BigInt(r.width), r.name).toBe(0n)
    }
  })

  test('the upper half of a 64-bit register is not a register; unknown offsets are undefined', () => {
    expect(regByOffset(0x84)).toBeUndefined()
    expect(regByOffset(0x30)).toBeUndefined()
    expect(regByName('SMMU_CR0')).toBeUndefined()
  })

  test('EVENTQ and PRIQ PROD/CONS live on page 1 (Linux ARM_SMMU_EVTQ_PROD = 0x100a8)', () => {
    expect(REGISTERS.filter((r) => r.page === 1).map((r) => r.name)).toEqual(['EVENTQ_PROD', 'EVENTQ_CONS', 'PRIQ_PROD', 'PRIQ_CONS'])
  })

  test('ID, ACK and GERROR registers are read-only', () => {
    for (const n of ['IDR0', 'IDR5', 'IIDR', 'AIDR', 'CR0ACK', 'IRQ_CTRLACK', 'GERROR', 'STATUSR']) expect(regByName(n)?.access, n).toBe('ro')
    for (const n of ['CR0', 'GERRORN', 'CMDQ_PROD', 'CMDQ_CONS', 'EVENTQ_CONS', 'GBPA']) expect(regByName(n)?.access, n).toBe('rw')
  })
})

describe('register fields at their architectural positions', () => {
  test('CR0: SMMUEN | EVENTQEN | CMDQEN = bits 0, 2, 3 = 0xd (IHI 0070 6.3 SMMU_CR0)', () => {
    expect(REG.CR0.layout.encode({ SMMUEN: 1, EVENTQEN: 1, CMDQEN: 1 })[0]).toBe(0xdn)
    expect(REG.CR0.layout.encode({ PRIQEN: 1, ATSCHK: 1, VMW: 7 })[0]).toBe(0x2n | 0x10n | (7n << 6n))
    // CR0ACK acknowledges the same fields at the same positions.
    expect(REG.CR0ACK.layout.declaredMask(0)).toBe(REG.CR0.layout.declaredMask(0))
  })

  test("CR1 = 0xd75, Linux's reset value, is WB/WB/ISH for queues and tables", () => {
    // 0xd75 = 0b11_01_01_11_01_01: TABLE_SH ISH, TABLE_OC WB, TABLE_IC WB, QUEUE_SH ISH, QUEUE_OC WB, QUEUE_IC WB.
    expect(REG.CR1.layout.encode({ QUEUE_IC: 'WB', QUEUE_OC: 'WB', QUEUE_SH: 'ISH', TABLE_IC: 'WB', TABLE_OC: 'WB', TABLE_SH: 'ISH' })[0]).toBe(0xd75n)
  })

  test('CR2: PTM | RECINVSID = 0x6 (Linux reset sequence)', () => {
    expect(REG.CR2.layout.encode({ PTM: 1, RECINVSID: 1 })[0]).toBe(0x6n)
    expect(REG.CR2.layout.encode({ E2H: 1 })[0]).toBe(0x1n)
  })

  test('GBPA: reset 0x1000 is SHCFG=use incoming; ABORT bit 20, UPDATE bit 31', () => {
    expect(REG.GBPA.reset).toBe(0x1000n)
    expect(REG.GBPA.layout.describe([REG.GBPA.reset]).find((f) => f.name === 'SHCFG')?.display).toBe('incoming')
    expect(REG.GBPA.layout.encode({ ABORT: 1, UPDATE: 1 })[0]).toBe(0x8010_0000n)
  })

  test('STRTAB_BASE: RA bit 62, ADDR [51:6] in place', () => {
    const v = REG.STRTAB_BASE.layout.encode({ RA: 1, ADDR: 0x8_8000_0000 })[0]
    expect(v).toBe(0x4000_0008_8000_0000n)
    expect(() => REG.STRTAB_BASE.layout.encode({ ADDR: 0x8000_0020 })).toThrow(/bits outside \[51:6\]/)
  })

  test("STRTAB_BASE_CFG for Linux's 2-level table: FMT 1, SPLIT 8, LOG2SIZE 16 = 0x10210", () => {
    // (1 << 16) | (8 << 6) | 16
    expect(REG.STRTAB_BASE_CFG.layout.encode({ FMT: '2level', SPLIT: 8, LOG2SIZE: 16 })[0]).toBe(0x10210n)
  })

  test('CMDQ_BASE / EVENTQ_BASE: RA/WA bit 62, ADDR [51:5], LOG2SIZE [4:0]', () => {
    expect(REG.CMDQ_BASE.layout.encode({ RA: 1, ADDR: 0x8000_0020, LOG2SIZE: 8 })[0]).toBe(0x4000_0000_8000_0028n)
    expect(REG.EVENTQ_BASE.layout.encode({ WA: 1, LOG2SIZE: 19 })[0]).toBe(0x4000_0000_0000_0013n)
  })

  test('CMDQ_CONS.ERR is bits 30:24 with the CERROR codes of IHI 0070 4.1.4', () => {
    expect(CERROR).toEqual({ CERROR_NONE: 0, CERROR_ILL: 1, CERROR_ABT: 2, CERROR_ATC_INV_SYNC: 3 })
    expect(REG.CMDQ_CONS.layout.encode({ ERR: 'CERROR_ILL', RD: 5 })[0]).toBe(0x0100_0005n)
    expect(REG.CMDQ_CONS.layout.describe([0x0200_0000n]).find((f) => f.name === 'ERR')?.display).toBe('CERROR_ABT')
  })

  test('EVENTQ_PROD.OVFLG and EVENTQ_CONS.OVACKFLG are bit 31', () => {
    expect(REG.EVENTQ_PROD.layout.encode({ OVFLG: 1 })[0]).toBe(0x8000_0000n)
    expect(REG.EVENTQ_CONS.layout.encode({ OVACKFLG: 1, RD: 3 })[0]).toBe(0x8000_0003n)
  })

  test("GERROR bits: Linux's active-error mask 0x1fd is every declared bit", () => {
    expect(GERROR_BITS).toEqual(['CMDQ_ERR', 'EVENTQ_ABT_ERR', 'PRIQ_ABT_ERR', 'MSI_CMDQ_ABT_ERR', 'MSI_EVENTQ_ABT_ERR', 'MSI_PRIQ_ABT_ERR', 'MSI_GERROR_ABT_ERR', 'SFM_ERR'])
    expect(REG.GERROR.layout.declaredMask(0)).toBe(0x1fdn)
    expect(REG.GERRORN.layout.declaredMask(0)).toBe(0x1fdn)
  })

  test('IRQ_CTRL: GERROR_IRQEN 0, PRIQ_IRQEN 1, EVENTQ_IRQEN 2', () => {
    expect(REG.IRQ_CTRL.layout.encode({ GERROR_IRQEN: 1, EVENTQ_IRQEN: 1 })[0]).toBe(0x5n)
  })

  test('IIDR of an MMU-600 r2p1: ProductID 0x483, Variant 2, Revision 1, Implementer 0x43b', () => {
    const d = REG.IIDR.layout.decode([0x4832_143bn])
    expect(d).toEqual({ Implementer: 0x43b, Revision: 1, Variant: 2, ProductID: 0x483 })
  })

  test('IDR0/IDR1/IDR3/IDR5 decode QEMU defaults (SPEC-FACTS A§1)', () => {
    const idr0 = REG.IDR0.layout.decode([0x0d44_101an])
    expect(idr0).toMatchObject({ S2P: 0, S1P: 1, TTF: 2, COHACC: 1, ASID16: 1, VMID16: 1, TTENDIAN: 2, STALL_MODEL: 1, TERM_MODEL: 1, ST_LEVEL: 1, CD2L: 0 })
    expect(REG.IDR1.layout.decode([0x0273_0010n])).toMatchObject({ SIDSIZE: 16, SSIDSIZE: 0, EVENTQS: 19, CMDQS: 19 })
    expect(REG.IDR3.layout.decode([0x1404n])).toMatchObject({ HAD: 1, RIL: 1, BBML: 2, XNX: 0 })
    expect(REG.IDR5.layout.describe([0x74n]).find((f) => f.name === 'OAS')?.display).toBe('44-bit')
  })

  test('PIDR/CIDR reset values are the MMU-600 bytes QEMU presents', () => {
    const bytes = ['PIDR4', 'PIDR5', 'PIDR6', 'PIDR7', 'PIDR0', 'PIDR1', 'PIDR2', 'PIDR3', 'CIDR0', 'CIDR1', 'CIDR2', 'CIDR3'].map((n) => regByName(n)?.reset)
    expect(bytes).toEqual([0x04n, 0n, 0n, 0n, 0x84n, 0xb4n, 0xf0n, 0x10n, 0x0dn, 0xf0n, 0x05n, 0xb1n])
  })
})
