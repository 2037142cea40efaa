/**
 * The Linux arm-smmu-v3 driver, step by step, driving the SMMU only through
 * MMIO (the bus) and its own memory (SPEC-FACTS Part B). Every driver action
 * is a journal span whose children are the register accesses, the STE/CD/PTE
 * stores and the commands issued. All host state lives in journaled maps.
 *
 * Scenario semantics: devices are probed at boot (their level-2 stream
 * tables allocated, STEs left abort) and get a domain only through `attach`;
 * `bypass` is IOMMU_DOMAIN_IDENTITY (a bypass STE); `identity` is a paging
 * domain the driver fills with a 1:1 map of RAM (what an identity domain
 * built from page tables, like pKVM's, looks like); mappings are strict
 * (every unmap is invalidated before it returns); the host is nVHE (no E2H).
 */
import { L1CD } from '../arch/strtab'
import { REG, type RegName } from '../arch/registers'
import { hex64 } from '../arch/u64'
import type { Journal, JMap } from '../journal/journal'
import type { MmioBus } from '../mem/bus'
import type { PhysMem } from '../mem/physmem'
import { PageTableBuilder } from '../pgtable/builder'
import { defaultRegion, HostAllocator, HostAllocError, type AllocRegion } from './alloc'
import { cdUsed, makeS1Cd } from './cd'
import { HostCmdq } from './cmdq'
import { drainEvtq } from './evtq'
import { allocId, domainGeometry, geometrySl0, paSizeCode, tg0Code, type DomainSpec, type HostDomain, type HostPlatform, type PgtableGeometry, type Prot } from './domain'
import { planEntryWrite } from './entry'
import { iommuPgsize, IoPgtable, type FlushOps, type IommuProt } from './iopgtable'
import { CTXDESC_LINEAR_CDMAX, hasFeature, probeIdRegs, type ProbeResult } from './probe'
import { makeAbortSte, makeBypassSte, makeCdtableSte, makeS2DomainSte, steUpdateSafe, steUsed, type S2Config, type SteEnv } from './ste'
import { HostStrtab } from './strtab'
import { EMPTY_GATHER, gatherAddPage, tlbInvContextCommand, tlbInvRangeCommands, type Gather, type TlbiTemplate } from './tlbinv'

/** A driver operation the scenario asked for but the driver refuses (the machine reports it as a step error). */
export class HostError extends Error {}

/** CTXDESC_L2_ENTRIES: a 64K level-2 CD table holds 1024 CDs. */
const CD_L2_ENTRIES = 1024
const CD_BYTES = 64
const PAGE1 = 0x10000

/** A probed device (struct arm_smmu_master) with one StreamID. */
export interface HostMaster {
  readonly name: string
  readonly sid: number
  readonly ssidBits: number
  readonly domain?: string
  readonly cdTable?: { readonly ptr: number; readonly s1fmt: 0 | 2; readonly s1cdmax: number; readonly l2: readonly number[] }
}

export interface HostDriverOptions {
  /** Memory the host kernel allocates driver structures from (default: the top half of RAM). */
  readonly region?: AllocRegion
}

/** `map`/`unmap` target: a device's current domain, or a named domain. */
export type HostTarget = { readonly device: string } | { readonly domain: string }

export class HostDriver {
  readonly alloc: HostAllocator
  readonly cmdq: HostCmdq
  readonly strtab: HostStrtab
  private readonly state: JMap<string, ProbeResult | number>
  private readonly domains: JMap<string, HostDomain>
  private readonly masters: JMap<string, HostMaster>
  private readonly asids: JMap<number, string>
  private readonly vmids: JMap<number, string>
  /** Page-table writers by domain and root (stateless beyond their configuration; see pgtableOf). */
  private readonly builders = new Map<string, PageTableBuilder>()
  private readonly pageShift: number

  constructor(
    private readonly j: Journal,
    private readonly bus: MmioBus,
    private readonly mem: PhysMem,
    private readonly platform: HostPlatform,
    opts: HostDriverOptions = {},
  ) {
    this.pageShift = platform.pageSize === '4K' ? 12 : platform.pageSize === '16K' ? 14 : 16
    this.alloc = new HostAllocator(j, mem, opts.region ?? defaultRegion(mem), 2 ** this.pageShift)
    this.state = j.map('host.driver', 'host')
    this.domains = j.map('host.domains', 'host')
    this.masters = j.map('host.masters', 'host')
    this.asids = j.map('host.asid', 'host')
    this.vmids = j.map('host.vmid', 'host')
    this.cmdq = new HostCmdq(j, bus, mem, () => this.probeResult)
    this.strtab = new HostStrtab(j, mem, this.alloc)
  }

