/**
 * The TLB invalidations the Linux driver emits (SPEC-FACTS B§2):
 * __arm_smmu_tlb_inv_range with and without range invalidation (IDR3.RIL),
 * the 64-entry command batches, and the flush-all commands. Pure: the
 * driver sends what these return.
 */
import type { CommandInput } from '../arch/commands'
import { CMDQ_BATCH_ENTRIES } from './probe'

/** CMDQ_TLBI_RANGE_NUM_MAX: NUM is 5 bits. */
const RANGE_NUM_MAX = 31

/** Which invalidation a domain uses: S1 by ASID (NH_VA), S2 by VMID (S2_IPA). */
export type TlbiTemplate = { readonly stage: 1; readonly asid: number } | { readonly stage: 2; readonly vmid: number }

export interface TlbInvEnv {
  /** ARM_SMMU_FEAT_RANGE_INV. */
  readonly ril: boolean
  /** The domain's page-size bitmap (its lowest size is the leaf page size). */
  readonly pgsizeBitmap: number
}

function ffs(n: number): number {
  // Lowest set bit of a positive integer up to 2^53.
  let s = 0
  while (Math.floor(n / 2 ** s) % 2 === 0) s++
  return s
}

function ilog2(n: number): number {
  return Math.floor(Math.log2(n))
}

/**
 * The commands of one __arm_smmu_tlb_inv_range(iova, size, granule, leaf).
 * With RIL each command covers NUM+1 times 2^SCALE leaf pages, the range
 * taken 5 bits at a time from the page count; without it one command per
 * `granule`, with TG, TTL, NUM and SCALE all zero.
 */
export function tlbInvRangeCommands(t: TlbiTemplate, iova: number, size: number, granule: number, leaf: boolean, env: TlbInvEnv): CommandInput[] {
  if (size === 0) return []
  const end = iova + size
  let numPages = 0
  let tg = 0
  let TG = 0
  let TTL = 0
  if (env.ril) {
    tg = ffs(env.pgsizeBitmap)
    numPages = Math.floor(size / 2 ** tg)
    TG = (tg - 10) / 2
    if (leaf) TTL = 4 - Math.floor((ilog2(granule) - 3) / (tg - 3))
    // Non-leaf: TTL stays 0; avoid SCALE = NUM = TTL = 0 for a single page.
    else if ((numPages & RANGE_NUM_MAX) === 1) numPages++
  }
  const out: CommandInput[] = []
  let va = iova
  while (va < end) {
    let step = granule
    let NUM = 0
    let SCALE = 0
    if (env.ril) {
      const scale = ffs(numPages)
      const num = Math.floor(numPages / 2 ** scale) & RANGE_NUM_MAX
      SCALE = scale
      NUM = num - 1
      step = num * 2 ** (scale + tg)
      numPages -= num * 2 ** scale
    }
    const fields = { NUM, SCALE, Leaf: leaf ? 1 : 0, TTL, TG, Address: BigInt(va) }
    out.push(t.stage === 1 ? { op: 'TLBI_NH_VA', ASID: t.asid, VMID: 0, ...fields } : { op: 'TLBI_S2_IPA', VMID: t.vmid, ...fields })
    va += step
  }
  return out
}

/** arm_smmu_tlb_inv_context: every entry of the domain (followed by a SYNC). */
export function tlbInvContextCommand(t: TlbiTemplate): CommandInput {
  return t.stage === 1 ? { op: 'TLBI_NH_ASID', ASID: t.asid, VMID: 0 } : { op: 'TLBI_S12_VMALL', VMID: t.vmid }
}

/** One arm_smmu_cmdq_issue_cmdlist call: commands, and whether a CMD_SYNC follows them. */
export interface Submission {
  readonly cmds: readonly CommandInput[]
  readonly sync: boolean
}

/**
 * arm_smmu_cmdq_batch_add / _submit: a full batch of 64 goes out without
 * a SYNC; with CMDQ_FORCE_SYNC (MMU-700) the batch is submitted with a SYNC
 * when the 64th command is about to be added; the final submit adds a SYNC.
 */
export function batchSubmissions(cmds: readonly CommandInput[], forceSync: boolean): Submission[] {
  const out: Submission[] = []
  let batch: CommandInput[] = []
  for (const c of cmds) {
    if (forceSync && batch.length === CMDQ_BATCH_ENTRIES - 1) {
      out.push({ cmds: batch, sync: true })
      batch = []
    }
    if (batch.length === CMDQ_BATCH_ENTRIES) {
      out.push({ cmds: batch, sync: false })
      batch = []
    }
    batch.push(c)
  }
  out.push({ cmds: batch, sync: true })
  return out
}

/** The IOTLB gather of iommu_unmap (struct iommu_iotlb_gather). */
export interface Gather {
  readonly start: number
  /** Inclusive end; 0 when empty. */
  readonly end: number
  readonly pgsize: number
}

export const EMPTY_GATHER: Gather = { start: Number.MAX_SAFE_INTEGER, end: 0, pgsize: 0 }

/**
 * iommu_iotlb_gather_add_page: a page of another size, or one disjoint
 * from the gathered range, first flushes what is gathered (`flush` is
 * iommu_iotlb_sync); returns the new gather.
 */
export function gatherAddPage(g: Gather, iova: number, size: number, flush: (g: Gather) => void): Gather {
  const end = iova + size - 1
  const disjoint = g.end !== 0 && (end + 1 < g.start || iova > g.end + 1)
  let cur = g
  if ((cur.pgsize && cur.pgsize !== size) || disjoint) {
    flush(cur)
    cur = EMPTY_GATHER
  }
  return { pgsize: size, start: Math.min(cur.start, iova), end: Math.max(cur.end, end) }
}
