/**
 * Validation of scenario steps. Steps are read in order with a little state
 * (booted yet? which domain is each device attached to? any DMA so far?), so
 * a combination that cannot happen is caught here with its path rather than
 * halfway through a run.
 */

import {
  GRANULE_SHIFT,
  GRANULES,
  OPS,
  type CommandSpec,
  type Device,
  type Domain,
  type DomainType,
  type GranuleName,
  type Guest,
  type GuestProt,
  type OpName,
  type Platform,
  type Prot,
  type Step,
} from './format'
import { hexGroups, parseNumber, quote, sizeName } from './numbers'
import { at, Reader, suggest, type JsonObject } from './reader'
import type { ValidateHooks } from './validate'

/** A domain as validation knows it: enough to check map/unmap alignment and range. */
export interface DomainInfo {
  readonly type: DomainType
  readonly granule: GranuleName
  readonly ias: number
  readonly asid?: number
  readonly vmid?: number
  /** Where it was first declared. */
  readonly path: string
}

export interface StepState {
  readonly platform: Platform
  readonly hooks: ValidateHooks
  /** Index of the boot step, -1 before it. */
  booted: number
  dmaSeen: boolean
  /** Device name → the domain it is attached to. */
  readonly attached: Map<string, DomainInfo>
  /** Domain name → domain. */
  readonly domains: Map<string, DomainInfo>
  readonly devices: ReadonlyMap<string, Device>
  readonly guests: ReadonlyMap<string, Guest>
}

const BASE_KEYS = ['op', 'note']
const KEYS: Readonly<Record<OpName, readonly string[]>> = {
  boot: [],
  attach: ['device', 'domain'],
  map: ['device', 'domain', 'iova', 'pa', 'size', 'prot'],
  unmap: ['device', 'domain', 'iova', 'size'],
  dma: ['device', 'ssid', 'iova', 'size', 'access'],
  donate: ['pa', 'size', 'to'],
  share: ['pa', 'size', 'with'],
  unshare: ['pa', 'size', 'with'],
  guestMap: ['guest', 'ipa', 'pa', 'prot'],
  guestUnmap: ['guest', 'ipa', 'pa', 'prot'],
  mmio: ['access', 'reg', 'value', 'size'],
  cmd: [],
  cmds: ['cmds', 'noProd'],
  write: ['pa', 'value', 'size'],
  expect: ['dma', 'pa', 'event', 'stage', 'reg', 'field', 'value', 'rejected'],
}
const HYP_OPS: readonly OpName[] = ['donate', 'share', 'unshare', 'guestMap', 'guestUnmap']
/** Driver-level ops; cmd/cmds are raw-level (they find the queue through the CMDQ registers). */
const DRIVER_OPS: readonly OpName[] = ['attach', 'map', 'unmap']

const PROTS: readonly Prot[] = ['r', 'w', 'rw']
const GUEST_PROTS: readonly GuestProt[] = ['r', 'w', 'x', 'rw', 'rx', 'wx', 'rwx']
const UPPER = /^[A-Z][A-Z0-9_]*$/
const FIELD = /^[A-Za-z][A-Za-z0-9_]*$/
/** The MMIO window: two 64K register pages (IHI 0070 6.1; SPEC-FACTS A§1). */
const MMIO_WINDOW = 0x2_0000
const MAX_CMDS = 65536

const defaultIsEvent = (n: string): boolean => /^[FCE]_[A-Z0-9_]+$/.test(n)
const defaultIsUpper = (n: string): boolean => UPPER.test(n)

