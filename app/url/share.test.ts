import { describe, expect, test } from 'vitest'
import { encodeShareUrl } from '../../engine/scenario/url'
import { isShareHash, readLink, scenarioFileName, shareUrl } from './share'

describe('share links in the app', () => {
  test('the URL is the page without its old fragment, plus the encoded scenario, cursor and panels', () => {
    const s = { smmuscope: 1, title: 'x' }
    const r = shareUrl('http://localhost:4173/?a=1#s=1.old&c=9', s, 42, ['walk'])
    expect(r).toEqual({ ok: true, url: `http://localhost:4173/?a=1${encodeShareUrl(s, 42, ['walk'])}` })
    if (!r.ok) return
    expect(r.url).toMatch(/#s=1\.[A-Za-z0-9_-]+&c=42&p=walk$/)
    expect(readLink(new URL(r.url).hash)).toEqual({ ok: true, json: s, cursor: 42, panels: ['walk'] })
  })
  test('what cannot be shared is a message, not an exception', () => {
    expect(shareUrl('http://h/', { a: 1 }, -1, [])).toEqual({ ok: false, message: 'cursor -1 is not a journal position' })
  })
  test('only hashes with s= are links', () => {
    expect(isShareHash('')).toBe(false)
    expect(isShareHash('#')).toBe(false)
    expect(isShareHash('#s=1.abc')).toBe(true)
    expect(isShareHash('#c=3&s=1.abc')).toBe(true)
    expect(isShareHash('#cs=1')).toBe(false)
  })
  test('download names come from the title', () => {
    expect(scenarioFileName('Raw SMMU: CMDQ & EVTQ!')).toBe('raw-smmu-cmdq-evtq.json')
    expect(scenarioFileName('')).toBe('scenario.json')
  })
})
