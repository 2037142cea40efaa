import { describe, expect, test } from 'vitest'
import { encodeCd, type CdField } from '../arch/cd'
import type { EventName } from '../arch/events'
import type { SmmuParams } from '../arch/idregs'
import type { FieldInput } from '../arch/layout'
import { encodeSte, type SteField } from '../arch/ste'
import { hex64 } from '../arch/u64'
import { RW, SmmuKit, STRTAB_PA } from './testkit'

// Every check of config.ts that ends a transaction with a configuration event
// (IHI 0070 5.2 STE, 5.4 CD, 7.3.3-7.3.11), one test per reason. The event is
// read back from the EVTQ bytes: word 0 holds the type in [7:0], SSV [11],
// SSID [31:12] and the StreamID in [63:32].

interface Case {
  readonly params?: Partial<SmmuParams>
  /** Fields over a valid STE (a 4K 40-bit stage 2, or a stage 1 when `s1`). */
  readonly ste?: FieldInput<SteField>
  /** Fields over a valid CD (stage 1 only). */
  readonly cd?: FieldInput<CdField>
  readonly s1?: boolean
  readonly ssid?: number
  readonly event: EventName
  readonly reason: string
}

const SID = 1

function run(c: Case) {
  const k = new SmmuKit(c.params ? { params: c.params } : {})
  if (c.s1 || c.cd) {
    const { pt } = k.s1Stream(SID, 12, 48, 1, c.cd)
    pt.map(0x1000, 0x5000_0000, 12, RW)
    if (c.ste) k.putWords(k.steAddr(SID), encodeSte({ ...readSte(k), ...c.ste }))
  } else {
    const pt = k.s2Stream(SID, 12, 40, 3, 1, c.ste)
    pt.map(0x1000, 0x5000_0000, 12, RW)
  }
  const out = k.dma(SID, 0x1000, 'read', c.ssid)
  return { k, out, events: k.events() }
}

/** The fields of the STE s1Stream wrote (Config s1 and the CD pointer). */
function readSte(k: SmmuKit): FieldInput<SteField> {
  const w = k.mem.readWords(k.steAddr(SID), 8)
  return { Config: 's1', S1ContextPtr: w[0] & 0x000f_ffff_ffff_ffc0n }
}

