/**
 * Scenario validation (DESIGN.md "Scenario format, version 1"): unknown keys,
 * wrong types, out-of-range values and impossible combinations are rejected
 * before anything runs, each with its JSON path and the reason. A valid
 * scenario comes back normalised: every default filled, numbers parsed.
 *
 * Register, event and command names belong to engine/arch; they come in
 * through hooks so this module needs none of those tables.
 */

import {
  DEFAULT_EMULATION,
  DEFAULT_PLATFORM,
  FORMAT_VERSION,
  GRANULE_SHIFT,
  GRANULES,
  OAS_VALUES,
  type Device,
  type GranuleName,
  type Guest,
  type Platform,
  type Scenario,
  type SmmuPlatform,
  type Step,
} from './format'
import { carveOut } from '../pgtable/pool-size'
import { migrate } from './migrate'
import { hexGroups, quote, sizeName } from './numbers'
import { at, MAX_ERRORS, Reader, type JsonObject, type ValidationError } from './reader'
import { validateStep, type StepState } from './validate-steps'

export type { ValidationError } from './reader'
export { MAX_ERRORS } from './reader'

/** Names and checks owned by engine/arch, plugged in by the caller. */
export interface ValidateHooks {
  /**
   * Check a `cmd` given by opcode name and spec-named fields: return an error
   * message (unknown opcode, unknown field, value too wide), or null.
   */
  readonly checkCommand?: (op: string, fields: Readonly<Record<string, number | bigint | string>>) => string | null
  /** Is this a register name (without SMMU_)? Default: any A–Z0–9_ name. */
  readonly isRegister?: (name: string) => boolean
  /** Is this a field of that register? Default: any A–Z0–9_ name. */
  readonly isField?: (reg: string, field: string) => boolean
  /** Is this an event type name (F_TRANSLATION, C_BAD_STE…)? Default: F_/C_/E_ names. */
  readonly isEvent?: (name: string) => boolean
  /** Is this a command opcode name (for `expect.rejected`)? Default: any A–Z0–9_ name. */
  readonly isOpcode?: (name: string) => boolean
}

export type ValidateResult =
  | { readonly ok: true; readonly scenario: Scenario; /** Format version the input was written in. */ readonly from: number }
  | { readonly ok: false; readonly errors: readonly ValidationError[] }

export const MAX_STEPS = 100_000
const MAX_DEVICES = 4096
const MAX_GUESTS = 64
const NAME = /^[A-Za-z0-9][A-Za-z0-9_.:-]{0,63}$/
const NAME_WHAT = 'a name (letters, digits, _ . : -; at most 64)'

/**
 * Validate and normalise a scenario of any format version (older ones are
 * migrated first). Never throws, whatever the input.
 */
export function validateScenario(json: unknown, hooks: ValidateHooks = {}): ValidateResult {
  const r = new Reader()
  try {
    const m = migrate(json)
    if (!m.ok) {
      const path = typeof json === 'object' && json !== null && !Array.isArray(json) ? 'smmuscope' : ''
      return { ok: false, errors: [{ path, message: m.message }] }
    }
    const scenario = readScenario(r, m.json, hooks)
    if (r.errors.length || !scenario) {
      return { ok: false, errors: r.errors.length ? r.errors : [{ path: '', message: 'the scenario is not valid' }] }
    }
    return { ok: true, scenario, from: m.from }
  } catch (e) {
    // Only a hostile object (a throwing getter, a Proxy) or exhausted memory gets here.
    const message = `cannot read the scenario: ${e instanceof Error ? e.message : String(e)}`
    return { ok: false, errors: [...r.errors.slice(0, MAX_ERRORS - 1), { path: '', message }] }
  }
}

/** The errors as text, one "path: message" per line (CLI, logs). */
export function formatErrors(errors: readonly ValidationError[]): string {
  return errors.map((e) => (e.path ? `${e.path}: ${e.message}` : e.message)).join('\n')
}

function readScenario(r: Reader, o: JsonObject, hooks: ValidateHooks): Scenario | undefined {
  r.keys('', o, ['smmuscope', 'title', 'notes', 'platform', 'steps'])
  const titleV = r.get('', o, 'title')
  const title = titleV === undefined ? '' : r.string('title', titleV, 200)
  const notesV = r.get('', o, 'notes')
  const notes = notesV === undefined ? '' : r.string('notes', notesV, 65536)
  const platV = r.get('', o, 'platform')
  const platform = readPlatform(r, platV === undefined ? {} : r.object('platform', platV))
  const stepsV = r.get('', o, 'steps')
  let steps: Step[] | undefined
  if (stepsV === undefined) r.error('steps', 'missing: a scenario has "steps": [ … ] (it may be empty)')
  else if (platform) steps = readSteps(r, stepsV, platform, hooks)
  if (title === undefined || notes === undefined || !platform || !steps) return undefined
  return { smmuscope: FORMAT_VERSION, title, notes, platform, steps }
}

