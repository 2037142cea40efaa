import { fc, test as prop } from '@fast-check/vitest'
import { describe, expect, test } from 'vitest'
import { applyDelta, encodeDelta } from '../../engine/views/delta'
import { reuse } from './reuse'

describe('reuse: unchanged parts of a view keep their identity', () => {
  test('an equal view is the previous object itself', () => {
    const prev = { cursor: 3, registers: [{ name: 'CR0', value: '0x1', fields: [{ name: 'SMMUEN', value: '0x1' }] }] }
    const next = structuredClone(prev)
    expect(reuse(prev, next)).toBe(prev)
  })

  test('one changed register: a new list and row, the other rows and the untouched parts are the old objects', () => {
    const cr0 = { name: 'CR0', value: '0x1', changed: false }
    const prod = { name: 'CMDQ_PROD', value: '0x2', changed: false }
    const evtq = { name: 'EVENTQ', prod: 0, entries: [] }
    const prev = { cursor: 4, registers: [cr0, prod], evtq }
    const next = { cursor: 5, registers: [{ ...cr0 }, { name: 'CMDQ_PROD', value: '0x3', changed: true }], evtq: structuredClone(evtq) }
    const r = reuse(prev, next)
    expect(r).not.toBe(prev)
    expect(r).toEqual(next)
    expect(r.registers).not.toBe(prev.registers)
    expect(r.registers[0]).toBe(cr0)
    expect(r.registers[1]).not.toBe(prod)
    expect(r.evtq).toBe(evtq)
  })

  test('a scrolled window: rows are matched by their record index, not their position', () => {
    const row = (i: number) => ({ i, depth: 1, kind: 'mmio', text: `r${i}`, fields: { reg: 'CR0' } })
    const prev = [row(10), row(11), row(12)]
    const next = [row(11), row(12), row(13)]
    const r = reuse(prev, next)
    expect(r[0]).toBe(prev[1])
    expect(r[1]).toBe(prev[2])
    expect(r[2]).toBe(next[2])
  })

  test('a key that repeats in the old rows falls back to positions', () => {
    const prev = [{ name: 'a', v: 1 }, { name: 'a', v: 2 }]
    const next = [{ name: 'a', v: 2 }, { name: 'a', v: 1 }]
    const r = reuse(prev, next)
    expect(r).toEqual(next)
    expect(r[0]).not.toBe(prev[1])
  })

  test('a field that disappears or appears changes the object', () => {
    const prev = { a: 1, b: 2 }
    expect(reuse(prev, { a: 1 })).toEqual({ a: 1 })
    expect(reuse(prev, { a: 1 })).not.toBe(prev)
    const one = { a: 1 }
    expect(reuse(one, { a: 1, b: 2 })).not.toBe(one)
    expect(reuse(one, { a: 1, b: 2 })).toEqual({ a: 1, b: 2 })
  })

  test('a key named __proto__ is kept as a key, and its unchanged value shared', () => {
    const prev = JSON.parse('{"__proto__": {"v": 1}, "n": 1}') as Record<string, unknown>
    const r = reuse(prev, JSON.parse('{"__proto__": {"v": 1}, "n": 2}') as Record<string, unknown>)
    expect(Object.keys(r)).toEqual(['__proto__', 'n'])
    expect(Object.getPrototypeOf(r)).toBe(Object.prototype)
    expect(r['__proto__']).toBe(prev['__proto__'])
  })

  test('a window that lost its last rows keeps the others; one that gained rows keeps the old ones', () => {
    const row = (i: number) => ({ i, text: `r${i}` })
    const prev = [row(1), row(2), row(3)]
    const shorter = reuse(prev, [row(1), row(2)])
    expect(shorter).toEqual([row(1), row(2)])
    expect(shorter[0]).toBe(prev[0])
    expect(shorter[1]).toBe(prev[1])
    const longer = reuse(prev, [row(1), row(2), row(3), row(4)])
    expect(longer.slice(0, 3).every((r, k) => r === prev[k])).toBe(true)
    expect(longer[3]).toEqual(row(4))
  })

  test('a change deep inside keeps every untouched sibling on the way down', () => {
    const leaf = { name: 'SMMUEN', value: '0x1' }
    const other = { name: 'PRIQEN', value: '0x0' }
    const prev = { regs: [{ name: 'CR0', fields: [leaf, other] }], cursor: 1 }
    const next = { regs: [{ name: 'CR0', fields: [{ ...leaf }, { name: 'PRIQEN', value: '0x1' }] }], cursor: 1 }
    const r = reuse(prev, next)
    expect(r).toEqual(next)
    expect(r.regs[0].fields[0]).toBe(leaf)
    expect(r.regs[0].fields[1]).not.toBe(other)
    expect(r.regs).not.toBe(prev.regs)
    expect(Object.keys(r)).toEqual(['regs', 'cursor'])
  })

  test('values of other kinds are taken from the new view', () => {
    expect(reuse(null, { a: 1 })).toEqual({ a: 1 })
    expect(reuse([1, 2], { 0: 1, 1: 2 })).toEqual({ 0: 1, 1: 2 })
    expect(reuse(Number.NaN, Number.NaN)).toBeNaN()
    expect(reuse('0x1', '0x2')).toBe('0x2')
  })

  // Any two views (JSON values, as the structured clone carries them): the result equals the new one, and a copy of a
  // view gives back the view itself; every part of the result that equals the old part at the same path is that part.
  prop.prop([fc.jsonValue(), fc.jsonValue()])('equal to the new view, built from the old one where they agree', (a, b) => {
    expect(reuse(a, b)).toEqual(b)
    expect(reuse(a, structuredClone(a))).toBe(a)
    const r = reuse(a, b) as unknown
    if (JSON.stringify(a) === JSON.stringify(b) && typeof a === 'object' && a !== null) expect(r).toBe(a)
  })

  // The worker sends a changed part as its changes (engine/views/delta.ts); the part they rebuild must keep exactly the
  // objects reuse would keep, or a panel is drawn again for nothing (or, worse, not drawn when it changed).
  const small = fc.oneof(fc.constantFrom(0, 1), fc.constantFrom('0x0', '0x1'), fc.boolean())
  const rows = (key: 'i' | 'name') => fc.uniqueArray(fc.record({ [key]: key === 'i' ? fc.integer({ min: 0, max: 5 }) : fc.constantFrom('CR0', 'CR1', 'IDR0', 'GBPA'), v: small, fields: fc.array(small, { maxLength: 2 }) }), { selector: (r) => r[key], maxLength: 4 })
  const view = fc.record({ cursor: fc.constantFrom(3, 4), journal: rows('i'), registers: rows('name'), list: fc.array(small, { maxLength: 2 }), pairs: fc.array(fc.record({ v: small, w: fc.array(small, { maxLength: 1 }) }), { maxLength: 3 }), q: fc.option(fc.record({ entries: rows('i') }), { nil: null }) })
  prop.prop([view, view])('a part rebuilt from a delta keeps the same objects of the held part as reuse', (held, next) => {
    const mine = structuredClone(held)
    const patched = applyDelta(mine, structuredClone(encodeDelta(held, next)))
    const reused = reuse(mine, structuredClone(next))
    const own = new Set<unknown>()
    const collect = (v: unknown) => {
      if (typeof v !== 'object' || v === null) return
      own.add(v)
      Object.values(v).forEach(collect)
    }
    collect(mine)
    const walk = (a: unknown, b: unknown, path: string) => {
      if (typeof a !== 'object' || a === null) return
      expect(own.has(a), path).toBe(own.has(b))
      if (own.has(a)) expect(a, path).toBe(b)
      for (const k of Object.keys(a)) walk((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k], `${path}.${k}`)
    }
    expect(patched).toEqual(next)
    walk(patched, reused, 'view')
  })
})
