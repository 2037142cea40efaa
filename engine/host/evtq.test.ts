import { describe, expect, test } from 'vitest'
import { encodeEvent } from '../arch/events'
import { Journal } from '../journal/journal'
import { PhysMem } from '../mem/physmem'
import { validateScenario } from '../scenario/validate'
import { Machine } from '../machine'
import { drainEvtq, type EvtqLlq } from './evtq'

// arm_smmu_evtq_thread (drivers/iommu/arm/arm-smmu-v3/arm-smmu-v3.c): take
// records while llq says the queue is not empty, CONS written after each
// (queue_remove_raw); re-read PROD (queue_sync_prod_in); a changed OVFLG is
// "EVTQ overflow detected -- events lost"; finally CONS.OVACKFLG = OVFLG.

const BASE = 0x4010_0000
const LOG2 = 2 // four entries

function queue(records: number) {
  const j = new Journal()
  const mem = new PhysMem(0x4000_0000, 0x100_0000, j)
  for (let k = 0; k < records; k++) {
    mem.writeWords(BASE + (k % 4) * 32, encodeEvent({ type: 'F_TRANSLATION', sid: 8 + k, input: 0x1000 * k, addr2: 0, rnw: 1, pnu: 0, ind: 0, stall: 0, stag: 0 }), 'smmu')
  }
  const writes: number[] = []
  return { j, mem, writes }
}

describe('arm_smmu_evtq_thread', () => {
  test('takes every record from CONS to PROD, writing CONS after each', () => {
    const { j, mem, writes } = queue(3)
    const llq: EvtqLlq = { prod: 0, cons: 0 }
    const n = drainEvtq({ j, mem, readProd: () => 3, writeCons: (v) => writes.push(v) }, llq, BASE, LOG2)
    expect(n).toBe(3)
    expect(writes).toEqual([1, 2, 3])
    expect(llq).toEqual({ prod: 3, cons: 3 })
    const logged = j.records.filter((r) => r.kind === 'host.event')
    expect(logged.map((r) => r.message)).toEqual(['event 0x10 received', 'event 0x10 received', 'event 0x10 received'])
    expect(logged.map((r) => r.sid)).toEqual([8, 9, 10])
    expect(logged.map((r) => r.address)).toEqual([BASE, BASE + 32, BASE + 64])
  })

  test('wraps: CONS 3 to PROD 0x5 (wrap bit set, index 1) takes entries 3 and 0', () => {
    const { j, mem, writes } = queue(4)
    const llq: EvtqLlq = { prod: 3, cons: 3 }
    expect(drainEvtq({ j, mem, readProd: () => 0b101, writeCons: (v) => writes.push(v) }, llq, BASE, LOG2)).toBe(2)
    // 3 + 1 = index 0 with the wrap bit (0b100), then index 1 (0b101).
    expect(writes).toEqual([0b100, 0b101])
  })

  test('an overflow is reported once and acknowledged by copying OVFLG into OVACKFLG', () => {
    const { j, mem, writes } = queue(4)
    // The SMMU filled all four entries (PROD wrapped to 0b100) and dropped
    // more, toggling OVFLG (bit 31).
    const prod = (0x8000_0000 | 0b100) >>> 0
    const llq: EvtqLlq = { prod: 0, cons: 0 }
    expect(drainEvtq({ j, mem, readProd: () => prod, writeCons: (v) => writes.push(v) }, llq, BASE, LOG2)).toBe(4)
    expect(j.records.filter((r) => r.kind === 'host.event' && r.message === 'EVTQ overflow detected -- events lost')).toHaveLength(1)
    // Four CONS writes for the records, then the acknowledgement: OVACKFLG | wrap | index 0.
    expect(writes).toEqual([1, 2, 3, 0b100, (0x8000_0000 | 0b100) >>> 0])
    expect(llq.cons).toBe(prod)
  })
})

describe('the host driver drains its EVTQ when the interrupt fires', () => {
  test('a faulting DMA: the event is logged and CONS catches up with PROD within the step', () => {
    const v = validateScenario({
      smmuscope: 1,
      platform: { devices: [{ name: 'nic', sid: 8 }] },
      steps: [
        { op: 'boot' },
        { op: 'attach', device: 'nic', domain: { type: 's1' } },
        { op: 'dma', device: 'nic', iova: '0x5000', size: 64, access: 'read' },
        { op: 'expect', dma: 'fault', event: 'F_TRANSLATION' },
        { op: 'expect', reg: 'EVENTQ_CONS', value: 1 },
      ],
    })
    expect(v.ok).toBe(true)
    if (!v.ok) return
    const m = new Machine(v.scenario)
    m.run()
    expect(m.expectations.map((x) => [x.ok, x.message])).toEqual([[true, expect.any(String)], [true, expect.any(String)]])
    const dmaStep = m.j.records.findIndex((r) => r.kind === 'op' && r.index === 2)
    const inStep = m.j.records.slice(dmaStep, m.j.records[dmaStep].end)
    const kinds = inStep.map((r) => r.kind)
    // Order: the SMMU writes the record and pulses EVTQ, then the handler runs.
    expect(kinds.indexOf('event')).toBeLessThan(kinds.indexOf('irq'))
    expect(kinds.indexOf('irq')).toBeLessThan(kinds.indexOf('host.evtq_thread'))
    expect(inStep.find((r) => r.kind === 'host.event')).toMatchObject({ message: 'event 0x10 received', type: 'F_TRANSLATION', sid: 8 })
    expect(m.smmu.reg('EVENTQ_CONS')).toBe(m.smmu.reg('EVENTQ_PROD'))
  })
})