const cases: readonly Case[] = [
  { ste: { V: 0 }, event: 'C_BAD_STE', reason: 'V=0' },
  { ste: { S2AA64: 0 }, event: 'C_BAD_STE', reason: 'S2AA64=0: AArch32 stage-2 tables are not supported (IDR0.TTF has no AArch32)' },
  { ste: { S2TG: 3 }, event: 'C_BAD_STE', reason: 'S2TG=3 is reserved' },
  { params: { granules: ['4K', '64K'] }, ste: { S2TG: '16K' }, event: 'C_BAD_STE', reason: 'S2TG selects a 16K granule that IDR5 does not offer' },
  { ste: { S2PS: 7 }, event: 'C_BAD_STE', reason: 'S2PS=7 is reserved' },
  { ste: { S2PS: '32-bit', S2T0SZ: 32, S2TTB: 0x1_0000_0000n }, event: 'C_BAD_STE', reason: 'S2TTB 0x100000000 has bits at or above the 32-bit effective PA size' },
  { ste: { S2T0SZ: 40 }, event: 'C_BAD_STE', reason: 'S2T0SZ=40 is above 39' },
  // OAS 44 bits: S2T0SZ >= 64 - 44 = 20.
  { ste: { S2T0SZ: 19 }, event: 'C_BAD_STE', reason: 'S2T0SZ=19 is below 20 (64 - 44-bit PA size)' },
  { ste: { S2SL0: 3 }, event: 'C_BAD_STE', reason: 'S2SL0=3 is reserved for the 4K granule' },
  // 64K, SL0 2: start level 1 resolves IPA bits from 42 up; a 39-bit IPA has none there.
  { ste: { S2TG: '64K', S2SL0: 2, S2T0SZ: 25 }, event: 'C_BAD_STE', reason: 'S2SL0=2 starts at level 1, too low for a 39-bit IPA' },
  // 4K, SL0 0: start level 2 (9 bits above 21); a 40-bit IPA needs 2^(40-30) = 1024 tables.
  { ste: { S2SL0: 0, S2T0SZ: 24 }, event: 'C_BAD_STE', reason: 'S2SL0=0 with S2T0SZ=24 needs 1024 concatenated tables (at most 16)' },
  { ste: { S2ENDI: 1 }, event: 'C_BAD_STE', reason: 'S2ENDI=1 (big-endian tables) but IDR0.TTENDIAN is little-endian only' },
  { ste: { S2S: 1 }, event: 'C_BAD_STE', reason: 'S2S=1 but IDR0.STALL_MODEL says stalling is not supported' },
  // 4K, SL0 1, 40-bit IPA: two concatenated tables, 8 KiB aligned; the kit's table is at 0x4100_0000.
  { ste: { S2TTB: 0x4100_1000n }, event: 'C_BAD_STE', reason: 'S2TTB 0x41001000 is not aligned to its 2 concatenated tables' },
  { params: { stages: 's2' }, s1: true, event: 'C_BAD_STE', reason: 'stage 1 enabled but IDR0.S1P=0' },
  { params: { stages: 's1' }, event: 'C_BAD_STE', reason: 'stage 2 enabled but IDR0.S2P=0' },
  { ste: { STRW: 1 }, event: 'C_BAD_STE', reason: 'STRW=1 is reserved' },
  { ste: { STRW: 'EL2' }, event: 'C_BAD_STE', reason: 'STRW=EL2 but IDR0.HYP=0' },
  { s1: true, ste: { S1CDMax: 1 }, event: 'C_BAD_STE', reason: 'S1CDMax=1 exceeds IDR1.SSIDSIZE=0' },
  { s1: true, ste: { S1STALLD: 1 }, event: 'C_BAD_STE', reason: 'S1STALLD=1 but IDR0.STALL_MODEL is not 0b00' },
  { params: { ssidBits: 4 }, s1: true, ste: { S1CDMax: 2, S1DSS: 3 }, event: 'C_BAD_STE', reason: 'S1DSS=3 is reserved' },
  { ssid: 1, event: 'C_BAD_SUBSTREAMID', reason: 'a SubstreamID was given but stage 1 is disabled' },
  { params: { ssidBits: 4 }, s1: true, ssid: 1, event: 'C_BAD_SUBSTREAMID', reason: 'a SubstreamID was given but S1CDMax=0 (one CD)' },
  { params: { ssidBits: 4 }, s1: true, ste: { S1CDMax: 2 }, ssid: 4, event: 'C_BAD_SUBSTREAMID', reason: 'SSID 4 is beyond S1CDMax=2 (4 CDs)' },
  { params: { ssidBits: 4 }, s1: true, ste: { S1CDMax: 2, S1DSS: 'terminate' }, event: 'F_STREAM_DISABLED', reason: 'S1DSS=terminate: traffic without a SubstreamID is not allowed' },
  { cd: { V: 0 }, event: 'C_BAD_CD', reason: 'V=0' },
  { cd: { AA64: 0 }, event: 'C_BAD_CD', reason: 'AA64=0: AArch32 stage-1 tables are not supported' },
  { cd: { ENDI: 1 }, event: 'C_BAD_CD', reason: 'ENDI=1 (big-endian tables) but IDR0.TTENDIAN is little-endian only' },
  { cd: { A: 0 }, event: 'C_BAD_CD', reason: 'A=0 but IDR0.TERM_MODEL=1 (faulting transactions always abort)' },
  { cd: { S: 1 }, event: 'C_BAD_CD', reason: 'S=1 but IDR0.STALL_MODEL says stalling is not supported' },
  { cd: { HA: 1 }, event: 'C_BAD_CD', reason: 'HA/HD set but IDR0.HTTU=0 (no hardware access/dirty flag updates)' },
  { cd: { HD: 1 }, event: 'C_BAD_CD', reason: 'HA/HD set but IDR0.HTTU=0 (no hardware access/dirty flag updates)' },
  { cd: { TG0: 3 }, event: 'C_BAD_CD', reason: 'TG0=3 is reserved' },
  // TG1 encodes 4K as 2; 0 is reserved (IHI 0070 5.4).
  { cd: { EPD1: 0, T1SZ: 16, TG1: 0 }, event: 'C_BAD_CD', reason: 'TG1=0 is reserved' },
  { params: { granules: ['4K', '64K'] }, cd: { TG0: '16K' }, event: 'C_BAD_CD', reason: 'TG0 selects a 16K granule that IDR5 does not offer' },
  { cd: { T0SZ: 15 }, event: 'C_BAD_CD', reason: 'T0SZ=15 is outside 16..39' },
  { cd: { EPD1: 0, T1SZ: 40, TG1: '4K' }, event: 'C_BAD_CD', reason: 'T1SZ=40 is outside 16..39' },
  { cd: { IPS: 7 }, event: 'C_BAD_CD', reason: 'IPS=7 is reserved' },
  { cd: { IPS: '32-bit', TTB0: 0x1_0000_0000n }, event: 'C_BAD_CD', reason: 'TTB0 0x100000000 has bits at or above the 32-bit output size' },
]