/* ---------------------------------------------------------------- platform */

function readSmmu(r: Reader, path: string, o: JsonObject | undefined): SmmuPlatform | undefined {
  if (!o) return undefined
  const d = DEFAULT_PLATFORM.smmu
  r.keys(path, o, Object.keys(d))
  const opt = <T>(key: string, read: (p: string, v: unknown) => T | undefined, def: T): T | undefined => {
    const v = r.get(path, o, key)
    return v === undefined ? def : read(at(path, key), v)
  }
  const stages = opt('stages', (p, v) => r.oneOf(p, v, ['s1', 's2', 'nested'] as const), d.stages)
  const oas = opt('oas', (p, v) => r.oneOf(p, v, OAS_VALUES), d.oas)
  const granules = opt('granules', (p, v) => readGranules(r, p, v), d.granules)
  const sidBits = opt('sidBits', (p, v) => r.number(p, v, 0, 32, 'IDR1.SIDSIZE'), d.sidBits)
  const ssidBits = opt('ssidBits', (p, v) => r.number(p, v, 0, 20, 'IDR1.SSIDSIZE'), d.ssidBits)
  const strtab = opt('strtab', (p, v) => r.oneOf(p, v, ['linear', '2level'] as const), d.strtab)
  const ril = opt('ril', (p, v) => r.bool(p, v), d.ril)
  const ats = opt('ats', (p, v) => r.bool(p, v), d.ats)
  const msi = opt('msi', (p, v) => r.bool(p, v), d.msi)
  const coherent = opt('coherent', (p, v) => r.bool(p, v), d.coherent)
  const cmdqLog2 = opt('cmdqLog2', (p, v) => r.number(p, v, 0, 19, 'IDR1.CMDQS is at most 19'), d.cmdqLog2)
  const evtqLog2 = opt('evtqLog2', (p, v) => r.number(p, v, 0, 19, 'IDR1.EVENTQS is at most 19'), d.evtqLog2)
  const iidr = opt('iidr', (p, v) => readIidr(r, p, v), d.iidr)
  const tlb = opt('tlb', (p, v) => readTlb(r, p, v), d.tlb)
  if (
    stages === undefined || oas === undefined || granules === undefined || sidBits === undefined ||
    ssidBits === undefined || strtab === undefined || ril === undefined || ats === undefined ||
    msi === undefined || coherent === undefined || cmdqLog2 === undefined || evtqLog2 === undefined ||
    iidr === undefined || tlb === undefined
  ) return undefined
  return { stages, oas, granules, sidBits, ssidBits, strtab, ril, ats, msi, coherent, cmdqLog2, evtqLog2, iidr, tlb }
}

function readGranules(r: Reader, path: string, v: unknown): GranuleName[] | undefined {
  const a = r.array(path, v, 3)
  if (!a) return undefined
  if (a.length === 0) {
    r.error(path, 'an SMMU offers at least one translation granule (IDR5.GRAN4K/16K/64K)')
    return undefined
  }
  const out: GranuleName[] = []
  a.forEach((g, i) => {
    const name = r.oneOf(at(path, i), g, GRANULES)
    if (name === undefined) return
    if (out.includes(name)) r.error(at(path, i), `${name} is listed twice`)
    else out.push(name)
  })
  return out.length === a.length ? GRANULES.filter((g) => out.includes(g)) : undefined
}

function readIidr(r: Reader, path: string, v: unknown): SmmuPlatform['iidr'] | undefined {
  const o = r.object(path, v)
  if (!o) return undefined
  const d = DEFAULT_PLATFORM.smmu.iidr
  r.keys(path, o, ['product', 'variant', 'revision'])
  const pv = r.get(path, o, 'product')
  const product = pv === undefined ? d.product : r.oneOf(at(path, 'product'), pv, ['generic', 'mmu-600', 'mmu-700'] as const)
  const vv = r.get(path, o, 'variant')
  const variant = vv === undefined ? d.variant : r.number(at(path, 'variant'), vv, 0, 15, 'IIDR.Variant is 4 bits')
  const rv = r.get(path, o, 'revision')
  const revision = rv === undefined ? d.revision : r.number(at(path, 'revision'), rv, 0, 15, 'IIDR.Revision is 4 bits')
  if (product === undefined || variant === undefined || revision === undefined) return undefined
  return { product, variant, revision }
}

