import { describe, expect, test } from 'vitest'
import { RO, RW, SmmuKit } from './testkit'

// Translation fault records and the event queue (IHI 0070 7.2-7.4, 7.3.12-7.3.16).
// Record words worked by hand from the layout:
//   w0: type [7:0], SSV [11], SSID [31:12], StreamID [63:32]
//   w1: RnW [35], S2 [39], CLASS [41:40] (CD 0, TT 1, IN 2)
//   w2: InputAddr; w3: IPA [51:12] or FetchAddr [51:3]
const RNW = 1n << 35n
const S2 = 1n << 39n
const IN = 2n << 40n
const TT = 1n << 40n
const w0 = (type: number, sid: number) => BigInt(type) | (BigInt(sid) << 32n)

/** SID 1: stage 1, 4K, 48-bit, ASID 1; SID 2: stage 2, 4K, 40-bit IPA, VMID 3. */
function streams(k = new SmmuKit()) {
  const s1 = k.s1Stream(1, 12, 48, 1).pt
  const s2 = k.s2Stream(2, 12, 40, 3, 1)
  return { k, s1, s2 }
}

describe('translation fault records', () => {
  test('F_TRANSLATION, stage 1 read: RnW=1, S2=0, CLASS=IN, addr2 0', () => {
    const { k } = streams()
    expect(k.dma(1, 0x1234_5678)).toMatchObject({ result: 'fault', event: 'F_TRANSLATION', stage: 1 })
    expect(k.eventWords(0)).toEqual([w0(0x10, 1), RNW | IN, 0x1234_5678n, 0n])
  })

  test('F_TRANSLATION, stage 2 write: RnW=0, S2=1, IPA in word 3 without bits 11:0', () => {
    const { k } = streams()
    k.dma(2, 0x12_3456_7abc, 'write')
    expect(k.eventWords(0)).toEqual([w0(0x10, 2), S2 | IN, 0x12_3456_7abcn, 0x12_3456_7000n])
  })

  test('F_TRANSLATION: a stage-2 IPA at or above 2^(64 - S2T0SZ) faults before any read', () => {
    const { k } = streams()
    const m = k.mark()
    k.dma(2, 1n << 40n)
    expect(k.since(m, 'ptw.read')).toEqual([])
    expect(k.eventWords(0)).toEqual([w0(0x10, 2), RNW | S2 | IN, 1n << 40n, 1n << 40n])
  })

  test('F_ADDR_SIZE: stage-1 output above the CD IPS (32 bits)', () => {
    const k = new SmmuKit()
    const { pt } = k.s1Stream(1, 12, 48, 1, { IPS: '32-bit' })
    pt.map(0x1000, 0x1_0000_0000, 12, RW)
    expect(k.dma(1, 0x1008)).toMatchObject({ event: 'F_ADDR_SIZE', stage: 1 })
    expect(k.eventWords(0)).toEqual([w0(0x11, 1), RNW | IN, 0x1008n, 0n])
  })

  test('F_ADDR_SIZE: stage-2 output above S2PS (32 bits)', () => {
    const k = new SmmuKit()
    const pt = k.s2Stream(2, 12, 32, 3, undefined, { S2PS: '32-bit' })
    pt.map(0x2000, 0x1_0000_0000, 12, RW)
    expect(k.dma(2, 0x2010)).toMatchObject({ event: 'F_ADDR_SIZE', stage: 2 })
    expect(k.eventWords(0)).toEqual([w0(0x11, 2), RNW | S2 | IN, 0x2010n, 0x2000n])
  })

  test('F_ACCESS: AF=0 with AFFD=0 at either stage; AFFD=1 lets it through', () => {
    const { k, s1, s2 } = streams()
    s1.map(0x1000, 0x5000_0000, 12, { ...RW, af: false })
    s2.map(0x1000, 0x5000_0000, 12, { ...RW, af: false })
    k.dma(1, 0x1000)
    k.dma(2, 0x1000, 'write')
    expect(k.eventWords(0)).toEqual([w0(0x12, 1), RNW | IN, 0x1000n, 0n])
    expect(k.eventWords(1)).toEqual([w0(0x12, 2), S2 | IN, 0x1000n, 0x1000n])
    const k2 = new SmmuKit()
    k2.s1Stream(1, 12, 48, 1, { AFFD: 1 }).pt.map(0x1000, 0x5000_0000, 12, { ...RW, af: false })
    expect(k2.dma(1, 0x1000)).toMatchObject({ result: 'ok', pa: 0x5000_0000 })
  })

  test('F_PERMISSION: stage-1 AP[2] read-only, stage-2 S2AP read-only', () => {
    const { k, s1, s2 } = streams()
    s1.map(0x1000, 0x5000_0000, 12, RO)
    s2.map(0x1000, 0x5000_0000, 12, RO)
    expect(k.dma(1, 0x1000, 'write')).toMatchObject({ event: 'F_PERMISSION', stage: 1 })
    expect(k.dma(2, 0x1000, 'write')).toMatchObject({ event: 'F_PERMISSION', stage: 2 })
    expect(k.eventWords(0)).toEqual([w0(0x13, 1), IN, 0x1000n, 0n])
    expect(k.eventWords(1)).toEqual([w0(0x13, 2), S2 | IN, 0x1000n, 0x1000n])
  })

  test('F_PERMISSION from a cached TLB entry: a read fills it, a write then faults without a walk', () => {
    const { k, s1, s2 } = streams()
    s1.map(0x1000, 0x5000_0000, 12, RO)
    s2.map(0x3000, 0x5000_3000, 12, RO)
    expect(k.dma(1, 0x1000).result).toBe('ok')
    expect(k.dma(2, 0x3000).result).toBe('ok')
    const m = k.mark()
    expect(k.dma(1, 0x1010, 'write')).toMatchObject({ event: 'F_PERMISSION', stage: 1 })
    expect(k.dma(2, 0x3020, 'write')).toMatchObject({ event: 'F_PERMISSION', stage: 2 })
    expect(k.since(m, 'ptw.read')).toEqual([])
    expect(k.since(m, 'tlb.hit')).toHaveLength(2)
    expect(k.eventWords(0)).toEqual([w0(0x13, 1), IN, 0x1010n, 0n])
    expect(k.eventWords(1)).toEqual([w0(0x13, 2), S2 | IN, 0x3020n, 0x3000n])
  })

  test('F_WALK_EABT: a descriptor outside RAM; FetchAddr = the descriptor; CLASS TT at stage 1, IN at stage 2', () => {
    const k = new SmmuKit()
    // TTB0 = 0x1000_0000 (not RAM), T0SZ 16: the L0 descriptor for IOVA 0x80_0000_0000 is index 1.
    const s1 = k.pageTable(1, 12, 48)
    k.putSte(1, { Config: 's1', S1ContextPtr: BigInt(k.putCd(k.cdFields(s1, 1, { TTB0: 0x1000_0000n }))) })
    k.putSte(2, { Config: 's2', ...k.s2Fields(k.pageTable(2, 12, 40, { startLevel: 1 }), 3, { S2TTB: 0x1000_0000n }) })
    k.dma(1, 0x80_0000_0000n)
    // Stage 2, 4K, start level 1 with 2 concatenated tables: IPA bit 39 selects the second (index 512).
    k.dma(2, 0x80_0000_0000n, 'write')
    expect(k.eventWords(0)).toEqual([w0(0x0b, 1), RNW | TT, 0x80_0000_0000n, 0x1000_0008n])
    expect(k.eventWords(1)).toEqual([w0(0x0b, 2), S2 | IN, 0x80_0000_0000n, 0x1000_1000n])
  })

  test('qemuCompat: the same stage-2 fetch reads the first concatenated table (FetchAddr S2TTB + 0)', () => {
    const k = new SmmuKit({ qemuCompat: true })
    k.putSte(2, { Config: 's2', ...k.s2Fields(k.pageTable(2, 12, 40, { startLevel: 1 }), 3, { S2TTB: 0x1000_0000n }) })
    // QEMU: (S2TTB + 1 * 4K) & ~(2^13 - 1) = S2TTB, index (IPA >> 30) & 511 = 0.
    k.dma(2, 0x80_0000_0000n, 'write')
    expect(k.eventWords(0)).toEqual([w0(0x0b, 2), S2 | IN, 0x80_0000_0000n, 0x1000_0000n])
  })

  test('an event carries SSV and the SubstreamID of the transaction', () => {
    const k = new SmmuKit({ params: { ssidBits: 4 } })
    const pt = k.pageTable(1, 12, 48)
    const table = k.allocConfig(4 * 64, 256)
    k.putCd(k.cdFields(pt, 7), table + 64) // CD 1 of a 4-entry linear table
    k.putSte(1, { Config: 's1', S1ContextPtr: BigInt(table), S1CDMax: 2, S1DSS: 'bypass' })
    k.dma(1, 0x5000, 'read', 1)
    // SSV bit 11, SSID 1 << 12.
    expect(k.eventWords(0)).toEqual([w0(0x10, 1) | 0x800n | 0x1000n, RNW | IN, 0x5000n, 0n])
  })
})

