/**
 * SMMUv3 commands (IHI 0070 4): one layout per opcode over two 64-bit words,
 * Linux's view (cmd0 = bits 63:0 = QEMU's w1:w0, cmd1 = bits 127:64 = w3:w2).
 * The host driver, the hypervisor's filter, the SMMU and the UI all encode
 * and decode through this file.
 */
import { layout, type FieldSpec, type FieldView, type Layout, type Words } from './layout'

/** Every command field, declared once; each opcode's layout picks from these. */
const F = {
  Opcode: { word: 0, bits: [7, 0], desc: 'Command opcode' },
  Global: { word: 0, bits: [9, 9], desc: 'Global: invalidate for all PASIDs (needs SSV=1)', ref: 'IHI 0070 4.5.1' },
  SSec: { word: 0, bits: [10, 10], desc: 'StreamID is Secure (only valid on the Secure command queue)', ref: 'IHI 0070 4.1.6' },
  SSV: { word: 0, bits: [11, 11], desc: 'SubstreamID valid' },
  SSID: { word: 0, bits: [31, 12], desc: 'SubstreamID (PASID)' },
  SID: { word: 0, bits: [63, 32], desc: 'StreamID' },
  NUM: { word: 0, bits: [16, 12], desc: 'Range: NUM+1 granules of 2^SCALE (with TG != 0)', ref: 'IHI 0070 4.4.1' },
  SCALE: { word: 0, bits: [24, 20], desc: 'Range: (NUM+1) x 2^SCALE granules', ref: 'IHI 0070 4.4.1' },
  VMID: { word: 0, bits: [47, 32], desc: 'Virtual machine identifier' },
  ASID: { word: 0, bits: [63, 48], desc: 'Address space identifier' },
  AC: { word: 0, bits: [12, 12], desc: 'Action: 1 = retry the stalled transaction, 0 = terminate it', ref: 'IHI 0070 4.7.1' },
  AB: { word: 0, bits: [13, 13], desc: 'Abort: on terminate, 1 = abort, 0 = RAZ/WI', ref: 'IHI 0070 4.7.1' },
  CS: { word: 0, bits: [13, 12], desc: 'Completion signal', values: { SIG_NONE: 0, SIG_IRQ: 1, SIG_SEV: 2 }, ref: 'IHI 0070 4.7.3' },
  MSH: { word: 0, bits: [23, 22], desc: 'Shareability of the completion MSI write', ref: 'IHI 0070 4.7.3' },
  MSIAttr: { word: 0, bits: [27, 24], desc: 'Memory attributes of the completion MSI write', ref: 'IHI 0070 4.7.3' },
  MSIData: { word: 0, bits: [63, 32], desc: 'Completion MSI payload (32-bit write)', ref: 'IHI 0070 4.7.3' },
  Leaf: { word: 1, bits: [0, 0], desc: 'Leaf: only last-level entries need be invalidated' },
  Range: { word: 1, bits: [4, 0], desc: 'StreamIDs SID[Range:0] are wildcarded (31: every StreamID = CFGI_ALL)', ref: 'IHI 0070 4.3.2' },
  TTL: { word: 1, bits: [9, 8], desc: 'Translation table level of the leaf (0 = unknown)', ref: 'IHI 0070 4.4.1' },
  TG: { word: 1, bits: [11, 10], desc: 'Granule of the range (0 = not a range)', values: { none: 0, '4K': 1, '16K': 2, '64K': 3 }, ref: 'IHI 0070 4.4.1' },
  VA: { word: 1, bits: [63, 12], kind: 'address', desc: 'Address[63:12] (VA, bits 11:0 are zero)' },
  IPA: { word: 1, bits: [51, 12], kind: 'address', desc: 'IPA[51:12] (bits 11:0 are zero)' },
  PrefetchSize: { word: 1, bits: [4, 0], desc: 'log2 of the number of translations to prefetch', ref: 'IHI 0070 4.2.2' },
  ATCSize: { word: 1, bits: [5, 0], desc: 'Span is 4K x 2^Size (52 = everything)', ref: 'IHI 0070 4.5.1' },
  STAG: { word: 1, bits: [15, 0], desc: 'Stall tag from the fault event', ref: 'IHI 0070 4.7.1' },
  PRGIndex: { word: 1, bits: [8, 0], desc: 'Page request group index (Linux: GRPID)', ref: 'IHI 0070 4.5.2' },
  Resp: { word: 1, bits: [13, 12], desc: 'PRI response', values: { ResponseFailure: 0, InvalidRequest: 1, Success: 2 }, ref: 'IHI 0070 4.5.2' },
  MSIAddr: { word: 1, bits: [51, 2], kind: 'address', desc: 'Completion MSI address (0 with CS=SIG_IRQ: wired interrupt)', ref: 'IHI 0070 4.7.3' },
} as const satisfies Record<string, FieldSpec>

