/**
 * The hypervisor's boot per SMMU (smmu_init_device; SPEC-FACTS B§8 "Boot"):
 * take the MMIO so host accesses trap, probe through the shared IDR
 * decoding, program the shadow CMDQ (PROD = CONS = 0) and the hypervisor's
 * own stream table, and set GBPA.ABORT. The hypervisor enables nothing in
 * CR0 itself: the host's CR0 writes are forwarded and reach the hardware.
 */
import { REG } from '../arch/registers'
import { featuresFromIdRegs } from '../smmu/features'
import { EINVAL, ENOMEM, ENXIO, ETIMEDOUT } from './deps'
import type { HypSmmuConfig, PkvmSmmu } from './pkvm'
import { STRTAB_SPLIT } from './shadow-ste'

const IMPLEMENTER_ARM = 0x43b
const PRODUCT_MMU_600 = 0x483
const PRODUCT_MMU_700 = 0x487
/** The kernel part hands over a 16-page shadow CMDQ. */
const SHADOW_CMDQ_PAGES = 16
/** STRTAB_MAX_L1_ENTRIES. */
const MAX_L1_ENTRIES = 2 ** 17
const GBPA = REG.GBPA.layout

const id = (p: PkvmSmmu, reg: 'IDR0' | 'IDR1' | 'IDR3' | 'IDR5' | 'IIDR'): number => Number(p.hwRead(reg) & 0xffff_ffffn)

/**
 * smmu_nesting_supported (v6): stage 1 and stage 2, and not an MMU-600
 * before r2 or an MMU-700 before r1p1, whose errata break nesting. v4 asked
 * only for both stages.
 */
function nestingProblem(p: PkvmSmmu, s1: boolean, s2: boolean, iidr: number): string | undefined {
  if (!s1 || !s2) return 'the SMMU lacks stage 1 or stage 2 (nesting needs both)'
  if (p.opts.version === 'v4') return undefined
  const L = REG.IIDR.layout
  const w = [BigInt(iidr)]
  if (L.get(w, 'Implementer') !== IMPLEMENTER_ARM) return undefined
  const product = L.get(w, 'ProductID')
  const variant = L.get(w, 'Variant')
  const revision = L.get(w, 'Revision')
  if (product === PRODUCT_MMU_600 && variant < 2) return `MMU-600 r${variant}: nesting errata (needs variant >= 2)`
  if (product === PRODUCT_MMU_700 && (variant < 1 || revision < 1)) return `MMU-700 r${variant}p${revision}: nesting errata (needs r1p1)`
  return undefined
}

/** smmu_probe: 0 and the configuration, or why the hypervisor will not drive this SMMU. */
function probe(p: PkvmSmmu): { ok: true; features: HypSmmuConfig['features']; sidBits: number; strtab2l: boolean } | { ok: false; ret: number; why: string } {
  const regs = { IDR0: id(p, 'IDR0'), IDR1: id(p, 'IDR1'), IDR3: id(p, 'IDR3'), IDR5: id(p, 'IDR5') }
  const iidr = id(p, 'IIDR')
  const f = featuresFromIdRegs(regs)
  // The series relies on firmware's coherency; this platform reports it in IDR0.COHACC.
  if (REG.IDR0.layout.get([BigInt(regs.IDR0)], 'COHACC') === 0) return { ok: false, ret: -EINVAL, why: 'the SMMU is not coherent' }
  const nest = nestingProblem(p, f.s1p, f.s2p, iidr)
  if (nest) return { ok: false, ret: -ENXIO, why: nest }
  if (f.ttendian !== 0 && f.ttendian !== 2) return { ok: false, ret: -ENXIO, why: 'no little-endian translation tables' }
  const i1 = [BigInt(regs.IDR1)]
  const L1 = REG.IDR1.layout
  if (L1.get(i1, 'TABLES_PRESET') || L1.get(i1, 'QUEUES_PRESET') || L1.get(i1, 'REL')) return { ok: false, ret: -EINVAL, why: 'IDR1 reports preset tables or queues, or relative bases' }
  if (p.opts.version === 'v4' && L1.get(i1, 'ECMDQ')) return { ok: false, ret: -EINVAL, why: 'IDR1.ECMDQ (v4 refuses enhanced command queues)' }
  // As the kernel: no 2-level table when every SID fits one level-2 table.
  return { ok: true, features: f, sidBits: f.sidBits, strtab2l: f.strtab2l && f.sidBits > STRTAB_SPLIT }
}

