import { expect, test } from 'vitest'
import { keyAction } from './keys'

const k = (key: string, mods: { alt?: boolean; shift?: boolean; ctrl?: boolean } = {}) => ({
  key,
  altKey: mods.alt ?? false,
  shiftKey: mods.shift ?? false,
  ctrlKey: mods.ctrl ?? false,
  metaKey: false,
})

// DESIGN.md "The screen": F8 continue, F10 step over, F11 step into, Shift+F11 step out; Alt steps back.
test('browser-debugger keys forward', () => {
  expect(keyAction(k('F8'))).toBe('continueForward')
  expect(keyAction(k('F10'))).toBe('stepOver')
  expect(keyAction(k('F11'))).toBe('stepInto')
  expect(keyAction(k('F11', { shift: true }))).toBe('stepOut')
})

test('the same keys with Alt step backwards', () => {
  expect(keyAction(k('F8', { alt: true }))).toBe('continueBack')
  expect(keyAction(k('F10', { alt: true }))).toBe('stepBackOver')
  expect(keyAction(k('F11', { alt: true }))).toBe('stepBackInto')
  expect(keyAction(k('F11', { alt: true, shift: true }))).toBe('stepBackOut')
})

test('other keys and Ctrl combinations are left to the browser', () => {
  expect(keyAction(k('F5'))).toBeNull()
  expect(keyAction(k('a'))).toBeNull()
  expect(keyAction(k('F11', { ctrl: true }))).toBeNull()
  expect(keyAction(k('F10', { shift: true }))).toBeNull()
})

test('Shift+F8 runs to an end past every breakpoint', () => {
  expect(keyAction(k('F8', { shift: true }))).toBe('toEnd')
  expect(keyAction(k('F8', { shift: true, alt: true }))).toBe('toStart')
})
