import { describe, expect, test } from 'vitest'
import { REG } from '../arch/registers'
import { Journal, type JRecord } from '../journal/journal'
import { rewind } from '../journal/rewind'
import { MmioBus } from '../mem/bus'
import { PhysMem } from '../mem/physmem'
import { DEFAULT_PLATFORM, type Platform } from '../scenario/format'
import { Smmu } from '../smmu/smmu'
import { formatJsonl } from '../trace/format'
import { HostDriver, HostError } from './driver'

function machine(over: Partial<Platform['smmu']> = {}, devices: Platform['devices'] = [{ name: 'nic', sid: 8 }]) {
  const platform: Platform = { ...DEFAULT_PLATFORM, smmu: { ...DEFAULT_PLATFORM.smmu, ...over }, devices }
  const j = new Journal()
  const mem = new PhysMem(platform.ram.base, platform.ram.size, j)
  const smmu = new Smmu(j, mem, { params: platform.smmu, tlb: platform.smmu.tlb, qemuCompat: false })
  const bus = new MmioBus(j, smmu)
  smmu.reset()
  const host = new HostDriver(j, bus, mem, platform)
  return { j, mem, smmu, bus, host }
}

const hostMmio = (recs: readonly JRecord[]) =>
  recs.filter((r) => r.kind === 'mmio' && r.actor === 'host').map((r) => `${String(r.reg)}${r.write ? '<-' : '->'}0x${(r.value as bigint).toString(16)}`)
const issued = (recs: readonly JRecord[]) => recs.filter((r) => r.kind === 'cmd.issue').map((r) => `${String(r.opcode)} ${(r.raw as string[]).join(' ')}`)
const spanRecords = (j: Journal, kind: string) => {
  const i = j.records.findIndex((r) => r.kind === kind)
  return j.records.slice(i, j.records[i].end)
}

describe('reset (arm_smmu_device_reset, B§5)', () => {
  test('register order and the commands, each followed by a SYNC', () => {
    const { j, host } = machine()
    host.boot()
    const reset = spanRecords(j, 'host.reset')
    const strtab = host.strtab.config!.base.toString(16)
    const cmdq = host.cmdq.geometry!
    // Expected from the driver's sequence: CR1 = 0xd75 (ISH/WB tables and queues), CR2 = PTM|RECINVSID = 0x6,
    // STRTAB_BASE = RA (bit 62) | L1 address, BASE_CFG = FMT 2-level (1<<16) | SPLIT 8 (8<<6) | LOG2SIZE 8+8,
    // CMDQ_BASE = RA | address | LOG2SIZE 18, CR0 = CMDQEN (8), then EVTQEN (0xc), IRQ_CTRL 0 then GERROR|EVTQ (5), SMMUEN (0xd).
    expect(hostMmio(reset)).toEqual([
      'CR0->0x0', 'CR0<-0x0', 'CR0ACK->0x0', 'CR1<-0xd75', 'CR2<-0x6',
      `STRTAB_BASE<-0x40000000${strtab.padStart(8, '0')}`, 'STRTAB_BASE_CFG<-0x10210',
      `CMDQ_BASE<-0x${(0x4000_0000_0000_0000n | BigInt(cmdq.base) | 18n).toString(16)}`, 'CMDQ_PROD<-0x0', 'CMDQ_CONS<-0x0',
      'CR0<-0x8', 'CR0ACK->0x8',
      'CMDQ_PROD<-0x2', 'CMDQ_CONS->0x2',
      'CMDQ_PROD<-0x4', 'CMDQ_CONS->0x4',
      expect.stringMatching(/^EVENTQ_BASE<-0x40000000[0-9a-f]{8}$/) as unknown as string, 'EVENTQ_PROD<-0x0', 'EVENTQ_CONS<-0x0',
      'CR0<-0xc', 'CR0ACK->0xc',
      'IRQ_CTRL<-0x0', 'IRQ_CTRLACK->0x0', 'GERROR_IRQ_CFG0<-0x0', 'EVENTQ_IRQ_CFG0<-0x0', 'IRQ_CTRL<-0x5', 'IRQ_CTRLACK->0x5',
      'CR0<-0xd', 'CR0ACK->0xd',
    ])
    // CFGI_ALL: opcode 0x04 with Range=31 in cmd1; SYNC SEV: 0x46 | CS 2<<12 | MSH 3<<22 | MSIATTR 0xF<<24 = 0x0FC02046.
    expect(issued(reset)).toEqual([
      'CFGI_ALL 0x0000000000000004 0x000000000000001f',
      'SYNC 0x000000000fc02046 0x0000000000000000',
      'TLBI_NSNH_ALL 0x0000000000000030 0x0000000000000000',
      'SYNC 0x000000000fc02046 0x0000000000000000',
    ])
  })

  test('an enabled SMMU is first made to abort through GBPA', () => {
    const { j, host, bus } = machine()
    bus.write('host', REG.CR0.offset, 4, 1n)
    host.boot()
    const seq = hostMmio(spanRecords(j, 'host.reset')).slice(0, 6)
    // GBPA reset value 0x1000; ABORT is bit 20, UPDATE bit 31.
    expect(seq).toEqual(['CR0->0x1', 'GBPA->0x1000', 'GBPA<-0x80101000', 'GBPA->0x101000', 'CR0<-0x0', 'CR0ACK->0x0'])
  })

  test('with MSI on a coherent SMMU the SYNC polls its own slot: CS=IRQ, MSIAddr = the slot', () => {
    const { j, host } = machine({ msi: true })
    host.boot()
    const base = host.cmdq.geometry!.base
    const syncs = j.records.filter((r) => r.kind === 'cmd.issue' && r.opcode === 'SYNC').slice(0, 2)
    // cmd0 = 0x46 | CS 1<<12 | MSH 3<<22 | MSIATTR 0xF<<24 = 0x0FC01046; cmd1 = address of the SYNC's slot (index 1, then 3).
    expect(syncs.map((r) => r.raw)).toEqual([
      ['0x000000000fc01046', `0x${(base + 16).toString(16).padStart(16, '0')}`],
      ['0x000000000fc01046', `0x${(base + 48).toString(16).padStart(16, '0')}`],
    ])
    expect(j.records.filter((r) => r.kind === 'host.poll').map((r) => r.value).slice(0, 2)).toEqual([0, 0])
  })

  test('2-level stream table: the device L2 table appears with one L1 store of Span 9', () => {
    const { j, host, mem } = machine()
    host.boot()
    const l1 = j.records.find((r) => r.kind === 'l1std.write')!
    const l2 = l1.L2Ptr as number
    // L1[0] = L2Ptr | Span 9; STE 8 of the new table is abort (V=1, Config=0).
    expect(mem.read64(host.strtab.config!.base)).toBe(BigInt(l2) | 9n)
    expect(mem.read64(l2 + 8 * 64)).toBe(1n)
  })

  test('sid_bits <= 8: linear table of abort STEs, LOG2SIZE = sid_bits', () => {
    const { j, host, mem } = machine({ sidBits: 8 })
    host.boot()
    expect(hostMmio(spanRecords(j, 'host.reset'))[6]).toBe('STRTAB_BASE_CFG<-0x8')
    expect(mem.read64(host.strtab.config!.base + 255 * 64)).toBe(1n)
  })
})

