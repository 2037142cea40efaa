import type { Actor, Journal, JRecord } from '../journal/journal'

/**
 * Emulated physical memory: sparse 4 KiB frames, little-endian, byte-exact.
 * Only the RAM region exists; an access outside it is an external abort,
 * which the SMMU reports as F_STE_FETCH, F_CD_FETCH, F_WALK_EABT or CERROR_ABT.
 *
 * Frames are Uint32Array (with a Uint8Array view of the same bytes), so the
 * walker's 64-bit descriptor read is two indexed loads after one Map lookup.
 */

export const FRAME_SHIFT = 12
export const FRAME_SIZE = 1 << FRAME_SHIFT

export class BusError extends Error {
  constructor(
    readonly pa: number,
    readonly size: number,
  ) {
    super(`no memory at 0x${pa.toString(16)} (+${size})`)
  }
}

const EMPTY = new Uint32Array(FRAME_SIZE / 4)

export class PhysMem {
  private readonly frames = new Map<number, Uint32Array>()
  /** Upper 32 bits of the last `load64`. */
  hi = 0
  private lastFrame = -1
  private last: Uint32Array = EMPTY

  constructor(
    readonly base: number,
    readonly size: number,
    private readonly j?: Journal,
  ) {}

  contains(pa: number, size = 1): boolean {
    return pa >= this.base && pa + size <= this.base + this.size
  }

  /** Frames that hold non-zero bytes (the replay state compares these). */
  get frameCount(): number {
    return this.frames.size
  }

  private frameFor(pa: number, size: number): Uint32Array {
    if (pa < this.base || pa + size > this.base + this.size) throw new BusError(pa, size)
    const fn = Math.floor(pa / FRAME_SIZE)
    if (fn === this.lastFrame) return this.last
    const f = this.frames.get(fn) ?? EMPTY
    if (f !== EMPTY) {
      this.lastFrame = fn
      this.last = f
    }
    return f
  }

  private frameForWrite(pa: number, size: number): Uint32Array {
    if (pa < this.base || pa + size > this.base + this.size) throw new BusError(pa, size)
    const fn = Math.floor(pa / FRAME_SIZE)
    if (fn === this.lastFrame) return this.last
    let f = this.frames.get(fn)
    if (!f) {
      f = new Uint32Array(FRAME_SIZE / 4)
      this.frames.set(fn, f)
    }
    this.lastFrame = fn
    this.last = f
    return f
  }

  /** Aligned 32-bit read. */
  read32(pa: number): number {
    if (pa % 4) return this.readBytesLE(pa, 4)
    return this.frameFor(pa, 4)[(pa % FRAME_SIZE) >>> 2]
  }

  /**
   * Aligned 64-bit read as halves: returns bits 31:0 and leaves bits 63:32 in
   * `this.hi`. Allocation-free: the walker's descriptor fetch.
   */
  load64(pa: number): number {
    if (pa % 8) throw new RangeError(`unaligned 64-bit read at 0x${pa.toString(16)}`)
    const f = this.frameFor(pa, 8)
    const i = (pa % FRAME_SIZE) >>> 2
    this.hi = f[i + 1]
    return f[i]
  }

  read64(pa: number): bigint {
    const lo = this.load64(pa)
    return (BigInt(this.hi) << 32n) | BigInt(lo)
  }

  /** `n` 64-bit words starting at pa (STE, CD, command, event). */
  readWords(pa: number, n: number): bigint[] {
    const out: bigint[] = []
    for (let i = 0; i < n; i++) out.push(this.read64(pa + i * 8))
    return out
  }

  readBytes(pa: number, len: number): Uint8Array {
    const out = new Uint8Array(len)
    let done = 0
    while (done < len) {
      const a = pa + done
      const off = a % FRAME_SIZE
      const n = Math.min(len - done, FRAME_SIZE - off)
      const f = this.frameFor(a, n)
      out.set(new Uint8Array(f.buffer, f.byteOffset + off, n), done)
      done += n
    }
    return out
  }

