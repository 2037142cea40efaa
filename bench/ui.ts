/**
 * The browser figures (issue 7), measured in Debian's Chromium with
 * Playwright against the production build served by `vite preview`:
 * - load: the entry chunks index.html loads (script + modulepreload), gzip
 *   -9, against 250 KB; cold loads (a fresh browser context each, no cache)
 *   from navigation start to the journal showing rows and the cursor, the
 *   default scenario run in the worker, against 1 s;
 * - ui_step: in the default scenario, boot-pkvm and pkvm-8g-65536-sids
 *   (each opened from its share link inside its journal), a debugger key
 *   press to the frame that paints its result, against 16 ms;
 * - scrolling the 65536-row stream table: frame-to-frame times while the
 *   wheel scrolls it, p95 against 16.7 ms (one frame at 60 Hz).
 *
 * Step latency is taken inside the page: the keydown's timeStamp (of the
 * key itself, not of a modifier held with it), and the
 * time just after the frame that follows the step's last DOM change (a
 * requestAnimationFrame callback, then a message posted from it, which runs
 * once that frame's style, layout and paint are done).
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { existsSync, readFileSync, writeFileSync } from 'node:fs'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { gzipSync } from 'node:zlib'
import { chromium, type Browser, type Page } from '@playwright/test'
import { BUILTINS } from '../engine/scenario/builtin'
import { encodeShareUrl } from '../engine/scenario/url'
import { budget, median, quantile, row, table, type Row } from './rows'
import { heavyScenario } from './seek'
import { STEP_KEYS } from './step-keys'

const ROOT = fileURLToPath(new URL('..', import.meta.url))
// Another build and port can be measured side by side with the shared dist/ (before/after a change).
const DIST = process.env.SMMUSCOPE_DIST ? `${process.env.SMMUSCOPE_DIST.replace(/\/$/, '')}/` : `${ROOT}dist/`
const PORT = Number(process.env.SMMUSCOPE_BENCH_PORT ?? 4319)
const BASE = `http://127.0.0.1:${PORT}/`
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium'
const FRAME_MS = 16
/**
 * One frame at 60 Hz as the page's clock can show it: requestAnimationFrame
 * times are coarsened to 100 µs in a page that is not cross-origin isolated,
 * so the interval between two on-time frames reads 16.6, 16.7 or 16.8 ms and
 * the p95 of a run without a single missed frame is 16.8, above 1000 / 60.
 * Two clock ticks of slack separate on-time frames from missed ones (33 ms).
 */
const SCROLL_FRAME_MS = 1000 / 60 + 0.2
const INITIAL_JS_LIMIT = 250 * 1024

/** Entry chunks of the built app: what index.html loads before anything runs. */
export function initialJs(): { files: string[]; gzip: number; raw: number } {
  const html = readFileSync(`${DIST}index.html`, 'utf8')
  const refs = [
    ...html.matchAll(/<script[^>]*type="module"[^>]*src="([^"]+)"/g),
    ...html.matchAll(/<link[^>]*rel="modulepreload"[^>]*href="([^"]+)"/g),
  ].map((m) => m[1].replace(/^\.\//, ''))
  let gzip = 0
  let raw = 0
  for (const f of refs) {
    const bytes = readFileSync(`${DIST}${f}`)
    raw += bytes.length
    gzip += gzipSync(bytes, { level: 9 }).length
  }
  return { files: refs, gzip, raw }
}

function workerJs(): { gzip: number; raw: number } | undefined {
  const js = readFileSync(`${DIST}${initialJs().files[0]}`, 'utf8')
  const m = /(worker-[\w-]+\.js)/.exec(js)
  if (!m) return undefined
  const bytes = readFileSync(`${DIST}assets/${m[1]}`)
  return { raw: bytes.length, gzip: gzipSync(bytes, { level: 9 }).length }
}

async function preview(): Promise<ChildProcess> {
  const p = spawn(`${ROOT}node_modules/.bin/vite`, ['preview', '--outDir', DIST, '--port', String(PORT), '--strictPort', '--host', '127.0.0.1'], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] })
  let err = ''
  p.stderr?.on('data', (d: Buffer) => { err += d.toString() })
  for (let k = 0; k < 100; k++) {
    try {
      const r = await fetch(BASE)
      if (r.ok) return p
    } catch {
      // not listening yet
    }
    if (p.exitCode !== null) throw new Error(`vite preview exited: ${err}`)
    await new Promise((r) => setTimeout(r, 100))
  }
  p.kill()
  throw new Error(`vite preview did not answer on ${BASE}: ${err}`)
}