function readTlb(r: Reader, path: string, v: unknown): SmmuPlatform['tlb'] | undefined {
  const o = r.object(path, v)
  if (!o) return undefined
  const d = DEFAULT_PLATFORM.smmu.tlb
  r.keys(path, o, ['model', 'entries'])
  const mv = r.get(path, o, 'model')
  const model = mv === undefined ? d.model : r.oneOf(at(path, 'model'), mv, ['combined', 'split'] as const)
  const ev = r.get(path, o, 'entries')
  const entries = ev === undefined ? d.entries : r.number(at(path, 'entries'), ev, 1, 65536)
  if (model === undefined || entries === undefined) return undefined
  return { model, entries }
}

function readPlatform(r: Reader, o: JsonObject | undefined): Platform | undefined {
  if (!o) return undefined
  const path = 'platform'
  const d = DEFAULT_PLATFORM
  r.keys(path, o, ['smmu', 'ram', 'pageSize', 'hypervisor', 'emulation', 'pkvm', 'qemuCompat', 'devices', 'guests'])
  const sv = r.get(path, o, 'smmu')
  const smmu = sv === undefined ? d.smmu : readSmmu(r, 'platform.smmu', r.object('platform.smmu', sv))
  const pv = r.get(path, o, 'pageSize')
  const pageSize = pv === undefined ? d.pageSize : r.oneOf('platform.pageSize', pv, GRANULES)
  const hv = r.get(path, o, 'hypervisor')
  const hypervisor = hv === undefined ? d.hypervisor : r.oneOf('platform.hypervisor', hv, ['none', 'pkvm'] as const)
  const qv = r.get(path, o, 'qemuCompat')
  const qemuCompat = qv === undefined ? d.qemuCompat : r.bool('platform.qemuCompat', qv)

  const ev = r.get(path, o, 'emulation')
  let emulation = ev === undefined ? undefined : r.oneOf('platform.emulation', ev, ['mmio', 'cmdq', 'ste', 'nested'] as const)
  if (ev !== undefined && hypervisor === 'none') {
    r.error('platform.emulation', 'emulation is what pKVM traps and emulates; it needs "hypervisor": "pkvm"')
  }
  if (hypervisor === 'pkvm' && ev === undefined) emulation = DEFAULT_EMULATION

  const kv = r.get(path, o, 'pkvm')
  let pkvm: Platform['pkvm'] | undefined = d.pkvm
  if (kv !== undefined) {
    if (hypervisor === 'none') r.error('platform.pkvm', 'pKVM options need "hypervisor": "pkvm"')
    pkvm = readPkvm(r, 'platform.pkvm', kv)
  }

  const ram = readRam(r, r.get(path, o, 'ram'), smmu)
  const devices = readDevices(r, r.get(path, o, 'devices'), smmu)
  const guests = readGuests(r, r.get(path, o, 'guests'), hypervisor, pageSize, ram)

  if (
    !smmu || pageSize === undefined || hypervisor === undefined || qemuCompat === undefined ||
    !pkvm || !ram || !devices || !guests || (ev !== undefined && emulation === undefined)
  ) return undefined

  if (hypervisor === 'pkvm') {
    // SPEC-FACTS B§8: the hypervisor hides S2P from the host and attaches its
    // own stage 2 to every STE (bypass → S2, S1 → nested): it needs both stages.
    if (smmu.stages !== 'nested') {
      r.error('platform.smmu.stages', `pKVM needs an SMMU with both stages ("nested"), not ${quote(smmu.stages)}: it attaches its own stage 2 to every STE`)
    }
    if (!smmu.coherent) r.error('platform.smmu.coherent', 'pKVM supports coherent SMMUs only (IDR0.COHACC)')
    // B§8 boot: the identity map's page sizes must include PAGE_SIZE.
    if (!smmu.granules.includes(pageSize)) {
      r.error('platform.pageSize', `pKVM maps the identity stage 2 with PAGE_SIZE leaves, but the SMMU does not offer ${pageSize} (platform.smmu.granules: ${smmu.granules.join(', ')})`)
    }
    checkCarveOut(r, ram, GRANULE_SHIFT[pageSize])
  }
  const platform: Platform = { smmu, ram, pageSize, hypervisor, pkvm, qemuCompat, devices, guests }
  return emulation ? { ...platform, emulation } : platform
}

