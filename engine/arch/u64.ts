/** 64-bit helpers. Addresses (≤ 52 bits) are numbers; 64-bit words are bigints. */

export const TWO32 = 0x1_0000_0000

export function hex(v: number | bigint, pad = 0): string {
  const s = (typeof v === 'bigint' ? BigInt.asUintN(64, v) : v).toString(16)
  return '0x' + (pad ? s.padStart(pad, '0') : s)
}

/** 16-digit hex of a 64-bit word, as `raw` arrays show them. */
export function hex64(v: bigint): string {
  return '0x' + BigInt.asUintN(64, v).toString(16).padStart(16, '0')
}

export function lo32(v: number): number {
  return v >>> 0
}

/** Bits 63:32 of a non-negative integer number (exact up to 2^53). */
export function hi32(v: number): number {
  return Math.floor(v / TWO32) >>> 0
}

export function join32(hi: number, lo: number): number {
  return (hi >>> 0) * TWO32 + (lo >>> 0)
}

export function toBig(v: number | bigint): bigint {
  return typeof v === 'bigint' ? v : BigInt(v)
}

/** A bigint as a number when exact, else throws: for addresses the model requires to be < 2^53. */
export function toNum(v: bigint, what = 'value'): number {
  if (v < 0n || v > BigInt(Number.MAX_SAFE_INTEGER)) throw new RangeError(`${what} 0x${v.toString(16)} does not fit 53 bits`)
  return Number(v)
}

/** Bits [hi:lo] of a non-negative number (exact up to 2^53), as a number. */
export function bits(v: number, hi: number, lo: number): number {
  const width = hi - lo + 1
  return Math.floor(v / 2 ** lo) % 2 ** width
}

/** v with bits below `n` cleared (alignment down); exact for v < 2^53. */
export function alignDown(v: number, n: number): number {
  const a = 2 ** n
  return v - (v % a)
}

export function isAligned(v: number, n: number): boolean {
  return v % 2 ** n === 0
}

/** log2 of a power of two, or -1. */
export function log2(v: number): number {
  if (v <= 0 || !Number.isInteger(v)) return -1
  const l = Math.log2(v)
  return Number.isInteger(l) ? l : -1
}
