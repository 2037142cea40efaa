import fc from 'fast-check'
import { describe, expect, test } from 'vitest'
import { DEFAULT_PLATFORM, type Scenario } from './format'
import { formatErrors, MAX_ERRORS, validateScenario, type ValidateHooks, type ValidationError } from './validate'

/* A small valid scenario; each test breaks one thing in it. */
type J = Record<string, unknown>
const base = (over: J = {}, platform: J = {}, steps: unknown[] = []): J => ({
  smmuscope: 1,
  title: 'test',
  platform: { devices: [{ name: 'nic', sid: 16 }, { name: 'gpu', sid: 17, ssids: 4 }], smmu: { ssidBits: 4 }, ...platform },
  steps,
  ...over,
})
const pkvm = (extra: J = {}): J => ({ hypervisor: 'pkvm', guests: [{ name: 'vm1', memory: '16M' }], ...extra })

function ok(json: unknown, hooks?: ValidateHooks): Scenario {
  const r = validateScenario(json, hooks)
  if (!r.ok) throw new Error(formatErrors(r.errors))
  return r.scenario
}
function errors(json: unknown, hooks?: ValidateHooks): ValidationError[] {
  const r = validateScenario(json, hooks)
  if (r.ok) throw new Error('accepted')
  return [...r.errors]
}
/** The one error at `path`, whose message must match. */
function expectError(json: unknown, path: string, message: RegExp | string, hooks?: ValidateHooks): void {
  const errs = errors(json, hooks)
  const at = errs.filter((e) => e.path === path)
  if (at.length === 0) throw new Error(`no error at ${path}; got:\n${formatErrors(errs)}`)
  if (typeof message === 'string') expect(at.map((e) => e.message)).toContain(message)
  else expect(at.some((e) => message.test(e.message)), `${path}: ${at.map((e) => e.message).join(' | ')}`).toBe(true)
}

describe('a valid scenario is normalised', () => {
  test('defaults fill the platform', () => {
    const s = ok({ smmuscope: 1, steps: [] })
    expect(s).toEqual({ smmuscope: 1, title: '', notes: '', platform: DEFAULT_PLATFORM, steps: [] })
    // The default SMMU has both stages (see DEFAULT_PLATFORM): QEMU virt 9.2+, IDR0 0x0D44101B.
    expect(s.platform.smmu.stages).toBe('nested')
    expect(s.platform.emulation).toBeUndefined()
  })

  test('pkvm gets the full series as its default emulation level', () => {
    const s = ok(base({}, pkvm()))
    expect(s.platform.emulation).toBe('nested')
    expect(s.platform.pkvm).toEqual({ version: 'v6', onRefused: 'warn', fidelity: 'architectural' })
  })

  test('numbers: addresses as numbers, 64-bit values as bigints', () => {
    const s = ok(base({}, pkvm(), [
      { op: 'boot' },
      { op: 'attach', device: 'nic', domain: { type: 's1', asid: 1 } },
      { op: 'map', device: 'nic', iova: '0x1_0000', pa: '0x4001_0000', size: '8K', prot: 'rw' },
      { op: 'mmio', access: 'write', reg: 'CMDQ_PROD', value: '0xffff_ffff_ffff_ffff', size: 8 },
      { op: 'write', pa: '0x4000_0000', value: '0x8000_0000_0000_0009', size: 8 },
      { op: 'cmd', opcode: 'TLBI_NH_VA', ASID: 1, VMID: 0, Address: '0x1_0000', TG: 1, TTL: 3, Leaf: true },
      { op: 'cmd', raw: ['0x12', '0xffff_ffff_ffff_f000'], noProd: true },
      { op: 'dma', device: 'nic', iova: '0xffff_0000_0000_1000', size: 4, access: 'read' },
      { op: 'donate', pa: '0x4100_0000', size: '4K', to: 'vm1' },
      { op: 'expect', reg: 'CR0', field: 'SMMUEN', value: 1 },
    ]))
    expect(s.steps[2]).toEqual({ op: 'map', device: 'nic', iova: 0x1_0000, pa: 0x4001_0000, size: 0x2000, prot: 'rw' })
    expect(s.steps[3]).toEqual({ op: 'mmio', access: 'write', reg: 'CMDQ_PROD', value: 0xffff_ffff_ffff_ffffn, size: 8 })
    expect(s.steps[4]).toEqual({ op: 'write', pa: 0x4000_0000, value: 0x8000_0000_0000_0009n, size: 8 })
    expect(s.steps[5]).toEqual({
      op: 'cmd', noProd: false,
      command: { opcode: 'TLBI_NH_VA', fields: { ASID: 1, VMID: 0, Address: 0x1_0000n, TG: 1, TTL: 3, Leaf: 1 } },
    })
    expect(s.steps[6]).toEqual({ op: 'cmd', noProd: true, command: { raw: [0x12n, 0xffff_ffff_ffff_f000n] } })
    // A TT1 IOVA does not fit 53 bits: it stays a bigint.
    expect(s.steps[7]).toMatchObject({ op: 'dma', iova: 0xffff_0000_0000_1000n })
    expect(s.steps[9]).toEqual({ op: 'expect', reg: 'CR0', field: 'SMMUEN', value: 1n })
  })

  test('a domain defaults to PAGE_SIZE granule and Linux input sizes', () => {
    const s = ok(base({}, { pageSize: '16K' }, [
      { op: 'boot' },
      { op: 'attach', device: 'nic', domain: { type: 's1' } },
      { op: 'attach', device: 'gpu', domain: { type: 's2', vmid: 2 } },
    ]))
    expect(s.steps[1]).toEqual({ op: 'attach', device: 'nic', domain: { type: 's1', ias: 48, granule: '16K' } })
    // S2 domain: ias = the SMMU's OAS (44 by default), B§6.
    expect(s.steps[2]).toEqual({ op: 'attach', device: 'gpu', domain: { type: 's2', vmid: 2, ias: 44, granule: '16K' } })
  })

  test('notes on steps are kept', () => {
    const s = ok(base({}, {}, [{ op: 'boot', note: 'probe the SMMU' }]))
    expect(s.steps[0]).toEqual({ op: 'boot', note: 'probe the SMMU' })
  })
})

