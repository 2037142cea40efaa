import { describe, expect, test } from 'vitest'
import { encodeSte, STE } from './ste'

describe('STE (IHI 0070 5.2; Linux STRTAB_STE_*)', () => {
  test('bypass STE word 0 is V | Config=0b100 = 0x9', () => {
    expect(encodeSte({ Config: 'bypass' })[0]).toBe(0x9n)
  })

  test('abort STE (every STE Linux creates) is V | Config 0 = 0x1', () => {
    expect(encodeSte({ Config: 'abort' })).toEqual([1n, 0n, 0n, 0n, 0n, 0n, 0n, 0n])
  })

  test("Linux's make_s2_domain_ste: 4K, ias = oas = 44, VMID 1", () => {
    // io-pgtable: T0SZ = 64 - 44 = 20, 4 levels from L0, SL0 = ~(0 + 1) & 3 = 2; IR/OR WBWA, SH ISH, PS 44-bit (4).
    const w = encodeSte({
      Config: 's2',
      S2VMID: 1,
      S2T0SZ: 20, S2SL0: 2, S2IR0: 'WBWA', S2OR0: 'WBWA', S2SH0: 'ISH', S2TG: '4K', S2PS: '44-bit',
      S2AA64: 1, S2PTW: 1, S2R: 1,
      S2TTB: 0x8004_0000,
    })
    // q0 = V | 6 << 1 = 0xd
    expect(w[0]).toBe(0xdn)
    expect(w[1]).toBe(0n)
    // q2[50:32] = 0x14 | 2 << 6 | 1 << 8 | 1 << 10 | 3 << 12 | 4 << 16 = 0x43594;
    // + S2AA64 (bit 51) + S2PTW (bit 54) + S2R (bit 58) = 0x44c3594 in the high half.
    expect(w[2]).toBe(0x044c_3594_0000_0001n)
    expect(w[3]).toBe(0x8004_0000n)
  })

  test("Linux's make_cdtable_ste: 64K-leaf CD table with 2^20 CDs, S1DSS=SSID0", () => {
    const w = encodeSte({ Config: 's1', S1Fmt: '2lvl-64K', S1ContextPtr: 0x8010_0000, S1CDMax: 20, S1DSS: 'ssid0', S1CIR: 'WBRA', S1COR: 'WBRA', S1CSH: 'ISH', STRW: 'NSEL1' })
    // q0 = V | 5 << 1 | 2 << 4 | ptr | 20 << 59 (= 0xa000_0000_0000_0000)
    expect(w[0]).toBe(0xa000_0000_8010_002bn)
    // q1 = S1DSS 2 | S1CIR 1 << 2 | S1COR 1 << 4 | S1CSH 3 << 6
    expect(w[1]).toBe(0xd6n)
  })

  test('word-1 attribute overrides: SHCFG=incoming is bit 44 (STRTAB_STE_1_SHCFG_INCOMING)', () => {
    expect(encodeSte({ SHCFG: 'incoming' })[1]).toBe(1n << 44n)
    expect(encodeSte({ EATS: 'full', S1STALLD: 1, S2FWB: 1, MEV: 1 })[1]).toBe((1n << 28n) | (1n << 27n) | (1n << 25n) | (1n << 19n))
    expect(encodeSte({ MemAttr: 0xf, MTCFG: 1, ALLOCCFG: 0xf, NSCFG: 'nonsecure', PRIVCFG: 'privileged', INSTCFG: 'data' })[1]).toBe(
      (0xfn << 32n) | (1n << 36n) | (0xfn << 37n) | (3n << 46n) | (3n << 48n) | (2n << 50n),
    )
    expect(encodeSte({ STRW: 'EL2' })[1]).toBe(2n << 30n)
  })

  test('S2TTB is [51:4] and S1ContextPtr [51:6]: lower bits are refused', () => {
    expect(() => encodeSte({ S2TTB: 0x8000_0008 })).toThrow(/bits outside \[51:4\]/)
    expect(() => encodeSte({ S1ContextPtr: 0x8000_0020 })).toThrow(/bits outside \[51:6\]/)
    expect(() => encodeSte({ S1ContextPtr: 2 ** 52 })).toThrow(/bits outside/)
  })

  test('decode and describe: Config names, reserved encodings flagged', () => {
    expect(STE.decode([0xdn, 0n, 0n, 0n, 0n, 0n, 0n, 0n]).Config).toBe(6)
    const d = STE.describe([0x7n, 0n, 0n, 0n, 0n, 0n, 0n, 0n])
    expect(d.find((f) => f.name === 'Config')?.display).toBe('0x3 (reserved)')
    expect(STE.describe([0xfn]).find((f) => f.name === 'Config')?.display).toBe('nested')
  })

  test('words 4-7 hold no modelled fields', () => {
    for (let i = 4; i < 8; i++) expect(STE.declaredMask(i)).toBe(0n)
  })
})
