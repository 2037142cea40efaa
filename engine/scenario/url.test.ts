import fc from 'fast-check'
import { deflateSync, inflateSync } from 'fflate'
import { describe, expect, test } from 'vitest'
import {
  base64urlDecode,
  base64urlEncode,
  decodeShareUrl,
  encodeShareUrl,
  INFLATE_SLICE,
  inflateBounded,
  MAX_INFLATED,
  MAX_PAYLOAD,
} from './url'

const text = (s: string): Uint8Array => new TextEncoder().encode(s)
const fail = (url: string): string => {
  const r = decodeShareUrl(url)
  if (r.ok) throw new Error('decoded')
  return r.message
}
const link = (bytes: Uint8Array): string => '#s=1.' + base64urlEncode(bytes)

describe('base64url (RFC 4648 §5, no padding)', () => {
  // RFC 4648 §10 test vectors, with the padding removed.
  test.each([
    ['', ''], ['f', 'Zg'], ['fo', 'Zm8'], ['foo', 'Zm9v'], ['foob', 'Zm9vYg'], ['fooba', 'Zm9vYmE'], ['foobar', 'Zm9vYmFy'],
  ])('%j <-> %j', (plain, enc) => {
    expect(base64urlEncode(text(plain))).toBe(enc)
    expect(base64urlDecode(enc)).toEqual({ ok: true, bytes: text(plain) })
  })
  test('the URL-safe alphabet: 0xfb 0xff is "+/8" in base64, "-_8" here', () => {
    expect(base64urlEncode(new Uint8Array([0xfb, 0xff]))).toBe('-_8')
    expect(base64urlDecode('-_8')).toEqual({ ok: true, bytes: new Uint8Array([0xfb, 0xff]) })
  })
  test('round trip of any bytes', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 300 }), (b) => {
      expect(base64urlDecode(base64urlEncode(b))).toEqual({ ok: true, bytes: b })
    }))
  })
  test('refuses characters outside the alphabet and impossible lengths', () => {
    expect(base64urlDecode('Zm9v+A')).toEqual({ ok: false, message: 'bad base64url: character "+" at position 4 is not in A–Z a–z 0–9 - _' })
    expect(base64urlDecode('Zg==').ok).toBe(false)
    expect(base64urlDecode('Zm9vY')).toEqual({ ok: false, message: 'bad base64url: 5 characters cannot encode whole bytes (the link was probably cut short)' })
    expect(base64urlDecode('Zm9é').ok).toBe(false)
  })
})

