import { FRAME_SIZE, PhysMem } from '../mem/physmem'
import type { JRecord } from './journal'

/**
 * Checkpoints by diff, in levels, so that reaching any cursor from any other
 * applies a bounded amount of work (DESIGN.md "The journal": "checkpoints
 * every N entries make far jumps cheap").
 *
 * A block is the net effect of a run of records: for every journaled-map key
 * it touched, the value before and after; for every memory frame it touched,
 * the frame's bytes before and after. Level 1 blocks cover `block` records,
 * level L+1 blocks cover `fanout` level-L blocks. Applying a block forwards
 * (or backwards, with the old values) jumps over it in one go, so a seek is
 * at most block - 1 single records at each end plus at most fanout - 1 blocks
 * per level.
 *
 * Memory stays proportional to change, never to RAM: for each frame a block
 * wrote, it keeps only the bytes between the first and the last byte written
 * (before and after); keys and frames a block did not touch cost nothing.
 */

/**
 * Records per level-1 block. A seek applies at most this many single records
 * at each end; at a few microseconds per record that stays far below a
 * frame (16 ms), while the blocks' memory stays a small fraction of the
 * journal's.
 */
export const DEFAULT_BLOCK = 256
/** Blocks of level L per block of level L + 1. */
export const DEFAULT_FANOUT = 16

/** One key's net change over a block: [map, key, old, new] (`undefined` is "absent"). */
export type KeyDelta = readonly [map: number, key: string | number, old: unknown, value: unknown]

/** One frame's net change over a block: bytes [pa, pa + old.length) before and after. */
export interface FrameDelta {
  readonly pa: number
  readonly old: Uint8Array
  readonly value: Uint8Array
}

export interface Block {
  readonly keys: readonly KeyDelta[]
  readonly frames: readonly FrameDelta[]
}

/** The state a block applies to: what ReplayState holds. */
export interface BlockTarget {
  readonly mem: PhysMem
  readonly maps: Map<string | number, unknown>[]
}

function setOrDelete(m: Map<string | number, unknown>, key: string | number, v: unknown): void {
  if (v === undefined) m.delete(key)
  else m.set(key, v)
}

/** Apply a single record's changes forwards (new values) or backwards (old values, in reverse order). */
export function applyRecord(t: BlockTarget, rec: JRecord, forward: boolean): void {
  const mem = rec.mem
  if (mem) {
    if (forward) for (const m of mem) t.mem.poke(m.pa, m.value)
    else for (let k = mem.length - 1; k >= 0; k--) t.mem.poke(mem[k].pa, mem[k].old)
  }
  const ch = rec.changes
  if (ch) {
    if (forward) for (const c of ch) setOrDelete(t.maps[c[0]], c[1], c[3])
    else for (let k = ch.length - 1; k >= 0; k--) setOrDelete(t.maps[ch[k][0]], ch[k][1], ch[k][2])
  }
}

/** Apply a block's net effect. Order inside a block does not matter: each key and frame appears once. */
export function applyBlock(t: BlockTarget, b: Block, forward: boolean): void {
  for (const f of b.frames) t.mem.poke(f.pa, forward ? f.value : f.old)
  for (const [id, key, old, value] of b.keys) setOrDelete(t.maps[id], key, forward ? value : old)
}

type KeyAcc = Map<number, Map<string | number, [old: unknown, value: unknown]>>

function accumulateKey(acc: KeyAcc, id: number, key: string | number, old: unknown, value: unknown): void {
  let m = acc.get(id)
  if (!m) acc.set(id, (m = new Map<string | number, [old: unknown, value: unknown]>()))
  const prev = m.get(key)
  if (prev) prev[1] = value
  else m.set(key, [old, value])
}

function keyDeltas(acc: KeyAcc): KeyDelta[] {
  const out: KeyDelta[] = []
  for (const [id, m] of acc) for (const [key, [old, value]] of m) if (old !== value) out.push([id, key, old, value])
  return out
}

/** Level L+1 keys from the level-L blocks they cover (the first "old" and the last "new" win). */
function composeKeys(children: readonly Block[]): KeyDelta[] {
  const acc: KeyAcc = new Map()
  for (const b of children) for (const [id, key, old, value] of b.keys) accumulateKey(acc, id, key, old, value)
  return keyDeltas(acc)
}

