/**
 * npm run bench: each figure beside the limit it is measured against, in
 * the same run. Prints one table and writes bench-results.json.
 *
 * Translation limits (issue 2): a nested TLB miss against the 24 descriptor
 * reads of a 4-level x 4-level walk from this memory model (PhysMem.load64);
 * a TLB hit against one Map lookup with a number key.
 */
import { writeFileSync } from 'node:fs'
import { run } from '../engine/smmu/translate'
import { buildNested, IOVA, PAGES, READ, SID } from './nested'

interface Row {
  readonly name: string
  readonly value: number
  readonly unit: string
  readonly limit?: number
  /** How many times slower than the limit (1 = at the limit). */
  readonly ratio?: number
  readonly target?: number
  readonly note?: string
}

/** Operations per second: median of rounds, each timing `n` calls. */
function rate(fn: () => void, n: number, rounds = 7): number {
  for (let i = 0; i < n; i++) fn() // warm up
  const rates: number[] = []
  for (let r = 0; r < rounds; r++) {
    const t0 = performance.now()
    for (let i = 0; i < n; i++) fn()
    const dt = performance.now() - t0
    rates.push(n / (dt / 1000))
  }
  rates.sort((a, b) => a - b)
  return rates[rates.length >> 1]
}

let sink = 0

function translations(): Row[] {
  const rows: Row[] = []
  const iova = BigInt(IOVA)
  // Limits, measured on the same memory and descriptor addresses.
  const miss = buildNested({ journal: false, tlbEntries: 0 })
  const addrs = miss.descriptors
  // A walk's reads are dependent (each address comes from the previous
  // descriptor), so the limit chains them too: the next address depends on
  // the value just read (`zero` is 0 at run time, unknown to the compiler).
  const zero = sink & 0
  const limitMiss = rate(() => {
    let v = 0
    for (let k = 0; k < 24; k++) v = miss.mem.load64(addrs[k] + (v & zero))
    sink ^= v
  }, 20_000)
  const map = new Map<number, { pa: number }>()
  for (let k = 0; k < 256; k++) map.set(0x808_0600 + k, { pa: k })
  let key = 0x808_0604
  const limitHit = rate(() => {
    sink ^= map.get(key)!.pa
    key ^= 1
  }, 2_000_000)

  for (const journal of [false, true]) {
    // Misses: a 64-entry IOTLB and 1024 pages visited in turn, so each
    // translation walks (24 reads) and inserts, evicting the oldest entry.
    const m = buildNested({ journal, tlbEntries: 64 })
    const h = buildNested({ journal, tlbEntries: 256 })
    // A journal that grows without end measures the allocator, not the engine: start each round afresh.
    const trim = (b: typeof m) => { if (b.j.records.length > 200_000) b.j.records.length = 0 }
    // The device path below the DMA API's bigint: the IOVA as 32-bit halves, as the SMMU core takes it.
    const req = { sid: SID, iova, access: READ }
    const hi = Math.floor(IOVA / 2 ** 32)
    const lo = IOVA >>> 0
    const one = journal ? (b: typeof m) => b.smmu.dma(req).pa! : (b: typeof m) => run(b.smmu, req, hi, lo).pa!
    let page = 0
    const missReq = { sid: SID, iova, access: READ }
    const missOne = () => {
      page = (page + 1) % PAGES
      const a = IOVA + page * 4096
      if (journal) return m.smmu.dma({ ...missReq, iova: BigInt(a) }).pa!
      return run(m.smmu, missReq, hi, a >>> 0).pa!
    }
    const missRate = rate(() => { sink ^= missOne(); trim(m) }, journal ? 5_000 : 20_000)
    one(h)
    const hitRate = rate(() => { sink ^= one(h); trim(h) }, journal ? 50_000 : 500_000)
    const tag = journal ? 'journal on' : 'journal off'
    rows.push({ name: `nested_miss (${tag})`, value: missRate, unit: 'translations/s', limit: limitMiss, ratio: limitMiss / missRate, target: journal ? undefined : 2 })
    rows.push({ name: `tlb_hit (${tag})`, value: hitRate, unit: 'translations/s', limit: limitHit, ratio: limitHit / hitRate, target: journal ? undefined : 3 })
  }
  return rows
}

function fmt(v: number): string {
  return v >= 1e6 ? `${(v / 1e6).toFixed(2)} M` : v >= 1e3 ? `${(v / 1e3).toFixed(1)} k` : v.toFixed(1)
}

const rows = translations()
const lines = [
  ['benchmark', 'value', 'limit', 'ratio', 'target', 'ok'],
  ...rows.map((r) => [
    r.name,
    `${fmt(r.value)} ${r.unit}`,
    r.limit !== undefined ? `${fmt(r.limit)} ${r.unit}` : '',
    r.ratio !== undefined ? `${r.ratio.toFixed(2)}x` : '',
    r.target !== undefined ? `<= ${r.target}x` : '',
    r.target !== undefined && r.ratio !== undefined ? (r.ratio <= r.target ? 'yes' : 'NO') : '',
  ]),
]
const widths = lines[0].map((_, c) => Math.max(...lines.map((l) => l[c].length)))
for (const l of lines) console.log(l.map((cell, c) => cell.padEnd(widths[c])).join('  '))
writeFileSync('bench-results.json', JSON.stringify({ node: process.version, rows }, null, 2) + '\n')
console.log(`\nwrote bench-results.json (${rows.length} figures)${sink === 0.5 ? '' : ''}`)