/** Validate one step; `undefined` when it has errors (recorded in `r`). */
export function validateStep(r: Reader, index: number, v: unknown, st: StepState): Step | undefined {
  const path = at('steps', index)
  const o = r.object(path, v, 'a step ({ "op": … })')
  if (!o) return undefined
  const opV = r.get(path, o, 'op')
  if (opV === undefined) {
    r.error(at(path, 'op'), `missing: every step names its operation (${OPS.join(', ')})`)
    return undefined
  }
  if (typeof opV !== 'string' || !(OPS as readonly string[]).includes(opV)) {
    r.error(at(path, 'op'), typeof opV === 'string' ? `unknown op ${quote(opV)} (${suggest(opV, OPS)})` : `expected an op name, got ${JSON.stringify(opV)}`)
    return undefined
  }
  const op = opV as OpName
  const before = r.errors.length
  if (op !== 'cmd') r.keys(path, o, [...BASE_KEYS, ...KEYS[op]])
  const noteV = r.get(path, o, 'note')
  const note = noteV === undefined ? undefined : r.string(at(path, 'note'), noteV, 4096)

  if (HYP_OPS.includes(op) && st.platform.hypervisor !== 'pkvm') {
    r.error(at(path, 'op'), `${op} is a pKVM hypercall; it needs "hypervisor": "pkvm" in platform`)
  }
  if (DRIVER_OPS.includes(op) && st.booted < 0) {
    r.error(at(path, 'op'), `${op} goes through the host driver, which is not probed yet: put a { "op": "boot" } step before it`)
  }

  const step = readOp(r, path, index, o, op, st)
  if (!step || r.errors.length > before) return undefined
  return note === undefined ? step : { ...step, note }
}

function readOp(r: Reader, path: string, index: number, o: JsonObject, op: OpName, st: StepState): Step | undefined {
  const c = new StepReader(r, path, o, st)
  switch (op) {
    case 'boot':
      if (st.booted >= 0) {
        r.error(at(path, 'op'), `the host driver was already probed at steps[${st.booted}]`)
        return undefined
      }
      st.booted = index
      return { op }
    case 'attach':
      return c.attach()
    case 'map':
    case 'unmap':
      return c.mapUnmap(op)
    case 'dma':
      return c.dma()
    case 'donate':
    case 'share':
    case 'unshare':
      return c.ownership(op)
    case 'guestMap':
    case 'guestUnmap':
      return c.guest(op)
    case 'mmio':
      return c.mmio()
    case 'cmd': {
      const noProd = c.optBool('noProd')
      const command = readCommand(r, path, o, st, ['op', 'note', 'noProd'])
      return command && noProd !== undefined ? { op, command, noProd } : undefined
    }
    case 'cmds':
      return c.cmds()
    case 'write':
      return c.write()
    case 'expect':
      return c.expect()
  }
}

/** Reads the keys of one step object. */
class StepReader {
  constructor(
    readonly r: Reader,
    readonly path: string,
    readonly o: JsonObject,
    readonly st: StepState,
  ) {}

  p(key: string): string {
    return at(this.path, key)
  }

  /** A required key's value, or an error saying what is missing. */
  req(key: string, what: string): unknown {
    const v = this.r.get(this.path, this.o, key)
    if (v === undefined && !Object.hasOwn(this.o, key)) this.r.error(this.p(key), `missing: ${what}`)
    return v
  }

  opt(key: string): unknown {
    return this.r.get(this.path, this.o, key)
  }

  optBool(key: string): boolean | undefined {
    const v = this.opt(key)
    return v === undefined ? false : this.r.bool(this.p(key), v)
  }

  num(key: string, what: string, min = 0, max = Number.MAX_SAFE_INTEGER): number | undefined {
    const v = this.req(key, what)
    return v === undefined ? undefined : this.r.number(this.p(key), v, min, max)
  }

  device(key = 'device'): Device | undefined {
    const v = this.req(key, 'which device (a name from platform.devices)')
    if (v === undefined) return undefined
    const name = this.r.string(this.p(key), v, 64)
    if (name === undefined) return undefined
    const d = this.st.devices.get(name)
    if (!d) {
      const names = [...this.st.devices.keys()]
      this.r.error(this.p(key), names.length
        ? `no device named ${quote(name)} (${suggest(name, names)})`
        : `no device named ${quote(name)}: platform.devices is empty`)
    }
    return d
  }

  guestName(key: string, what: string): string | undefined {
    const v = this.req(key, what)
    if (v === undefined) return undefined
    const name = this.r.string(this.p(key), v, 64)
    if (name === undefined) return undefined
    if (!this.st.guests.has(name)) {
      const names = [...this.st.guests.keys()]
      this.r.error(this.p(key), names.length
        ? `no guest named ${quote(name)} (${suggest(name, names)})`
        : `no guest named ${quote(name)}: platform.guests is empty`)
      return undefined
    }
    return name
  }

