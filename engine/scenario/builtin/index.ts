/**
 * The built-in scenario library: every file in this folder, by id (file name
 * without .json), the default first. A test fails when a file is missing here.
 */
import rawCmdq from './raw-cmdq.json'
import bootLinux from './boot-linux.json'
import unmapRil from './unmap-ril.json'
import bootPkvm from './boot-pkvm.json'

export type BuiltinJson = { readonly title?: string; readonly notes?: string }

export const BUILTINS: readonly (readonly [id: string, json: BuiltinJson])[] = [
  ['raw-cmdq', rawCmdq],
  ['boot-linux', bootLinux],
  ['unmap-ril', unmapRil],
  ['boot-pkvm', bootPkvm],
]
