import { describe, expect, test } from 'vitest'
import type { CommandInput } from '../arch/commands'
import { HypPanic } from './pkvm'
import { HYP_BASE, PkvmKit } from './pkvm-testkit'

// Verdicts from the series' smmu_filter_command (SPEC-FACTS B§8 "The filter").

function judge(k: PkvmKit, cmd: CommandInput | readonly [bigint, bigint]) {
  const from = k.j.length
  k.cmds([cmd])
  const r = k.records('hyp.cmd', from)
  expect(r).toHaveLength(1)
  return { rec: r[0], shadow: k.records('cmd.issue', from).filter((x) => x.source === 'host') }
}

describe('verdicts', () => {
  const cases: [string, CommandInput, 'copied' | 'rejected'][] = [
    ['CFGI_ALL (Range 31)', { op: 'CFGI_ALL' }, 'copied'],
    ['CFGI_STE_RANGE Range 3', { op: 'CFGI_STE_RANGE', SID: 8, Range: 3 }, 'rejected'],
    ['TLBI_NH_ASID VMID 0', { op: 'TLBI_NH_ASID', ASID: 1, VMID: 0 }, 'copied'],
    ['TLBI_NH_ASID VMID 1', { op: 'TLBI_NH_ASID', ASID: 1, VMID: 1 }, 'rejected'],
    ['TLBI_NH_VA VMID 0', { op: 'TLBI_NH_VA', ASID: 1, VMID: 0, Address: 0x1000 }, 'copied'],
    ['TLBI_NH_VA VMID 2', { op: 'TLBI_NH_VA', ASID: 1, VMID: 2, Address: 0x1000 }, 'rejected'],
    ['TLBI_NH_VAA VMID 0', { op: 'TLBI_NH_VAA', VMID: 0, Address: 0x1000 }, 'copied'],
    ['TLBI_NH_VAA VMID 3', { op: 'TLBI_NH_VAA', VMID: 3, Address: 0x1000 }, 'rejected'],
    ['TLBI_NH_ALL', { op: 'TLBI_NH_ALL', VMID: 0 }, 'rejected'],
    ['TLBI_EL2_ALL', { op: 'TLBI_EL2_ALL' }, 'rejected'],
    ['TLBI_EL2_ASID', { op: 'TLBI_EL2_ASID', ASID: 1 }, 'rejected'],
    ['TLBI_EL2_VA', { op: 'TLBI_EL2_VA', ASID: 1, Address: 0x1000 }, 'rejected'],
    ['TLBI_EL2_VAA', { op: 'TLBI_EL2_VAA', Address: 0x1000 }, 'rejected'],
    ['TLBI_S12_VMALL', { op: 'TLBI_S12_VMALL', VMID: 0 }, 'rejected'],
    ['TLBI_S2_IPA', { op: 'TLBI_S2_IPA', VMID: 0, Address: 0x1000 }, 'rejected'],
    ['CFGI_CD', { op: 'CFGI_CD', SID: 1, SSID: 0, Leaf: 1 }, 'copied'],
    ['CFGI_CD_ALL', { op: 'CFGI_CD_ALL', SID: 1 }, 'copied'],
    ['TLBI_NSNH_ALL', { op: 'TLBI_NSNH_ALL' }, 'copied'],
    ['PREFETCH_CONFIG', { op: 'PREFETCH_CONFIG', SID: 1 }, 'copied'],
    ['CMD_SYNC SEV', PkvmKit.SYNC, 'copied'],
  ]
  for (const [name, cmd, verdict] of cases) {
    test(`${name}: ${verdict}`, () => {
      const k = new PkvmKit()
      k.hostBoot()
      const { rec, shadow } = judge(k, cmd)
      expect(rec.verdict).toBe(verdict)
      expect(typeof rec.reason).toBe('string')
      // What passes reaches the shadow queue unchanged; what is refused never does, with a WARN.
      if (verdict === 'copied') {
        expect(shadow.map((s) => s.raw)).toEqual([rec.raw])
        expect(k.records('hyp.warn')).toHaveLength(0)
      } else {
        expect(shadow).toHaveLength(0)
        expect(k.records('hyp.warn')).toHaveLength(1)
      }
    })
  }

  test('an undefined opcode is queued as it is (the series\' switch has no default) and the SMMU raises CERROR_ILL', () => {
    const k = new PkvmKit()
    k.hostBoot()
    // Opcode 0x7f is not defined (IHI 0070 4.1: undefined opcodes are CERROR_ILL).
    const { rec, shadow } = judge(k, [0x7fn, 0n])
    expect(rec.opcode).toBe('UNKNOWN(0x7f)')
    expect(rec.verdict).toBe('copied')
    expect(rec.reason).toMatch(/not defined/)
    expect(shadow.map((s) => s.raw)).toEqual([rec.raw])
    expect(k.records('cmdq.error').map((r) => r.name)).toEqual(['CERROR_ILL'])
  })

  test('the host sees a refused command consumed (its CONS moves past it)', () => {
    const k = new PkvmKit()
    k.hostBoot()
    k.cmds([{ op: 'TLBI_S12_VMALL', VMID: 0 }, PkvmKit.SYNC])
    expect(k.read('CMDQ_CONS')).toBe(2n)
  })

  test('onRefused panic: the first refused command stops the run', () => {
    const k = new PkvmKit({ onRefused: 'panic' })
    k.hostBoot()
    expect(() => k.cmds([{ op: 'TLBI_S2_IPA', VMID: 0, Address: 0x1000 }])).toThrow(HypPanic)
    expect(k.records('hyp.warn')[0].panic).toBe(true)
  })
})