  /**
   * After the journaled state was put back to an earlier point: forget the
   * page-table writers of domains that did not exist yet (a writer holds
   * only its domain's configuration and root, both fixed when the domain
   * was created, so the ones kept are exactly those a run to that point made).
   */
  restore(): void {
    const live = new Set<string>()
    for (const [id, dom] of this.domains.entries()) if (dom.pgtable) live.add(this.builderKey(id, dom.pgtable))
    for (const k of [...this.builders.keys()]) if (!live.has(k)) this.builders.delete(k)
  }

  /** The probe result (after boot): the features view the app shows. */
  get probeResult(): ProbeResult {
    const p = this.state.get('probe')
    if (!p || typeof p === 'number') throw new HostError('the SMMU driver is not probed yet (boot first)')
    return p
  }

  get booted(): boolean {
    return this.state.has('probe')
  }

  master(name: string): HostMaster | undefined {
    return this.masters.get(name)
  }

  domain(id: string): HostDomain | undefined {
    return this.domains.get(id)
  }

  // ---- MMIO helpers -------------------------------------------------------

  private offset(name: RegName): number {
    const r = REG[name]
    return r.offset + (r.page === 1 ? PAGE1 : 0)
  }

  private readl(name: RegName): number {
    return Number(this.bus.read('host', this.offset(name), 4) & 0xffff_ffffn)
  }

  private writel(name: RegName, v: number | bigint): void {
    this.bus.write('host', this.offset(name), 4, BigInt(v))
  }

  private writeq(name: RegName, v: bigint): void {
    this.bus.write('host', this.offset(name), 8, v)
  }

  /** arm_smmu_write_reg_sync: write, then poll the ACK register until it matches. */
  private writeRegSync(name: RegName, ack: RegName, v: number, what: string): void {
    this.writel(name, v)
    for (let i = 0; i < 4; i++) if (this.readl(ack) === v) return
    throw new HostError(`${what}: ${ack} did not follow ${name} = 0x${v.toString(16)}`)
  }

  private steEnv(): SteEnv {
    const p = this.probeResult
    return { attrTypesOvr: hasFeature(p, 'ARM_SMMU_FEAT_ATTR_TYPES_OVR'), stalls: hasFeature(p, 'ARM_SMMU_FEAT_STALLS'), e2h: hasFeature(p, 'ARM_SMMU_FEAT_E2H') }
  }

  // ---- boot: probe, structures, reset, devices ------------------------------

  /** arm_smmu_device_probe, then arm_smmu_probe_device for every platform device. */
  boot(): void {
    this.j.span('host.boot', 'host', {}, () => {
      const p = this.hwProbe()
      this.initStructures(p)
      this.reset(p)
      for (const d of this.platform.devices) this.probeDevice(d.name, d.sid, d.ssids)
    })
  }

  private hwProbe(): ProbeResult {
    return this.j.span('host.probe', 'host', {}, () => {
      const id = { IDR0: this.readl('IDR0'), IDR1: this.readl('IDR1'), IDR3: this.readl('IDR3'), IDR5: this.readl('IDR5'), IIDR: this.readl('IIDR') }
      const p = probeIdRegs(id, { coherent: this.platform.smmu.coherent, pageShift: this.pageShift })
      this.j.entry('host.probe.result', 'host', {
        features: p.features,
        options: p.options,
        ias: p.ias,
        oas: p.oas,
        pgsizeBitmap: p.pgsizeBitmap,
        asidBits: p.asidBits,
        vmidBits: p.vmidBits,
        sidBits: p.sidBits,
        ssidBits: p.ssidBits,
        errata: p.errata,
        ...(p.error !== undefined && { error: p.error }),
        message: `ias ${p.ias}-bit, oas ${p.oas}-bit`,
      })
      if (p.error !== undefined) throw new HostError(`arm-smmu-v3 probe failed: ${p.error}`)
      this.state.set('probe', p)
      return p
    })
  }