describe('format version', () => {
  test('missing', () => expectError({ steps: [] }, 'smmuscope', /missing/))
  test('newer', () => expectError({ smmuscope: 2, steps: [] }, 'smmuscope', 'made by a newer smmuscope (format 2); this one reads format 1'))
  test('not a number', () => expectError({ smmuscope: '1', steps: [] }, 'smmuscope', /not a format version/))
  test('not an object at all', () => expectError([], '', /JSON object/))
})

describe('unknown keys, wrong types, out of range', () => {
  test('unknown keys everywhere, with a suggestion', () => {
    expectError(base({ titel: 'x' }), 'titel', 'unknown key "titel" (did you mean "title"?)')
    expectError(base({}, { hypervsior: 'pkvm' }), 'platform.hypervsior', /did you mean "hypervisor"/)
    expectError(base({}, { smmu: { ssidBits: 4, OAS: 44 } }), 'platform.smmu.OAS', /did you mean "oas"/)
    expectError(base({}, {}, [{ op: 'boot', device: 'nic' }]), 'steps[0].device', /unknown key "device"/)
    expectError(base({}, {}, [{ op: 'dma', device: 'nic', iova: 0, size: 4, access: 'read', sid: 3 }]), 'steps[0].sid', /unknown key/)
  })
  test('wrong types', () => {
    expectError(base({ title: 5 }), 'title', 'expected a string, got a number')
    expectError(base({}, { smmu: { ril: 'yes' } }), 'platform.smmu.ril', 'expected true or false, got a string')
    expectError(base({ steps: {} }), 'steps', 'expected an array, got an object')
    expectError(base({}, {}, [42]), 'steps[0]', /expected a step/)
    expectError(base({}, { qemuCompat: null }), 'platform.qemuCompat', /null is not a value/)
  })
  test('enumerations', () => {
    // IDR5.OAS encodes 32/36/40/42/44/48/52 only (IHI 0070 6.3.6).
    expectError(base({}, { smmu: { oas: 45 } }), 'platform.smmu.oas', '45 is not one of 32, 36, 40, 42, 44, 48, 52')
    expectError(base({}, { smmu: { stages: 'both' } }), 'platform.smmu.stages', /is not one of "s1", "s2", "nested"/)
    expectError(base({}, { smmu: { granules: ['4K', '8K'] } }), 'platform.smmu.granules[1]', /"8K" is not one of/)
    expectError(base({}, { smmu: { granules: [] } }), 'platform.smmu.granules', /at least one/)
    expectError(base({}, { smmu: { granules: ['4K', '4K'] } }), 'platform.smmu.granules[1]', /listed twice/)
    expectError(base({}, {}, [{ op: 'bot' }]), 'steps[0].op', 'unknown op "bot" (did you mean "boot"?)')
  })
  test('ranges', () => {
    expectError(base({}, { smmu: { sidBits: 33 } }), 'platform.smmu.sidBits', /33 is out of range 0\.\.32/)
    expectError(base({}, { smmu: { cmdqLog2: 20 } }), 'platform.smmu.cmdqLog2', /IDR1\.CMDQS is at most 19/)
    expectError(base({}, { smmu: { tlb: { entries: 0 } } }), 'platform.smmu.tlb.entries', /out of range 1\.\.65536/)
    expectError(base({}, { smmu: { iidr: { product: 'mmu-700', variant: 16 } } }), 'platform.smmu.iidr.variant', /4 bits/)
    expectError(base({}, {}, [{ op: 'boot' }, { op: 'attach', device: 'nic', domain: { type: 's1', asid: 0x1_0000 } }]), 'steps[1].domain.asid', /16 bits/)
    expectError(base({}, {}, [{ op: 'write', pa: 0x4000_0000, value: 0x100, size: 1 }]), 'steps[0].value', '0x100 does not fit 8 bits')
  })
})

