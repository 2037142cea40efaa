/**
 * One declaration per architectural layout (register, STE, CD, command,
 * event, descriptor). Encoding, decoding, validation and the UI's labels all
 * derive from the field table, so a bit position is written exactly once.
 *
 * Words are 64-bit (`bigint`), word 0 first, stored little-endian in memory.
 * Field values are `number` (every field but a 64-bit address fits in 53 bits);
 * `getBig` serves the few that do not.
 */

export type FieldKind = 'flag' | 'int' | 'enum' | 'address'

export interface FieldSpec {
  /** 64-bit word index. */
  readonly word: number
  /** [hi, lo], inclusive, as the specification writes them. */
  readonly bits: readonly [number, number]
  /** Named values; encode accepts a name, describe shows it. */
  readonly values?: Readonly<Record<string, number>>
  /**
   * 'address': the value is the bits in place (low bits zero), so
   * `get(ste, 'S2TTB')` is a physical address, as software programs it.
   */
  readonly kind?: FieldKind
  /** What the field means, in the specification's words (UI tooltip). */
  readonly desc?: string
  /** Specification section, when it differs from the layout's. */
  readonly ref?: string
}

export interface LayoutOptions {
  readonly words: number
  /** Width of one word in bits: 64 for structures, 32 for 32-bit registers. */
  readonly wordBits?: 32 | 64
  readonly ref: string
  readonly title?: string
}

export interface FieldDef extends FieldSpec {
  readonly name: string
  readonly kind: FieldKind
  readonly width: number
  readonly lo: number
  readonly hi: number
  /** Mask of the field in its word, in place. */
  readonly mask: bigint
}

export interface FieldView {
  readonly name: string
  readonly word: number
  readonly hi: number
  readonly lo: number
  /** Field value (in place for addresses). */
  readonly value: bigint
  /** Value as a reader wants it: enum name, flag, hex address, decimal int. */
  readonly display: string
  readonly desc: string
  readonly ref: string
}

/** A field's position inside one 32-bit half of its 64-bit word (hot paths). */
export interface HalfAccessor {
  /** 0: bits 31:0 of the word, 1: bits 63:32. */
  readonly half: 0 | 1
  readonly word: number
  readonly shift: number
  /** Right-aligned mask (width bits). */
  readonly mask: number
}

export type Words = readonly bigint[]
export type FieldInput<N extends string> = Partial<Record<N, number | bigint | string | boolean>>

const M64 = (1n << 64n) - 1n

export class Layout<N extends string = string> {
  readonly name: string
  readonly words: number
  readonly wordBits: 32 | 64
  readonly ref: string
  readonly title: string
  readonly fields: Readonly<Record<N, FieldDef>>
  readonly order: readonly FieldDef[]

  constructor(name: string, opts: LayoutOptions, specs: Readonly<Record<N, FieldSpec>>) {
    this.name = name
    this.words = opts.words
    this.wordBits = opts.wordBits ?? 64
    this.ref = opts.ref
    this.title = opts.title ?? name
    const fields = {} as Record<N, FieldDef>
    const order: FieldDef[] = []
    for (const key of Object.keys(specs) as N[]) {
      const s = specs[key]
      const [hi, lo] = s.bits
      const width = hi - lo + 1
      const kind: FieldKind = s.kind ?? (s.values ? 'enum' : width === 1 ? 'flag' : 'int')
      const mask = ((1n << BigInt(width)) - 1n) << BigInt(lo)
      const def: FieldDef = { ...s, name: key, kind, width, lo, hi, mask }
      fields[key] = def
      order.push(def)
    }
    order.sort((a, b) => a.word - b.word || a.lo - b.lo)
    this.fields = fields
    this.order = order
    const problems = this.check()
    if (problems.length) throw new Error(`layout ${name}: ${problems.join('; ')}`)
  }

  /** Overlapping, over-wide or out-of-structure fields are declaration bugs. */
  check(): string[] {
    const out: string[] = []
    const seen: bigint[] = new Array<bigint>(this.words).fill(0n)
    for (const f of this.order) {
      if (f.word < 0 || f.word >= this.words) out.push(`${f.name}: word ${f.word} outside ${this.words} words`)
      else if (f.lo < 0 || f.hi < f.lo || f.hi >= this.wordBits) out.push(`${f.name}: bits [${f.hi}:${f.lo}] do not fit a ${this.wordBits}-bit word`)
      else {
        if (seen[f.word] & f.mask) out.push(`${f.name}: overlaps another field in word ${f.word}`)
        seen[f.word] |= f.mask
      }
      if (f.values) {
        for (const [vn, v] of Object.entries(f.values)) {
          if (v < 0 || v >= 2 ** f.width) out.push(`${f.name}.${vn}: value ${v} does not fit ${f.width} bits`)
        }
      }
    }
    return out
  }

  field(name: N): FieldDef {
    const f = this.fields[name]
    if (!f) throw new Error(`${this.name} has no field ${name}`)
    return f
  }

  /** Field value as a bigint (in place for addresses). */
  getBig(words: Words, name: N): bigint {
    const f = this.field(name)
    const w = words[f.word] ?? 0n
    return f.kind === 'address' ? w & f.mask : (w & f.mask) >> BigInt(f.lo)
  }