/** Installed before any page script: the time the journal first shows rows and a cursor. */
const READY_PROBE = `(() => {
  const check = () => {
    if (window.__ready !== undefined) return
    const rows = document.querySelectorAll('.jscroll [role=option]').length
    const cur = document.querySelector('[data-testid=cursor]')
    if (rows > 1 && cur && /^\\d+ \\/ [1-9]/.test(cur.textContent.trim())) window.__ready = performance.now()
  }
  new MutationObserver(check).observe(document, { subtree: true, childList: true, characterData: true })
})()`

async function coldLoads(browser: Browser, n: number): Promise<number[]> {
  const out: number[] = []
  for (let k = 0; k < n; k++) {
    const ctx = await browser.newContext({ viewport: { width: 1280, height: 800 } })
    await ctx.addInitScript(READY_PROBE)
    const page = await ctx.newPage()
    await page.goto(BASE)
    await page.waitForFunction(() => (window as unknown as { __ready?: number }).__ready !== undefined, undefined, { timeout: 30_000 })
    out.push(await page.evaluate(() => (window as unknown as { __ready: number }).__ready))
    await ctx.close()
  }
  return out
}

interface StepSample {
  readonly ms: number
  readonly changed: boolean
}

/**
 * In the page before a press: the time of the keydown, of the last DOM
 * change, and of the frame after it; `done` resolves once nothing has
 * changed for 150 ms after that frame (or nothing at all within 2 s of the
 * key). A string, not a function: the bundler's name helpers do not exist
 * in the page.
 */
const STEP_PROBE = `(() => {
  const s = { t0: -1, last: -1, painted: -1 }
  // A message posted from a frame's requestAnimationFrame callback runs once that frame is drawn. One channel,
  // opened here: a new one in every callback would open a pipe to the browser inside the time measured.
  const ch = new MessageChannel()
  let resolve
  s.done = new Promise((r) => { resolve = r })
  const finish = (v) => {
    s.mo.disconnect()
    ch.port1.close()
    window.removeEventListener('keydown', s.onKey, { capture: true })
    resolve(v)
  }
  ch.port1.onmessage = (e) => {
    const at = e.data
    if (s.last !== at) return
    s.painted = performance.now()
    const painted = s.painted
    setTimeout(() => { if (s.painted === painted && s.last === at) finish({ ms: painted - s.t0, changed: true }) }, 150)
  }
  // Only changes after the key count (the key's own listener, below, runs before the app's).
  s.mo = new MutationObserver(() => {
    if (s.t0 < 0) return
    s.last = performance.now()
    requestAnimationFrame(() => ch.port2.postMessage(s.last))
  })
  s.mo.observe(document.body, { subtree: true, childList: true, characterData: true, attributes: true })
  // The press is the key's, not its modifier's: Alt+F11 starts when F11 goes down (Alt went down a moment before).
  s.onKey = (e) => {
    if (s.t0 >= 0 || ['Alt', 'Control', 'Shift', 'Meta'].includes(e.key)) return
    s.t0 = e.timeStamp
    setTimeout(() => { if (s.last < 0) finish({ ms: 0, changed: false }) }, 2000)
  }
  window.addEventListener('keydown', s.onKey, { capture: true })
  window.__step = s
})()`

/**
 * Press `key` and time keydown → the frame after the last DOM change it
 * caused (see the file comment). Nothing of Playwright's runs in the page
 * between the key and that frame: the wait for the answer is a promise the
 * page already holds (a waitForFunction would be set up, then poll, in
 * tasks queued between the app's frame and the message that times it,
 * up to 4.5 ms a press in a trace).
 */
