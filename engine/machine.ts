import { commandFromFields, decodeCommand, encodeCommand } from './arch/commands'
import { regByName, REG } from './arch/registers'
import { hex64 } from './arch/u64'
import { queueIndex, queueIsFull, queueIncrement } from './arch/queue'
import { Journal } from './journal/journal'
import { rewind } from './journal/rewind'
import { MmioBus } from './mem/bus'
import { PhysMem } from './mem/physmem'
import type { CommandSpec, Scenario, Step } from './scenario/format'
import { Smmu } from './smmu/smmu'
import type { DmaOutcome } from './smmu/translate'
import { HostDriver, HostError } from './host/driver'
import { HypPanic } from './hyp/pkvm'
import { bootPkvm, restorePkvm, type PkvmPlatform } from './platform/pkvm'

/**
 * A platform built from a scenario: physical memory, the SMMU behind its
 * MMIO bus, and the DMA masters; and the runner that carries out the
 * scenario's steps in order, each in an `op` span.
 */

export interface ExpectOutcome {
  readonly step: number
  readonly ok: boolean
  readonly message: string
  readonly record: number
}

/** pKVM share-with-guest permissions as the kernel's KVM_PGTABLE_PROT bits (X 1, W 2, R 4). */
function guestProt(p: string): number {
  return (p.includes('x') ? 1 : 0) | (p.includes('w') ? 2 : 0) | (p.includes('r') ? 4 : 0)
}

/** A step the engine could not carry out: the run stops there with this message. */
export class StepError extends Error {}

/** A host driver refusal (unattached device, unaligned size, -EEXIST, ...) is the scenario's error. */
function hostCall(fn: () => void): void {
  try {
    fn()
  } catch (e) {
    if (e instanceof HostError) throw new StepError(e.message)
    throw e
  }
}

/** Offset of page 1 in the SMMU's MMIO window (IHI 0070 6.1). */
const PAGE1 = 0x10000

/** The runner's own state as a step began: what `resumeAt` puts back. */
interface StepMark {
  /** Index of the step's `op` record. */
  readonly record: number
  readonly lastDma: DmaOutcome | undefined
  readonly checkFrom: number
  readonly expectations: number
}

export class Machine {
  /** The scenario whose steps run next (`resumeAt` may swap in an edited one with the same platform). */
  scenario: Scenario
  readonly j: Journal
  readonly mem: PhysMem
  readonly smmu: Smmu
  readonly bus: MmioBus
  readonly host: HostDriver
  /** The hypervisor, when the platform runs pKVM. */
  readonly pkvm: PkvmPlatform | undefined
  readonly expectations: ExpectOutcome[] = []
  stopped: { step: number; message: string } | undefined
  /** The last DMA's outcome and where `expect` looks for events (records since the previous expect). */
  private lastDma: DmaOutcome | undefined
  private checkFrom = 0
  /** The SMMU pulsed its EVTQ interrupt during the current step. */
  private evtqRaised = false
  /** marks[i]: the runner's state as step i began; its length is the steps started so far. */
  private readonly marks: StepMark[] = []

  constructor(
    scenario: Scenario,
    opts: { journal?: boolean } = {},
  ) {
    this.scenario = scenario
    const p = scenario.platform
    this.j = new Journal(opts.journal ?? true)
    this.mem = new PhysMem(p.ram.base, p.ram.size, this.j)
    this.smmu = new Smmu(this.j, this.mem, {
      params: p.smmu,
      tlb: p.smmu.tlb,
      qemuCompat: p.qemuCompat,
    })
    this.bus = new MmioBus(this.j, this.smmu)
    this.smmu.reset()
    // pKVM boots before the host kernel's driver: it takes the MMIO and its memory first.
    this.pkvm = p.hypervisor === 'pkvm' ? this.bootHyp() : undefined
    this.host = new HostDriver(this.j, this.bus, this.mem, p, this.pkvm ? { region: this.pkvm.hostRegion } : {})
    this.smmu.onIrq = (line) => {
      if (line === 'EVTQ') this.evtqRaised = true
    }
  }