function def<const S extends Record<string, FieldSpec>>(name: string, opcode: number, desc: string, ref: string, specs: S) {
  return {
    name,
    opcode,
    desc,
    layout: layout(name, { words: 2, ref, title: `CMD_${name}` }, { Opcode: F.Opcode, ...specs }),
  }
}

// Address-range TLBI fields shared by the *_VA / *_VAA / EL3_VA commands.
const RANGE0 = { NUM: F.NUM, SCALE: F.SCALE } as const
const RANGE1 = { Leaf: F.Leaf, TTL: F.TTL, TG: F.TG, Address: F.VA } as const

/** The command set, by name (IHI 0070 4.2-4.7; opcodes in 4.1.2). */
export const COMMANDS = {
  PREFETCH_CONFIG: def('PREFETCH_CONFIG', 0x01, 'Prefetch the STE and CD of a stream', 'IHI 0070 4.2.1', { SSec: F.SSec, SSV: F.SSV, SSID: F.SSID, SID: F.SID }),
  // SMMUv3.1's Stride and the Secure-only NS bit are not modelled: this model never prefetches.
  PREFETCH_ADDR: def('PREFETCH_ADDR', 0x02, 'Prefetch configuration and TLB entries for an address span', 'IHI 0070 4.2.2', { SSec: F.SSec, SSV: F.SSV, SSID: F.SSID, SID: F.SID, Size: F.PrefetchSize, Address: F.VA }),
  CFGI_STE: def('CFGI_STE', 0x03, 'Invalidate cached STE (and L1STD unless Leaf) of a StreamID', 'IHI 0070 4.3.1', { SSec: F.SSec, SID: F.SID, Leaf: F.Leaf }),
  CFGI_STE_RANGE: def('CFGI_STE_RANGE', 0x04, 'Invalidate cached STEs of 2^(Range+1) StreamIDs (Range 31: CFGI_ALL)', 'IHI 0070 4.3.2', { SSec: F.SSec, SID: F.SID, Range: F.Range }),
  CFGI_CD: def('CFGI_CD', 0x05, 'Invalidate a cached CD (and L1CD unless Leaf)', 'IHI 0070 4.3.3', { SSec: F.SSec, SSID: F.SSID, SID: F.SID, Leaf: F.Leaf }),
  CFGI_CD_ALL: def('CFGI_CD_ALL', 0x06, 'Invalidate every cached CD of a StreamID', 'IHI 0070 4.3.4', { SSec: F.SSec, SID: F.SID }),
  TLBI_NH_ALL: def('TLBI_NH_ALL', 0x10, 'Invalidate all stage-1 NS-EL1 entries of a VMID', 'IHI 0070 4.4.2', { VMID: F.VMID }),
  TLBI_NH_ASID: def('TLBI_NH_ASID', 0x11, 'Invalidate stage-1 entries of an ASID in a VMID', 'IHI 0070 4.4.2', { VMID: F.VMID, ASID: F.ASID }),
  TLBI_NH_VA: def('TLBI_NH_VA', 0x12, 'Invalidate stage-1 entries of a VA (range) for an ASID and VMID', 'IHI 0070 4.4.2', { ...RANGE0, VMID: F.VMID, ASID: F.ASID, ...RANGE1 }),
  TLBI_NH_VAA: def('TLBI_NH_VAA', 0x13, 'Invalidate stage-1 entries of a VA (range) for all ASIDs of a VMID', 'IHI 0070 4.4.2', { ...RANGE0, VMID: F.VMID, ...RANGE1 }),
  TLBI_EL3_ALL: def('TLBI_EL3_ALL', 0x18, 'Invalidate all EL3 entries (Secure queue only)', 'IHI 0070 4.4.3', {}),
  TLBI_EL3_VA: def('TLBI_EL3_VA', 0x1a, 'Invalidate EL3 entries of a VA (Secure queue only)', 'IHI 0070 4.4.3', { ...RANGE0, ...RANGE1 }),
  TLBI_EL2_ALL: def('TLBI_EL2_ALL', 0x20, 'Invalidate all EL2 entries', 'IHI 0070 4.4.4', {}),
  TLBI_EL2_ASID: def('TLBI_EL2_ASID', 0x21, 'Invalidate EL2-E2H entries of an ASID', 'IHI 0070 4.4.4', { ASID: F.ASID }),
  TLBI_EL2_VA: def('TLBI_EL2_VA', 0x22, 'Invalidate EL2 entries of a VA (range) for an ASID', 'IHI 0070 4.4.4', { ...RANGE0, ASID: F.ASID, ...RANGE1 }),
  TLBI_EL2_VAA: def('TLBI_EL2_VAA', 0x23, 'Invalidate EL2 entries of a VA (range) for all ASIDs', 'IHI 0070 4.4.4', { ...RANGE0, ...RANGE1 }),
  TLBI_S12_VMALL: def('TLBI_S12_VMALL', 0x28, 'Invalidate all stage-1 and stage-2 entries of a VMID', 'IHI 0070 4.4.5', { VMID: F.VMID }),
  TLBI_S2_IPA: def('TLBI_S2_IPA', 0x2a, 'Invalidate stage-2 entries of an IPA (range) in a VMID', 'IHI 0070 4.4.5', { ...RANGE0, VMID: F.VMID, Leaf: F.Leaf, TTL: F.TTL, TG: F.TG, Address: F.IPA }),
  TLBI_NSNH_ALL: def('TLBI_NSNH_ALL', 0x30, 'Invalidate all Non-secure non-Hyp entries (every VMID)', 'IHI 0070 4.4.6', {}),
  ATC_INV: def('ATC_INV', 0x40, 'Invalidate a device ATC (PCIe ATS invalidation)', 'IHI 0070 4.5.1', { Global: F.Global, SSV: F.SSV, SSID: F.SSID, SID: F.SID, Size: F.ATCSize, Address: F.VA }),
  PRI_RESP: def('PRI_RESP', 0x41, 'Respond to a PRI page request group', 'IHI 0070 4.5.2', { SSV: F.SSV, SSID: F.SSID, SID: F.SID, PRGIndex: F.PRGIndex, Resp: F.Resp }),
  RESUME: def('RESUME', 0x44, 'Retry or terminate a stalled transaction', 'IHI 0070 4.7.1', { SSec: F.SSec, AC: F.AC, AB: F.AB, SID: F.SID, STAG: F.STAG }),
  STALL_TERM: def('STALL_TERM', 0x45, 'Terminate every stalled transaction of a StreamID', 'IHI 0070 4.7.2', { SSec: F.SSec, SID: F.SID }),
  SYNC: def('SYNC', 0x46, 'Complete every earlier command, then signal', 'IHI 0070 4.7.3', { CS: F.CS, MSH: F.MSH, MSIAttr: F.MSIAttr, MSIData: F.MSIData, MSIAddr: F.MSIAddr }),
} as const