describe('recording rules', () => {
  test('CD.R=0 and STE.S2R=0: translation faults fail silently; F_WALK_EABT is still recorded', () => {
    const k = new SmmuKit()
    k.s1Stream(1, 12, 48, 1, { R: 0 })
    k.s2Stream(2, 12, 40, 3, 1, { S2R: 0 })
    expect(k.dma(1, 0x1000)).toMatchObject({ result: 'fault', event: 'F_TRANSLATION' })
    expect(k.dma(2, 0x1000)).toMatchObject({ result: 'fault', event: 'F_TRANSLATION' })
    expect(k.events()).toEqual([])
    const s1 = k.pageTable(1, 12, 48)
    k.putSte(3, { Config: 's1', S1ContextPtr: BigInt(k.putCd(k.cdFields(s1, 2, { R: 0, TTB0: 0x1000_0000n }))) })
    k.dma(3, 0x1000)
    expect(k.events().map((e) => e.type)).toEqual(['F_WALK_EABT'])
  })

  test('EVENTQEN=0: events are discarded, PROD does not move', () => {
    const { k } = streams()
    k.write('CR0', 0x9) // SMMUEN | CMDQEN
    k.dma(1, 0x1000)
    expect(k.read32('EVENTQ_PROD')).toBe(0)
    expect(k.smmu.j.records.filter((r) => r.kind === 'event').map((r) => r.written)).toEqual([false])
  })

  test('EVENTQ_IRQEN: each written event pulses the EVTQ interrupt', () => {
    const { k } = streams()
    k.write('IRQ_CTRL', 4)
    const m = k.mark()
    k.dma(1, 0x1000)
    k.dma(1, 0x2000)
    expect(k.since(m, 'irq').map((r) => r.line)).toEqual(['EVTQ', 'EVTQ'])
  })
})

