/**
 * Share URLs (DESIGN.md "URLs"):
 *   #s=1.<base64url(deflate-raw(scenario JSON))>&c=<cursor>&p=<panels>
 * The scenario is encoded, not the engine state: replay rebuilds the state.
 * The "1." prefix versions the encoding itself (not the scenario format,
 * which the JSON carries in `smmuscope` and migrate.ts upgrades).
 *
 * Decoding is bounded: the payload is at most 256 KiB of text, and inflation
 * stops as soon as the output passes 4 MiB (checked while inflating, a slice
 * of input at a time, so a compression bomb never allocates more than the cap
 * plus one slice's worth). Every failure is a message; nothing throws.
 */

import { Inflate, deflateSync } from 'fflate'

/** The encoding version this build writes and reads. */
export const URL_VERSION = '1'
/** Largest encoded payload (base64url characters). */
export const MAX_PAYLOAD = 256 * 1024
/** Largest inflated scenario JSON (bytes). */
export const MAX_INFLATED = 4 * 1024 * 1024
/**
 * Input bytes fed to the inflater per step. Deflate expands at most ~1032:1
 * (a 258-byte match per 2 bits), so one step adds at most ~264 KiB past the cap.
 */
export const INFLATE_SLICE = 256

const PANEL = /^[A-Za-z0-9_-]{1,32}$/
const MAX_PANELS = 32

export type ShareDecode =
  | { readonly ok: true; readonly json: unknown; readonly cursor?: number; readonly panels?: readonly string[] }
  | { readonly ok: false; readonly message: string }

/* ---------------------------------------------------------------- base64url */

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_'
const LOOKUP = new Int16Array(128).fill(-1)
for (let i = 0; i < ALPHABET.length; i++) LOOKUP[ALPHABET.charCodeAt(i)] = i

/** RFC 4648 §5 base64url, without padding. */
export function base64urlEncode(bytes: Uint8Array): string {
  let out = ''
  let i = 0
  for (; i + 2 < bytes.length; i += 3) {
    const n = (bytes[i] << 16) | (bytes[i + 1] << 8) | bytes[i + 2]
    out += ALPHABET[n >> 18] + ALPHABET[(n >> 12) & 63] + ALPHABET[(n >> 6) & 63] + ALPHABET[n & 63]
  }
  const rest = bytes.length - i
  if (rest === 1) {
    const n = bytes[i] << 16
    out += ALPHABET[n >> 18] + ALPHABET[(n >> 12) & 63]
  } else if (rest === 2) {
    const n = (bytes[i] << 16) | (bytes[i + 1] << 8)
    out += ALPHABET[n >> 18] + ALPHABET[(n >> 12) & 63] + ALPHABET[(n >> 6) & 63]
  }
  return out
}

/** Decode unpadded base64url; a message on any character outside the alphabet or an impossible length. */
export function base64urlDecode(s: string): { ok: true; bytes: Uint8Array } | { ok: false; message: string } {
  if (s.length % 4 === 1) return { ok: false, message: `bad base64url: ${s.length} characters cannot encode whole bytes (the link was probably cut short)` }
  const out = new Uint8Array(Math.floor((s.length * 3) / 4))
  let acc = 0
  let bits = 0
  let o = 0
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i)
    const v = c < 128 ? LOOKUP[c] : -1
    if (v < 0) {
      return { ok: false, message: `bad base64url: character ${JSON.stringify(s[i])} at position ${i} is not in A–Z a–z 0–9 - _` }
    }
    acc = ((acc << 6) | v) & 0xffffff
    bits += 6
    if (bits >= 8) {
      bits -= 8
      out[o++] = (acc >> bits) & 0xff
    }
  }
  return { ok: true, bytes: out }
}

/* ---------------------------------------------------------------- inflation */

export type InflateResult =
  | { readonly ok: true; readonly bytes: Uint8Array }
  | { readonly ok: false; readonly message: string; /** Bytes produced before stopping. */ readonly produced: number }

