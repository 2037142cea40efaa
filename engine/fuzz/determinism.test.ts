import { writeFileSync } from 'node:fs'
import { fc, test } from '@fast-check/vitest'
import { describe, expect } from 'vitest'
import { builtins } from '../api'
import { main } from '../cli/main'
import { Checkpoints } from '../journal/checkpoint'
import { ReplayState } from '../journal/replay'
import { Machine } from '../machine'
import { formatJsonl } from '../trace/format'
import { hostileScenario } from './arbitraries'
import { prepare } from './run'

/**
 * DESIGN.md "Rules that hold everywhere": the same scenario gives the same
 * journal byte for byte, and the state at a cursor is the same reached
 * forwards, backwards or by a jump — on every built-in scenario and on
 * generated hostile ones.
 */

// Heavy scenarios take seconds per load: property tests run the light library.
const library = builtins().filter((b) => !b.heavy)

function cliJsonl(json: unknown): string {
  const dir = process.env.TMPDIR ?? '/tmp'
  const file = `${dir}/smmuscope-determinism-${process.pid}.json`
  writeFileSync(file, JSON.stringify(json))
  const lines: string[] = []
  const code = main(['run', file, '--jsonl'], (s) => lines.push(s), () => undefined)
  return `${code}\n${lines.join('\n')}`
}

function stateOf(r: ReplayState): string {
  const maps = r.maps.map((m) => [...m.entries()].map(([k, v]) => [String(k), v]).sort((a, b) => (String(a[0]) < String(b[0]) ? -1 : 1)))
  const mem = [...r.mem.dump()].sort((a, b) => a[0] - b[0]).map(([fn, b]) => [fn, Buffer.from(b).toString('hex')])
  return JSON.stringify({ maps, mem }, (_k, v: unknown) => (typeof v === 'bigint' ? `0x${v.toString(16)}` : v))
}

describe.each(library.map((b) => [b.id, b.scenario] as const))('built-in %s', (_id, scenario) => {
  test('the CLI JSONL of two runs is identical byte for byte', () => {
    const a = cliJsonl(scenario)
    const b = cliJsonl(structuredClone(scenario))
    expect(a.length).toBeGreaterThan(1000)
    expect(a === b).toBe(true)
  })

  const p = prepare(scenario as Record<string, unknown>)
  if (!p.ok) throw new Error(`built-in ${_id} is invalid`)
  const m = new Machine(p.scenario)
  m.run()
  const n = m.j.length
  const ram = p.scenario.platform.ram
  const cp = Checkpoints.build(m.j.records, m.j.maps.length, ram, { block: 16, fanout: 4 })

  test.prop([fc.array(fc.nat({ max: n }), { minLength: 2, maxLength: 8 })], { numRuns: 15 })(
    'seeking through any cursors (forwards, backwards, jumps) lands on the state of a fresh replay',
    (cursors) => {
      const walker = new ReplayState(m.j.records, m.j.maps.length, ram, cp)
      for (const c of cursors) walker.seek(c)
      const last = cursors[cursors.length - 1]
      const fresh = new ReplayState(m.j.records, m.j.maps.length, ram)
      fresh.seek(last)
      expect(stateOf(walker)).toBe(stateOf(fresh))
    },
  )
})

describe('generated hostile scenarios', () => {
  test.prop([hostileScenario({ levels: ['mmio', 'cmdq', 'ste', 'nested'], maxSteps: 12 }), fc.nat(), fc.nat()], { numRuns: 25 })(
    'run twice: the same journal; replay backwards from the end equals replay forwards',
    (json, x, y) => {
      const p = prepare(json)
      if (!p.ok) throw new Error('generated platform invalid')
      const a = new Machine(p.scenario)
      a.run()
      const b = new Machine(p.scenario)
      b.run()
      expect(formatJsonl(a.j.records) === formatJsonl(b.j.records)).toBe(true)
      const n = a.j.length
      const ram = p.scenario.platform.ram
      const c = x % (n + 1)
      const back = new ReplayState(a.j.records, a.j.maps.length, ram)
      back.seek(n)
      back.seek(c)
      const fwd = new ReplayState(a.j.records, a.j.maps.length, ram)
      fwd.seek(y % (n + 1))
      fwd.seek(c)
      expect(stateOf(back)).toBe(stateOf(fwd))
    },
  )
})
