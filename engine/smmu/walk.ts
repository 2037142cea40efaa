/**
 * The translation walk entry point: dispatches a decoded configuration to the
 * stage-1, stage-2 or nested walker. Walks are pure functions of memory; the
 * caller journals the steps reported to `trace`.
 */

import { s1Walk } from './walk-s1'
import { s2Walk } from './walk-s2'
import type { Access, DescReader, TransConfig, WalkResult, WalkTrace } from './types'
import { fail, faultOf, inputPage, resultOf, TWO32 } from './walk-common'

export { walkS1 } from './walk-s1'
export { walkS2 } from './walk-s2'

/**
 * Walk core for a configuration: true with the translation in the walker's
 * scratch record (`out` in walk-common), false with the fault there. The
 * device's translation path reads `out` directly, allocating only what it
 * caches; `translate` wraps it in a WalkResult.
 */
export function walkConfig(
  mem: DescReader,
  cfg: TransConfig,
  iovaHi: number,
  iovaLo: number,
  wantR: boolean,
  wantW: boolean,
  trace: WalkTrace,
): boolean {
  switch (cfg.kind) {
    case 's1':
      if (!cfg.s1) throw new Error(`SID ${cfg.sid}: s1 configuration without a stage-1 config`)
      return s1Walk(mem, cfg.s1, iovaHi >>> 0, iovaLo >>> 0, wantR, wantW, null, trace)
    case 'nested':
      if (!cfg.s1 || !cfg.s2) throw new Error(`SID ${cfg.sid}: nested configuration without both stages`)
      return s1Walk(mem, cfg.s1, iovaHi >>> 0, iovaLo >>> 0, wantR, wantW, cfg.s2, trace)
    case 's2': {
      if (!cfg.s2) throw new Error(`SID ${cfg.sid}: s2 configuration without a stage-2 config`)
      // An input of 2^53 or more is beyond any IPA size (≤ 52 bits): the
      // size check's translation fault, without walking; addr2 is the
      // nearest number (the device holds the exact IOVA).
      const ipa = (iovaHi >>> 0) * TWO32 + (iovaLo >>> 0)
      if (ipa >= 2 ** 53) return fail('F_TRANSLATION', 2, 'IN', -1, ipa)
      return s2Walk(mem, cfg.s2, ipa, wantR, wantW, 'IN', trace, undefined)
    }
    case 'abort':
    case 'bypass':
      throw new Error(`SID ${cfg.sid}: ${cfg.kind} configurations do not walk (the device handles them)`)
  }
}

/**
 * Translate an IOVA (as 32-bit halves) under a stage-1, stage-2 or nested
 * configuration. For a stage-2-only configuration the IOVA is the IPA (class
 * IN). Abort and bypass are the device's business: calling with them throws.
 */
export function translate(
  mem: DescReader,
  cfg: TransConfig,
  iovaHi: number,
  iovaLo: number,
  access: Access,
  trace: WalkTrace,
): WalkResult {
  if (!walkConfig(mem, cfg, iovaHi, iovaLo, access.read, access.write, trace)) return { ok: false, fault: faultOf() }
  return resultOf(cfg.kind === 'nested' ? inputPage(iovaHi, iovaLo) : null)
}