  /**
   * A platform the hypervisor cannot boot on (RAM too small for its carve-out
   * below the 2 MiB-aligned top) stops the run before step 0 instead of
   * throwing out of the constructor: a scenario never crashes the engine.
   */
  private bootHyp(): PkvmPlatform | undefined {
    try {
      return bootPkvm(this.j, this.mem, this.bus, this.smmu, this.scenario.platform)
    } catch (e) {
      const message = `pKVM could not boot on this platform: ${e instanceof Error ? e.message : String(e)}`
      this.j.entry('error', 'scenario', { index: 0, message })
      this.stopped = { step: 0, message }
      return undefined
    }
  }

  /** Steps started so far: the next `run` begins with this one. */
  get nextStep(): number {
    return this.marks.length
  }

  /**
   * Run steps [nextStep, to); stops at the first step that cannot be carried
   * out. After `resumeAt(k)` the run carries on from step k.
   */
  run(to = this.scenario.steps.length): void {
    const steps = this.scenario.steps
    for (let i = this.marks.length; i < Math.min(to, steps.length) && !this.stopped; i++) {
      const step = steps[i]
      this.marks.push({ record: this.j.length, lastDma: this.lastDma, checkFrom: this.checkFrom, expectations: this.expectations.length })
      try {
        this.j.span('op', 'scenario', { op: step.op, index: i, note: step.note }, () => {
          this.step(step, i)
          this.interrupts()
        })
      } catch (e) {
        const message = e instanceof StepError || e instanceof HypPanic ? e.message : `engine error: ${e instanceof Error ? e.message : String(e)}`
        this.j.entry('error', 'scenario', { index: i, message })
        this.stopped = { step: i, message }
      }
    }
  }

  /**
   * Go back to the boundary before step `step` and carry on with `scenario`
   * (same platform; its steps before `step` the same as the ones that ran):
   * the journal is cut at that step's `op` record, journaled state is undone
   * to it, every component rebuilds what it derives from that state, and
   * the runner takes back its own. The next `run()` starts at `step`, and
   * the journal it records is the one a fresh run would: deterministic
   * engine, same state. Returns false, changing nothing, when the journal
   * cannot be cut there (recording was off, or a later change went to a
   * record before the cut); the caller then runs from scratch.
   */
  resumeAt(step: number, scenario: Scenario = this.scenario): boolean {
    if (!this.j.enabled || step < 0) return false
    if (step >= this.marks.length) {
      // Nothing after the boundary ran (or the run stopped before it, as the
      // edited scenario's would, at the same step): the state is already there.
      this.scenario = scenario
      return true
    }
    const mark = this.marks[step]
    if (!this.j.resumableAt(mark.record)) return false
    rewind(this.j, this.mem, mark.record)
    this.smmu.restore()
    if (this.pkvm) restorePkvm(this.pkvm)
    this.host.restore()
    this.marks.length = step
    this.expectations.length = mark.expectations
    this.lastDma = mark.lastDma
    this.checkFrom = mark.checkFrom
    this.stopped = undefined
    this.evtqRaised = false
    this.scenario = scenario
    return true
  }

  /**
   * The host kernel's interrupt handlers for what the step raised: the EVTQ
   * line wakes arm_smmu_evtq_thread, which drains the queue (after the step,
   * as a threaded handler runs after the code that was interrupted).
   */
  private interrupts(): void {
    if (!this.evtqRaised) return
    this.evtqRaised = false
    hostCall(() => void this.host.evtqThread())
  }

  private step(step: Step, index: number): void {
    switch (step.op) {
      case 'boot':
        return hostCall(() => this.host.boot())
      case 'attach':
        return hostCall(() => this.host.attach(step.device, step.domain))
      case 'map':
        return hostCall(() => this.host.map(step.device !== undefined ? { device: step.device } : { domain: step.domain }, step.iova, step.pa, step.size, step.prot))
      case 'unmap':
        return hostCall(() => void this.host.unmap(step.device !== undefined ? { device: step.device } : { domain: step.domain }, step.iova, step.size))
      case 'mmio':
        return this.mmio(step)
      case 'cmd':
        return this.issue([step.command], step.noProd)
      case 'cmds':
        return this.issue(step.commands, step.noProd)
      case 'write': {
        const bytes = new Uint8Array(step.size)
        let v = step.value
        for (let k = 0; k < step.size; k++, v >>= 8n) bytes[k] = Number(v & 0xffn)
        if (!this.mem.contains(step.pa, step.size)) throw new StepError(`write: no memory at 0x${step.pa.toString(16)}`)
        this.mem.writeBytes(step.pa, bytes, 'host')
        return
      }
      case 'dma': {
        const dev = this.scenario.platform.devices.find((d) => d.name === step.device)
        if (!dev) throw new StepError(`dma: no device named ${step.device}`)
        this.lastDma = this.smmu.dma({
          sid: dev.sid,
          ssid: step.ssid,
          iova: BigInt(step.iova),
          access: { read: step.access === 'read', write: step.access === 'write' },
          device: dev.name,
        })
        return
      }
      case 'expect':
        return this.expect(step, index)
      case 'donate':
      case 'share':
      case 'unshare':
      case 'guestMap':
      case 'guestUnmap':
        return this.hypercall(step)
    }
  }

