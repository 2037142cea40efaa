import { describe, expect, test } from 'vitest'
import { builtins, createEngine } from './api'
import { toTraceRecord } from './trace/format'

/** The journal as the CLI's --jsonl prints it: the byte-for-byte form. */
function jsonl(e: ReturnType<typeof createEngine>): string {
  return e.current!.j.records.map((r, i) => JSON.stringify(toTraceRecord(r, i))).join('\n')
}

interface Editable {
  steps: Record<string, unknown>[]
  [k: string]: unknown
}

const boot = builtins().find((b) => b.id === 'boot-linux')!.scenario as Editable

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

  test('after an edit the journal equals a fresh run of the edited scenario, byte for byte, and time travel agrees', () => {
    const edited = structuredClone(boot)
    // Change the last DMA (step 8): the unmapped IOVA is read at another offset.
    edited.steps[8] = { ...edited.steps[8], iova: '0x20_0080' }
    const e = createEngine()
    e.load(boot)
    const r = e.load(edited)
    expect(r.ok).toBe(true)
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

  test('an edit of the platform, or of the first step, runs from scratch with the same result', () => {
    const edited = structuredClone(boot)
    edited.steps[0] = { op: 'boot', note: 'edited' }
    const e = createEngine()
    e.load(boot)
    e.load(edited)
    const f = createEngine()
    f.load(edited)
    expect(jsonl(e)).toBe(jsonl(f))
  })
})
