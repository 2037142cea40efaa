/**
 * The journal as the CLI prints it (DESIGN.md "Headless runner (CLI) and its
 * trace"): one JSON record per line, and a one-line summary per record for
 * people who read QEMU traces and kernel logs.
 *
 * JSON-safety rules (the contract): numbers above 2^32 become "0x…" strings;
 * bigints become numbers up to 2^32, else "0x…" strings; `raw` is always an
 * array of 64-bit words as 16-digit "0x…" strings, word 0 first; byte arrays
 * become hex byte strings (address order, no "0x", so they are never
 * mistaken for numbers). Internal fields (`changes`, `mem`, `end`) are
 * dropped, except what a reader needs: a `mem.write` shows pa, size, value
 * and old; a `state` record shows map, key, old and new.
 */

import { hex64 } from '../arch/u64'
import type { Change, JRecord, MemChange } from '../journal/journal'

const TWO32 = 2 ** 32
const TWO32N = 1n << 32n
const MAX_DEPTH = 8
const INTERNAL = new Set(['kind', 'actor', 'depth', 'end', 'changes', 'mem'])

/* -------------------------------------------------------------- JSON-safety */

function hexOf(v: number | bigint): string {
  return '0x' + (typeof v === 'bigint' ? BigInt.asUintN(64, v) : v).toString(16)
}

/** Bytes in address order as hex: "0a1b2c…". */
export function bytesHex(b: Uint8Array): string {
  let s = ''
  for (const x of b) s += x.toString(16).padStart(2, '0')
  return s
}

/** A value made JSON-safe by the rules above (undefined stays undefined: the caller drops it). */
export function jsonSafe(v: unknown, depth = 0): unknown {
  switch (typeof v) {
    case 'bigint':
      return v <= TWO32N && v >= -TWO32N ? Number(v) : hexOf(v)
    case 'number':
      return Number.isInteger(v) && v > TWO32 ? hexOf(Number.isSafeInteger(v) ? v : BigInt(v)) : v
    case 'string':
    case 'boolean':
      return v
    case 'undefined':
    case 'function':
    case 'symbol':
      return undefined
  }
  if (v === null) return null
  if (depth >= MAX_DEPTH) return '…'
  if (v instanceof Uint8Array) return bytesHex(v)
  if (ArrayBuffer.isView(v)) {
    const list = v instanceof DataView ? [] : Array.from(v as unknown as ArrayLike<number | bigint>)
    return list.map((x) => jsonSafe(x, depth + 1))
  }
  if (Array.isArray(v)) return v.map((x) => jsonSafe(x, depth + 1) ?? null)
  if (v instanceof Map) {
    const o: Record<string, unknown> = {}
    for (const [k, x] of v) {
      const s = jsonSafe(x, depth + 1)
      if (s !== undefined) o[String(k)] = s
    }
    return o
  }
  if (v instanceof Set) return [...v].map((x) => jsonSafe(x, depth + 1) ?? null)
  const o: Record<string, unknown> = {}
  for (const [k, x] of Object.entries(v as Record<string, unknown>)) {
    const s = jsonSafe(x, depth + 1)
    if (s !== undefined) o[k] = s
  }
  return o
}

/** A 64-bit word from whatever a record holds (bigint, number, "0x…" string). */
function word(v: unknown): bigint | undefined {
  if (typeof v === 'bigint') return v
  if (typeof v === 'number' && Number.isInteger(v)) return BigInt(v)
  if (typeof v === 'string' && /^(0x[0-9a-f]+|[0-9]+)$/i.test(v)) return BigInt(v)
  return undefined
}

/** `raw` as 16-digit hex words, word 0 first, from words or little-endian bytes. */
export function rawWords(raw: unknown): string[] {
  if (raw instanceof Uint8Array) {
    const out: string[] = []
    for (let i = 0; i < raw.length; i += 8) {
      let w = 0n
      for (let k = Math.min(7, raw.length - 1 - i); k >= 0; k--) w = (w << 8n) | BigInt(raw[i + k])
      out.push(hex64(w))
    }
    return out
  }
  const list: unknown[] = Array.isArray(raw) || ArrayBuffer.isView(raw) ? Array.from(raw as ArrayLike<unknown>) : [raw]
  return list.map((x) => {
    const w = word(x)
    return w === undefined ? String(x) : hex64(w)
  })
}