  /**
   * The host kernel's hypercalls. A refused call changes nothing and is not a
   * scenario error: its return code is in the journal (`hypercall` span, `ret`).
   */
  private hypercall(step: Extract<Step, { op: 'donate' | 'share' | 'unshare' | 'guestMap' | 'guestUnmap' }>): void {
    const k = this.pkvm
    if (!k) throw new StepError(`${step.op} is a pKVM hypercall; the platform has no hypervisor`)
    const ps = k.own.pageSize
    const pages = (pa: number, size: number) => ({ pfn: Math.floor(pa / ps), nr: Math.ceil(size / ps) })
    switch (step.op) {
      case 'donate': {
        const { pfn, nr } = pages(step.pa, step.size)
        // A protected guest's memory is donated at IPA = PA (this model's choice: the series takes any gfn).
        if (step.to === 'hyp') k.hc.hostDonateHyp(pfn, nr)
        else k.hc.hostDonateGuest(pfn, pfn, nr, step.to)
        return
      }
      case 'share':
      case 'unshare': {
        const { pfn, nr } = pages(step.pa, step.size)
        for (let n = 0; n < nr; n++) {
          if (step.op === 'share') k.hc.hostShareHyp(pfn + n)
          else k.hc.hostUnshareHyp(pfn + n)
        }
        return
      }
      case 'guestMap': {
        const g = k.guests.get(step.guest)
        if (!g) throw new StepError(`guestMap: no guest named ${step.guest}`)
        g.map(step.ipa, ps, step.pa, guestProt(step.prot))
        return
      }
      case 'guestUnmap': {
        const g = k.guests.get(step.guest)
        if (!g) throw new StepError(`guestUnmap: no guest named ${step.guest}`)
        g.unmap(step.ipa, ps)
        return
      }
    }
  }

  private mmio(step: Extract<Step, { op: 'mmio' }>): void {
    let offset: number
    let width = 4
    if (typeof step.reg === 'number') offset = step.reg
    else {
      const def = regByName(step.reg)
      if (!def) throw new StepError(`mmio: no register named ${step.reg}`)
      offset = def.offset + (def.page === 1 ? PAGE1 : 0)
      width = def.width / 8
    }
    const size = step.size ?? width
    if (size !== 4 && size !== 8 && this.pkvm && this.bus.trapped) {
      // The data abort's SAS names an access size the emulation refuses (WARN at EL2).
      this.j.entry('mmio', 'host', { reg: step.reg, offset, size, write: step.access === 'write', trapped: true, value: step.value })
      this.pkvm.smmu.warn(`${size * 8}-bit access to ${String(step.reg)}: the emulation takes 32- and 64-bit accesses only`)
      return
    }
    if (size !== 4 && size !== 8) {
      // Only 32- and 64-bit accesses reach SMMU registers (IHI 0070 6.2).
      this.j.entry('mmio.error', 'host', { reg: step.reg, offset, size, message: `${size * 8}-bit access: the SMMU accepts only 32- and 64-bit register accesses` })
      return
    }
    if (step.access === 'read') this.bus.read('host', offset, size)
    else this.bus.write('host', offset, size, step.value ?? 0n)
  }