describe('EVTQ full (IHI 0070 7.4)', () => {
  test('overflow toggles EVENTQ_PROD.OVFLG once, until software copies it to OVACKFLG', () => {
    const { k } = streams(new SmmuKit({ evtqLog2: 2 }))
    for (let i = 0; i < 4; i++) k.dma(1, 0x1000 * (i + 1))
    // Four entries: full, PROD wrap 1, index 0.
    expect(k.read32('EVENTQ_PROD')).toBe(0x4)
    k.dma(1, 0x9000)
    expect(k.read32('EVENTQ_PROD')).toBe(0x8000_0004)
    k.dma(1, 0xa000)
    expect(k.read32('EVENTQ_PROD')).toBe(0x8000_0004)
    // The four records kept are the first four.
    expect(k.events().map((e) => ('input' in e ? e.input : 0n))).toEqual([0x1000n, 0x2000n, 0x3000n, 0x4000n])
    // CONS moved (0x4) but without the acknowledgement; another overflow does not toggle again.
    for (let i = 0; i < 5; i++) k.dma(1, 0x1000)
    expect(k.read32('EVENTQ_PROD')).toBe(0x8000_0000)
    k.events()
    k.write('EVENTQ_CONS', 0x8000_0000) // OVACKFLG = OVFLG: acknowledged
    for (let i = 0; i < 5; i++) k.dma(1, 0x1000)
    expect(k.read32('EVENTQ_PROD')).toBe(0x0000_0004)
    expect(k.read32('GERROR')).toBe(0)
  })

  test('qemuCompat: a full queue raises GERROR.EVENTQ_ABT_ERR instead, once while active', () => {
    const { k } = streams(new SmmuKit({ evtqLog2: 2, qemuCompat: true }))
    k.write('IRQ_CTRL', 1)
    const m = k.mark()
    for (let i = 0; i < 6; i++) k.dma(1, 0x1000 * (i + 1))
    expect(k.read32('EVENTQ_PROD')).toBe(0x4)
    expect(k.read32('GERROR')).toBe(0x4)
    expect(k.since(m, 'irq').map((r) => r.line)).toEqual(['GERROR'])
  })
})
