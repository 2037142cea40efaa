/**
 * A harness for the hypervisor tests: a nested-capable SMMU behind the MMIO
 * bus, physical memory, simple doubles of the memory half (page pool,
 * identity stage 2 built with the real table builder, host sharing with pin
 * counts), and a host that drives the trapped SMMU the way a driver does:
 * raw register writes as actor 'host', commands in its own queue, PROD.
 */
import { encodeCommand, type CommandInput } from '../arch/commands'
import type { SmmuParams } from '../arch/idregs'
import type { FieldInput } from '../arch/layout'
import { queueIncrement, queueIndex } from '../arch/queue'
import { REG, type RegName } from '../arch/registers'
import { encodeSte, type SteField } from '../arch/ste'
import { L1STD } from '../arch/strtab'
import { Journal, type JRecord } from '../journal/journal'
import { MmioBus } from '../mem/bus'
import { PhysMem } from '../mem/physmem'
import { PageTableBuilder } from '../pgtable/builder'
import { vtcrSl0 } from '../pgtable/geometry'
import { Smmu } from '../smmu/smmu'
import { CMDQ_PA, CONFIG_PA, DEFAULT_PARAMS, EVTQ_PA, RAM_BASE, RAM_SIZE, STRTAB_PA } from '../smmu/testkit'
import type { DmaOutcome } from '../smmu/translate'
import { EBUSY, EINVAL, ENOMEM, EPERM, type HostSharing, type IdentityS2, type IdentityS2Fields, type PagePool } from './deps'
import { PAGE1, PkvmSmmu, type PkvmOptions } from './pkvm'

export { RAM_BASE, RAM_SIZE }
/** Host structures: where the SMMU kit puts them. */
export const HOST_STRTAB = STRTAB_PA
export const HOST_CMDQ = CMDQ_PA
export const HOST_EVTQ = EVTQ_PA
export const HOST_L2 = CONFIG_PA
/** Hypervisor-owned memory (the pool): left out of the identity stage 2, refused by share. */
export const HYP_BASE = 0x7000_0000
export const HYP_SIZE = 0x0100_0000
const PAGE = 0x1000
const BLOCK_2M = 21

/** The SMMU kit's platform (engine/smmu/testkit.ts) with MSI, so the CMD_SYNC rewrite can be seen. */
export const PARAMS: SmmuParams = { ...DEFAULT_PARAMS, msi: true }

/** Bump allocator over the hypervisor region (kvm_iommu_donate_pages). */
export class PoolDouble implements PagePool {
  next = HYP_BASE
  limit = HYP_BASE + HYP_SIZE
  alloc(bytes: number, align: number): number {
    const a = Math.ceil(this.next / align) * align
    if (a + bytes > this.limit) return -ENOMEM
    this.next = a + bytes
    return a
  }
}

/**
 * host_share_hyp / unshare / pin per 4K page: pages in the hypervisor region
 * are not the host's to share (-EPERM); an unshare of a pinned page is -EBUSY.
 */
export class SharingDouble implements HostSharing {
  readonly pageSize = PAGE
  /** Shared page -> pin count. */
  readonly shared = new Map<number, number>()
  private pages(pa: number, size: number): number[] {
    const out: number[] = []
    for (let a = pa; a < pa + size; a += PAGE) out.push(a)
    return out
  }
  shareHost(pa: number, size: number): number {
    const ps = this.pages(pa, size)
    if (ps.some((a) => this.shared.has(a) || (a >= HYP_BASE && a < HYP_BASE + HYP_SIZE) || a < RAM_BASE || a >= RAM_BASE + RAM_SIZE)) return -EPERM
    for (const a of ps) this.shared.set(a, 0)
    return 0
  }
  unshareHost(pa: number, size: number): number {
    const ps = this.pages(pa, size)
    if (ps.some((a) => !this.shared.has(a))) return -EPERM
    if (ps.some((a) => (this.shared.get(a) ?? 0) > 0)) return -EBUSY
    for (const a of ps) this.shared.delete(a)
    return 0
  }
  pin(pa: number, size: number): number {
    const ps = this.pages(pa, size)
    if (ps.some((a) => !this.shared.has(a))) return -EINVAL
    for (const a of ps) this.shared.set(a, (this.shared.get(a) ?? 0) + 1)
    return 0
  }
  unpin(pa: number, size: number): number {
    for (const a of this.pages(pa, size)) if (this.shared.has(a)) this.shared.set(a, Math.max(0, (this.shared.get(a) ?? 0) - 1))
    return 0
  }
}

