import { decodeCommand, describeCommand, type Command } from '../arch/commands'
import { REG } from '../arch/registers'
import { hex64 } from '../arch/u64'
import { BusError } from '../mem/physmem'
import { queueBase, queueIndex, queueIsEmpty, queueIncrement } from '../arch/queue'
import { field, gerrorActive, raiseGerror } from './regfile'
import type { Smmu } from './smmu'
import { decodeScope } from './inval'

/**
 * Command queue consumption (IHI 0070 4.1, 7.1). Commands run in order,
 * each to completion. An error stops the queue with CONS at the failing
 * command, CONS.ERR set and GERROR.CMDQ_ERR toggled; consumption resumes
 * when software acknowledges through GERRORN.
 */

export const CERROR_NONE = 0
export const CERROR_ILL = 1
export const CERROR_ABT = 2

const CMDQ_ERR_BIT = 0
const CMD_BYTES = 16

/** Why a command is ILLEGAL on this SMMU, or null. */
type Verdict = { readonly ill: string } | null

export function consumeCmdq(s: Smmu): void {
  if (s.consuming) return
  if (field(s, 'CR0', 'CMDQEN') === 0) return
  if (gerrorActive(s) & (1 << CMDQ_ERR_BIT)) return
  s.consuming = true
  try {
    // LOG2SIZE beyond IDR1.CMDQS behaves as CMDQS, and the base is aligned to
    // the queue's size (IHI 0070 6.3 SMMU_CMDQ_BASE).
    const { base, log2 } = queueBase(s.reg('CMDQ_BASE'), CMD_BYTES, s.feat.cmdqLog2)
    for (;;) {
      const prod = s.reg32('CMDQ_PROD')
      const cons = s.reg32('CMDQ_CONS')
      if (queueIsEmpty(prod, cons, log2)) break
      const addr = base + queueIndex(cons, log2) * CMD_BYTES
      let words: bigint[]
      try {
        words = s.mem.readWords(addr, 2)
      } catch (e) {
        if (!(e instanceof BusError)) throw e
        cmdqError(s, CERROR_ABT, `command fetch at 0x${addr.toString(16)} is outside memory`)
        break
      }
      const ok = s.j.span('cmd.consume', 'smmu', consumeFields(s, words, queueIndex(cons, log2)), () => execute(s, words, addr))
      if (!ok) break
      s.setReg('CMDQ_CONS', BigInt(queueIncrement(cons, log2)))
    }
  } finally {
    s.consuming = false
  }
}

function consumeFields(s: Smmu, words: bigint[], index: number): Record<string, unknown> {
  const cmd = decodeCommand(words)
  const fields: Record<string, unknown> = {}
  for (const f of describeCommand(words)) if (f.name !== 'Opcode') fields[f.name] = f.value
  return { queue: s.queueLabel, opcode: cmd.op === 'UNKNOWN' ? `0x${cmd.opcode.toString(16)}` : cmd.op, index, raw: words.map(hex64), ...fields }
}

function cmdqError(s: Smmu, err: number, reason: string): void {
  s.j.entry('cmdq.error', 'smmu', { err, name: ['CERROR_NONE', 'CERROR_ILL', 'CERROR_ABT', 'CERROR_ATC_INV_SYNC'][err], reason })
  const cons = REG.CMDQ_CONS.layout.with([s.reg('CMDQ_CONS')], { ERR: err })[0]
  s.setReg('CMDQ_CONS', cons)
  raiseGerror(s, CMDQ_ERR_BIT)
}

/** Execute one command; false stops the queue. */
function execute(s: Smmu, words: bigint[], addr: number): boolean {
  const cmd = decodeCommand(words)
  const v = legality(s, cmd)
  if (v) {
    cmdqError(s, CERROR_ILL, v.ill)
    return false
  }
  apply(s, cmd as Exclude<Command, { op: 'UNKNOWN' }>, addr)
  return true
}

/** IHI 0070 4.1.3 / 4.x: commands that are ILLEGAL for this implementation. */
function legality(s: Smmu, cmd: Command): Verdict {
  const f = s.feat
  if (cmd.op === 'UNKNOWN') return { ill: `opcode 0x${cmd.opcode.toString(16)} is not a command` }
  switch (cmd.op) {
    case 'CFGI_CD':
    case 'CFGI_CD_ALL':
      // CFGI_CD(_ALL) raise CERROR_ILL when the SMMU has no stage 1 (IHI 0070 4.3.3, 4.3.4).
      if (!f.s1p) return { ill: `${cmd.op} needs stage 1 (IDR0.S1P=0)` }
      return cmd.SSec ? { ill: `${cmd.op} with SSec=1 on the Non-secure command queue` } : null
    case 'CFGI_STE':
    case 'CFGI_STE_RANGE':
    case 'PREFETCH_CONFIG':
    case 'PREFETCH_ADDR':
      // SSec=1 names a Secure stream: ILLEGAL on the Non-secure queue.
      return cmd.SSec ? { ill: `${cmd.op} with SSec=1 on the Non-secure command queue` } : null
    case 'TLBI_NH_ALL':
    case 'TLBI_NH_ASID':
    case 'TLBI_NH_VA':
    case 'TLBI_NH_VAA':
      return f.s1p ? null : { ill: `${cmd.op} needs stage 1 (IDR0.S1P=0)` }
    case 'TLBI_S12_VMALL':
    case 'TLBI_S2_IPA':
      return f.s2p ? null : { ill: `${cmd.op} needs stage 2 (IDR0.S2P=0)` }
    case 'TLBI_EL2_ALL':
    case 'TLBI_EL2_ASID':
    case 'TLBI_EL2_VA':
    case 'TLBI_EL2_VAA':
      return f.hyp ? null : { ill: `${cmd.op} needs EL2 translation regimes (IDR0.HYP=0)` }
    case 'TLBI_EL3_ALL':
    case 'TLBI_EL3_VA':
      return { ill: `${cmd.op} is only valid on the Secure command queue` }
    case 'ATC_INV':
      return f.ats ? null : { ill: 'ATC_INV needs ATS (IDR0.ATS=0)' }
    case 'PRI_RESP':
      return f.pri ? null : { ill: 'PRI_RESP needs PRI (IDR0.PRI=0)' }
    case 'RESUME':
    case 'STALL_TERM':
      return f.stallModel === 1 ? { ill: `${cmd.op} needs stall support (IDR0.STALL_MODEL=0b01)` } : null
    case 'SYNC':
      return cmd.CS === 3 ? { ill: 'SYNC with CS=0b11 (reserved)' } : null
    default:
      return null
  }
}

