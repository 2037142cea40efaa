import { describe, expect, test } from 'vitest'
import { createEngine } from '../api'
import { SmmuKit } from '../smmu/testkit'
import { cdView } from './cd'

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

describe('CD view of a nested STE: the CD address through stage 2, as the SMMU walks it', () => {
  // Stage 2: 4K, S2T0SZ 24 (40-bit IPA), SL0 1: start at level 1 with two
  // concatenated tables at S2TTB 0x4010_0000. S1ContextPtr is IPA
  // 0x80_0800_0040: bit 39 picks the second table, entry 0, at 0x4010_1000,
  // a 1 GiB block at PA 0x4000_0000 (S2AP RW, AF: 0x4000_04c1). The CD is
  // then read at PA 0x4800_0040. QEMU's walk masks the table offset away
  // and reads entry 0 of the first table (0x4010_0000), which is empty.
  function kit(): { k: SmmuKit; ste: bigint[] } {
    const k = new SmmuKit()
    k.putWords(0x4010_1000, [0x4000_04c1n])
    k.putCd({ ASID: 5, T0SZ: 25, AA64: 1 }, 0x4800_0040)
    const ste = k.putSte(1, { Config: 'nested', S1ContextPtr: 0x80_0800_0040n, S2VMID: 1, S2T0SZ: 24, S2SL0: 1, S2TG: '4K', S2PS: '48-bit', S2AA64: 1, S2TTB: 0x4010_0000n })
    return { k, ste }
  }

  test('architectural: the second concatenated table; the CD at PA 0x4800_0040', () => {
    const { k, ste } = kit()
    const v = cdView(k.mem, k.smmu.feat, 1, ste, 0, 1)
    expect(v.ipa).toBe(true)
    expect(v.rows[0]).toMatchObject({ ssid: 0, address: '0x8008000040', pa: '0x48000040', asid: 5 })
  })

  test('qemuCompat: the view walks as the SMMU then does, and finds no translation', () => {
    const { k, ste } = kit()
    const v = cdView(k.mem, k.smmu.feat, 1, ste, 0, 1, true)
    expect(v.rows[0].pa).toBeUndefined()
    expect(v.rows[0].error).toMatch(/F_TRANSLATION at level 1/)
  })
})
