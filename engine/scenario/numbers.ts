/**
 * Numbers in a scenario: JSON numbers, or strings for what JSON cannot say
 * exactly or readably ("0x4000_0000", "4K", "2MiB", "1G", "123").
 *
 * Size suffixes K/M/G/T (optionally followed by "iB") are powers of 1024, as
 * the kernel's SZ_4K / SZ_2M mean them. Values are unsigned and below 2^64
 * (the widest register or descriptor word); a value below 2^53 comes back as
 * a number, a wider one as a bigint.
 */

export type NumResult =
  | { readonly ok: true; readonly value: number | bigint }
  | { readonly ok: false; readonly message: string }

const HINT = 'use 0x…, decimal, or sizes like 4K, 2MiB'
const TWO64 = 1n << 64n
const MAX_SAFE = BigInt(Number.MAX_SAFE_INTEGER)

const HEX = /^0[xX]([0-9a-fA-F]+(?:_[0-9a-fA-F]+)*)$/
const DEC = /^([0-9]+(?:_[0-9]+)*)$/
const SIZE = /^([0-9]+(?:_[0-9]+)*)\s?([kKmMgGtT])(?:iB|ib|IB)?$/
const SHIFT: Readonly<Record<string, bigint>> = { k: 10n, m: 20n, g: 30n, t: 40n }

/** A string quoted for an error message, cut short when it is long. */
export function quote(s: string): string {
  return JSON.stringify(s.length > 40 ? s.slice(0, 37) + '…' : s)
}

/** Hex with a '_' every 4 digits, as the scenario format writes addresses. */
export function hexGroups(v: number | bigint): string {
  const digits = v.toString(16)
  const groups: string[] = []
  for (let end = digits.length; end > 0; end -= 4) groups.unshift(digits.slice(Math.max(0, end - 4), end))
  return '0x' + groups.join('_')
}

function fromBig(v: bigint, text: string): NumResult {
  if (v >= TWO64) return { ok: false, message: `${text} is 2^64 or more (the largest value is 0xffff_ffff_ffff_ffff)` }
  return { ok: true, value: v <= MAX_SAFE ? Number(v) : v }
}

/** Parse a JSON number or numeric string; never throws. */
export function parseNumber(input: unknown): NumResult {
  if (typeof input === 'number') {
    if (!Number.isFinite(input)) return { ok: false, message: `${input} is not a number (${HINT})` }
    if (input < 0) return { ok: false, message: `${input} is negative; values are unsigned` }
    if (!Number.isInteger(input)) return { ok: false, message: `${input} is not a whole number` }
    // A JSON number above 2^53 has already been rounded by the parser.
    if (input > Number.MAX_SAFE_INTEGER) {
      return { ok: false, message: `${input} is above 2^53, where JSON numbers are not exact; write it as a string, e.g. "0x…"` }
    }
    return { ok: true, value: input + 0 }
  }
  if (typeof input === 'bigint') {
    if (input < 0n) return { ok: false, message: `${input} is negative; values are unsigned` }
    return fromBig(input, hexGroups(input))
  }
  if (typeof input !== 'string') return { ok: false, message: `expected a number, got ${typeName(input)}` }
  const s = input.trim()
  if (s.startsWith('-')) return { ok: false, message: `${quote(input)} is negative; values are unsigned` }
  let m = HEX.exec(s)
  if (m) return fromBig(BigInt('0x' + m[1].replace(/_/g, '')), quote(input))
  m = DEC.exec(s)
  if (m) return fromBig(BigInt(m[1].replace(/_/g, '')), quote(input))
  m = SIZE.exec(s)
  if (m) return fromBig(BigInt(m[1].replace(/_/g, '')) << SHIFT[m[2].toLowerCase()], quote(input))
  if (/^[0-9]*\.[0-9]+/.test(s)) return { ok: false, message: `${quote(input)} is not a whole number` }
  return { ok: false, message: `${quote(input)} is not a number (${HINT})` }
}

/** What a JSON value is, for messages ("a string", "an array"). */
export function typeName(v: unknown): string {
  if (v === null) return 'null'
  if (Array.isArray(v)) return 'an array'
  switch (typeof v) {
    case 'object':
      return 'an object'
    case 'string':
      return 'a string'
    case 'number':
      return 'a number'
    case 'boolean':
      return 'a boolean'
    case 'undefined':
      return 'nothing'
    default:
      return typeof v
  }
}

/** Parse a value that must be a 64-bit word: always a bigint. */
export function parseU64(input: unknown): { ok: true; value: bigint } | { ok: false; message: string } {
  const r = parseNumber(input)
  if (!r.ok) return r
  return { ok: true, value: BigInt(r.value) }
}

/** Parse a value that must fit a number exactly (addresses ≤ 52 bits, sizes, counts). */
export function parseSafe(input: unknown): { ok: true; value: number } | { ok: false; message: string } {
  const r = parseNumber(input)
  if (!r.ok) return r
  if (typeof r.value === 'bigint') {
    return { ok: false, message: `${hexGroups(r.value)} does not fit 53 bits (addresses are at most 52 bits)` }
  }
  return { ok: true, value: r.value }
}

/** Size as the scenario format names it: "4K", "2M", "1G", else hex. */
export function sizeName(v: number): string {
  for (const [suffix, shift] of [['T', 40], ['G', 30], ['M', 20], ['K', 10]] as const) {
    const unit = 2 ** shift
    if (v >= unit && v % unit === 0) return `${v / unit}${suffix}`
  }
  return hexGroups(v)
}
