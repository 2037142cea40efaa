import { describe, expect, test } from 'vitest'
import { createEngine, defaultScenario } from '../api'

// Values from raw-cmdq.json's bytes (see the notes in the scenario).
describe('inspector and linked selection (built-in scenario)', () => {
  const e = createEngine()
  e.load(defaultScenario())
  const END = Number.MAX_SAFE_INTEGER
  const inspect = (t: Parameters<typeof e.view>[1]['smmu'] extends infer R ? R extends { inspect?: infer I } ? I : never : never, at = END) =>
    e.view(at, { smmu: { inspect: t } }).smmu!.inspect!
  const field = (v: ReturnType<typeof inspect>, n: string) => v.fields.find((f) => f.name === n)!

  test('a register: CR0 = 0xd is SMMUEN, EVENTQEN, CMDQEN (IHI 0070 6.3.9)', () => {
    const v = inspect({ kind: 'register', name: 'CR0' })
    expect(v.title).toBe('SMMU_CR0')
    expect(v.wordBits).toBe(32)
    expect(v.raw).toEqual(['0x0000000d'])
    expect([field(v, 'SMMUEN').display, field(v, 'EVENTQEN').display, field(v, 'CMDQEN').display]).toEqual(['1', '1', '1'])
    expect(field(v, 'SMMUEN')).toMatchObject({ hi: 0, lo: 0, word: 0 })
    expect(field(v, 'SMMUEN').desc).not.toBe('')
  })

  test('an STE, with meaning and section per field', () => {
    const v = inspect({ kind: 'ste', sid: 1 })
    expect(v).toMatchObject({ title: 'STE 1', ref: 'IHI 0070 5.2', address: '0x40000040' })
    expect(field(v, 'Config')).toMatchObject({ display: 's2', hi: 3, lo: 1, word: 0, ref: 'IHI 0070 5.2' })
  })

  test('a descriptor read: the L3 page 0x4100_07ff (Arm ARM D8.3 stage-2 page)', () => {
    const read = e.find({ kind: 'ptw.read' }, 0, 'forward')! + 2
    const v = inspect({ kind: 'descriptor', record: read })
    expect(v.title).toBe('Stage 2 level 3 descriptor')
    expect(v.raw).toEqual(['0x00000000410007ff'])
    // 0x7ff: Valid bit 0, Type bit 1 (page), MemAttr bits 5:2 = 0xf, S2AP bits 7:6 = 0b11,
    // SH bits 9:8 = 0b11 (inner), AF bit 10; OA bits 47:12 = 0x4100_0000.
    expect(['Type', 'MemAttr', 'S2AP', 'SH', 'AF', 'OA'].map((n) => field(v, n).display)).toEqual(['page', '15 (0xf)', 'readWrite', 'inner', '1', '0x41000000'])
  })

  test('a command and an event, from their queues', () => {
    const c = inspect({ kind: 'command', index: 0 })
    expect(c.address).toBe('0x40010000')
    // CMD_CFGI_STE is opcode 0x03 (IHI 0070 4.3.1).
    expect([field(c, 'Opcode').display, field(c, 'SID').display, field(c, 'Leaf').display]).toEqual(['3', '1', '1'])
    const ev = inspect({ kind: 'event', index: 0 })
    expect(ev.title).toBe('EVTQ[0]: F_TRANSLATION')
    expect(ev.address).toBe('0x40011000')
  })

  test('an IOTLB entry', () => {
    const v = inspect({ kind: 'tlb', seq: 0 })
    expect(['VMID', 'input', 'PA', 'perm'].map((n) => field(v, n).display)).toEqual(['1', '0x10000000', '0x41000000', 'RW'])
  })

  test('selecting the first DMA\'s IOVA lights its STE, its three descriptors and its TLB entry', () => {
    const r = e.view(END, { smmu: { related: { kind: 'iova', iova: '0x10000000', sid: 1 } } }).smmu!.related!
    expect(r.sids).toEqual([1])
    expect(r.addresses).toEqual(expect.arrayContaining(['0x40000040', '0x40020000', '0x40021400', '0x40022000']))
    expect(r.tlb).toEqual([0])
    expect(r.cfg).toEqual(['1:-1'])
    expect(r.pages).toEqual(['0x41000000'])
  })

  test('selecting SID 1 lights the CFGI_STE that names it (CMDQ slot 0), not the SYNC', () => {
    const r = e.view(END, { smmu: { related: { kind: 'sid', sid: 1 } } }).smmu!.related!
    expect(r.commands).toEqual([0])
    expect(r.tlb).toEqual([0])
  })

  test('selecting the output page lights the TLB entry and the IOVA mapped to it', () => {
    const r = e.view(END, { smmu: { related: { kind: 'page', pa: '0x41000000' } } }).smmu!.related!
    expect(r.tlb).toEqual([0])
    expect(r.iovas).toEqual(['0x10000000'])
  })
})
