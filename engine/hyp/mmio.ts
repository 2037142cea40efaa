/**
 * smmu_dabt_device: the hypervisor's register table (SPEC-FACTS B§8 "MMIO
 * emulation"). Each trapped host access is checked against the table (offset,
 * access size, read-only), then emulated, masked, forced or passed through;
 * every decision is one `hyp.mmio` record with a verdict and a reason, and a
 * refusal is a WARN (the instruction is skipped; a read leaves 0).
 */
import { REG, type RegName } from '../arch/registers'
import { regNameAt } from '../smmu/regfile'
import { sharePages, unsharePages } from './deps'
import { emulateCmdqInsert } from './cmdq'
import type { PkvmSmmu } from './pkvm'
import { STRTAB_SPLIT } from './shadow-ste'

/** Page 1 of the register window (IHI 0070 6.1): EVENTQ/PRIQ PROD and CONS live there. */
export const PAGE1 = 0x10000

export type MmioVerdict = 'passthrough' | 'emulated' | 'masked' | 'forced' | 'ignored' | 'refused'

/** How the series handles a register (before the emulation level is applied). */
type Behaviour =
  | 'idr0' // read-only, S2P/VMID16/MSI/HYP cleared
  | 'ro' // read-only passthrough
  | 'rw' // passthrough
  | 'cmdq_base' | 'cmdq_prod' | 'cmdq_cons' // emulated, shadow CMDQ ('cmdq' level)
  | 'strtab' // stored while SMMUEN=0, never sent to hardware ('ste' level)
  | 'gbpa' // emulated ('ste' level)
  | 'cr0' // recorded, edge actions, forwarded
  | 'cr1' // forced to the Linux template
  | 'q_base' // EVENTQ/PRIQ_BASE: recorded while that queue is disabled, forwarded ('ste' level)

interface TrapRule {
  readonly reg: RegName
  readonly size: 4 | 8
  readonly behaviour: Behaviour
}

const RULES = new Map<number, TrapRule>()
function rule(behaviour: Behaviour, ...regs: RegName[]): void {
  for (const reg of regs) {
    const d = REG[reg]
    RULES.set(d.offset + (d.page === 1 ? PAGE1 : 0), { reg, size: d.width === 64 ? 8 : 4, behaviour })
  }
}
// The series' switch, register by register. IDR2, IDR4, AIDR, STATUSR, AGBPA,
// the ID block and page-0 aliases of page-1 registers are absent: refused.
rule('idr0', 'IDR0')
rule('ro', 'IDR1', 'IDR3', 'IDR5', 'IIDR', 'GERROR')
rule('cmdq_base', 'CMDQ_BASE')
rule('cmdq_prod', 'CMDQ_PROD')
rule('cmdq_cons', 'CMDQ_CONS')
rule('strtab', 'STRTAB_BASE', 'STRTAB_BASE_CFG')
rule('gbpa', 'GBPA')
rule('cr0', 'CR0')
rule('cr1', 'CR1')
rule('q_base', 'EVENTQ_BASE', 'PRIQ_BASE')
rule('rw', 'CR2', 'CR0ACK', 'IRQ_CTRL', 'IRQ_CTRLACK', 'GERRORN', 'GERROR_IRQ_CFG0', 'GERROR_IRQ_CFG1', 'GERROR_IRQ_CFG2',
  'EVENTQ_PROD', 'EVENTQ_CONS', 'EVENTQ_IRQ_CFG0', 'EVENTQ_IRQ_CFG1', 'EVENTQ_IRQ_CFG2',
  'PRIQ_PROD', 'PRIQ_CONS', 'PRIQ_IRQ_CFG0', 'PRIQ_IRQ_CFG1', 'PRIQ_IRQ_CFG2')

