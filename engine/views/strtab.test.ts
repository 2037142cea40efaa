import { describe, expect, test } from 'vitest'
import { createEngine, defaultScenario } from '../api'
import { STE } from '../arch/ste'
import type { StrtabView } from '../api-types'
import { keepFields, steDiff } from './strtab'

// raw-cmdq.json: STRTAB_BASE = 0x4000_0000, STRTAB_BASE_CFG = 0x8 (FMT=0 linear,
// LOG2SIZE=8: 256 STEs); STE 1 word 0 = 0xd (V=1, Config=0b110 s2), word 2 =
// 0x040c_3559_0000_0001 (S2VMID=1), word 3 = S2TTB 0x4002_0000.
describe('stream table view, linear (the built-in scenario)', () => {
  const e = createEngine()
  e.load(defaultScenario())
  const end = e.view(Number.MAX_SAFE_INTEGER, { smmu: { strtab: { from: 0, to: 4 } } }).smmu!.strtab!

  test('geometry from STRTAB_BASE/STRTAB_BASE_CFG', () => {
    expect(end).toMatchObject({ table: 'host', fmt: 'linear', log2size: 8, sidCount: 256, base: '0x40000000', cfgReg: '0x00000008', l1: [] })
  })

  test('STE 1 is at base + 1 × 64 and decodes as V=1, Config=s2', () => {
    const ste1 = end.rows[1]
    expect(ste1.address).toBe('0x40000040')
    expect(ste1.v).toBe(1)
    expect(ste1.config).toBe('s2')
    expect(ste1.raw).toEqual(['0x000000000000000d', '0x0000000000000000', '0x040c355900000001', '0x0000000040020000', ...Array.from({ length: 4 }, () => '0x0000000000000000')])
    const f = (n: string) => ste1.fields.find((x) => x.name === n)!
    expect(f('S2VMID').display).toBe('1')
    expect(f('S2TTB').display).toBe('0x40020000')
    // S2T0SZ = word 2 bits [37:32] = 0x19 = 25 (the scenario's note says so).
    expect(f('S2T0SZ').value).toBe('0x19')
  })

  test('SID 2 is an all-zero STE: V=0, Config=abort', () => {
    expect(end.rows[2]).toMatchObject({ sid: 2, address: '0x40000080', v: 0, config: 'abort' })
  })

  test('the fields the last step changed are listed', () => {
    // Step 4 writes STE 1 word 0 (0 -> 0xd): V and Config change.
    const op = e.find({ kind: 'op' }, 0, 'forward')!
    let i = op
    for (let k = 0; k < 4; k++) i = e.find({ kind: 'op' }, i + 1, 'forward')!
    const after = e.find({ kind: 'op' }, i + 1, 'forward')!
    const v = e.view(after, { smmu: { strtab: { from: 1, to: 2, since: i } } }).smmu!.strtab!
    expect(v.rows[0].changed).toEqual(['V', 'Config'])
    const before = e.view(i, { smmu: { strtab: { from: 1, to: 2 } } }).smmu!.strtab!
    expect(before.rows[0]).toMatchObject({ v: 0, changed: [] })
  })

  test('the window is clamped to the table and to 512 rows', () => {
    const v = e.view(Number.MAX_SAFE_INTEGER, { smmu: { strtab: { from: 250, to: 9999 } } }).smmu!.strtab!
    expect(v.rows.map((r) => r.sid)).toEqual([250, 251, 252, 253, 254, 255])
  })
})

