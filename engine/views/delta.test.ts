import { fc, test as prop } from '@fast-check/vitest'
import { describe, expect, test } from 'vitest'
import { applyDelta, encodeDelta } from './delta'

/** A queue window as the views build it: entries named by their slot index. */
const entry = (index: number, opcode = 'CMD_SYNC', pending = false) => ({ index, opcode, pending, fields: [{ name: 'CS', value: '0x1' }], raw: ['0x0000000000000046', '0x0000000000000000'] })
const window = (from: number, n: number) => Array.from({ length: n }, (_, k) => entry(from + k))

/** JSON values without keys that look like the markers (views never have them). */
const json = fc.jsonValue().filter((v) => !JSON.stringify(v).includes('"@'))

/** View-like values that often share parts: rows named by `i` or `name`, nested objects, positional arrays. */
const small = fc.oneof(fc.constantFrom(0, 1, 2), fc.constantFrom('0x0', '0x1'), fc.boolean(), fc.constant(null))
const rowsBy = (key: 'i' | 'name') =>
  fc.uniqueArray(fc.record({ [key]: key === 'i' ? fc.integer({ min: 0, max: 6 }) : fc.constantFrom('CR0', 'CR1', 'IDR0', 'GBPA', 'STRTAB_BASE'), v: small, fields: fc.array(small, { maxLength: 2 }) }), { selector: (r) => r[key], maxLength: 5 })
const viewLike = fc.record({ cursor: fc.constantFrom(3, 4), rows: rowsBy('i'), regs: rowsBy('name'), q: fc.option(fc.record({ prod: small, entries: rowsBy('i') }), { nil: undefined }), list: fc.array(small, { maxLength: 3 }) })

describe('view deltas', () => {
  test('a window with one entry changed sends that entry; the others are markers', () => {
    const held = window(100, 70)
    const next = structuredClone(held)
    next[5] = entry(105, 'CFGI_STE', true)
    const d = encodeDelta(held, next)
    expect(JSON.stringify(d).length).toBeLessThan(JSON.stringify(next).length / 10)
    const got = applyDelta(structuredClone(held), structuredClone(d))
    expect(got).toEqual(next)
  })

  test('a scrolled window: rows still in it come from the held value, matched by their index', () => {
    const held = window(100, 10)
    const next = window(104, 10)
    const mine = structuredClone(held)
    const got = applyDelta(mine, structuredClone(encodeDelta(held, next)))
    expect(got).toEqual(next)
    expect(got[0]).toBe(mine[4])
    expect(got[5]).toBe(mine[9])
    expect(got[6]).not.toBe(mine[0])
  })

  test('a changed row keeps its unchanged parts: only the flag travels, its fields and raw words are the held ones', () => {
    const held = { name: 'CMDQ', entries: window(0, 3) }
    const next = structuredClone(held)
    next.entries[1].pending = true
    const d = encodeDelta(held, next) as { entries: { items: Record<string, unknown>[] } }
    expect(d.entries.items[1]).toEqual({ index: 1, opcode: 'CMD_SYNC', pending: true, fields: { '@same': true }, raw: { '@same': true } })
    const mine = structuredClone(held)
    const got = applyDelta(mine, structuredClone(d))
    expect(got.entries[1].fields).toBe(mine.entries[1].fields)
    expect(got.entries[0]).toBe(mine.entries[0])
  })

  test('neither the held value nor the delta is modified', () => {
    const held = { entries: window(0, 4), n: 1 }
    const next = { entries: window(2, 4), n: 2 }
    const d = encodeDelta(held, next)
    const dCopy = structuredClone(d)
    const mine = Object.freeze(structuredClone(held))
    applyDelta(mine, d)
    expect(d).toEqual(dCopy)
    expect(mine).toEqual(held)
  })

  test('a delta against a value the receiver does not hold is refused, not guessed', () => {
    const d = encodeDelta({ entries: window(0, 2) }, { entries: window(1, 2) })
    expect(() => applyDelta({ entries: [] }, d)).toThrow(/no held row with index = 1/)
    expect(() => applyDelta({}, encodeDelta({ a: { b: 1 }, c: 1 }, { a: { b: 1 }, c: 2 }))).toThrow(/held value is missing/)
  })

  test('a key named __proto__ is a key like any other, not the prototype (fast-check found {} against { __proto__: false })', () => {
    const next = JSON.parse('{"__proto__": false, "a": {"__proto__": [1]}}') as unknown
    const d = encodeDelta({}, next)
    expect(Object.keys(d as object)).toEqual(['__proto__', 'a'])
    expect(applyDelta({}, structuredClone(d))).toEqual(next)
    expect(applyDelta(structuredClone(next), structuredClone(encodeDelta(next, JSON.parse('{"__proto__": true, "a": {"__proto__": [1]}}'))))).toEqual(JSON.parse('{"__proto__": true, "a": {"__proto__": [1]}}'))
  })

  prop.prop([json, json])('any JSON value rebuilds from its delta against any other, through the structured clone', (held, next) => {
    expect(applyDelta(structuredClone(held), structuredClone(encodeDelta(held, next)))).toEqual(next)
  })

  prop.prop([viewLike, viewLike])('views that share parts rebuild exactly, and the delta is never much bigger than the view', (held, next) => {
    const d = encodeDelta(held, next)
    expect(applyDelta(structuredClone(held), structuredClone(d))).toEqual(next)
    // Wrappers of keyed arrays cost a few characters; unchanged parts cost a marker.
    expect(JSON.stringify(d).length).toBeLessThanOrEqual(JSON.stringify(next).length * 1.5 + 40)
  })
})
