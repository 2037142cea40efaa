/**
 * The built-in scenario library: every file in this folder, by id (file name
 * without .json), the default first. A test fails when a file is missing here.
 * The order after the default follows a course: the host alone, pKVM's boot
 * and emulation, isolation, invalidation, STE updates, walks, errors, errata.
 */
import rawCmdq from './raw-cmdq.json'
import bootLinux from './boot-linux.json'
import bootPkvm from './boot-pkvm.json'
import pkvmCmdq from './pkvm-cmdq.json'
import pkvmNestedAttach from './pkvm-nested-attach.json'
import pkvmHostile from './pkvm-hostile.json'
import pkvmDonate from './pkvm-donate.json'
import unmapRil from './unmap-ril.json'
import unmapNoRil from './unmap-no-ril.json'
import hitlessSte from './hitless-ste.json'
import pkvm2level from './pkvm-2level.json'
import nestedWalk24 from './nested-walk-24.json'
import s264kConcat from './s2-64k-concat.json'
import configErrors from './config-errors.json'
import cmdqError from './cmdq-error.json'
import mmu600Errata from './mmu600-errata.json'
import pkvmGuest from './pkvm-guest.json'
import pkvmLevelsMmio from './pkvm-levels-mmio.json'

export type BuiltinJson = { readonly title?: string; readonly notes?: string }

export const BUILTINS: readonly (readonly [id: string, json: BuiltinJson])[] = [
  ['raw-cmdq', rawCmdq],
  ['boot-linux', bootLinux],
  ['boot-pkvm', bootPkvm],
  ['pkvm-cmdq', pkvmCmdq],
  ['pkvm-nested-attach', pkvmNestedAttach],
  ['pkvm-hostile', pkvmHostile],
  ['pkvm-donate', pkvmDonate],
  ['unmap-ril', unmapRil],
  ['unmap-no-ril', unmapNoRil],
  ['hitless-ste', hitlessSte],
  ['pkvm-2level', pkvm2level],
  ['nested-walk-24', nestedWalk24],
  ['s2-64k-concat', s264kConcat],
  ['config-errors', configErrors],
  ['cmdq-error', cmdqError],
  ['mmu600-errata', mmu600Errata],
  ['pkvm-guest', pkvmGuest],
  ['pkvm-levels-mmio', pkvmLevelsMmio],
]
