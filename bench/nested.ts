/**
 * A nested 4K x 4K platform for the translation benchmarks: stage 1 with
 * T0SZ 16 (4 levels from L0) over stage 2 with S2T0SZ 16 (4 levels from L0,
 * SL0=2), so a TLB miss costs exactly 24 descriptor reads.
 */
import { CD } from '../engine/arch/cd'
import { STE } from '../engine/arch/ste'
import { REG } from '../engine/arch/registers'
import { Journal } from '../engine/journal/journal'
import { PhysMem } from '../engine/mem/physmem'
import { PageTableBuilder } from '../engine/pgtable/builder'
import { DEFAULT_PLATFORM } from '../engine/scenario/format'
import { Smmu } from '../engine/smmu/smmu'
import { translate as walk } from '../engine/smmu/walk'

export const READ = { read: true, write: false } as const

export const RAM = { base: 0x4000_0000, size: 0x4000_0000 }
export const SID = 1
/** IOVA mapped by the stage-1 table (4K page), and the PA it reaches. */
export const IOVA = 0x80_8060_4000
export const DATA_PA = 0x6000_0000
export const PAGES = 1024

export interface NestedBench {
  readonly smmu: Smmu
  readonly mem: PhysMem
  readonly j: Journal
  /** Addresses of the 24 descriptors a miss reads, in walk order. */
  readonly descriptors: number[]
}

export function buildNested(opts: { journal: boolean; tlbEntries: number }): NestedBench {
  const j = new Journal(opts.journal)
  const mem = new PhysMem(RAM.base, RAM.size, j)
  const smmu = new Smmu(j, mem, { params: { ...DEFAULT_PLATFORM.smmu, oas: 48 }, tlb: { model: 'combined', entries: opts.tlbEntries }, qemuCompat: false })
  smmu.reset()
  let next = 0x4010_0000
  const alloc = (bytes: number, align: number) => {
    next = Math.ceil(next / align) * align
    const a = next
    next += bytes
    return a
  }
  // Stage 2 identity-maps the stage-1 tables and the data page (IPA = PA).
  const s2 = new PageTableBuilder({ mem, stage: 2, granule: 12, inputBits: 48, startLevel: 0, alloc, actor: 'hyp' })
  const s1TablesIpa = 0x5000_0000
  let s1Next = s1TablesIpa
  const s1alloc = (bytes: number, align: number) => {
    s1Next = Math.ceil(s1Next / align) * align
    const a = s1Next
    s1Next += bytes
    for (let p = a - (a % 4096); p < a + bytes; p += 4096) s2.map(p, p, 12, { read: true, write: true })
    return a
  }
  const s1 = new PageTableBuilder({ mem, stage: 1, granule: 12, inputBits: 48, alloc: s1alloc, actor: 'host' })
  // PAGES consecutive 4K pages at IOVA, each its own stage-1 and stage-2 leaf:
  // cycling through them with a smaller IOTLB makes every translation a miss.
  for (let k = 0; k < PAGES; k++) {
    s1.map(IOVA + k * 4096, DATA_PA + k * 4096, 12, { read: true, write: true })
    s2.map(DATA_PA + k * 4096, DATA_PA + k * 4096, 12, { read: true, write: true })
  }
  const cdPa = alloc(64, 64)
  s2.map(cdPa - (cdPa % 4096), cdPa - (cdPa % 4096), 12, { read: true, write: true })
  mem.writeWords(cdPa, CD.encode({ V: 1, T0SZ: 16, TG0: 0, EPD1: 1, IPS: 5, AA64: 1, R: 1, A: 1, ASID: 1, TTB0: s1.root }), 'host')
  const strtab = alloc(64 * 4, 64 * 4)
  mem.writeWords(strtab + SID * 64, STE.encode({
    V: 1, Config: 'nested', S1ContextPtr: cdPa, S2VMID: 1, S2T0SZ: 16, S2SL0: 2, S2TG: 0, S2PS: 5, S2AA64: 1, S2R: 1, S2TTB: s2.root,
  }), 'host')
  smmu.write(REG.STRTAB_BASE.offset, 8, BigInt(strtab))
  smmu.write(REG.STRTAB_BASE_CFG.offset, 4, 2n)
  smmu.write(REG.CR0.offset, 4, 1n)
  // One transaction fills the configuration cache; the walker's trace then
  // names the 24 descriptors a miss reads.
  const first = smmu.dma({ sid: SID, iova: BigInt(IOVA), access: READ })
  if (first.result !== 'ok' || first.pa !== DATA_PA) throw new Error(`bench platform does not translate: ${first.reason}`)
  const cfg = smmu.cfg.contents()[0]
  const descriptors: number[] = []
  walk(mem, cfg, Math.floor(IOVA / 2 ** 32), IOVA >>> 0, READ, (st) => descriptors.push(st.address))
  if (descriptors.length !== 24) throw new Error(`expected 24 descriptor reads, got ${descriptors.length}`)
  return { smmu, mem, j, descriptors }
}