describe('stream table view, 2-level with 65536 SIDs', () => {
  // STRTAB_BASE_CFG = FMT 1 (bit 16) | SPLIT 8 (bits 10:6) | LOG2SIZE 16 = 0x1_0210.
  // L1STD[0] = L2Ptr 0x4001_0000 | Span 9 (2^(9-1) = 256 STEs) = 0x4001_0009; L1STD[1] is zero.
  // STE 3 is at 0x4001_0000 + 3 × 64 = 0x4001_00c0; its word 0 = 0x9 (V=1, Config=0b100 bypass).
  const e = createEngine()
  const r = e.load({
    smmuscope: 1,
    title: 't',
    platform: { smmu: { stages: 'nested', strtab: '2level' } },
    steps: [
      { op: 'mmio', access: 'write', reg: 'STRTAB_BASE', value: '0x4000_0000' },
      { op: 'mmio', access: 'write', reg: 'STRTAB_BASE_CFG', value: '0x1_0210' },
      { op: 'write', pa: '0x4000_0000', value: '0x4001_0009', size: 8 },
      { op: 'write', pa: '0x4001_00c0', value: '0x9', size: 8 },
    ],
  })

  test('loads', () => {
    expect(r.ok).toBe(true)
  })

  test('the SIDs of a window are found through their L1STD', () => {
    const v = e.view(Number.MAX_SAFE_INTEGER, { smmu: { strtab: { from: 0, to: 8 } } }).smmu!.strtab!
    expect(v).toMatchObject({ fmt: '2level', log2size: 16, split: 8, sidCount: 65536 })
    expect(v.l1).toHaveLength(1)
    expect(v.l1[0]).toMatchObject({ index: 0, address: '0x40000000', span: 9, l2ptr: '0x40010000', valid: true, sidFrom: 0, sidTo: 256 })
    expect(v.rows[3]).toMatchObject({ sid: 3, l1Index: 0, address: '0x400100c0', v: 1, config: 'bypass' })
  })

  test('a SID under an L1STD with Span=0 cannot be located: C_BAD_STREAMID', () => {
    const v = e.view(Number.MAX_SAFE_INTEGER, { smmu: { strtab: { from: 255, to: 257 } } }).smmu!.strtab!
    expect(v.l1.map((x) => [x.index, x.valid])).toEqual([[0, true], [1, false]])
    expect(v.rows[0]).toMatchObject({ sid: 255, address: '0x40013fc0' })
    expect(v.rows[1].address).toBeUndefined()
    expect(v.rows[1].error).toMatch(/^C_BAD_STREAMID: .*Span=0/)
  })

  test('a window deep in the table costs one window, not the table', () => {
    const v = e.view(Number.MAX_SAFE_INTEGER, { smmu: { strtab: { from: 65400, to: 66000 } } }).smmu!.strtab!
    // Clamped at sidCount: SIDs 65400..65535, under L1STD[65400 >> 8 = 255] only.
    expect(v.rows.map((x) => x.sid)).toEqual(Array.from({ length: 136 }, (_, k) => 65400 + k))
    expect(v.l1.map((x) => x.index)).toEqual([255])
  })
})

describe('steDiff', () => {
  test('names exactly the fields whose bits differ', () => {
    const a = STE.encode({ V: 1, Config: 's2', S2VMID: 1 })
    const b = STE.encode({ V: 1, Config: 'nested', S2VMID: 1, S1ContextPtr: 0x4000_3000 })
    expect(steDiff(a, b)).toEqual(['Config', 'S1ContextPtr'])
    expect(steDiff(a, a)).toEqual([])
  })
})

describe('keepFields: a window of rows with only the fields the panel draws', () => {
  const field = (name: string, value: string) => ({ name, hi: 0, lo: 0, word: 0, value, display: value, desc: '', ref: 'IHI 0070 5.2' })
  const view: StrtabView = {
    table: 'host',
    baseReg: '0x0',
    cfgReg: '0x0',
    base: '0x0',
    fmt: 'linear',
    log2size: 1,
    split: 6,
    sidCount: 2,
    l1: [],
    rows: [
      { sid: 0, v: 1, config: 's2', raw: [], fields: [field('V', '0x1'), field('Config', '0x6'), field('S2VMID', '0x5'), field('EATS', '0x0')], changed: [] },
      { sid: 1, v: 1, config: 's2', raw: [], fields: [field('V', '0x1'), field('Config', '0x6'), field('S2VMID', '0x5'), field('EATS', '0x1')], changed: ['EATS'] },
    ],
  }

  test('fields named are kept; so is a field the row lists as changed', () => {
    const v = keepFields(view, ['V', 'Config', 'S2VMID'])
    expect(v.rows[0].fields.map((f) => f.name)).toEqual(['V', 'Config', 'S2VMID'])
    expect(v.rows[1].fields.map((f) => f.name)).toEqual(['V', 'Config', 'S2VMID', 'EATS'])
    expect(v.rows[1].changed).toEqual(['EATS'])
  })

  test('no names: every field; names that are not a list of strings are refused', () => {
    expect(keepFields(view, undefined)).toBe(view)
    expect(() => keepFields(view, 'V' as unknown as string[])).toThrow(/strtab\.fields must be a list of field names/)
  })
})