/** IDR0 bits the host must not see: stage 2 and VMIDs are the hypervisor's; no MSI, so every host CMD_SYNC is SEV; no EL2 streams. */
export const IDR0_HIDDEN = (['S2P', 'VMID16', 'MSI', 'HYP'] as const).reduce((m, n) => m | REG.IDR0.layout.field(n).mask, 0n)

/** The CR1 Linux writes (ISH, write-back queues and tables): the only value the series allows. */
export const CR1_TEMPLATE = REG.CR1.layout.encode({ QUEUE_IC: 'WB', QUEUE_OC: 'WB', QUEUE_SH: 'ISH', TABLE_IC: 'WB', TABLE_OC: 'WB', TABLE_SH: 'ISH' })[0]

const GBPA_ABORT = REG.GBPA.layout.encode({ ABORT: 1 })[0]
const CONS_ERR = REG.CMDQ_CONS.layout.field('ERR').mask

/** The behaviour at this emulation level: before a feature's patch, its registers pass through. */
function effective(p: PkvmSmmu, b: Behaviour): Behaviour {
  if (!p.has('cmdq') && (b === 'cmdq_base' || b === 'cmdq_prod' || b === 'cmdq_cons')) return 'rw'
  if (!p.has('ste') && (b === 'strtab' || b === 'gbpa' || b === 'q_base')) return 'rw'
  return b
}

interface Access {
  readonly offset: number
  readonly size: 4 | 8
  readonly write: boolean
  readonly value?: bigint
}

function decide(p: PkvmSmmu, a: Access, reg: string, verdict: MmioVerdict, reason: string, extra: Record<string, unknown> = {}) {
  return p.j.entry('hyp.mmio', 'hyp', { reg, offset: a.offset, size: a.size, write: a.write, value: a.value, verdict, reason, ...extra })
}

/** A refused access: WARN, the access has no effect (reads leave 0). */
function refuse(p: PkvmSmmu, a: Access, reg: string, reason: string): void {
  decide(p, a, reg, 'refused', reason)
  p.warn(`${a.write ? 'write' : 'read'} of ${reg}: ${reason}`, { reg, offset: a.offset })
}

function check(p: PkvmSmmu, a: Access): TrapRule | undefined {
  const r = RULES.get(a.offset)
  const name = regNameAt(a.offset)
  if (!r) {
    refuse(p, a, name, `offset 0x${a.offset.toString(16)} is not a register the hypervisor emulates`)
    return undefined
  }
  if (a.size !== r.size) {
    refuse(p, a, r.reg, `${a.size * 8}-bit access; the series accepts only ${r.size * 8}-bit accesses to ${r.reg}`)
    return undefined
  }
  return r
}

export function trapRead(p: PkvmSmmu, offset: number, size: 4 | 8): bigint {
  const a: Access = { offset, size, write: false }
  const r = check(p, a)
  if (!r) return 0n
  const reg = r.reg
  switch (effective(p, r.behaviour)) {
    case 'idr0': {
      const rec = decide(p, a, reg, 'masked', 'S2P, VMID16, MSI and HYP cleared: stage 2 belongs to the hypervisor, and without MSI the host syncs with SEV')
      const v = p.hwRead(reg, size) & ~IDR0_HIDDEN
      if (rec) rec.result = v
      return v
    }
    case 'cmdq_base':
      return emulatedRead(p, a, reg, p.get('CMDQ_BASE'), 'the host CMDQ_BASE as stored; the hardware holds the shadow CMDQ')
    case 'cmdq_prod':
      return emulatedRead(p, a, reg, p.get('CMDQ_PROD'), 'the host PROD as stored')
    case 'cmdq_cons': {
      const rec = decide(p, a, reg, 'emulated', 'emulated CONS with the hardware CONS.ERR')
      const v = p.get('CMDQ_CONS') | (p.hwRead('CMDQ_CONS') & CONS_ERR)
      if (rec) rec.result = v
      return v
    }
    case 'strtab':
      return emulatedRead(p, a, reg, p.get(reg === 'STRTAB_BASE' ? 'STRTAB_BASE' : 'STRTAB_BASE_CFG'), 'the host value as stored; the hardware holds the hypervisor stream table')
    case 'gbpa':
      if (p.opts.version === 'v4') return emulatedRead(p, a, reg, p.get('GBPA'), 'v4 echoes the value the host wrote')
      return emulatedRead(p, a, reg, GBPA_ABORT, 'always reads ABORT: the hypervisor keeps incoming transactions aborted while SMMUEN=0')
    default: {
      const rec = decide(p, a, reg, 'passthrough', 'read from the hardware')
      const v = p.hwRead(reg, size)
      if (rec) rec.result = v
      return v
    }
  }
}