type Defs = typeof COMMANDS
export type CommandOp = keyof Defs
export interface CommandDef {
  readonly name: string
  readonly opcode: number
  readonly desc: string
  readonly layout: Layout
}

type FieldsOf<K extends CommandOp> = Defs[K]['layout'] extends Layout<infer N> ? Exclude<N, 'Opcode'> : never
/** 64-bit address fields decode to a bigint when they do not fit a double exactly. */
type Value<Fld> = Fld extends 'Address' ? number | bigint : number

export interface UnknownCommand {
  readonly op: 'UNKNOWN'
  readonly opcode: number
  readonly words: readonly [bigint, bigint]
}

/**
 * A decoded command: every field of its opcode, named as in the specification.
 * CFGI_STE_RANGE with Range=31 carries `alias: 'CFGI_ALL'` (IHI 0070 4.3.2: CMD_CFGI_ALL
 * is that encoding, not an opcode of its own).
 */
export type Command =
  | { [K in CommandOp]: { readonly op: K } & { readonly [Fld in FieldsOf<K>]: Value<Fld> } & (K extends 'CFGI_STE_RANGE' ? { readonly alias?: 'CFGI_ALL' } : unknown) }[CommandOp]
  | UnknownCommand

type InputValue = number | bigint | string | boolean
/** What encodeCommand accepts: fields may be omitted (zero), enum fields by name; CFGI_ALL is accepted as an op. */
export type CommandInput =
  | { [K in CommandOp]: { readonly op: K } & { readonly [Fld in FieldsOf<K>]?: InputValue } & { readonly alias?: string } }[CommandOp]
  | { readonly op: 'CFGI_ALL'; readonly SSec?: InputValue; readonly SID?: InputValue; readonly Range?: 31 }
  | UnknownCommand

