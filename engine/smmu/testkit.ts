/**
 * A small harness for driving the SMMU device model the way software does:
 * registers through `Smmu.write`/`read` (the MMIO interface), structures
 * (STEs, CDs, page tables, commands) as bytes in physical memory, events
 * read back from the EVTQ bytes and decoded. Used by the device tests; it
 * takes no shortcut into the device's internals.
 */
import { encodeCd, type CdField } from '../arch/cd'
import { encodeCommand, type CommandInput } from '../arch/commands'
import { decodeEvent, type DecodedEvent, type UnknownEvent } from '../arch/events'
import type { SmmuParams } from '../arch/idregs'
import type { FieldInput } from '../arch/layout'
import { queueIncrement, queueIndex } from '../arch/queue'
import { REG, regByName } from '../arch/registers'
import { encodeSte, type SteField } from '../arch/ste'
import { Journal, type JRecord } from '../journal/journal'
import { PhysMem } from '../mem/physmem'
import { PageTableBuilder, type MapAttrs } from '../pgtable/builder'
import { vtcrSl0 } from '../pgtable/geometry'
import { Smmu } from './smmu'
import type { DmaOutcome } from './translate'
import type { Granule } from './types'

/** RAM and the fixed places the kit puts the SMMU's structures in it. */
export const RAM_BASE = 0x4000_0000
export const RAM_SIZE = 0x4000_0000
/** Linear stream table (room for 2^16 STEs), or a 2-level L1 table. */
export const STRTAB_PA = 0x4000_0000
export const CMDQ_PA = 0x4080_0000
export const EVTQ_PA = 0x4090_0000
/** Level-2 stream tables and CDs are allocated from here. */
export const CONFIG_PA = 0x40a0_0000
/** Translation tables are allocated from here. */
export const TABLES_PA = 0x4100_0000

const PAGE1 = 0x10000

/** A page-table allocator for tests: addresses from `start` up, each aligned as asked. */
export function bumpAllocator(start: number): (bytes: number, align: number) => number {
  let next = start
  return (bytes, align) => {
    next = Math.ceil(next / align) * align
    const a = next
    next += bytes
    return a
  }
}

/**
 * Bare memory for walker tests: RAM 0x4000_0000..0x8000_0000, a bump
 * allocator for tables from 0x7000_0000, and a 64-bit store.
 */
export function walkMemory(): { mem: PhysMem; alloc: (bytes: number, align: number) => number; put: (pa: number, v: bigint) => void } {
  const mem = new PhysMem(0x4000_0000, 0x4000_0000)
  const alloc = bumpAllocator(0x7000_0000)
  const put = (pa: number, v: bigint): void => {
    mem.write64(pa, v, 'host')
  }
  return { mem, alloc, put }
}

/** A QEMU-like nested-capable SMMU with small tables (IDR values worked out in regfile.test.ts). */
export const DEFAULT_PARAMS: SmmuParams = {
  stages: 'nested',
  oas: 44,
  granules: ['4K', '16K', '64K'],
  sidBits: 8,
  ssidBits: 0,
  strtab: 'linear',
  ril: true,
  ats: false,
  msi: false,
  cmdqLog2: 8,
  evtqLog2: 8,
  iidr: { product: 'generic', variant: 0, revision: 0 },
}

export interface KitOptions {
  readonly params?: Partial<SmmuParams>
  readonly qemuCompat?: boolean
  readonly tlb?: { readonly model: 'combined' | 'split'; readonly entries: number }
  /** Program the queues and the stream table and enable the SMMU (default true). */
  readonly boot?: boolean
  /** 2-level stream table: STRTAB_BASE_CFG.SPLIT (default: linear). */
  readonly split?: number
  /** CMDQ / EVTQ LOG2SIZE as programmed (default 6 and 4). */
  readonly cmdqLog2?: number
  readonly evtqLog2?: number
  /** Record a journal (default true). */
  readonly journal?: boolean
}

export type Rw = 'read' | 'write'