/**
 * Raw-deflate decompression that stops once the output exceeds `max` bytes.
 * Input goes in INFLATE_SLICE bytes at a time and the output is counted after
 * each slice, so a bomb is caught within one slice of the cap.
 */
export function inflateBounded(data: Uint8Array, max: number): InflateResult {
  const chunks: Uint8Array[] = []
  let produced = 0
  let over = false
  let done = false
  const inf = new Inflate((chunk, final) => {
    produced += chunk.length
    if (produced > max) over = true
    else chunks.push(chunk)
    if (final) done = true
  })
  try {
    for (let i = 0; i < data.length && !over; i += INFLATE_SLICE) {
      const end = Math.min(data.length, i + INFLATE_SLICE)
      inf.push(data.subarray(i, end), end === data.length)
    }
    if (data.length === 0) inf.push(new Uint8Array(0), true)
  } catch (e) {
    return { ok: false, produced, message: `bad deflate data: ${e instanceof Error ? e.message : String(e)}` }
  }
  if (over) return { ok: false, produced, message: `too large: the scenario inflates to more than ${max / 1024 / 1024} MiB` }
  if (!done) return { ok: false, produced, message: 'bad deflate data: the stream ends early (the link was probably cut short)' }
  const out = new Uint8Array(produced)
  let o = 0
  for (const c of chunks) {
    out.set(c, o)
    o += c.length
  }
  return { ok: true, bytes: out }
}

/* ------------------------------------------------------------------ encode */

/** JSON with bigints as "0x…" strings, which the scenario format reads back. */
function stringify(json: unknown): string {
  return JSON.stringify(json, (_k, v: unknown) => (typeof v === 'bigint' ? '0x' + v.toString(16) : v))
}

/**
 * The URL fragment for a scenario (raw JSON or a validated scenario: bigints
 * become hex strings), optionally with a journal cursor and open panels.
 * Throws RangeError when the result could not be decoded again (too large,
 * bad cursor or panel name), so no one is handed a link that does not open.
 */
export function encodeShareUrl(json: unknown, cursor?: number, panels?: readonly string[]): string {
  const text = stringify(json)
  if (typeof text !== 'string') throw new RangeError('nothing to share: the scenario is not JSON')
  const bytes = new TextEncoder().encode(text)
  if (bytes.length > MAX_INFLATED) throw new RangeError(`the scenario is ${bytes.length} bytes of JSON; a link holds at most ${MAX_INFLATED}`)
  const payload = base64urlEncode(deflateSync(bytes, { level: 9 }))
  if (payload.length > MAX_PAYLOAD) throw new RangeError(`the compressed scenario is ${payload.length} characters; a link holds at most ${MAX_PAYLOAD}`)
  let out = `#s=${URL_VERSION}.${payload}`
  if (cursor !== undefined) {
    if (!Number.isSafeInteger(cursor) || cursor < 0) throw new RangeError(`cursor ${cursor} is not a journal position`)
    out += `&c=${cursor}`
  }
  if (panels !== undefined && panels.length) {
    const bad = panels.find((p) => !PANEL.test(p))
    if (bad !== undefined) throw new RangeError(`panel name ${JSON.stringify(bad)} is not A–Z a–z 0–9 _ - (at most 32)`)
    if (panels.length > MAX_PANELS) throw new RangeError(`at most ${MAX_PANELS} panels`)
    out += `&p=${panels.join(',')}`
  }
  return out
}

/* ------------------------------------------------------------------ decode */

function fragmentOf(input: string): string | undefined {
  const s = input.trim()
  const hash = s.indexOf('#')
  if (hash >= 0) return s.slice(hash + 1)
  if (/^s=/.test(s)) return s
  return undefined
}

function param(value: string): string | undefined {
  try {
    return decodeURIComponent(value)
  } catch {
    return undefined
  }
}

/**
 * Read a share URL or its fragment ("https://…/#s=1.…&c=12", "#s=1.…",
 * "s=1.…"). Never throws; every failure is a message for the user.
 */
