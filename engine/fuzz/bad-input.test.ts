import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fc, test } from '@fast-check/vitest'
import { deflateSync } from 'fflate'
import { describe, expect } from 'vitest'
import { builtins, createEngine, SCENARIO_HOOKS } from '../api'
import { main } from '../cli/main'
import { base64urlEncode, decodeShareUrl, encodeShareUrl, MAX_INFLATED } from '../scenario/url'
import { validateScenario } from '../scenario/validate'

/**
 * Bad input never crashes anything (DESIGN.md "Rules that hold
 * everywhere"): the validator, the URL decoder, the engine API and the CLI
 * answer random and adversarial input with a message that names what and
 * where, never an exception.
 */

const deepArray = (n: number): unknown => JSON.parse('['.repeat(n) + ']'.repeat(n))
const deepObject = (n: number): unknown => JSON.parse('{"a":'.repeat(n) + '1' + '}'.repeat(n))

function rejected(json: unknown): readonly { path: string; message: string }[] {
  const v = validateScenario(json, SCENARIO_HOOKS)
  expect(v.ok).toBe(false)
  return v.ok ? [] : v.errors
}

describe('the scenario validator', () => {
  test.prop([fc.anything({ maxDepth: 6, withBigInt: true, withNullPrototype: true, withMap: true, withTypedArray: true })], { numRuns: 300 })(
    'any value: ok, or errors that each name a path and a reason',
    (x) => {
      const v = validateScenario(x, SCENARIO_HOOKS)
      if (!v.ok) for (const e of v.errors) expect(e.message.length).toBeGreaterThan(5)
    },
  )

  // A scenario-shaped object with random values in every slot.
  const slot = fc.oneof(fc.jsonValue({ maxDepth: 3 }), fc.constantFrom(NaN, -1, 1e308, -0, 2 ** 53 + 1, '0x' + 'f'.repeat(40), '', '4K', '1G'))
  const shaped = fc.record({
    smmuscope: fc.oneof(fc.constant(1), slot),
    title: slot,
    platform: fc.record({ smmu: fc.dictionary(fc.constantFrom('stages', 'oas', 'granules', 'sidBits', 'strtab', 'tlb', 'cmdqLog2'), slot), ram: slot, hypervisor: slot, devices: slot }, { requiredKeys: [] }),
    steps: fc.array(fc.dictionary(fc.constantFrom('op', 'device', 'iova', 'pa', 'size', 'value', 'reg', 'raw', 'access', 'domain'), slot), { maxLength: 5 }),
  }, { requiredKeys: [] })
  test.prop([shaped], { numRuns: 300 })('scenario-shaped garbage: every error names a path inside the scenario', (x) => {
    const v = validateScenario(x, SCENARIO_HOOKS)
    if (!v.ok) for (const e of v.errors) expect(e.path).toMatch(/^(|smmuscope|title|platform.*|steps.*)$/)
  })

  test('adversarial shapes: 100k-deep nesting, huge numbers, unknown versions, too many steps, __proto__', () => {
    expect(rejected(deepArray(100_000))[0]).toMatchObject({ path: '', message: expect.stringMatching(/JSON object/) as unknown })
    expect(rejected({ smmuscope: 1, steps: deepArray(100_000) })[0].path).toBe('steps[0]')
    expect(rejected({ smmuscope: 1, notes: deepObject(100_000), steps: [] })[0]).toEqual({ path: 'notes', message: 'expected a string, got an object' })
    expect(rejected({ smmuscope: 1, platform: deepObject(100_000), steps: [] })[0].path).toBe('platform.a')
    expect(rejected({ smmuscope: 2, steps: [] })[0]).toEqual({ path: 'smmuscope', message: 'made by a newer smmuscope (format 2); this one reads format 1' })
    expect(rejected({ smmuscope: 1, platform: { ram: { base: 1e308 } }, steps: [] })[0].path).toBe('platform.ram.base')
    expect(rejected({ smmuscope: 1, steps: Array.from({ length: 200_000 }, () => ({ op: 'boot' })) })[0].path).toBe('steps')
    expect(rejected(JSON.parse('{"smmuscope":1,"__proto__":{"polluted":1},"steps":[]}'))[0].path).toBe('__proto__')
    expect(({} as Record<string, unknown>).polluted).toBe(undefined)
  })
})

describe('the share-URL decoder', () => {
  test.prop([fc.string({ maxLength: 300 }), fc.string({ unit: 'binary', maxLength: 300 })], { numRuns: 300 })('random text: a message, never an exception', (a, b) => {
    for (const s of [a, `#s=1.${a}`, `#s=1.${b}&c=${a}`, `#s=${a}.${b}`]) {
      const d = decodeShareUrl(s)
      if (!d.ok) expect(d.message.length).toBeGreaterThan(5)
    }
  })

  test.prop([fc.uint8Array({ maxLength: 2000 })], { numRuns: 200 })('random deflate payloads: a message, never an exception', (bytes) => {
    const d = decodeShareUrl(`#s=1.${base64urlEncode(bytes)}`)
    if (!d.ok) expect(d.message).toMatch(/deflate|JSON|UTF-8|large|empty|base64/)
  })

  test('a compression bomb stops at the inflated-size cap; unknown versions and bad cursors are named', () => {
    // 50 MB of zeros deflates to ~50 KB: under the payload cap, far over the 4 MiB inflate cap.
    const bomb = `#s=1.${base64urlEncode(deflateSync(new Uint8Array(50_000_000)))}`
    expect(decodeShareUrl(bomb)).toEqual({ ok: false, message: `too large: the scenario inflates to more than ${MAX_INFLATED / 1024 / 1024} MiB` })
    expect(decodeShareUrl('#s=9.abc')).toEqual({ ok: false, message: 'this link uses share format 9; this smmuscope reads format 1' })
    expect(decodeShareUrl(`${encodeShareUrl({ smmuscope: 1 })}&c=-1`)).toMatchObject({ ok: false, message: expect.stringMatching(/c="-1"/) as unknown })
  })
})

