import { fc, test } from '@fast-check/vitest'
import { describe, expect } from 'vitest'
import { builtins, createEngine, SCENARIO_HOOKS } from './api'
import { decodeShareUrl, encodeShareUrl } from './scenario/url'
import { validateScenario } from './scenario/validate'

describe('share links of the built-in scenarios', () => {
  test.each(builtins().map((b) => [b.id, b.scenario] as const))('%s round-trips through a link, cursor and panels included', (_id, scenario) => {
    const url = `https://smmuscope.example/${encodeShareUrl(scenario, 123, ['journal', 'cmdq'])}`
    const d = decodeShareUrl(url)
    expect(d).toEqual({ ok: true, json: scenario, cursor: 123, panels: ['journal', 'cmdq'] })
    expect(validateScenario(d.ok ? d.json : null, SCENARIO_HOOKS).ok).toBe(true)
  })
})

describe('bad input gives errors, never exceptions', () => {
  test.prop([fc.string({ maxLength: 400 })], { numRuns: 300 })('the link decoder on random text', (s) => {
    const d = decodeShareUrl(s)
    if (!d.ok) expect(d.message.length).toBeGreaterThan(0)
  })

  test.prop([fc.string({ maxLength: 300, unit: fc.constantFrom(...'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_'.split('')) })], { numRuns: 300 })(
    'the link decoder on random payloads',
    (payload) => {
      const d = decodeShareUrl(`#s=1.${payload}&c=5`)
      if (!d.ok) expect(d.message.length).toBeGreaterThan(0)
    },
  )

  test.prop([fc.jsonValue({ maxDepth: 4 })], { numRuns: 300 })('the validator on random JSON', (json) => {
    const v = validateScenario(json, SCENARIO_HOOKS)
    if (!v.ok) expect(v.errors.length).toBeGreaterThan(0)
  })

  test.prop([fc.integer({ min: 0, max: 2 }), fc.jsonValue({ maxDepth: 3 }), fc.string({ maxLength: 12 })], { numRuns: 300 })(
    'the validator on a built-in scenario with one value replaced',
    (which, value, key) => {
      const light = builtins().filter((b) => !b.heavy)
      const s = structuredClone(light[which % light.length].scenario) as Record<string, unknown>
      const steps = s.steps as Record<string, unknown>[]
      const step = steps[(key.length * 7) % steps.length]
      step[key === '' ? 'op' : key] = value
      const v = validateScenario(s, SCENARIO_HOOKS)
      // Every error names where it is: a path into the steps (or the whole document) and a reason.
      if (!v.ok) for (const err of v.errors) expect([typeof err.path, err.message.length > 0]).toEqual(['string', true])
    },
  )
})

describe('every built-in scenario runs to the end and its expectations hold', () => {
  test.each(builtins().map((b) => [b.id, b.scenario] as const))('%s', (_id, scenario) => {
    const r = createEngine().load(scenario)
    expect(r.ok).toBe(true)
    if (!r.ok) return
    expect(r.summary.stopped).toBeUndefined()
    expect(r.summary.expectations.length).toBeGreaterThan(0)
    expect(r.summary.expectations.filter((e) => !e.ok)).toEqual([])
  })
})
