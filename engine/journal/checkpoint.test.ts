import { fc, test } from '@fast-check/vitest'
import { describe, expect } from 'vitest'
import { FRAME_SIZE, PhysMem } from '../mem/physmem'
import { Checkpoints, type Block } from './checkpoint'
import { Journal } from './journal'
import { ReplayState } from './replay'

const RAM = { base: 0x8000_0000, size: 8 * FRAME_SIZE }

/** One step of a synthetic run: a register set/delete, or a memory store. */
type Op =
  | { readonly t: 'set'; readonly map: 0 | 1; readonly key: number; readonly value: number }
  | { readonly t: 'del'; readonly map: 0 | 1; readonly key: number }
  | { readonly t: 'mem'; readonly frame: number; readonly off: number; readonly value: number }
  | { readonly t: 'span'; readonly ops: readonly Op[] }

const leaf: fc.Arbitrary<Op> = fc.oneof(
  fc.record({ t: fc.constant('set' as const), map: fc.constantFrom(0 as const, 1 as const), key: fc.integer({ min: 0, max: 5 }), value: fc.integer({ min: 0, max: 3 }) }),
  fc.record({ t: fc.constant('del' as const), map: fc.constantFrom(0 as const, 1 as const), key: fc.integer({ min: 0, max: 5 }) }),
  // Offsets up to FRAME_SIZE - 4 + 3 so some 8-byte stores straddle two frames.
  fc.record({ t: fc.constant('mem' as const), frame: fc.integer({ min: 0, max: 6 }), off: fc.integer({ min: FRAME_SIZE - 12, max: FRAME_SIZE - 1 }), value: fc.integer({ min: 0, max: 2 }) }),
)
const op: fc.Arbitrary<Op> = fc.oneof({ weight: 4, arbitrary: leaf }, { weight: 1, arbitrary: fc.record({ t: fc.constant('span' as const), ops: fc.array(leaf, { maxLength: 6 }) }) })

/** Run the ops on a real journal, journaled maps and memory (the engine's own recording path). */
function record(ops: readonly Op[]) {
  const j = new Journal()
  const mem = new PhysMem(RAM.base, RAM.size, j)
  const maps = [j.map<number, { v: number }>('a', 'smmu'), j.map<number, { v: number }>('b', 'host')]
  const run = (o: Op): void => {
    switch (o.t) {
      case 'set':
        // A fresh object each time, as components replace values (never mutate them).
        return maps[o.map].set(o.key, { v: o.value })
      case 'del':
        return void maps[o.map].delete(o.key)
      case 'mem': {
        const pa = RAM.base + o.frame * FRAME_SIZE + o.off
        if (mem.contains(pa, 8)) mem.write64(pa, BigInt(o.value) * 0x0101_0101_0101_0101n, 'host')
        return
      }
      case 'span':
        return j.span('op', 'scenario', {}, () => o.ops.forEach(run))
    }
  }
  // Every op leaves a record even when it changes nothing, so cursors are dense.
  for (const o of ops) j.span('op', 'scenario', {}, () => run(o))
  return j
}

/** A block as the bytes and keys it changes: [pa, old, new] per byte that differs, keys as they are. */
function effect(b: Block): { keys: Block['keys']; bytes: [number, number, number][] } {
  const bytes: [number, number, number][] = []
  for (const f of b.frames) f.old.forEach((x, k) => x !== f.value[k] && bytes.push([f.pa + k, x, f.value[k]]))
  return { keys: b.keys, bytes: bytes.sort((x, y) => x[0] - y[0]) }
}

function stateOf(r: ReplayState): string {
  const maps = r.maps.map((m) => [...m.entries()].sort((a, b) => Number(a[0]) - Number(b[0])))
  // Frames in address order: which frame was created first is not state.
  const mem = [...r.mem.dump()].sort((a, b) => a[0] - b[0]).map(([fn, b]) => [fn, Buffer.from(b).toString('hex')])
  return JSON.stringify({ maps, mem })
}