/** smmu_abort_gbpa: wait for UPDATE=0, write ABORT with UPDATE, wait again (bounded). */
function abortGbpa(p: PkvmSmmu): number {
  const idle = (): boolean => {
    for (let i = 0; i < 4; i++) if (GBPA.get([p.hwRead('GBPA')], 'UPDATE') === 0) return true
    return false
  }
  if (!idle()) return -ETIMEDOUT
  const reg = p.hwRead('GBPA')
  p.hwWrite('GBPA', GBPA.with([reg], { UPDATE: 1, ABORT: 1 })[0])
  return idle() ? 0 : -ETIMEDOUT
}

/** The hypervisor's boot for this SMMU; 0, or a negative errno after giving the MMIO back to the host. */
export function bootPkvmSmmu(p: PkvmSmmu): number {
  return p.j.span('hyp.boot', 'hyp', { version: p.opts.version, emulation: p.opts.emulation }, () => {
    p.bus.setHostTrap(p)
    p.j.entry('hyp.take_mmio', 'hyp', { message: 'SMMU MMIO donated to the hypervisor: host accesses now trap' })
    const giveBack = (ret: number, why: string): number => {
      p.j.entry('hyp.boot.failed', 'hyp', { ret, why })
      p.bus.setHostTrap(null)
      return ret
    }
    const pr = probe(p)
    if (!pr.ok) return giveBack(pr.ret, pr.why)
    const pageSize = p.deps.host.pageSize
    let cmdq: HypSmmuConfig['cmdq']
    if (p.has('cmdq')) {
      // min(IDR1.CMDQS, what 16 pages hold): 4096 entries with 4K pages.
      const log2 = Math.min(pr.features.cmdqLog2, Math.log2((SHADOW_CMDQ_PAGES * pageSize) / 16))
      const bytes = 2 ** log2 * 16
      const base = p.deps.pool.alloc(bytes, Math.max(bytes, 32))
      if (base < 0) return giveBack(-ENOMEM, 'no memory for the shadow CMDQ')
      cmdq = { base, log2 }
      p.hwWrite('CMDQ_PROD', 0n)
      p.hwWrite('CMDQ_CONS', 0n)
      p.hwWrite('CMDQ_BASE', REG.CMDQ_BASE.layout.encode({ ADDR: BigInt(base), LOG2SIZE: log2 })[0])
    }
    let strtab: HypSmmuConfig['strtab']
    if (p.has('ste')) {
      const L = REG.STRTAB_BASE_CFG.layout
      let entries: number
      let bytes: number
      let cfg: bigint
      if (pr.strtab2l) {
        entries = Math.min(Math.floor((2 ** pr.sidBits - 1) / 2 ** STRTAB_SPLIT) + 1, MAX_L1_ENTRIES)
        bytes = entries * 8
        cfg = L.encode({ FMT: '2level', LOG2SIZE: Math.log2(entries) + STRTAB_SPLIT, SPLIT: STRTAB_SPLIT })[0]
      } else {
        entries = 2 ** pr.sidBits
        bytes = entries * 64
        cfg = L.encode({ FMT: 'linear', LOG2SIZE: pr.sidBits })[0]
      }
      const base = p.deps.pool.alloc(bytes, Math.max(bytes, 64))
      if (base < 0) return giveBack(-ENOMEM, 'no memory for the hypervisor stream table')
      strtab = { base, entries }
      p.hwWrite('STRTAB_BASE', REG.STRTAB_BASE.layout.encode({ ADDR: BigInt(base), RA: 1 })[0])
      p.hwWrite('STRTAB_BASE_CFG', cfg)
    }
    p.cfg = { features: pr.features, sidBits: pr.sidBits, strtab2l: pr.strtab2l, cmdq, strtab }
    const g = abortGbpa(p)
    if (g) return giveBack(g, 'GBPA did not complete its update')
    p.j.entry('hyp.boot.done', 'hyp', {
      sidBits: pr.sidBits,
      strtab: strtab ? { base: strtab.base, entries: strtab.entries, format: pr.strtab2l ? '2level' : 'linear' } : 'host (not shadowed at this level)',
      cmdq: cmdq ? { base: cmdq.base, log2: cmdq.log2 } : 'host (not shadowed at this level)',
    })
    return 0
  })
}
