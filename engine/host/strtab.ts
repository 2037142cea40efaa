/**
 * The host's stream table (arm_smmu_init_strtab_*, arm_smmu_init_l2_strtab):
 * linear, with every STE made abort up front, or 2-level with SPLIT=8,
 * whose 256-STE level-2 tables are allocated when a device first needs one,
 * filled with abort STEs, and published by a single 64-bit store of the L1
 * descriptor (Span=9), with no CFGI (SPEC-FACTS B§3).
 */
import { L1STD } from '../arch/strtab'
import { REG } from '../arch/registers'
import { bytesFromWords, wordsFromBytes } from '../arch/layout'
import { hex64 } from '../arch/u64'
import type { Journal, JMap } from '../journal/journal'
import type { PhysMem } from '../mem/physmem'
import type { HostAllocator } from './alloc'
import { makeAbortSte } from './ste'
import { STRTAB_SPLIT } from './probe'

const STE_BYTES = 64
/** STRTAB_MAX_L1_ENTRIES. */
const MAX_L1_ENTRIES = 2 ** 17

export interface StrtabState {
  readonly twoLevel: boolean
  /** Linear table or L1 table. */
  readonly base: number
  readonly sidBits: number
  /** 2-level: number of L1 descriptors. */
  readonly l1Entries: number
}

export class HostStrtab {
  private readonly state: JMap<string, StrtabState>
  /** L1 index → level-2 table address. */
  private readonly l2: JMap<number, number>

  constructor(
    private readonly j: Journal,
    private readonly mem: PhysMem,
    private readonly alloc: HostAllocator,
  ) {
    this.state = j.map('host.strtab', 'host')
    this.l2 = j.map('host.strtab.l2', 'host')
  }

  get config(): StrtabState | undefined {
    return this.state.get('cfg')
  }

  /** Allocate (and, linear, fill with abort STEs) the table for `sidBits` StreamIDs. */
  init(twoLevel: boolean, sidBits: number): StrtabState {
    return this.j.span('host.strtab.init', 'host', { format: twoLevel ? '2-level' : 'linear', sidBits }, () => {
      let cfg: StrtabState
      if (twoLevel) {
        const l1Entries = Math.min(2 ** (sidBits - STRTAB_SPLIT), MAX_L1_ENTRIES)
        if (l1Entries < 2 ** (sidBits - STRTAB_SPLIT)) {
          this.j.entry('host.log', 'host', { level: 'warn', message: `2-level strtab only covers ${Math.log2(l1Entries * 256)}/${sidBits} bits of SID` })
        }
        cfg = { twoLevel, base: this.alloc.alloc(l1Entries * 8), sidBits, l1Entries }
      } else {
        const n = 2 ** sidBits
        const base = this.alloc.alloc(n * STE_BYTES)
        this.fillAbort(base, n)
        cfg = { twoLevel, base, sidBits, l1Entries: 0 }
      }
      this.state.set('cfg', cfg)
      return cfg
    })
  }

  /** One store of every initial STE (the table is not live yet: no sync is needed). */
  private fillAbort(base: number, n: number): void {
    const one = bytesFromWords(makeAbortSte())
    const all = new Uint8Array(n * STE_BYTES)
    for (let i = 0; i < n; i++) all.set(one, i * STE_BYTES)
    const rec = this.j.entry('strtab.fill', 'host', { address: base, count: n, raw: wordsFromBytes(one).map(hex64), note: 'arm_smmu_init_initial_stes: every STE V=1 Config=abort' })
    this.mem.writeBytes(base, all, 'host', rec)
  }

  /** STRTAB_BASE (RA | address) and STRTAB_BASE_CFG as arm_smmu_write_strtab programs them. */
  registers(): { base: bigint; cfg: bigint } {
    const c = this.need()
    const base = REG.STRTAB_BASE.layout.encode({ RA: 1, ADDR: BigInt(c.base) })[0]
    const cfg = c.twoLevel
      ? REG.STRTAB_BASE_CFG.layout.encode({ FMT: '2level', LOG2SIZE: Math.log2(c.l1Entries) + STRTAB_SPLIT, SPLIT: STRTAB_SPLIT })[0]
      : REG.STRTAB_BASE_CFG.layout.encode({ FMT: 'linear', LOG2SIZE: c.sidBits })[0]
    return { base, cfg }
  }

  private need(): StrtabState {
    const c = this.config
    if (!c) throw new Error('the stream table is not allocated (boot first)')
    return c
  }

  /** arm_smmu_init_sid_strtab: make sure the STE of `sid` exists (2-level: its level-2 table). */
  initSid(sid: number): void {
    const c = this.need()
    if (!c.twoLevel) return
    const idx = Math.floor(sid / 2 ** STRTAB_SPLIT)
    if (this.l2.has(idx)) return
    this.j.span('host.strtab.l2', 'host', { sid, l1Index: idx }, () => {
      const n = 2 ** STRTAB_SPLIT
      const l2 = this.alloc.alloc(n * STE_BYTES)
      this.fillAbort(l2, n)
      this.l2.set(idx, l2)
      const desc = L1STD.encode({ Span: STRTAB_SPLIT + 1, L2Ptr: BigInt(l2) })[0]
      const address = c.base + idx * 8
      const rec = this.j.entry('l1std.write', 'host', { sid, index: idx, address, raw: [hex64(desc)], Span: STRTAB_SPLIT + 1, L2Ptr: l2 })
      this.mem.write64(address, desc, 'host', rec)
    })
  }

  /** Address of the STE of `sid` (arm_smmu_get_step_for_sid). */
  steAddress(sid: number): number {
    const c = this.need()
    if (!c.twoLevel) return c.base + sid * STE_BYTES
    const l2 = this.l2.get(Math.floor(sid / 2 ** STRTAB_SPLIT))
    if (l2 === undefined) throw new Error(`no level-2 stream table for SID ${sid}`)
    return l2 + (sid % 2 ** STRTAB_SPLIT) * STE_BYTES
  }
}