/** Every command, ordered by opcode. */
export const OPCODES: readonly CommandDef[] = (Object.values(COMMANDS) as CommandDef[]).slice().sort((a, b) => a.opcode - b.opcode)

const BY_OPCODE = new Map<number, CommandDef>(OPCODES.map((d) => [d.opcode, d]))
const BY_NAME = new Map<string, CommandDef>(OPCODES.map((d) => [d.name, d]))
/** What describeCommand shows for an opcode the architecture does not define. */
const UNKNOWN_LAYOUT = layout('UNKNOWN', { words: 2, ref: 'IHI 0070 4.1.2' }, { Opcode: F.Opcode })

/** The layout of an opcode, or undefined for an undefined opcode. */
export function commandLayout(opcode: number): Layout | undefined {
  return BY_OPCODE.get(opcode)?.layout
}

/** The specification name of an opcode (without CMD_), or undefined. */
export function opcodeName(opcode: number): string | undefined {
  return BY_OPCODE.get(opcode)?.name
}

/** A command's display name: its alias (CFGI_ALL), its op, or UNKNOWN(0xNN). */
export function commandName(c: Command): string {
  if (c.op === 'UNKNOWN') return `UNKNOWN(0x${c.opcode.toString(16)})`
  return ('alias' in c && c.alias) || c.op
}

const RANGE_ALL = 31

export function encodeCommand(c: CommandInput): [bigint, bigint] {
  if (c.op === 'UNKNOWN') return [c.words[0], c.words[1]]
  const d = BY_NAME.get(c.op === 'CFGI_ALL' ? 'CFGI_STE_RANGE' : c.op)!
  const values: Record<string, InputValue> = {}
  for (const [k, v] of Object.entries(c) as [string, InputValue | undefined][]) {
    if (k === 'op' || k === 'alias' || v === undefined) continue
    if (k === 'Opcode') throw new RangeError(`${d.name}: the opcode comes from op, not from an Opcode field`)
    values[k] = v
  }
  if (c.op === 'CFGI_ALL') values.Range = RANGE_ALL
  values.Opcode = d.opcode
  const w = d.layout.encode(values)
  return [w[0], w[1]]
}

