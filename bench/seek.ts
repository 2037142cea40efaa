/**
 * seek (issue 7): time travel in a journal of more than 200k records, through
 * the engine's own API as the worker serves it. The heavy built-in
 * pkvm-8g-65536-sids is loaded (its run, checkpoints and index are built);
 * then, at seeded random cursors, one `view` with the registers and the
 * CMDQ panel (what the UI asks for on every step), and one `view` a record
 * earlier (stepping back). Each call's wall time is a sample; the figure is
 * the p95 against 16 ms, one frame at 60 Hz.
 */
import { createEngine } from '../engine/api'
import { HEAVY } from '../engine/scenario/builtin/heavy'
import { budget, median, quantile, row, xorshift, type Row } from './rows'

const FRAME_MS = 16
const SAMPLES = 300

export function heavyScenario(id: string): unknown {
  const h = HEAVY.find(([i]) => i === id)
  if (!h) throw new Error(`no heavy built-in ${id}`)
  return structuredClone(h[1])
}

export function benchSeek(): Row[] {
  const e = createEngine()
  const t0 = performance.now()
  const r = e.load(heavyScenario('pkvm-8g-65536-sids'))
  const loadMs = performance.now() - t0
  if (!r.ok) throw new Error(`pkvm-8g-65536-sids does not load: ${r.errors.map((x) => x.message).join('; ')}`)
  const n = r.summary.records
  const req = { registers: true, cmdq: {} }
  const rand = xorshift(0x5eec)
  // Warm the view code on a few positions first (JIT), not counted.
  for (let k = 0; k < 20; k++) e.view(Math.floor(rand() * n), req)
  const seeks: number[] = []
  const backs: number[] = []
  for (let k = 0; k < SAMPLES; k++) {
    const c = 1 + Math.floor(rand() * (n - 1))
    let t = performance.now()
    const v = e.view(c, req)
    seeks.push(performance.now() - t)
    if (v.cursor !== c) throw new Error(`view(${c}) answered cursor ${v.cursor}`)
    t = performance.now()
    e.view(c - 1, req)
    backs.push(performance.now() - t)
  }
  const note = `${SAMPLES} seeded random cursors in ${n} records; view(registers, cmdq)`
  return [
    budget('seek p95 (random cursor)', quantile(seeks, 0.95), 'ms', FRAME_MS, `${note}; median ${median(seeks).toFixed(2)} ms`),
    budget('seek p95 (then step back one)', quantile(backs, 0.95), 'ms', FRAME_MS, `the record before each random cursor; median ${median(backs).toFixed(2)} ms`),
    row({ name: 'seek: load pkvm-8g-65536-sids', value: loadMs, unit: 'ms', note: `run + checkpoints + index for ${n} records (once per load, not per seek)` }),
  ]
}