describe('share URL round trip', () => {
  const scenario = { smmuscope: 1, title: 'TLBI range', platform: { hypervisor: 'pkvm' }, steps: [{ op: 'boot' }, { op: 'mmio', access: 'read', reg: 'IDR0' }] }

  test('the fragment is #s=1.<base64url(deflate-raw(JSON))>', () => {
    const url = encodeShareUrl(scenario)
    expect(url).toMatch(/^#s=1\.[A-Za-z0-9_-]+$/)
    // Checked with fflate's own raw inflate, independently of the decoder.
    const b = base64urlDecode(url.slice('#s=1.'.length))
    if (!b.ok) throw new Error(b.message)
    expect(new TextDecoder().decode(inflateSync(b.bytes))).toBe(JSON.stringify(scenario))
  })
  test('scenario, cursor and panels come back', () => {
    const url = encodeShareUrl(scenario, 1234, ['cmdq', 'walk', 'regs'])
    expect(url).toMatch(/&c=1234&p=cmdq,walk,regs$/)
    expect(decodeShareUrl(url)).toEqual({ ok: true, json: scenario, cursor: 1234, panels: ['cmdq', 'walk', 'regs'] })
  })
  test('a full URL, a fragment or a bare parameter list all decode', () => {
    const frag = encodeShareUrl(scenario, 7)
    for (const input of [`https://example.org/smmuscope/index.html${frag}`, frag, frag.slice(1), `  ${frag}\n`]) {
      expect(decodeShareUrl(input)).toEqual({ ok: true, json: scenario, cursor: 7 })
    }
  })
  test('bigints (a validated scenario) travel as hex strings', () => {
    const url = encodeShareUrl({ smmuscope: 1, steps: [{ op: 'write', pa: 0x4000_0000, value: 0x8000_0000_0000_0001n, size: 8 }] })
    expect(decodeShareUrl(url)).toEqual({ ok: true, json: { smmuscope: 1, steps: [{ op: 'write', pa: 0x4000_0000, value: '0x8000000000000001', size: 8 }] } })
  })
  test('unknown parameters are ignored (newer links may add some); percent-encoding is undone', () => {
    const url = encodeShareUrl(scenario)
    expect(decodeShareUrl(`${url}&zoom=2&c=%33`)).toEqual({ ok: true, json: scenario, cursor: 3 })
  })
  test('encode refuses what decode would refuse', () => {
    expect(() => encodeShareUrl(scenario, -1)).toThrow(RangeError)
    expect(() => encodeShareUrl(scenario, 1.5)).toThrow(RangeError)
    expect(() => encodeShareUrl(scenario, 0, ['a b'])).toThrow(/panel name/)
    // Incompressible text larger than a link: a deterministic pseudo-random hex string.
    let x = 1
    let noise = ''
    for (let i = 0; i < 400_000; i++) {
      x = (Math.imul(x, 1103515245) + 12345) >>> 0
      noise += (x >>> 28).toString(16)
    }
    expect(() => encodeShareUrl({ smmuscope: 1, notes: noise, steps: [] })).toThrow(/a link holds at most 262144/)
  })
})

describe('every failure is a readable message', () => {
  test('not a smmuscope link', () => {
    expect(fail('https://example.org/')).toBe('not a smmuscope link: there is no #s=… part')
    expect(fail('#c=3')).toBe('not a smmuscope link: there is no s= (scenario) parameter')
    expect(fail('#s=abc')).toBe('not a smmuscope link: expected s=1.<data>')
  })
  test('unknown URL version prefix', () => {
    expect(fail('#s=2.AAAA')).toBe('this link uses share format 2; this smmuscope reads format 1')
    expect(fail('#s=v1.AAAA')).toMatch(/^unknown link version "v1"/)
  })
  test('bad base64', () => {
    expect(fail('#s=1.Zm9v!!')).toMatch(/^bad base64url: character "!" at position 4/)
    expect(fail('#s=1.')).toBe('bad link: the scenario data is empty')
  })
  test('bad deflate', () => {
    // A first byte of 0x07 is BFINAL=1 with BTYPE=11, reserved (RFC 1951 3.2.3).
    expect(fail(link(new Uint8Array([0x07, 0, 0])))).toMatch(/^bad deflate data: invalid block type/)
    // A valid stream cut in half.
    const whole = deflateSync(text(JSON.stringify({ smmuscope: 1, steps: Array.from({ length: 50 }, (_, i) => ({ op: 'boot', note: `n${i}` })) })))
    expect(fail(link(whole.subarray(0, whole.length >> 1)))).toMatch(/^bad deflate data/)
  })
  test('not UTF-8, not JSON', () => {
    expect(fail(link(deflateSync(new Uint8Array([0x7b, 0xff, 0xfe, 0x7d]))))).toBe('not JSON: the scenario data is not UTF-8 text')
    expect(fail(link(deflateSync(text('{"smmuscope": 1,'))))).toMatch(/^not JSON: /)
  })
  test('bad cursor, panels, percent-encoding', () => {
    const url = encodeShareUrl({ smmuscope: 1, steps: [] })
    expect(fail(`${url}&c=-1`)).toMatch(/c="-1" is not a journal position/)
    expect(fail(`${url}&c=abc`)).toMatch(/not a journal position/)
    expect(fail(`${url}&p=cmdq,<b>`)).toMatch(/panel name "<b>"/)
    expect(fail(`${url}&p=%E0%A4%A`)).toBe('bad link: the p parameter is not valid percent-encoding')
  })
  test('too large: the payload cap is checked before decoding', () => {
    expect(fail('#s=1.' + 'A'.repeat(MAX_PAYLOAD + 1))).toMatch(/^too large/)
  })
})

describe('compression bombs', () => {
  // 64 MiB of zeros deflates to ~64 KiB (deflate's ~1030:1 limit), well under
  // the 256 KiB payload cap, and would inflate to 16× the 4 MiB cap.
  const bomb = deflateSync(new Uint8Array(64 * 1024 * 1024), { level: 9 })

  test('the bomb is a real one: small link, huge output', () => {
    expect(base64urlEncode(bomb).length).toBeLessThan(MAX_PAYLOAD)
  })
  test('decoding stops at the cap with a message', () => {
    expect(fail(link(bomb))).toBe('too large: the scenario inflates to more than 4 MiB')
  })
  test('inflation stops within one input slice of the cap', () => {
    const r = inflateBounded(bomb, MAX_INFLATED)
    expect(r.ok).toBe(false)
    if (r.ok) return
    // One slice of input inflates to at most 1032 bytes per byte (a 258-byte
    // match per 2 bits, RFC 1951), plus one match carried over.
    expect(r.produced).toBeGreaterThan(MAX_INFLATED)
    expect(r.produced).toBeLessThanOrEqual(MAX_INFLATED + INFLATE_SLICE * 1032 + 258)
  })
  test('a scenario just under the cap still opens', () => {
    const notes = ' '.repeat(MAX_INFLATED - 64)
    const json = { smmuscope: 1, notes, steps: [] }
    const r = decodeShareUrl(encodeShareUrl(json))
    expect(r.ok && (r.json as { notes: string }).notes.length).toBe(notes.length)
  })
})

describe('never throws', () => {
  test('arbitrary strings', () => {
    fc.assert(fc.property(fc.string({ maxLength: 200 }), (s) => {
      expect(typeof decodeShareUrl(s).ok).toBe('boolean')
      expect(typeof decodeShareUrl('#s=1.' + s).ok).toBe('boolean')
    }), { numRuns: 1000 })
  })
  test('valid links with one character changed', () => {
    const url = encodeShareUrl({ smmuscope: 1, title: 'x', steps: [{ op: 'boot' }] }, 5, ['cmdq'])
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.&=%#'
    fc.assert(fc.property(fc.nat(url.length - 1), fc.nat(alphabet.length - 1), (i, c) => {
      const mutated = url.slice(0, i) + alphabet[c] + url.slice(i + 1)
      expect(typeof decodeShareUrl(mutated).ok).toBe('boolean')
    }), { numRuns: 2000 })
  })
  test('a non-string argument', () => {
    expect(decodeShareUrl(42 as unknown as string)).toEqual({ ok: false, message: 'not a link: expected text' })
  })
})