  /** arm_smmu_init_one_queue: the largest queue that fits, halving on allocation failure. */
  private allocQueue(shift: number, entryBytes: number, name: string): { base: number; log2: number } {
    for (let s = shift; ; s--) {
      const bytes = 2 ** s * entryBytes
      try {
        const base = this.alloc.alloc(bytes)
        this.j.entry('host.log', 'host', { level: 'info', message: `allocated ${2 ** s} entries for ${name}`, address: base })
        return { base, log2: s }
      } catch (e) {
        if (!(e instanceof HostAllocError) || bytes <= 2 ** this.pageShift) throw new HostError(`failed to allocate queue (0x${bytes.toString(16)} bytes) for ${name}`)
      }
    }
  }

  private initStructures(p: ProbeResult): void {
    this.j.span('host.init_structures', 'host', {}, () => {
      this.cmdq.init(this.allocQueue(p.cmdqShift, 16, 'cmdq'))
      this.state.set('evtq.prod', 0)
      this.state.set('evtq.cons', 0)
      const ev = this.allocQueue(p.evtqShift, 32, 'evtq')
      this.state.set('evtq.base', ev.base)
      this.state.set('evtq.log2', ev.log2)
      if (hasFeature(p, 'ARM_SMMU_FEAT_PRI')) {
        const pq = this.allocQueue(p.priqShift, 16, 'priq')
        this.state.set('priq.base', pq.base)
        this.state.set('priq.log2', pq.log2)
      }
      this.strtab.init(hasFeature(p, 'ARM_SMMU_FEAT_2_LVL_STRTAB'), p.sidBits)
    })
  }

  private queueBase(reg: 'EVENTQ_BASE' | 'PRIQ_BASE', base: number, log2: number): bigint {
    return REG[reg].layout.encode({ WA: 1, ADDR: BigInt(base), LOG2SIZE: log2 })[0]
  }

  /** arm_smmu_device_reset (SPEC-FACTS B§5 "Reset sequence"). */
  private reset(p: ProbeResult): void {
    this.j.span('host.reset', 'host', {}, () => {
      const cr0 = REG.CR0.layout
      if (cr0.get([BigInt(this.readl('CR0'))], 'SMMUEN')) {
        this.j.entry('host.log', 'host', { level: 'warn', message: 'SMMU currently enabled! Resetting...' })
        this.updateGbpa()
      }
      this.writeRegSync('CR0', 'CR0ACK', 0, 'failed to clear cr0')
      this.writel('CR1', REG.CR1.layout.encode({ TABLE_SH: 'ISH', TABLE_OC: 'WB', TABLE_IC: 'WB', QUEUE_SH: 'ISH', QUEUE_OC: 'WB', QUEUE_IC: 'WB' })[0])
      this.writel('CR2', REG.CR2.layout.encode({ PTM: 1, RECINVSID: 1, E2H: hasFeature(p, 'ARM_SMMU_FEAT_E2H') })[0])
      const st = this.strtab.registers()
      this.writeq('STRTAB_BASE', st.base)
      this.writel('STRTAB_BASE_CFG', st.cfg)
      const llq = this.cmdq.llq
      this.writeq('CMDQ_BASE', this.cmdq.qbase())
      this.writel('CMDQ_PROD', llq.prod)
      this.writel('CMDQ_CONS', llq.cons)
      let enables = Number(cr0.encode({ CMDQEN: 1 })[0])
      this.writeRegSync('CR0', 'CR0ACK', enables, 'failed to enable command queue')
      this.cmdq.issue({ op: 'CFGI_ALL' }, true)
      if (hasFeature(p, 'ARM_SMMU_FEAT_HYP')) this.cmdq.issue({ op: 'TLBI_EL2_ALL' }, true)
      this.cmdq.issue({ op: 'TLBI_NSNH_ALL' }, true)
      this.writeq('EVENTQ_BASE', this.queueBase('EVENTQ_BASE', this.num('evtq.base'), this.num('evtq.log2')))
      this.writel('EVENTQ_PROD', 0)
      this.writel('EVENTQ_CONS', 0)
      enables |= Number(cr0.encode({ EVENTQEN: 1 })[0])
      this.writeRegSync('CR0', 'CR0ACK', enables, 'failed to enable event queue')
      if (hasFeature(p, 'ARM_SMMU_FEAT_PRI')) {
        this.writeq('PRIQ_BASE', this.queueBase('PRIQ_BASE', this.num('priq.base'), this.num('priq.log2')))
        this.writel('PRIQ_PROD', 0)
        this.writel('PRIQ_CONS', 0)
        enables |= Number(cr0.encode({ PRIQEN: 1 })[0])
        this.writeRegSync('CR0', 'CR0ACK', enables, 'failed to enable PRI queue')
      }
      if (hasFeature(p, 'ARM_SMMU_FEAT_ATS')) {
        enables |= Number(cr0.encode({ ATSCHK: 1 })[0])
        this.writeRegSync('CR0', 'CR0ACK', enables, 'failed to enable ATS check')
      }
      this.setupIrqs(p)
      enables |= Number(cr0.encode({ SMMUEN: 1 })[0])
      this.writeRegSync('CR0', 'CR0ACK', enables, 'failed to enable SMMU interface')
    })
  }