// Event numbers (IHI 0070 7.3): C_BAD_STE 0x04, F_STREAM_DISABLED 0x06, C_BAD_SUBSTREAMID 0x08, C_BAD_CD 0x0A.
const CODE: Partial<Record<EventName, bigint>> = { C_BAD_STE: 0x04n, F_STREAM_DISABLED: 0x06n, C_BAD_SUBSTREAMID: 0x08n, C_BAD_CD: 0x0an }

describe('configuration checks: each reason gives its event', () => {
  test.each(cases.map((c) => [c.event, c.reason, c] as const))('%s: %s', (_e, _r, c) => {
    const { k, out, events } = run(c)
    expect(out).toMatchObject({ result: 'fault', event: c.event, reason: c.reason })
    expect(events).toHaveLength(1)
    expect(events[0]).toMatchObject({ type: c.event, sid: SID })
    // Word 0 by hand: type | SSV << 11 | SSID << 12 | SID << 32. The SSID is recorded when the transaction had one.
    const ss = c.ssid === undefined ? 0n : (1n << 11n) | (BigInt(c.ssid) << 12n)
    expect(k.eventWords(0)[0]).toBe(CODE[c.event]! | ss | (BigInt(SID) << 32n))
    // A failed configuration is not cached: the next transaction reports again.
    k.dma(SID, 0x1000, 'read', c.ssid)
    expect(k.events()).toHaveLength(1)
  })

  test('the valid baselines translate', () => {
    expect(run({ event: 'C_BAD_STE', reason: '' }).out).toMatchObject({ result: 'ok', pa: 0x5000_0000 })
    expect(run({ s1: true, event: 'C_BAD_STE', reason: '' }).out).toMatchObject({ result: 'ok', pa: 0x5000_0000 })
  })

  test('STE Config 0b001-0b011 (reserved) behave as abort: no event', () => {
    const k = new SmmuKit()
    for (const cfg of [0, 1, 2, 3]) {
      k.putWords(k.steAddr(cfg), encodeSte({ Config: cfg }))
      expect(k.dma(cfg, 0x1000).result).toBe('abort')
    }
    expect(k.events()).toEqual([])
  })
})