function emulatedRead(p: PkvmSmmu, a: Access, reg: string, v: bigint, reason: string): bigint {
  decide(p, a, reg, 'emulated', reason, { result: v })
  return v
}

export function trapWrite(p: PkvmSmmu, offset: number, size: 4 | 8, value: bigint): void {
  const a: Access = { offset, size, write: true, value }
  const r = check(p, a)
  if (!r) return
  const reg = r.reg
  switch (effective(p, r.behaviour)) {
    case 'idr0':
    case 'ro':
      return refuse(p, a, reg, 'read-only register')
    case 'cmdq_base':
      if (p.cmdqEnabled) return refuse(p, a, reg, 'CMDQ_BASE written while the emulated CMDQEN=1 (not allowed by the architecture, IHI 0070 6.3)')
      decide(p, a, reg, 'emulated', 'stored; never given to the hardware, which consumes the shadow CMDQ')
      return p.set('CMDQ_BASE', value)
    case 'cmdq_prod': {
      decide(p, a, reg, 'emulated', p.cmdqEnabled ? 'stored; runs the command queue emulation' : 'stored; the emulated CMDQEN=0, nothing runs')
      p.set('CMDQ_PROD', value & 0xffff_ffffn)
      const ret = emulateCmdqInsert(p)
      if (ret !== 0) p.warn(`command queue emulation failed (${ret})`)
      return
    }
    case 'cmdq_cons':
      if (p.cmdqEnabled) return refuse(p, a, reg, 'CMDQ_CONS written while the emulated CMDQEN=1 (not allowed by the architecture, IHI 0070 6.3)')
      decide(p, a, reg, 'emulated', 'stored')
      return p.set('CMDQ_CONS', value & 0xffff_ffffn)
    case 'strtab':
      // Must only be written while SMMUEN=0 (IHI 0070 6.3 SMMU_STRTAB_BASE).
      if (p.smmuEnabled) return refuse(p, a, reg, `${reg} written while the emulated SMMUEN=1`)
      decide(p, a, reg, 'emulated', 'stored; never given to the hardware, which uses the hypervisor stream table')
      return p.set(reg === 'STRTAB_BASE' ? 'STRTAB_BASE' : 'STRTAB_BASE_CFG', value)
    case 'gbpa':
      if (p.opts.version === 'v4') {
        decide(p, a, reg, 'emulated', 'v4 stores the value to echo it; the hardware keeps ABORT')
        return p.set('GBPA', value)
      }
      decide(p, a, reg, 'ignored', 'writes are ignored: the hardware keeps GBPA.ABORT')
      return
    case 'cr0':
      return writeCr0(p, a, value)
    case 'cr1': {
      const forced = CR1_TEMPLATE
      decide(p, a, reg, 'forced', `forced to 0x${forced.toString(16)} (ISH, write-back): the hypervisor shares the queues and tables coherently`, { forwarded: forced })
      if (value !== forced) p.warn(`CR1 = 0x${value.toString(16)}, expected 0x${forced.toString(16)}`)
      return p.hwWrite('CR1', forced)
    }
    case 'q_base': {
      const en = reg === 'EVENTQ_BASE' ? 'EVENTQEN' : 'PRIQEN'
      if (p.field('CR0', en) === 1) return refuse(p, a, reg, `${reg} written while the emulated ${en}=1`)
      decide(p, a, reg, 'passthrough', 'recorded (shared when the queue is enabled) and forwarded')
      p.set(reg === 'EVENTQ_BASE' ? 'EVENTQ_BASE' : 'PRIQ_BASE', value)
      return p.hwWrite(reg, value, size)
    }
    default:
      decide(p, a, reg, 'passthrough', 'forwarded to the hardware')
      return p.hwWrite(reg, value, size)
  }
}

