import { describe, expect, test } from 'vitest'
import { HOST_CMDQ, HOST_STRTAB, HYP_BASE, PkvmKit } from './pkvm-testkit'

// Each emulation level behaves as that prefix of the series would (pkvm.ts
// EmulationLevel); each hostile host is contained and journaled.

describe('emulation levels', () => {
  test("'mmio': registers are checked, but the host's CMDQ and stream table go to the hardware", () => {
    const k = new PkvmKit({ emulation: 'mmio' })
    k.hostBoot()
    expect(k.smmu.reg('CMDQ_BASE')).toBe(BigInt(HOST_CMDQ) | 6n)
    expect(k.smmu.reg('STRTAB_BASE')).toBe(BigInt(HOST_STRTAB) | (1n << 62n))
    expect(k.read('IDR0') & 1n).toBe(0n) // S2P still hidden
    k.cmds([{ op: 'TLBI_S12_VMALL', VMID: 0 }, PkvmKit.SYNC])
    // No filter at this prefix: the SMMU runs the host's own queue.
    expect(k.records('hyp.cmd')).toHaveLength(0)
    expect(k.records('cmd.consume').map((r) => [r.queue, r.opcode])).toEqual([['host', 'TLBI_S12_VMALL'], ['host', 'SYNC']])
    // And no isolation: a host bypass STE reaches hypervisor memory.
    k.attach(3, { Config: 'bypass' })
    expect(k.dma(3, HYP_BASE)).toMatchObject({ result: 'ok', pa: HYP_BASE })
  })

  test("'cmdq': the shadow queue and the filter, but the host stream table is the hardware's", () => {
    const k = new PkvmKit({ emulation: 'cmdq' })
    k.hostBoot()
    expect(k.smmu.reg('STRTAB_BASE')).toBe(BigInt(HOST_STRTAB) | (1n << 62n))
    k.cmds([{ op: 'TLBI_S12_VMALL', VMID: 0 }])
    expect(k.records('hyp.cmd')[0].verdict).toBe('rejected')
    k.attach(3, { Config: 'bypass' })
    const cfgi = k.records('hyp.cmd').find((r) => r.opcode === 'CFGI_STE')!
    expect(cfgi.verdict).toBe('copied')
    expect(k.records('hyp.reshadow')).toHaveLength(0)
    expect(k.dma(3, HYP_BASE).result).toBe('ok')
  })

  test("'ste': bypass is confined by the identity stage 2; a host stage-1 STE is refused", () => {
    const k = new PkvmKit({ emulation: 'ste' })
    k.hostBoot()
    k.attach(3, { Config: 'bypass' })
    expect(k.dma(3, HYP_BASE)).toMatchObject({ result: 'fault', event: 'F_TRANSLATION', stage: 2 })
    k.attach(4, { Config: 's1', S1ContextPtr: 0x4201_0000n })
    expect(k.records('hyp.cmd').filter((r) => r.opcode === 'CFGI_STE').map((r) => r.verdict)).toEqual(['copied', 'rejected'])
    expect(k.dma(4, 0x1000).result).toBe('fault')
  })

  test("'nested': a host stage-1 STE becomes nested", () => {
    const k = new PkvmKit({ emulation: 'nested' })
    k.hostBoot()
    k.attach(4, { Config: 's1', S1ContextPtr: 0x4201_0000n })
    // Config 7: q0 = ptr | 7 << 1 | V.
    expect(k.shadowSte(4)[0]).toBe(0x4201_000fn)
  })
})

describe('hostile host', () => {
  test('tampering with a host STE after its CFGI: the shadow keeps the old one until the next CFGI_STE', () => {
    const k = new PkvmKit()
    k.hostBoot()
    k.attach(3, { Config: 'bypass' })
    const before = k.shadowSte(3)
    // The host rewrites its STE as stage 2 with its own tables and VMID, without a CFGI.
    k.hostSte(3, { Config: 's2', S2VMID: 7, S2TTB: 0x4000_8000n })
    expect(k.shadowSte(3)).toEqual(before)
    expect(k.dma(3, HYP_BASE).result).toBe('fault')
    // With a CFGI: Config=s2 | 0b010 is still s2, and q2/q3 are the hypervisor's, not the host's.
    k.cmds([{ op: 'CFGI_STE', SID: 3, Leaf: 1 }])
    expect(k.shadowSte(3).slice(2, 4)).toEqual(before.slice(2, 4))
    expect(k.dma(3, HYP_BASE).result).toBe('fault')
  })

  test('moving CMDQ_BASE or the stream table while enabled is refused', () => {
    const k = new PkvmKit()
    k.hostBoot()
    const hw = [k.smmu.reg('CMDQ_BASE'), k.smmu.reg('STRTAB_BASE')]
    k.write('CMDQ_BASE', BigInt(HYP_BASE) | 6n)
    k.write('STRTAB_BASE', HYP_BASE)
    k.write('STRTAB_BASE_CFG', 4)
    expect([k.hyp.get('CMDQ_BASE'), k.hyp.field('STRTAB_BASE', 'ADDR')]).toEqual([BigInt(HOST_CMDQ) | 6n, HOST_STRTAB])
    expect([k.smmu.reg('CMDQ_BASE'), k.smmu.reg('STRTAB_BASE')]).toEqual(hw)
    expect(k.records('hyp.mmio').filter((r) => r.verdict === 'refused')).toHaveLength(3)
  })

  test('a host stream table placed in hypervisor memory is never shared nor read', () => {
    const k = new PkvmKit()
    k.write('STRTAB_BASE', HYP_BASE)
    k.write('STRTAB_BASE_CFG', 8)
    k.write('CMDQ_BASE', BigInt(HOST_CMDQ) | 6n)
    k.write('CR0', 8)
    k.write('CR0', 9)
    expect(k.records('hyp.share').at(-1)).toMatchObject({ what: 'host stream table', pa: HYP_BASE, ret: -1 })
    k.cmds([{ op: 'CFGI_STE', SID: 1, Leaf: 1 }])
    expect(k.records('hyp.copy').filter((r) => r.what === 'host STE')).toHaveLength(0)
    expect(k.records('hyp.cmd')[0].verdict).toBe('rejected')
  })

  test('DMA aimed at hypervisor memory faults at stage 2 (F_TRANSLATION)', () => {
    const k = new PkvmKit()
    k.hostBoot()
    k.attach(3, { Config: 'bypass' })
    expect(k.dma(3, HYP_BASE + 0x1000, 'write')).toMatchObject({ result: 'fault', event: 'F_TRANSLATION', stage: 2 })
    expect(k.records('event').at(-1)).toMatchObject({ type: 'F_TRANSLATION' })
    expect(k.dma(3, HYP_BASE - 0x1000, 'write')).toMatchObject({ result: 'ok', pa: HYP_BASE - 0x1000 })
  })

  test('before the host enables the SMMU, GBPA.ABORT stops every transaction', () => {
    const k = new PkvmKit()
    k.write('GBPA', 0) // ignored
    expect(k.dma(3, 0x4100_0000).result).toBe('abort')
  })
})
