/**
 * Translation limits (issue 2): a nested TLB miss against the 24 descriptor
 * reads of a 4-level x 4-level walk from this memory model (PhysMem.load64);
 * a TLB hit against one Map lookup with a number key.
 *
 * Stability: the engine and its limit are timed in alternating rounds and
 * the ratio is the median of the per-round ratios, so a background load that
 * comes and goes (two CPUs shared with other work) slows both sides of a
 * pair rather than one figure of the run. These run first in `npm run bench`,
 * before anything allocates heavily.
 */
import { resolve } from '../engine/smmu/translate'
import { buildNested, IOVA, PAGES, READ, SID } from './nested'
import { median, row, type Row } from './rows'

const ROUNDS = 15

let sink = 0
/** Always 0; see limitMiss. */
let zero = 0

/** Calls per second of one timed round of `n` calls. */
function once(fn: () => void, n: number): number {
  const t0 = performance.now()
  for (let i = 0; i < n; i++) fn()
  return n / ((performance.now() - t0) / 1000)
}

/** Median rates of `fn` and `limit`, and the median of their per-round ratios (limit / fn). */
function paired(fn: () => void, n: number, limit: () => void, nLimit: number): { rate: number; limit: number; ratio: number } {
  for (let i = 0; i < n; i++) fn()
  for (let i = 0; i < nLimit; i++) limit()
  const rates: number[] = []
  const limits: number[] = []
  const ratios: number[] = []
  for (let r = 0; r < ROUNDS; r++) {
    zero = sink & 0
    const l = once(limit, nLimit)
    const v = once(fn, n)
    rates.push(v)
    limits.push(l)
    ratios.push(l / v)
  }
  return { rate: median(rates), limit: median(limits), ratio: median(ratios) }
}

export function benchTranslations(): Row[] {
  const rows: Row[] = []
  const iova = BigInt(IOVA)
  const miss = buildNested({ journal: false, tlbEntries: 0 })
  const addrs = miss.descriptors
  // A walk's reads are dependent (each address comes from the previous
  // descriptor), so the limit chains them too: the next address depends on
  // the value just read. `zero` is 0 at run time and must stay unknown to the
  // compiler: it is a module variable rewritten every round. (A `const` here
  // was folded by TurboFan's context specialization, breaking the chain: the
  // limit then timed 24 independent reads, about 400 ns where 24 chained ones
  // take about 650 ns on this machine.)
  zero = sink & 0
  const limitMiss = () => {
    let v = 0
    for (let k = 0; k < 24; k++) v = miss.mem.load64(addrs[k] + (v & zero))
    sink ^= v
  }
  const map = new Map<number, { pa: number }>()
  for (let k = 0; k < 256; k++) map.set(0x808_0600 + k, { pa: k })
  let key = 0x808_0604
  const limitHit = () => {
    sink ^= map.get(key)!.pa
    key ^= 1
  }

  for (const journal of [false, true]) {
    // Misses: a 64-entry IOTLB and 1024 pages visited in turn, so each
    // translation walks (24 reads) and inserts, evicting the oldest entry.
    const m = buildNested({ journal, tlbEntries: 64 })
    const h = buildNested({ journal, tlbEntries: 256 })
    // A journal that grows without end measures the allocator, not the engine: start afresh now and then.
    const trim = (b: typeof m) => { if (b.j.records.length > 200_000) b.j.records.length = 0 }
    // Journal off: the SMMU's translation core (`resolve`: configuration,
    // IOTLB, walk, caching, fault events) with the IOVA as 32-bit halves, the
    // way the device path calls it below the DMA API's bigint and outcome
    // object. Journal on: the whole DMA API, every record included.
    const req = { sid: SID, iova, access: READ }
    const hi = Math.floor(IOVA / 2 ** 32)
    const lo = IOVA >>> 0
    const one = journal ? (b: typeof m) => b.smmu.dma(req).pa! : (b: typeof m) => resolve(b.smmu, req, hi, lo)
    let page = 0
    const missOne = () => {
      page = (page + 1) % PAGES
      const a = IOVA + page * 4096
      if (journal) return m.smmu.dma({ ...req, iova: BigInt(a) }).pa!
      return resolve(m.smmu, req, hi, a >>> 0)
    }
    const nMiss = journal ? 5_000 : 20_000
    const nHit = journal ? 50_000 : 500_000
    // Only a journal grows; with it off the timed call is the translation alone.
    const mr = paired(journal ? () => { sink ^= missOne(); trim(m) } : () => { sink ^= missOne() }, nMiss, limitMiss, 20_000)
    one(h)
    const hr = paired(journal ? () => { sink ^= one(h); trim(h) } : () => { sink ^= one(h) }, nHit, limitHit, 2_000_000)
    const tag = journal ? 'journal on' : 'journal off'
    const note = journal ? 'reported, no target: every read, hit and insert is a journal record' : undefined
    rows.push(row({ name: `nested_miss (${tag})`, value: mr.rate, unit: 'translations/s', limit: mr.limit, ratio: mr.ratio, target: journal ? null : 2, note: note ?? '24 chained PhysMem.load64 per translation' }))
    rows.push(row({ name: `tlb_hit (${tag})`, value: hr.rate, unit: 'translations/s', limit: hr.limit, ratio: hr.ratio, target: journal ? null : 3, note: note ?? 'one Map.get with a number key' }))
  }
  if (sink === 0.5) rows.length = 0
  return rows
}