export function decodeCommand(words: Words): Command {
  const w: readonly [bigint, bigint] = [words[0] ?? 0n, words[1] ?? 0n]
  const opcode = Number(w[0] & 0xffn)
  const d = BY_OPCODE.get(opcode)
  if (!d) return { op: 'UNKNOWN', opcode, words: w }
  const fields: Record<string, number | bigint | string> = { op: d.name }
  for (const [k, v] of Object.entries(d.layout.decode(w))) if (k !== 'Opcode') fields[k] = v
  if (d.name === 'CFGI_STE_RANGE' && fields.Range === RANGE_ALL) fields.alias = 'CFGI_ALL'
  return fields as unknown as Command
}

/** Every field of the command in these words (Opcode first): the inspector's and the trace's view. */
export function describeCommand(words: Words): FieldView[] {
  const d = BY_OPCODE.get(Number((words[0] ?? 0n) & 0xffn))
  return (d?.layout ?? UNKNOWN_LAYOUT).describe(words)
}

/** Bits set outside the opcode's declared fields (RES0 bits), per word; all of them for an undefined opcode. */
export function commandReservedBits(words: Words): [bigint, bigint] {
  const l = commandLayout(Number((words[0] ?? 0n) & 0xffn)) ?? UNKNOWN_LAYOUT
  const M = (1n << 64n) - 1n
  return [(words[0] ?? 0n) & ~l.declaredMask(0) & M, (words[1] ?? 0n) & ~l.declaredMask(1) & M]
}

// Other spellings users bring from the spec's prose, Linux and QEMU.
const FIELD_ALIASES: Readonly<Record<string, string>> = {
  streamid: 'SID',
  substreamid: 'SSID',
  grpid: 'PRGIndex',
  addr: 'Address',
  resp: 'Resp',
  action: 'AC',
  abort: 'AB',
}

/**
 * A command from a name and named fields, as the scenario's `cmd` op writes it:
 * `commandFromFields('TLBI_NH_VA', { ASID: 1, Address: '0x8000_0000', TG: '4K', NUM: 3 })`.
 * Names are matched without regard to case (a CMD_ prefix is allowed); fields too,
 * with StreamID/SubstreamID/GRPID accepted for SID/SSID/PRGIndex. Unknown names,
 * values that do not fit and unknown enum names throw an Error saying which and why.
 */
export function commandFromFields(opcodeName: string, fields: Readonly<Record<string, number | bigint | string | boolean>>): Command {
  const wanted = opcodeName.toUpperCase().replace(/^CMD_/, '')
  const isAll = wanted === 'CFGI_ALL'
  const d = BY_NAME.get(isAll ? 'CFGI_STE_RANGE' : wanted)
  if (!d) throw new Error(`unknown command '${opcodeName}'; commands are ${[...BY_NAME.keys(), 'CFGI_ALL'].join(', ')}`)
  const shown = isAll ? 'CFGI_ALL' : d.name
  const names = d.layout.order.map((f) => f.name).filter((n) => n !== 'Opcode' && !(isAll && n === 'Range'))
  const values: Record<string, InputValue> = {}
  for (const [key, v] of Object.entries(fields)) {
    const lower = key.toLowerCase()
    const name = names.find((n) => n.toLowerCase() === lower) ?? names.find((n) => n === FIELD_ALIASES[lower])
    if (isAll && lower === 'range') {
      if (Number(v) !== RANGE_ALL) throw new Error(`CFGI_ALL has Range 31; use CFGI_STE_RANGE for Range ${String(v)}`)
      continue
    }
    if (!name) throw new Error(`${shown} has no field ${key}; its fields are ${names.join(', ') || '(none)'}`)
    if (typeof v === 'number' && !Number.isSafeInteger(v)) throw new Error(`${shown}.${name}: ${v} is not an integer`)
    values[name] = v
  }
  values.Opcode = d.opcode
  if (isAll) values.Range = RANGE_ALL
  let w: bigint[]
  try {
    w = d.layout.encode(values)
  } catch (e) {
    throw new Error(e instanceof Error ? e.message.replace(/^CFGI_STE_RANGE\./, `${shown}.`) : String(e), { cause: e })
  }
  return decodeCommand(w)
}
