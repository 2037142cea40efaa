import { describe, expect, test } from 'vitest'
import { Journal, type JRecord } from '../journal/journal'
import { PhysMem } from '../mem/physmem'
import { formatJsonl, jsonSafe, rawWords, toTraceRecord, traceText } from './format'

const rec = (kind: string, fields: Record<string, unknown>, actor: JRecord['actor'] = 'smmu', depth = 1): JRecord => ({ kind, actor, depth, ...fields })

describe('JSON-safety (DESIGN.md: numbers above 2^32 are "0x" strings)', () => {
  test('numbers and bigints around 2^32', () => {
    expect(jsonSafe(0xffff_ffff)).toBe(0xffff_ffff)
    expect(jsonSafe(2 ** 32)).toBe(2 ** 32)
    expect(jsonSafe(2 ** 32 + 1)).toBe('0x100000001')
    expect(jsonSafe(0x4_0000_1000)).toBe('0x400001000')
    expect(jsonSafe(3n)).toBe(3)
    expect(jsonSafe(1n << 32n)).toBe(2 ** 32)
    expect(jsonSafe((1n << 32n) + 1n)).toBe('0x100000001')
    expect(jsonSafe(0xffff_ffff_ffff_ffffn)).toBe('0xffffffffffffffff')
    // "Not applicable" IDs stay as they are (QEMU's ASID -1).
    expect(jsonSafe(-1)).toBe(-1)
    expect(jsonSafe(-1n)).toBe(-1)
  })
  test('containers are converted throughout; undefined fields vanish', () => {
    expect(jsonSafe({ a: [1n, 2 ** 40], b: undefined, c: { d: new Uint8Array([0xde, 0xad]) } })).toEqual({ a: [1, '0x10000000000'], c: { d: 'dead' } })
    expect(jsonSafe(new Map([[1, 5n]]))).toEqual({ 1: 5 })
  })
  test('raw is 16-digit words, word 0 first, from words, hex strings or little-endian bytes', () => {
    expect(rawWords([0x9n, 0n])).toEqual(['0x0000000000000009', '0x0000000000000000'])
    expect(rawWords(['0x12', 0x1_0000_0000])).toEqual(['0x0000000000000012', '0x0000000100000000'])
    expect(rawWords(new Uint8Array([9, 0, 0, 0, 0, 0, 0, 0x80]))).toEqual(['0x8000000000000009'])
  })
})