/**
 * The hypervisor's carve-out (its IOMMU page pool, sized as the series sizes
 * it, plus the shadow queue and stream table) must fit in the top half of
 * RAM, which the host keeps for its allocations: otherwise pKVM cannot boot.
 */
function checkCarveOut(r: Reader, ram: Platform['ram'], pageShift: number): void {
  const c = carveOut(ram, pageShift)
  if (c.base > c.hostBase) return
  let size = ram.size
  while (size < 2 ** 44) {
    size += 0x20_0000
    const bigger = carveOut({ base: ram.base, size }, pageShift)
    if (bigger.base > bigger.hostBase) break
  }
  r.error('platform.ram.size', `${sizeName(ram.size)} of RAM cannot hold pKVM's carve-out (${sizeName(c.pages * 2 ** pageShift)}: its IOMMU page pool and shadow structures, in the top half of RAM); give at least ${sizeName(size)}`)
}

function readPkvm(r: Reader, path: string, v: unknown): Platform['pkvm'] | undefined {
  const o = r.object(path, v)
  if (!o) return undefined
  const d = DEFAULT_PLATFORM.pkvm
  r.keys(path, o, ['version', 'onRefused', 'fidelity'])
  const vv = r.get(path, o, 'version')
  const version = vv === undefined ? d.version : r.oneOf(at(path, 'version'), vv, ['v4', 'v6'] as const)
  const ov = r.get(path, o, 'onRefused')
  const onRefused = ov === undefined ? d.onRefused : r.oneOf(at(path, 'onRefused'), ov, ['warn', 'panic'] as const)
  const fv = r.get(path, o, 'fidelity')
  const fidelity = fv === undefined ? d.fidelity : r.oneOf(at(path, 'fidelity'), fv, ['series', 'architectural'] as const)
  if (version === undefined || onRefused === undefined || fidelity === undefined) return undefined
  return { version, onRefused, fidelity }
}

function readRam(r: Reader, v: unknown, smmu: SmmuPlatform | undefined): Platform['ram'] | undefined {
  const d = DEFAULT_PLATFORM.ram
  const path = 'platform.ram'
  let base = d.base
  let size = d.size
  if (v !== undefined) {
    const o = r.object(path, v)
    if (!o) return undefined
    r.keys(path, o, ['base', 'size'])
    const bv = r.get(path, o, 'base')
    const sv = r.get(path, o, 'size')
    const b = bv === undefined ? base : r.number('platform.ram.base', bv)
    const s = sv === undefined ? size : r.number('platform.ram.size', sv)
    if (b === undefined || s === undefined) return undefined
    base = b
    size = s
  }
  let ok = true
  const K64 = 0x1_0000
  if (base % K64) {
    r.error('platform.ram.base', `${hexGroups(base)} is not aligned to 64K (the largest granule)`)
    ok = false
  }
  if (size === 0 || size % K64) {
    r.error('platform.ram.size', `${sizeName(size)} is not a non-zero multiple of 64K`)
    ok = false
  }
  if (base + size > 2 ** 52) {
    r.error(path, `RAM ends at ${hexGroups(base + size)}, beyond the 52-bit physical address space`)
    ok = false
  } else if (smmu && base + size > 2 ** smmu.oas) {
    r.error(path, `RAM ends at ${hexGroups(base + size)}, above the SMMU's ${smmu.oas}-bit output address size (platform.smmu.oas): it could not reach its own tables`)
    ok = false
  }
  return ok ? { base, size } : undefined
}

