import type { Layout } from '../arch/layout'
import { regByOffset, REG, type RegDef } from '../arch/registers'
import type { Smmu } from './smmu'

/**
 * The register file's architectural behaviour (IHI 0070 6.3): what a read
 * returns and what a write does, register by register. Register values are
 * stored whole (64-bit registers as one value); 32-bit halves of 64-bit
 * registers are merged here.
 */

/** Page 1 (at +64K) repeats page 0's layout (EVENTQ/PRIQ PROD and CONS live there). */
const PAGE1 = 0x10000

interface Hit {
  readonly def: RegDef
  /** 0, or 4 for the upper half of a 64-bit register. */
  readonly shift: 0 | 32
}

function locate(offset: number): Hit | undefined {
  const off = offset & ~PAGE1
  const def = regByOffset(off)
  if (def) return { def, shift: 0 }
  const lower = regByOffset(off - 4)
  if (lower && lower.width === 64) return { def: lower, shift: 32 }
  return undefined
}

export function regNameAt(offset: number): string {
  const h = locate(offset)
  if (!h) return `0x${offset.toString(16)}`
  return h.shift ? `${h.def.name}+4` : h.def.name
}

/** A field of a register's current value. */
export function field(s: Smmu, reg: keyof typeof REG, name: string): number {
  return (REG[reg].layout as Layout).get([s.reg(reg)], name)
}

export function mmioRead(s: Smmu, offset: number, size: 4 | 8): bigint {
  const h = locate(offset)
  if (!h) return 0n // unimplemented offsets are RAZ/WI
  if (size === 8 && (h.def.width !== 64 || h.shift)) return accessError(s, h.def.name, size, 'read')
  const v = s.reg(h.def.name)
  return size === 8 ? v : (v >> BigInt(h.shift)) & 0xffff_ffffn
}

function accessError(s: Smmu, reg: string, size: number, what: string): bigint {
  // A 64-bit access to a 32-bit register is CONSTRAINED UNPREDICTABLE
  // (IHI 0070 6.2); this model makes it RAZ/WI and says so.
  s.j.entry('mmio.error', 'smmu', { reg, size, message: `${size * 8}-bit ${what} of ${reg} is not a valid access: ignored (RAZ/WI)` })
  return 0n
}

export function mmioWrite(s: Smmu, offset: number, size: 4 | 8, value: bigint): void {
  const h = locate(offset)
  if (!h) return
  const { def } = h
  if (size === 8 && (def.width !== 64 || h.shift)) {
    accessError(s, def.name, size, 'write')
    return
  }
  if (def.access === 'ro') {
    s.j.entry('mmio.ignored', 'smmu', { reg: def.name, message: `${def.name} is read-only` })
    return
  }
  const old = s.reg(def.name)
  let v: bigint
  if (size === 8 || def.width === 32) v = size === 8 ? value : value & 0xffff_ffffn
  else {
    const sh = BigInt(h.shift)
    v = (old & ~(0xffff_ffffn << sh)) | ((value & 0xffff_ffffn) << sh)
  }
  writeReg(s, def.name, v, old)
}

/** Fields a register declares: writes to undeclared (RES0) bits are dropped. */
function declared(def: RegDef): bigint {
  return def.layout.declaredMask(0)
}

function ignored(s: Smmu, reg: string, why: string): void {
  s.j.entry('mmio.ignored', 'smmu', { reg, message: why })
}

function writeReg(s: Smmu, name: string, v: bigint, old: bigint): void {
  const def = REG[name as keyof typeof REG]
  const value = v & declared(def)
  const cr0 = field(s, 'CR0', 'SMMUEN')
  switch (name) {
    case 'CR0': {
      s.setReg('CR0', value)
      // Changes complete at once: CR0ACK follows (IHI 0070 6.3.9).
      s.setReg('CR0ACK', value & declared(REG.CR0ACK))
      const was = REG.CR0.layout
      const cmdqOn = was.get([value], 'CMDQEN') === 1 && was.get([old], 'CMDQEN') === 0
      if (cmdqOn) s.consume()
      return
    }
    case 'GBPA': {
      // A write takes effect only with UPDATE=1; UPDATE then reads 0: done (6.3.14).
      if (REG.GBPA.layout.get([value], 'UPDATE') === 0) {
        ignored(s, name, 'GBPA written with UPDATE=0: the fields are not updated')
        return
      }
      s.setReg('GBPA', REG.GBPA.layout.with([value], { UPDATE: 0 })[0])
      return
    }
    case 'IRQ_CTRL':
      s.setReg('IRQ_CTRL', value)
      s.setReg('IRQ_CTRLACK', value)
      return
    case 'GERRORN': {
      s.setReg('GERRORN', value)
      // Acknowledging CMDQ_ERR lets the command queue run again (IHI 0070 7.1);
      // consumption itself checks that no error is still active.
      s.consume()
      return
    }
    case 'STRTAB_BASE':
    case 'STRTAB_BASE_CFG':
      // Must not change while SMMUEN=1 (IHI 0070 6.3.23): CONSTRAINED UNPREDICTABLE; this model ignores the write.
      if (cr0 === 1) {
        ignored(s, name, `${name} written while CR0.SMMUEN=1: ignored`)
        return
      }
      s.setReg(name, value)
      return
    case 'CMDQ_BASE':
      if (field(s, 'CR0', 'CMDQEN') === 1) {
        ignored(s, name, 'CMDQ_BASE written while CR0.CMDQEN=1: ignored')
        return
      }
      s.setReg(name, value)
      return
    case 'CMDQ_CONS':
      // Software may set CONS only while the queue is disabled (IHI 0070 6.3.27).
      if (field(s, 'CR0', 'CMDQEN') === 1) {
        ignored(s, name, 'CMDQ_CONS written while CR0.CMDQEN=1: ignored')
        return
      }
      s.setReg(name, value)
      return
    case 'CMDQ_PROD':
      s.setReg(name, value)
      if (field(s, 'CR0', 'CMDQEN') === 1) s.consume()
      return
    case 'EVENTQ_BASE':
      if (field(s, 'CR0', 'EVENTQEN') === 1) {
        ignored(s, name, 'EVENTQ_BASE written while CR0.EVENTQEN=1: ignored')
        return
      }
      s.setReg(name, value)
      return
    case 'EVENTQ_PROD':
      if (field(s, 'CR0', 'EVENTQEN') === 1) {
        ignored(s, name, 'EVENTQ_PROD written while CR0.EVENTQEN=1: ignored')
        return
      }
      s.setReg(name, value)
      return
    default:
      s.setReg(name, value)
  }
}

/** Active global errors: GERROR ^ GERRORN (IHI 0070 6.3.16). */
export function gerrorActive(s: Smmu): number {
  return Number((s.reg('GERROR') ^ s.reg('GERRORN')) & 0x1fdn)
}

/**
 * Raise a global error: toggle its GERROR bit unless it is already active
 * (an active error is not raised again, and no second interrupt fires).
 */
export function raiseGerror(s: Smmu, bit: number): void {
  if ((gerrorActive(s) >> bit) & 1) return
  s.setReg('GERROR', s.reg('GERROR') ^ (1n << BigInt(bit)))
  if (field(s, 'IRQ_CTRL', 'GERROR_IRQEN') === 1) s.irq('GERROR')
}
