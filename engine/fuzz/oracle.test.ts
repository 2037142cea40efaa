import { describe, expect, test } from 'vitest'
import { SCENARIO_HOOKS } from '../api'
import { Machine } from '../machine'
import { validateScenario } from '../scenario/validate'
import { isolationViolations } from './oracle'

/**
 * The oracle must be able to fail. Below the 'ste' level the series gives
 * the host's stream table to the hardware (SPEC-FACTS B§8: the shadow stream
 * table and the identity stage 2 arrive with the STE patches), so a host
 * bypass STE lets a device reach a page the host donated: checked as if
 * the run were at 'ste', the oracle must report it; at 'nested' the same
 * host is contained (the shadow STE is bypass → S2 with the identity map,
 * from which the donated page was removed).
 */
function run(emulation: string) {
  const v = validateScenario(
    {
      smmuscope: 1,
      platform: {
        smmu: { stages: 'nested', sidBits: 6, strtab: 'linear', cmdqLog2: 8, evtqLog2: 8 },
        ram: { base: '0x4000_0000', size: '16MiB' },
        hypervisor: 'pkvm',
        emulation,
        devices: [{ name: 'nic', sid: 3 }],
      },
      steps: [
        { op: 'boot' },
        { op: 'attach', device: 'nic', domain: { type: 'bypass' } },
        { op: 'donate', pa: '0x4000_5000', size: '4K', to: 'hyp' },
        { op: 'dma', device: 'nic', iova: '0x4000_5040', size: 64, access: 'read' },
      ],
    },
    SCENARIO_HOOKS,
  )
  if (!v.ok) throw new Error(JSON.stringify(v.errors))
  const m = new Machine(v.scenario)
  m.run()
  return m
}

describe('isolation oracle', () => {
  test('at the mmio level a bypass STE reaches a donated page; checked as "ste", the oracle reports it', () => {
    const m = run('mmio')
    const dma = m.j.records.find((r) => r.kind === 'dma')
    // Bypass: PA = IOVA (IHI 0070 5.2 STE.Config=0b100).
    expect(dma?.result).toBe('ok')
    expect(dma?.pa).toBe(0x4000_5040)
    const found = isolationViolations(m, { level: 'ste' })
    expect(found.some((v) => v.property === 'dma-isolation' && v.message.includes('0x40005040') && v.message.includes('hyp'))).toBe(true)
    // The hardware read the host's own STE (the host allocator's region, host OWNED).
    expect(found.some((v) => v.property === 'hyp-structures' && v.message.includes('STE of SID 3'))).toBe(true)
    // At its own level the oracle does not hold the mmio prefix to a promise it never made.
    expect(isolationViolations(m)).toEqual([])
  })

  test('at the nested level the same host is contained and the oracle finds nothing', () => {
    const m = run('nested')
    const dma = m.j.records.find((r) => r.kind === 'dma')
    expect(dma?.result).toBe('fault')
    expect(isolationViolations(m)).toEqual([])
  })
})