  private num(key: string): number {
    const v = this.state.get(key)
    return typeof v === 'number' ? v : 0
  }

  /** arm_smmu_update_gbpa(ABORT): wait for UPDATE=0, write with UPDATE=1, wait again. */
  private updateGbpa(): void {
    const L = REG.GBPA.layout
    let reg = 0
    for (let i = 0; i < 4; i++) {
      reg = this.readl('GBPA')
      if (!L.get([BigInt(reg)], 'UPDATE')) break
    }
    this.writel('GBPA', L.with([BigInt(reg)], { ABORT: 1, UPDATE: 1 })[0])
    for (let i = 0; i < 4; i++) if (!L.get([BigInt(this.readl('GBPA'))], 'UPDATE')) return
    this.j.entry('host.log', 'host', { level: 'err', message: 'GBPA not responding to update' })
  }

  /**
   * The EVTQ interrupt's threaded handler (arm_smmu_evtq_thread): take the
   * records the SMMU wrote, log them, move CONS. Nothing before boot.
   */
  evtqThread(): number {
    if (!this.booted || !this.state.has('evtq.base')) return 0
    return this.j.span('host.evtq_thread', 'host', {}, () => {
      const llq = { prod: this.num('evtq.prod'), cons: this.num('evtq.cons') }
      const n = drainEvtq(
        { j: this.j, mem: this.mem, readProd: () => this.readl('EVENTQ_PROD'), writeCons: (v) => this.writel('EVENTQ_CONS', v) },
        llq,
        this.num('evtq.base'),
        this.num('evtq.log2'),
      )
      this.state.set('evtq.prod', llq.prod)
      this.state.set('evtq.cons', llq.cons)
      this.j.annotate({ events: n })
      return n
    })
  }

  /** arm_smmu_setup_irqs: IRQ_CTRL off, MSI addresses cleared (wired interrupts), then GERROR and EVTQ (and PRIQ) enabled. */
  private setupIrqs(p: ProbeResult): void {
    this.writeRegSync('IRQ_CTRL', 'IRQ_CTRLACK', 0, 'failed to disable irqs')
    this.writeq('GERROR_IRQ_CFG0', 0n)
    this.writeq('EVENTQ_IRQ_CFG0', 0n)
    const pri = hasFeature(p, 'ARM_SMMU_FEAT_PRI')
    if (pri) this.writeq('PRIQ_IRQ_CFG0', 0n)
    if (hasFeature(p, 'ARM_SMMU_FEAT_MSI')) this.j.entry('host.log', 'host', { level: 'info', message: 'msi_domain absent - falling back to wired irqs' })
    const en = REG.IRQ_CTRL.layout.encode({ GERROR_IRQEN: 1, EVENTQ_IRQEN: 1, PRIQ_IRQEN: pri })[0]
    this.writeRegSync('IRQ_CTRL', 'IRQ_CTRLACK', Number(en), 'failed to enable irqs')
  }

  /** arm_smmu_probe_device: the master's StreamID gets its STE (abort until a domain is attached). */
  private probeDevice(name: string, sid: number, ssids: number | undefined): void {
    const p = this.probeResult
    this.j.span('host.probe_device', 'host', { device: name, sid }, () => {
      if (sid >= 2 ** p.sidBits) throw new HostError(`device ${name}: StreamID ${sid} is beyond the SMMU's ${p.sidBits} SID bits`)
      this.strtab.initSid(sid)
      // pasid-num-bits, capped by the SMMU, and by a linear CD table without CD2L.
      let ssidBits = ssids === undefined || ssids <= 1 ? 0 : Math.ceil(Math.log2(ssids))
      ssidBits = Math.min(ssidBits, p.ssidBits)
      if (!hasFeature(p, 'ARM_SMMU_FEAT_2_LVL_CDTAB')) ssidBits = Math.min(ssidBits, CTXDESC_LINEAR_CDMAX)
      this.masters.set(name, { name, sid, ssidBits })
    })
  }