/**
 * A frame touched by the open block of one level: the frame's bytes when
 * the block first touched it (a temporary full copy, shared between levels
 * and dropped when the block closes) and the range of bytes written since.
 */
interface OpenFrame {
  readonly base: number
  readonly image: Uint8Array
  lo: number
  hi: number
}

/** What a build can take over from an earlier one whose records [0, upTo) are the same. */
export interface CheckpointReuse {
  readonly from: Checkpoints
  /** Records [0, upTo) are identical in both journals. */
  readonly upTo: number
}

export interface CheckpointOptions {
  /** Records per level-1 block (default DEFAULT_BLOCK). */
  readonly block?: number
  /** Blocks per block of the next level (default DEFAULT_FANOUT). */
  readonly fanout?: number
  readonly reuse?: CheckpointReuse
}

/**
 * The blocks of one finished journal. Building replays the journal once;
 * blocks only ever cover complete runs of records, so a journal's tail
 * shorter than a block is reached record by record.
 */
export class Checkpoints {
  /** levels[L - 1][b]: block b of level L, covering [b * blockSize(L), (b + 1) * blockSize(L)). */
  readonly levels: Block[][] = []

  private constructor(
    readonly records: number,
    readonly block: number,
    readonly fanout: number,
  ) {}

  /** Records covered by one block of `level` (level 0: one record). */
  blockSize(level: number): number {
    return level === 0 ? 1 : this.block * this.fanout ** (level - 1)
  }

