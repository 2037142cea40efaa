/**
 * Reading untrusted JSON with a path for every complaint: the helpers the
 * scenario validator is built from. A reader collects errors (at most
 * MAX_ERRORS) instead of stopping at the first, so a person fixing a file
 * sees every problem at once.
 */

import { parseNumber, parseSafe, quote, typeName } from './numbers'

export interface ValidationError {
  /** JSON path into the scenario: "steps[3].iova"; "" for the whole input. */
  readonly path: string
  readonly message: string
}

export const MAX_ERRORS = 100

export type JsonObject = Record<string, unknown>

const IDENT = /^[A-Za-z_$][A-Za-z0-9_$]*$/

/** `path.key` or `path[i]`; keys that are not identifiers are quoted. */
export function at(path: string, key: string | number): string {
  if (typeof key === 'number') return `${path}[${key}]`
  const k = IDENT.test(key) ? key : `[${quote(key)}]`
  return path === '' ? k : k.startsWith('[') ? path + k : `${path}.${k}`
}

/** Levenshtein distance, bounded: enough to suggest "did you mean". */
function distance(a: string, b: string): number {
  if (Math.abs(a.length - b.length) > 3) return 99
  let prev = Array.from({ length: b.length + 1 }, (_, i) => i)
  for (let i = 1; i <= a.length; i++) {
    const cur = [i]
    for (let j = 1; j <= b.length; j++) {
      cur[j] = Math.min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1))
    }
    prev = cur
  }
  return prev[b.length]
}

/** ` (did you mean "x"?)` when one option is close, else the list of options. */
export function suggest(word: string, options: readonly string[]): string {
  const lower = word.toLowerCase()
  let best = ''
  let bestD = 3
  for (const o of options) {
    const d = o.toLowerCase() === lower ? 0 : distance(lower, o.toLowerCase())
    if (d < bestD) {
      best = o
      bestD = d
    }
  }
  return best ? `did you mean ${quote(best)}?` : `expected one of: ${options.join(', ')}`
}

export class Reader {
  readonly errors: ValidationError[] = []

  get full(): boolean {
    return this.errors.length >= MAX_ERRORS
  }

  error(path: string, message: string): void {
    if (!this.full) this.errors.push({ path, message })
  }

  /** A plain JSON object, or an error. */
  object(path: string, v: unknown, what = 'an object'): JsonObject | undefined {
    if (typeof v === 'object' && v !== null && !Array.isArray(v)) return v as JsonObject
    this.error(path, `expected ${what}, got ${typeName(v)}`)
    return undefined
  }

  /** Reject keys outside `allowed`, each at its own path. */
  keys(path: string, o: JsonObject, allowed: readonly string[]): void {
    for (const k of Object.keys(o)) {
      if (this.full) return
      if (!allowed.includes(k)) this.error(at(path, k), `unknown key ${quote(k)} (${suggest(k, allowed)})`)
    }
  }

  /** The value at `o[key]`, `undefined` when absent; an explicit null is an error. */
  get(path: string, o: JsonObject, key: string): unknown {
    if (!Object.hasOwn(o, key)) return undefined
    const v = o[key]
    if (v === null) {
      this.error(at(path, key), 'null is not a value here; leave the key out for the default')
      return undefined
    }
    return v
  }

  /** A whole number that fits 53 bits, within [min, max]. */
  number(path: string, v: unknown, min = 0, max = Number.MAX_SAFE_INTEGER, why = ''): number | undefined {
    const r = parseSafe(v)
    if (!r.ok) {
      this.error(path, r.message)
      return undefined
    }
    if (r.value < min || r.value > max) {
      this.error(path, `${r.value} is out of range ${min}..${max}${why ? ` (${why})` : ''}`)
      return undefined
    }
    return r.value
  }

  /** Any value below 2^bits, as a bigint. */
  u64(path: string, v: unknown, bits = 64): bigint | undefined {
    const r = parseNumber(v)
    if (!r.ok) {
      this.error(path, r.message)
      return undefined
    }
    const b = BigInt(r.value)
    if (b >> BigInt(bits)) {
      this.error(path, `0x${b.toString(16)} does not fit ${bits} bits`)
      return undefined
    }
    return b
  }

  string(path: string, v: unknown, maxLen: number, pattern?: RegExp, what = 'a string'): string | undefined {
    if (typeof v !== 'string') {
      this.error(path, `expected ${what}, got ${typeName(v)}`)
      return undefined
    }
    if (v.length > maxLen) {
      this.error(path, `${v.length} characters is too long (at most ${maxLen})`)
      return undefined
    }
    if (pattern && !pattern.test(v)) {
      this.error(path, `${quote(v)} is not ${what}`)
      return undefined
    }
    return v
  }

  bool(path: string, v: unknown): boolean | undefined {
    if (typeof v === 'boolean') return v
    this.error(path, `expected true or false, got ${typeName(v)}`)
    return undefined
  }

  oneOf<T extends string | number>(path: string, v: unknown, values: readonly T[]): T | undefined {
    if ((typeof v === 'string' || typeof v === 'number') && (values as readonly unknown[]).includes(v)) return v as T
    const shown = values.map((x) => (typeof x === 'string' ? quote(x) : String(x))).join(', ')
    const hint = typeof v === 'string' && typeof values[0] === 'string' ? ` (${suggest(v, values as readonly string[])})` : ''
    this.error(path, `${typeof v === 'string' ? quote(v) : typeof v === 'number' ? String(v) : typeName(v)} is not one of ${shown}${hint}`)
    return undefined
  }

  array(path: string, v: unknown, maxLen: number): readonly unknown[] | undefined {
    if (!Array.isArray(v)) {
      this.error(path, `expected an array, got ${typeName(v)}`)
      return undefined
    }
    if (v.length > maxLen) {
      this.error(path, `${v.length} entries is too many (at most ${maxLen})`)
      return undefined
    }
    return v as readonly unknown[]
  }
}