describe('toTraceRecord', () => {
  test('header first, internal fields dropped, 64-bit values as hex', () => {
    const r = rec('mmio', { reg: 'STRTAB_BASE', offset: 0x80, size: 8, write: true, trapped: false, value: 0x4000_0000_0000_1000n, end: 9, changes: [[0, 'x', 1, 2]] }, 'hyp', 2)
    const t = toTraceRecord(r, 41)
    expect(Object.keys(t).slice(0, 4)).toEqual(['i', 'depth', 'actor', 'kind'])
    expect(t).toEqual({ i: 41, depth: 2, actor: 'hyp', kind: 'mmio', reg: 'STRTAB_BASE', offset: 0x80, size: 8, write: true, trapped: false, value: '0x4000000000001000' })
  })
  test('raw is always an array of 16-digit words', () => {
    const t = toTraceRecord(rec('ste.write', { sid: 16, table: 'shadow', raw: [0xbn, 1n << 63n] }), 0)
    expect(t.raw).toEqual(['0x000000000000000b', '0x8000000000000000'])
  })
  test('mem.write shows pa, size, value and old (little-endian bytes as the value they store)', () => {
    const j = new Journal()
    const mem = new PhysMem(0x4000_0000, 0x10_0000, j)
    mem.write32(0x4000_0010, 3, 'host')
    mem.write64(0x4000_0010, 0x1122_3344_5566_7788n, 'host')
    mem.writeWords(0x4000_0100, [0x0102_0304_0506_0708n, 0x9n], 'host')
    const [a, b, c] = j.records.map(toTraceRecord)
    expect(a).toEqual({ i: 0, depth: 0, actor: 'host', kind: 'mem.write', pa: 0x4000_0010, size: 4, value: '0x00000003', old: '0x00000000' })
    expect(b).toMatchObject({ pa: 0x4000_0010, size: 8, value: '0x1122334455667788', old: '0x0000000000000003' })
    // 16 bytes: a byte string in address order (word 0 little-endian first).
    expect(c).toMatchObject({ pa: 0x4000_0100, size: 16, value: '08070605040302010900000000000000', old: '0'.repeat(32) })
    expect(traceText(j.records[0])).toBe('[0x40000010] <- 0x00000003 (was 0x00000000)')
    expect(traceText(j.records[2])).toBe('[0x40000100] <- 16 bytes')
  })
  test('a state record shows map, key, old and new', () => {
    const j = new Journal()
    const own = j.map<number, { owner: string; state: string }>('pageOwner', 'hyp')
    own.set(0x4_0001, { owner: 'host', state: 'owned' })
    own.set(0x4_0001, { owner: 'hyp', state: 'owned' })
    expect(toTraceRecord(j.records[1], 1)).toEqual({
      i: 1, depth: 0, actor: 'hyp', kind: 'state', map: 'pageOwner', key: 0x4_0001,
      old: { owner: 'host', state: 'owned' }, new: { owner: 'hyp', state: 'owned' },
    })
    expect(toTraceRecord(j.records[0], 0)).toMatchObject({ old: null })
    // Keys and values above 0xffff read better in hex (page frame numbers, addresses).
    expect(traceText(j.records[1])).toBe('pageOwner[0x40001]: {"owner":"host","state":"owned"} -> {"owner":"hyp","state":"owned"}')
  })
  test('register state is shown in hex', () => {
    const j = new Journal()
    const regs = j.map<string, bigint>('smmu.regs', 'smmu')
    regs.set('CR0', 0xcn)
    regs.set('CR0', 0xdn)
    expect(traceText(j.records[1])).toBe('smmu.regs[CR0]: 0xc -> 0xd')
    expect(traceText(j.records[0])).toBe('smmu.regs[CR0]: (none) -> 0xc')
  })
  test('formatJsonl: one JSON record per line', () => {
    const records = [rec('op', { op: 'boot', index: 0 }, 'scenario', 0), rec('mmio', { reg: 'CR0', offset: 0x20, size: 4, write: false, trapped: false, value: 0n })]
    const out = formatJsonl(records)
    expect(out.endsWith('\n')).toBe(true)
    const lines = out.trimEnd().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>)
    expect(lines).toEqual([
      { i: 0, depth: 0, actor: 'scenario', kind: 'op', op: 'boot', index: 0 },
      { i: 1, depth: 1, actor: 'smmu', kind: 'mmio', reg: 'CR0', offset: 0x20, size: 4, write: false, trapped: false, value: 0 },
    ])
    expect(formatJsonl(records, 1)).toBe(JSON.stringify(toTraceRecord(records[1], 1)) + '\n')
  })
})

