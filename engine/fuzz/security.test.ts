import { readdirSync, readFileSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, test } from 'vitest'

/**
 * Security rules that hold in every source file (issue 8): no eval or
 * `new Function` (string-to-code), no innerHTML / dangerouslySetInnerHTML
 * (scenario text is untrusted: React's text rendering escapes it), no
 * network API in the app (it works offline). A scan of the tree, so a new
 * file cannot slip past; eslint's no-eval / no-new-func / no-implied-eval
 * say the same at edit time.
 */

const ROOTS = ['app', 'engine', 'index.html']
const SOURCE = /\.(ts|tsx|html)$/

function files(path: string): string[] {
  if (statSync(path).isFile()) return [path]
  return readdirSync(path).flatMap((n) => files(join(path, n)))
}

const sources = ROOTS.flatMap(files).filter((f) => SOURCE.test(f) && !f.endsWith('.test.ts') && !f.endsWith('.test.tsx'))
/** Strip comments so a comment naming a banned API does not count. */
const code = (f: string) => readFileSync(f, 'utf8').replace(/\/\*[\s\S]*?\*\//g, '').replace(/(^|[^:'"`])\/\/.*$/gm, '$1')

const RULES: readonly [string, RegExp][] = [
  ['eval', /(^|[^.\w])eval\s*\(/],
  ['new Function', /new\s+Function\s*\(/],
  ['string timer', /set(Timeout|Interval)\s*\(\s*['"`]/],
  ['innerHTML', /\.(inner|outer)HTML\s*=/],
  ['dangerouslySetInnerHTML', /dangerouslySetInnerHTML/],
  ['document.write', /document\.write/],
]

describe('source rules', () => {
  test('the scan sees the app and the engine', () => {
    expect(sources.some((f) => f.startsWith('app/'))).toBe(true)
    expect(sources.some((f) => f.startsWith('engine/'))).toBe(true)
  })

  test.each(RULES)('no %s anywhere', (_name, re) => {
    expect(sources.filter((f) => re.test(code(f)))).toEqual([])
  })

  test('the app makes no network requests (no fetch, XMLHttpRequest, WebSocket, EventSource, sendBeacon)', () => {
    const net = /\bfetch\s*\(|XMLHttpRequest|new\s+WebSocket|EventSource|sendBeacon/
    expect(sources.filter((f) => f.startsWith('app/') && net.test(code(f)))).toEqual([])
  })

  test('the rules catch what they ban', () => {
    const hit = (s: string) => RULES.filter(([, re]) => re.test(s)).map(([n]) => n)
    expect(hit('const f = eval("1")')).toEqual(['eval'])
    expect(hit('x = new Function("a", "return a")')).toEqual(['new Function'])
    expect(hit("el.innerHTML = title")).toEqual(['innerHTML'])
    expect(hit('<div dangerouslySetInnerHTML={{ __html: t }} />')).toEqual(['dangerouslySetInnerHTML'])
    expect(hit('model.evaluate(x)')).toEqual([])
  })
})