  /** `value` must be a multiple of 2^shift. */
  aligned(key: string, value: number, shift: number, unit: string): boolean {
    if (value % 2 ** shift === 0) return true
    this.r.error(this.p(key), `${hexGroups(value)} is not aligned to the ${unit}`)
    return false
  }

  sizeOf(key: string, value: number, shift: number, unit: string): boolean {
    if (value > 0 && value % 2 ** shift === 0) return true
    this.r.error(this.p(key), `${value === 0 ? '0' : sizeName(value)} is not a non-zero multiple of the ${unit}`)
    return false
  }

  /** [pa, pa + size) lies in RAM. */
  inRam(key: string, pa: number, size: number): boolean {
    const { base, size: ramSize } = this.st.platform.ram
    if (pa >= base && pa + size <= base + ramSize) return true
    this.r.error(this.p(key), `${hexGroups(pa)}+${sizeName(size)} is outside RAM [${hexGroups(base)}, ${hexGroups(base + ramSize)})`)
    return false
  }

  pageShift(): number {
    return GRANULE_SHIFT[this.st.platform.pageSize]
  }

  attach(): Step | undefined {
    const { r, st } = this
    const device = this.device()
    const dv = this.req('domain', 'the domain to attach ({ "type": "s1" | "s2" | "bypass" | "abort" | "identity", … })')
    const dom = dv === undefined ? undefined : this.domain(this.p('domain'), dv)
    if (!device || !dom) return undefined
    const [domain, info] = dom
    if (domain.name !== undefined) {
      const prev = st.domains.get(domain.name)
      if (prev && (prev.type !== info.type || prev.granule !== info.granule || prev.ias !== info.ias || prev.asid !== info.asid || prev.vmid !== info.vmid)) {
        r.error(at(this.p('domain'), 'name'), `domain ${quote(domain.name)} was declared differently at ${prev.path}; reuse it with the same type, asid, vmid, ias and granule`)
        return undefined
      }
      if (!prev) st.domains.set(domain.name, info)
    }
    st.attached.set(device.name, domain.name !== undefined ? st.domains.get(domain.name)! : info)
    return { op: 'attach', device: device.name, domain }
  }