describe('traceText: one line per kind', () => {
  test('op', () => {
    expect(traceText(rec('op', { op: 'attach', index: 3, note: 'nic to an S1 domain' }, 'scenario', 0))).toBe('step 3: attach — nic to an S1 domain')
  })
  test('mmio: writes, reads, widths, traps', () => {
    expect(traceText(rec('mmio', { reg: 'CMDQ_PROD', offset: 0x98, size: 4, write: true, trapped: true, value: 3n }, 'host'))).toBe('CMDQ_PROD <- 0x00000003 (trapped)')
    expect(traceText(rec('mmio', { reg: 'CMDQ_BASE', offset: 0x90, size: 8, write: false, trapped: false, value: 0x4000_0000_0000_0013n }))).toBe('CMDQ_BASE -> 0x4000000000000013')
    expect(traceText(rec('mmio', { reg: undefined, offset: 0x1f0, size: 4, write: false, trapped: false, value: 0n }))).toBe('+496 -> 0x00000000')
  })
  test('commands: fields in the order a reader scans them', () => {
    // Fields as describeCommand lists them (word/bit order); TLBI_NH_VA per IHI 0070 4.4.
    const fields = { NUM: 0n, SCALE: 0n, VMID: 0n, ASID: 1n, Leaf: 1n, TTL: 3n, TG: 1n, Address: 0x1_0000n }
    expect(traceText(rec('cmd.consume', { queue: 'shadow', opcode: 'TLBI_NH_VA', index: 3, raw: ['0x0001000000000012', '0x0000000000010b01'], ...fields })))
      .toBe('shadow CMDQ[3]: TLBI_NH_VA ASID=1 VMID=0 Address=0x10000 NUM=0 SCALE=0 TTL=3 TG=1 Leaf=1')
    expect(traceText(rec('cmd.issue', { opcode: 'CFGI_STE', raw: ['0x0000001000000003', '0x0000000000000001'], index: 5, address: 0x4400_0050 }, 'host')))
      .toBe('CMDQ[5] <- CFGI_STE 0x0000001000000003 0x0000000000000001')
    expect(traceText(rec('hyp.cmd', { opcode: 'TLBI_NH_ALL', VMID: 0n, raw: ['0x10', '0x0'], verdict: 'rejected', reason: 'host TLBI of the hypervisor VMID' }, 'hyp')))
      .toBe('TLBI_NH_ALL VMID=0: rejected (host TLBI of the hypervisor VMID)')
  })
  test('structures and walks', () => {
    expect(traceText(rec('ste.write', { sid: 16, table: 'shadow', raw: [0xdn, 0n, 0x3_0000_0000n, 0x4100_0000n, 0n, 0n, 0n, 0n] })))
      .toBe('shadow STE[16] <- 0x000000000000000d 0x0000000000000000 0x0000000300000000 0x0000000041000000 …')
    expect(traceText(rec('cd.write', { sid: 16, ssid: 2, table: 'host', raw: [0x8000_0000n] }))).toBe('host CD[16/2] <- 0x0000000080000000')
    expect(traceText(rec('ptw.read', { stage: 2, level: 1, address: 0x4100_0008, raw: ['0x0000000041002003'], type: 'table', forS1: 0 })))
      .toBe('S2 L1 [0x41000008] = 0x0000000041002003 (table) for S1 step 0')
  })
  test('IOTLB and config cache', () => {
    expect(traceText(rec('tlb.hit', { asid: 1, vmid: 0, stage: 12, ipn: 0x10, sizeBits: 12, pa: 0x4001_0000 })))
      .toBe('IOTLB hit: ASID=1 VMID=0 S1+S2 0x10000 (4K) -> 0x40010000')
    expect(traceText(rec('tlb.insert', { asid: -1, vmid: 3, stage: 2, ipn: 0x200, sizeBits: 21, pa: 0x4020_0000 })))
      .toBe('IOTLB insert: ASID=-1 VMID=3 S2 0x200000 (2M) -> 0x40200000')
    expect(traceText(rec('tlb.miss', { asid: 1, vmid: 0, stage: 1, ipn: 1 }))).toBe('IOTLB miss: ASID=1 VMID=0 S1 0x1000')
    expect(traceText(rec('tlb.invalidate', { command: 'TLBI_S2_IPA', count: 2, vmid: 0 }))).toBe('IOTLB invalidate (TLBI_S2_IPA): 2 removed vmid=0')
    expect(traceText(rec('cfg.miss', { sid: 16, ssid: 0 }))).toBe('config cache miss: SID=16 SSID=0')
    expect(traceText(rec('cfg.invalidate', { sid: 16, count: 1 }))).toBe('config cache invalidate: SID=16 1 removed')
  })
  test('events, DMA, ownership, expectations', () => {
    expect(traceText(rec('event', { type: 'F_TRANSLATION', code: 0x10, sid: 16, input: 0x1_0000n, addr2: 0, stage: 1, class: 'IN', raw: [] })))
      .toBe('EVTQ <- F_TRANSLATION SID=16 input=0x10000 addr2=0x0 S1 CLASS=IN')
    expect(traceText(rec('event', { type: 'C_BAD_STE', sid: 3, written: false, why: 'CR0.EVENTQEN=0: event discarded' })))
      .toBe('EVTQ <- C_BAD_STE SID=3 (not written: CR0.EVENTQEN=0: event discarded)')
    expect(traceText(rec('dma', { device: 'nic', sid: 16, iova: 0x1_0000n, access: 'write', result: 'ok', pa: 0x4001_0000 }, 'device')))
      .toBe('nic (SID 16) write 0x10000 -> ok 0x40010000')
    expect(traceText(rec('dma', { device: 'nic', sid: 16, ssid: 1, iova: 0xffff_0000_0000_0000n, access: { read: true, write: false }, result: 'fault', reason: 'F_TRANSLATION' }, 'device')))
      .toBe('nic (SID 16, SSID 1) read 0xffff000000000000 -> fault (F_TRANSLATION)')
    expect(traceText(rec('own', { pa: 0x4100_0000, of: 'host', owner: 'hyp', state: 'NOPAGE' }, 'hyp'))).toBe('page 0x41000000: host NOPAGE (owner hyp)')
    expect(traceText(rec('expect', { ok: false, message: 'dma ok: the last DMA ended fault' }, 'scenario'))).toBe('expect FAILED: dma ok: the last DMA ended fault')
    expect(traceText(rec('expect', { ok: true, message: 'holds' }, 'scenario'))).toBe('expect ok: holds')
  })
  test('any other kind: its message and fields', () => {
    expect(traceText(rec('cmdq.error', { err: 1, name: 'CERROR_ILL', reason: 'unknown opcode 0x7' }))).toBe('cmdq.error: unknown opcode 0x7 err=1 name=CERROR_ILL')
    expect(traceText(rec('sev', {}))).toBe('sev')
  })
  test('lines are bounded', () => {
    expect(traceText(rec('x', { message: 'y'.repeat(1000) })).length).toBe(240)
  })
})