describe('the engine API with garbage arguments', () => {
  const e = createEngine()
  const ok = e.load(builtins()[0].scenario)
  const n = ok.ok ? ok.summary.records : 0
  const cursors = fc.oneof(fc.double(), fc.integer(), fc.constantFrom(NaN, Infinity, -Infinity, -1, 1e300, 2 ** 53, 0.5))

  test.prop([cursors], { numRuns: 200 })('any number as a cursor is clamped to [0, records]; NaN is refused by name', (c) => {
    if (Number.isNaN(c)) {
      expect(() => e.view(c, {})).toThrow(/view: the cursor must be a record index \(a number\), got NaN/)
      expect(() => e.step(c, 'over', 'forward')).toThrow(/step: the cursor/)
      return
    }
    expect(e.view(c, { journal: { from: c, to: c + 3 }, registers: true, cmdq: { from: c, to: c }, evtq: {} }).cursor).toSatisfy((x: number) => Number.isInteger(x) && x >= 0 && x <= n)
    for (const dir of ['forward', 'backward'] as const) {
      expect(e.step(c, 'over', dir)).toSatisfy((x: number) => Number.isInteger(x) && x >= 0 && x <= n)
      const f = e.find({ kind: 'cmd.consume' }, c, dir)
      expect(f === null || (Number.isInteger(f) && f >= 0 && f <= n)).toBe(true)
      expect(e.runTo([{ kind: 'dma' }], c, dir).cursor).toSatisfy((x: number) => Number.isInteger(x) && x >= 0 && x <= n)
    }
  })

  test('wrong types are refused with the call and the argument named, never a TypeError from inside', () => {
    expect(() => e.view(0, null as never)).toThrow('view: the request must be an object, got null')
    expect(() => e.find(null as never, 0, 'forward')).toThrow('find: the query must be an object, got null')
    expect(() => e.find({}, 0, 'sideways' as never)).toThrow('find: direction must be one of forward, backward, got "sideways"')
    expect(() => e.step(0, 'jump' as never, 'forward')).toThrow('step: kind must be one of into, over, out, got "jump"')
    expect(() => e.runTo(null as never, 0, 'forward')).toThrow('runTo: breakpoints must be a list of queries, got null')
    expect(() => e.runTo([null] as never, 0, 'forward')).toThrow('runTo: the breakpoint must be an object, got null')
  })

  test.prop([fc.anything({ maxDepth: 3 })], { numRuns: 200 })('load(anything): a LoadResult, and a failed load leaves the loaded run answering', (x) => {
    const r = e.load(x)
    if (!r.ok) expect(r.errors.length).toBeGreaterThan(0)
    // Load = reset + run: put the scenario back, as the app does after a failed load.
    if (r.ok) e.load(builtins()[0].scenario)
    expect(e.meta().records).toBe(n)
  })
})

describe('the CLI', () => {
  const dir = mkdtempSync(join(tmpdir(), 'smmuscope-bad-'))
  const file = (name: string, text: string) => {
    const p = join(dir, name)
    writeFileSync(p, text)
    return p
  }
  const run = (argv: string[]) => {
    const err: string[] = []
    const code = main(argv, () => undefined, (s) => err.push(s))
    return { code, err: err.join('\n') }
  }

  test('exit status 2 for an invalid scenario, with the path and reason', () => {
    const r = run(['run', file('bad.json', JSON.stringify({ smmuscope: 1, steps: [{ op: 'map', device: 'nope', iova: 1, pa: 0, size: '4K', prot: 'rw' }] }))])
    expect(r.code).toBe(2)
    expect(r.err).toMatch(/^steps\[0\]/m)
  })

  test('exit status 2 for text that is not JSON, a 100k-deep document, an unknown version, a bomb link', () => {
    expect(run(['run', file('text.json', '{"smmuscope": 1,')])).toMatchObject({ code: 2, err: expect.stringMatching(/not JSON/) as unknown })
    expect(run(['run', file('deep.json', '['.repeat(100_000) + ']'.repeat(100_000))]).code).toBe(2)
    expect(run(['run', file('v9.json', '{"smmuscope": 9, "steps": []}')])).toMatchObject({ code: 2, err: expect.stringMatching(/^smmuscope: made by a newer smmuscope/) as unknown })
    const bomb = `http://h/#s=1.${base64urlEncode(deflateSync(new Uint8Array(20_000_000)))}`
    expect(run(['run', bomb])).toMatchObject({ code: 2, err: expect.stringMatching(/too large/) as unknown })
    expect(run(['run', join(dir, 'missing.json')]).code).toBe(2)
  })
})