describe('checkpoints', () => {
  test.prop([fc.array(op, { minLength: 1, maxLength: 120 }), fc.array(fc.nat(), { minLength: 1, maxLength: 25 }), fc.integer({ min: 1, max: 5 }), fc.integer({ min: 2, max: 3 })])(
    'any sequence of seeks gives the state of a plain replay to that cursor',
    (ops, targets, block, fanout) => {
      const j = record(ops)
      const n = j.length
      const cp = Checkpoints.build(j.records, j.maps.length, RAM, { block, fanout })
      const fast = new ReplayState(j.records, j.maps.length, RAM, cp)
      for (const t of targets) {
        const c = t % (n + 1)
        const plain = new ReplayState(j.records, j.maps.length, RAM)
        plain.seek(c)
        fast.seek(c)
        expect(fast.cursor).toBe(c)
        expect(stateOf(fast)).toBe(stateOf(plain))
      }
    },
  )

  test('a far jump crosses blocks, not records: at most block - 1 records at each end', () => {
    const ops: Op[] = Array.from({ length: 1000 }, (_, i) => ({ t: 'set', map: 0, key: i % 7, value: i % 3 }))
    const j = record(ops)
    const n = j.length // 1000 op spans, each with one `state` record: 2000 records
    expect(n).toBe(2000)
    const cp = Checkpoints.build(j.records, j.maps.length, RAM, { block: 10, fanout: 4 })
    // Levels: 200 blocks of 10, 50 of 40, 12 of 160, 3 of 640; 3 < fanout, so no level 5.
    expect(cp.levels.map((l) => l.length)).toEqual([200, 50, 12, 3])
    // Count what a seek from 3 to 1997 applies by walking the same choices the replay makes.
    let at = 3
    let records = 0
    let blocks = 0
    while (at < 1997) {
      const b = cp.forwardBlock(at, 1997)
      if (b) {
        at += b.size
        blocks++
      } else {
        at++
        records++
      }
    }
    // 3→10 (7 records), 10→40 (3 blocks of 10), 40→160 (3 of 40), 160→640 (3 of 160),
    // 640→1920 (2 of 640), 1920→1960 (1 of 40), 1960→1990 (3 of 10), 1990→1997 (7 records).
    expect(records).toBe(14)
    expect(blocks).toBe(3 + 3 + 3 + 2 + 1 + 3)
  })

  test('memory is kept per byte changed, not per frame of RAM', () => {
    const big = { base: 0, size: 1 << 30 } // 1 GiB: 262144 frames
    const j = new Journal()
    const mem = new PhysMem(big.base, big.size, j)
    // 40 stores to frame 5 only, each a different value.
    for (let i = 1; i <= 40; i++) mem.write64(5 * FRAME_SIZE, BigInt(i), 'host')
    const cp = Checkpoints.build(j.records, 0, big, { block: 4, fanout: 4 })
    // 10 level-1 blocks (4 records each) and 2 level-2 blocks (16 records each; 40 < 64, so no
    // level 3), each holding the 8 bytes before and the 8 bytes after: 12 × 16 bytes.
    expect(cp.levels.map((l) => l.length)).toEqual([10, 2])
    expect(cp.frameBytes).toBe(12 * 16)
  })

  test('a block that puts a frame back as it was keeps no copy and no delta', () => {
    const j = new Journal()
    const mem = new PhysMem(RAM.base, RAM.size, j)
    mem.write64(RAM.base, 1n, 'host')
    mem.write64(RAM.base, 0n, 'host')
    const cp = Checkpoints.build(j.records, 0, RAM, { block: 2 })
    expect(cp.levels[0][0].frames).toEqual([])
  })

  test('reusing a shared prefix gives the same blocks as building from scratch', () => {
    const ops: Op[] = Array.from({ length: 60 }, (_, i) => (i % 3 ? { t: 'set', map: 1, key: i % 4, value: i } : { t: 'mem', frame: i % 5, off: 8 * (i % 9), value: 1 + (i % 2) }))
    const a = record(ops)
    const edited = [...ops.slice(0, 40), { t: 'del', map: 1, key: 2 } as const, ...ops.slice(41)]
    const b = record(edited)
    const cpA = Checkpoints.build(a.records, a.maps.length, RAM, { block: 8, fanout: 2 })
    // Records of the first 40 ops (2 each) are the same in both runs.
    const reused = Checkpoints.build(b.records, b.maps.length, RAM, { block: 8, fanout: 2, reuse: { from: cpA, upTo: 80 } })
    const fresh = Checkpoints.build(b.records, b.maps.length, RAM, { block: 8, fanout: 2 })
    // The first 10 level-1 blocks are the very objects of the earlier build.
    expect(reused.levels[0].slice(0, 10).every((blk, k) => blk === cpA.levels[0][k])).toBe(true)
    const r1 = new ReplayState(b.records, b.maps.length, RAM, reused)
    const r2 = new ReplayState(b.records, b.maps.length, RAM, fresh)
    for (const c of [b.length, 0, 77, 81, 120, 5, b.length]) {
      r1.seek(c)
      r2.seek(c)
      expect(stateOf(r1)).toBe(stateOf(r2))
    }
  })

  test.prop([fc.array(op, { minLength: 1, maxLength: 150 }), fc.nat(), fc.array(op, { maxLength: 60 }), fc.integer({ min: 1, max: 6 }), fc.integer({ min: 2, max: 3 })])(
    'reusing a shared prefix, at every level, gives exactly the blocks of a build from scratch',
    (ops, cut, tail, block, fanout) => {
      const k = cut % (ops.length + 1)
      const a = record(ops)
      const b = record([...ops.slice(0, k), ...tail])
      // Each op is one span: the first k ops are the same records in both (up to the span of op k).
      let upTo = 0
      for (let seen = 0; upTo < b.records.length && seen < k; upTo = b.records[upTo].end ?? upTo + 1) seen++
      const cpA = Checkpoints.build(a.records, a.maps.length, RAM, { block, fanout })
      const reused = Checkpoints.build(b.records, b.maps.length, RAM, { block, fanout, reuse: { from: cpA, upTo } })
      const fresh = Checkpoints.build(b.records, b.maps.length, RAM, { block, fanout })
      // Same net effect per block: the same keys, the same bytes changed (a frame's kept range may
      // be wider in one build, where a write of equal bytes widened it, but only by unchanged bytes).
      expect(reused.levels.map((l) => l.map(effect))).toEqual(fresh.levels.map((l) => l.map(effect)))
      // Blocks of every level wholly inside the prefix are the earlier build's own objects.
      reused.levels.forEach((level, L) => {
        const size = reused.blockSize(L + 1)
        level.forEach((blk, n) => {
          if ((n + 1) * size <= upTo && cpA.levels[L]?.[n]) expect(blk).toBe(cpA.levels[L][n])
        })
      })
    },
  )
})
