/**
 * Command submission as arm_smmu_cmdq_issue_cmdlist does it, seen from one
 * CPU (SPEC-FACTS B§5): wait for room for n commands plus a SYNC (the
 * driver's copy of CONS refreshed from the register only when the queue
 * looks full), write the entries, publish PROD once, then wait for the SYNC:
 * by polling its own slot when CMD_SYNC signals by MSI (ARM_SMMU_OPT_MSIPOLL),
 * else by reading CMDQ_CONS until it passes the SYNC. Waiting is bounded:
 * when the SMMU does not drain the queue the journal says "CMD_SYNC
 * timeout" (-ETIMEDOUT) and the driver carries on, as Linux does.
 *
 * While it waits, the GERROR interrupt handler runs (arm_smmu_gerror_handler):
 * a CERROR_ILL command is overwritten with a CMD_SYNC and GERRORN acknowledges,
 * which restarts the queue.
 */
import { describeCommand, decodeCommand, encodeCommand, type CommandInput } from '../arch/commands'
import { REG } from '../arch/registers'
import { hex64 } from '../arch/u64'
import { queueFree, queueIncrement, queueIndex, queueWrap } from '../arch/queue'
import type { Journal, JMap, JRecord } from '../journal/journal'
import type { MmioBus } from '../mem/bus'
// Used only when a call fails, long after both modules are loaded (driver.ts imports this one).
import { HostError } from './driver'
import type { PhysMem } from '../mem/physmem'
import { hasOption, type ProbeResult } from './probe'
import { batchSubmissions } from './tlbinv'

/** Polls before giving up (Linux spins for ARM_SMMU_POLL_TIMEOUT_US; the model is synchronous, so a few reads settle it). */
export const POLL_LIMIT = 4

/** GERROR bits that are errors (GERROR_ERR_MASK = 0x1fd: bit 1 is reserved). */
const GERROR_ERR_MASK = 0x1fd
const GERROR_CMDQ_ERR = 1 << 0
const GERROR_SFM_ERR = 1 << 8
const CMD_BYTES = 16

export interface Llq {
  readonly prod: number
  readonly cons: number
}

export interface CmdqGeometry {
  readonly base: number
  readonly log2: number
}

/** What the caller learns from one issue: whether a requested SYNC completed. */
export type IssueResult = 'ok' | 'timeout'

export class HostCmdq {
  private readonly state: JMap<string, Llq | CmdqGeometry>

  constructor(
    private readonly j: Journal,
    private readonly bus: MmioBus,
    private readonly mem: PhysMem,
    private readonly probe: () => ProbeResult,
  ) {
    this.state = j.map('host.cmdq', 'host')
  }

  get geometry(): CmdqGeometry | undefined {
    return this.state.get('geometry') as CmdqGeometry | undefined
  }

  get llq(): Llq {
    return (this.state.get('llq') as Llq | undefined) ?? { prod: 0, cons: 0 }
  }

  /** The queue the driver allocated (arm_smmu_init_one_queue); PROD and CONS start at 0. */
  init(geometry: CmdqGeometry): void {
    this.state.set('geometry', geometry)
    this.state.set('llq', { prod: 0, cons: 0 })
  }

  /** The CMDQ_BASE value: RWA | address | LOG2SIZE. */
  qbase(): bigint {
    const g = this.need()
    return REG.CMDQ_BASE.layout.encode({ RA: 1, ADDR: BigInt(g.base), LOG2SIZE: g.log2 })[0]
  }

  private need(): CmdqGeometry {
    const g = this.geometry
    if (!g) throw new Error('the host command queue is not allocated (boot first)')
    return g
  }

  /** arm_smmu_cmdq_issue_cmd(_with_sync): one command. */
  issue(cmd: CommandInput, sync: boolean): IssueResult {
    return this.issueList([cmd], sync)
  }

  /** A list through 64-entry batches (arm_smmu_cmdq_batch_add ... _submit). */
  issueBatched(cmds: readonly CommandInput[]): IssueResult {
    let res: IssueResult = 'ok'
    for (const s of batchSubmissions(cmds, hasOption(this.probe(), 'ARM_SMMU_OPT_CMDQ_FORCE_SYNC'))) {
      if (this.issueList(s.cmds, s.sync) === 'timeout') res = 'timeout'
    }
    return res
  }