async function timedKey(page: Page, key: string): Promise<StepSample> {
  await page.evaluate(STEP_PROBE)
  const answer = page.evaluate<StepSample>('window.__step.done')
  // Calls to the page run in order: once this one is back, the one above is waiting in the page.
  await page.evaluate('0')
  await page.keyboard.press(key)
  let timer: ReturnType<typeof setTimeout> | undefined
  const late = new Promise<never>((_, reject) => { timer = setTimeout(() => reject(new Error(`${key}: the page did not settle within 20 s`)), 20_000) })
  try {
    return await Promise.race([answer, late])
  } finally {
    clearTimeout(timer)
  }
}

async function cursorText(page: Page): Promise<string> {
  return (await page.getByTestId('cursor').innerText()).trim()
}

/** Frame-to-frame intervals while the wheel scrolls the stream table. */
async function scrollFrames(page: Page): Promise<{ frames: number[]; scrolled: number }> {
  await page.getByRole('tab', { name: /Stream table/ }).click()
  const region = page.getByRole('region', { name: 'Stream table entries' })
  await region.waitFor()
  await page.waitForFunction(() => document.querySelectorAll('.vscroll [data-testid^=ste-config-]').length > 0, undefined, { timeout: 20_000 })
  const box = (await region.boundingBox())!
  await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2)
  // A string, not a function: the bundler's name helpers do not exist in the page.
  await page.evaluate(`(() => {
    window.__frames = []
    window.__run = true
    let prev = -1
    const tick = (t) => {
      if (prev >= 0) window.__frames.push(t - prev)
      prev = t
      if (window.__run) requestAnimationFrame(tick)
    }
    requestAnimationFrame(tick)
  })()`)
  for (let k = 0; k < 80; k++) {
    await page.mouse.wheel(0, 900)
    await page.waitForTimeout(16)
  }
  const frames = await page.evaluate(() => {
    const w = window as unknown as { __frames: number[]; __run: boolean }
    w.__run = false
    return w.__frames
  })
  // Rows scrolled past, by the height of a row as drawn (a host/shadow pair is taller than a single STE).
  const scrolled = await region.evaluate((el) => el.scrollTop / (el.querySelector('.stepair, .sterow')?.getBoundingClientRect().height ?? 54))
  return { frames, scrolled }
}

/** Text the page shows about a failure (notices, alerts), for a row's note. */
async function pageTrouble(page: Page): Promise<string> {
  const t = await page.evaluate(`[...document.querySelectorAll('[role=alert], [role=status], .notice, .error')].map((e) => e.textContent.trim()).filter(Boolean).join(' / ')`)
  return typeof t === 'string' && t ? t.slice(0, 300) : 'nothing shown'
}

/**
 * The floor under ui_step on this machine, timed the same way: a page whose
 * only answer to a key is one character of text. Chromium paints at 60 Hz
 * vsync, so the key's paint waits for the next frame whatever the page
 * does; this row shows how much of a ui_step figure that wait and input
 * delivery are (no target: it is what no app can go below).
 */
async function stepFloor(browser: Browser): Promise<Row> {
  const ctx = await browser.newContext({ viewport: { width: 1280, height: 800 } })
  try {
    const page = await ctx.newPage()
    await page.setContent('<p id="x">0</p>')
    await page.evaluate(() => {
      const x = document.getElementById('x')!
      let n = 0
      window.addEventListener('keydown', () => { x.textContent = String(++n) })
    })
    await page.locator('body').click({ position: { x: 5, y: 5 } })
    const samples: number[] = []
    for (let k = 0; k < 65; k++) samples.push((await timedKey(page, 'F11')).ms)
    return row({ name: 'ui_step floor: one character changed', value: quantile(samples, 0.95), unit: 'ms', note: `p95 of 65 presses on a page that changes one character per key (input delivery and one frame); median ${median(samples).toFixed(1)} ms` })
  } finally {
    await ctx.close()
  }
}