describe('CMD_SYNC with CS=SIG_IRQ', () => {
  // Linux's MSI CMD_SYNC: opcode 0x46 | CS=1 << 12 | MSH=3 << 22 | MSIAttr=0xF << 24 = 0x0FC01046,
  // MSIData in bits 63:32; MSIAddr in word 1. Aimed at a hypervisor page.
  const target = HYP_BASE + 0x80_0000
  const msiSync: readonly [bigint, bigint] = [0xdead_beef_0fc0_1046n, BigInt(target)]

  test('architectural: rewritten to SEV without MSIAddr; no MSI write', () => {
    const k = new PkvmKit({ fidelity: 'architectural' })
    k.hostBoot()
    const { rec, shadow } = judge(k, msiSync)
    expect(rec.verdict).toBe('rewritten')
    // CS=SEV (2 << 12): 0x0FC02046, MSIData kept; word 1 cleared.
    expect(rec.rewritten).toEqual(['0xdeadbeef0fc02046', '0x0000000000000000'])
    expect(shadow.map((s) => s.raw)).toEqual([rec.rewritten])
    expect(k.mem.read32(target)).toBe(0)
  })

  test('series (v6): only a local copy is rewritten; the SMMU writes MSIData into hypervisor memory', () => {
    const k = new PkvmKit({ fidelity: 'series' })
    k.hostBoot()
    const { rec, shadow } = judge(k, msiSync)
    expect(rec.verdict).toBe('copied')
    expect(rec.localCopy).toEqual(['0xdeadbeef0fc02046', '0x0000000000000000'])
    expect(shadow.map((s) => s.raw)).toEqual([rec.raw])
    // The hardware has MSI (only the host's view hides it): the completion write lands at target.
    expect(k.mem.read32(target)).toBe(0xdeadbeef)
  })

  test('v4 edits the command in place: rewritten whatever the fidelity', () => {
    const k = new PkvmKit({ version: 'v4', fidelity: 'series' })
    k.hostBoot()
    expect(judge(k, msiSync).rec.verdict).toBe('rewritten')
    expect(k.mem.read32(target)).toBe(0)
  })
})