/** An identity stage 2 over RAM without the hypervisor region, 2M blocks, 4K granule, 44-bit IPA and PA. */
export class IdmapDouble implements IdentityS2 {
  readonly pt: PageTableBuilder
  constructor(mem: PhysMem, pool: PoolDouble) {
    this.pt = new PageTableBuilder({ mem, stage: 2, granule: 12, inputBits: 44, oas: 44, alloc: (b, a) => pool.alloc(b, a), actor: 'hyp' })
    for (let pa = RAM_BASE; pa < RAM_BASE + RAM_SIZE; pa += 2 ** BLOCK_2M) {
      if (pa >= HYP_BASE && pa < HYP_BASE + HYP_SIZE) continue
      this.pt.map(pa, pa, BLOCK_2M, { read: true, write: true })
    }
  }
  get vttbr(): number {
    return this.pt.root
  }
  s2Fields(): IdentityS2Fields {
    // io-pgtable ARM_64_LPAE_S2 with 4K pages and ias = oas = 44 (SPEC-FACTS B§7 VTCR).
    return { S2T0SZ: 64 - 44, S2SL0: vtcrSl0(12, this.pt.startLevel), S2IR0: 1, S2OR0: 1, S2SH0: 3, S2TG: 0, S2PS: 4 }
  }
}

export interface PkvmKitOptions extends Partial<PkvmOptions> {
  readonly params?: Partial<SmmuParams>
  /** Run the hypervisor boot (default true). */
  readonly boot?: boolean
}

export class PkvmKit {
  readonly j = new Journal(true)
  readonly mem = new PhysMem(RAM_BASE, RAM_SIZE, this.j)
  readonly smmu: Smmu
  readonly bus: MmioBus
  readonly pool = new PoolDouble()
  readonly sharing = new SharingDouble()
  readonly idmap: IdmapDouble
  readonly hyp: PkvmSmmu
  readonly params: SmmuParams
  /** The host driver's copy of its CMDQ PROD. */
  prod = 0
  readonly cmdqLog2 = 6

  constructor(opts: PkvmKitOptions = {}) {
    this.params = { ...PARAMS, ...opts.params }
    this.smmu = new Smmu(this.j, this.mem, { params: this.params, tlb: { model: 'combined', entries: 256 }, qemuCompat: false })
    this.smmu.reset()
    this.bus = new MmioBus(this.j, this.smmu)
    this.idmap = new IdmapDouble(this.mem, this.pool)
    this.hyp = new PkvmSmmu(this.j, this.bus, this.mem, { pool: this.pool, idmap: this.idmap, host: this.sharing }, {
      version: opts.version ?? 'v6',
      emulation: opts.emulation ?? 'nested',
      onRefused: opts.onRefused ?? 'warn',
      fidelity: opts.fidelity,
    })
    this.smmu.queueLabel = this.hyp.hwQueue
    if (opts.boot ?? true) {
      const ret = this.hyp.boot()
      if (ret !== 0) throw new Error(`hypervisor boot failed: ${ret}`)
    }
  }

  // ---- the host, through the trapped bus --------------------------------

  offset(reg: RegName): number {
    const d = REG[reg]
    return d.offset + (d.page === 1 ? PAGE1 : 0)
  }

  write(reg: RegName | number, value: bigint | number, size?: 4 | 8): void {
    const off = typeof reg === 'number' ? reg : this.offset(reg)
    const sz = size ?? (typeof reg !== 'number' && REG[reg].width === 64 ? 8 : 4)
    this.bus.write('host', off, sz, BigInt(value))
  }

  read(reg: RegName | number, size?: 4 | 8): bigint {
    const off = typeof reg === 'number' ? reg : this.offset(reg)
    const sz = size ?? (typeof reg !== 'number' && REG[reg].width === 64 ? 8 : 4)
    return this.bus.read('host', off, sz)
  }