/**
 * Open a scenario from its share link at cursor `at`, time debugger
 * key presses, and for the heavy one also scroll its stream table.
 */
async function stepping(browser: Browser, id: string, scenario: unknown, at: number, heavy: boolean): Promise<Row[]> {
  const rows: Row[] = []
  const ctx = await browser.newContext({ viewport: { width: 1280, height: 800 } })
  const page = await ctx.newPage()
  const errors: string[] = []
  page.on('pageerror', (e) => errors.push(e.message))
  try {
    const t0 = performance.now()
    await page.goto(BASE + encodeShareUrl(scenario, at))
    try {
      await page.waitForFunction((c) => {
        const el = document.querySelector('[data-testid=cursor]')
        return el !== null && el.textContent.trim().startsWith(`${c} /`) && document.getElementById(`j-${c}`) !== null
      }, at, { timeout: 45_000 })
    } catch {
      const why = `could not open ${id} within 45 s: ${errors[0] ?? (await pageTrouble(page))}`
      rows.push(budget(`ui_step p95 ${id}`, NaN, 'ms', FRAME_MS, why))
      if (heavy) rows.push(budget('ui_scroll stream table p95 frame', NaN, 'ms', SCROLL_FRAME_MS, why))
      return rows
    }
    const openMs = performance.now() - t0
    const records = (await cursorText(page)).split('/')[1].trim()
    if (heavy) rows.push(row({ name: `ui: open ${id} link`, value: openMs, unit: 'ms', note: `run in the worker to ${records} records, then the view at cursor ${at}` }))
    await page.locator('body').click({ position: { x: 5, y: 5 } })
    for (const k of ['F11', 'Alt+F11', 'F11', 'Alt+F11']) await timedKey(page, k)
    const samples: number[] = []
    let still = 0
    const trace = process.env.SMMUSCOPE_BENCH_TRACE
    if (trace) await browser.startTracing(page, { path: `${trace}-${id.split(' ')[0]}.json`, categories: ['devtools.timeline', 'disabled-by-default-devtools.timeline', 'disabled-by-default-devtools.timeline.frame', 'v8.execute', 'blink.user_timing'] })
    const presses: { key: string; ms: number; moved: boolean }[] = []
    for (const k of STEP_KEYS) {
      const before = await cursorText(page)
      const s = await timedKey(page, k)
      const moved = s.changed && (await cursorText(page)) !== before
      presses.push({ key: k, ms: s.ms, moved })
      if (!moved) still++
      else samples.push(s.ms)
    }
    if (trace) {
      await browser.stopTracing()
      writeFileSync(`${trace}-${id.split(' ')[0]}.presses.json`, JSON.stringify(presses))
    }
    if (process.env.SMMUSCOPE_BENCH_SAMPLES || trace) console.log(id, samples.map((x) => x.toFixed(1)).join(' '))
    const note = `${samples.length} presses of F11, Alt+F11, F10, Alt+F10 from cursor ${at} of ${records}; median ${median(samples).toFixed(1)} ms${still ? `; ${still} did not move` : ''}`
    if (samples.length < STEP_KEYS.length / 2) rows.push(budget(`ui_step p95 ${id}`, NaN, 'ms', FRAME_MS, `only ${samples.length} of ${STEP_KEYS.length} presses moved the cursor`))
    else rows.push(budget(`ui_step p95 ${id}`, quantile(samples, 0.95), 'ms', FRAME_MS, note))
    if (heavy) {
      const sc = await scrollFrames(page)
      const missed = sc.frames.filter((f) => f > 1.5 * (1000 / 60)).length
      rows.push(budget('ui_scroll stream table p95 frame', quantile(sc.frames, 0.95), 'ms', SCROLL_FRAME_MS, `${sc.frames.length} frames while the wheel scrolled ${sc.scrolled.toFixed(0)} of 65536 rows; median ${median(sc.frames).toFixed(1)} ms; ${missed} longer than 1.5 frames`))
    }
  } finally {
    await ctx.close()
  }
  return rows
}