  domain(path: string, v: unknown): [Domain, DomainInfo] | undefined {
    const { r, st } = this
    const o = r.object(path, v)
    if (!o) return undefined
    const before = r.errors.length
    r.keys(path, o, ['type', 'name', 'asid', 'vmid', 'ias', 'granule'])
    const tv = r.get(path, o, 'type')
    if (tv === undefined) r.error(at(path, 'type'), 'missing: "abort", "bypass", "s1", "s2" or "identity"')
    const type = tv === undefined ? undefined : r.oneOf(at(path, 'type'), tv, ['abort', 'bypass', 's1', 's2', 'identity'] as const)
    const nv = r.get(path, o, 'name')
    const name = nv === undefined ? undefined : r.string(at(path, 'name'), nv, 64, /^[A-Za-z0-9][A-Za-z0-9_.:-]{0,63}$/, 'a name')
    const av = r.get(path, o, 'asid')
    const asid = av === undefined ? undefined : r.number(at(path, 'asid'), av, 0, 0xffff, 'ASIDs are 16 bits')
    const vv = r.get(path, o, 'vmid')
    const vmid = vv === undefined ? undefined : r.number(at(path, 'vmid'), vv, 0, 0xffff, 'VMIDs are 16 bits')
    const iv = r.get(path, o, 'ias')
    const iasIn = iv === undefined ? undefined : r.number(at(path, 'ias'), iv, 25, 52, 'a translation table input size: 64 - TnSZ')
    const gv = r.get(path, o, 'granule')
    const granuleIn = gv === undefined ? undefined : r.oneOf(at(path, 'granule'), gv, GRANULES)
    if (type === undefined || r.errors.length > before) return undefined

    const smmu = st.platform.smmu
    const paging = type === 's1' || type === 's2' || type === 'identity'
    if (asid !== undefined && type !== 's1') r.error(at(path, 'asid'), `an ASID tags stage-1 translations; a ${type} domain has none`)
    if (vmid !== undefined && type !== 's2') r.error(at(path, 'vmid'), `a VMID tags stage-2 translations; a ${type} domain has none`)
    if (!paging) {
      if (iasIn !== undefined) r.error(at(path, 'ias'), `a ${type} domain has no page table`)
      if (granuleIn !== undefined) r.error(at(path, 'granule'), `a ${type} domain has no page table`)
    }
    if (type === 's1' && smmu.stages === 's2') r.error(at(path, 'type'), 'the SMMU implements stage 2 only (platform.smmu.stages = "s2")')
    if (type === 's2' && smmu.stages === 's1') r.error(at(path, 'type'), 'the SMMU implements stage 1 only (platform.smmu.stages = "s1")')
    if (type === 's2' && st.platform.hypervisor === 'pkvm') {
      r.error(at(path, 'type'), 'under pKVM the host sees no stage 2 (the hypervisor clears IDR0.S2P): use an s1 domain')
    }
    // Linux prefers PAGE_SIZE, else the smallest granule the SMMU offers (B§7).
    const granule = granuleIn ?? (smmu.granules.includes(st.platform.pageSize) ? st.platform.pageSize : smmu.granules[0])
    if (granuleIn !== undefined && !smmu.granules.includes(granuleIn)) {
      r.error(at(path, 'granule'), `the SMMU does not offer the ${granuleIn} granule (platform.smmu.granules: ${smmu.granules.join(', ')})`)
    }
    // Linux: an S1 domain has a 48-bit input, an S2 domain the SMMU's OAS (B§6).
    const ias = iasIn ?? (type === 's1' ? 48 : Math.min(smmu.oas, 48))
    if (iasIn !== undefined && iasIn > 48 && granule !== '64K') {
      r.error(at(path, 'ias'), `a ${iasIn}-bit input needs the 64K granule (FEAT_LPA); this domain uses ${granule}`)
    }
    if (iasIn !== undefined && type === 's2' && iasIn > smmu.oas) {
      r.error(at(path, 'ias'), `an IPA of ${iasIn} bits exceeds the SMMU's ${smmu.oas}-bit output size (stage 2 input cannot be wider than PS)`)
    }
    if (r.errors.length > before) return undefined
    const domain: Domain = {
      type,
      ...(name !== undefined && { name }),
      ...(asid !== undefined && { asid }),
      ...(vmid !== undefined && { vmid }),
      ...(paging && { ias, granule }),
    }
    const info: DomainInfo = { type, granule, ias, path, ...(asid !== undefined && { asid }), ...(vmid !== undefined && { vmid }) }
    return [domain, info]
  }

  /** The domain a map/unmap targets: a device's current one or a named one. */
  target(): [{ device: string } | { domain: string }, DomainInfo] | undefined {
    const { r, st } = this
    const hasDev = Object.hasOwn(this.o, 'device')
    const hasDom = Object.hasOwn(this.o, 'domain')
    if (hasDev === hasDom) {
      r.error(this.path, hasDev ? 'give device or domain, not both' : 'missing: device (its attached domain) or domain (a domain name)')
      return undefined
    }
    let info: DomainInfo | undefined
    let t: { device: string } | { domain: string }
    if (hasDev) {
      const d = this.device()
      if (!d) return undefined
      info = st.attached.get(d.name)
      t = { device: d.name }
      if (!info) {
        r.error(this.p('device'), `${quote(d.name)} is not attached to a domain yet (attach it first)`)
        return undefined
      }
    } else {
      const name = r.string(this.p('domain'), this.o.domain, 64)
      if (name === undefined) return undefined
      info = st.domains.get(name)
      t = { domain: name }
      if (!info) {
        const names = [...st.domains.keys()]
        r.error(this.p('domain'), `no domain named ${quote(name)} was attached before${names.length ? ` (${suggest(name, names)})` : ''}`)
        return undefined
      }
    }
    if (info.type === 'abort' || info.type === 'bypass') {
      r.error(this.p(hasDev ? 'device' : 'domain'), `a ${info.type} domain has no page table to map into (attach an s1 or s2 domain)`)
      return undefined
    }
    return [t, info]
  }