  /** arm_smmu_cmdq_issue_cmdlist. */
  issueList(cmds: readonly CommandInput[], sync: boolean): IssueResult {
    const g = this.need()
    const n = cmds.length + (sync ? 1 : 0)
    return this.j.span('host.cmdq.issue', 'host', { n: cmds.length, sync }, () => {
      let llq = this.llq
      // 1. Room for n commands plus the SYNC: refresh CONS from the SMMU only when needed.
      for (let tries = 0; queueFree(llq.prod, llq.cons, g.log2) < n; tries++) {
        if (tries >= POLL_LIMIT) {
          this.j.entry('cmdq.timeout', 'host', { message: `CMDQ timeout: no room for ${n} commands (prod 0x${llq.prod.toString(16)}, cons 0x${llq.cons.toString(16)})` })
          // Linux prints "CMDQ timeout" and fails the call: the driver's refusal, not the model's (found by engine/fuzz).
          throw new HostError('CMDQ timeout: the SMMU is not consuming the command queue')
        }
        llq = { ...llq, cons: this.readReg('CMDQ_CONS') }
        this.state.set('llq', llq)
        if (queueFree(llq.prod, llq.cons, g.log2) < n) this.gerrorHandler()
      }
      // 2. Write the entries.
      let prod = llq.prod
      for (const c of cmds) {
        this.writeEntry(g, prod, encodeCommand(c))
        prod = queueIncrement(prod, g.log2)
      }
      const syncProd = prod
      if (sync) {
        this.writeEntry(g, prod, this.buildSync(g, prod))
        prod = queueIncrement(prod, g.log2)
      }
      this.state.set('llq', { ...llq, prod })
      // 3. Publish PROD (the SMMU consumes at once in this model).
      this.bus.write('host', REG.CMDQ_PROD.offset, 4, BigInt(prod))
      if (!sync) return 'ok'
      // 4. Wait for the SYNC.
      return this.pollUntilSync(g, syncProd)
    })
  }

  /** CMD_SYNC: CS=IRQ with MSIAddr = its own slot under MSIPOLL (completion writes 0 there), else CS=SEV. */
  private buildSync(g: CmdqGeometry, prod: number): [bigint, bigint] {
    const msi = hasOption(this.probe(), 'ARM_SMMU_OPT_MSIPOLL')
    const common = { MSH: 3, MSIAttr: 0xf } as const
    if (!msi) return encodeCommand({ op: 'SYNC', CS: 'SIG_SEV', ...common })
    const slot = g.base + queueIndex(prod, g.log2) * CMD_BYTES
    return encodeCommand({ op: 'SYNC', CS: 'SIG_IRQ', ...common, MSIAddr: BigInt(slot) })
  }

  private writeEntry(g: CmdqGeometry, prod: number, words: readonly bigint[], extra: Record<string, unknown> = {}): JRecord | undefined {
    const index = queueIndex(prod, g.log2)
    const address = g.base + index * CMD_BYTES
    const cmd = decodeCommand(words)
    const fields: Record<string, unknown> = {}
    for (const f of describeCommand(words)) if (f.name !== 'Opcode') fields[f.name] = f.value
    const opcode = cmd.op === 'UNKNOWN' ? `0x${cmd.opcode.toString(16)}` : ('alias' in cmd && cmd.alias) || cmd.op
    const rec = this.j.entry('cmd.issue', 'host', { opcode, raw: words.map(hex64), index, address, ...extra, ...fields })
    this.mem.writeWords(address, words, 'host', rec)
    return rec
  }

  private readReg(name: 'CMDQ_CONS' | 'CMDQ_PROD' | 'GERROR' | 'GERRORN'): number {
    return Number(this.bus.read('host', REG[name].offset, 4) & 0xffff_ffffn)
  }

  /** queue_consumed: CONS has passed `prod` (wrap-aware). */
  static consumed(cons: number, prod: number, log2: number): boolean {
    const cw = queueWrap(cons, log2)
    const pw = queueWrap(prod, log2)
    const ci = queueIndex(cons, log2)
    const pi = queueIndex(prod, log2)
    return (cw === pw && ci > pi) || (cw !== pw && ci <= pi)
  }

