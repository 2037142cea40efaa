/**
 * The identity map's memory, measured in a process of its own (bench/idmap.ts
 * starts it with --expose-gc and a small young generation): the growth of
 * V8's heap plus ArrayBuffer memory over a full GC taken just before the
 * build, sampled after every 4 KiB the build writes; then what is left after
 * another full GC. Prints one JSON line (IdmapMemory).
 */
import type { Actor, JRecord } from '../engine/journal/journal'
import { PhysMem } from '../engine/mem/physmem'
import { buildIdmap, CARVE, type IdmapMemory } from './idmap'

declare const gc: () => void

function used(): number {
  const u = process.memoryUsage()
  return u.heapUsed + u.arrayBuffers
}

class SamplingMem extends PhysMem {
  peak = 0
  samples = 0
  from = 0
  override writeBytes(pa: number, bytes: Uint8Array, actor: Actor, rec?: JRecord): boolean {
    const r = super.writeBytes(pa, bytes, actor, rec)
    this.samples++
    this.peak = Math.max(this.peak, used() - this.from)
    return r
  }
}

/**
 * A full GC whose ArrayBuffer memory is really gone: V8 frees backing stores
 * on a concurrent sweeper, so memoryUsage() can still count them right after
 * gc() returns. Collect until the figure stops falling.
 */
async function settle(): Promise<number> {
  let last = Infinity
  for (let k = 0; k < 20; k++) {
    gc()
    await new Promise((r) => setTimeout(r, 20))
    const now = used()
    if (now >= last - 4096) return now
    last = now
  }
  return last
}

// A warm-up build, so the compiled code and the modules are not counted.
buildIdmap(false)
let sampler: SamplingMem | undefined
const from = await settle()
const b = buildIdmap(false, (j) => {
  sampler = new SamplingMem(CARVE.base, CARVE.size, j)
  sampler.from = from
  return sampler
})
const retained = (await settle()) - from
const s = sampler!
const out: IdmapMemory = { tableBytes: b.tablePages * 4096, peakBytes: s.peak, retainedBytes: retained, samples: s.samples }
console.log(JSON.stringify(out))
