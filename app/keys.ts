/**
 * Debugger keys, as in browser debuggers: F8 continue (to the next
 * breakpoint, or the end), F10 step over, F11 step into, Shift+F11 step
 * out; the same keys with Alt go backwards. Shift+F8 runs to the end
 * ignoring breakpoints (Alt+Shift+F8: back to the start).
 */
export type StepAction =
  | 'toStart' | 'toEnd'
  | 'continueForward' | 'continueBack'
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
      if (e.shiftKey) return back ? 'toStart' : 'toEnd'
      return back ? 'continueBack' : 'continueForward'
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
  toStart: 'Alt+Shift+F8',
  toEnd: 'Shift+F8',
  continueForward: 'F8',
  continueBack: 'Alt+F8',
  stepOver: 'F10',
  stepInto: 'F11',
  stepOut: 'Shift+F11',
  stepBackOver: 'Alt+F10',
  stepBackInto: 'Alt+F11',
  stepBackOut: 'Alt+Shift+F11',
}