  /** Field value as a number; every field but 64-bit addresses fits. */
  get(words: Words, name: N): number {
    return Number(this.getBig(words, name))
  }

  /** A copy of `words` with the given fields replaced. */
  with(words: Words, values: FieldInput<N>): bigint[] {
    const out = Array.from({ length: this.words }, (_, i) => words[i] ?? 0n)
    for (const key of Object.keys(values) as N[]) {
      const v = values[key]
      if (v === undefined) continue
      const f = this.field(key)
      const raw = this.toRaw(f, v)
      out[f.word] = ((out[f.word] & ~f.mask) | raw) & this.wordMask()
    }
    return out
  }

  encode(values: FieldInput<N>): bigint[] {
    return this.with([], values)
  }

  /** Every field, decoded, in word/bit order: the inspector's and the journal's view. */
  describe(words: Words): FieldView[] {
    return this.order.map((f) => {
      const value = this.getBig(words, f.name as N)
      return {
        name: f.name,
        word: f.word,
        hi: f.hi,
        lo: f.lo,
        value,
        display: this.display(f, value),
        desc: f.desc ?? '',
        ref: f.ref ?? this.ref,
      }
    })
  }

  /** Decoded fields as a plain object (numbers; addresses as numbers when they fit). */
  decode(words: Words): Record<N, number | bigint> {
    const out = {} as Record<N, number | bigint>
    for (const f of this.order) {
      const v = this.getBig(words, f.name as N)
      out[f.name as N] = v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v
    }
    return out
  }

  /** Name of an enum value, or undefined when the value is not named. */
  valueName(name: N, value: number): string | undefined {
    const vals = this.field(name).values
    if (!vals) return undefined
    for (const [k, v] of Object.entries(vals)) if (v === value) return k
    return undefined
  }

  /**
   * Where a field sits inside one 32-bit half, for code that reads
   * descriptors as two 32-bit halves (the walker's hot path).
   */
  half(name: N): HalfAccessor {
    const f = this.field(name)
    const half = f.lo >= 32 ? 1 : 0
    const base = half * 32
    if (f.hi >= base + 32) throw new Error(`${this.name}.${name} spans both 32-bit halves`)
    return { half, word: f.word, shift: f.lo - base, mask: f.width === 32 ? 0xffffffff : (1 << f.width) - 1 }
  }

  /** Bits set in any declared field, per word: for "RES0 bits set" checks. */
  declaredMask(word: number): bigint {
    let m = 0n
    for (const f of this.order) if (f.word === word) m |= f.mask
    return m
  }

  private wordMask(): bigint {
    return this.wordBits === 64 ? M64 : 0xffffffffn
  }

  private toRaw(f: FieldDef, v: number | bigint | string | boolean): bigint {
    let n: bigint
    if (typeof v === 'boolean') n = v ? 1n : 0n
    else if (typeof v === 'string' && f.values && v in f.values) n = BigInt(f.values[v])
    else if (typeof v === 'string') {
      if (!/^(0x[0-9a-f_]+|\d+)$/i.test(v)) {
        throw new RangeError(`${this.name}.${f.name}: '${v}' is not one of ${Object.keys(f.values ?? {}).join(', ') || 'its values'}`)
      }
      n = BigInt(v.replace(/_/g, ''))
    } else n = BigInt(v)
    if (f.kind === 'address') {
      if (n & ~f.mask) throw new RangeError(`${this.name}.${f.name}: 0x${n.toString(16)} has bits outside [${f.hi}:${f.lo}]`)
      return n
    }
    if (n < 0n || n >> BigInt(f.width)) throw new RangeError(`${this.name}.${f.name}: ${n} does not fit ${f.width} bits`)
    return n << BigInt(f.lo)
  }

  private display(f: FieldDef, value: bigint): string {
    if (f.kind === 'address') return '0x' + value.toString(16)
    if (f.values) {
      const n = this.valueName(f.name as N, Number(value))
      return n ?? `0x${value.toString(16)} (reserved)`
    }
    if (f.kind === 'flag') return value ? '1' : '0'
    return value > 9n ? `${value} (0x${value.toString(16)})` : value.toString()
  }
}

export function layout<const S extends Record<string, FieldSpec>>(
  name: string,
  opts: LayoutOptions,
  specs: S,
): Layout<Extract<keyof S, string>> {
  return new Layout<Extract<keyof S, string>>(name, opts, specs)
}

/** Read `n` 64-bit little-endian words from bytes (for decoding memory). */
export function wordsFromBytes(bytes: Uint8Array, n = bytes.length >> 3): bigint[] {
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  const out: bigint[] = []
  for (let i = 0; i < n; i++) out.push(dv.getBigUint64(i * 8, true))
  return out
}

export function bytesFromWords(words: Words): Uint8Array {
  const out = new Uint8Array(words.length * 8)
  const dv = new DataView(out.buffer)
  words.forEach((w, i) => dv.setBigUint64(i * 8, BigInt.asUintN(64, w), true))
  return out
}