  mapUnmap(op: 'map' | 'unmap'): Step | undefined {
    const { r } = this
    const tgt = this.target()
    const iova = this.num('iova', 'the IO virtual address')
    const size = this.num('size', 'how many bytes')
    const pa = op === 'map' ? this.num('pa', 'the physical address to map') : 0
    const protV = op === 'map' ? this.req('prot', '"r", "w" or "rw" (IOMMU_READ / IOMMU_WRITE)') : undefined
    const prot = protV === undefined ? undefined : r.oneOf(this.p('prot'), protV, PROTS)
    if (!tgt || iova === undefined || size === undefined || pa === undefined || (op === 'map' && prot === undefined)) return undefined
    const [t, info] = tgt
    const shift = GRANULE_SHIFT[info.granule]
    const unit = `${info.granule} granule`
    let ok = this.aligned('iova', iova, shift, unit) && this.sizeOf('size', size, shift, unit)
    if (ok && iova + size > 2 ** info.ias) {
      r.error(this.p('iova'), `${hexGroups(iova)}+${sizeName(size)} goes beyond the domain's ${info.ias}-bit input range`)
      ok = false
    }
    if (op === 'map') {
      const oas = this.st.platform.smmu.oas
      if (!this.aligned('pa', pa, shift, unit)) ok = false
      else if (pa + size > 2 ** oas) {
        r.error(this.p('pa'), `${hexGroups(pa)}+${sizeName(size)} goes beyond the SMMU's ${oas}-bit output address size`)
        ok = false
      }
    }
    if (!ok) return undefined
    return op === 'map' ? { op, ...t, iova, pa, size, prot: prot! } : { op, ...t, iova, size }
  }

  dma(): Step | undefined {
    const { r } = this
    const device = this.device()
    const sv = this.opt('ssid')
    let ssid: number | undefined
    if (sv !== undefined && device) {
      ssid = r.number(this.p('ssid'), sv, 0, 2 ** 20 - 1)
      if (ssid !== undefined && device.ssids === undefined) {
        r.error(this.p('ssid'), `${quote(device.name)} issues no SubstreamID (give it "ssids" in platform.devices)`)
        ssid = undefined
      } else if (ssid !== undefined && device.ssids !== undefined && ssid >= device.ssids) {
        r.error(this.p('ssid'), `${ssid} is not below ${quote(device.name)}'s ${device.ssids} substreams`)
        ssid = undefined
      }
      if (ssid === undefined) return undefined
    }
    const iv = this.req('iova', 'the IO virtual address')
    let iova: number | bigint | undefined
    if (iv !== undefined) {
      const n = parseNumber(iv)
      if (n.ok) iova = n.value
      else r.error(this.p('iova'), n.message)
    }
    const size = this.num('size', 'how many bytes the transaction moves', 1, 2 ** 32)
    const av = this.req('access', '"read" or "write"')
    const access = av === undefined ? undefined : r.oneOf(this.p('access'), av, ['read', 'write'] as const)
    if (!device || iova === undefined || size === undefined || access === undefined) return undefined
    if (BigInt(iova) + BigInt(size) > 1n << 64n) {
      r.error(this.p('size'), `the transaction runs past the top of the 64-bit address space`)
      return undefined
    }
    this.st.dmaSeen = true
    return { op: 'dma', device: device.name, ...(ssid !== undefined && { ssid }), iova, size, access }
  }

  /** pKVM works in PAGE_SIZE units on RAM pages (B§8 ownership). */
  pages(): [number, number] | undefined {
    const pa = this.num('pa', 'the physical address of the first page')
    const size = this.num('size', 'how many bytes (whole pages)')
    if (pa === undefined || size === undefined) return undefined
    const shift = this.pageShift()
    const unit = `${this.st.platform.pageSize} page size`
    if (!this.aligned('pa', pa, shift, unit) || !this.sizeOf('size', size, shift, unit)) return undefined
    return this.inRam('pa', pa, size) ? [pa, size] : undefined
  }

  ownership(op: 'donate' | 'share' | 'unshare'): Step | undefined {
    const { r, st } = this
    const range = this.pages()
    if (op === 'donate') {
      const tv = this.req('to', '"hyp" or a guest name')
      let to: string | undefined
      if (tv !== undefined) {
        to = r.string(this.p('to'), tv, 64)
        if (to !== undefined && to !== 'hyp' && !st.guests.has(to)) {
          r.error(this.p('to'), `${quote(to)} is neither "hyp" nor a guest (${suggest(to, ['hyp', ...st.guests.keys()])})`)
          to = undefined
        }
      }
      return range && to !== undefined ? { op, pa: range[0], size: range[1], to } : undefined
    }
    const wv = this.req('with', '"hyp"')
    const w = wv === undefined ? undefined : r.oneOf(this.p('with'), wv, ['hyp'] as const)
    return range && w ? { op, pa: range[0], size: range[1], with: w } : undefined
  }