function apply(s: Smmu, cmd: Exclude<Command, { op: 'UNKNOWN' }>, addr: number): void {
  // VMID is ignored without stage 2; ASID/VMID -1 mean "not applicable" in the caches.
  const vmid = (v: number) => (s.feat.s2p ? v : -1)
  switch (cmd.op) {
    case 'SYNC':
      sync(s, cmd, addr)
      return
    case 'PREFETCH_CONFIG':
    case 'PREFETCH_ADDR':
      // A prefetch is a hint; this model does not prefetch (permitted: IHI 0070 4.2).
      return
    case 'CFGI_STE':
      s.cfg.invalidateSte(cmd.SID)
      return
    case 'CFGI_STE_RANGE':
      s.cfg.invalidateSteRange(cmd.SID, cmd.Range)
      return
    case 'CFGI_CD':
      s.cfg.invalidateCd(cmd.SID, cmd.SSID)
      // SubstreamID 0 names CD table index 0, which traffic without a
      // SubstreamID also uses (S1CDMax=0, or S1DSS=SSID0): IHI 0070 4.3.3.
      // The cache keeps that traffic's configuration under SSID -1.
      if (cmd.SSID === 0) s.cfg.invalidateCd(cmd.SID, -1)
      return
    case 'CFGI_CD_ALL':
      s.cfg.invalidateCdAll(cmd.SID)
      return
    case 'TLBI_NSNH_ALL':
      s.tlb.invalidateAll()
      return
    case 'TLBI_NH_ALL':
      // With stage 2, only the given VMID's stage-1 entries; without, every NS-EL1 stage-1 entry.
      if (s.feat.s2p) s.tlb.invalidateVmidS1(cmd.VMID)
      else s.tlb.invalidateAll()
      return
    case 'TLBI_NH_ASID':
      s.tlb.invalidateAsid(cmd.ASID, vmid(cmd.VMID))
      return
    case 'TLBI_NH_VA':
    case 'TLBI_NH_VAA':
      s.tlb.invalidateVa(decodeScope({ ...cmd, VMID: vmid(cmd.VMID), ASID: cmd.op === 'TLBI_NH_VA' ? cmd.ASID : -1 }))
      return
    case 'TLBI_S12_VMALL':
      s.tlb.invalidateVmid(cmd.VMID)
      return
    case 'TLBI_S2_IPA':
      s.tlb.invalidateIpa(decodeScope({ ...cmd, ASID: -1 }))
      return
    case 'TLBI_EL2_ALL':
    case 'TLBI_EL2_ASID':
    case 'TLBI_EL2_VA':
    case 'TLBI_EL2_VAA':
      // Entries of this model are NS-EL1 (STRW=NSEL1): an EL2 invalidation matches none.
      s.j.entry('tlb.invalidate', 'smmu', { command: cmd.op, count: 0, note: 'no EL2 entries (every stream uses StreamWorld NS-EL1)' })
      return
    case 'ATC_INV':
    case 'PRI_RESP':
    case 'RESUME':
    case 'STALL_TERM':
      // No ATC, page requests or stalled transactions are modelled: nothing to act on.
      return
    default:
      return
  }
}

/**
 * CMD_SYNC (IHI 0070 4.7.3): everything before it has completed (here:
 * always, as commands run synchronously). CS=SIG_IRQ: with MSIs supported
 * and MSIAddr non-zero, a 32-bit write of MSIData to MSIAddr; and, as this
 * SMMU has wired interrupts, its CMD_SYNC line is asserted "regardless of
 * the value of MSIAddress". CS=SIG_SEV sends an event only when IDR0.SEV=1;
 * otherwise it is SIG_NONE.
 */
function sync(s: Smmu, cmd: Extract<Command, { op: 'SYNC' }>, addr: number): void {
  if (cmd.CS === 1) {
    const msiAddr = cmd.MSIAddr
    if (s.feat.msi && msiAddr !== 0) {
      try {
        s.mem.write32(msiAddr, cmd.MSIData, 'smmu')
      } catch (e) {
        if (!(e instanceof BusError)) throw e
        // GERROR.MSI_CMDQ_ABT (bit 4): the MSI write aborted.
        raiseGerror(s, 4)
      }
      s.j.entry('sync.msi', 'smmu', { address: msiAddr, data: cmd.MSIData, self: msiAddr === addr })
    }
    s.irq('CMD_SYNC')
  } else if (cmd.CS === 2 && s.feat.sev) s.j.entry('sev', 'smmu', {})
}