  /**
   * Build the blocks for `records` (a finished journal: spans closed).
   * With `reuse`, level-1 blocks wholly inside the shared prefix are taken
   * from the earlier build rather than recomputed.
   */
  static build(records: readonly JRecord[], mapCount: number, ram: { base: number; size: number }, opts: CheckpointOptions = {}): Checkpoints {
    const block = Math.max(1, Math.trunc(opts.block ?? DEFAULT_BLOCK))
    const fanout = Math.max(2, Math.trunc(opts.fanout ?? DEFAULT_FANOUT))
    const reuse = opts.reuse && opts.reuse.from.block === block && opts.reuse.from.fanout === fanout ? opts.reuse : undefined
    const cp = new Checkpoints(records.length, block, fanout)
    const n = records.length
    // Level L exists while there is at least one whole block of it, and level L - 1 has `fanout` blocks.
    let levels = 0
    while (Math.floor(n / cp.blockSize(levels + 1)) >= 1 && (levels === 0 || Math.floor(n / cp.blockSize(levels)) >= fanout)) levels++
    for (let L = 0; L < levels; L++) cp.levels.push([])
    const state: BlockTarget = {
      mem: new PhysMem(ram.base, ram.size),
      maps: Array.from({ length: mapCount }, () => new Map<string | number, unknown>()),
    }
    const ramEnd = ram.base + ram.size
    /** open[L - 1]: frames touched so far by the open block of level L, by frame number. */
    const open = Array.from({ length: levels }, () => new Map<number, OpenFrame>())
    const keys: KeyAcc = new Map()
    /**
     * reusable[L - 1]: blocks of level L wholly inside the shared prefix, taken
     * from the earlier build as they are (their open frames need no tracking).
     */
    const reusable = cp.levels.map((_, k) => (reuse ? Math.min(Math.floor(reuse.upTo / cp.blockSize(k + 1)), reuse.from.levels[k]?.length ?? 0) : 0))
    /** Index of the record being applied: which block of each level is open. */
    let i = 0

    /** Before bytes [pa, pa + len) change: note the range in every open block from level `from` up. */
    const touch = (pa: number, len: number, from: number): void => {
      let a = pa
      const end = pa + len
      while (a < end) {
        const fn = Math.floor(a / FRAME_SIZE)
        const fEnd = Math.min((fn + 1) * FRAME_SIZE, end)
        let image: OpenFrame | undefined
        for (let L = from; L <= levels; L++) {
          if (Math.floor(i / cp.blockSize(L)) < reusable[L - 1]) continue
          const o = open[L - 1].get(fn)
          if (o) {
            o.lo = Math.min(o.lo, a)
            o.hi = Math.max(o.hi, fEnd)
            continue
          }
          if (!image) {
            const base = Math.max(fn * FRAME_SIZE, ram.base)
            image = { base, image: state.mem.readBytes(base, Math.min((fn + 1) * FRAME_SIZE, ramEnd) - base), lo: a, hi: fEnd }
          }
          open[L - 1].set(fn, { ...image })
        }
        a = fEnd
      }
    }

    /** Close the block of level L that ends at record `at`: keep only the bytes that changed. */
    const close = (L: number): void => {
      const level = cp.levels[L - 1]
      if (level.length < reusable[L - 1]) {
        level.push(reuse!.from.levels[L - 1][level.length])
        if (L === 1) keys.clear()
        return
      }
      const frames: FrameDelta[] = []
      for (const o of open[L - 1].values()) {
        const old = o.image.slice(o.lo - o.base, o.hi - o.base)
        const value = state.mem.readBytes(o.lo, o.hi - o.lo)
        if (old.some((x, k) => x !== value[k])) frames.push({ pa: o.lo, old, value })
      }
      open[L - 1].clear()
      const ks = L === 1 ? keyDeltas(keys) : composeKeys(cp.levels[L - 2].slice(level.length * fanout, (level.length + 1) * fanout))
      if (L === 1) keys.clear()
      level.push({ keys: ks, frames })
    }

    const closeEnded = (at: number, from: number): void => {
      for (let L = from; L <= levels; L++) {
        if (at % cp.blockSize(L) !== 0) break
        close(L)
      }
    }

    const prev = reuse?.from.levels[0]
    if (reuse && prev && levels > 0) {
      // Level-1 blocks wholly inside the shared prefix are the same: take them; the open
      // blocks of higher levels that are not taken whole still learn what they touched.
      // The replica state crosses the largest reusable block at each point (its net effect), so a
      // long shared prefix costs a few applications, not one per level-1 block.
      const shared = Math.min(reusable[0], Math.floor(n / block))
      const end = shared * block
      while (i < end) {
        let L = 1
        while (L < levels && i % cp.blockSize(L + 1) === 0 && i / cp.blockSize(L + 1) < reusable[L] && i + cp.blockSize(L + 1) <= end) L++
        const size = cp.blockSize(L)
        const blk = reuse.from.levels[L - 1][i / size]
        for (const f of blk.frames) touch(f.pa, f.value.length, L + 1)
        applyBlock(state, blk, true)
        for (const stop = i + size; i < stop; ) {
          cp.levels[0].push(prev[i / block])
          i += block
          closeEnded(i, 2)
        }
      }
    }

    const whole = levels > 0 ? Math.floor(n / block) * block : 0
    for (; i < whole; i++) {
      const rec = records[i]
      if (rec.mem) for (const m of rec.mem) touch(m.pa, m.value.length, 1)
      if (rec.changes) for (const [id, key, old, value] of rec.changes) accumulateKey(keys, id, key, old, value)
      applyRecord(state, rec, true)
      closeEnded(i + 1, 1)
    }
    return cp
  }

  /** The largest block of level ≥ 1 that starts at `at` and ends at or before `limit`. */
  forwardBlock(at: number, limit: number): { block: Block; size: number } | undefined {
    for (let L = this.levels.length; L >= 1; L--) {
      const s = this.blockSize(L)
      if (at % s !== 0 || at + s > limit) continue
      const blk = this.levels[L - 1][at / s]
      if (blk) return { block: blk, size: s }
    }
    return undefined
  }

  /** The largest block of level ≥ 1 that ends at `at` and starts at or after `limit`. */
  backwardBlock(at: number, limit: number): { block: Block; size: number } | undefined {
    for (let L = this.levels.length; L >= 1; L--) {
      const s = this.blockSize(L)
      if (at % s !== 0 || at - s < limit) continue
      const blk = this.levels[L - 1][at / s - 1]
      if (blk) return { block: blk, size: s }
    }
    return undefined
  }

  /** Bytes of memory images held by the blocks of every level. */
  get frameBytes(): number {
    let n = 0
    for (const level of this.levels) for (const blk of level) for (const f of blk.frames) n += f.old.length + f.value.length
    return n
  }
}