describe('platform combinations', () => {
  test('a StreamID must fit SIDSIZE', () => {
    expectError(base({}, { smmu: { sidBits: 4 }, devices: [{ name: 'nic', sid: 16 }] }), 'platform.devices[0].sid', '16 is not below 2^4 (platform.smmu.sidBits = 4)')
  })
  test('substreams need SSID bits', () => {
    expectError(base({}, { smmu: { ssidBits: 0 } }), 'platform.devices[1].ssids', /no substreams/)
  })
  test('device names are unique', () => {
    expectError(base({}, { devices: [{ name: 'nic', sid: 1 }, { name: 'nic', sid: 2 }] }), 'platform.devices[1].name', /already the name of platform.devices\[0\]/)
  })
  test('RAM is 64K aligned, within 52 bits and below the OAS', () => {
    expectError(base({}, { ram: { base: '0x4000_1000', size: '1G' } }), 'platform.ram.base', '0x4000_1000 is not aligned to 64K (the largest granule)')
    expectError(base({}, { ram: { base: '1G', size: '4K' } }), 'platform.ram.size', /not a non-zero multiple of 64K/)
    expectError(base({}, { smmu: { oas: 52 }, ram: { base: '0xf_ffff_ffff_0000', size: '1M' } }), 'platform.ram', /beyond the 52-bit/)
    expectError(base({}, { smmu: { oas: 32 }, ram: { base: '0xffff_0000', size: '1M' } }), 'platform.ram', /above the SMMU's 32-bit output address size/)
  })
  test('emulation and pKVM options need pKVM', () => {
    expectError(base({}, { emulation: 'cmdq' }), 'platform.emulation', /needs "hypervisor": "pkvm"/)
    expectError(base({}, { pkvm: { version: 'v4' } }), 'platform.pkvm', /need "hypervisor": "pkvm"/)
    expectError(base({}, { guests: [{ name: 'vm', memory: '4K' }] }), 'platform.guests', /need "hypervisor": "pkvm"/)
  })
  test('pKVM needs both stages, coherency and PAGE_SIZE among the granules', () => {
    expectError(base({}, pkvm({ smmu: { ssidBits: 4, stages: 's1' } })), 'platform.smmu.stages', /both stages/)
    expectError(base({}, pkvm({ smmu: { ssidBits: 4, coherent: false } })), 'platform.smmu.coherent', /coherent SMMUs only/)
    expectError(base({}, pkvm({ pageSize: '16K', smmu: { ssidBits: 4, granules: ['4K', '64K'] } })), 'platform.pageSize', /does not offer 16K/)
  })
  test('pKVM refuses RAM too small for its carve-out, naming the size that would do', () => {
    // 4K pages, 8 MiB of RAM at 1 GiB. host_s2_pgtable_pages: 2048 RAM pages
    // need 4+1+1+1 table pages, 16 for the PGDs, 1 GiB of MMIO 512+1+1+1:
    // 538; the pool adds 500 (1038), the shadow queue and stream table 24:
    // 1062 pages, 4.15 MiB. Below the top (+8 MiB), 2 MiB aligned: +2 MiB,
    // inside the host's half (from +4 MiB). 12 MiB leaves the host nothing
    // (carve-out at +6 MiB, host from +6 MiB); 14 MiB is the first that fits
    // (carve-out at +8 MiB, host from +7 MiB).
    const ram = (size: number) => ({ hypervisor: 'pkvm', ram: { base: 0x4000_0000, size } })
    expectError(base({}, ram(8 * 2 ** 20)), 'platform.ram.size', '8M of RAM cannot hold pKVM\'s carve-out (6M: its IOMMU page pool and shadow structures, in the top half of RAM); give at least 14M')
    expectError(base({}, ram(12 * 2 ** 20)), 'platform.ram.size', /give at least 14M/)
    expect(ok(base({}, ram(14 * 2 ** 20))).platform.ram.size).toBe(14 * 2 ** 20)
  })
  test('guests: names, memory', () => {
    expectError(base({}, pkvm({ guests: [{ name: 'hyp', memory: '4K' }] })), 'platform.guests[0].name', /names the hypervisor/)
    expectError(base({}, pkvm({ guests: [{ name: 'vm', memory: '0x1800' }] })), 'platform.guests[0].memory', /not a multiple of the 4K page size/)
    expectError(base({}, pkvm({ guests: [{ name: 'vm', memory: '1G' }] })), 'platform.guests', 'the guests need 1G but RAM is 128M')
  })
})

describe('steps', () => {
  const booted = (...steps: unknown[]): unknown[] => [{ op: 'boot' }, { op: 'attach', device: 'nic', domain: { type: 's1', asid: 1 } }, ...steps]

  test('the contract example: an IOVA off the granule', () => {
    const errs = errors(base({}, {}, booted({ op: 'map', device: 'nic', iova: '0x1000', pa: '1G', size: '4K', prot: 'rw' }, { op: 'map', device: 'nic', iova: '0x1003', pa: '1G', size: '4K', prot: 'rw' })))
    expect(formatErrors(errs)).toBe('steps[3].iova: 0x1003 is not aligned to the 4K granule')
  })
  test('alignment follows the domain granule', () => {
    const s = booted({ op: 'attach', device: 'gpu', domain: { type: 's1', granule: '64K' } }, { op: 'map', device: 'gpu', iova: '0x1_0000', pa: '0x4000_1000', size: '64K', prot: 'r' })
    expectError(base({}, {}, s), 'steps[3].pa', '0x4000_1000 is not aligned to the 64K granule')
    expectError(base({}, {}, booted({ op: 'unmap', device: 'nic', iova: 0, size: '6K' })), 'steps[2].size', /6K is not a non-zero multiple of the 4K granule/)
  })
  test('ranges of map', () => {
    expectError(base({}, {}, booted({ op: 'map', device: 'nic', iova: '0xffff_ffff_f000', pa: '1G', size: '8K', prot: 'rw' })), 'steps[2].iova', /beyond the domain's 48-bit input range/)
    expectError(base({}, {}, booted({ op: 'map', device: 'nic', iova: 0, pa: '0xfff_ffff_f000', size: '8K', prot: 'rw' })), 'steps[2].pa', /beyond the SMMU's 44-bit output/)
    expectError(base({}, {}, booted({ op: 'map', device: 'nic', iova: 0, pa: '1G', size: '4K', prot: 'x' })), 'steps[2].prot', /is not one of "r", "w", "rw"/)
  })
  test('granule not offered by the platform', () => {
    expectError(base({}, { smmu: { ssidBits: 4, granules: ['4K', '64K'] } }, [{ op: 'boot' }, { op: 'attach', device: 'nic', domain: { type: 's1', granule: '16K' } }]),
      'steps[1].domain.granule', 'the SMMU does not offer the 16K granule (platform.smmu.granules: 4K, 64K)')
  })
  test('domain fields must fit the type and the SMMU', () => {
    expectError(base({}, {}, [{ op: 'boot' }, { op: 'attach', device: 'nic', domain: { type: 's2', asid: 1 } }]), 'steps[1].domain.asid', /stage-1/)
    expectError(base({}, {}, [{ op: 'boot' }, { op: 'attach', device: 'nic', domain: { type: 'bypass', ias: 48 } }]), 'steps[1].domain.ias', /no page table/)
    expectError(base({}, { smmu: { ssidBits: 4, stages: 's1' } }, [{ op: 'boot' }, { op: 'attach', device: 'nic', domain: { type: 's2' } }]), 'steps[1].domain.type', /stage 1 only/)
    expectError(base({}, pkvm(), [{ op: 'boot' }, { op: 'attach', device: 'nic', domain: { type: 's2' } }]), 'steps[1].domain.type', /IDR0\.S2P/)
    expectError(base({}, {}, [{ op: 'boot' }, { op: 'attach', device: 'nic', domain: { type: 's1', ias: 52 } }]), 'steps[1].domain.ias', /64K granule \(FEAT_LPA\)/)
  })
  test('named domains must be reused consistently and exist before use', () => {
    const steps = [{ op: 'boot' }, { op: 'attach', device: 'nic', domain: { type: 's1', name: 'd', asid: 1 } }, { op: 'attach', device: 'gpu', domain: { type: 's1', name: 'd', asid: 2 } }]
    expectError(base({}, {}, steps), 'steps[2].domain.name', /declared differently at steps\[1\]\.domain/)
    expectError(base({}, {}, booted({ op: 'map', domain: 'e', iova: 0, pa: '1G', size: '4K', prot: 'r' })), 'steps[2].domain', /no domain named "e"/)
    const s = ok(base({}, {}, [steps[0], steps[1], { op: 'map', domain: 'd', iova: 0, pa: '1G', size: '4K', prot: 'r' }]))
    expect(s.steps[2]).toEqual({ op: 'map', domain: 'd', iova: 0, pa: 0x4000_0000, size: 0x1000, prot: 'r' })
  })
  test('map needs an attached paging domain, and device xor domain', () => {
    expectError(base({}, {}, [{ op: 'boot' }, { op: 'map', device: 'gpu', iova: 0, pa: '1G', size: '4K', prot: 'r' }]), 'steps[1].device', /not attached to a domain yet/)
    expectError(base({}, {}, [{ op: 'boot' }, { op: 'attach', device: 'nic', domain: { type: 'bypass' } }, { op: 'map', device: 'nic', iova: 0, pa: '1G', size: '4K', prot: 'r' }]), 'steps[2].device', /bypass domain has no page table/)
    expectError(base({}, {}, booted({ op: 'unmap', device: 'nic', domain: 'x', iova: 0, size: '4K' })), 'steps[2]', /not both/)
  })
  test('driver operations need a boot first, and boot happens once', () => {
    expectError(base({}, {}, [{ op: 'attach', device: 'nic', domain: { type: 'abort' } }]), 'steps[0].op', /put a \{ "op": "boot" \} step before it/)
    expectError(base({}, {}, [{ op: 'unmap', device: 'nic', iova: 0, size: '4K' }]), 'steps[0].op', /not probed yet/)
    // cmd/cmds are raw-level: they work on a queue programmed by hand.
    expect(ok(base({}, {}, [{ op: 'cmd', opcode: 'SYNC' }])).steps).toEqual([{ op: 'cmd', noProd: false, command: { opcode: 'SYNC', fields: {} } }])
    expectError(base({}, {}, [{ op: 'boot' }, { op: 'boot' }]), 'steps[1].op', /already probed at steps\[0\]/)
  })
  test('device and guest names in steps must exist', () => {
    expectError(base({}, {}, [{ op: 'dma', device: 'nci', iova: 0, size: 4, access: 'read' }]), 'steps[0].device', 'no device named "nci" (did you mean "nic"?)')
    expectError(base({}, pkvm(), [{ op: 'guestMap', guest: 'vm2', ipa: 0, pa: '1G', prot: 'rw' }]), 'steps[0].guest', /no guest named "vm2" \(did you mean "vm1"\?\)/)
    expectError(base({}, pkvm(), [{ op: 'donate', pa: '1G', size: '4K', to: 'vm9' }]), 'steps[0].to', /neither "hyp" nor a guest/)
  })
  test('hypervisor "none" has no hypercalls', () => {
    for (const step of [
      { op: 'donate', pa: '1G', size: '4K', to: 'hyp' },
      { op: 'share', pa: '1G', size: '4K', with: 'hyp' },
      { op: 'unshare', pa: '1G', size: '4K', with: 'hyp' },
      { op: 'guestUnmap', guest: 'vm1', ipa: 0 },
    ]) expectError(base({}, {}, [step]), 'steps[0].op', /pKVM hypercall/)
  })
  test('ownership operations: whole pages of RAM', () => {
    expectError(base({}, pkvm(), [{ op: 'share', pa: '0x4000_0800', size: '4K', with: 'hyp' }]), 'steps[0].pa', '0x4000_0800 is not aligned to the 4K page size')
    expectError(base({}, pkvm(), [{ op: 'donate', pa: '0x1000', size: '4K', to: 'hyp' }]), 'steps[0].pa', /outside RAM \[0x4000_0000, 0x4800_0000\)/)
    expectError(base({}, pkvm(), [{ op: 'share', pa: '1G', size: '4K', with: 'vm1' }]), 'steps[0].with', /is not one of "hyp"/)
  })
  test('dma: substreams and ranges', () => {
    expectError(base({}, {}, [{ op: 'dma', device: 'nic', ssid: 1, iova: 0, size: 4, access: 'read' }]), 'steps[0].ssid', /issues no SubstreamID/)
    expectError(base({}, {}, [{ op: 'dma', device: 'gpu', ssid: 4, iova: 0, size: 4, access: 'read' }]), 'steps[0].ssid', /not below "gpu"'s 4 substreams/)
    expectError(base({}, {}, [{ op: 'dma', device: 'nic', iova: '0xffff_ffff_ffff_fffc', size: 8, access: 'write' }]), 'steps[0].size', /past the top/)
    expectError(base({}, {}, [{ op: 'dma', device: 'nic', iova: 0, size: 4, access: 'rw' }]), 'steps[0].access', /not one of "read", "write"/)
  })
  test('mmio: register names, offsets, values', () => {
    const hooks: ValidateHooks = { isRegister: (n) => ['CR0', 'CMDQ_PROD'].includes(n) }
    expectError(base({}, {}, [{ op: 'mmio', access: 'read', reg: 'CR9' }]), 'steps[0].reg', /"CR9" is not an SMMU register name/, hooks)
    expectError(base({}, {}, [{ op: 'mmio', access: 'read', reg: 'cr0' }]), 'steps[0].reg', /not an SMMU register name/)
    expectError(base({}, {}, [{ op: 'mmio', access: 'read', reg: 'SMMU_CR0' }]), 'steps[0].reg', 'write the register name without the SMMU_ prefix: "CR0"')
    expectError(base({}, {}, [{ op: 'mmio', access: 'read', reg: '0x20000' }]), 'steps[0].reg', /MMIO window is 0x20000 bytes/)
    expectError(base({}, {}, [{ op: 'mmio', access: 'read', reg: '0x9c', size: 8 }]), 'steps[0].reg', /0x9c is not aligned to the 8-byte access/)
    expectError(base({}, {}, [{ op: 'mmio', access: 'read', reg: 'CR0', value: 1 }]), 'steps[0].value', /a read takes no value/)
    expectError(base({}, {}, [{ op: 'mmio', access: 'write', reg: 'CR0' }]), 'steps[0].value', /missing/)
    expectError(base({}, {}, [{ op: 'mmio', access: 'write', reg: 'CR0', value: '0x1_0000_0000', size: 4 }]), 'steps[0].value', /does not fit 32 bits/)
    const s = ok(base({}, {}, [{ op: 'mmio', access: 'read', reg: '0x10098' }, { op: 'mmio', access: 'write', reg: 'CR0', value: 1 }]), hooks)
    expect(s.steps).toEqual([{ op: 'mmio', access: 'read', reg: 0x10098 }, { op: 'mmio', access: 'write', reg: 'CR0', value: 1n }])
  })
  test('cmd and cmds: shape, and the command hook', () => {
    const booted1 = (...s: unknown[]): unknown[] => [{ op: 'boot' }, ...s]
    expectError(base({}, {}, booted1({ op: 'cmd', opcode: 'SYNC', raw: [0, 0] })), 'steps[1]', /not both/)
    expectError(base({}, {}, booted1({ op: 'cmd', raw: [0] })), 'steps[1].raw', /two 64-bit words/)
    expectError(base({}, {}, booted1({ op: 'cmd', raw: [0, 0], ASID: 1 })), 'steps[1].ASID', /unknown key/)
    expectError(base({}, {}, booted1({ op: 'cmd', opcode: 'tlbi' })), 'steps[1].opcode', /not an opcode name/)
    expectError(base({}, {}, booted1({ op: 'cmd', opcode: 'CFGI_STE', SID: '0x1g' })), 'steps[1].SID', /"0x1g" is not a number/)
    expectError(base({}, {}, booted1({ op: 'cmds', cmds: [] })), 'steps[1].cmds', /empty/)
    expectError(base({}, {}, booted1({ op: 'cmds', cmds: [{ opcode: 'SYNC' }, { raw: [1, 2, 3] }] })), 'steps[1].cmds[1].raw', /at most 2/)
    const checkCommand = (op: string, f: Readonly<Record<string, unknown>>): string | null =>
      op === 'TLBI_NH_VA' && 'Foo' in f ? 'TLBI_NH_VA has no field Foo; its fields are ASID, VMID, Address, …' : null
    // The hook's message is placed at the field it names first, else at opcode.
    expectError(base({}, {}, booted1({ op: 'cmd', opcode: 'TLBI_NH_VA', ASID: 1, Foo: 1 })), 'steps[1].Foo', /has no field Foo/, { checkCommand })
    expectError(base({}, {}, booted1({ op: 'cmd', opcode: 'TLBI_NH_VX' })), 'steps[1].opcode', /unknown command/, { checkCommand: () => 'unknown command TLBI_NH_VX' })
    const s = ok(base({}, {}, booted1({ op: 'cmds', noProd: true, cmds: [{ opcode: 'CFGI_STE', SID: 16, Leaf: 1 }, { opcode: 'SYNC', CS: 'SEV' }] })), { checkCommand })
    expect(s.steps[1]).toEqual({
      op: 'cmds', noProd: true,
      commands: [{ opcode: 'CFGI_STE', fields: { SID: 16, Leaf: 1 } }, { opcode: 'SYNC', fields: { CS: 'SEV' } }],
    })
  })
  test('expect: fields must go together', () => {
    const dma = { op: 'dma', device: 'nic', iova: 0, size: 4, access: 'read' }
    expectError(base({}, {}, [{ op: 'expect' }]), 'steps[0]', /checks something/)
    expectError(base({}, {}, [{ op: 'expect', dma: 'ok' }]), 'steps[0].dma', /no dma step before/)
    expectError(base({}, {}, [dma, { op: 'expect', dma: 'fault', pa: '1G' }]), 'steps[1].pa', /goes with "dma": "ok"/)
    expectError(base({}, {}, [dma, { op: 'expect', dma: 'ok', stage: 2 }]), 'steps[1].stage', /goes with an event or "dma": "fault"/)
    expectError(base({}, {}, [{ op: 'expect', event: 'F_TRANSLATION', field: 'SMMUEN', value: 1 }]), 'steps[0].field', /give reg too/)
    expectError(base({}, {}, [{ op: 'expect', event: 'F_TRANSLATION', value: 1 }]), 'steps[0].value', /give reg too/)
    expectError(base({}, {}, [{ op: 'expect', reg: 'CR0' }]), 'steps[0].value', /missing/)
    expectError(base({}, {}, [{ op: 'expect', event: 'TRANSLATION' }]), 'steps[0].event', /not an event type/)
    expectError(base({}, {}, [{ op: 'expect', reg: 'CR0', field: 'SMMUEM', value: 1 }]), 'steps[0].field', 'CR0 has no field "SMMUEM"', { isField: (r, f) => r === 'CR0' && f === 'SMMUEN' })
    expectError(base({}, {}, [{ op: 'expect', rejected: 'TLBI_NH_ALL' }]), 'steps[0].rejected', /only pKVM rejects commands/)
    const s = ok(base({}, {}, [dma, { op: 'expect', dma: 'fault', event: 'F_TRANSLATION', stage: 1 }]))
    expect(s.steps[1]).toEqual({ op: 'expect', dma: 'fault', event: 'F_TRANSLATION', stage: 1 })
  })
})

describe('error collection', () => {
  test('every error is reported, capped at MAX_ERRORS', () => {
    const steps = Array.from({ length: 500 }, () => ({ op: 'dma', device: 'none', iova: 0, size: 4, access: 'read' }))
    const errs = errors(base({}, {}, steps))
    expect(errs).toHaveLength(MAX_ERRORS)
    expect(errs[0]).toEqual({ path: 'steps[0].device', message: 'no device named "none" (expected one of: nic, gpu)' })
    expect(errs[99].path).toBe('steps[99].device')
  })
  test('independent problems are all reported', () => {
    const errs = errors(base({ extra: 1 }, { smmu: { oas: 45, sidBits: 40 } }, [{ op: 'nope' }]))
    // Steps are checked against the platform, so a broken platform stops there.
    expect(errs.map((e) => e.path)).toEqual(['extra', 'platform.smmu.oas', 'platform.smmu.sidBits'])
    const errs2 = errors(base({}, {}, [{ op: 'nope' }, { op: 'boot', x: 1 }]))
    expect(errs2.map((e) => e.path)).toEqual(['steps[0].op', 'steps[1].x'])
  })
})

describe('never throws', () => {
  test('arbitrary JSON values', () => {
    fc.assert(fc.property(fc.jsonValue(), (v) => {
      const r = validateScenario(v)
      expect(typeof r.ok).toBe('boolean')
    }), { numRuns: 500 })
  })
  test('arbitrary values inside a scenario skeleton', () => {
    const step = fc.record({ op: fc.constantFrom('boot', 'attach', 'map', 'unmap', 'dma', 'donate', 'share', 'unshare', 'guestMap', 'guestUnmap', 'mmio', 'cmd', 'cmds', 'write', 'expect') }, { requiredKeys: [] })
    const arb = fc.record({
      smmuscope: fc.oneof(fc.constant(1), fc.anything()),
      platform: fc.oneof(fc.constant(pkvm()), fc.dictionary(fc.constantFrom('smmu', 'ram', 'devices', 'guests', 'hypervisor', 'pageSize'), fc.anything())),
      steps: fc.array(fc.tuple(step, fc.dictionary(fc.constantFrom('device', 'domain', 'iova', 'pa', 'size', 'prot', 'reg', 'value', 'raw', 'cmds', 'ssid', 'to', 'with', 'guest', 'ipa'), fc.anything())).map(([a, b]) => ({ ...b, ...a }))),
    }, { requiredKeys: [] })
    fc.assert(fc.property(arb, (v) => {
      expect(typeof validateScenario(v).ok).toBe('boolean')
    }), { numRuns: 1000 })
  })
  test('deep nesting (10k levels)', () => {
    // Built as text: JSON.stringify itself recurses too deep for this.
    const deep = '{"a":['.repeat(10_000) + '1' + ']}'.repeat(10_000)
    const parsed: unknown = JSON.parse(`{"smmuscope":1,"steps":[${deep}, {"op":"boot","x":${deep}}],"platform":{"smmu":${deep},"devices":[${deep}]}}`)
    const r = validateScenario(parsed)
    expect(r.ok).toBe(false)
    if (!r.ok) expect(r.errors.map((e) => e.path)).toEqual(['platform.smmu.a', 'platform.devices[0].a', 'platform.devices[0].name', 'platform.devices[0].sid'])
    const steps: unknown = JSON.parse(`{"smmuscope":1,"steps":[${deep}, {"op":"boot","x":${deep}}]}`)
    const r2 = validateScenario(steps)
    expect(r2.ok).toBe(false)
    if (!r2.ok) expect(r2.errors.map((e) => e.path)).toEqual(['steps[0].op', 'steps[1].x'])
    expect(validateScenario(JSON.parse(deep)).ok).toBe(false)
  })
  test('huge arrays are refused by length, quickly', () => {
    const r = validateScenario({ smmuscope: 1, steps: new Array(2_000_000).fill({ op: 'boot' }) })
    expect(r).toEqual({ ok: false, errors: [{ path: 'steps', message: '2000000 entries is too many (at most 100000)' }] })
  })
  test('hostile objects (a throwing getter) become an error', () => {
    const evil = new Proxy({}, { ownKeys: () => { throw new Error('boom') }, get: () => { throw new Error('boom') } })
    const r = validateScenario({ smmuscope: 1, steps: [], platform: evil })
    expect(r.ok).toBe(false)
    if (!r.ok) expect(r.errors.at(-1)?.message).toMatch(/cannot read the scenario: boom/)
  })
})