const GRANULE_NAME = { 12: '4K', 14: '16K', 16: '64K' } as const
const PS_NAME: Record<number, '32-bit' | '36-bit' | '40-bit' | '42-bit' | '44-bit' | '48-bit' | '52-bit'> = {
  32: '32-bit', 36: '36-bit', 40: '40-bit', 42: '42-bit', 44: '44-bit', 48: '48-bit', 52: '52-bit',
}

/** A stage-1 (or nested) stream the kit set up: its tables and where its CD is. */
export interface S1Stream {
  readonly pt: PageTableBuilder
  readonly cdAddr: number
}

export class SmmuKit {
  readonly j: Journal
  readonly mem: PhysMem
  readonly smmu: Smmu
  readonly params: SmmuParams
  readonly cmdqLog2: number
  readonly evtqLog2: number
  private nextConfig = CONFIG_PA
  private nextTable = TABLES_PA
  /** The software copy of CMDQ_PROD (as Linux keeps one). */
  private prod = 0

  constructor(opts: KitOptions = {}) {
    this.params = { ...DEFAULT_PARAMS, ...opts.params }
    this.j = new Journal(opts.journal ?? true)
    this.mem = new PhysMem(RAM_BASE, RAM_SIZE, this.j)
    this.smmu = new Smmu(this.j, this.mem, {
      params: this.params,
      tlb: opts.tlb ?? { model: 'combined', entries: 256 },
      qemuCompat: opts.qemuCompat ?? false,
    })
    this.smmu.reset()
    this.cmdqLog2 = opts.cmdqLog2 ?? 6
    this.evtqLog2 = opts.evtqLog2 ?? 4
    if (opts.boot ?? true) this.boot(opts.split)
  }

  // ---- registers, through the MMIO interface ----------------------------

  /** Offset of a register by name (page 1 for EVENTQ_PROD/CONS), or the offset given. */
  offset(reg: string | number): number {
    if (typeof reg === 'number') return reg
    const def = regByName(reg)
    if (!def) throw new Error(`no register ${reg}`)
    return def.offset + (def.page === 1 ? PAGE1 : 0)
  }

  write(reg: string | number, value: number | bigint, size: 4 | 8 = 4): void {
    this.smmu.write(this.offset(reg), size, BigInt(value))
  }

  read(reg: string | number, size: 4 | 8 = 4): bigint {
    return this.smmu.read(this.offset(reg), size)
  }

  read32(reg: string | number): number {
    return Number(this.read(reg, 4))
  }

  /**
   * The Linux reset order (SPEC-FACTS B§5): CR0 = 0, CR2 = PTM | RECINVSID,
   * STRTAB_BASE(_CFG), CMDQ, CMDQEN, EVTQ, EVENTQEN, then SMMUEN.
   */
  boot(split?: number): void {
    this.write('CR0', 0)
    this.write('CR2', REG.CR2.layout.encode({ PTM: 1, RECINVSID: 1 })[0])
    this.write('STRTAB_BASE', STRTAB_PA, 8)
    const sidBits = this.params.sidBits
    const cfg = split === undefined
      ? REG.STRTAB_BASE_CFG.layout.encode({ FMT: 'linear', LOG2SIZE: sidBits })
      : REG.STRTAB_BASE_CFG.layout.encode({ FMT: '2level', SPLIT: split, LOG2SIZE: sidBits })
    this.write('STRTAB_BASE_CFG', cfg[0])
    this.write('CMDQ_BASE', REG.CMDQ_BASE.layout.encode({ ADDR: CMDQ_PA, LOG2SIZE: this.cmdqLog2 })[0], 8)
    this.write('CMDQ_PROD', 0)
    this.write('CMDQ_CONS', 0)
    this.prod = 0
    this.write('CR0', REG.CR0.layout.encode({ CMDQEN: 1 })[0])
    this.write('EVENTQ_BASE', REG.EVENTQ_BASE.layout.encode({ ADDR: EVTQ_PA, LOG2SIZE: this.evtqLog2 })[0], 8)
    this.write('EVENTQ_PROD', 0)
    this.write('EVENTQ_CONS', 0)
    this.write('CR0', REG.CR0.layout.encode({ CMDQEN: 1, EVENTQEN: 1 })[0])
    this.write('CR0', REG.CR0.layout.encode({ CMDQEN: 1, EVENTQEN: 1, SMMUEN: 1 })[0])
  }

