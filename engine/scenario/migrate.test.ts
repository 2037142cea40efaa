import { describe, expect, test } from 'vitest'
import { FORMAT_VERSION } from './format'
import { migrate, UPGRADERS, type JsonObject, type Upgrader } from './migrate'

describe('migrate', () => {
  test('version 1 is current and passes through untouched', () => {
    expect(FORMAT_VERSION).toBe(1)
    expect(UPGRADERS.size).toBe(0)
    const json = { smmuscope: 1, steps: [] }
    const r = migrate(json)
    expect(r).toEqual({ ok: true, json, from: 1 })
  })

  test('a newer format is refused with both versions named', () => {
    expect(migrate({ smmuscope: 2, steps: [] })).toEqual({
      ok: false,
      message: 'made by a newer smmuscope (format 2); this one reads format 1',
    })
  })

  test('missing, non-integer and non-object inputs', () => {
    const msg = (v: unknown): string => {
      const r = migrate(v)
      return r.ok ? 'ok' : r.message
    }
    expect(msg({ steps: [] })).toMatch(/missing.*"smmuscope": 1/)
    expect(msg({ smmuscope: '1' })).toMatch(/not a format version/)
    expect(msg({ smmuscope: 1.5 })).toMatch(/not a format version/)
    expect(msg({ smmuscope: -1 })).toMatch(/not a format version/)
    expect(msg([])).toMatch(/a scenario is a JSON object/)
    expect(msg(null)).toMatch(/a scenario is a JSON object/)
    expect(msg('{}')).toMatch(/a scenario is a JSON object/)
  })

  test('a version with no upgrader is refused, not guessed', () => {
    const r = migrate({ smmuscope: 0 })
    expect(r.ok).toBe(false)
    if (!r.ok) expect(r.message).toBe('format 0 is not one this smmuscope can read (it reads 1)')
  })

  // A fake history for the framework: format 0 called the step list "ops" and
  // wrote the hypervisor as a boolean; format 1 is what DESIGN.md specifies.
  const v0to1: Upgrader = (j) => {
    const { ops, platform, ...rest } = j as JsonObject & { ops?: unknown; platform?: { pkvm?: boolean } }
    const { pkvm, ...plat } = platform ?? {}
    return { ...rest, platform: { ...plat, hypervisor: pkvm ? 'pkvm' : 'none' }, steps: ops }
  }

  test('upgraders run in order and stamp each version', () => {
    const input = { smmuscope: 0, title: 'old', platform: { pkvm: true }, ops: [{ op: 'boot' }] }
    const snapshot = structuredClone(input)
    const r = migrate(input, { upgraders: new Map([[0, v0to1]]) })
    expect(r).toEqual({
      ok: true,
      from: 0,
      json: { smmuscope: 1, title: 'old', platform: { hypervisor: 'pkvm' }, steps: [{ op: 'boot' }] },
    })
    // The input is left as it was.
    expect(input).toEqual(snapshot)
  })

  test('a chain of upgraders reaches the current version from any old one', () => {
    const log: number[] = []
    const step = (n: number): Upgrader => (j) => {
      log.push(n)
      return { ...j, [`v${n + 1}`]: true }
    }
    const table = new Map([[0, step(0)], [1, step(1)], [2, step(2)]])
    const r = migrate({ smmuscope: 1 }, { upgraders: table, current: 3 })
    expect(log).toEqual([1, 2])
    expect(r).toEqual({ ok: true, from: 1, json: { smmuscope: 3, v2: true, v3: true } })
  })

  test('an upgrader that throws becomes a message', () => {
    const r = migrate({ smmuscope: 0 }, {
      upgraders: new Map([[0, () => { throw new Error('ops is not a list') }]]),
    })
    expect(r).toEqual({ ok: false, message: 'cannot upgrade from format 0: ops is not a list' })
  })
})