export function decodeShareUrl(hashOrFullUrl: string): ShareDecode {
  try {
    return decode(hashOrFullUrl)
  } catch (e) {
    // Only exhausted memory or a non-string argument can reach this.
    return { ok: false, message: `cannot read the link: ${e instanceof Error ? e.message : String(e)}` }
  }
}

function decode(input: string): ShareDecode {
  if (typeof input !== 'string') return { ok: false, message: 'not a link: expected text' }
  const frag = fragmentOf(input)
  if (frag === undefined) return { ok: false, message: 'not a smmuscope link: there is no #s=… part' }
  if (frag.length > MAX_PAYLOAD + 4096) return { ok: false, message: `too large: the link is ${frag.length} characters; at most ${MAX_PAYLOAD} of scenario` }
  const params = new Map<string, string>()
  for (const part of frag.split('&')) {
    if (part === '') continue
    const eq = part.indexOf('=')
    const key = eq < 0 ? part : part.slice(0, eq)
    const raw = eq < 0 ? '' : part.slice(eq + 1)
    const value = param(raw)
    if (value === undefined) return { ok: false, message: `bad link: the ${key} parameter is not valid percent-encoding` }
    // The first occurrence wins; later parameters we do not know are ignored (newer links may add some).
    if (!params.has(key)) params.set(key, value)
  }
  const s = params.get('s')
  if (s === undefined) return { ok: false, message: 'not a smmuscope link: there is no s= (scenario) parameter' }
  const dot = s.indexOf('.')
  if (dot < 0) return { ok: false, message: 'not a smmuscope link: expected s=1.<data>' }
  const version = s.slice(0, dot)
  if (version !== URL_VERSION) {
    return /^[0-9]+$/.test(version)
      ? { ok: false, message: `this link uses share format ${version}; this smmuscope reads format ${URL_VERSION}` }
      : { ok: false, message: `unknown link version ${JSON.stringify(version.slice(0, 16))}: expected s=${URL_VERSION}.<data>` }
  }
  const payload = s.slice(dot + 1)
  if (payload.length > MAX_PAYLOAD) {
    return { ok: false, message: `too large: the scenario data is ${payload.length} characters; at most ${MAX_PAYLOAD}` }
  }
  if (payload.length === 0) return { ok: false, message: 'bad link: the scenario data is empty' }

  let cursor: number | undefined
  const c = params.get('c')
  if (c !== undefined) {
    if (!/^[0-9]{1,15}$/.test(c)) return { ok: false, message: `bad link: c=${JSON.stringify(c.slice(0, 20))} is not a journal position (a whole number)` }
    cursor = Number(c)
  }
  let panels: string[] | undefined
  const p = params.get('p')
  if (p !== undefined && p !== '') {
    panels = p.split(',')
    const bad = panels.find((x) => !PANEL.test(x))
    if (bad !== undefined) return { ok: false, message: `bad link: panel name ${JSON.stringify(bad.slice(0, 40))} is not A–Z a–z 0–9 _ -` }
    if (panels.length > MAX_PANELS) return { ok: false, message: `bad link: ${panels.length} panels; at most ${MAX_PANELS}` }
  }

  const b = base64urlDecode(payload)
  if (!b.ok) return { ok: false, message: b.message }
  const inf = inflateBounded(b.bytes, MAX_INFLATED)
  if (!inf.ok) return { ok: false, message: inf.message }
  let text: string
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(inf.bytes)
  } catch {
    return { ok: false, message: 'not JSON: the scenario data is not UTF-8 text' }
  }
  let json: unknown
  try {
    json = JSON.parse(text)
  } catch (e) {
    return { ok: false, message: `not JSON: ${e instanceof Error ? e.message : String(e)}` }
  }
  return {
    ok: true,
    json,
    ...(cursor !== undefined && { cursor }),
    ...(panels !== undefined && { panels }),
  }
}
