/**
 * The debugger's step actions as engine step calls: each is one round trip
 * (the engine walks the journal's spans; see engine/journal/cursor.ts).
 * Cursor c means records [0, c) are applied; record c is the next one.
 */
import type { StepDirection, StepKind } from '../../engine/api-types'

export type StepCall = readonly [kind: StepKind, direction: StepDirection]

export const STEP_CALLS = {
  stepInto: ['into', 'forward'],
  stepOver: ['over', 'forward'],
  stepOut: ['out', 'forward'],
  stepBackInto: ['into', 'backward'],
  stepBackOver: ['over', 'backward'],
  stepBackOut: ['out', 'backward'],
} as const satisfies Record<string, StepCall>

export type StepName = keyof typeof STEP_CALLS
