import { describe, expect, test } from 'vitest'
import { decodeEvent, describeEvent, encodeEvent, EVENT_CODES, EVENT_TYPES, eventName, type EventRecord } from './events'

const base = { sid: 0x10, input: 0x1234_5000, addr2: 0, rnw: 1, pnu: 0, ind: 0, stall: 0, stag: 0 } as const

describe('event numbers (IHI 0070 7.3, SPEC-FACTS A§4)', () => {
  test('type-code table', () => {
    expect(EVENT_TYPES[0x01]).toBe('F_UUT')
    expect(EVENT_TYPES[0x0b]).toBe('F_WALK_EABT')
    expect(EVENT_TYPES[0x24]).toBe('E_PAGE_REQ')
    expect(eventName(0x10)).toBe('F_TRANSLATION')
    expect(eventName(0x13)).toBe('F_PERMISSION')
    expect(eventName(0x0c)).toBeUndefined()
    expect(EVENT_CODES.C_BAD_STE).toBe(4)
    expect(Object.keys(EVENT_CODES)).toHaveLength(18)
  })
})

describe('record layout', () => {
  test('stage-2 F_TRANSLATION, CLASS=IN, read: words worked by hand', () => {
    const w = encodeEvent({ ...base, type: 'F_TRANSLATION', stage: 2, cls: 'IN', addr2: 0x8000_3000 })
    // w0: type 0x10 | SID << 32.  w1: RnW bit 35 | S2 bit 39 | CLASS=2 << 40
    // (QEMU's w3 = RnW[3] | S2[7] | CLASS[9:8] = 0x288, i.e. bits 35, 39, 41 of the 64-bit word).
    expect(w).toEqual([0x0000_0010_0000_0010n, 0x0000_0288_0000_0000n, 0x1234_5000n, 0x8000_3000n])
  })

  test('IPA[11:0] is not recorded (IPA field is [51:12])', () => {
    const w = encodeEvent({ ...base, type: 'F_PERMISSION', stage: 2, cls: 'IN', addr2: 0x8000_3abc })
    expect(w[3]).toBe(0x8000_3000n)
  })

  test('SSV bit 11 and SubstreamID [31:12] in word 0', () => {
    const w = encodeEvent({ ...base, type: 'C_BAD_SUBSTREAMID', ssv: true, ssid: 5 })
    expect(w[0]).toBe(0x0000_0010_0000_5808n)
  })

  test('STAG [15:0] and Stall bit 31 of word 1; PnU 33, InD 34', () => {
    const w = encodeEvent({ ...base, type: 'F_ACCESS', stage: 1, cls: 'IN', rnw: 0, pnu: 1, ind: 1, stall: 1, stag: 0xabc })
    expect(w[1]).toBe((1n << 33n) | (1n << 34n) | (1n << 31n) | 0xabcn | (2n << 40n))
  })

  test('F_STE_FETCH and F_CD_FETCH put FetchAddr in word 3, not InputAddr (architecture, unlike QEMU for CD)', () => {
    for (const type of ['F_STE_FETCH', 'F_CD_FETCH'] as const) {
      const w = encodeEvent({ ...base, type, addr2: 0x4000_0040 })
      expect(w, type).toEqual([0x0000_0010_0000_0000n | BigInt(EVENT_CODES[type]), 0n, 0n, 0x4000_0040n])
    }
  })

  test('F_WALK_EABT of a stage-1 walk: CLASS=TT, FetchAddr is the descriptor address', () => {
    const w = encodeEvent({ ...base, type: 'F_WALK_EABT', stage: 1, cls: 'TT', addr2: 0x8000_1ff8 })
    expect(w[1]).toBe((1n << 35n) | (1n << 40n))
    expect(w[2]).toBe(0x1234_5000n)
    expect(w[3]).toBe(0x8000_1ff8n)
  })

  test('configuration errors carry only who', () => {
    expect(encodeEvent({ ...base, type: 'C_BAD_STE', addr2: 0x9999_0000 })).toEqual([0x0000_0010_0000_0004n, 0n, 0n, 0n])
  })

  test('InputAddr is the full 64-bit address', () => {
    const w = encodeEvent({ ...base, type: 'F_TRANSLATION', stage: 1, cls: 'IN', input: 0xffff_0000_dead_b000n })
    expect(w[2]).toBe(0xffff_0000_dead_b000n)
  })
})

describe('decode', () => {
  const records: EventRecord[] = [
    { ...base, type: 'F_TRANSLATION', stage: 2, cls: 'TT', addr2: 0x4000_2000 },
    { ...base, type: 'F_ADDR_SIZE', stage: 1, cls: 'IN', rnw: 0 },
    { ...base, type: 'F_WALK_EABT', stage: 2, cls: 'CD', addr2: 0x7000_0008 },
    { ...base, type: 'F_STE_FETCH', addr2: 0x8000_0040, input: 0, rnw: 0 },
    { ...base, type: 'C_BAD_STREAMID', input: 0, rnw: 0, ssv: 1, ssid: 3 },
    { ...base, type: 'F_UUT', pnu: 1 },
  ]

  test('decode(encode(e)) gives e back, with flags as 0/1 and the input as a bigint', () => {
    for (const e of records) {
      const d = decodeEvent(encodeEvent(e))
      expect(d.type, e.type).toBe(e.type)
      if (d.type === 'UNKNOWN') continue
      expect(d.sid).toBe(e.sid)
      expect(d.addr2, e.type).toBe(e.addr2)
      expect(d.input, e.type).toBe(BigInt(e.input))
      expect(d.ssv).toBe(e.ssv === 1 ? 1 : 0)
      expect(d.ssid).toBe(e.ssid ?? 0)
      expect(d.stage, e.type).toBe(e.stage)
      expect(d.cls, e.type).toBe(e.cls)
      expect(encodeEvent(d), e.type).toEqual(encodeEvent(e))
    }
  })

  test('an unknown event number decodes as UNKNOWN', () => {
    expect(decodeEvent([0x0cn, 0n, 0n, 0n])).toEqual({ type: 'UNKNOWN', code: 0x0c, words: [0x0cn, 0n, 0n, 0n] })
  })

  test('describeEvent uses the layout of the type', () => {
    const f = describeEvent(encodeEvent({ ...base, type: 'F_TRANSLATION', stage: 2, cls: 'IN', addr2: 0x8000_3000 }))
    expect(f.find((x) => x.name === 'Type')?.display).toBe('F_TRANSLATION')
    expect(f.find((x) => x.name === 'CLASS')?.display).toBe('IN')
    expect(f.find((x) => x.name === 'IPA')?.display).toBe('0x80003000')
    expect(describeEvent(encodeEvent({ ...base, type: 'F_CD_FETCH', addr2: 0x40 })).map((x) => x.name)).toEqual(['Type', 'SSV', 'SSID', 'SID', 'FetchAddr'])
    expect(describeEvent([0x0cn, 0n, 0n, 0n]).map((x) => x.name)).toEqual(['Type', 'SSV', 'SSID', 'SID'])
  })
})
