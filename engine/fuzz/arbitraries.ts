/**
 * Generators of hostile hosts: a pKVM platform and a random sequence of what
 * a compromised host kernel can do — driver-level attach/map/unmap, raw
 * commands (any opcode, random fields, raw words), register accesses (any
 * register or offset, any value, sizes 1/2/4/8), stores into its own tables
 * (STEs, CDs, page tables, its CMDQ: the top of its allocator's region, just
 * below the hypervisor's carve-out), donations and shares, guest maps — and
 * DMAs from every device at addresses near all of those.
 *
 * Addresses are drawn from "zones" rather than uniformly: the low RAM pages
 * (DMA buffers, donation targets), the top of RAM (the hypervisor's
 * carve-out and, just below it, the host driver's structures), and a few
 * outside RAM. Values mix uniform 64-bit words with ones shaped like what
 * they overwrite (a valid STE word 0 with a chosen Config, an address in one
 * of those zones), so random search reaches the interesting states.
 */
import fc from 'fast-check'
import { OPCODES } from '../arch/commands'
import { REG } from '../arch/registers'

export type Json = Record<string, unknown>

/** RAM of every generated platform: small, so the identity map builds in a few milliseconds. */
export const FUZZ_RAM = { base: 0x4000_0000, size: 0x100_0000 } as const
const PAGE = 0x1000
const DEVICES = ['d0', 'd1', 'd2'] as const
const SIDS = [0, 1, 63] as const
const GUEST = 'g0'

const hex = (n: number | bigint) => `0x${n.toString(16)}`

/** A page-aligned PA in one of the zones. */
export const pagePa: fc.Arbitrary<number> = fc.oneof(
  // The page the prelude maps at IOVA 0 (its IOTLB entry is warm): donating it is the classic attack.
  { weight: 2, arbitrary: fc.constant<number>(FUZZ_RAM.base) },
  { weight: 4, arbitrary: fc.integer({ min: 0, max: 31 }).map((k) => FUZZ_RAM.base + k * PAGE) },
  // The top 6 MiB: the carve-out (pool, shadow CMDQ and stream table) and the host's structures below it.
  { weight: 4, arbitrary: fc.integer({ min: 1, max: 1536 }).map((k) => FUZZ_RAM.base + FUZZ_RAM.size - k * PAGE) },
  { weight: 1, arbitrary: fc.integer({ min: 0, max: FUZZ_RAM.size / PAGE - 1 }).map((k) => FUZZ_RAM.base + k * PAGE) },
)

/** A PA for a DMA target or a raw pointer: a page of a zone plus an offset, or outside RAM. */
const anyPa: fc.Arbitrary<number> = fc.oneof(
  { weight: 8, arbitrary: fc.tuple(pagePa, fc.integer({ min: 0, max: PAGE / 8 - 1 })).map(([p, o]) => p + o * 8) },
  { weight: 1, arbitrary: fc.constantFrom(0, 0x900_0000, FUZZ_RAM.base + FUZZ_RAM.size, 0xffff_f000) },
)

const u64: fc.Arbitrary<bigint> = fc.bigInt({ min: 0n, max: (1n << 64n) - 1n })

/** A 64-bit value shaped like what a hostile host would store. */
export const value64: fc.Arbitrary<bigint> = fc.oneof(
  { weight: 3, arbitrary: u64 },
  { weight: 2, arbitrary: fc.bigInt({ min: 0n, max: 0xffffn }) },
  // STE word 0: V=1 with any Config (IHI 0070 5.2: V bit 0, Config bits [3:1]) and random upper bits.
  { weight: 2, arbitrary: fc.tuple(fc.integer({ min: 0, max: 7 }), fc.bigInt({ min: 0n, max: (1n << 60n) - 1n })).map(([c, hi]) => (hi << 4n) | (BigInt(c) << 1n) | 1n) },
  // A pointer into a zone (a table base, a descriptor's output address) with low attribute bits.
  { weight: 3, arbitrary: fc.tuple(anyPa, fc.integer({ min: 0, max: 0xfff })).map(([pa, lo]) => BigInt(pa - (pa % PAGE)) | BigInt(lo)) },
)

const REG_NAMES = Object.keys(REG)
const OPCODE_NAMES = OPCODES.map((o) => o.name)

const device = fc.constantFrom(...DEVICES)
const prot = fc.constantFrom('r', 'w', 'rw')
/** IOVAs of the domains' first pages; 0 most often (the prelude's mapping). */
const iova = fc.oneof(fc.constant(0), fc.integer({ min: 0, max: 63 }).map((k) => k * PAGE))

/** A value that fits `size` bytes. */
function sized(size: 1 | 2 | 4 | 8 | undefined): fc.Arbitrary<string> {
  const bits = BigInt((size ?? 8) * 8)
  return value64.map((v) => hex(v & ((1n << bits) - 1n)))
}

