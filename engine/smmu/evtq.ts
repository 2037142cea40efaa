import { encodeEvent, type EventRecord } from '../arch/events'
import { REG } from '../arch/registers'
import { hex64 } from '../arch/u64'
import { queueBase, queueIndex, queueIsFull, queueIncrement } from '../arch/queue'
import { field, raiseGerror } from './regfile'
import type { Smmu } from './smmu'

const EVT_BYTES = 32
const EVENTQ_ABT_ERR_BIT = 2

/**
 * Write an event record to the event queue (IHI 0070 7.2, 7.3).
 * - EVENTQEN=0: the event is discarded.
 * - Queue full: the event is lost and overflow is signalled by making
 *   EVENTQ_PROD.OVFLG differ from EVENTQ_CONS.OVACKFLG (it toggles only if
 *   they were equal: one overflow condition until software acknowledges).
 *   QEMU instead raises GERROR.EVENTQ_ABT_ERR; with qemuCompat that is kept.
 * - The write aborts: GERROR.EVENTQ_ABT_ERR.
 * The journal's `event` record is made in every case, with `written`.
 */
export function recordEvent(s: Smmu, ev: EventRecord, extra: Record<string, unknown> = {}): void {
  const raw = encodeEvent(ev)
  const fields = {
    type: ev.type,
    code: Number(raw[0] & 0xffn),
    sid: ev.sid,
    input: ev.input,
    addr2: ev.addr2,
    stage: ev.stage,
    class: ev.cls,
    raw: raw.map(hex64),
    ...extra,
  }
  if (field(s, 'CR0', 'EVENTQEN') === 0) {
    s.j.entry('event', 'smmu', { ...fields, written: false, why: 'CR0.EVENTQEN=0: event discarded' })
    return
  }
  // LOG2SIZE capped at IDR1.EVENTQS; the base aligned to the queue's size (IHI 0070 6.3 SMMU_EVENTQ_BASE).
  const { base, log2 } = queueBase(s.reg('EVENTQ_BASE'), EVT_BYTES, s.feat.evtqLog2)
  const prodReg = s.reg32('EVENTQ_PROD')
  const consReg = s.reg32('EVENTQ_CONS')
  if (queueIsFull(prodReg, consReg, log2)) {
    if (s.opts.qemuCompat) {
      raiseGerror(s, EVENTQ_ABT_ERR_BIT)
      s.j.entry('event', 'smmu', { ...fields, written: false, why: 'EVTQ full: GERROR.EVENTQ_ABT_ERR (QEMU behaviour)' })
      return
    }
    const ovflg = REG.EVENTQ_PROD.layout.get([BigInt(prodReg)], 'OVFLG')
    const ovack = REG.EVENTQ_CONS.layout.get([BigInt(consReg)], 'OVACKFLG')
    if (ovflg === ovack) s.setReg('EVENTQ_PROD', REG.EVENTQ_PROD.layout.with([BigInt(prodReg)], { OVFLG: ovflg ^ 1 })[0])
    s.j.entry('event', 'smmu', { ...fields, written: false, why: 'EVTQ full: event lost, EVENTQ_PROD.OVFLG signals overflow' })
    return
  }
  const addr = base + queueIndex(prodReg, log2) * EVT_BYTES
  if (!s.mem.contains(addr, EVT_BYTES)) {
    s.j.entry('event', 'smmu', { ...fields, written: false, why: `EVTQ write at 0x${addr.toString(16)} aborted: GERROR.EVENTQ_ABT_ERR` })
    raiseGerror(s, EVENTQ_ABT_ERR_BIT)
    return
  }
  s.j.span('event', 'smmu', { ...fields, written: true, address: addr }, () => {
    s.mem.writeWords(addr, raw, 'smmu')
    s.setReg('EVENTQ_PROD', BigInt(queueIncrement(prodReg, log2)))
  })
  if (field(s, 'IRQ_CTRL', 'EVENTQ_IRQEN') === 1) s.irq('EVTQ')
}