  // ---- STE and CD writes ----------------------------------------------------

  /** arm_smmu_write_ste: the hitless update, each step followed by CFGI_STE + SYNC, then PREFETCH_CONFIG. */
  writeSte(sid: number, target: readonly bigint[]): void {
    const addr = this.strtab.steAddress(sid)
    const cur = this.mem.readWords(addr, 8)
    const plan = planEntryWrite(cur, target, steUsed, steUpdateSafe)
    this.j.span('host.write_ste', 'host', { sid, update: plan.kind, steps: plan.steps.length }, () => {
      const now = [...cur]
      for (const step of plan.steps) {
        for (const s of step) {
          now[s.qword] = s.value
          const rec = this.j.entry('ste.write', 'host', { sid, table: 'host', qword: s.qword, raw: now.map(hex64) })
          this.mem.write64(addr + s.qword * 8, s.value, 'host', rec)
        }
        this.cmdq.issue({ op: 'CFGI_STE', SID: sid, Leaf: 1 }, true)
      }
      this.cmdq.issue({ op: 'PREFETCH_CONFIG', SID: sid }, false)
    })
  }

  /** arm_smmu_write_cd_entry: the same algorithm; each step is followed by CFGI_CD for every stream, batched, then SYNC. */
  private writeCd(m: HostMaster, ssid: number, addr: number, target: readonly bigint[]): void {
    const cur = this.mem.readWords(addr, 8)
    const plan = planEntryWrite(cur, target, cdUsed)
    this.j.span('host.write_cd', 'host', { sid: m.sid, ssid, update: plan.kind, steps: plan.steps.length }, () => {
      const now = [...cur]
      for (const step of plan.steps) {
        for (const s of step) {
          now[s.qword] = s.value
          const rec = this.j.entry('cd.write', 'host', { sid: m.sid, ssid, table: 'host', qword: s.qword, raw: now.map(hex64) })
          this.mem.write64(addr + s.qword * 8, s.value, 'host', rec)
        }
        this.syncCd(m, ssid, true)
      }
    })
  }

  private syncCd(m: HostMaster, ssid: number, leaf: boolean): void {
    this.cmdq.issueBatched([{ op: 'CFGI_CD', SID: m.sid, SSID: ssid, Leaf: leaf ? 1 : 0 }])
  }

  /** arm_smmu_alloc_cd_ptr: the CD table on first use, a level-2 CD table on first use of its range. */
  private allocCdPtr(name: string, ssid: number): number {
    let m = this.masters.get(name)!
    if (!m.cdTable) {
      const p = this.probeResult
      const s1cdmax = m.ssidBits
      const max = 2 ** s1cdmax
      const linear = !hasFeature(p, 'ARM_SMMU_FEAT_2_LVL_CDTAB') || max <= CD_L2_ENTRIES
      const cdTable = this.j.span('host.cdtab.alloc', 'host', { device: name, s1cdmax, format: linear ? 'linear' : '2-level' }, () => {
        const l1 = linear ? max * CD_BYTES : Math.ceil(max / CD_L2_ENTRIES) * 8
        const s1fmt: 0 | 2 = linear ? 0 : 2
        const l2: readonly number[] = []
        return { ptr: this.alloc.alloc(l1), s1fmt, s1cdmax, l2 }
      })
      m = { ...m, cdTable }
      this.masters.set(name, m)
    }
    const t = m.cdTable!
    if (t.s1fmt === 0) return t.ptr + ssid * CD_BYTES
    const idx = Math.floor(ssid / CD_L2_ENTRIES)
    let l2 = t.l2[idx]
    if (!l2) {
      l2 = this.alloc.alloc(CD_L2_ENTRIES * CD_BYTES)
      const l2s = [...t.l2]
      l2s[idx] = l2
      m = { ...m, cdTable: { ...t, l2: l2s } }
      this.masters.set(name, m)
      const desc = L1CD.encode({ V: 1, L2Ptr: BigInt(l2) })[0]
      const rec = this.j.entry('l1cd.write', 'host', { sid: m.sid, index: idx, address: t.ptr + idx * 8, raw: [hex64(desc)] })
      this.mem.write64(t.ptr + idx * 8, desc, 'host', rec)
      // An invalid L1CD may have been cached.
      this.syncCd(m, ssid, false)
    }
    return l2 + (ssid % CD_L2_ENTRIES) * CD_BYTES
  }