  /** The Linux reset sequence against the trapped SMMU (SPEC-FACTS B§5), with a linear or 2-level table. */
  hostBoot(opts: { twoLevel?: boolean } = {}): void {
    this.write('CR0', 0)
    this.write('CR1', 0xd75)
    this.write('CR2', REG.CR2.layout.encode({ PTM: 1, RECINVSID: 1 })[0])
    this.write('STRTAB_BASE', REG.STRTAB_BASE.layout.encode({ ADDR: BigInt(HOST_STRTAB), RA: 1 })[0])
    const sid = this.params.sidBits
    const cfg = opts.twoLevel
      ? REG.STRTAB_BASE_CFG.layout.encode({ FMT: '2level', SPLIT: 8, LOG2SIZE: sid })[0]
      : REG.STRTAB_BASE_CFG.layout.encode({ FMT: 'linear', LOG2SIZE: sid })[0]
    this.write('STRTAB_BASE_CFG', cfg)
    this.write('CMDQ_BASE', REG.CMDQ_BASE.layout.encode({ ADDR: BigInt(HOST_CMDQ), LOG2SIZE: this.cmdqLog2 })[0])
    this.write('CMDQ_PROD', 0)
    this.write('CMDQ_CONS', 0)
    this.prod = 0
    this.write('CR0', REG.CR0.layout.encode({ CMDQEN: 1 })[0])
    this.write('EVENTQ_BASE', REG.EVENTQ_BASE.layout.encode({ ADDR: BigInt(HOST_EVTQ), LOG2SIZE: 4 })[0])
    this.write('EVENTQ_PROD', 0)
    this.write('EVENTQ_CONS', 0)
    this.write('CR0', REG.CR0.layout.encode({ CMDQEN: 1, EVENTQEN: 1 })[0])
    this.write('CR0', REG.CR0.layout.encode({ CMDQEN: 1, EVENTQEN: 1, SMMUEN: 1 })[0])
  }

  /** Put commands in the host CMDQ (commands or raw words) and publish PROD once. */
  cmds(list: readonly (CommandInput | readonly [bigint, bigint])[], opts: { noProd?: boolean } = {}): void {
    for (const c of list) {
      const words = Array.isArray(c) ? (c as readonly [bigint, bigint]) : encodeCommand(c as CommandInput)
      this.mem.writeWords(HOST_CMDQ + queueIndex(this.prod, this.cmdqLog2) * 16, words, 'host')
      this.prod = queueIncrement(this.prod, this.cmdqLog2)
    }
    if (!opts.noProd) this.write('CMDQ_PROD', this.prod)
  }

  /** A host CMD_SYNC as Linux builds it without MSI (CS=SEV). */
  static readonly SYNC: CommandInput = { op: 'SYNC', CS: 'SIG_SEV', MSH: 3, MSIAttr: 0xf }

  /** Host STE address: linear, or through the host L1 (2-level, SPLIT 8). */
  hostSteAddr(sid: number): number {
    const l1 = this.mem.readWords(HOST_STRTAB + Math.floor(sid / 256) * 8, 1)
    if (this.hyp.cfg?.strtab2l) return L1STD.get(l1, 'L2Ptr') + (sid % 256) * 64
    return HOST_STRTAB + sid * 64
  }

  /** Give the host a 2-level L1 descriptor for SIDs [idx*256, ...) pointing at `l2` (Span 9). */
  hostL1(idx: number, l2: number): void {
    this.mem.writeWords(HOST_STRTAB + idx * 8, L1STD.encode({ Span: 9, L2Ptr: BigInt(l2) }), 'host')
  }

  /** Write the host STE (V defaults to 1). */
  hostSte(sid: number, fields: FieldInput<SteField>): bigint[] {
    const w = encodeSte(fields)
    this.mem.writeWords(this.hostSteAddr(sid), w, 'host')
    return w
  }

  /** Write the host STE, then CFGI_STE(leaf) + CMD_SYNC, as arm_smmu_write_ste does. */
  attach(sid: number, fields: FieldInput<SteField>): bigint[] {
    const w = this.hostSte(sid, fields)
    this.cmds([{ op: 'CFGI_STE', SID: sid, Leaf: 1 }, PkvmKit.SYNC])
    return w
  }

  dma(sid: number, iova: number, access: 'read' | 'write' = 'read'): DmaOutcome {
    return this.smmu.dma({ sid, iova: BigInt(iova), access: { read: access === 'read', write: access === 'write' } })
  }

  /** The hypervisor's shadow STE for a SID, as memory holds it. */
  shadowSte(sid: number): bigint[] {
    const st = this.hyp.cfg!.strtab!
    if (!this.hyp.cfg!.strtab2l) return this.mem.readWords(st.base + sid * 64, 8)
    const l1 = this.mem.readWords(st.base + Math.floor(sid / 256) * 8, 1)
    return this.mem.readWords(L1STD.get(l1, 'L2Ptr') + (sid % 256) * 64, 8)
  }

  records(kind: string, from = 0): JRecord[] {
    return this.j.records.slice(from).filter((r) => r.kind === kind)
  }

  /** The hyp.mmio record of the last trapped access. */
  lastMmio(): JRecord {
    const all = this.records('hyp.mmio')
    return all[all.length - 1]
  }
}