describe('command queue errors and timeouts', () => {
  test('CERROR_ILL: the faulting entry becomes a CMD_SYNC and GERRORN acknowledges', () => {
    const { j, host, smmu } = machine()
    host.boot()
    const before = j.length
    // TLBI_EL2_ALL is illegal without IDR0.HYP: the SMMU stops on it.
    const res = host.cmdq.issue({ op: 'TLBI_EL2_ALL' }, true)
    expect(res).toBe('ok')
    const recs = j.records.slice(before)
    expect(recs.some((r) => r.kind === 'cmdq.error')).toBe(true)
    const replaced = recs.find((r) => r.kind === 'cmd.issue' && r.replaces !== undefined)!
    expect(replaced.raw).toEqual(['0x000000000fc02046', '0x0000000000000000'])
    expect(smmu.reg('GERROR')).toBe(smmu.reg('GERRORN'))
  })

  test('a queue that does not drain gives a visible CMD_SYNC timeout, bounded', () => {
    const { j, host, bus } = machine()
    host.boot()
    // Stop consumption: CMDQEN off (the driver does not know).
    bus.write('host', REG.CR0.offset, 4, 0x5n)
    expect(host.cmdq.issue({ op: 'TLBI_NSNH_ALL' }, true)).toBe('timeout')
    const t = j.records.find((r) => r.kind === 'cmd.sync.timeout')!
    // Reset used entries 0-3 (CFGI_ALL, SYNC, NSNH_ALL, SYNC); the TLBI goes to 4, its SYNC to 5; PROD 6, CONS stuck at 4.
    expect(t.message).toBe('CMD_SYNC timeout at 0x00000005 [hwprod 0x00000006, hwcons 0x00000004]')
  })
})