/** Little-endian bytes as the value they store, padded to their width: "0x00000003". */
function leValue(b: Uint8Array): string {
  let v = 0n
  for (let i = b.length - 1; i >= 0; i--) v = (v << 8n) | BigInt(b[i])
  return '0x' + v.toString(16).padStart(b.length * 2, '0')
}

function memFields(m: MemChange): Record<string, unknown> {
  const small = m.value.length <= 8
  return {
    pa: jsonSafe(m.pa),
    size: m.value.length,
    value: small ? leValue(m.value) : bytesHex(m.value),
    old: small ? leValue(m.old) : bytesHex(m.old),
  }
}

/**
 * One journal record as the CLI's JSONL record: i, depth, actor, kind, then
 * the kind's fields, JSON-safe.
 */
export function toTraceRecord(rec: JRecord, i: number): Record<string, unknown> {
  const out: Record<string, unknown> = { i, depth: rec.depth, actor: rec.actor, kind: rec.kind }
  for (const [k, v] of Object.entries(rec)) {
    if (INTERNAL.has(k)) continue
    const s = k === 'raw' ? rawWords(v) : jsonSafe(v)
    if (s !== undefined) out[k] = s
  }
  if (rec.kind === 'mem.write' && rec.mem?.length) {
    if (rec.mem.length === 1) Object.assign(out, memFields(rec.mem[0]))
    else out.writes = rec.mem.map(memFields)
  }
  if (rec.kind === 'state' && rec.changes?.length) {
    const c: Change = rec.changes[0]
    out.old = jsonSafe(c[2]) ?? null
    out.new = jsonSafe(c[3]) ?? null
    if (rec.changes.length > 1) out.more = rec.changes.length - 1
  }
  return out
}

/** Records [from, to) as JSON lines, each ending in a newline. */
export function formatJsonl(records: readonly JRecord[], from = 0, to = records.length): string {
  let s = ''
  for (let i = Math.max(0, from); i < Math.min(to, records.length); i++) s += JSON.stringify(toTraceRecord(records[i], i)) + '\n'
  return s
}

/* ------------------------------------------------------------ one-line text */

const MAX_TEXT = 240

/** Command and event fields first in the order a reader scans them. */
const FIELD_ORDER = ['SID', 'SSID', 'SSV', 'ASID', 'VMID', 'Address', 'NUM', 'SCALE', 'TTL', 'TG', 'Leaf', 'Range', 'CS']

function isAddressName(k: string): boolean {
  return /addr|address|ptr|ttb|^pa$|^ipa$|^iova$|^base$|^input$/i.test(k)
}

/** A value for a human: hex for addresses and wide values, decimal for small counts and IDs. */
function show(k: string, v: unknown): string {
  if (typeof v === 'bigint' || (typeof v === 'number' && Number.isInteger(v))) {
    const n = BigInt(v)
    return isAddressName(k) || n > 0xffffn || n < 0n ? (n < 0n ? String(n) : hexOf(n)) : n.toString()
  }
  if (typeof v === 'string') return v
  if (typeof v === 'boolean') return v ? '1' : '0'
  if (v === undefined) return '?'
  const s = JSON.stringify(jsonSafe(v))
  return s.length > 60 ? s.slice(0, 59) + '…' : s
}

/** The spec-named fields of a record (capitalised keys: ASID, Address, TG…), ordered. */
function specFields(rec: JRecord): string {
  const keys = Object.keys(rec).filter((k) => /^[A-Z]/.test(k) && rec[k] !== undefined)
  keys.sort((a, b) => rank(a) - rank(b))
  return keys.map((k) => `${k}=${show(k, rec[k])}`).join(' ')
}

function rank(k: string): number {
  const i = FIELD_ORDER.indexOf(k)
  return i < 0 ? FIELD_ORDER.length : i
}

function padHex(v: unknown, bytes: number): string {
  const w = word(v)
  if (w === undefined) return '?'
  return '0x' + BigInt.asUintN(64, w).toString(16).padStart(bytes * 2, '0')
}

function joinText(...parts: (string | false | undefined)[]): string {
  const s = parts.filter((p) => p !== undefined && p !== false && p !== '').join(' ')
  return s.length > MAX_TEXT ? s.slice(0, MAX_TEXT - 1) + '…' : s
}

function str(v: unknown): string | undefined {
  return typeof v === 'string' ? v : v === undefined || v === null ? undefined : show('', v)
}

function firstWords(raw: unknown, n: number): string {
  const words = rawWords(raw)
  return words.slice(0, n).join(' ') + (words.length > n ? ' …' : '')
}

