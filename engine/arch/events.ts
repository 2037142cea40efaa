/**
 * SMMUv3 event records (IHI 0070 7.3): 32 bytes, four 64-bit words. Word 0
 * identifies the event and the stream; word 1 the transaction's attributes
 * and the fault's stage and class; word 2 the input address; word 3 the IPA
 * (translation faults) or the fetch address (F_STE_FETCH, F_CD_FETCH, F_WALK_EABT).
 * Each event type uses the layout of its shape; the fields are declared once.
 */
import { layout, type FieldSpec, type FieldView, type Layout, type Words } from './layout'

/** Event numbers by name (IHI 0070 7.3.2-7.3.22). */
export const EVENT_CODES = {
  F_UUT: 0x01,
  C_BAD_STREAMID: 0x02,
  F_STE_FETCH: 0x03,
  C_BAD_STE: 0x04,
  F_BAD_ATS_TREQ: 0x05,
  F_STREAM_DISABLED: 0x06,
  // QEMU spells it F_TRANS_FORBIDDEN; the architecture F_TRANSL_FORBIDDEN (IHI 0070 7.3.8).
  F_TRANSL_FORBIDDEN: 0x07,
  C_BAD_SUBSTREAMID: 0x08,
  F_CD_FETCH: 0x09,
  C_BAD_CD: 0x0a,
  F_WALK_EABT: 0x0b,
  F_TRANSLATION: 0x10,
  F_ADDR_SIZE: 0x11,
  F_ACCESS: 0x12,
  F_PERMISSION: 0x13,
  F_TLB_CONFLICT: 0x20,
  F_CFG_CONFLICT: 0x21,
  E_PAGE_REQ: 0x24,
} as const

export type EventName = keyof typeof EVENT_CODES

/** The type-code table: event name by event number. */
export const EVENT_TYPES: Readonly<Record<number, EventName>> = Object.fromEntries(
  (Object.entries(EVENT_CODES) as [EventName, number][]).map(([n, c]) => [c, n]),
)
export type EventClass = 'CD' | 'TT' | 'IN'

const REF = 'IHI 0070 7.3'
const CLASS_VALUES = { CD: 0, TT: 1, IN: 2 } as const

const F = {
  Type: { word: 0, bits: [7, 0], desc: 'Event number', values: EVENT_CODES },
  SSV: { word: 0, bits: [11, 11], desc: 'SubstreamID valid' },
  SSID: { word: 0, bits: [31, 12], desc: 'SubstreamID of the transaction (valid when SSV=1)' },
  SID: { word: 0, bits: [63, 32], desc: 'StreamID of the transaction' },
  STAG: { word: 1, bits: [15, 0], desc: 'Stall tag, for CMD_RESUME (valid when Stall=1)' },
  Stall: { word: 1, bits: [31, 31], desc: 'The transaction is stalled awaiting CMD_RESUME' },
  PnU: { word: 1, bits: [33, 33], desc: 'Privileged (1) or unprivileged (0), after STE overrides' },
  InD: { word: 1, bits: [34, 34], desc: 'Instruction (1) or data (0), after STE overrides' },
  RnW: { word: 1, bits: [35, 35], desc: 'Read (1) or write (0)' },
  NSIPA: { word: 1, bits: [38, 38], desc: 'IPA is Non-secure (Secure event queue, S2=1 only)' },
  S2: { word: 1, bits: [39, 39], desc: 'Fault at stage 2 (1) or stage 1 (0)' },
  CLASS: { word: 1, bits: [41, 40], desc: 'What the faulting access was for: CD fetch, stage-1 table walk, or the input address', values: CLASS_VALUES },
  InputAddr: { word: 2, bits: [63, 0], kind: 'address', desc: 'Input address of the transaction (bits 63:56 as supplied)' },
  IPA: { word: 3, bits: [51, 12], kind: 'address', desc: 'IPA of the stage-2 fault: the CD address (CLASS=CD), the S1 descriptor address (TT) or the translated address (IN)' },
  FetchAddr: { word: 3, bits: [51, 3], kind: 'address', desc: 'PA of the STE, CD or descriptor whose fetch aborted' },
} as const satisfies Record<string, FieldSpec>

const HDR = { Type: F.Type, SSV: F.SSV, SSID: F.SSID, SID: F.SID } as const
const ACCESS = { STAG: F.STAG, Stall: F.Stall, PnU: F.PnU, InD: F.InD, RnW: F.RnW, NSIPA: F.NSIPA, S2: F.S2, CLASS: F.CLASS } as const

const shape = <const S extends Record<string, FieldSpec>>(name: string, specs: S) => layout(name, { words: 4, ref: REF, title: name }, { ...HDR, ...specs })

/** The layouts event types share (IHI 0070 7.3.x figures). */
export const EVENT_LAYOUTS = {
  /** C_BAD_*, F_STREAM_DISABLED, F_CFG_CONFLICT: who, no address. */
  config: shape('EVT_CONFIG', {}),
  /** F_STE_FETCH, F_CD_FETCH: the aborted fetch (IHI 0070 7.3.4, 7.3.10). */
  fetch: shape('EVT_FETCH', { FetchAddr: F.FetchAddr }),
  /** F_UUT, F_TRANSL_FORBIDDEN, F_BAD_ATS_TREQ, E_PAGE_REQ: the transaction, no stage. */
  input: shape('EVT_INPUT', { PnU: F.PnU, InD: F.InD, RnW: F.RnW, InputAddr: F.InputAddr }),
  /** F_TRANSLATION, F_ADDR_SIZE, F_ACCESS, F_PERMISSION, F_TLB_CONFLICT (IHI 0070 7.3.13-7.3.16). */
  fault: shape('EVT_FAULT', { ...ACCESS, InputAddr: F.InputAddr, IPA: F.IPA }),
  /** F_WALK_EABT: the descriptor fetch that aborted (IHI 0070 7.3.12). */
  walkEabt: shape('EVT_WALK_EABT', { ...ACCESS, InputAddr: F.InputAddr, FetchAddr: F.FetchAddr }),
} as const

