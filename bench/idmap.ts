/**
 * Identity-map build benchmark (issue 4): 8 GiB of host memory at 4K pages
 * (2M page leaves in 4096 level-3 tables, plus the MMIO blocks of a 48-bit
 * space) against two limits measured in the same run:
 * - time: writing the same descriptor bytes into one typed array (target ≤ 5×);
 * - memory: peak growth during the build against the page-table bytes, after
 *   a stated fixed overhead (target ≤ 1.5×).
 * Both figures are with the journal off (the engine's work); the journal-on
 * time is reported beside them. With the journal on, each 4 KiB table write
 * also keeps its old and new bytes (PhysMem.writeBytes), so the journal
 * holds 2× the table bytes by design: that is the undo history, not the build.
 *
 * Memory is sampled in a child process of its own (bench/idmap-mem.ts),
 * started with --expose-gc and a small young generation, so neither the
 * earlier benchmarks' garbage nor a large nursery hides in the peak.
 */
import { spawnSync } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { IdentityMap } from '../engine/hyp/idmap'
import { Hypercalls } from '../engine/hyp/hypercalls'
import { Ownership, type MemRange } from '../engine/hyp/ownership'
import { HypPool, iommuPoolPages } from '../engine/hyp/pool'
import { Journal } from '../engine/journal/journal'
import { PhysMem } from '../engine/mem/physmem'
import { median, row, type Row } from './rows'

/**
 * What a build of 0 bytes would still show in the sampled peak: V8's young
 * generation in the measuring process (started with semi-spaces of
 * SEMI_SPACE_MIB: a from-space and a to-space) holding short-lived garbage
 * until the next scavenge, however large the build.
 */
export const SEMI_SPACE_MIB = 2
export const IDMAP_FIXED_OVERHEAD = 2 * SEMI_SPACE_MIB * 2 ** 20

export const MEMORY: MemRange = { base: 0x8000_0000, size: 8 * 2 ** 30 }
export const CARVE: MemRange = { base: 0x2_8000_0000, size: 32 * 2 ** 20 }

export interface IdmapBuilt {
  readonly ms: number
  readonly tablePages: number
  readonly pageLeaves: number
  readonly mem: PhysMem
  readonly j: Journal
}

/** One identity-map build of MEMORY, as pKVM boots it (carve-out taken, pool sized by the series' formula). */
export function buildIdmap(journal: boolean, makeMem?: (j: Journal) => PhysMem): IdmapBuilt {
  const j = new Journal(journal)
  const mem = makeMem ? makeMem(j) : new PhysMem(CARVE.base, CARVE.size, j)
  const memory = [MEMORY, CARVE]
  const own = new Ownership(j, { memory, pageShift: 12 })
  new Hypercalls(j, own).hypCarveOut(CARVE.base, CARVE.size / 4096)
  const pool = new HypPool({ journal: j, base: CARVE.base, pages: iommuPoolPages(memory, 12), pageShift: 12 })
  const idmap = new IdentityMap({ journal: j, mem, pool, own, smmus: [{ oas: 48, pgsizes: [12, 21, 30] }], version: 'v6' })
  const t0 = performance.now()
  const res = idmap.build()
  const ms = performance.now() - t0
  return { ms, tablePages: res.tablePages, pageLeaves: res.pageLeaves, mem, j }
}

let sink = 0

/** The limit: the same number of descriptor bytes, descriptor by descriptor, into one typed array. */
function typedArrayWrite(tableBytes: number): number {
  const t0 = performance.now()
  const words = new Uint32Array(tableBytes / 4)
  const lo = 0x7c3
  for (let i = 0, pa = MEMORY.base; i < words.length; i += 2, pa += 4096) {
    words[i] = (lo | (pa >>> 0)) >>> 0
    words[i + 1] = Math.floor(pa / 0x1_0000_0000)
  }
  sink ^= words[words.length - 2]
  return performance.now() - t0
}

/** What bench/idmap-mem.ts prints. */
export interface IdmapMemory {
  readonly tableBytes: number
  readonly peakBytes: number
  readonly retainedBytes: number
  readonly samples: number
}

function measureMemory(): IdmapMemory {
  const file = fileURLToPath(new URL('./idmap-mem.ts', import.meta.url))
  const cwd = fileURLToPath(new URL('..', import.meta.url))
  const r = spawnSync(process.execPath, ['--import', 'tsx', '--expose-gc', `--max-semi-space-size=${SEMI_SPACE_MIB}`, file], { encoding: 'utf8', cwd })
  if (r.status !== 0) throw new Error(`idmap memory measurement failed: ${r.stderr}`)
  return JSON.parse(r.stdout.trim().split('\n').pop()!) as IdmapMemory
}

/**
 * Time: median of `rounds` builds and `rounds` typed-array writes, taken in
 * alternating rounds, the ratio the median of the per-round ratios. (Best-of
 * favours the typed array, whose rounds reuse freed memory without page
 * faults.) Memory: peak and retained growth from the child process.
 */
export function benchIdmap(rounds = 9): Row[] {
  buildIdmap(false)
  const times: number[] = []
  const limits: number[] = []
  const ratios: number[] = []
  const journaled: number[] = []
  let tableBytes = 0
  let records = 0
  for (let r = 0; r < rounds; r++) {
    const b = buildIdmap(false)
    tableBytes = b.tablePages * 4096
    const l = typedArrayWrite(tableBytes)
    times.push(b.ms)
    limits.push(l)
    ratios.push(b.ms / l)
    if (r < 3) {
      const bj = buildIdmap(true)
      journaled.push(bj.ms)
      records = bj.j.length
    }
  }
  const m = measureMemory()
  const mib = (n: number) => `${(n / 2 ** 20).toFixed(1)} MiB`
  const fixed = IDMAP_FIXED_OVERHEAD
  const rows: Row[] = [
    row({ name: 'idmap_8g time (journal off)', value: median(times), unit: 'ms', limit: median(limits), ratio: median(ratios) + (sink === 0.5 ? 1 : 0), target: 5, note: `${tableBytes / 4096} table pages (${mib(tableBytes)}) vs the same bytes into one Uint32Array` }),
    row({ name: 'idmap_8g time (journal on)', value: median(journaled), unit: 'ms', limit: median(limits), ratio: median(journaled) / median(limits), note: `${records} records: one mem.write per 4 KiB table, old and new bytes kept` }),
    row({ name: 'idmap_8g peak memory', value: m.peakBytes, unit: 'bytes', limit: m.tableBytes, ratio: Math.max(0, m.peakBytes - fixed) / m.tableBytes, target: 1.5, note: `(peak - ${mib(fixed)} fixed) / table bytes; ${m.samples} samples, one per 4 KiB written` }),
    row({ name: 'idmap_8g retained memory', value: m.retainedBytes, unit: 'bytes', limit: m.tableBytes, ratio: m.retainedBytes / m.tableBytes, note: 'after a full GC: the frames, pool and ownership state the build keeps' }),
  ]
  return rows
}

if (import.meta.url === `file://${process.argv[1]}`) console.log(benchIdmap())