  /**
   * Append commands to the host command queue as a driver does
   * (arm_smmu_cmdq_issue_cmdlist): read the queue registers, check space
   * with the wrap bits, write each entry, then publish PROD once.
   */
  private issue(cmds: readonly CommandSpec[], noProd: boolean): void {
    const baseReg = this.bus.read('host', REG.CMDQ_BASE.offset, 8)
    const base = REG.CMDQ_BASE.layout.get([baseReg], 'ADDR')
    const log2 = Math.min(REG.CMDQ_BASE.layout.get([baseReg], 'LOG2SIZE'), this.smmu.feat.cmdqLog2)
    let prod = Number(this.bus.read('host', REG.CMDQ_PROD.offset, 4))
    const cons = Number(this.bus.read('host', REG.CMDQ_CONS.offset, 4))
    for (const spec of cmds) {
      if (queueIsFull(prod, cons, log2)) throw new StepError(`CMDQ is full (PROD 0x${prod.toString(16)}, CONS 0x${cons.toString(16)}): nothing consumes it`)
      const words = 'raw' in spec ? [spec.raw[0], spec.raw[1]] : encodeCommand(commandFromFields(spec.opcode, spec.fields))
      const index = queueIndex(prod, log2)
      const addr = base + index * 16
      const cmd = decodeCommand(words)
      const rec = this.j.entry('cmd.issue', 'host', { opcode: cmd.op === 'UNKNOWN' ? `0x${cmd.opcode.toString(16)}` : cmd.op, raw: words.map(hex64), index, address: addr })
      if (!this.mem.contains(addr, 16)) throw new StepError(`CMDQ entry ${index} at 0x${addr.toString(16)} is outside memory (CMDQ_BASE not programmed?)`)
      this.mem.writeWords(addr, words, 'host', rec)
      prod = queueIncrement(prod, log2)
    }
    if (!noProd) this.bus.write('host', REG.CMDQ_PROD.offset, 4, BigInt(prod))
  }

  private expect(step: Extract<Step, { op: 'expect' }>, index: number): void {
    const problems: string[] = []
    const said: string[] = []
    if (step.dma !== undefined || step.pa !== undefined) {
      const d = this.lastDma
      if (!d) problems.push('no DMA has run yet')
      else {
        if (step.dma !== undefined) {
          said.push(`dma ${step.dma}`)
          const got = d.result === 'ok' ? 'ok' : 'fault'
          if (got !== step.dma) problems.push(`the last DMA ended ${d.result} (${d.reason})`)
        }
        if (step.pa !== undefined) {
          said.push(`pa 0x${step.pa.toString(16)}`)
          if (d.pa !== step.pa) problems.push(`the last DMA reached ${d.pa === undefined ? 'no address' : `0x${d.pa.toString(16)}`}`)
        }
      }
    }
    if (step.event !== undefined) {
      said.push(`event ${step.event}${step.stage ? ` (stage ${step.stage})` : ''}`)
      const events = this.j.records.slice(this.checkFrom).filter((r) => r.kind === 'event')
      const found = events.some((r) => r.type === step.event && (step.stage === undefined || r.stage === step.stage))
      if (!found) problems.push(events.length ? `events since the last check: ${events.map((r) => `${String(r.type)}${typeof r.stage === 'number' ? `/S${r.stage}` : ''}`).join(', ')}` : 'no event was recorded since the last check')
    }
    if (step.reg !== undefined) {
      const def = regByName(step.reg)
      if (!def) throw new StepError(`expect: no register named ${step.reg}`)
      const v = this.smmu.reg(def.name)
      const got = step.field !== undefined ? BigInt(def.layout.get([v], step.field)) : v
      said.push(`${step.reg}${step.field ? `.${step.field}` : ''} = 0x${(step.value ?? 0n).toString(16)}`)
      if (step.value !== undefined && got !== step.value) problems.push(`${step.reg}${step.field ? `.${step.field}` : ''} is 0x${got.toString(16)}`)
    }
    if (step.rejected !== undefined) {
      said.push(`${step.rejected} rejected by the hypervisor`)
      if (!this.pkvm) throw new StepError('expect.rejected: the platform has no hypervisor to reject commands')
      const verdicts = this.j.records.slice(this.checkFrom).filter((r) => r.kind === 'hyp.cmd')
      if (!verdicts.some((r) => r.opcode === step.rejected && r.verdict === 'rejected')) {
        problems.push(verdicts.length ? `verdicts since the last check: ${verdicts.map((r) => `${String(r.opcode)} ${String(r.verdict)}`).join(', ')}` : 'the hypervisor judged no command since the last check')
      }
    }
    const ok = problems.length === 0
    const message = `${said.join(', ')}: ${ok ? 'holds' : problems.join('; ')}`
    const rec = this.j.entry('expect', 'scenario', { ok, message })
    this.expectations.push({ step: index, ok, message, record: rec ? this.j.length - 1 : -1 })
    this.checkFrom = this.j.records.length
  }
}