  guest(op: 'guestMap' | 'guestUnmap'): Step | undefined {
    const { r } = this
    const guest = this.guestName('guest', 'which guest (a name from platform.guests)')
    const ipa = this.num('ipa', 'the guest physical address (IPA)')
    const pv = op === 'guestMap' ? this.req('pa', 'the host physical page to share') : this.opt('pa')
    const pa = pv === undefined ? undefined : r.number(this.p('pa'), pv)
    const rv = op === 'guestMap' ? this.req('prot', 'a subset of "rwx"') : this.opt('prot')
    const prot = rv === undefined ? undefined : r.oneOf(this.p('prot'), rv, GUEST_PROTS)
    if (guest === undefined || ipa === undefined || (pv !== undefined && pa === undefined) || (rv !== undefined && prot === undefined)) return undefined
    if (op === 'guestMap' && (pa === undefined || prot === undefined)) return undefined
    const shift = this.pageShift()
    const unit = `${this.st.platform.pageSize} page size`
    let ok = this.aligned('ipa', ipa, shift, unit)
    if (pa !== undefined) ok = this.aligned('pa', pa, shift, unit) && this.inRam('pa', pa, 2 ** shift) && ok
    if (!ok) return undefined
    if (op === 'guestMap') return { op, guest, ipa, pa: pa!, prot: prot! }
    return { op, guest, ipa, ...(pa !== undefined && { pa }), ...(prot !== undefined && { prot }) }
  }

  /** A register by name (hook-checked) or by offset in the MMIO window (0x0-0x1FFFF). */
  reg(key: string, size?: number): string | number | undefined {
    const { r } = this
    const v = this.req(key, 'a register name without SMMU_ (CR0, CMDQ_PROD, …) or an offset')
    if (v === undefined) return undefined
    if (typeof v === 'string' && !/^[0-9]/.test(v.trim())) {
      if (/^SMMU_/i.test(v)) {
        r.error(this.p(key), `write the register name without the SMMU_ prefix: ${quote(v.slice(5))}`)
        return undefined
      }
      const isReg = this.st.hooks.isRegister ?? defaultIsUpper
      if (!isReg(v)) {
        r.error(this.p(key), `${quote(v)} is not an SMMU register name (CR0, GBPA, STRTAB_BASE, CMDQ_PROD, …) or an offset`)
        return undefined
      }
      return v
    }
    const off = r.number(this.p(key), v, 0, MMIO_WINDOW - 1, 'the SMMU MMIO window is 0x20000 bytes')
    if (off === undefined) return undefined
    if (off % (size ?? 4)) {
      r.error(this.p(key), `offset ${hexGroups(off)} is not aligned to the ${size ?? 4}-byte access`)
      return undefined
    }
    return off
  }

  mmio(): Step | undefined {
    const { r } = this
    const av = this.req('access', '"read" or "write"')
    const access = av === undefined ? undefined : r.oneOf(this.p('access'), av, ['read', 'write'] as const)
    const sv = this.opt('size')
    const size = sv === undefined ? undefined : r.oneOf(this.p('size'), sv, [1, 2, 4, 8] as const)
    if (sv !== undefined && size === undefined) return undefined
    const reg = this.reg('reg', size)
    const vv = this.opt('value')
    let value: bigint | undefined
    if (access === 'read' && vv !== undefined) {
      r.error(this.p('value'), 'a read takes no value (check what it returns with an expect step)')
      return undefined
    }
    if (access === 'write') {
      if (vv === undefined) {
        r.error(this.p('value'), 'missing: the value to write')
        return undefined
      }
      value = r.u64(this.p('value'), vv, (size ?? 8) * 8)
      if (value === undefined) return undefined
    }
    if (access === undefined || reg === undefined) return undefined
    return { op: 'mmio', access, reg, ...(value !== undefined && { value }), ...(size !== undefined && { size }) }
  }