function readDevices(r: Reader, v: unknown, smmu: SmmuPlatform | undefined): Device[] | undefined {
  if (v === undefined) return []
  const path = 'platform.devices'
  const a = r.array(path, v, MAX_DEVICES)
  if (!a) return undefined
  const out: Device[] = []
  const seen = new Map<string, number>()
  for (let i = 0; i < a.length && !r.full; i++) {
    const p = at(path, i)
    const o = r.object(p, a[i])
    if (!o) continue
    r.keys(p, o, ['name', 'sid', 'ssids'])
    const nv = r.get(p, o, 'name')
    const name = nv === undefined ? (r.error(at(p, 'name'), 'missing: every device has a name'), undefined) : r.string(at(p, 'name'), nv, 64, NAME, NAME_WHAT)
    const sv = r.get(p, o, 'sid')
    let sid = sv === undefined ? (r.error(at(p, 'sid'), 'missing: every device has a StreamID'), undefined) : r.number(at(p, 'sid'), sv, 0, 2 ** 32 - 1)
    if (sid !== undefined && smmu && sid >= 2 ** smmu.sidBits) {
      r.error(at(p, 'sid'), `${sid} is not below 2^${smmu.sidBits} (platform.smmu.sidBits = ${smmu.sidBits})`)
      sid = undefined
    }
    const qv = r.get(p, o, 'ssids')
    let ssids: number | undefined
    if (qv !== undefined) {
      ssids = r.number(at(p, 'ssids'), qv, 1, 2 ** 20)
      if (ssids !== undefined && smmu && ssids > 2 ** smmu.ssidBits) {
        r.error(at(p, 'ssids'), smmu.ssidBits === 0
          ? 'the SMMU has no substreams (platform.smmu.ssidBits = 0)'
          : `${ssids} substreams do not fit ${smmu.ssidBits} SSID bits (platform.smmu.ssidBits)`)
        ssids = undefined
      }
      if (ssids === undefined) continue
    }
    if (name === undefined || sid === undefined) continue
    const prev = seen.get(name)
    if (prev !== undefined) {
      r.error(at(p, 'name'), `${quote(name)} is already the name of platform.devices[${prev}]`)
      continue
    }
    seen.set(name, i)
    out.push(ssids === undefined ? { name, sid } : { name, sid, ssids })
  }
  return out.length === a.length ? out : undefined
}

function readGuests(
  r: Reader, v: unknown, hypervisor: Platform['hypervisor'] | undefined,
  pageSize: GranuleName | undefined, ram: Platform['ram'] | undefined,
): Guest[] | undefined {
  if (v === undefined) return []
  const path = 'platform.guests'
  const a = r.array(path, v, MAX_GUESTS)
  if (!a) return undefined
  if (a.length && hypervisor === 'none') {
    r.error(path, 'guests run under pKVM; they need "hypervisor": "pkvm"')
    return undefined
  }
  const out: Guest[] = []
  const seen = new Map<string, number>()
  let total = 0
  for (let i = 0; i < a.length && !r.full; i++) {
    const p = at(path, i)
    const o = r.object(p, a[i])
    if (!o) continue
    r.keys(p, o, ['name', 'memory'])
    const nv = r.get(p, o, 'name')
    let name = nv === undefined ? (r.error(at(p, 'name'), 'missing: every guest has a name'), undefined) : r.string(at(p, 'name'), nv, 64, NAME, NAME_WHAT)
    if (name === 'hyp' || name === 'host') {
      r.error(at(p, 'name'), `${quote(name)} names the ${name === 'hyp' ? 'hypervisor' : 'host'}, not a guest`)
      name = undefined
    }
    const mv = r.get(p, o, 'memory')
    let memory = mv === undefined ? (r.error(at(p, 'memory'), 'missing: how much memory the guest has'), undefined) : r.number(at(p, 'memory'), mv, 1)
    if (memory !== undefined && pageSize && memory % 2 ** GRANULE_SHIFT[pageSize]) {
      r.error(at(p, 'memory'), `${hexGroups(memory)} is not a multiple of the ${pageSize} page size`)
      memory = undefined
    }
    if (name === undefined || memory === undefined) continue
    const prev = seen.get(name)
    if (prev !== undefined) {
      r.error(at(p, 'name'), `${quote(name)} is already the name of platform.guests[${prev}]`)
      continue
    }
    seen.set(name, i)
    total += memory
    out.push({ name, memory })
  }
  if (ram && total > ram.size) r.error(path, `the guests need ${sizeName(total)} but RAM is ${sizeName(ram.size)}`)
  return out.length === a.length ? out : undefined
}

/* ------------------------------------------------------------------- steps */

function readSteps(r: Reader, v: unknown, platform: Platform, hooks: ValidateHooks): Step[] | undefined {
  const a = r.array('steps', v, MAX_STEPS)
  if (!a) return undefined
  const state: StepState = {
    platform,
    hooks,
    booted: -1,
    dmaSeen: false,
    attached: new Map(),
    domains: new Map(),
    devices: new Map(platform.devices.map((d) => [d.name, d])),
    guests: new Map(platform.guests.map((g) => [g.name, g])),
  }
  const out: Step[] = []
  for (let i = 0; i < a.length && !r.full; i++) {
    const s = validateStep(r, i, a[i], state)
    if (s) out.push(s)
  }
  return out.length === a.length ? out : undefined
}
