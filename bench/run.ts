/**
 * npm run bench: every figure beside the limit it is measured against, in
 * the same run (issue 7). Prints one table and writes bench-results.json.
 *
 * Order matters: the translation figures run first, before anything
 * allocates heavily; then the command queue, the identity map, time travel
 * over the heavy journal and the share URLs; then the production build
 * (`vite build`) and the browser figures against it.
 *
 * Flags: --no-build uses the dist/ already there; --no-ui skips the build
 * and the browser.
 */
import { spawnSync } from 'node:child_process'
import { existsSync, writeFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { benchCmdq } from './cmdq'
import { benchIdmap } from './idmap'
import { table, type Row } from './rows'
import { benchSeek } from './seek'
import { benchTranslations } from './translate'
import { benchUi } from './ui'
import { benchUrls } from './url'

const ROOT = fileURLToPath(new URL('..', import.meta.url))
const args = new Set(process.argv.slice(2))
const rows: Row[] = []
const started = performance.now()

function section(name: string, fn: () => Row[]): void {
  const t = performance.now()
  process.stderr.write(`bench: ${name}...`)
  rows.push(...fn())
  process.stderr.write(` ${((performance.now() - t) / 1000).toFixed(1)} s\n`)
}

section('translations', benchTranslations)
section('cmdq_emulation', benchCmdq)
section('idmap_8g', () => benchIdmap())
section('seek', benchSeek)
section('url', benchUrls)

if (!args.has('--no-ui')) {
  let built = false
  if (!args.has('--no-build')) {
    process.stderr.write('bench: vite build...')
    const b = spawnSync(`${ROOT}node_modules/.bin/vite`, ['build', '--logLevel', 'error'], { cwd: ROOT, encoding: 'utf8' })
    built = b.status === 0
    process.stderr.write(built ? ' done\n' : ` FAILED\n${b.stderr}\n`)
  }
  if (!existsSync(`${ROOT}dist/index.html`)) {
    console.log('(no dist/: the build failed or was skipped; browser and bundle figures not measured)')
  } else {
    if (!built) console.log('(browser and bundle figures measured on the dist/ already there, not a fresh build)')
    process.stderr.write('bench: browser...')
    const t = performance.now()
    rows.push(...(await benchUi()))
    process.stderr.write(` ${((performance.now() - t) / 1000).toFixed(1)} s\n`)
  }
}

console.log(table(rows))
const missed = rows.filter((r) => r.pass === false).map((r) => r.name)
writeFileSync(`${ROOT}bench-results.json`, JSON.stringify({ node: process.version, date: new Date().toISOString(), seconds: Math.round((performance.now() - started) / 1000), rows }, null, 2) + '\n')
console.log(`\nwrote bench-results.json (${rows.length} figures, ${rows.filter((r) => r.pass === true).length} targets met${missed.length ? `, missed: ${missed.join(', ')}` : ''}) in ${((performance.now() - started) / 1000).toFixed(0)} s`)
