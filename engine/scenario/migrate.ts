/**
 * Format migrations: old scenarios keep opening forever.
 *
 * Each format version n < current has one upgrader n → n+1; `migrate` applies
 * them in order, so an upgrader is written once, against the format that was
 * current when it was written, and never changes afterwards. Version 1 is the
 * first format, so the table is empty: a new format adds its upgrader here
 * and bumps FORMAT_VERSION.
 */

import { FORMAT_VERSION } from './format'

export type JsonObject = Record<string, unknown>

/** Turns a scenario of version n into one of version n+1 (the caller sets `smmuscope`). It must not mutate its input. */
export type Upgrader = (json: JsonObject) => JsonObject

/** Upgraders by the version they upgrade FROM. */
export const UPGRADERS: ReadonlyMap<number, Upgrader> = new Map()

export type MigrateResult =
  | { readonly ok: true; readonly json: JsonObject; readonly from: number }
  | { readonly ok: false; readonly message: string }

export interface MigrateOptions {
  readonly upgraders?: ReadonlyMap<number, Upgrader>
  readonly current?: number
}

/**
 * Bring a scenario to the current format version. Never throws: a missing or
 * bad version, a newer format, or an upgrader that fails is a message.
 */
export function migrate(json: unknown, opts: MigrateOptions = {}): MigrateResult {
  const upgraders = opts.upgraders ?? UPGRADERS
  const current = opts.current ?? FORMAT_VERSION
  if (typeof json !== 'object' || json === null || Array.isArray(json)) {
    return { ok: false, message: 'a scenario is a JSON object ({ "smmuscope": 1, "platform": …, "steps": […] })' }
  }
  const obj = json as JsonObject
  if (!('smmuscope' in obj)) {
    return { ok: false, message: `missing: every scenario starts with "smmuscope": ${current} (the format version)` }
  }
  const v = obj.smmuscope
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 0) {
    return { ok: false, message: `${JSON.stringify(v) ?? String(v)} is not a format version (a whole number; this smmuscope writes ${current})` }
  }
  if (v > current) return { ok: false, message: `made by a newer smmuscope (format ${v}); this one reads format ${current}` }
  let out: JsonObject = obj
  for (let n = v; n < current; n++) {
    const up = upgraders.get(n)
    if (!up) return { ok: false, message: `format ${n} is not one this smmuscope can read (it reads ${current})` }
    try {
      out = { ...up(out), smmuscope: n + 1 }
    } catch (e) {
      return { ok: false, message: `cannot upgrade from format ${n}: ${e instanceof Error ? e.message : String(e)}` }
    }
  }
  return { ok: true, json: out, from: v }
}