  private pollUntilSync(g: CmdqGeometry, syncProd: number): IssueResult {
    const msi = hasOption(this.probe(), 'ARM_SMMU_OPT_MSIPOLL')
    const slot = g.base + queueIndex(syncProd, g.log2) * CMD_BYTES
    for (let tries = 0; tries < POLL_LIMIT; tries++) {
      if (msi) {
        // __arm_smmu_cmdq_poll_until_msi: the SMMU's MSI write zeroes the slot's first 32 bits.
        const value = this.mem.read32(slot)
        this.j.entry('host.poll', 'host', { what: 'CMD_SYNC MSI', address: slot, value })
        if (value === 0) {
          this.state.set('llq', { ...this.llq, cons: queueIncrement(syncProd, g.log2) })
          return 'ok'
        }
      } else {
        const cons = this.readReg('CMDQ_CONS')
        this.state.set('llq', { ...this.llq, cons })
        if (HostCmdq.consumed(cons, syncProd, g.log2)) return 'ok'
      }
      // The GERROR interrupt may be what stopped the queue.
      this.gerrorHandler()
    }
    const hwprod = this.readReg('CMDQ_PROD')
    const hwcons = this.readReg('CMDQ_CONS')
    const message = `CMD_SYNC timeout at 0x${syncProd.toString(16).padStart(8, '0')} [hwprod 0x${hwprod.toString(16).padStart(8, '0')}, hwcons 0x${hwcons.toString(16).padStart(8, '0')}]`
    this.j.entry('cmd.sync.timeout', 'host', { message, errno: '-ETIMEDOUT' })
    return 'timeout'
  }

  /**
   * arm_smmu_gerror_handler: active errors are GERROR ^ GERRORN; a command
   * queue error with CERROR_ILL (or an unknown code) has the faulting entry
   * rewritten as a CMD_SYNC (CS=SEV, built without an MSI address);
   * CERROR_ABT, ATC_INV_SYNC and NONE are left to retry. GERRORN = GERROR
   * acknowledges everything. Returns whether anything was active.
   */
  gerrorHandler(): boolean {
    const gerror = this.readReg('GERROR')
    const gerrorn = this.readReg('GERRORN')
    const active = (gerror ^ gerrorn) & GERROR_ERR_MASK
    if (!active) return false
    this.j.span('host.gerror', 'host', { gerror, active }, () => {
      if (active & GERROR_SFM_ERR) {
        this.j.entry('host.log', 'host', { level: 'err', message: 'device has entered Service Failure Mode!' })
        this.bus.write('host', REG.CR0.offset, 4, 0n)
      }
      if (active & GERROR_CMDQ_ERR) this.skipErr()
      for (const [bit, what] of [[2, 'EVTQ write aborted -- events may have been lost'], [3, 'PRIQ write aborted -- events may have been lost'], [4, 'CMDQ MSI write aborted'], [5, 'EVTQ MSI write aborted'], [6, 'PRIQ MSI write aborted'], [7, 'GERROR MSI write aborted']] as const) {
        if (active & (1 << bit)) this.j.entry('host.log', 'host', { level: 'warn', message: what })
      }
      this.bus.write('host', REG.GERRORN.offset, 4, BigInt(gerror))
    })
    return true
  }

  /** __arm_smmu_cmdq_skip_err. */
  private skipErr(): void {
    const g = this.need()
    const cons = this.readReg('CMDQ_CONS')
    const err = REG.CMDQ_CONS.layout.get([BigInt(cons)], 'ERR')
    const names = ['No error', 'Illegal command', 'Abort on command fetch', 'ATC invalidate timeout']
    this.j.entry('host.log', 'host', { level: 'err', message: `CMDQ error (cons 0x${cons.toString(16).padStart(8, '0')}): ${names[err] ?? 'Unknown'}` })
    if (err === 0 || err === 2 || err === 3) return
    const sync = encodeCommand({ op: 'SYNC', CS: 'SIG_SEV', MSH: 3, MSIAttr: 0xf })
    this.writeEntry(g, cons, sync, { replaces: 'the command in error (CERROR_ILL)' })
  }
}
