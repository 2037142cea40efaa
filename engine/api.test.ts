import { describe, expect, test } from 'vitest'
import { createEngine, defaultScenario } from './api'
import { ReplayState } from './journal/replay'

// The default scenario programs the SMMU by hand (engine/scenario/builtin/raw-cmdq.json):
// CR0 ends as SMMUEN|EVENTQEN|CMDQEN = 0xd, two commands consumed, two events written.
describe('engine API on the default scenario', () => {
  const e = createEngine()
  const r = e.load(defaultScenario())

  test('loads, runs and every expectation holds', () => {
    expect(r.ok).toBe(true)
    if (!r.ok) return
    expect(r.summary.stopped).toBeUndefined()
    expect(r.summary.expectations.map((x) => x.ok)).toEqual([true, true, true])
  })

  test('registers at the end and at the start', () => {
    const end = e.view(Number.MAX_SAFE_INTEGER, { registers: true })
    const reg = (v: typeof end, n: string) => v.registers!.find((x) => x.name === n)!
    expect(reg(end, 'CR0').value).toBe('0x0000000d')
    expect(reg(end, 'CR0ACK').value).toBe('0x0000000d')
    expect(reg(end, 'CMDQ_CONS').value).toBe('0x00000002')
    expect(reg(end, 'EVENTQ_PROD').value).toBe('0x00000002')
    expect(reg(end, 'EVENTQ_PROD').offset).toBe(0x100a8)
    const start = e.view(0, { registers: true })
    expect(reg(start, 'CR0').value).toBe('0x00000000')
    // Before the first record nothing exists: the reset record sets the ID registers.
    expect(reg(e.view(1, { registers: true }), 'IDR0').value).toBe('0x0d44101b')
  })

  test('the CMDQ view shows the two commands with CONS caught up with PROD', () => {
    const v = e.view(Number.MAX_SAFE_INTEGER, { cmdq: {} })
    expect(v.cmdq!.log2size).toBe(8)
    expect(v.cmdq!.prodIndex).toBe(2)
    expect(v.cmdq!.consIndex).toBe(2)
    expect(v.cmdq!.entries.slice(0, 2).map((x) => x.opcode)).toEqual(['CFGI_STE', 'SYNC'])
    expect(v.cmdq!.entries.every((x) => !x.pending)).toBe(true)
  })

  test('just before PROD is written, the issued commands are pending', () => {
    const prodWrite = e.find({ kind: 'mmio', reg: 'CMDQ_PROD' }, 0, 'forward')!
    // The PROD write is the first mmio of CMDQ_PROD that writes (reads come first).
    let i = prodWrite
    for (;;) {
      const row = e.view(0, { journal: { from: i, to: i + 1 } }).journal![0]
      if (row.fields.write === true) break
      i = e.find({ kind: 'mmio', reg: 'CMDQ_PROD' }, i + 1, 'forward')!
    }
    const v = e.view(i, { cmdq: {} })
    expect(v.cmdq!.prodIndex).toBe(0)
    expect(v.cmdq!.entries.slice(0, 2).map((x) => [x.opcode, x.pending])).toEqual([['CFGI_STE', false], ['SYNC', false]])
    const after = e.view(i + 2, { cmdq: {} })
    expect(after.cmdq!.prodIndex).toBe(2)
    expect(after.cmdq!.entries.slice(0, 2).map((x) => x.pending)).toEqual([true, true])
  })

  test('the EVTQ view decodes both events', () => {
    const v = e.view(Number.MAX_SAFE_INTEGER, { evtq: {} })
    expect(v.evtq!.entries.slice(0, 2).map((x) => x.opcode)).toEqual(['F_TRANSLATION', 'C_BAD_STE'])
  })

  test('find searches forwards and backwards', () => {
    const first = e.find({ event: 'C_BAD_STE' }, 0, 'forward')
    expect(first).not.toBeNull()
    expect(e.find({ event: 'C_BAD_STE' }, first! + 1, 'forward')).toBeNull()
    expect(e.find({ kind: 'op' }, first!, 'backward')).toBeLessThan(first!)
    expect(e.find({ failedExpect: true }, 0, 'forward')).toBeNull()
  })

  test('meta lists the scenario steps as top-level spans', () => {
    const m = e.meta()
    expect(m.spans.filter((s) => s.kind === 'op' && s.depth === 0)).toHaveLength(19)
  })

  test('invalid scenarios are refused with paths, and the loaded run stays', () => {
    const before = e.meta().records
    const bad = e.load({ smmuscope: 1, platform: { smmu: { oas: 45 } }, steps: [] })
    expect(bad.ok).toBe(false)
    if (!bad.ok) expect(bad.errors[0].path).toBe('platform.smmu.oas')
    expect(e.meta().records).toBe(before)
  })
})

describe('time travel', () => {
  test('replaying the journal to the end gives the live state: memory and every journaled map', () => {
    const e = createEngine()
    e.load(defaultScenario())
    const m = e.current!
    const r = new ReplayState(m.j.records, m.j.maps.length, m.scenario.platform.ram)
    r.seek(m.j.length)
    for (const jm of m.j.maps) expect(r.maps[jm.id]).toEqual(jm.snapshot())
    expect([...r.mem.dump()]).toEqual([...m.mem.dump()])
    r.seek(0)
    expect(r.maps.every((x) => x.size === 0)).toBe(true)
    expect([...r.mem.dump()]).toEqual([])
  })

  test('the same scenario gives the same journal, byte for byte', () => {
    const run = () => {
      const e = createEngine()
      e.load(defaultScenario())
      return JSON.stringify(e.view(0, { journal: { from: 0, to: 100000 } }).journal)
    }
    expect(run()).toBe(run())
  })
})