describe('attach', () => {
  test('S1 attach: CD (2 syncs), then STE bypass-free abort -> S1 (2 syncs), then PREFETCH_CONFIG', () => {
    const { j, host } = machine()
    host.boot()
    const from = j.length
    host.attach('nic', { type: 's1', granule: '4K', ias: 48 })
    const cmds = issued(j.records.slice(from)).map((s) => s.split(' ')[0])
    // CD from zero: q1/q3 (unused while V=0), then q0. STE abort -> S1: q1 (unused by abort), then q0.
    expect(cmds).toEqual(['CFGI_CD', 'SYNC', 'CFGI_CD', 'SYNC', 'CFGI_STE', 'SYNC', 'CFGI_STE', 'SYNC', 'PREFETCH_CONFIG'])
    expect(host.domain('s1#1')?.asid).toBe(1)
  })

  test('S1 -> S2 is disruptive (3 STE syncs), then CD 0 is cleared (2 syncs)', () => {
    const { j, host } = machine()
    host.boot()
    host.attach('nic', { type: 's1', granule: '4K', ias: 48 })
    const from = j.length
    host.attach('nic', { type: 's2', granule: '4K', ias: 44 })
    const cmds = issued(j.records.slice(from)).map((s) => s.split(' ')[0])
    expect(cmds).toEqual(['CFGI_STE', 'SYNC', 'CFGI_STE', 'SYNC', 'CFGI_STE', 'SYNC', 'PREFETCH_CONFIG', 'CFGI_CD', 'SYNC', 'CFGI_CD', 'SYNC'])
    expect(host.domain('s2#2')?.vmid).toBe(1)
  })

  test('map refuses an existing mapping (-EEXIST) and an unaligned size', () => {
    const { host } = machine()
    host.boot()
    host.attach('nic', { type: 's1', name: 'd', granule: '4K', ias: 48 })
    host.map({ device: 'nic' }, 0x1000, 0x4100_0000, 0x1000, 'rw')
    expect(() => host.map({ device: 'nic' }, 0x1000, 0x4100_0000, 0x1000, 'rw')).toThrow(/-EEXIST/)
    expect(() => host.map({ domain: 'd' }, 0x3000, 0x4100_0000, 0x800, 'rw')).toThrow(HostError)
  })

  test('partial unmap of a block: WARN, 0 unmapped, no TLBI', () => {
    const { j, host } = machine()
    host.boot()
    host.attach('nic', { type: 's1', granule: '4K', ias: 48 })
    host.map({ device: 'nic' }, 0x200000, 0x4100_0000, 0x200000, 'rw')
    const from = j.length
    expect(host.unmap({ device: 'nic' }, 0x200000, 0x1000)).toBe(0)
    const recs = j.records.slice(from)
    expect(recs.some((r) => r.kind === 'host.warn' && /partial large IOPTE/.test(String(r.message)))).toBe(true)
    expect(issued(recs)).toEqual([])
  })

  test('a block over a left-over table frees it with a non-leaf walk flush', () => {
    const { j, host } = machine()
    host.boot()
    host.attach('nic', { type: 's1', granule: '4K', ias: 48 })
    host.map({ device: 'nic' }, 0x200000, 0x4100_0000, 0x1000, 'rw')
    host.unmap({ device: 'nic' }, 0x200000, 0x1000)
    const from = j.length
    host.map({ device: 'nic' }, 0x200000, 0x4100_0000, 0x200000, 'rw')
    // tlb_flush_walk(0x200000, 2M, 4K), RIL: 512 pages, TTL 0, Leaf 0, SCALE 9 (cmd1 = addr | TG 1<<10).
    expect(issued(j.records.slice(from))).toEqual(['TLBI_NH_VA 0x0001000000900012 0x0000000000200400', 'SYNC 0x000000000fc02046 0x0000000000000000'])
  })
})

describe('restore after a rewind (re-run on edit)', () => {
  test('boot, attach and map again after rewinding past them record what they recorded the first time', () => {
    const { j, mem, smmu, host } = machine()
    const cut = j.length
    const again = () => {
      host.boot()
      host.attach('nic', { type: 's1', name: 'dma', granule: '4K', ias: 48 })
      host.map({ domain: 'dma' }, 0x10_0000, 0x4800_0000, 0x1000, 'rw')
      return formatJsonl(j.records, cut)
    }
    const first = again()
    rewind(j, mem, cut)
    smmu.restore()
    host.restore()
    // Before boot: CR0.SMMUEN is 0 again (IHI 0070 6.3.9, reset value), so is the copy beside it;
    // the domain (its ASID, its page-table writer) is gone.
    expect(smmu.smmuen).toBe(false)
    expect(host.booted).toBe(false)
    expect(host.domain('dma')).toBeUndefined()
    expect(again()).toBe(first)
  })
})
