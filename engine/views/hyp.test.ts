import { describe, expect, test } from 'vitest'
import { builtins, createEngine } from '../api'

// engine/scenario/builtin/boot-pkvm.json: SID 8 ("nic") gets a stage-1 domain, IOVA 0x10_0000 maps
// PA 0x4100_0000; step 5 donates that page to the hypervisor; step 8 sends TLBI_S12_VMALL, which the
// filter refuses (SPEC-FACTS B§8: stage 2 belongs to the hypervisor).
const scenario = builtins().find((b) => b.id === 'boot-pkvm')!.scenario

describe('pKVM views of boot-pkvm', () => {
  const e = createEngine()
  const loaded = e.load(scenario)
  if (!loaded.ok) throw new Error('boot-pkvm does not load')
  const end = loaded.summary.records
  const rejected = e.find({ kind: 'hyp.cmd', verdict: 'rejected' }, 0, 'forward')!
  const donate = e.find({ kind: 'hypercall' }, e.find({ kind: 'op' }, e.find({ kind: 'expect' }, 0, 'forward')!, 'forward')!, 'forward')!

  test('without a hypervisor the hyp view is null', () => {
    const plain = createEngine()
    plain.load(builtins().find((b) => b.id === 'raw-cmdq')!.scenario)
    expect(plain.view(0, { hyp: { cmdq: {} } }).hyp).toBeNull()
  })

  test('the rejected command is marked on its host slot and never reaches the shadow ring', () => {
    const q = e.view(end, { hyp: { cmdq: { host: { from: 8, to: 16 } } } }).hyp!.cmdq!
    const mark = q.marks.find((m) => m.opcode === 'TLBI_S12_VMALL')!
    expect(mark.verdict).toBe('rejected')
    expect(mark.reason).toMatch(/stage 2/)
    expect(mark.shadowIndex).toBeUndefined()
    // The copied ones before it each name the shadow slot they went to.
    expect(q.marks.filter((m) => m.verdict === 'copied').every((m) => m.shadowIndex !== undefined)).toBe(true)
    expect(q.shadow).toBeDefined()
  })

  test('at the judgement the host entry is the active one', () => {
    const q = e.view(rejected, { hyp: { cmdq: {} } }).hyp!.cmdq!
    expect(q.active).toMatchObject({ queue: 'host', what: 'judge' })
    // The default host window shows the active entry.
    expect(q.host.entries.some((x) => x.index === q.active!.index && x.opcode === 'TLBI_S12_VMALL')).toBe(true)
  })

  test('host STE 8 is stage 1; the shadow STE the hardware uses is nested, and the differences are named', () => {
    const st = e.view(end, { hyp: { strtab: { from: 8, to: 9 } } }).hyp!.strtab!
    expect(st.host.rows[0].config).toBe('s1')
    expect(st.shadow!.rows[0].config).toBe('nested')
    expect(st.host.rows[0].changed).toEqual(expect.arrayContaining(['Config', 'S2TTB', 'S2T0SZ']))
    expect(st.shadow!.rows[0].changed).toEqual(st.host.rows[0].changed)
    // S1ContextPtr is the host's: the hypervisor keeps the host's CD table (nested translation).
    expect(st.host.rows[0].changed).not.toContain('S1ContextPtr')
    expect(st.host.base).not.toBe(st.shadow!.base)
  })

  test('the SMMU panels read the host table by default and the shadow when asked', () => {
    const host = e.view(end, { smmu: { strtab: { from: 8, to: 9 }, inspect: { kind: 'ste', sid: 8 } } }).smmu!
    const shadow = e.view(end, { smmu: { strtab: { from: 8, to: 9, table: 'shadow' }, inspect: { kind: 'ste', sid: 8, table: 'shadow' } } }).smmu!
    expect(host.strtab!.rows[0].config).toBe('s1')
    expect(host.inspect!.fields.find((f) => f.name === 'Config')!.display).toBe('s1')
    expect(shadow.strtab!.rows[0].config).toBe('nested')
    expect(shadow.inspect!.fields.find((f) => f.name === 'Config')!.display).toBe('nested')
  })

  test('the donated page: host-owned and identity-mapped before, hyp-owned and unmapped after', () => {
    const before = e.view(donate, { hyp: { page: { pa: '0x41000040' } } }).hyp!.page!
    expect(before).toMatchObject({ pa: '0x41000000', host: 'OWNED', owner: 'host', hyp: 'NOPAGE' })
    // Identity leaf (Arm ARM D8.3 stage-2 page descriptor): OA 0x4100_0000 | AF (bit 10) | SH=inner
    // (0b11 << 8) | S2AP=RW (0b11 << 6) | MemAttr=0xf (<< 2) | page (0b11) = 0x4100_07ff.
    expect(before.idmap!.ok).toBe(true)
    expect(before.idmap!.reads.at(-1)).toMatchObject({ level: 3, raw: '0x00000000410007ff' })
    // 4K, 44-bit IPA, start level 0: indexes IPA[47:39]=0, [38:30]=1, [29:21]=8, [20:12]=0.
    expect(before.idmap!.reads.map((r) => r.level)).toEqual([0, 1, 2, 3])
    expect(Number(before.idmap!.reads[1].address) % 0x1000).toBe(8)
    expect(Number(before.idmap!.reads[2].address) % 0x1000).toBe(0x40)
    expect(before.hostMappings).toEqual([expect.objectContaining({ domain: 'dma', iova: '0x100000', prot: 'rw' })])

    const after = e.view(end, { hyp: { page: { pa: '0x41000000' } } }).hyp!.page!
    expect(after).toMatchObject({ host: 'NOPAGE', owner: 'hyp', hyp: 'OWNED' })
    expect(after.idmap).toMatchObject({ ok: false, level: 3, kind: 'invalid', fault: 'F_TRANSLATION at level 3' })
    expect(after.history.map((h) => [h.of, h.state])).toEqual([
      ['hyp', 'OWNED'],
      ['host', 'NOPAGE'],
    ])
    expect(after.history[0].why).toContain('__pkvm_host_donate_hyp')
  })

  test('the memory map shows the page as its own run, hyp-owned, with a hole in the identity map', () => {
    const mm = e.view(end, { hyp: { memmap: { from: '0x40000000', to: '0x42000000' } } }).hyp!.memmap!
    expect(mm.own).toContainEqual({ base: '0x41000000', pages: 1, host: 'NOPAGE', owner: 'hyp', hyp: 'OWNED' })
    expect(mm.idmap).toContainEqual({ base: '0x41000000', pages: 1, kind: 'none', level: undefined })
    const pages = mm.own.reduce((n, r) => n + r.pages, 0)
    expect(pages).toBe(0x2000_000 / 4096)
  })

  test('the trap log pairs the host read of IDR0 with the masked answer and the real read', () => {
    const first = e.find({ kind: 'mmio', reg: 'IDR0', actor: 'host' }, 0, 'forward')!
    const t = e.view(first + 3, { hyp: { traplog: { from: 0, to: 1 }, registers: true } }).hyp!
    const row = t.traplog!.rows[0]
    expect(row).toMatchObject({ reg: 'IDR0', write: false, verdict: 'masked', hwCount: 1 })
    // IHI 0070 6.3.1: S2P is bit 0, HYP bit 9, MSI bit 13, VMID16 bit 18; the host sees them clear.
    const hw = BigInt(row.hw[0].value)
    expect(BigInt(row.value)).toBe(hw & ~((1n << 0n) | (1n << 9n) | (1n << 13n) | (1n << 18n)))
    const idr0 = t.registers!.find((r) => r.name === 'IDR0')!
    expect(idr0.source).toBe('host access')
    expect(BigInt(idr0.host)).toBe(BigInt(row.value))
  })

  test('the host CMDQ_BASE is the emulated one; the hardware holds the shadow queue', () => {
    const regs = e.view(end, { hyp: { registers: true } }).hyp!.registers!
    const base = regs.find((r) => r.name === 'CMDQ_BASE')!
    expect(base.source).toBe('emulated')
    expect(base.host).not.toBe(base.hw)
  })

  test('timeline: ops as segments; the event, the rejected command and the expectations as marks', () => {
    const tl = e.view(0, { timeline: true }).timeline!
    expect(tl.records).toBe(end)
    expect(tl.segments.filter((s) => s.kind === 'op')).toHaveLength(10)
    expect(tl.segments.filter((s) => s.depth === 0 && s.kind === 'op').map((s) => s.i)).toEqual(tl.segments.filter((s) => s.kind === 'op').map((s) => s.i))
    // Step 0 (boot) holds the host driver's boot span, one level down.
    expect(tl.segments.find((s) => s.depth === 1 && s.kind === 'host.boot')!.actor).toBe('host')
    expect(tl.marks.find((m) => m.kind === 'rejected')!.i).toBe(rejected)
    expect(tl.marks.filter((m) => m.kind === 'expect')).toHaveLength(3)
    expect(tl.marks.find((m) => m.kind === 'event')!.text).toContain('F_TRANSLATION')
  })
})