describe('stream table and CD fetches', () => {
  test('C_BAD_STREAMID: SID >= 2^LOG2SIZE (LOG2SIZE 8, SID 256); recorded with CR2.RECINVSID=1', () => {
    const k = new SmmuKit()
    expect(k.dma(256, 0x1000)).toMatchObject({ result: 'fault', event: 'C_BAD_STREAMID' })
    expect(k.eventWords(0)).toEqual([0x0000_0100_0000_0002n, 0n, 0n, 0n])
  })

  test('C_BAD_STREAMID is not recorded with CR2.RECINVSID=0 (IHI 0070 7.3.3); QEMU records it anyway', () => {
    for (const qemuCompat of [false, true]) {
      const k = new SmmuKit({ qemuCompat })
      k.write('CR2', 0)
      expect(k.dma(256, 0x1000)).toMatchObject({ result: 'fault', event: 'C_BAD_STREAMID' })
      expect(k.events().map((e) => e.type)).toEqual(qemuCompat ? ['C_BAD_STREAMID'] : [])
    }
  })

  test('2-level table: L1 Span=0 and an index beyond 2^(Span-1) STEs give C_BAD_STREAMID', () => {
    const k = new SmmuKit({ params: { strtab: '2level' }, split: 6 })
    const l2 = k.putL1(0, 2) // SIDs 0..1 (2^(2-1) STEs)
    k.putWords(l2 + 64, encodeSte({ Config: 'bypass' }))
    expect(k.dma(1, 0x1234)).toMatchObject({ result: 'ok', pa: 0x1234 })
    expect(k.dma(2, 0x1234)).toMatchObject({ result: 'fault', event: 'C_BAD_STREAMID' }) // index 2 >= 2
    expect(k.dma(64, 0x1234)).toMatchObject({ result: 'fault', event: 'C_BAD_STREAMID' }) // L1[1] Span 0
    expect(k.events().map((e) => [e.type, 'sid' in e ? e.sid : -1])).toEqual([['C_BAD_STREAMID', 2], ['C_BAD_STREAMID', 64]])
  })

  test('F_STE_FETCH: the STE is outside RAM; FetchAddr in word 3 (bits 51:3)', () => {
    const k = new SmmuKit()
    k.write('CR0', 0xc)
    k.write('STRTAB_BASE', 0x1000_0000, 8)
    k.write('CR0', 0xd)
    expect(k.dma(3, 0x1000)).toMatchObject({ result: 'fault', event: 'F_STE_FETCH' })
    // STE 3 at 0x1000_0000 + 3 * 64.
    expect(k.eventWords(0)).toEqual([0x0000_0003_0000_0003n, 0n, 0n, 0x1000_00c0n])
  })

  test('F_STE_FETCH for a 2-level L1 descriptor outside RAM', () => {
    const k = new SmmuKit({ params: { strtab: '2level' }, split: 6, boot: true })
    k.write('CR0', 0xc)
    k.write('STRTAB_BASE', 0x1000_0000, 8)
    k.write('CR0', 0xd)
    k.dma(65, 0x1000)
    // L1 index 65 >> 6 = 1: descriptor at base + 8.
    expect(k.eventWords(0)).toEqual([0x0000_0041_0000_0003n, 0n, 0n, 0x1000_0008n])
  })

  test('F_CD_FETCH: S1ContextPtr outside RAM; FetchAddr in word 3 (the architecture; QEMU uses InputAddr)', () => {
    const k = new SmmuKit()
    k.putSte(2, { Config: 's1', S1ContextPtr: 0x1000_0040n })
    expect(k.dma(2, 0x1000)).toMatchObject({ result: 'fault', event: 'F_CD_FETCH' })
    expect(k.eventWords(0)).toEqual([0x0000_0002_0000_0009n, 0n, 0n, 0x1000_0040n])
  })
})

describe('journal observations of the structures read', () => {
  test('ste.read and cd.read carry the address and the eight words as hex', () => {
    const k = new SmmuKit()
    const { pt, cdAddr } = k.s1Stream(5, 12, 48, 9)
    pt.map(0x1000, 0x5000_0000, 12, RW)
    const m = k.mark()
    k.dma(5, 0x1000)
    const ste = k.mem.readWords(STRTAB_PA + 5 * 64, 8)
    expect(k.since(m, 'ste.read')).toMatchObject([{ sid: 5, address: STRTAB_PA + 5 * 64, raw: ste.map(hex64) }])
    expect(k.since(m, 'cd.read')).toMatchObject([{ sid: 5, ssid: -1, address: cdAddr, raw: encodeCd(k.cdFields(pt, 9)).map(hex64) }])
    // A config cache hit reads nothing.
    const m2 = k.mark()
    k.dma(5, 0x1000)
    expect(k.since(m2, 'ste.read')).toEqual([])
  })

  test('l1.read for a 2-level stream table descriptor; nothing is recorded with the journal off', () => {
    const k = new SmmuKit({ params: { strtab: '2level' }, split: 6 })
    const l2 = k.putL1(1, 7)
    k.putWords(l2 + 3 * 64, encodeSte({ Config: 'bypass' }))
    const m = k.mark()
    expect(k.dma(67, 0x2000).result).toBe('ok')
    expect(k.since(m, 'l1.read')).toMatchObject([{ table: 'L1STD', sid: 67, address: STRTAB_PA + 8, raw: [hex64(BigInt(l2) | 7n)] }])
    const quiet = new SmmuKit({ journal: false })
    quiet.putSte(1, { Config: 'bypass' })
    quiet.dma(1, 0x1000)
    expect(quiet.j.length).toBe(0)
  })
})
