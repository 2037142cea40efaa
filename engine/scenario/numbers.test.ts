import { describe, expect, test } from 'vitest'
import { hexGroups, parseNumber, parseSafe, parseU64, sizeName } from './numbers'

// Expected values are the arithmetic the format defines (DESIGN.md "Numbers
// are JSON numbers or strings"): sizes are powers of 1024 as in the kernel's
// SZ_4K = 0x1000, SZ_2M = 0x200000, SZ_1G = 0x40000000.
describe('parseNumber accepts', () => {
  test.each([
    [0, 0],
    [4096, 4096],
    [Number.MAX_SAFE_INTEGER, Number.MAX_SAFE_INTEGER],
    ['0x4000_0000', 0x4000_0000],
    ['0X1f', 31],
    ['0xdead_beef', 0xdeadbeef],
    ['123', 123],
    ['1_000_000', 1_000_000],
    ['4K', 0x1000],
    ['4k', 0x1000],
    ['64KiB', 0x1_0000],
    ['2MiB', 0x20_0000],
    ['2M', 0x20_0000],
    ['1G', 0x4000_0000],
    ['1GiB', 0x4000_0000],
    ['4T', 4 * 2 ** 40],
    [' 16K ', 0x4000],
  ])('%j = %d', (input, want) => {
    expect(parseNumber(input)).toEqual({ ok: true, value: want })
  })

  test('values from 2^53 up come back as bigint', () => {
    expect(parseNumber('0x20_0000_0000_0000')).toEqual({ ok: true, value: 1n << 53n })
    expect(parseNumber('0xffff_ffff_ffff_ffff')).toEqual({ ok: true, value: 0xffff_ffff_ffff_ffffn })
    // 2^53 - 1 is the last exact number.
    expect(parseNumber('0x1f_ffff_ffff_ffff')).toEqual({ ok: true, value: 2 ** 53 - 1 })
    // 8192T = 2^53 exactly: bigint.
    expect(parseNumber('8192T')).toEqual({ ok: true, value: 1n << 53n })
  })

  test('a bigint input is range-checked the same way', () => {
    expect(parseNumber(5n)).toEqual({ ok: true, value: 5 })
    expect(parseNumber(1n << 60n)).toEqual({ ok: true, value: 1n << 60n })
  })
})

describe('parseNumber rejects, with the reason', () => {
  const bad = (input: unknown): string => {
    const r = parseNumber(input)
    if (r.ok) throw new Error(`accepted ${String(input)}`)
    return r.message
  }
  test('garbage: the message names the accepted forms', () => {
    expect(bad('0x1g')).toBe('"0x1g" is not a number (use 0x…, decimal, or sizes like 4K, 2MiB)')
    expect(bad('')).toMatch(/is not a number/)
    expect(bad('4 KB')).toMatch(/is not a number/)
    expect(bad('0x')).toMatch(/is not a number/)
    expect(bad('1__0')).toMatch(/is not a number/)
    expect(bad('_1')).toMatch(/is not a number/)
    expect(bad('0x10K')).toMatch(/is not a number/)
  })
  test('negatives and fractions', () => {
    expect(bad(-1)).toBe('-1 is negative; values are unsigned')
    expect(bad('-0x10')).toMatch(/negative/)
    expect(bad(1.5)).toBe('1.5 is not a whole number')
    expect(bad('1.5K')).toMatch(/not a whole number/)
    expect(bad(Number.NaN)).toMatch(/not a number/)
    expect(bad(Number.POSITIVE_INFINITY)).toMatch(/not a number/)
  })
  test('2^64 and above', () => {
    expect(bad('0x1_0000_0000_0000_0000')).toMatch(/2\^64 or more/)
    // 16384T = 2^54 fits; 2^24 T = 2^64 does not.
    expect(bad('16777216T')).toMatch(/2\^64 or more/)
    expect(bad(1n << 64n)).toMatch(/2\^64 or more/)
  })
  test('a JSON number above 2^53 has been rounded already: say to use a string', () => {
    expect(bad(2 ** 53 + 2)).toMatch(/write it as a string/)
  })
  test('non-numbers name their type', () => {
    expect(bad(true)).toBe('expected a number, got a boolean')
    expect(bad(null)).toBe('expected a number, got null')
    expect(bad([1])).toBe('expected a number, got an array')
    expect(bad({})).toBe('expected a number, got an object')
  })
  test('long garbage is cut short in the message', () => {
    expect(bad('x'.repeat(1000)).length).toBeLessThan(120)
  })
})

describe('typed parsers', () => {
  test('parseU64 always gives a bigint', () => {
    expect(parseU64(3)).toEqual({ ok: true, value: 3n })
    expect(parseU64('0xffff_ffff_ffff_ffff')).toEqual({ ok: true, value: (1n << 64n) - 1n })
  })
  test('parseSafe refuses what does not fit 53 bits', () => {
    expect(parseSafe('2M')).toEqual({ ok: true, value: 0x20_0000 })
    const r = parseSafe('0x20_0000_0000_0000')
    expect(r.ok).toBe(false)
    if (!r.ok) expect(r.message).toMatch(/does not fit 53 bits/)
  })
})

describe('display helpers', () => {
  test('hexGroups puts _ every 4 digits', () => {
    expect(hexGroups(0x4000_1003)).toBe('0x4000_1003')
    expect(hexGroups(0x1003)).toBe('0x1003')
    expect(hexGroups(0x12_3456)).toBe('0x12_3456')
  })
  test('sizeName', () => {
    expect(sizeName(0x1000)).toBe('4K')
    expect(sizeName(0x20_0000)).toBe('2M')
    expect(sizeName(0x4000_0000)).toBe('1G')
    expect(sizeName(0x1800)).toBe('6K')
    expect(sizeName(0x1801)).toBe('0x1801')
  })
})