  // ---- memory and structures ----------------------------------------------

  /** Bump allocator for L2 stream tables and CDs. */
  allocConfig(bytes: number, align = 64): number {
    this.nextConfig = Math.ceil(this.nextConfig / align) * align
    const a = this.nextConfig
    this.nextConfig += bytes
    return a
  }

  /** Bump allocator for translation tables (PageTableBuilder's `alloc`). */
  allocTable = (bytes: number, align: number): number => {
    this.nextTable = Math.ceil(this.nextTable / align) * align
    const a = this.nextTable
    this.nextTable += bytes
    return a
  }

  /** Address of STE `sid` in the kit's linear stream table. */
  steAddr(sid: number): number {
    return STRTAB_PA + sid * 64
  }

  putWords(pa: number, words: readonly bigint[]): void {
    this.mem.writeWords(pa, words, 'host')
  }

  /** Write STE `sid` of the linear table from named fields (V defaults to 1). */
  putSte(sid: number, fields: FieldInput<SteField>): bigint[] {
    const words = encodeSte(fields)
    this.putWords(this.steAddr(sid), words)
    return words
  }

  /** Write a CD from named fields (V defaults to 1); allocates one when no address is given. */
  putCd(fields: FieldInput<CdField>, at?: number): number {
    const pa = at ?? this.allocConfig(64)
    this.putWords(pa, encodeCd(fields))
    return pa
  }

  /**
   * A 2-level stream table's L1 descriptor for SIDs [n << split, ...): Span
   * as given, a fresh zeroed L2 table of 2^(Span-1) STEs. Returns the L2 base.
   */
  putL1(index: number, span: number): number {
    const bytes = 2 ** (span - 1) * 64
    const l2 = this.allocConfig(bytes, bytes)
    this.mem.writeBytes(l2, new Uint8Array(bytes), 'host')
    this.putWords(STRTAB_PA + index * 8, [BigInt(l2) | BigInt(span)])
    return l2
  }

  /** A translation table builder in RAM; stage-1 tables may live in IPA space (`toPa`). */
  pageTable(stage: 1 | 2, granule: Granule, inputBits: number, extra: { startLevel?: number; alloc?: (b: number, a: number) => number; toPa?: (a: number) => number } = {}): PageTableBuilder {
    return new PageTableBuilder({
      mem: this.mem,
      stage,
      granule,
      inputBits,
      alloc: extra.alloc ?? this.allocTable,
      actor: 'host',
      ...(extra.startLevel !== undefined ? { startLevel: extra.startLevel } : {}),
      ...(extra.toPa ? { toPa: extra.toPa } : {}),
    })
  }

  /** CD fields for TT0 with this table, the ASID, and EPD1=1 (what arm_smmu_make_s1_cd does, plus R=1 and A=1). */
  cdFields(pt: PageTableBuilder, asid: number, extra: FieldInput<CdField> = {}): FieldInput<CdField> {
    return {
      T0SZ: 64 - pt.inputBits,
      TG0: GRANULE_NAME[pt.granule],
      EPD1: 1,
      IPS: PS_NAME[Math.min(this.params.oas, 48)],
      AA64: 1,
      A: 1,
      R: 1,
      ASID: asid,
      TTB0: BigInt(pt.root),
      ...extra,
    }
  }

  /** STE stage-2 fields for this table and VMID (make_s2_domain_ste, with S2R=1). */
  s2Fields(pt: PageTableBuilder, vmid: number, extra: FieldInput<SteField> = {}): FieldInput<SteField> {
    return {
      S2VMID: vmid,
      S2T0SZ: 64 - pt.inputBits,
      S2SL0: vtcrSl0(pt.granule, pt.startLevel),
      S2TG: GRANULE_NAME[pt.granule],
      S2PS: PS_NAME[Math.min(this.params.oas, 48)],
      S2AA64: 1,
      S2R: 1,
      S2TTB: BigInt(pt.root),
      ...extra,
    }
  }