  /** arm_smmu_clear_cd: CD `ssid` becomes all zeros (if the table exists). */
  private clearCd(name: string, ssid: number): void {
    const m = this.masters.get(name)!
    const t = m.cdTable
    if (!t) return
    const addr = t.s1fmt === 0 ? t.ptr + ssid * CD_BYTES : (t.l2[Math.floor(ssid / CD_L2_ENTRIES)] ?? 0) + (ssid % CD_L2_ENTRIES) * CD_BYTES
    if (t.s1fmt !== 0 && !t.l2[Math.floor(ssid / CD_L2_ENTRIES)]) return
    this.writeCd(m, ssid, addr, new Array<bigint>(8).fill(0n))
  }

  // ---- domains --------------------------------------------------------------

  private newDomainId(d: DomainSpec): string {
    if (d.name !== undefined) return d.name
    const seq = this.num('domainSeq') + 1
    this.state.set('domainSeq', seq)
    return `${d.type}#${seq}`
  }

  private builderKey(id: string, g: PgtableGeometry & { root: number }): string {
    return `${id}@${g.root}:${g.stage}:${g.granule}:${g.ias}:${g.oas}:${g.startLevel}`
  }

  /** arm_smmu_domain_alloc_paging + arm_smmu_domain_finalise: io-pgtable and ASID or VMID. */
  private getOrCreateDomain(d: DomainSpec): HostDomain {
    const existing = d.name !== undefined ? this.domains.get(d.name) : undefined
    if (existing) {
      if (existing.type !== d.type) throw new HostError(`domain ${d.name}: already a ${existing.type} domain, not ${d.type}`)
      return existing
    }
    const p = this.probeResult
    const id = this.newDomainId(d)
    return this.j.span('host.domain_alloc', 'host', { domain: id, type: d.type }, () => {
      let dom: HostDomain = { id, type: d.type }
      if (d.type === 's1' || d.type === 's2' || d.type === 'identity') {
        const stage = d.type === 's2' || (d.type === 'identity' && !hasFeature(p, 'ARM_SMMU_FEAT_TRANS_S1')) ? 's2' : 's1'
        if (stage === 's1' && !hasFeature(p, 'ARM_SMMU_FEAT_TRANS_S1')) throw new HostError(`domain ${id}: the SMMU has no stage 1`)
        if (stage === 's2' && !hasFeature(p, 'ARM_SMMU_FEAT_TRANS_S2')) throw new HostError(`domain ${id}: the SMMU has no stage 2`)
        const geo = domainGeometry(p, { ...d, type: stage }, this.pageShift, this.platform.smmu.coherent)
        const b = new PageTableBuilder({
          mem: this.mem,
          stage: geo.stage,
          granule: geo.granule,
          inputBits: geo.ias,
          startLevel: geo.startLevel,
          oas: geo.oas,
          alloc: (bytes, align) => this.alloc.alloc(bytes, align),
          free: (addr, bytes) => this.alloc.release(addr, bytes),
          actor: 'host',
        })
        const pgtable = { ...geo, root: b.root }
        this.builders.set(this.builderKey(id, pgtable), b)
        if (stage === 's1') {
          const asid = this.pickId(this.asids, d.asid, p.asidBits, 'ASID', id)
          this.asids.set(asid, id)
          dom = { ...dom, asid, pgtable }
        } else {
          const vmid = this.pickId(this.vmids, d.vmid, p.vmidBits, 'VMID', id)
          this.vmids.set(vmid, id)
          dom = { ...dom, vmid, pgtable }
        }
      }
      this.domains.set(id, dom)
      this.j.annotate({ asid: dom.asid, vmid: dom.vmid, root: dom.pgtable?.root })
      if (d.type === 'identity') {
        const ram = this.platform.ram
        this.iommuMap(dom, ram.base, ram.base, ram.size, { read: true, write: true, cache: this.platform.smmu.coherent })
      }
      return dom
    })
  }

  private pickId(ids: JMap<number, string>, wanted: number | undefined, bits: number, what: string, id: string): number {
    if (wanted !== undefined) {
      if (wanted >= 2 ** bits) throw new HostError(`domain ${id}: ${what} ${wanted} does not fit the SMMU's ${bits}-bit ${what}s`)
      const owner = ids.get(wanted)
      if (owner !== undefined) throw new HostError(`domain ${id}: ${what} ${wanted} is already used by domain ${owner}`)
      return wanted
    }
    const got = allocId((n) => ids.has(n), bits)
    if (got === undefined) throw new HostError(`domain ${id}: no free ${what}`)
    return got
  }

