import type { Journal, JMap } from '../journal/journal'
import type { PhysMem } from '../mem/physmem'

/**
 * The host kernel's page allocator for what the SMMU driver hands the
 * device: queues, stream and CD tables, io-pgtable tables.
 *
 * Region: the top half of RAM belongs to the host kernel's allocations and
 * is handed out from the top down, so scenario PAs in the low half (where
 * DMA buffers go) never collide with driver structures. Every block is a
 * power-of-two number of pages aligned to its size, as dma_alloc_coherent /
 * alloc_pages return them. Freed blocks are reused first (same size, most
 * recently freed first), so the sequence of addresses is a pure function of
 * the sequence of calls. State lives in a journaled map (time travel restores it).
 */

export class HostAllocError extends Error {}

interface FreeBlock {
  readonly addr: number
  readonly bytes: number
}

export interface AllocRegion {
  readonly base: number
  readonly size: number
}

/** The default region: the top half of RAM (see the class comment). */
export function defaultRegion(mem: PhysMem): AllocRegion {
  const half = Math.floor(mem.size / 2)
  return { base: mem.base + half, size: mem.size - half }
}

export class HostAllocator {
  private readonly state: JMap<string, number | readonly FreeBlock[]>

  constructor(
    j: Journal,
    private readonly mem: PhysMem,
    readonly region: AllocRegion,
    readonly pageSize: number,
  ) {
    this.state = j.map('host.alloc', 'host')
  }

  /** Lowest address handed out so far (the region's top before any allocation). */
  get top(): number {
    const t = this.state.get('top')
    return typeof t === 'number' ? t : this.region.base + this.region.size
  }

  private get free(): readonly FreeBlock[] {
    const f = this.state.get('free')
    return Array.isArray(f) ? (f as readonly FreeBlock[]) : []
  }

  /** Bytes a request really takes: whole pages, rounded up to a power of two. */
  blockSize(bytes: number): number {
    let b = this.pageSize
    while (b < bytes) b *= 2
    return b
  }

  /**
   * Zeroed memory of at least `bytes`, aligned to max(its block size, `align`).
   * Throws HostAllocError when the region is exhausted (callers that can
   * shrink, like queue allocation, catch it).
   */
  alloc(bytes: number, align = 1): number {
    const size = this.blockSize(bytes)
    const al = Math.max(size, align)
    const free = this.free
    for (let i = free.length - 1; i >= 0; i--) {
      const b = free[i]
      if (b.bytes === size && b.addr % al === 0) {
        this.state.set('free', [...free.slice(0, i), ...free.slice(i + 1)])
        this.zero(b.addr, size)
        return b.addr
      }
    }
    const next = this.top - size
    const addr = next - (next % al)
    if (addr < this.region.base) {
      throw new HostAllocError(`host allocator: no room for ${size} bytes below 0x${this.top.toString(16)} (region 0x${this.region.base.toString(16)}+0x${this.region.size.toString(16)})`)
    }
    this.state.set('top', addr)
    this.zero(addr, size)
    return addr
  }

  /** Give a block back (its size as allocated). */
  release(addr: number, bytes: number): void {
    this.state.set('free', [...this.free, { addr, bytes: this.blockSize(bytes) }])
  }

  /** dma_alloc_coherent zeroes; a store of zeros over zeros records nothing. */
  private zero(addr: number, bytes: number): void {
    const chunk = 1 << 16
    const z = new Uint8Array(Math.min(chunk, bytes))
    for (let off = 0; off < bytes; off += chunk) {
      const n = Math.min(chunk, bytes - off)
      const cur = this.mem.readBytes(addr + off, n)
      if (cur.some((x) => x !== 0)) this.mem.writeBytes(addr + off, n === z.length ? z : z.subarray(0, n), 'host')
    }
  }
}