  /** A stage-1 stream: tables, a CD with TT0, and STE `sid` (Config=s1). */
  s1Stream(sid: number, granule: Granule, inputBits: number, asid: number, cd: FieldInput<CdField> = {}): S1Stream {
    const pt = this.pageTable(1, granule, inputBits)
    const cdAddr = this.putCd(this.cdFields(pt, asid, cd))
    this.putSte(sid, { Config: 's1', S1ContextPtr: BigInt(cdAddr) })
    return { pt, cdAddr }
  }

  /** A stage-2 stream: tables and STE `sid` (Config=s2). */
  s2Stream(sid: number, granule: Granule, ipaBits: number, vmid: number, startLevel?: number, ste: FieldInput<SteField> = {}): PageTableBuilder {
    const pt = this.pageTable(2, granule, ipaBits, startLevel !== undefined ? { startLevel } : {})
    this.putSte(sid, { Config: 's2', ...this.s2Fields(pt, vmid), ...ste })
    return pt
  }

  // ---- the command queue --------------------------------------------------

  /** Place commands at the software PROD without publishing them. Returns their slot addresses. */
  push(...cmds: (CommandInput | readonly [bigint, bigint])[]): number[] {
    const slots: number[] = []
    for (const c of cmds) {
      const words = Array.isArray(c) ? (c as readonly [bigint, bigint]) : encodeCommand(c as CommandInput)
      const slot = this.cmdSlot(this.prod)
      this.putWords(slot, words)
      slots.push(slot)
      this.prod = queueIncrement(this.prod, this.cmdqLog2)
    }
    return slots
  }

  /** Address of the CMDQ entry a PROD/CONS value indexes. */
  cmdSlot(ptr: number): number {
    return CMDQ_PA + queueIndex(ptr, this.cmdqLog2) * 16
  }

  /** Publish the pushed commands: write CMDQ_PROD (the SMMU consumes at once). */
  publish(): void {
    this.write('CMDQ_PROD', this.prod)
  }

  /** Push and publish. Returns the slot addresses. */
  cmd(...cmds: (CommandInput | readonly [bigint, bigint])[]): number[] {
    const slots = this.push(...cmds)
    this.publish()
    return slots
  }

  /** CMDQ_CONS decoded: RD index and wrap, and ERR. */
  cons(): { rd: number; err: number } {
    const v = this.read('CMDQ_CONS')
    return { rd: REG.CMDQ_CONS.layout.get([v], 'RD'), err: REG.CMDQ_CONS.layout.get([v], 'ERR') }
  }

  get swProd(): number {
    return this.prod
  }

  // ---- the event queue ----------------------------------------------------

  /** New event records (CONS..PROD), decoded from the EVTQ bytes; CONS is advanced past them (OVACKFLG kept). */
  events(): (DecodedEvent | UnknownEvent)[] {
    const out: (DecodedEvent | UnknownEvent)[] = []
    const prod = this.read32('EVENTQ_PROD')
    let cons = this.read32('EVENTQ_CONS')
    const mask = 2 ** (this.evtqLog2 + 1) - 1
    while ((prod & mask) !== (cons & mask)) {
      out.push(decodeEvent(this.mem.readWords(EVTQ_PA + queueIndex(cons, this.evtqLog2) * 32, 4)))
      cons = queueIncrement(cons, this.evtqLog2)
    }
    this.write('EVENTQ_CONS', cons)
    return out
  }

  /** Raw words of EVTQ entry `index`. */
  eventWords(index: number): bigint[] {
    return this.mem.readWords(EVTQ_PA + index * 32, 4)
  }

  // ---- transactions and the journal -----------------------------------------

  dma(sid: number, iova: number | bigint, access: Rw = 'read', ssid?: number): DmaOutcome {
    return this.smmu.dma({ sid, iova: BigInt(iova), access: { read: access === 'read', write: access === 'write' }, ...(ssid !== undefined ? { ssid } : {}) })
  }

  /** Journal position, for `since`. */
  mark(): number {
    return this.j.length
  }

  /** Records of a kind made since a mark. */
  since(mark: number, kind: string): JRecord[] {
    return this.j.records.slice(mark).filter((r) => r.kind === kind)
  }
}

/** io-pgtable's default attributes for a read/write mapping. */
export const RW: MapAttrs = { read: true, write: true }
export const RO: MapAttrs = { read: true, write: false }
