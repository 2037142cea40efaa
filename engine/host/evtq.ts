/**
 * arm_smmu_evtq_thread: the host driver's event-queue interrupt handler.
 * Linux keeps its own copies of PROD and CONS (llq). It takes records while
 * its copies say the queue is not empty, writing CONS after each one
 * (queue_remove_raw), logs each ("event 0x10 received"), then re-reads
 * PROD (queue_sync_prod_in): an OVFLG different from the one it last saw
 * means the SMMU dropped events ("EVTQ overflow detected -- events lost").
 * It loops until its copies agree the queue is empty, then acknowledges the
 * overflow by copying PROD's OVFLG into CONS.OVACKFLG (queue_sync_cons_ovf).
 */
import { decodeEvent } from '../arch/events'
import { queueEntryAddress, queueIncrement, queueIsEmpty } from '../arch/queue'
import { hex64 } from '../arch/u64'
import type { Journal } from '../journal/journal'
import type { PhysMem } from '../mem/physmem'

const EVT_BYTES = 32
/** Q_OVF: PROD.OVFLG and CONS.OVACKFLG are both bit 31. */
const OVF = 0x8000_0000

export interface EvtqIo {
  readonly j: Journal
  readonly mem: PhysMem
  readProd(): number
  writeCons(v: number): void
}

/** The driver's copies of the queue pointers (llq.prod, llq.cons). */
export interface EvtqLlq {
  prod: number
  cons: number
}

/** Drain the queue at `base` (2^log2 entries of 32 bytes); returns how many records were taken. */
export function drainEvtq(io: EvtqIo, llq: EvtqLlq, base: number, log2: number): number {
  let taken = 0
  do {
    while (!queueIsEmpty(llq.prod, llq.cons, log2)) {
      const at = queueEntryAddress(base, llq.cons, log2, EVT_BYTES)
      const raw = io.mem.readWords(at, 4)
      const ev = decodeEvent(raw)
      const code = Number(raw[0] & 0xffn)
      // The code and the raw record, as arm_smmu_dump_raw_event logs them,
      // with the decoded fields arm_smmu_dump_event prints.
      io.j.entry('host.event', 'host', {
        message: `event 0x${code.toString(16).padStart(2, '0')} received`,
        type: ev.type,
        ...('sid' in ev ? { sid: ev.sid, input: ev.input } : {}),
        address: at,
        raw: raw.map(hex64),
      })
      llq.cons = queueIncrement(llq.cons, log2)
      io.writeCons(llq.cons)
      taken++
    }
    const prod = io.readProd()
    if ((prod & OVF) !== (llq.prod & OVF)) io.j.entry('host.event', 'host', { message: 'EVTQ overflow detected -- events lost' })
    llq.prod = prod
  } while (!queueIsEmpty(llq.prod, llq.cons, log2))
  if ((llq.prod & OVF) !== (llq.cons & OVF)) {
    llq.cons = ((llq.prod & OVF) | (llq.cons & ~OVF)) >>> 0
    io.writeCons(llq.cons)
  }
  return taken
}
