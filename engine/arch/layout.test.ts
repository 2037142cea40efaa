import { describe, expect, test } from 'vitest'
import { bytesFromWords, layout, wordsFromBytes } from './layout'

// A toy of the STE's first word, positions from IHI 0070 5.2 (Linux STRTAB_STE_0_*).
const T = layout('T', { words: 2, ref: 'test' }, {
  V: { word: 0, bits: [0, 0] },
  Config: { word: 0, bits: [3, 1], values: { abort: 0, bypass: 4, s1: 5, s2: 6, nested: 7 } },
  Ptr: { word: 0, bits: [51, 6], kind: 'address' },
  Hi: { word: 1, bits: [63, 60] },
})

describe('layout', () => {
  test('bypass word 0 is V | Config=0b100 = 0x9', () => {
    expect(T.encode({ V: 1, Config: 'bypass' })[0]).toBe(0x9n)
  })
  test('address fields are in place', () => {
    const w = T.encode({ Ptr: 0x8000_1240 })
    expect(w[0]).toBe(0x8000_1240n)
    expect(T.get(w, 'Ptr')).toBe(0x8000_1240)
    expect(() => T.encode({ Ptr: 0x8000_1241 })).toThrow(/bits outside \[51:6\]/)
  })
  test('values that do not fit are refused with the field name', () => {
    expect(() => T.encode({ Hi: 16 })).toThrow(/T\.Hi: 16 does not fit 4 bits/)
    expect(() => T.encode({ Config: 'weird' })).toThrow(/not one of abort, bypass/)
  })
  test('with replaces only the named field', () => {
    const w = T.with([0xffff_ffff_ffff_ffffn, 0n], { Config: 'abort' })
    expect(w[0]).toBe(0xffff_ffff_ffff_fff1n)
  })
  test('describe names enum values and flags reserved ones', () => {
    const d = T.describe([0xbn, 0n])
    expect(d.find((f) => f.name === 'Config')!.display).toBe('s1')
    expect(T.describe([0x3n, 0n]).find((f) => f.name === 'Config')!.display).toBe('0x1 (reserved)')
  })
  test('overlapping fields are a declaration error', () => {
    expect(() => layout('Bad', { words: 1, ref: 'x' }, { A: { word: 0, bits: [3, 0] }, B: { word: 0, bits: [4, 3] } })).toThrow(/overlaps/)
    expect(() => layout('Bad', { words: 1, ref: 'x', wordBits: 32 }, { A: { word: 0, bits: [32, 0] } })).toThrow(/do not fit/)
  })
  test('half accessor locates a field in a 32-bit half', () => {
    expect(T.half('Hi')).toEqual({ half: 1, word: 1, shift: 28, mask: 0xf })
    expect(() => T.half('Ptr')).toThrow(/spans/)
  })
  test('words round-trip through little-endian bytes', () => {
    const b = bytesFromWords([0x0102030405060708n])
    expect([...b]).toEqual([8, 7, 6, 5, 4, 3, 2, 1])
    expect(wordsFromBytes(b)).toEqual([0x0102030405060708n])
  })
})
