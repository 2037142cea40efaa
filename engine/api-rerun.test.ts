import { fc, test } from '@fast-check/vitest'
import { describe, expect } from 'vitest'
import { builtins, createEngine, SCENARIO_HOOKS } from './api'
import { Journal } from './journal/journal'
import { Machine } from './machine'
import { PhysMem } from './mem/physmem'
import { restorePkvm } from './platform/pkvm'
import type { Scenario } from './scenario/format'
import { validateScenario } from './scenario/validate'
import { formatJsonl } from './trace/format'

/**
 * Caches whose contents are not state: Ownership's interned page values (one
 * frozen object per state and owner, created on first use; which ones exist
 * changes nothing a run does, as values are compared by what they hold).
 */
const SKIP = ['.own.interned']

/**
 * Every difference between two object graphs, as paths: own enumerable
 * fields, Map and Set entries in iteration order, array and typed-array
 * elements. Functions are skipped (listeners are wired once at boot, the
 * same in both); the journal's records and physical memory are compared
 * by what they mean (the trace, the non-zero frames) rather than by layout.
 */
function graphDiff(a: unknown, b: unknown, path = 'machine', seen = new Map<object, unknown>(), out: string[] = []): string[] {
  if (out.length > 20) return out
  if (typeof a === 'function' && typeof b === 'function') return out
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) {
    if (!Object.is(a, b)) out.push(`${path}: ${String(a)} vs ${String(b)}`)
    return out
  }
  if (SKIP.some((k) => path.endsWith(k))) return out
  if (seen.has(a)) {
    if (seen.get(a) !== b) out.push(`${path}: shared object differs`)
    return out
  }
  seen.set(a, b)
  if (Object.getPrototypeOf(a) !== Object.getPrototypeOf(b)) {
    out.push(`${path}: different classes`)
    return out
  }
  if (a instanceof PhysMem) {
    const dump = (m: PhysMem) => [...m.dump()].sort((x, y) => x[0] - y[0]).map(([fn, bytes]) => `${fn}:${Buffer.from(bytes).toString('hex')}`).join()
    if (dump(a) !== dump(b as PhysMem)) out.push(`${path}: memory differs`)
    return out
  }
  if (a instanceof Journal) {
    const bj = b as Journal
    if (formatJsonl(a.records) !== formatJsonl(bj.records)) out.push(`${path}.records differ`)
    const rest = (x: Journal) => Object.fromEntries(Object.entries(x).filter(([k]) => k !== 'records'))
    return graphDiff(rest(a), rest(bj), path, seen, out)
  }
  if (a instanceof Map) {
    const ea = [...a.entries()]
    const eb = [...(b as Map<unknown, unknown>).entries()]
    if (ea.length !== eb.length) out.push(`${path}: size ${ea.length} vs ${eb.length}`)
    else ea.forEach(([k, v], i) => {
      if (!Object.is(k, eb[i][0])) out.push(`${path}: key #${i} ${String(k)} vs ${String(eb[i][0])}`)
      else graphDiff(v, eb[i][1], `${path}[${String(k)}]`, seen, out)
    })
    return out
  }
  if (a instanceof Set) return graphDiff([...a], [...(b as Set<unknown>)], path, seen, out)
  if (ArrayBuffer.isView(a)) {
    const x = Array.from(a as unknown as ArrayLike<number>)
    const y = Array.from(b as unknown as ArrayLike<number>)
    if (x.length !== y.length || x.some((v, i) => v !== y[i])) out.push(`${path}: typed array differs`)
    return out
  }
  const keys = new Set([...Object.keys(a), ...Object.keys(b)])
  for (const k of keys) graphDiff((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k], `${path}.${k}`, seen, out)
  return out
}

/** Rebuild every component's derived state from its maps, as resumeAt does. */
function normalize(m: Machine): void {
  m.smmu.restore()
  m.host.restore()
  if (m.pkvm) restorePkvm(m.pkvm)
}

function scenarioOf(json: unknown): Scenario {
  const v = validateScenario(json, SCENARIO_HOOKS)
  if (!v.ok) throw new Error(JSON.stringify(v.errors))
  return v.scenario
}


/** The journal as the CLI's --jsonl prints it: the byte-for-byte form. */
function jsonl(e: ReturnType<typeof createEngine>): string {
  return formatJsonl(e.current!.j.records)
}

type Step = Record<string, unknown>

interface Editable {
  steps: Step[]
  [k: string]: unknown
}

const light = builtins().filter((b) => !b.heavy)
const boot = light.find((b) => b.id === 'boot-linux')!.scenario as Editable

/**
 * Values to change a step's field to: every value any light built-in gives
 * a field of that name (so most edits stay valid, and some are refused by
 * the validator, which the property then skips).
 */
const VALUES = new Map<string, unknown[]>()
for (const b of light) {
  for (const st of (b.scenario as Editable).steps) {
    for (const [k, v] of Object.entries(st)) {
      if (k === 'op') continue
      const list = VALUES.get(k) ?? []
      if (!list.some((x) => JSON.stringify(x) === JSON.stringify(v))) list.push(v)
      VALUES.set(k, list)
    }
  }
}

/** One edit as a user makes it in the scenario editor. */
type Edit =
  | { readonly t: 'change'; readonly at: number; readonly field: number; readonly value: number }
  | { readonly t: 'delete'; readonly at: number }
  | { readonly t: 'insert'; readonly at: number; readonly copy: number }

const edit: fc.Arbitrary<Edit> = fc.oneof(
  fc.record({ t: fc.constant('change' as const), at: fc.nat(), field: fc.nat(), value: fc.nat() }),
  fc.record({ t: fc.constant('delete' as const), at: fc.nat() }),
  fc.record({ t: fc.constant('insert' as const), at: fc.nat(), copy: fc.nat() }),
)

