/**
 * A fuzz campaign over hostile hosts: runs generated cases until a case
 * count or a time budget is spent, and on a failure lets fast-check shrink
 * it to a small counterexample (the scenario that still breaks isolation).
 * The CI test and `npm run fuzz` both run this; only their budgets differ.
 */
import fc from 'fast-check'
import { hostileScenario, type HostileOptions, type Json } from './arbitraries'
import type { Violation } from './oracle'
import { runCase } from './run'

export interface CampaignOptions extends HostileOptions {
  /** Cases to try (stops earlier when `millis` runs out). */
  readonly cases: number
  /** Wall-clock budget in milliseconds; omit for none. */
  readonly millis?: number
  readonly seed?: number
}

export interface CampaignResult {
  readonly seed: number
  /** Cases run before the budget ran out or the first failure (shrinking not counted). */
  readonly tried: number
  /** Shrinking steps taken on a failure. */
  readonly shrinks: number
  /** The shrunk counterexample and what it broke, when one was found. */
  readonly failure?: { readonly scenario: Json; readonly violations: readonly Violation[] }
}

export function campaign(opts: CampaignOptions): CampaignResult {
  const seed = opts.seed ?? 1
  const prop = fc.property(hostileScenario(opts), (json) => runCase(json).violations.length === 0)
  const out = fc.check(prop, {
    numRuns: opts.cases,
    seed,
    ...(opts.millis !== undefined && { interruptAfterTimeLimit: opts.millis, markInterruptAsFailure: false }),
  })
  if (!out.failed || out.counterexample === null) return { seed, tried: out.numRuns, shrinks: 0 }
  const [json] = out.counterexample
  const r = runCase(json)
  return { seed, tried: out.numRuns, shrinks: out.numShrinks, failure: { scenario: r.json, violations: r.violations } }
}
