import { describe, expect, test } from 'vitest'
import { PhysMem } from '../mem/physmem'
import { Journal } from './journal'
import { rewind } from './rewind'

const RAM = { base: 0x8000_0000, size: 0x4000 }

/** A small run: one span per step, the way Machine.run records operations. */
function setup() {
  const j = new Journal()
  const mem = new PhysMem(RAM.base, RAM.size, j)
  const m = j.map<string, number>('m', 'host')
  const step = (fn: () => void) => j.span('op', 'scenario', {}, fn)
  return { j, mem, m, step }
}

describe('rewind', () => {
  test('undoes memory and map changes after the cut and keeps the records before it', () => {
    const { j, mem, m, step } = setup()
    step(() => {
      m.set('a', 1)
      m.set('b', 2)
      mem.write64(RAM.base, 0x11n, 'host')
    })
    const cut = j.length
    step(() => {
      m.set('a', 5)
      m.delete('b')
      m.set('c', 3)
      mem.write64(RAM.base, 0x22n, 'host')
      mem.write64(RAM.base + 0x1000, 0x33n, 'host')
    })
    const before = j.records.slice(0, cut)
    rewind(j, mem, cut)
    expect(j.records).toEqual(before)
    expect([...m.entries()]).toEqual([['a', 1], ['b', 2]])
    expect(mem.read64(RAM.base)).toBe(0x11n)
    expect(mem.read64(RAM.base + 0x1000)).toBe(0n)
  })

  test('a key deleted after the cut comes back in its place in the Map order, not at the end', () => {
    const { j, mem, m, step } = setup()
    step(() => {
      m.set('x', 1)
      m.set('y', 2)
      m.set('z', 3)
    })
    const cut = j.length
    step(() => {
      m.delete('x')
      m.set('x', 9)
      m.delete('y')
    })
    rewind(j, mem, cut)
    // Insertion order at the cut was x, y, z (a Map iterates in that order).
    expect([...m.keys()]).toEqual(['x', 'y', 'z'])
    expect(m.get('x')).toBe(1)
  })

  test('the journal cannot be cut inside a span, nor where a later change went to an earlier record', () => {
    const { j, m, step } = setup()
    let first: ReturnType<Journal['entry']>
    step(() => {
      first = j.entry('note', 'host')
    })
    step(() => m.set('a', 1))
    expect(j.resumableAt(1)).toBe(false) // record 1 is inside op 0 (depth 1)
    expect(j.resumableAt(2)).toBe(true)
    const third = j.length
    step(() => m.set('b', 1, first))
    // The change of op 2 sits on record 1: cutting at op 1 or op 2 would keep it.
    expect(j.resumableAt(2)).toBe(false)
    expect(j.resumableAt(third)).toBe(false)
    expect(j.resumableAt(j.length)).toBe(true)
    expect(j.resumableAt(0)).toBe(true)
    expect(() => j.truncate(2)).toThrow(RangeError)
  })
})