function applyEdit(s: Editable, e: Edit): Editable {
  const out = structuredClone(s)
  const n = out.steps.length
  if (n === 0) return out
  switch (e.t) {
    case 'change': {
      const st = out.steps[e.at % n]
      const fields = Object.keys(st).filter((k) => k !== 'op')
      if (fields.length === 0) return out
      const f = fields[e.field % fields.length]
      const pool = VALUES.get(f) ?? [st[f]]
      st[f] = structuredClone(pool[e.value % pool.length])
      return out
    }
    case 'delete':
      out.steps.splice(e.at % n, 1)
      return out
    case 'insert':
      out.steps.splice(e.at % (n + 1), 0, structuredClone(out.steps[e.copy % n]))
      return out
  }
}

describe('re-run on edit', () => {
  test('loading the same scenario again keeps the whole run', () => {
    const e = createEngine()
    const a = e.load(boot)
    const m = e.current
    const b = e.load(structuredClone(boot))
    expect(a.ok && a.summary.reused).toBe(0)
    expect(b.ok && b.summary.reused).toBe(b.ok ? b.summary.records : -1)
    expect(e.current).toBe(m)
  })

  test('an edit of step 8 resumes at step 8: the journal equals a fresh run of the edited scenario, byte for byte, and time travel agrees', () => {
    const edited = structuredClone(boot)
    // Change the last DMA (step 8): the unmapped IOVA is read at another offset.
    edited.steps[8] = { ...edited.steps[8], iova: '0x20_0080' }
    const e = createEngine()
    const first = e.load(boot)
    const r = e.load(edited)
    expect(r.ok).toBe(true)
    // The records before step 8's op record are kept: the run resumed there, on the same machine.
    const opAt = e.current!.j.records.findIndex((x) => x.kind === 'op' && x.index === 8)
    expect(r.ok && r.summary.resumedAt).toBe(8)
    expect(r.ok && r.summary.reused).toBe(opAt)
    expect(first.ok && opAt > 0 && opAt < first.summary.records).toBe(true)
    const f = createEngine()
    f.load(edited)
    expect(jsonl(e)).toBe(jsonl(f))
    expect(e.current!.j.records.some((x) => x.kind === 'dma' && x.iova === 0x200080n)).toBe(true)
    // The edited run's checkpoints (the prefix's taken from the first run) give the fresh run's views.
    const n = f.current!.j.length
    for (const c of [n, 0, Math.floor(n / 2), n - 3, 17, n]) {
      const req = { registers: true, cmdq: {}, evtq: {} }
      expect(e.view(c, req)).toEqual(f.view(c, req))
    }
  })

  test('an edit of the first step resumes before it: boot is not run again, the result is the same', () => {
    const edited = structuredClone(boot)
    edited.steps[0] = { op: 'boot', note: 'edited' }
    const e = createEngine()
    e.load(boot)
    const r = e.load(edited)
    const f = createEngine()
    f.load(edited)
    expect(r.ok && r.summary.resumedAt).toBe(0)
    expect(jsonl(e)).toBe(jsonl(f))
  })

  test('an edit of the platform runs from scratch', () => {
    const edited = structuredClone(boot)
    // Another command queue size: the same steps, another machine.
    ;(edited.platform as { smmu: { cmdqLog2: number } }).smmu.cmdqLog2 = 6
    const e = createEngine()
    e.load(boot)
    const m = e.current
    const r = e.load(edited)
    expect(r.ok && r.summary.reused).toBe(0)
    expect(r.ok && r.summary.resumedAt).toBeUndefined()
    expect(e.current).not.toBe(m)
  })

  // Two edits in a row, so a machine that already resumed once is rewound again.
  test.prop([fc.constantFrom(...light.map((b) => b.id)), edit, edit], { numRuns: 80 })(
    'any edit of any light built-in: the resumed run is a fresh run, byte for byte (journal, expectations, stopped, machine state)',
    (id, e1, e2) => {
      const base = light.find((b) => b.id === id)!.scenario as Editable
      const once = applyEdit(base, e1)
      const twice = applyEdit(once, e2)
      const e = createEngine()
      expect(e.load(base).ok).toBe(true)
      for (const s of [once, twice]) {
        const r = e.load(s)
        const f = createEngine()
        const g = f.load(s)
        expect(r.ok).toBe(g.ok)
        if (!r.ok || !g.ok) continue
        expect(jsonl(e)).toBe(jsonl(f))
        expect(r.summary.expectations).toEqual(g.summary.expectations)
        expect(r.summary.stopped).toEqual(g.summary.stopped)
        expect(r.summary.records).toBe(g.summary.records)
        normalize(e.current!)
        normalize(f.current!)
        expect(graphDiff(e.current, f.current)).toEqual([])
      }
    },
    300_000,
  )
})

describe('Machine.resumeAt', () => {
  test.each(light.map((b) => [b.id, b.scenario] as const))('%s: the machine rewound to any step boundary equals a fresh one run to it', (_id, json) => {
    const s = scenarioOf(json)
    for (let k = 0; k <= s.steps.length; k++) {
      const resumed = new Machine(s)
      resumed.run()
      expect(resumed.resumeAt(k)).toBe(true)
      const fresh = new Machine(s)
      fresh.run(k)
      // Derived caches may hold more than their maps imply (a FIFO list with removed keys, a memo):
      // what matters is that both machines derive the same from the same maps.
      normalize(fresh)
      normalize(resumed)
      expect(graphDiff(resumed, fresh), `step ${k}`).toEqual([])
    }
  })
})