type Shape = keyof typeof EVENT_LAYOUTS

const SHAPE: Record<EventName, Shape> = {
  F_UUT: 'input',
  C_BAD_STREAMID: 'config',
  // QEMU writes FetchAddr to words 6-7 for F_STE_FETCH but to InputAddr (words 4-5) for F_CD_FETCH;
  // the architecture has FetchAddr in the top doubleword for both (IHI 0070 7.3.10).
  F_STE_FETCH: 'fetch',
  C_BAD_STE: 'config',
  F_BAD_ATS_TREQ: 'input',
  F_STREAM_DISABLED: 'config',
  F_TRANSL_FORBIDDEN: 'input',
  C_BAD_SUBSTREAMID: 'config',
  F_CD_FETCH: 'fetch',
  C_BAD_CD: 'config',
  F_WALK_EABT: 'walkEabt',
  F_TRANSLATION: 'fault',
  F_ADDR_SIZE: 'fault',
  F_ACCESS: 'fault',
  F_PERMISSION: 'fault',
  F_TLB_CONFLICT: 'fault',
  F_CFG_CONFLICT: 'config',
  E_PAGE_REQ: 'input',
}

type Flag = number | boolean

/** An event, in the terms the SMMU model and the trace use. */
export interface EventRecord {
  readonly type: EventName
  readonly sid: number
  readonly ssid?: number
  readonly ssv?: Flag
  /** InputAddr: the transaction's address. */
  readonly input: number | bigint
  /** IPA (translation faults; bits 11:0 are not recorded) or FetchAddr (fetch aborts); 0 otherwise. */
  readonly addr2: number
  readonly stage?: 1 | 2
  readonly cls?: EventClass
  readonly rnw: Flag
  readonly pnu: Flag
  readonly ind: Flag
  readonly stall: Flag
  readonly stag: number
}

/** A decoded record: flags as 0/1, the input address as a 64-bit bigint. */
export interface DecodedEvent extends EventRecord {
  readonly ssid: number
  readonly ssv: number
  readonly input: bigint
  readonly rnw: number
  readonly pnu: number
  readonly ind: number
  readonly stall: number
}

export interface UnknownEvent {
  readonly type: 'UNKNOWN'
  readonly code: number
  readonly words: readonly bigint[]
}

/** Name of an event number, or undefined. */
export function eventName(code: number): EventName | undefined {
  return EVENT_TYPES[code]
}

/** The layout of an event type's record. */
export function eventLayout(type: EventName): Layout {
  return EVENT_LAYOUTS[SHAPE[type]]
}

const bit = (f: Flag | undefined): number => (f === true || f === 1 ? 1 : 0)

export function encodeEvent(e: EventRecord): bigint[] {
  const l = eventLayout(e.type)
  const has = (n: string) => n in l.fields
  const v: Record<string, number | bigint | string> = {
    Type: e.type,
    SID: e.sid,
    SSV: bit(e.ssv),
    SSID: e.ssid ?? 0,
  }
  if (has('InputAddr')) v.InputAddr = BigInt.asUintN(64, BigInt(e.input))
  if (has('RnW')) {
    v.RnW = bit(e.rnw)
    v.PnU = bit(e.pnu)
    v.InD = bit(e.ind)
  }
  if (has('S2')) {
    v.S2 = e.stage === 2 ? 1 : 0
    v.CLASS = e.cls ?? 'IN'
    v.Stall = bit(e.stall)
    v.STAG = e.stag
  }
  // The record holds only the field's bits: IPA[11:0] and FetchAddr[2:0] are not recorded.
  for (const a of ['IPA', 'FetchAddr'] as const) if (has(a)) v[a] = BigInt(e.addr2) & l.field(a).mask
  return l.encode(v)
}

export function decodeEvent(words: Words): DecodedEvent | UnknownEvent {
  const code = Number((words[0] ?? 0n) & 0xffn)
  const type = eventName(code)
  if (!type) return { type: 'UNKNOWN', code, words: [...words] }
  const l = eventLayout(type)
  const has = (n: string) => n in l.fields
  const get = (n: string) => (has(n) ? l.get(words, n) : 0)
  const addr2 = has('IPA') ? get('IPA') : has('FetchAddr') ? get('FetchAddr') : 0
  const base = {
    type,
    sid: get('SID'),
    ssid: get('SSID'),
    ssv: get('SSV'),
    input: has('InputAddr') ? l.getBig(words, 'InputAddr') : 0n,
    addr2,
    rnw: get('RnW'),
    pnu: get('PnU'),
    ind: get('InD'),
    stall: get('Stall'),
    stag: get('STAG'),
  }
  if (!has('S2')) return base
  const cls = l.valueName('CLASS', get('CLASS')) as EventClass | undefined
  return { ...base, stage: get('S2') ? 2 : 1, ...(cls ? { cls } : {}) }
}

const TYPE_ONLY = layout('EVT_UNKNOWN', { words: 4, ref: REF }, HDR)

/** Every field of the record in these words, decoded with its type's layout. */
export function describeEvent(words: Words): FieldView[] {
  const type = eventName(Number((words[0] ?? 0n) & 0xffn))
  return (type ? eventLayout(type) : TYPE_ONLY).describe(words)
}
