import type { Actor, Journal } from '../journal/journal'

/**
 * The MMIO bus: the one path from a CPU (the host, or the hypervisor) to a
 * device's registers. With pKVM, the hypervisor installs a trap for the
 * host: a host access becomes a data abort handled at EL2, which decides
 * what, if anything, the hardware sees. That seam is where "trap and
 * emulate" becomes visible: each access is an `mmio` span, and the
 * hypervisor's own accesses nest inside the trapped one.
 */

export interface MmioDevice {
  /** Register name at a (page-folded) offset, for the journal. */
  regName(offset: number): string
  read(offset: number, size: 4 | 8): bigint
  write(offset: number, size: 4 | 8, value: bigint): void
}

/** What the hypervisor does with a trapped host access. */
export interface MmioTrap {
  read(offset: number, size: 4 | 8): bigint
  write(offset: number, size: 4 | 8, value: bigint): void
}

export class MmioBus {
  private trapHandler: MmioTrap | null = null

  constructor(
    private readonly j: Journal,
    private readonly dev: MmioDevice,
  ) {}

  /** Route host accesses to `trap` (pKVM took the MMIO), or back to the device. */
  setHostTrap(trap: MmioTrap | null): void {
    this.trapHandler = trap
  }

  get trapped(): boolean {
    return this.trapHandler !== null
  }

  read(actor: Actor, offset: number, size: 4 | 8): bigint {
    const target = this.route(actor)
    return this.j.span('mmio', actor, this.fields(offset, size, false, actor), () => {
      const value = target.read(offset, size)
      this.j.annotate({ value })
      return value
    })
  }

  write(actor: Actor, offset: number, size: 4 | 8, value: bigint): void {
    const target = this.route(actor)
    this.j.span('mmio', actor, { ...this.fields(offset, size, true, actor), value }, () => {
      target.write(offset, size, value)
    })
  }

  private route(actor: Actor): MmioTrap {
    return actor === 'host' && this.trapHandler ? this.trapHandler : this.dev
  }

  private fields(offset: number, size: number, write: boolean, actor: Actor) {
    return { reg: this.dev.regName(offset), offset, size, write, trapped: actor === 'host' && this.trapHandler !== null }
  }
}