  cmds(): Step | undefined {
    const { r, st } = this
    const noProd = this.optBool('noProd')
    const v = this.req('cmds', 'the commands: [ { "opcode": …, fields… } | { "raw": [w0, w1] }, … ]')
    if (v === undefined) return undefined
    const a = r.array(this.p('cmds'), v, MAX_CMDS)
    if (!a) return undefined
    if (a.length === 0) {
      r.error(this.p('cmds'), 'an empty list issues nothing')
      return undefined
    }
    const commands: CommandSpec[] = []
    for (let i = 0; i < a.length && !r.full; i++) {
      const p = at(this.p('cmds'), i)
      const o = r.object(p, a[i], 'a command ({ "opcode": … } or { "raw": [w0, w1] })')
      const c = o && readCommand(r, p, o, st, [])
      if (c) commands.push(c)
    }
    if (commands.length !== a.length || noProd === undefined) return undefined
    return { op: 'cmds', commands, noProd }
  }

  write(): Step | undefined {
    const { r } = this
    const pa = this.num('pa', 'the physical address to store to')
    const sv = this.req('size', 'the store size in bytes: 1, 2, 4 or 8')
    const size = sv === undefined ? undefined : r.oneOf(this.p('size'), sv, [1, 2, 4, 8] as const)
    const vv = this.req('value', 'the value to store')
    const value = vv === undefined || size === undefined ? undefined : r.u64(this.p('value'), vv, size * 8)
    if (pa === undefined || size === undefined || value === undefined) return undefined
    if (!this.inRam('pa', pa, size)) return undefined
    return { op: 'write', pa, value, size }
  }

  expect(): Step | undefined {
    const { r, st } = this
    const before = r.errors.length
    const hooks = st.hooks
    const get = (k: string): unknown => this.opt(k)
    const [dv, pv, ev, sv, rv, fv, vv, jv] = ['dma', 'pa', 'event', 'stage', 'reg', 'field', 'value', 'rejected'].map(get)
    if (dv === undefined && ev === undefined && rv === undefined && jv === undefined) {
      r.error(this.path, 'an expect step checks something: give dma, event, reg (with value) or rejected')
      return undefined
    }
    const dma = dv === undefined ? undefined : r.oneOf(this.p('dma'), dv, ['ok', 'fault'] as const)
    if (dv !== undefined && !st.dmaSeen) r.error(this.p('dma'), 'there is no dma step before this one to check')
    const pa = pv === undefined ? undefined : r.number(this.p('pa'), pv)
    if (pv !== undefined && dma !== 'ok') r.error(this.p('pa'), 'pa is where a successful DMA landed: it goes with "dma": "ok"')
    let event: string | undefined
    if (ev !== undefined) {
      event = r.string(this.p('event'), ev, 64)
      if (event !== undefined && !(hooks.isEvent ?? defaultIsEvent)(event)) {
        r.error(this.p('event'), `${quote(event)} is not an event type (F_TRANSLATION, C_BAD_STE, …)`)
      }
    }
    const stage = sv === undefined ? undefined : r.oneOf(this.p('stage'), sv, [1, 2] as const)
    if (sv !== undefined && event === undefined && dma !== 'fault') {
      r.error(this.p('stage'), 'stage says which stage faulted: it goes with an event or "dma": "fault"')
    }
    let reg: string | undefined
    if (rv !== undefined) {
      const got = this.reg('reg')
      if (typeof got === 'number') r.error(this.p('reg'), 'name the register (an expect reads it by name)')
      else reg = got
      if (vv === undefined) r.error(this.p('value'), 'missing: the value the register (or field) should hold')
    }
    let field: string | undefined
    if (fv !== undefined) {
      field = r.string(this.p('field'), fv, 64)
      if (rv === undefined) r.error(this.p('field'), 'field names a field of a register: give reg too')
      else if (reg !== undefined && field !== undefined && !(hooks.isField ?? ((_r: string, f: string) => defaultIsUpper(f)))(reg, field)) {
        r.error(this.p('field'), `${reg} has no field ${quote(field)}`)
      }
    }
    const value = vv === undefined ? undefined : r.u64(this.p('value'), vv)
    if (vv !== undefined && rv === undefined) r.error(this.p('value'), 'value is what a register holds: give reg too')
    let rejected: string | undefined
    if (jv !== undefined) {
      rejected = r.string(this.p('rejected'), jv, 64)
      if (rejected !== undefined && !(hooks.isOpcode ?? defaultIsUpper)(rejected)) {
        r.error(this.p('rejected'), `${quote(rejected)} is not a command opcode name (CFGI_STE, TLBI_NH_ALL, …)`)
      }
      if (st.platform.hypervisor !== 'pkvm') r.error(this.p('rejected'), 'only pKVM rejects commands; it needs "hypervisor": "pkvm"')
    }
    if (r.errors.length > before) return undefined
    return {
      op: 'expect',
      ...(dma !== undefined && { dma }),
      ...(pa !== undefined && { pa }),
      ...(event !== undefined && { event }),
      ...(stage !== undefined && { stage }),
      ...(reg !== undefined && { reg }),
      ...(field !== undefined && { field }),
      ...(value !== undefined && { value }),
      ...(rejected !== undefined && { rejected }),
    }
  }
}