const bit = (v: bigint, name: string): boolean => REG.CR0.layout.get([v], name as never) === 1

/** CR0: record the host's value, act on each enable edge, then forward it (SPEC-FACTS B§8 "CR0 edge actions"). */
function writeCr0(p: PkvmSmmu, a: Access, value: bigint): void {
  const old = p.get('CR0')
  const edges: string[] = []
  for (const n of ['CMDQEN', 'EVENTQEN', 'PRIQEN', 'SMMUEN']) if (bit(old, n) !== bit(value, n)) edges.push(`${n} ${bit(old, n) ? 1 : 0}→${bit(value, n) ? 1 : 0}`)
  decide(p, a, 'CR0', 'passthrough', edges.length && p.has('cmdq') ? `recorded and forwarded; edges: ${edges.join(', ')}` : 'recorded and forwarded')
  p.set('CR0', value)
  if (p.has('cmdq')) {
    if (!bit(old, 'CMDQEN') && bit(value, 'CMDQEN')) cmdqEnable(p)
    else if (bit(old, 'CMDQEN') && !bit(value, 'CMDQEN')) cmdqDisable(p)
  }
  if (p.has('ste')) {
    queueEdge(p, old, value, 'EVENTQEN', 'EVENTQ_BASE', 32)
    queueEdge(p, old, value, 'PRIQEN', 'PRIQ_BASE', 16)
    if (!bit(old, 'SMMUEN') && bit(value, 'SMMUEN')) smmuEnable(p)
    else if (bit(old, 'SMMUEN') && !bit(value, 'SMMUEN')) smmuDisable(p)
  }
  p.hwWrite('CR0', value)
}

function shareRecord(p: PkvmSmmu, what: string, pa: number, size: number, share: boolean): number {
  const ret = share ? sharePages(p.deps.host, pa, size) : unsharePages(p.deps.host, pa, size)
  p.j.entry(share ? 'hyp.share' : 'hyp.unshare', 'hyp', { what, pa, size, ret })
  return ret
}

/** The host CMDQ as the series reads it: Q_BASE address bits, LOG2SIZE (v6 caps it at 19). */
export function hostCmdqGeometry(p: PkvmSmmu): { base: number; log2: number } {
  const shift = p.field('CMDQ_BASE', 'LOG2SIZE')
  return { base: p.field('CMDQ_BASE', 'ADDR'), log2: p.opts.version === 'v6' ? Math.min(shift, 19) : shift }
}

function cmdqEnable(p: PkvmSmmu): void {
  const g = hostCmdqGeometry(p)
  const ret = shareRecord(p, 'host CMDQ', g.base, 2 ** g.log2 * 16, true)
  p.set('cmdq.shared', ret === 0 ? 1 : 0)
  if (ret !== 0) p.warn(`sharing the host CMDQ at 0x${g.base.toString(16)} failed (${ret})`)
}

function cmdqDisable(p: PkvmSmmu): void {
  const g = hostCmdqGeometry(p)
  const ret = shareRecord(p, 'host CMDQ', g.base, 2 ** g.log2 * 16, false)
  p.set('cmdq.shared', 0)
  if (ret !== 0) p.warn(`unsharing the host CMDQ failed (${ret})`)
}

