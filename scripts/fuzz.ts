/**
 * npm run fuzz -- [--seconds S | --cases N] [--seed K] [--levels ste,nested] [--out DIR]
 *
 * The long isolation campaign (issue 8): hostile hosts under pKVM, checked by
 * engine/fuzz/oracle.ts. Runs rounds of 2000 cases with successive seeds
 * until the budget is spent (default: 60 seconds), prints the cases tried
 * and the failures, and writes each shrunk counterexample as a scenario
 * file (open it in the app or run it with the CLI). Exit status 1 when
 * anything failed.
 */
import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { campaign } from '../engine/fuzz/campaign'

type Level = 'mmio' | 'cmdq' | 'ste' | 'nested'
const ROUND = 2000

function args(argv: readonly string[]) {
  let seconds: number | undefined
  let cases: number | undefined
  let seed = 1
  let levels: Level[] = ['ste', 'nested']
  let out = 'fuzz-failures'
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]
    const next = () => argv[++i] ?? ''
    if (a === '--seconds') seconds = Number(next())
    else if (a === '--cases') cases = Number(next())
    else if (a === '--seed') seed = Number(next())
    else if (a === '--out') out = next()
    else if (a === '--levels') levels = next().split(',') as Level[]
    else throw new Error(`unknown argument ${a}`)
  }
  if (seconds === undefined && cases === undefined) seconds = 60
  return { seconds, cases, seed, levels, out }
}

const opt = args(process.argv.slice(2))
const start = performance.now()
const deadline = opt.seconds !== undefined ? start + opt.seconds * 1000 : Infinity
let tried = 0
let failures = 0
let seed = opt.seed
while (performance.now() < deadline && (opt.cases === undefined || tried < opt.cases)) {
  const n = Math.min(ROUND, opt.cases !== undefined ? opt.cases - tried : ROUND)
  const left = deadline - performance.now()
  const r = campaign({ cases: n, seed, levels: opt.levels, size: 'medium', ...(Number.isFinite(left) && { millis: left }) })
  tried += r.tried
  if (r.failure) {
    failures++
    mkdirSync(opt.out, { recursive: true })
    const file = join(opt.out, `isolation-seed-${seed}.json`)
    writeFileSync(file, JSON.stringify(r.failure.scenario, null, 2) + '\n')
    console.log(`seed ${seed}: FAILED after ${r.tried} cases (${r.shrinks} shrinks) -> ${file}`)
    for (const v of r.failure.violations) console.log(`  ${v.property} @${v.record}: ${v.message}`)
  }
  seed++
}
const secs = ((performance.now() - start) / 1000).toFixed(1)
console.log(`cases tried: ${tried} (seeds ${opt.seed}..${seed - 1}, levels ${opt.levels.join(',')}) in ${secs} s; failures: ${failures}`)
process.exitCode = failures ? 1 : 0
