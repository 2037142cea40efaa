import { describe, expect, test } from 'vitest'
import { CD, cdGranule, encodeCd } from './cd'

describe('CD (IHI 0070 5.4; Linux CTXDESC_CD_*)', () => {
  test("Linux's arm_smmu_make_s1_cd: 48-bit VA, 4K, ASID 1, coherent, output size 44 bits", () => {
    const w = encodeCd({
      T0SZ: 16, TG0: '4K', IR0: 'WBWA', OR0: 'WBWA', SH0: 'ISH', EPD1: 1,
      IPS: '44-bit', AA64: 1, R: 1, A: 1, ASET: 1, ASID: 1,
      TTB0: 0x4010_0000,
      MAIR0: 0xf404_ff44,
    })
    // q0 low: T0SZ 0x10 | IR0 1 << 8 | OR0 1 << 10 | SH0 3 << 12 | EPD1 1 << 30 | V 1 << 31 = 0xc000_3510
    // q0 high: IPS 4 | AA64 1 << 9 | R 1 << 13 | A 1 << 14 | ASET 1 << 15 | ASID 1 << 16 = 0x1e204
    expect(w[0]).toBe(0x0001_e204_c000_3510n)
    expect(w[1]).toBe(0x4010_0000n)
    expect(w[2]).toBe(0n)
    // Linux writes MAIR as the whole q3: attribute 0 NC (0x44), 1 WBRWA (0xff), 2 device (0x04), 3 (0xf4).
    expect(w[3]).toBe(0xf404_ff44n)
  })

  test('TTB1, HAD, NSCFG sit in word 2 like TTB0 in word 1', () => {
    const w = encodeCd({ TTB1: 0x1234_5670, HAD1: 1, NSCFG1: 1, HAD0: 1 })
    expect(w[2]).toBe(0x1234_5673n)
    expect(w[1]).toBe(0x2n)
    expect(() => encodeCd({ TTB0: 0x1238 })).toThrow(/bits outside \[51:4\]/)
  })

  test('TG0 and TG1 encode granules differently (IHI 0070 5.4)', () => {
    expect([0, 1, 2, 3].map((v) => cdGranule('TG0', v))).toEqual([12, 16, 14, undefined])
    expect([0, 1, 2, 3].map((v) => cdGranule('TG1', v))).toEqual([undefined, 14, 12, 16])
    expect(CD.encode({ TG1: '4K' })[0]).toBe(2n << 22n)
    expect(CD.describe([3n << 6n]).find((f) => f.name === 'TG0')?.display).toBe('0x3 (reserved)')
  })

  test('word 0 upper flags: AFFD 35, WXN 36, UWXN 37, TBI 39:38, PAN 40, HD 42, HA 43, S 44', () => {
    const w = CD.encode({ AFFD: 1, WXN: 1, UWXN: 1, TBI: 3, PAN: 1, HD: 1, HA: 1, S: 1 })
    expect(w[0]).toBe((1n << 35n) | (1n << 36n) | (1n << 37n) | (3n << 38n) | (1n << 40n) | (1n << 42n) | (1n << 43n) | (1n << 44n))
  })

  test('AMAIR in word 4; words 5-7 hold no modelled fields', () => {
    expect(CD.encode({ AMAIR0: 1, AMAIR1: 2 })[4]).toBe(0x2_0000_0001n)
    for (let i = 5; i < 8; i++) expect(CD.declaredMask(i)).toBe(0n)
  })
})
