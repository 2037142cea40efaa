/**
 * The shadow command queue (SPEC-FACTS B§8 "CMDQ emulation"): on each host
 * PROD write the hypervisor copies every host entry between CONS and PROD
 * into its own memory first and judges the copy (so the host cannot change
 * a command between the check and its use), appends what passes to the
 * shadow queue the hardware consumes, writes the hardware PROD once, waits
 * for the queue to drain, and then publishes the host's new CONS.
 */
import { commandName, decodeCommand, encodeCommand, type CommandInput } from '../arch/commands'
import { queueFree, queueIncrement, queueIndex, queueIsEmpty, queueUsed } from '../arch/queue'
import { hex64 } from '../arch/u64'
import { BusError } from '../mem/physmem'
import { ETIMEDOUT, EPERM } from './deps'
import { filterCommand } from './filter'
import { hostCmdqGeometry } from './mmio'
import type { PkvmSmmu } from './pkvm'

const CMD_BYTES = 16
/** smmu_wait's 100 ms budget, as a number of polls of the hardware CONS (time is the journal index here). */
export const POLL_LIMIT = 4

/** The hypervisor's CMD_SYNC (arm_smmu_cmdq_build_cmd without an MSI address: CS=SEV, MSH=ISH, MSIAttr=OIWB). */
const SYNC: CommandInput = { op: 'SYNC', CS: 'SIG_SEV', MSH: 3, MSIAttr: 0xf }

function shadow(p: PkvmSmmu): { base: number; log2: number } {
  const q = p.cfg?.cmdq
  if (!q) throw new Error('the shadow CMDQ is used before the hypervisor programmed it')
  return q
}

function hwCons(p: PkvmSmmu): number {
  return Number(p.hwRead('CMDQ_CONS') & 0xffff_ffffn)
}

/** Poll the hardware CONS until `n` shadow slots are free (smmu_cmdq_has_space); bounded. */
function waitSpace(p: PkvmSmmu, n: number): number {
  const q = shadow(p)
  for (let i = 0; i < POLL_LIMIT; i++) if (queueFree(p.getNum('shadow.prod'), hwCons(p), q.log2) >= n) return 0
  p.j.entry('hyp.timeout', 'hyp', { what: `room for ${n} commands in the shadow CMDQ`, polls: POLL_LIMIT })
  return -ETIMEDOUT
}

/** Poll the hardware CONS until the shadow queue is empty (smmu_cmdq_empty); bounded. */
function waitEmpty(p: PkvmSmmu): number {
  const q = shadow(p)
  for (let i = 0; i < POLL_LIMIT; i++) if (queueIsEmpty(p.getNum('shadow.prod'), hwCons(p), q.log2)) return 0
  p.j.entry('hyp.timeout', 'hyp', { what: 'the shadow CMDQ to drain', polls: POLL_LIMIT })
  return -ETIMEDOUT
}

/** Write one entry at the shadow PROD (queue_write) and advance the hypervisor's copy of PROD. */
function append(p: PkvmSmmu, words: readonly bigint[], source: 'host' | 'hyp'): void {
  const q = shadow(p)
  const prod = p.getNum('shadow.prod')
  const index = queueIndex(prod, q.log2)
  const address = q.base + index * CMD_BYTES
  const cmd = decodeCommand(words)
  const rec = p.j.entry('cmd.issue', 'hyp', { queue: 'shadow', source, opcode: commandName(cmd), raw: words.map(hex64), index, address })
  p.mem.writeWords(address, words, 'hyp', rec)
  p.set('shadow.prod', queueIncrement(prod, q.log2))
}

/** smmu_add_cmd: wait until the shadow queue is not full, write the command, publish PROD. */
function addCmd(p: PkvmSmmu, words: readonly bigint[]): number {
  const ret = waitSpace(p, 1)
  if (ret) return ret
  append(p, words, 'hyp')
  p.hwWrite('CMDQ_PROD', BigInt(p.getNum('shadow.prod')))
  return 0
}

/** smmu_send_cmd: the command, then CMD_SYNC, then wait for the queue to drain. */
export function sendCmd(p: PkvmSmmu, cmd: CommandInput): number {
  return p.j.span('hyp.send', 'hyp', { opcode: cmd.op }, () => {
    const ret = addCmd(p, encodeCommand(cmd))
    if (ret) return ret
    const sync = addCmd(p, encodeCommand(SYNC))
    return sync || waitEmpty(p)
  })
}

/** Several commands, then one CMD_SYNC, and wait for the shadow queue to drain (a batched invalidation). */
export function sendCmds(p: PkvmSmmu, cmds: readonly CommandInput[]): number {
  return p.j.span('hyp.send', 'hyp', { opcodes: cmds.map((c) => c.op) }, () => {
    for (const c of cmds) {
      const ret = addCmd(p, encodeCommand(c))
      if (ret) return ret
    }
    return addCmd(p, encodeCommand(SYNC)) || waitEmpty(p)
  })
}

/** smmu_emulate_cmdq_insert. 0, or a negative errno (the caller WARNs). */
export function emulateCmdqInsert(p: PkvmSmmu): number {
  if (!p.cmdqEnabled) return 0
  const g = hostCmdqGeometry(p)
  const prod = p.getNum('CMDQ_PROD')
  let cons = p.getNum('CMDQ_CONS')
  const n = queueUsed(prod, cons, g.log2)
  return p.j.span('hyp.cmdq.emulate', 'hyp', { prod, cons, n, hostBase: g.base, log2: g.log2 }, () => {
    // A host queue the hypervisor could not share (it points at memory the host
    // does not own) is never read: the real WARN at CMDQEN would have stopped EL2.
    if (p.get('cmdq.shared') === 0n) {
      p.j.entry('hyp.cmdq.refused', 'hyp', { reason: 'the host CMDQ is not shared with the hypervisor' })
      return -EPERM
    }
    const space = waitSpace(p, n)
    if (space) return space
    for (let k = 0; k < n; k++) {
      const index = queueIndex(cons, g.log2)
      const address = g.base + index * CMD_BYTES
      let words: bigint[]
      try {
        words = p.mem.readWords(address, 2)
      } catch (e) {
        if (!(e instanceof BusError)) throw e
        p.j.entry('hyp.cmdq.refused', 'hyp', { reason: `host CMDQ entry ${index} at 0x${address.toString(16)} is outside memory` })
        break
      }
      // Copy first (into hypervisor memory), then judge the copy: time-of-check is time-of-use.
      p.j.entry('hyp.copy', 'hyp', { what: 'command', index, address, raw: words.map(hex64) })
      cons = queueIncrement(cons, g.log2)
      const v = filterCommand(p, [words[0], words[1]])
      if (v.verdict === 'rejected') {
        p.warn(`command refused: ${v.reason}`, { opcode: v.opcode })
        continue
      }
      append(p, v.words, 'host')
    }
    p.hwWrite('CMDQ_PROD', BigInt(p.getNum('shadow.prod')))
    const ret = waitEmpty(p)
    // Publish the host's CONS: the host sees its commands consumed only now.
    p.set('CMDQ_CONS', cons)
    return ret
  })
}
