import { describe, expect, test } from 'vitest'
import { sameView } from './same'

describe('sameView: structural equality of view values', () => {
  test('equal trees built apart are the same', () => {
    const a = { cursor: 3, rows: [{ i: 1, fields: { sid: 5 } }, { i: 2, fields: {} }], title: 'CMDQ', on: true, none: null }
    expect(sameView(a, structuredClone(a))).toBe(true)
  })

  test('one value deep inside, a missing or extra key, or another length differs', () => {
    const a = { rows: [{ i: 1, fields: { sid: 5 } }] }
    expect(sameView(a, { rows: [{ i: 1, fields: { sid: 6 } }] })).toBe(false)
    expect(sameView(a, { rows: [{ i: 1, fields: {} }] })).toBe(false)
    expect(sameView({ a: 1 }, { a: 1, b: 2 })).toBe(false)
    expect(sameView({ a: 1, b: 2 }, { a: 1 })).toBe(false)
    expect(sameView([1, 2], [1, 2, 3])).toBe(false)
  })

  test('a key holding undefined is a key (the structured clone keeps it)', () => {
    expect(sameView({ a: undefined }, {})).toBe(false)
    expect(sameView({ a: undefined }, { a: undefined })).toBe(true)
  })

  test('arrays are not objects with number keys; null is not an object', () => {
    expect(sameView([1], { 0: 1 })).toBe(false)
    expect(sameView({ 0: 1 }, [1])).toBe(false)
    expect(sameView(null, {})).toBe(false)
    expect(sameView(Number.NaN, Number.NaN)).toBe(true)
    expect(sameView('0x1', '0x1')).toBe(true)
  })
})
