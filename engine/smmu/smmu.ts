import { buildIdRegs, type IdRegs, type SmmuParams } from '../arch/idregs'
import { REGISTERS } from '../arch/registers'
import { hex } from '../arch/u64'
import type { Actor, Journal, JMap } from '../journal/journal'
import type { MmioDevice } from '../mem/bus'
import type { PhysMem } from '../mem/physmem'
import { ConfigCache } from './cfgcache'
import { consumeCmdq } from './cmdq'
import { featuresFromIdRegs, type SmmuFeatures } from './features'
import { mmioRead, mmioWrite, regNameAt } from './regfile'
import { Iotlb } from './tlb'
import { translate, type DmaOutcome, type DmaRequest } from './translate'

export interface SmmuOptions {
  readonly params: SmmuParams
  readonly tlb: { readonly model: 'combined' | 'split'; readonly entries: number }
  /** Reproduce QEMU's known deviations from the architecture (SPEC-FACTS lists them). */
  readonly qemuCompat: boolean
}

/**
 * The SMMUv3 device. It knows nothing of who programs it: the host driver
 * or a hypervisor reach it through the MMIO bus and physical memory only.
 * All its state is journaled: registers in `regs`, caches in their maps,
 * everything it writes to memory through PhysMem.
 */
export type IrqLine = 'EVTQ' | 'PRIQ' | 'CMD_SYNC' | 'GERROR'

export class Smmu implements MmioDevice {
  readonly feat: SmmuFeatures
  readonly idregs: IdRegs
  /** Register values by name (64-bit registers whole). */
  readonly regs: JMap<string, bigint>
  readonly tlb: Iotlb
  readonly cfg: ConfigCache
  /** How the journal labels this device's command queue ('shadow' once a hypervisor owns it). */
  queueLabel: 'host' | 'shadow' = 'host'
  /** CR0.SMMUEN, kept beside the register for the translation hot path (derived: set with CR0). */
  smmuen = false
  /** Re-entrancy guard: consumption runs to completion before another starts. */
  consuming = false

  constructor(
    readonly j: Journal,
    readonly mem: PhysMem,
    readonly opts: SmmuOptions,
  ) {
    this.idregs = buildIdRegs(opts.params)
    this.feat = featuresFromIdRegs(this.idregs)
    this.regs = j.map<string, bigint>('smmu.regs', 'smmu')
    this.tlb = new Iotlb(j, { ...opts.tlb, qemuCompat: opts.qemuCompat })
    this.cfg = new ConfigCache(j)
  }

  /**
   * Power-on reset: ID registers and every register's reset value
   * (IHI 0070 6.3), as one record; the caches start empty.
   */
  reset(): void {
    const idr = Object.fromEntries(Object.entries(this.idregs).map(([k, v]) => [k, hex(v as number, 8)]))
    const rec = this.j.entry('smmu.reset', 'smmu', { idr })
    this.regs.into(rec, () => {
      for (const r of REGISTERS) {
        const id = (this.idregs as unknown as Record<string, number | undefined>)[r.name]
        this.setReg(r.name, id !== undefined ? BigInt(id) : r.reset)
      }
    })
    if (this.tlb.size) this.tlb.invalidateAll()
    if (this.cfg.size) this.cfg.invalidateAll()
  }

  /**
   * After the journaled state was put back behind this object's back (a
   * rewind): recompute what is derived from it. Called between operations,
   * so no consumption is under way.
   */
  restore(): void {
    this.smmuen = (this.reg('CR0') & 1n) === 1n
    this.consuming = false
    this.tlb.rebuild()
    this.cfg.restore()
  }

  reg(name: string): bigint {
    return this.regs.get(name) ?? 0n
  }

  reg32(name: string): number {
    return Number(this.reg(name) & 0xffff_ffffn)
  }

  setReg(name: string, v: bigint): void {
    this.regs.set(name, v)
    if (name === 'CR0') this.smmuen = (v & 1n) === 1n
  }

  regName(offset: number): string {
    return regNameAt(offset)
  }

  read(offset: number, size: 4 | 8): bigint {
    return mmioRead(this, offset, size)
  }

  write(offset: number, size: 4 | 8, value: bigint): void {
    mmioWrite(this, offset, size, value)
  }

  /** Consume the command queue until empty or an error stops it. */
  consume(): void {
    consumeCmdq(this)
  }

  /** A device transaction arriving with a StreamID. */
  dma(req: DmaRequest): DmaOutcome {
    return translate(this, req)
  }

  /** Who is wired to the SMMU's interrupt lines (the host kernel's handlers). */
  onIrq: ((line: IrqLine) => void) | undefined

  /** A wired interrupt pulse (no MSI for EVTQ/GERROR in this model): an observation, then the handler. */
  irq(line: IrqLine, actor: Actor = 'smmu'): void {
    this.j.entry('irq', actor, { line })
    this.onIrq?.(line)
  }
}
