/**
 * The pKVM SMMUv3 driver at EL2 ("KVM: arm64: SMMUv3 driver for pKVM (trap
 * and emulate)", v4 and v6; SPEC-FACTS B§8): it owns the SMMU's MMIO, so every
 * host register access arrives here as a data abort. This class holds the
 * emulated state and the hypervisor's own path to the hardware; the register
 * table is in mmio.ts, the command queue in cmdq.ts, the filter in filter.ts,
 * STE shadowing in shadow-ste.ts and the boot in boot.ts.
 */
import type { CommandInput } from '../arch/commands'
import { REG, type RegName } from '../arch/registers'
import type { Journal, JMap } from '../journal/journal'
import type { MmioBus, MmioTrap } from '../mem/bus'
import type { PhysMem } from '../mem/physmem'
import type { SmmuFeatures } from '../smmu/features'
import { bootPkvmSmmu } from './boot'
import { sendCmd, sendCmds } from './cmdq'
import { ENXIO, type HypDeps } from './deps'
import { PAGE1, trapRead, trapWrite } from './mmio'

export { PAGE1 }

export type PkvmVersion = 'v4' | 'v6'

/**
 * How much of the series is applied (its bisectable prefixes):
 * 'mmio' traps and checks register accesses but gives the host's CMDQ and
 * stream table to the hardware; 'cmdq' adds the shadow command queue and
 * the filter; 'ste' adds the shadow stream table with the identity stage 2
 * (bypass → S2; a host stage-1 STE is refused); 'nested' turns host stage-1
 * STEs into nested ones.
 */
export type EmulationLevel = 'mmio' | 'cmdq' | 'ste' | 'nested'

const LEVELS: readonly EmulationLevel[] = ['mmio', 'cmdq', 'ste', 'nested']

export interface PkvmOptions {
  readonly version: PkvmVersion
  readonly emulation: EmulationLevel
  /** A WARN at EL2: logged and the run goes on ('warn'), or the hypervisor panics ('panic'). */
  readonly onRefused: 'warn' | 'panic'
  /**
   * Where the posted code looks wrong: 'series' reproduces it (v5/v6 rewrite a
   * CMD_SYNC's CS=SIG_IRQ only in a local copy), 'architectural' does what it
   * meant to. Default 'architectural'.
   */
  readonly fidelity?: 'series' | 'architectural'
}

/** A WARN at EL2 with onRefused 'panic': the runner stops the run with this message. */
export class HypPanic extends Error {
  constructor(readonly reason: string) {
    super(`hypervisor panic (WARN at EL2): ${reason}`)
  }
}

/** What the hypervisor chose for its own structures at boot (smmu_probe, smmu_init_cmdq, smmu_init_strtab). */
export interface HypSmmuConfig {
  /** The hardware's features, through the shared IDR decoding. */
  readonly features: SmmuFeatures
  readonly sidBits: number
  /** The hypervisor's stream table is 2-level (ST_LEVEL=2-level and more than STRTAB_SPLIT SID bits). */
  readonly strtab2l: boolean
  /** Shadow CMDQ (absent at the 'mmio' level). */
  readonly cmdq?: { readonly base: number; readonly log2: number }
  /** Hypervisor stream table (from the 'ste' level): linear STEs or L1 descriptors. */
  readonly strtab?: { readonly base: number; readonly entries: number }
}


/** Keys of the emulated state (the series' struct hyp_arm_smmu_v3_device fields, by register name). */
export type HypStateKey =
  | 'CR0'
  | 'CMDQ_BASE'
  | 'CMDQ_PROD'
  | 'CMDQ_CONS'
  | 'STRTAB_BASE'
  | 'STRTAB_BASE_CFG'
  | 'EVENTQ_BASE'
  | 'PRIQ_BASE'
  | 'GBPA'
  | 'shadow.prod'
  | 'cmdq.shared'
  | 'strtab.shared'
  | `l2.shared.${number}`

export class PkvmSmmu implements MmioTrap {
  /** Emulated registers and bookkeeping, journaled (the UI and replay see them). */
  readonly state: JMap<string, bigint>
  cfg: HypSmmuConfig | undefined