  private pgtableOf(dom: HostDomain): IoPgtable {
    const g = dom.pgtable
    if (!g) throw new HostError(`a ${dom.type} domain (${dom.id}) has no page table to map into`)
    const b = this.builders.get(this.builderKey(dom.id, g))
    if (!b) throw new HostError(`domain ${dom.id}: its page-table writer was not created in this run`)
    return new IoPgtable(this.mem, g, b)
  }

  private s2Config(dom: HostDomain): S2Config {
    const g = dom.pgtable!
    return { vmid: dom.vmid ?? 0, tsz: 64 - g.ias, sl0: geometrySl0(g), irgn: g.irgn, orgn: g.orgn, sh: g.sh, tg: tg0Code(g.granule), ps: paSizeCode(g.oas), vttbr: g.root }
  }

  // ---- attach -----------------------------------------------------------------

  /** iommu_attach_device → arm_smmu_attach_dev / _attach_dev_ste. */
  attach(device: string, domain: DomainSpec): void {
    const m0 = this.masters.get(device)
    if (!m0) throw new HostError(`attach: no probed device named ${device}`)
    this.j.span('host.attach', 'host', { device, sid: m0.sid, type: domain.type, ...(domain.name !== undefined && { domain: domain.name }) }, () => {
      const dom = this.getOrCreateDomain(domain)
      const env = this.steEnv()
      const stage = dom.pgtable?.stage
      if (stage === 1) {
        const g = dom.pgtable!
        const cdAddr = this.allocCdPtr(device, 0)
        const cd = makeS1Cd({ asid: dom.asid ?? 0, tsz: 64 - g.ias, tg: tg0Code(g.granule), irgn: g.irgn, orgn: g.orgn, sh: g.sh, ips: paSizeCode(g.oas), ttbr: g.root })
        const m = this.masters.get(device)!
        this.writeCd(m, 0, cdAddr, cd)
        this.writeSte(m.sid, makeCdtableSte(env, m.cdTable!, 'ssid0'))
      } else if (stage === 2) {
        this.writeSte(m0.sid, makeS2DomainSte(env, this.s2Config(dom)))
        this.clearCd(device, 0)
      } else {
        this.writeSte(m0.sid, dom.type === 'abort' ? makeAbortSte() : makeBypassSte(env))
        this.clearCd(device, 0)
      }
      this.masters.set(device, { ...this.masters.get(device)!, domain: dom.id })
    })
  }

  // ---- map / unmap ------------------------------------------------------------

  private resolve(t: HostTarget, op: string): HostDomain {
    if ('device' in t) {
      const m = this.masters.get(t.device)
      if (!m) throw new HostError(`${op}: no probed device named ${t.device}`)
      if (m.domain === undefined) throw new HostError(`${op}: device ${t.device} is not attached to a domain`)
      return this.domains.get(m.domain)!
    }
    const d = this.domains.get(t.domain)
    if (!d) throw new HostError(`${op}: no domain named ${t.domain}`)
    return d
  }

  private flushOps(dom: HostDomain, gather: { g: Gather }): FlushOps {
    return {
      addPage: (iova, size) => {
        gather.g = gatherAddPage(gather.g, iova, size, (g) => this.iotlbSync(dom, g))
      },
      flushWalk: (iova, size, granule) => this.tlbInvRangeDomain(dom, iova, size, granule, false),
      warn: (message) => this.j.entry('host.warn', 'host', { message }),
    }
  }

  private template(dom: HostDomain): TlbiTemplate {
    return dom.pgtable!.stage === 1 ? { stage: 1, asid: dom.asid ?? 0 } : { stage: 2, vmid: dom.vmid ?? 0 }
  }

  /** arm_smmu_tlb_inv_range_domain. */
  private tlbInvRangeDomain(dom: HostDomain, iova: number, size: number, granule: number, leaf: boolean): void {
    const p = this.probeResult
    const cmds = tlbInvRangeCommands(this.template(dom), iova, size, granule, leaf, { ril: hasFeature(p, 'ARM_SMMU_FEAT_RANGE_INV'), pgsizeBitmap: dom.pgtable!.pgsizeBitmap })
    this.j.span('host.tlb_inv_range', 'host', { domain: dom.id, iova, size, granule, leaf, commands: cmds.length }, () => {
      if (cmds.length) this.cmdq.issueBatched(cmds)
      if (dom.nestParent) this.cmdq.issue({ op: 'TLBI_NH_ALL', VMID: dom.vmid ?? 0 }, true)
    })
  }

