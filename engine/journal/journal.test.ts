import { describe, expect, test } from 'vitest'
import { PhysMem } from '../mem/physmem'
import { Journal } from './journal'
import { ReplayState } from './replay'

describe('journal and replay', () => {
  test('spans nest and record their extent; entries carry depth', () => {
    const j = new Journal()
    j.span('op', 'scenario', { op: 'mmio' }, () => {
      j.entry('mmio', 'host', { reg: 'CR0' })
      j.span('cmd.consume', 'smmu', {}, () => j.entry('tlb.invalidate', 'smmu', { count: 0 }))
    })
    expect(j.records.map((r) => [r.kind, r.depth, r.end])).toEqual([
      ['op', 0, 4], ['mmio', 1, undefined], ['cmd.consume', 1, 4], ['tlb.invalidate', 2, undefined],
    ])
  })

  test('a no-op memory write records nothing; a real one keeps old and new bytes', () => {
    const j = new Journal()
    const mem = new PhysMem(0x8000_0000, 0x10_0000, j)
    expect(mem.write64(0x8000_0000, 0n, 'host')).toBe(false)
    expect(j.length).toBe(0)
    mem.write64(0x8000_0008, 0x1122334455667788n, 'host')
    expect(j.records[0].kind).toBe('mem.write')
    expect([...j.records[0].mem![0].value]).toEqual([0x88, 0x77, 0x66, 0x55, 0x44, 0x33, 0x22, 0x11])
  })

  test('writes outside RAM fail without changing anything', () => {
    const j = new Journal()
    const mem = new PhysMem(0x8000_0000, 0x1000, j)
    expect(() => mem.write64(0x8000_0ffc, 1n, 'host')).toThrow(/no memory at 0x80000ffc/)
    expect(j.length).toBe(0)
    expect(() => mem.read64(0x7fff_fff8)).toThrow()
  })

  test('replay forwards then backwards reproduces every intermediate state', () => {
    const j = new Journal()
    const mem = new PhysMem(0, 0x4000, j)
    const regs = j.map<string, number>('regs', 'smmu')
    const states: string[] = []
    const snap = (m: PhysMem, r: Map<unknown, unknown>) => `${m.read64(0x10).toString(16)}|${m.read64(0x1ff8).toString(16)}|${JSON.stringify([...r])}`
    states.push(snap(mem, regs.snapshot()))
    for (let k = 1; k <= 5; k++) {
      mem.write64(0x10, BigInt(k * 3), 'host')
      regs.set('CR0', k)
      if (k % 2) mem.writeBytes(0x1ffc, new Uint8Array([k, k, k, k, k, k, k, k]), 'hyp')
      if (k === 4) regs.delete('CR0')
      states.push(snap(mem, regs.snapshot()))
    }
    const r = new ReplayState(j.records, j.maps.length, { base: 0, size: 0x4000 })
    r.seek(j.length)
    expect(snap(r.mem, r.maps[0])).toBe(states[5])
    r.seek(0)
    expect(snap(r.mem, r.maps[0])).toBe(states[0])
  })
})
