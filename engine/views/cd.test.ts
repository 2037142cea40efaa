import { describe, expect, test } from 'vitest'
import { createEngine } from '../api'

// STE 1 (at 0x4000_0040, linear table of 256) with Config=s1 (0b101), S1Fmt=1 (2-level,
// 4K leaves of 64 CDs), S1CDMax=8 (256 CDs), S1ContextPtr 0x4000_4000:
//   word 0 = 8 << 59 | 0x4000_4000 | 1 << 4 | 0b101 << 1 | V = 0x4000_0000_4000_401b.
// L1CD[1] (SSIDs 64..127) at 0x4000_4008 = L2Ptr 0x4000_5000 | V = 0x4000_5001; L1CD[0] is 0.
// CD 65 is at 0x4000_5000 + (65 % 64) × 64 = 0x4000_5040; its word 0 = ASID 7 << 48 |
// AA64 (bit 41) | V (bit 31) | T0SZ 25 = 0x0007_0200_8000_0019.
const scenario = {
  smmuscope: 1,
  title: 't',
  platform: { smmu: { stages: 'nested', ssidBits: 8 } },
  steps: [
    { op: 'mmio', access: 'write', reg: 'STRTAB_BASE', value: '0x4000_0000' },
    { op: 'mmio', access: 'write', reg: 'STRTAB_BASE_CFG', value: '0x8' },
    { op: 'write', pa: '0x4000_0040', value: '0x4000_0000_4000_401b', size: 8 },
    { op: 'write', pa: '0x4000_4008', value: '0x4000_5001', size: 8 },
    { op: 'write', pa: '0x4000_5040', value: '0x0007_0200_8000_0019', size: 8 },
  ],
}

describe('CD view', () => {
  const e = createEngine()
  const r = e.load(scenario)

  test('loads', () => {
    expect(r.ok ? 'ok' : r.errors).toBe('ok')
  })

  test('the table of STE 1: 2-level, 256 CDs, found through its L1CD', () => {
    const v = e.view(Number.MAX_SAFE_INTEGER, { smmu: { cd: { sid: 1, from: 64, to: 66 } } }).smmu!.cd!
    expect(v).toMatchObject({ sid: 1, ptr: '0x40004000', fmt: '2lvl-4K', cdMax: 8, count: 256, ipa: false })
    expect(v.none).toBeUndefined()
    expect(v.rows[1]).toMatchObject({ ssid: 65, l1Index: 1, address: '0x40005040', pa: '0x40005040', v: 1, asid: 7 })
    expect(v.rows[1].fields.find((f) => f.name === 'T0SZ')?.display).toBe('25 (0x19)')
  })

  test('a SubstreamID under an invalid L1CD: C_BAD_SUBSTREAMID', () => {
    const v = e.view(Number.MAX_SAFE_INTEGER, { smmu: { cd: { sid: 1, from: 0, to: 1 } } }).smmu!.cd!
    expect(v.rows[0].error).toMatch(/^C_BAD_SUBSTREAMID: L1CD at 0x40004000 has V=0/)
  })

  test('an STE without stage 1 has no CD table', () => {
    const v = e.view(Number.MAX_SAFE_INTEGER, { smmu: { cd: { sid: 2 } } }).smmu!.cd!
    expect(v.none).toBe('STE.V=0')
    expect(v.rows).toEqual([])
  })
})