function sizeText(bits: unknown): string {
  if (typeof bits !== 'number') return ''
  if (bits >= 40) return `${2 ** (bits - 40)}T`
  if (bits >= 30) return `${2 ** (bits - 30)}G`
  if (bits >= 20) return `${2 ** (bits - 20)}M`
  return `${2 ** (bits - 10)}K`
}

function accessText(a: unknown): string | undefined {
  if (typeof a === 'string') return a
  if (typeof a === 'object' && a !== null) {
    const o = a as { read?: unknown; write?: unknown }
    return o.write ? 'write' : o.read ? 'read' : undefined
  }
  return undefined
}

/** Fields not already shown, as k=v: the generic tail. */
function rest(rec: JRecord, shown: readonly string[]): string {
  return Object.keys(rec)
    .filter((k) => !INTERNAL.has(k) && !shown.includes(k) && k !== 'raw' && rec[k] !== undefined && !/^[A-Z]/.test(k))
    .map((k) => `${k}=${show(k, rec[k])}`)
    .join(' ')
}

const STAGE_NAME: Readonly<Record<string, string>> = { '1': 'S1', '2': 'S2', '12': 'S1+S2' }

/** One-line human summary of a record, in the vocabulary of the spec and the Linux driver. */
export function traceText(rec: JRecord): string {
  const r = rec
  switch (r.kind) {
    case 'op':
      return joinText(`step ${show('index', r.index)}: ${str(r.op) ?? '?'}`, typeof r.note === 'string' && `— ${r.note}`)
    case 'mmio': {
      const size = typeof r.size === 'number' ? r.size : 4
      const name = str(r.reg) ?? `+${show('offset', r.offset)}`
      return joinText(name, r.write ? '<-' : '->', 'value' in r ? padHex(r.value, size) : '?', size !== 4 && size !== 8 && `(${size}-byte)`, r.trapped === true && '(trapped)')
    }
    case 'cmd.issue':
      return joinText(`CMDQ[${show('index', r.index)}] <-`, str(r.opcode), specFields(r) || firstWords(r.raw, 2))
    case 'hyp.cmd':
      return joinText(str(r.opcode), specFields(r), `: ${str(r.verdict) ?? '?'}`, typeof r.reason === 'string' && `(${r.reason})`).replace(' : ', ': ')
    case 'cmd.consume':
      return joinText(`${str(r.queue) ?? ''} CMDQ[${show('index', r.index)}]:`.trim(), str(r.opcode), specFields(r))
    case 'ste.write':
    case 'cd.write': {
      const what = r.kind === 'ste.write' ? 'STE' : 'CD'
      const id = r.kind === 'ste.write' ? show('sid', r.sid) : `${show('sid', r.sid)}/${show('ssid', r.ssid)}`
      return joinText(str(r.table), `${what}[${id}] <-`, firstWords(r.raw, 4))
    }
    case 'ptw.read':
      return joinText(
        `${STAGE_NAME[show('stage', r.stage)] ?? 'S?'} L${show('level', r.level)}`,
        `[${show('address', r.address)}] =`,
        firstWords(r.raw, 1),
        typeof r.type === 'string' && `(${r.type})`,
        typeof r.forS1 === 'number' && `for S1 step ${r.forS1}`,
      )
    case 'tlb.hit':
    case 'tlb.miss':
    case 'tlb.insert':
    case 'tlb.evict': {
      const verb = r.kind.slice(4)
      const input = typeof r.ipn === 'number' ? hexOf(r.ipn * 4096) : undefined
      return joinText(
        `IOTLB ${verb}:`,
        r.asid !== undefined && `ASID=${show('asid', r.asid)}`,
        r.vmid !== undefined && `VMID=${show('vmid', r.vmid)}`,
        r.stage !== undefined && (STAGE_NAME[show('stage', r.stage)] ?? `stage ${show('stage', r.stage)}`),
        input,
        typeof r.sizeBits === 'number' && `(${sizeText(r.sizeBits)})`,
        r.pa !== undefined && `-> ${show('pa', r.pa)}`,
        typeof r.reason === 'string' && `(${r.reason})`,
      )
    }
    case 'tlb.invalidate':
      return joinText(`IOTLB invalidate${typeof r.command === 'string' ? ` (${r.command})` : ''}:`, `${show('count', r.count)} removed`, rest(r, ['command', 'count']))
    case 'cfg.hit':
    case 'cfg.miss':
    case 'cfg.insert':
    case 'cfg.invalidate':
      return joinText(
        `config cache ${r.kind.slice(4)}:`,
        r.sid !== undefined && `SID=${show('sid', r.sid)}`,
        r.ssid !== undefined && `SSID=${show('ssid', r.ssid)}`,
        r.count !== undefined && `${show('count', r.count)} removed`,
        rest(r, ['sid', 'ssid', 'count']),
      )
    case 'host.event':
      // The driver's kernel log line, with the record's decoded fields.
      return joinText(
        `arm-smmu-v3: ${str(r.message) ?? '?'}`,
        typeof r.type === 'string' && `(${r.type}`,
        r.sid !== undefined && `SID=${show('sid', r.sid)}`,
        r.input !== undefined && `input=${show('input', r.input)}`,
        r.address !== undefined && `from ${show('address', r.address)})`,
      )
    case 'event':
      return joinText(
        `EVTQ <- ${str(r.type) ?? '?'}`,
        r.sid !== undefined && `SID=${show('sid', r.sid)}`,
        r.ssid !== undefined && r.ssv !== false && `SSID=${show('ssid', r.ssid)}`,
        r.input !== undefined && `input=${show('input', r.input)}`,
        r.addr2 !== undefined && `addr2=${show('addr2', r.addr2)}`,
        r.stage !== undefined && `S${show('stage', r.stage)}`,
        r.class !== undefined && `CLASS=${show('class', r.class)}`,
        r.written === false && `(not written${typeof r.why === 'string' ? `: ${r.why}` : ''})`,
      )
    case 'dma':
      return joinText(
        str(r.device) ?? 'device',
        r.sid !== undefined && `(SID ${show('sid', r.sid)}${r.ssid !== undefined ? `, SSID ${show('ssid', r.ssid)}` : ''})`,
        accessText(r.access),
        show('iova', r.iova),
        '->',
        str(r.result) ?? '…',
        r.pa !== undefined && show('pa', r.pa),
        typeof r.reason === 'string' && r.result !== 'ok' && `(${r.reason})`,
      )
    case 'own':
      return joinText(`page ${show('pa', r.pa)}${r.size !== undefined && r.size !== 4096 ? ` (+${show('size', r.size)})` : ''}:`, str(r.of) ?? '', str(r.state), `(owner ${str(r.owner) ?? '?'})`)
    case 'expect':
      return joinText(r.ok ? 'expect ok:' : 'expect FAILED:', str(r.message))
    case 'mem.write': {
      const m = r.mem?.[0]
      if (!m) return joinText(`[${show('pa', r.pa)}] written,`, `${show('size', r.size)} bytes`)
      if (m.value.length <= 8) return joinText(`[${show('pa', m.pa)}] <-`, leValue(m.value), `(was ${leValue(m.old)})`)
      return joinText(`[${show('pa', m.pa)}] <-`, `${m.value.length} bytes`, (r.mem?.length ?? 0) > 1 && `(+${(r.mem?.length ?? 1) - 1} more writes)`)
    }
    case 'state': {
      const c = r.changes?.[0]
      // Register values read better in hex, whatever their size.
      const regs = typeof r.map === 'string' && /reg/i.test(r.map)
      const fmt = (v: unknown): string =>
        v === undefined ? '(none)' : regs && (typeof v === 'number' || typeof v === 'bigint') ? hexOf(v) : show('', v)
      return joinText(`${str(r.map) ?? '?'}[${show('key', r.key)}]:`, c ? `${fmt(c[2])} -> ${fmt(c[3])}` : '')
    }
    default: {
      const why = [r.message, r.reason, r.why].find((x): x is string => typeof x === 'string')
      return joinText(r.kind + (why ? ':' : ''), why, specFields(r), rest(r, ['message', 'reason', 'why']))
    }
  }
}

/** What the trace's closing `summary` record is made from (engine/cli/main.ts and the app's JSONL export). */
export interface RunOutcome {
  readonly title: string
  readonly records: number
  /** Steps run (all of them, or the CLI's --until). */
  readonly steps: number
  readonly expectations: readonly { readonly ok: boolean }[]
  readonly stopped?: { readonly step: number; readonly message: string }
}

/** The summary record that follows the journal in `--jsonl` output, field for field. */
export function summaryRecord(o: RunOutcome): Record<string, unknown> {
  return {
    i: o.records,
    depth: 0,
    actor: 'scenario',
    kind: 'summary',
    title: o.title,
    records: o.records,
    steps: o.steps,
    expectations: o.expectations.length,
    failed: o.expectations.filter((e) => !e.ok).length,
    stopped: o.stopped,
  }
}
