/**
 * Debugger keys, as in browser debuggers: F8 continue, F10 step over,
 * F11 step into, Shift+F11 step out; the same keys with Alt step backwards.
 */
export type StepAction =
  | 'toStart' | 'toEnd'
  | 'stepOver' | 'stepInto' | 'stepOut'
  | 'stepBackOver' | 'stepBackInto' | 'stepBackOut'

export interface KeyLike {
  readonly key: string
  readonly altKey: boolean
  readonly shiftKey: boolean
  readonly ctrlKey: boolean
  readonly metaKey: boolean
}

export function keyAction(e: KeyLike): StepAction | null {
  if (e.ctrlKey || e.metaKey) return null
  const back = e.altKey
  switch (e.key) {
    case 'F8':
      return e.shiftKey ? null : back ? 'toStart' : 'toEnd'
    case 'F10':
      return e.shiftKey ? null : back ? 'stepBackOver' : 'stepOver'
    case 'F11':
      if (e.shiftKey) return back ? 'stepBackOut' : 'stepOut'
      return back ? 'stepBackInto' : 'stepInto'
    default:
      return null
  }
}

/** The label shown on buttons and in aria-keyshortcuts. */
export const actionKeys: Readonly<Record<StepAction, string>> = {
  toStart: 'Alt+F8',
  toEnd: 'F8',
  stepOver: 'F10',
  stepInto: 'F11',
  stepOut: 'Shift+F11',
  stepBackOver: 'Alt+F10',
  stepBackInto: 'Alt+F11',
  stepBackOut: 'Alt+Shift+F11',
}