const mmio: fc.Arbitrary<Json> = fc
  .record({
    access: fc.constantFrom('read', 'write', 'write'),
    size: fc.constantFrom<1 | 2 | 4 | 8 | undefined>(undefined, undefined, 4, 8, 1, 2),
    byName: fc.boolean(),
    name: fc.constantFrom(...REG_NAMES),
    offset: fc.oneof(fc.integer({ min: 0, max: 0x1ff }), fc.integer({ min: 0x10000, max: 0x100ff }), fc.integer({ min: 0, max: 0x1ffff })),
  })
  .chain((r) => {
    const align = r.size ?? 4
    const reg = r.byName ? r.name : r.offset - (r.offset % align)
    const base: Json = { op: 'mmio', access: r.access, reg, ...(r.size !== undefined && { size: r.size }) }
    return r.access === 'read' ? fc.constant(base) : sized(r.size).map((value) => ({ ...base, value }))
  })

/** A command by name with random spec-named fields, or two raw words with any opcode byte. */
const command: fc.Arbitrary<Json> = fc.oneof(
  fc.tuple(fc.integer({ min: 0, max: 0xff }), u64, u64).map(([op, w0, w1]) => ({ raw: [hex((w0 & ~0xffn) | BigInt(op)), hex(w1)] })),
  fc.tuple(fc.constantFrom(...OPCODE_NAMES), u64, u64).map(([name, w0, w1]) => {
    const op = OPCODES.find((o) => o.name === name)!.opcode
    return { raw: [hex((w0 & ~0xffn) | BigInt(op)), hex(w1)] }
  }),
  fc.record({ SID: fc.constantFrom(...SIDS, 2), Leaf: fc.integer({ min: 0, max: 1 }) }).map((f) => ({ opcode: 'CFGI_STE', ...f })),
  fc.constant({ opcode: 'CFGI_ALL' }),
  fc.record({ opcode: fc.constantFrom('TLBI_NH_ALL', 'TLBI_S12_VMALL'), VMID: fc.constantFrom(0, 1, 0xffff) }),
  fc.record({ VMID: fc.constantFrom(0, 1), Address: anyPa.map((pa) => hex(pa - (pa % PAGE))) }).map((f) => ({ opcode: 'TLBI_S2_IPA', ...f })),
  fc.constant({ opcode: 'SYNC' }),
)

const attach = fc
  .record({ device, type: fc.constantFrom('s1', 's1', 'bypass', 'abort', 'identity'), asid: fc.integer({ min: 0, max: 3 }), named: fc.boolean() })
  .map(({ device: d, type, asid, named }) => ({
    op: 'attach',
    device: d,
    domain: { type, ...(type === 's1' && { asid, ...(named && { name: `dom${asid}` }) }) },
  }))
const map = fc.record({ device, iova, pa: pagePa, prot }).map((s) => ({ op: 'map', ...s, iova: hex(s.iova), pa: hex(s.pa), size: '4K' }))
const unmap = fc.record({ device, iova }).map((s) => ({ op: 'unmap', ...s, iova: hex(s.iova), size: '4K' }))
const dma = fc
  .record({ device, at: fc.oneof(iova.map((v) => v + 0x40), anyPa), access: fc.constantFrom('read', 'write') })
  .map((s) => ({ op: 'dma', device: s.device, iova: hex(s.at), size: 64, access: s.access }))
const donate = fc
  .record({ pa: pagePa, pages: fc.integer({ min: 1, max: 4 }), to: fc.constantFrom('hyp', 'hyp', GUEST) })
  .map((s) => ({ op: 'donate', pa: hex(s.pa), size: hex(s.pages * PAGE), to: s.to }))
const share = fc.record({ op: fc.constantFrom('share', 'unshare'), pa: pagePa }).map((s) => ({ op: s.op, pa: hex(s.pa), size: '4K', with: 'hyp' }))
const guestMap = fc
  .record({ ipa: iova, pa: pagePa, prot: fc.constantFrom('r', 'rw', 'rwx') })
  .map((s) => ({ op: 'guestMap', guest: GUEST, ipa: hex(s.ipa), pa: hex(s.pa), prot: s.prot }))
const guestUnmap = iova.map((ipa) => ({ op: 'guestUnmap', guest: GUEST, ipa: hex(ipa) }))
const cmd = fc.record({ command, noProd: fc.boolean() }).map(({ command: c, noProd }) => ({ op: 'cmd', ...c, ...(noProd && { noProd }) }))
const cmds = fc.array(command, { minLength: 1, maxLength: 6 }).map((list) => ({ op: 'cmds', cmds: list }))
/** A store into a page of a zone (the host's STEs, CDs, page tables and CMDQ live at the top of its region). */
const write = fc
  .record({ pa: fc.tuple(pagePa, fc.integer({ min: 0, max: PAGE / 8 - 1 })).map(([p, o]) => p + o * 8), size: fc.constantFrom<1 | 2 | 4 | 8>(8, 8, 8, 4, 2, 1) })
  .chain((s) => sized(s.size).map((value) => ({ op: 'write', pa: hex(s.pa - (s.pa % s.size)), size: s.size, value })))