function queueEdge(p: PkvmSmmu, old: bigint, value: bigint, en: string, base: 'EVENTQ_BASE' | 'PRIQ_BASE', entry: number): void {
  if (!bit(old, en) && bit(value, en)) {
    const pa = p.field(base, 'ADDR')
    const ret = shareRecord(p, base.replace('_BASE', ''), pa, 2 ** p.field(base, 'LOG2SIZE') * entry, true)
    if (ret !== 0) p.warn(`sharing the host ${base.replace('_BASE', '')} at 0x${pa.toString(16)} failed (${ret})`)
  } else if (bit(old, en) && !bit(value, en)) p.warn(`${en} 1→0: disabling that queue is not supported`)
}

/**
 * The host stream table the series accepts (smmu_update_ste_shadow): the
 * format and size the hypervisor's own table has. Returns its size to share,
 * or the reason it is refused.
 */
export function hostStrtabCheck(p: PkvmSmmu): { ok: true; size: number } | { ok: false; why: string } {
  const cfg = p.cfg!
  const fmt = p.field('STRTAB_BASE_CFG', 'FMT')
  const log2 = p.field('STRTAB_BASE_CFG', 'LOG2SIZE')
  const split = p.field('STRTAB_BASE_CFG', 'SPLIT')
  if (cfg.strtab2l) {
    if (fmt !== 1) return { ok: false, why: 'FMT is not 2-level like the hypervisor table' }
    if (split !== STRTAB_SPLIT) return { ok: false, why: `SPLIT=${split}, expected ${STRTAB_SPLIT}` }
    if (log2 > 17 + STRTAB_SPLIT) return { ok: false, why: `LOG2SIZE=${log2} exceeds 2^17 L1 entries` }
    if (split >= log2) return { ok: false, why: `SPLIT=${split} >= LOG2SIZE=${log2}` }
    return { ok: true, size: 2 ** (log2 - split) * 8 }
  }
  if (fmt !== 0) return { ok: false, why: 'FMT is not linear like the hypervisor table' }
  if (log2 > cfg.sidBits) return { ok: false, why: `LOG2SIZE=${log2} exceeds SIDSIZE=${cfg.sidBits}` }
  return { ok: true, size: 2 ** log2 * 64 }
}

function smmuEnable(p: PkvmSmmu): void {
  // Enabling the SMMU without the command queue would leave the hypervisor unable to invalidate.
  if (!p.cmdqEnabled) return p.warn('SMMUEN 0→1 with the emulated CMDQEN=0')
  const c = hostStrtabCheck(p)
  const base = p.field('STRTAB_BASE', 'ADDR')
  let size: number
  if (!c.ok) {
    // v6 refuses such a table; v4 WARNs and shares the size it computes anyway.
    if (p.opts.version === 'v6') return p.warn(`host stream table refused: ${c.why}`)
    p.warn(`host stream table: ${c.why}`)
    size = p.cfg!.strtab2l ? 2 ** (p.field('STRTAB_BASE_CFG', 'LOG2SIZE') - p.field('STRTAB_BASE_CFG', 'SPLIT')) * 8 : 2 ** p.field('STRTAB_BASE_CFG', 'LOG2SIZE') * 64
  } else size = c.size
  const ret = shareRecord(p, p.cfg!.strtab2l ? 'host stream table L1' : 'host stream table', base, size, true)
  p.set('strtab.shared', ret === 0 ? 1 : 0)
  if (ret !== 0) p.warn(`sharing the host stream table at 0x${base.toString(16)} failed (${ret})`)
}

function smmuDisable(p: PkvmSmmu): void {
  if (p.get('strtab.shared') === 0n) return p.warn('SMMUEN 1→0: the host stream table was never shared')
  const c = hostStrtabCheck(p)
  const base = p.field('STRTAB_BASE', 'ADDR')
  const ret = shareRecord(p, 'host stream table', base, c.ok ? c.size : 0, false)
  p.set('strtab.shared', 0)
  if (ret !== 0) p.warn(`unsharing the host stream table failed (${ret})`)
}
