import { readdirSync } from 'node:fs'
import { fc, test } from '@fast-check/vitest'
import { describe, expect } from 'vitest'
import { builtins, createEngine } from './api'
import { Checkpoints } from './journal/checkpoint'
import { ReplayState } from './journal/replay'
import type { StepDirection, StepKind } from './journal/cursor'

/**
 * Time travel on every built-in scenario: the state at a cursor is the same
 * however it was reached (a jump, a walk of steps, a step back and forth,
 * with or without checkpoints), and equals the live machine's at the end.
 */

// Heavy scenarios take seconds per load: property tests run the light library.
const library = builtins().filter((b) => !b.heavy)

function stateOf(r: ReplayState): string {
  const maps = r.maps.map((m) => [...m.entries()].map(([k, v]) => [String(k), v]).sort((a, b) => (String(a[0]) < String(b[0]) ? -1 : 1)))
  // Frames in address order: which frame was created first is not state.
  const mem = [...r.mem.dump()].sort((a, b) => a[0] - b[0]).map(([fn, b]) => [fn, Buffer.from(b).toString('hex')])
  return JSON.stringify({ maps, mem }, (_k, v: unknown) => (typeof v === 'bigint' ? `0x${v.toString(16)}` : v))
}

describe('the built-in library', () => {
  test('lists every file in engine/scenario/builtin/', () => {
    const files = readdirSync(new URL('./scenario/builtin/', import.meta.url)).filter((f) => f.endsWith('.json')).map((f) => f.slice(0, -5))
    expect(library.map((b) => b.id).sort()).toEqual(files.sort())
  })
})

const move = fc.record({
  kind: fc.constantFrom<StepKind>('into', 'over', 'out'),
  direction: fc.constantFrom<StepDirection>('forward', 'backward'),
  granularity: fc.constantFrom('record', 'op', 'action', 'command', 'walk' as const),
})

describe.each(library.map((b) => [b.id, b.scenario] as const))('%s', (_id, scenario) => {
  const e = createEngine()
  const loaded = e.load(scenario)
  const m = e.current!
  const n = m.j.length
  const ram = m.scenario.platform.ram
  // Small blocks so even a short journal crosses blocks of several levels.
  const cp = Checkpoints.build(m.j.records, m.j.maps.length, ram, { block: 3, fanout: 2 })
  const fresh = (c: number) => {
    const r = new ReplayState(m.j.records, m.j.maps.length, ram)
    r.seek(c)
    return stateOf(r)
  }

  test('loads and every expectation holds', () => {
    expect(loaded.ok).toBe(true)
    expect(m.expectations.every((x) => x.ok)).toBe(true)
  })

  test('replay to the end equals the live machine', () => {
    const r = new ReplayState(m.j.records, m.j.maps.length, ram, cp)
    r.seek(n)
    for (const jm of m.j.maps) expect(r.maps[jm.id]).toEqual(jm.snapshot())
    const frames = (d: Iterable<[number, Uint8Array]>) => [...d].sort((a, b) => a[0] - b[0])
    expect(frames(r.mem.dump())).toEqual(frames(m.mem.dump()))
  })

  test.prop([fc.array(move, { minLength: 1, maxLength: 30 })], { numRuns: 40 })(
    'stepping to a cursor gives the state of replaying straight to it, and the views agree',
    (moves) => {
      const walker = new ReplayState(m.j.records, m.j.maps.length, ram, cp)
      let c = 0
      for (const mv of moves) {
        c = e.step(c, mv.kind, mv.direction, mv.granularity)
        expect(c).toBeGreaterThanOrEqual(0)
        expect(c).toBeLessThanOrEqual(n)
        walker.seek(c)
      }
      expect(stateOf(walker)).toBe(fresh(c))
      // The API's own view at c, reached by the walk, equals a fresh engine's view at c.
      const other = createEngine()
      other.load(scenario)
      const req = { registers: true, cmdq: {}, evtq: {} }
      expect(e.view(c, req)).toEqual(other.view(c, req))
    },
  )

  test.prop([fc.nat(), fc.nat()], { numRuns: 60 })('stepping back then forward changes nothing; checkpoints give the plain replay', (a, b) => {
    const r = new ReplayState(m.j.records, m.j.maps.length, ram, cp)
    const c = a % (n + 1)
    r.seek(b % (n + 1))
    r.seek(c)
    const here = stateOf(r)
    expect(here).toBe(fresh(c))
    r.seek(e.step(c, 'into', 'backward'))
    r.seek(c)
    expect(stateOf(r)).toBe(here)
    r.seek(e.step(c, 'over', 'backward'))
    r.seek(c)
    expect(stateOf(r)).toBe(here)
  })
})