/** What a hostile host does, with how often (stores into its tables, DMAs, raw commands and registers most often). */
const ACTIONS: readonly { readonly weight: number; readonly arbitrary: fc.Arbitrary<Json> }[] = [
  { weight: 2, arbitrary: attach },
  { weight: 3, arbitrary: map },
  { weight: 1, arbitrary: unmap },
  { weight: 5, arbitrary: dma },
  { weight: 2, arbitrary: donate },
  { weight: 2, arbitrary: share },
  { weight: 1, arbitrary: guestMap },
  { weight: 1, arbitrary: guestUnmap },
  { weight: 3, arbitrary: mmio },
  { weight: 3, arbitrary: cmd },
  { weight: 1, arbitrary: cmds },
  { weight: 6, arbitrary: write },
]

export const hostAction: fc.Arbitrary<Json> = fc.oneof(...ACTIONS)

export interface HostileOptions {
  /** Emulation levels to draw from (default: the isolating ones, 'ste' and 'nested'). */
  readonly levels?: readonly ('mmio' | 'cmdq' | 'ste' | 'nested')[]
  readonly maxSteps?: number
  /** fast-check's size of the step list (default 'small'; the long campaign uses 'medium'). */
  readonly size?: fc.SizeForArbitrary
  /**
   * Run only v4 with fidelity 'series', which reproduces the posted v4's
   * inverted `kvm_idmap_initialized` (the identity map is never updated after
   * boot, SPEC-FACTS B§8): isolation is known to break there. Otherwise v4
   * runs with 'architectural' fidelity and v6 with either.
   */
  readonly seriesBugs?: boolean
}

/**
 * A pKVM platform (version, emulation level, refusal policy, stream-table
 * format, RIL) with three devices and a guest, and a hostile host's steps:
 * usually a booted driver with a stage-1 domain and a mapping first, so the
 * random part starts from a working system.
 */
export function hostileScenario(opts: HostileOptions = {}): fc.Arbitrary<Json> {
  return fc
    .record({
      emulation: fc.constantFrom(...(opts.levels ?? ['ste', 'nested'])),
      version: fc.constantFrom('v4', 'v6'),
      onRefused: fc.constantFrom('warn', 'panic'),
      fidelity: fc.constantFrom<'series' | 'architectural'>('series', 'architectural'),
      strtab: fc.constantFrom('linear', '2level'),
      ril: fc.boolean(),
      prelude: fc.constantFrom(true, true, true, false),
      steps: fc.array(hostAction, { minLength: 1, maxLength: opts.maxSteps ?? 30, size: opts.size ?? 'small' }),
    })
    .map((r) => ({
      smmuscope: 1,
      title: 'hostile host (fuzz case)',
      notes: 'Generated by engine/fuzz: a hostile host under pKVM. The isolation oracle (engine/fuzz/oracle.ts) says what broke.',
      platform: {
        smmu: { stages: 'nested', strtab: r.strtab, ril: r.ril, sidBits: 6, cmdqLog2: 8, evtqLog2: 8 },
        ram: { base: hex(FUZZ_RAM.base), size: hex(FUZZ_RAM.size) },
        hypervisor: 'pkvm',
        emulation: r.emulation,
        pkvm: opts.seriesBugs
          ? { version: 'v4', onRefused: r.onRefused, fidelity: 'series' }
          : { version: r.version, onRefused: r.onRefused, fidelity: r.version === 'v4' ? 'architectural' : r.fidelity },
        devices: DEVICES.map((name, i) => ({ name, sid: SIDS[i] })),
        guests: [{ name: GUEST, memory: '1MiB' }],
      },
      steps: [
        // Without the prelude the host has not probed: the random steps are register and memory pokes at a bare SMMU.
        ...(r.prelude
          ? [
              { op: 'boot' },
              { op: 'attach', device: 'd0', domain: { type: 's1', name: 'dom0', asid: 0 } },
              { op: 'map', device: 'd0', iova: '0x0', pa: hex(FUZZ_RAM.base), size: '4K', prot: 'rw' },
              // Warms the IOTLB and config cache: a later donation must invalidate them.
              { op: 'dma', device: 'd0', iova: '0x40', size: 64, access: 'read' },
              { op: 'attach', device: 'd1', domain: { type: 's1', name: 'dom1', asid: 1 } },
              { op: 'attach', device: 'd2', domain: { type: 'identity' } },
            ]
          : []),
        ...r.steps,
      ],
    }))
}