/**
 * One command: `{ opcode, ...fields }` or `{ raw: [w0, w1] }` (Linux's two
 * 64-bit words, cmd[0] first). `reserved` are the step's own keys when the
 * command is written inline in a `cmd` step.
 */
function readCommand(r: Reader, path: string, o: JsonObject, st: StepState, reserved: readonly string[]): CommandSpec | undefined {
  const before = r.errors.length
  const hasRaw = Object.hasOwn(o, 'raw')
  const hasOp = Object.hasOwn(o, 'opcode')
  if (hasRaw === hasOp) {
    r.error(path, hasRaw ? 'give opcode (with fields) or raw, not both' : 'missing: opcode (with spec-named fields) or raw ([word0, word1])')
    return undefined
  }
  if (hasRaw) {
    r.keys(path, o, [...reserved, 'raw'])
    const a = r.array(at(path, 'raw'), o.raw, 2)
    if (!a) return undefined
    if (a.length !== 2) {
      r.error(at(path, 'raw'), `a command is two 64-bit words (16 bytes); got ${a.length}`)
      return undefined
    }
    const w0 = r.u64(at(at(path, 'raw'), 0), a[0])
    const w1 = r.u64(at(at(path, 'raw'), 1), a[1])
    return w0 === undefined || w1 === undefined || r.errors.length > before ? undefined : { raw: [w0, w1] }
  }
  const opcode = r.string(at(path, 'opcode'), o.opcode, 64, UPPER, 'an opcode name (TLBI_NH_VA, CFGI_STE, SYNC, …)')
  const fields: Record<string, number | bigint | string> = {}
  for (const key of Object.keys(o)) {
    if (key === 'opcode' || reserved.includes(key)) continue
    if (r.full) break
    const p = at(path, key)
    if (!FIELD.test(key)) {
      r.error(p, `${quote(key)} is not a command field name`)
      continue
    }
    const v = o[key]
    if (typeof v === 'boolean') fields[key] = v ? 1 : 0
    else if (typeof v === 'string' && /^[A-Za-z_][A-Za-z0-9_]*$/.test(v)) fields[key] = v // a named value: CS "SEV"
    else if (key === 'Address') {
      const a = r.u64(p, v)
      if (a !== undefined) fields[key] = a
    } else {
      const n = parseNumber(v)
      if (n.ok) fields[key] = n.value
      else r.error(p, n.message)
    }
  }
  if (opcode === undefined || r.errors.length > before) return undefined
  const problem = st.hooks.checkCommand?.(opcode, fields) ?? null
  if (problem !== null) {
    r.error(at(path, blame(problem, Object.keys(fields)) ?? 'opcode'), problem)
    return undefined
  }
  return { opcode, fields }
}

/** The field a command-check message names first ("TLBI_NH_VA.ASID: 65536 does not fit"), to point the path at it. */
function blame(message: string, keys: readonly string[]): string | undefined {
  let best: string | undefined
  let bestAt = Infinity
  for (const k of keys) {
    const m = new RegExp(`(^|[^A-Za-z0-9_])${k}([^A-Za-z0-9_]|$)`).exec(message)
    if (m && m.index < bestAt) {
      best = k
      bestAt = m.index
    }
  }
  return best
}