  constructor(
    readonly j: Journal,
    readonly bus: MmioBus,
    readonly mem: PhysMem,
    readonly deps: HypDeps,
    readonly opts: PkvmOptions,
  ) {
    this.state = j.map<string, bigint>('hyp.smmu', 'hyp')
  }

  get fidelity(): 'series' | 'architectural' {
    return this.opts.fidelity ?? 'architectural'
  }

  /** Whether the series' prefix at this emulation level includes `level`. */
  has(level: EmulationLevel): boolean {
    return LEVELS.indexOf(this.opts.emulation) >= LEVELS.indexOf(level)
  }

  /** Which queue the hardware consumes: the host's own at the 'mmio' level, the shadow above. */
  get hwQueue(): 'host' | 'shadow' {
    return this.has('cmdq') ? 'shadow' : 'host'
  }

  /** Boot per SMMU: take the MMIO, probe, shadow CMDQ, stream table, GBPA abort. 0 or a negative errno. */
  boot(): number {
    return bootPkvmSmmu(this)
  }

  // ---- MmioTrap: the host's accesses -------------------------------------

  read(offset: number, size: 4 | 8): bigint {
    return trapRead(this, offset, size)
  }

  write(offset: number, size: 4 | 8, value: bigint): void {
    trapWrite(this, offset, size, value)
  }

  // ---- emulated state ------------------------------------------------------

  get(key: HypStateKey): bigint {
    return this.state.get(key) ?? 0n
  }

  getNum(key: HypStateKey): number {
    return Number(this.get(key))
  }

  set(key: HypStateKey, v: bigint | number): void {
    this.state.set(key, BigInt(v))
  }

  /** A field of an emulated register (CR0, CMDQ_BASE, STRTAB_BASE_CFG, ...). */
  field(reg: 'CR0' | 'CMDQ_BASE' | 'STRTAB_BASE' | 'STRTAB_BASE_CFG' | 'EVENTQ_BASE' | 'PRIQ_BASE', name: string): number {
    return REG[reg].layout.get([this.get(reg)], name as never)
  }

  get cmdqEnabled(): boolean {
    return this.field('CR0', 'CMDQEN') === 1
  }

  get smmuEnabled(): boolean {
    return this.field('CR0', 'SMMUEN') === 1
  }

  // ---- the hypervisor's own path to the hardware ----------------------------

  hwRead(reg: RegName, size?: 4 | 8): bigint {
    const d = REG[reg]
    return this.bus.read('hyp', d.offset + (d.page === 1 ? PAGE1 : 0), size ?? (d.width === 64 ? 8 : 4))
  }

  hwWrite(reg: RegName, value: bigint, size?: 4 | 8): void {
    const d = REG[reg]
    this.bus.write('hyp', d.offset + (d.page === 1 ? PAGE1 : 0), size ?? (d.width === 64 ? 8 : 4), value)
  }

  /** A command of the hypervisor's own on the shadow queue, followed by CMD_SYNC (smmu_send_cmd). */
  send(cmd: CommandInput): number {
    if (!this.cfg?.cmdq) return this.noQueue([cmd])
    return sendCmd(this, cmd)
  }

  /** Commands, one CMD_SYNC after them all, then wait for the drain. */
  sendBatch(cmds: readonly CommandInput[]): number {
    if (!this.cfg?.cmdq) return this.noQueue(cmds)
    return sendCmds(this, cmds)
  }

  /**
   * The 'mmio' prefix of the series has no shadow CMDQ (the host's queue goes
   * to the hardware): the hypervisor has no queue of its own, so its
   * maintenance (the identity map's TLBI on a donation) cannot be sent.
   */
  private noQueue(cmds: readonly CommandInput[]): number {
    this.j.entry('hyp.send.none', 'hyp', { opcodes: cmds.map((c) => c.op), reason: 'no shadow CMDQ at this emulation level' })
    return -ENXIO
  }

  /**
   * WARN_ON at EL2: a `hyp.warn` record; with onRefused 'panic' the
   * hypervisor panics (throws HypPanic) as a real WARN at EL2 would.
   */
  warn(reason: string, fields: Record<string, unknown> = {}): void {
    const panic = this.opts.onRefused === 'panic'
    this.j.entry('hyp.warn', 'hyp', { reason, panic, ...fields })
    if (panic) throw new HypPanic(reason)
  }
}