  private readBytesLE(pa: number, n: number): number {
    const b = this.readBytes(pa, n)
    let v = 0
    for (let i = n - 1; i >= 0; i--) v = v * 256 + b[i]
    return v
  }

  /**
   * Write bytes, journaled (old and new bytes; a no-op write records
   * nothing). Returns whether anything changed.
   */
  writeBytes(pa: number, bytes: Uint8Array, actor: Actor, rec?: JRecord): boolean {
    // Validate the whole range first: a failing write changes nothing.
    if (!this.contains(pa, bytes.length)) throw new BusError(pa, bytes.length)
    if (!this.j?.enabled) return this.store(pa, bytes)
    const old = this.readBytes(pa, bytes.length)
    let same = true
    for (let i = 0; i < bytes.length; i++) if (old[i] !== bytes[i]) { same = false; break }
    if (same) return false
    this.poke(pa, bytes)
    this.j?.memChange({ pa, old, value: bytes.slice() }, actor, rec)
    return true
  }

  write32(pa: number, v: number, actor: Actor, rec?: JRecord): boolean {
    const b = new Uint8Array(4)
    new DataView(b.buffer).setUint32(0, v >>> 0, true)
    return this.writeBytes(pa, b, actor, rec)
  }

  write64(pa: number, v: bigint, actor: Actor, rec?: JRecord): boolean {
    const b = new Uint8Array(8)
    new DataView(b.buffer).setBigUint64(0, BigInt.asUintN(64, v), true)
    return this.writeBytes(pa, b, actor, rec)
  }

  writeWords(pa: number, words: readonly bigint[], actor: Actor, rec?: JRecord): boolean {
    const b = new Uint8Array(words.length * 8)
    const dv = new DataView(b.buffer)
    words.forEach((w, i) => dv.setBigUint64(i * 8, BigInt.asUintN(64, w), true))
    return this.writeBytes(pa, b, actor, rec)
  }

  /**
   * The journal-off write: compare in place and store from the first
   * differing byte, with no copy of the old or the new bytes (the identity
   * map's bulk build writes gigabytes' worth of tables this way). A frame
   * that does not exist reads as zeros and is created only when a non-zero
   * byte lands in it, as the journaled path would create it.
   */
  private store(pa: number, bytes: Uint8Array): boolean {
    let changed = false
    let done = 0
    while (done < bytes.length) {
      const a = pa + done
      const off = a % FRAME_SIZE
      const n = Math.min(bytes.length - done, FRAME_SIZE - off)
      const f = this.frameFor(a, n)
      const cur = new Uint8Array(f.buffer, f.byteOffset + off, n)
      let k = 0
      while (k < n && cur[k] === bytes[done + k]) k++
      if (k < n) {
        const w = f === EMPTY ? this.frameForWrite(a, n) : f
        new Uint8Array(w.buffer, w.byteOffset + off + k, n - k).set(bytes.subarray(done + k, done + n))
        changed = true
      }
      done += n
    }
    return changed
  }

  /** Unjournaled store (replay, and bulk builders that journal compactly themselves). */
  poke(pa: number, bytes: Uint8Array): void {
    let done = 0
    while (done < bytes.length) {
      const a = pa + done
      const off = a % FRAME_SIZE
      const n = Math.min(bytes.length - done, FRAME_SIZE - off)
      const f = this.frameForWrite(a, n)
      new Uint8Array(f.buffer, f.byteOffset + off, n).set(bytes.subarray(done, done + n))
      done += n
    }
  }

  /** Non-zero frames as [frame number, bytes] (for replay comparison and views). */
  *dump(): IterableIterator<[number, Uint8Array]> {
    for (const [fn, f] of this.frames) {
      const b = new Uint8Array(f.buffer, f.byteOffset, FRAME_SIZE)
      if (b.some((x) => x !== 0)) yield [fn, b]
    }
  }
}
