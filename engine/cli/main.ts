/**
 * smmuscope run FILE|URL [--jsonl] [--until N]
 *
 * Runs a scenario in Node and prints the journal, then a summary
 * (DESIGN.md "Headless runner"). Exit status: 0 every expectation holds,
 * 1 one failed (or the run stopped), 2 the scenario is invalid.
 */
import { readFileSync } from 'node:fs'
import { Machine } from '../machine'
import { validateScenario } from '../scenario/validate'
import { SCENARIO_HOOKS } from '../api'
import { decodeShareUrl } from '../scenario/url'
import { summaryRecord, toTraceRecord, traceText } from '../trace/format'

const USAGE = 'usage: smmuscope run FILE|URL [--jsonl] [--until N]\n  --jsonl     one JSON record per line\n  --until N   run only steps[0..N)'

interface Args {
  readonly source: string
  readonly jsonl: boolean
  readonly until: number | undefined
}

function parseArgs(argv: readonly string[]): Args | string {
  const [cmd, ...rest] = argv
  if (cmd !== 'run') return USAGE
  let source: string | undefined
  let jsonl = false
  let until: number | undefined
  for (let i = 0; i < rest.length; i++) {
    const a = rest[i]
    if (a === '--jsonl') jsonl = true
    else if (a === '--until') {
      const n = Number(rest[++i])
      if (!Number.isInteger(n) || n < 0) return `--until needs a step count (a whole number), got ${rest[i] ?? 'nothing'}\n${USAGE}`
      until = n
    } else if (a.startsWith('--')) return `unknown option ${a}\n${USAGE}`
    else if (source === undefined) source = a
    else return `one scenario at a time (got ${source} and ${a})\n${USAGE}`
  }
  if (source === undefined) return USAGE
  return { source, jsonl, until }
}

/** A file path, or a share URL / its "#s=…" fragment. */
function readScenario(source: string): { json: unknown } | { error: string } {
  if (source.includes('#s=') || source.startsWith('s=')) {
    const d = decodeShareUrl(source)
    return d.ok ? { json: d.json } : { error: `${source.slice(0, 60)}…: ${d.message}` }
  }
  let text: string
  try {
    text = readFileSync(source, 'utf8')
  } catch (e) {
    return { error: `${source}: ${e instanceof Error ? e.message : String(e)}` }
  }
  try {
    return { json: JSON.parse(text) as unknown }
  } catch (e) {
    return { error: `${source}: not JSON (${e instanceof Error ? e.message : String(e)})` }
  }
}

export function main(argv: readonly string[], out: (s: string) => void, err: (s: string) => void): number {
  const args = parseArgs(argv)
  if (typeof args === 'string') {
    err(args)
    return 2
  }
  const src = readScenario(args.source)
  if ('error' in src) {
    err(src.error)
    return 2
  }
  const v = validateScenario(src.json, SCENARIO_HOOKS)
  if (!v.ok) {
    for (const e of v.errors) err(`${e.path}: ${e.message}`)
    return 2
  }
  const m = new Machine(v.scenario)
  m.run(args.until)
  m.j.records.forEach((rec, i) => {
    if (args.jsonl) out(JSON.stringify(toTraceRecord(rec, i)))
    else out(`${String(i).padStart(6)} ${'  '.repeat(rec.depth)}${rec.actor.padEnd(8)} ${rec.kind.padEnd(14)} ${traceText(rec)}`)
  })
  const failed = m.expectations.filter((e) => !e.ok)
  const steps = args.until === undefined ? v.scenario.steps.length : Math.min(args.until, v.scenario.steps.length)
  if (args.jsonl) out(JSON.stringify(summaryRecord({ title: v.scenario.title, records: m.j.length, steps, expectations: m.expectations, stopped: m.stopped })))
  else {
    out('')
    out(`${v.scenario.title}: ${m.j.length} records, ${steps} steps, ${m.expectations.length - failed.length}/${m.expectations.length} expectations hold`)
    for (const f of failed) out(`  FAILED steps[${f.step}]: ${f.message}`)
    if (m.stopped) out(`  STOPPED at steps[${m.stopped.step}]: ${m.stopped.message}`)
  }
  return failed.length || m.stopped ? 1 : 0
}