  /** arm_smmu_iotlb_sync: invalidate what the gather holds, as leaves. */
  private iotlbSync(dom: HostDomain, g: Gather): void {
    if (!g.pgsize) return
    this.tlbInvRangeDomain(dom, g.start, g.end - g.start + 1, g.pgsize, true)
  }

  /** arm_smmu_tlb_inv_context: the flush-all of a domain (NH_ASID or S12_VMALL, with SYNC). */
  flushAll(target: HostTarget): void {
    const dom = this.resolve(target, 'flush')
    if (!dom.pgtable) return
    this.j.span('host.tlb_inv_context', 'host', { domain: dom.id }, () => {
      this.cmdq.issue(tlbInvContextCommand(this.template(dom)), true)
    })
  }

  private checkAligned(op: string, dom: HostDomain, iova: number, pa: number, size: number): void {
    const min = 2 ** dom.pgtable!.granule
    if (iova % min || pa % min || size % min || size === 0) {
      throw new HostError(`${op}: unaligned: iova 0x${iova.toString(16)}${op === 'map' ? ` pa 0x${pa.toString(16)}` : ''} size 0x${size.toString(16)} min_pagesz 0x${min.toString(16)} (domain ${dom.id})`)
    }
  }

  /** iommu_map(domain, iova, pa, size, prot): the mapping, or a HostError with the errno. */
  map(target: HostTarget, iova: number, pa: number, size: number, prot: Prot): void {
    const dom = this.resolve(target, 'map')
    this.j.span('host.map', 'host', { domain: dom.id, iova, pa, size, prot }, () => {
      this.pgtableOf(dom)
      this.checkAligned('map', dom, iova, pa, size)
      const p: IommuProt = { read: prot.includes('r'), write: prot.includes('w'), cache: this.platform.smmu.coherent }
      this.iommuMap(dom, iova, pa, size, p)
    })
  }

  private iommuMap(dom: HostDomain, iova0: number, pa0: number, size0: number, prot: IommuProt): void {
    const pt = this.pgtableOf(dom)
    const gather = { g: EMPTY_GATHER }
    const flush = this.flushOps(dom, gather)
    let iova = iova0
    let pa = pa0
    let left = size0
    while (left > 0) {
      const { pgsize, count } = iommuPgsize(pt.cfg.pgsizeBitmap, iova, pa, left)
      const r = pt.mapPages(iova, pa, pgsize, count, prot, flush)
      left -= r.mapped
      if (r.err) {
        // __iommu_map unrolls what it mapped before failing.
        if (size0 - left > 0) this.iommuUnmap(dom, iova0, size0 - left)
        throw new HostError(`map 0x${iova.toString(16)} -> 0x${pa.toString(16)} (0x${pgsize.toString(16)} x ${count}) in domain ${dom.id}: ${r.err}${r.err === '-EEXIST' ? ': already mapped (unmap it first)' : ''}`)
      }
      iova += r.mapped
      pa += r.mapped
    }
  }

  /** iommu_unmap(domain, iova, size): bytes unmapped, invalidated (strict) before returning. */
  unmap(target: HostTarget, iova: number, size: number): number {
    const dom = this.resolve(target, 'unmap')
    return this.j.span('host.unmap', 'host', { domain: dom.id, iova, size }, () => {
      this.pgtableOf(dom)
      this.checkAligned('unmap', dom, iova, 0, size)
      const n = this.iommuUnmap(dom, iova, size)
      this.j.annotate({ unmapped: n })
      if (n < size) this.j.entry('host.warn', 'host', { message: `iommu_unmap: unmapped 0x${n.toString(16)} of 0x${size.toString(16)} bytes at 0x${iova.toString(16)}` })
      return n
    })
  }

  private iommuUnmap(dom: HostDomain, iova0: number, size: number): number {
    const pt = this.pgtableOf(dom)
    const gather = { g: EMPTY_GATHER }
    const flush = this.flushOps(dom, gather)
    let unmapped = 0
    let iova = iova0
    while (unmapped < size) {
      const { pgsize, count } = iommuPgsize(pt.cfg.pgsizeBitmap, iova, iova, size - unmapped)
      const n = pt.unmapPages(iova, pgsize, count, flush)
      if (!n) break
      iova += n
      unmapped += n
    }
    this.iotlbSync(dom, gather.g)
    return unmapped
  }
}
