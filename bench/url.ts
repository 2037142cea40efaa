/**
 * url (issue 7): the encoded length of every built-in scenario's share URL
 * fragment (`#s=1.<base64url(deflate-raw(JSON))>`, no cursor, no panels).
 * The default scenario (the library's first) is held to 1 KB; the others are
 * reported. Each link is decoded again and must give back the same JSON.
 */
import { sameData } from '../engine/api'
import { BUILTINS } from '../engine/scenario/builtin'
import { HEAVY } from '../engine/scenario/builtin/heavy'
import { decodeShareUrl, encodeShareUrl } from '../engine/scenario/url'
import { budget, row, type Row } from './rows'

const DEFAULT_LIMIT = 1024

export function benchUrls(): Row[] {
  const all: [string, unknown, boolean][] = [
    ...BUILTINS.map(([id, json]): [string, unknown, boolean] => [id, json, false]),
    ...HEAVY.map(([id, json]): [string, unknown, boolean] => [id, json, true]),
  ]
  return all.map(([id, json, heavy], k) => {
    const link = encodeShareUrl(json)
    const back = decodeShareUrl(link)
    if (!back.ok || !sameData(back.json, json)) throw new Error(`the share URL of ${id} does not decode to the same scenario`)
    const bytes = new TextEncoder().encode(JSON.stringify(json)).length
    const note = `${bytes} bytes of JSON${heavy ? ' (heavy)' : ''}`
    return k === 0
      ? budget(`url ${id} (default)`, link.length, 'chars', DEFAULT_LIMIT, note)
      : row({ name: `url ${id}`, value: link.length, unit: 'chars', note })
  })
}