/** Stepping runs: the default scenario, boot-pkvm (the pKVM boot, every panel live) and the 8 GiB / 65536-SID one. */
const STEP_RUNS: readonly { readonly id: string; readonly label: string; readonly scenario: () => unknown; readonly at: number; readonly heavy: boolean }[] = [
  { id: 'default', label: `${BUILTINS[0][0]} (default)`, scenario: () => BUILTINS[0][1], at: 40, heavy: false },
  { id: 'boot-pkvm', label: 'boot-pkvm', scenario: () => BUILTINS.find(([i]) => i === 'boot-pkvm')?.[1], at: 300, heavy: false },
  { id: 'pkvm-8g-65536-sids', label: 'pkvm-8g-65536-sids', scenario: () => heavyScenario('pkvm-8g-65536-sids'), at: 100_000, heavy: true },
]

/** The preview server and a headless Chromium for `fn`; both are stopped after. */
async function withBrowser<T>(fn: (browser: Browser) => Promise<T>): Promise<T> {
  const server = await preview()
  try {
    const browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run'] })
    try {
      return await fn(browser)
    } finally {
      await browser.close()
    }
  } finally {
    server.kill()
  }
}

async function stepRuns(browser: Browser, ids: readonly string[]): Promise<Row[]> {
  const rows: Row[] = []
  for (const r of STEP_RUNS.filter((x) => ids.includes(x.id))) rows.push(...(await stepping(browser, r.label, r.scenario(), r.at, r.heavy)))
  return rows
}

/** Every browser row; throws only when the browser cannot be started at all. */
export async function benchUi(): Promise<Row[]> {
  const rows: Row[] = []
  const js = initialJs()
  rows.push(budget('load initial JS (gzip)', js.gzip, 'bytes', INITIAL_JS_LIMIT, `${js.files.join(', ')}: ${(js.raw / 1024).toFixed(0)} KiB raw`))
  const wk = workerJs()
  if (wk) rows.push(row({ name: 'load engine worker JS (gzip)', value: wk.gzip, unit: 'bytes', note: `fetched when the worker starts; ${(wk.raw / 1024).toFixed(0)} KiB raw` }))
  if (!existsSync(CHROMIUM)) {
    console.log(`(no Chromium at ${CHROMIUM}: set CHROMIUM_PATH; browser figures skipped)`)
    return rows
  }
  rows.push(
    ...(await withBrowser(async (browser) => {
      const loads = await coldLoads(browser, 5)
      const cold = budget('load cold, default scenario', median(loads), 'ms', 1000, `navigation start to journal rows + cursor; median of 5 fresh contexts (${loads.map((x) => x.toFixed(0)).join(', ')})`)
      return [cold, await stepFloor(browser), ...(await stepRuns(browser, STEP_RUNS.map((r) => r.id)))]
    })),
  )
  return rows
}

/**
 * Run alone for the stepping figures only, e.g. before and after a change:
 * `SMMUSCOPE_DIST=/tmp/dist SMMUSCOPE_BENCH_PORT=4391 npx tsx bench/ui.ts default boot-pkvm`
 * (ids: default, boot-pkvm, pkvm-8g-65536-sids; none: all three).
 * SMMUSCOPE_BENCH_SAMPLES=1 also prints every press's figure;
 * SMMUSCOPE_BENCH_TRACE=/tmp/t records a Chromium trace of each run's
 * presses to /tmp/t-<id>.json (open it in the DevTools Performance panel).
 */
async function main(): Promise<void> {
  const ids = process.argv.slice(2)
  const unknown = ids.filter((id) => !STEP_RUNS.some((r) => r.id === id))
  if (unknown.length) throw new Error(`unknown stepping run ${unknown.join(', ')}: use ${STEP_RUNS.map((r) => r.id).join(', ')}`)
  const rows = await withBrowser((b) => stepRuns(b, ids.length ? ids : STEP_RUNS.map((r) => r.id)))
  console.log(table(rows))
  for (const r of rows) if (r.note) console.log(`${r.name}: ${r.note}`)
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) await main()
