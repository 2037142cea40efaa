import { describe, expect, test } from 'vitest'
import { HYP_BASE, PkvmKit } from './pkvm-testkit'

// The emulation loop of smmu_emulate_cmdq_insert (SPEC-FACTS B§8 "CMDQ emulation").

describe('command queue emulation', () => {
  test('each entry is copied before it is judged, then queued; the hardware PROD is written once', () => {
    const k = new PkvmKit()
    k.hostBoot()
    const from = k.j.length
    k.cmds([{ op: 'TLBI_NSNH_ALL' }, { op: 'TLBI_NH_ASID', ASID: 1, VMID: 0 }, PkvmKit.SYNC])
    const seq = k.j.records.slice(from).filter((r) => ['hyp.copy', 'hyp.cmd', 'cmd.issue'].includes(r.kind)).map((r) => r.kind)
    expect(seq).toEqual(['hyp.copy', 'hyp.cmd', 'cmd.issue', 'hyp.copy', 'hyp.cmd', 'cmd.issue', 'hyp.copy', 'hyp.cmd', 'cmd.issue'])
    // Each judgement is of the copy: the raw words agree.
    const copies = k.records('hyp.copy', from)
    expect(k.records('hyp.cmd', from).map((r) => r.raw)).toEqual(copies.map((r) => r.raw))
    const prodWrites = k.j.records.slice(from).filter((r) => r.kind === 'mmio' && r.actor === 'hyp' && r.reg === 'CMDQ_PROD')
    expect(prodWrites.map((r) => r.value)).toEqual([3n])
    // The SMMU consumed the shadow queue, labelled as such.
    expect(k.records('cmd.consume', from).map((r) => [r.queue, r.opcode])).toEqual([['shadow', 'TLBI_NSNH_ALL'], ['shadow', 'TLBI_NH_ASID'], ['shadow', 'SYNC']])
  })

  test('the host CONS is published after the shadow queue drained', () => {
    const k = new PkvmKit()
    k.hostBoot()
    const from = k.j.length
    k.cmds([{ op: 'TLBI_NSNH_ALL' }, PkvmKit.SYNC])
    const idx = k.j.records.findIndex((r, i) => i >= from && r.kind === 'state' && r.map === 'hyp.smmu' && r.key === 'CMDQ_CONS')
    const lastConsume = k.j.records.findLastIndex((r) => r.kind === 'cmd.consume')
    expect(idx).toBeGreaterThan(lastConsume)
    expect(k.read('CMDQ_CONS')).toBe(2n)
  })

  test('the host queue wraps: CONS carries the wrap bit (64 entries, bit 6)', () => {
    const k = new PkvmKit()
    k.hostBoot()
    for (let i = 0; i < 7; i++) k.cmds(Array.from({ length: 10 }, () => ({ op: 'TLBI_NSNH_ALL' as const })))
    // 70 entries into a 64-entry queue: index 6 with the wrap bit (0x40) set.
    expect(k.read('CMDQ_CONS')).toBe(0x46n)
    expect(k.records('cmd.consume').filter((r) => r.opcode === 'TLBI_NSNH_ALL')).toHaveLength(70)
  })

  test('a stuck hardware queue times out after a bounded number of polls', () => {
    const k = new PkvmKit()
    k.hostBoot()
    k.cmds([{ op: 'TLBI_EL3_ALL' }])
    expect(k.records('hyp.timeout')).toHaveLength(1)
    expect(k.records('hyp.warn').map((r) => r.reason)).toEqual(['command queue emulation failed (-110)'])
  })

  test('a host CMDQ placed in hypervisor memory is never shared nor read', () => {
    const k = new PkvmKit()
    k.write('CMDQ_BASE', BigInt(HYP_BASE) | 6n)
    k.write('CR0', 8)
    expect(k.records('hyp.share')[0]).toMatchObject({ what: 'host CMDQ', pa: HYP_BASE, ret: -1 })
    k.write('CMDQ_PROD', 1)
    expect(k.records('hyp.copy')).toHaveLength(0)
    expect(k.records('hyp.cmdq.refused')).toHaveLength(1)
  })

  test('disabling the command queue unshares the host CMDQ', () => {
    const k = new PkvmKit()
    k.hostBoot()
    expect(k.sharing.shared.get(0x4080_0000)).toBe(1)
    k.write('CR0', 0)
    expect(k.sharing.shared.has(0x4080_0000)).toBe(false)
  })
})
