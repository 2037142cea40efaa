/**
 * Share links in the app (DESIGN.md "URLs"):
 *   #s=1.<base64url(deflate-raw(scenario JSON))>&c=<cursor>&p=<panels>
 * The codec is the engine's (engine/scenario/url.ts); this file only turns
 * its results into what the screen shows.
 */
import { decodeShareUrl, encodeShareUrl } from '../../engine/scenario/url'

export type LinkRead =
  | { readonly ok: true; readonly json: unknown; readonly cursor?: number; readonly panels: readonly string[] }
  | { readonly ok: false; readonly message: string }

/** Whether a location hash is a share link at all (a plain "#" or none is not). */
export function isShareHash(hash: string): boolean {
  return /(^#?|&)s=/.test(hash)
}

/** Deepest nesting a scenario may have (the format nests 5 levels; the rest is room for notes and mistakes). */
export const MAX_DEPTH = 64

/**
 * A validation error when `json` nests deeper than MAX_DEPTH, else null.
 * Iterative: a 100k-deep document must not overflow the stack here either.
 */
export function tooDeep(json: unknown): { readonly path: string; readonly message: string } | null {
  const stack: [unknown, number][] = [[json, 0]]
  while (stack.length) {
    const [v, d] = stack.pop()!
    if (typeof v !== 'object' || v === null) continue
    if (d >= MAX_DEPTH) return { path: '', message: `the scenario nests more than ${MAX_DEPTH} levels deep (a scenario needs about 5)` }
    for (const c of Object.values(v)) stack.push([c, d + 1])
  }
  return null
}

/** Decode a share link; every failure is a sentence for the user. */
export function readLink(hash: string): LinkRead {
  const d = decodeShareUrl(hash.startsWith('#') ? hash : `#${hash}`)
  if (!d.ok) return { ok: false, message: `This link cannot be opened: ${d.message}` }
  const deep = tooDeep(d.json)
  if (deep !== null) return { ok: false, message: `This link cannot be opened: ${deep.message}` }
  return { ok: true, json: d.json, ...(d.cursor !== undefined && { cursor: d.cursor }), panels: d.panels ?? [] }
}

/** The full URL that opens `scenario` at `cursor` with `panels`, on the page at `href`. */
export function shareUrl(href: string, scenario: unknown, cursor: number, panels: readonly string[]): { ok: true; url: string } | { ok: false; message: string } {
  try {
    const base = href.split('#')[0]
    return { ok: true, url: base + encodeShareUrl(scenario, cursor, panels) }
  } catch (e) {
    return { ok: false, message: e instanceof Error ? e.message : String(e) }
  }
}

/** A file name for a downloaded scenario: its title, lower-case, dashes for the rest. */
export function scenarioFileName(title: string): string {
  const slug = title.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-+|-+$/g, '').slice(0, 60)
  return `${slug || 'scenario'}.json`
}
