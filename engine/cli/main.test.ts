import { describe, expect, test } from 'vitest'
import { defaultScenario } from '../api'
import { encodeShareUrl } from '../scenario/url'
import { main } from './main'

describe('smmuscope run URL', () => {
  test('runs the default scenario from its share link, as from its file', () => {
    const url = `http://localhost:4173/${encodeShareUrl(defaultScenario(), 10)}`
    const fromUrl: string[] = []
    const errs: string[] = []
    const code = main(['run', url, '--jsonl'], (s) => fromUrl.push(s), (s) => errs.push(s))
    expect(errs).toEqual([])
    // raw-cmdq.json's three expectations hold: exit status 0 (DESIGN.md "Headless runner").
    expect(code).toBe(0)
    const fromFile: string[] = []
    main(['run', 'engine/scenario/builtin/raw-cmdq.json', '--jsonl'], (s) => fromFile.push(s), () => undefined)
    expect(fromUrl).toEqual(fromFile)
    const summary = JSON.parse(fromUrl[fromUrl.length - 1]) as { kind: string; expectations: number; failed: number }
    expect(summary).toMatchObject({ kind: 'summary', expectations: 3, failed: 0 })
  })

  test('a broken link is refused with the decoder message and exit status 2', () => {
    const errs: string[] = []
    const code = main(['run', 'http://localhost:4173/#s=1.@@@'], () => undefined, (s) => errs.push(s))
    expect(code).toBe(2)
    expect(errs.join('\n')).toMatch(/bad base64url/)
  })
})
