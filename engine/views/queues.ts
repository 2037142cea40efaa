import type { QueueEntryRow, QueueView } from '../api-types'
import { decodeCommand, describeCommand } from '../arch/commands'
import { decodeEvent, describeEvent } from '../arch/events'
import { queueIndex } from '../arch/queue'
import { REG } from '../arch/registers'
import { hex, hex64 } from '../arch/u64'
import type { ReplayState } from '../journal/replay'
import { toRow } from './fields'

/** Queue windows start on a multiple of this many slots. */
const WINDOW_BLOCK = 16
/** Slots shown above the slot a window is about (at least), and from it on. */
const WINDOW_BEFORE = 4
const WINDOW_AFTER = 20

/**
 * The slots a window about slot `index` shows: from a block boundary at
 * least four slots above it to twenty slots from it on. As the slot moves
 * on by one (CONS advancing, the next command judged) the window gains a
 * row at its end and the rows on screen keep their places; only when the
 * slot crosses into the next block does the window drop the block above
 * (a window that slid with the slot would move every row at every step).
 */
export function queueWindow(index: number): { from: number; to: number } {
  const from = Math.max(0, Math.floor((index - WINDOW_BEFORE) / WINDOW_BLOCK) * WINDOW_BLOCK)
  return { from, to: Math.max(from + WINDOW_BEFORE + WINDOW_AFTER, index + WINDOW_AFTER) }
}

/** A window of the CMDQ or EVTQ ring at the cursor: pointers with wrap bits, entries decoded from memory. */
export function queueView(
  which: 'CMDQ' | 'EVENTQ',
  r: ReplayState,
  reg: (n: string) => bigint,
  entryBytes: 16 | 32,
  win: { from?: number; to?: number },
): QueueView {
  const baseDef = which === 'CMDQ' ? REG.CMDQ_BASE : REG.EVENTQ_BASE
  const baseV = [reg(`${which}_BASE`)]
  const base = baseDef.layout.get(baseV, 'ADDR')
  const log2 = baseDef.layout.get(baseV, 'LOG2SIZE')
  const prod = Number(reg(`${which}_PROD`) & 0xffff_ffffn)
  const cons = Number(reg(`${which}_CONS`) & 0xffff_ffffn)
  const size = 2 ** log2
  const prodIndex = queueIndex(prod, log2)
  const consIndex = queueIndex(cons, log2)
  const wrap = (p: number) => Math.floor(p / size) & 1
  // No window asked for: the one about CONS; a start without an end: the least a window shows.
  const about = win.from === undefined ? queueWindow(consIndex) : { from: win.from, to: win.from + WINDOW_BEFORE + WINDOW_AFTER }
  const from = Math.max(0, about.from)
  const to = Math.min(size, win.to ?? about.to, from + 512)
  const pendingCount = (prodIndex - consIndex + size) % size || (wrap(prod) !== wrap(cons) ? size : 0)
  const entries: QueueEntryRow[] = []
  for (let i = from; i < to; i++) {
    const addr = base + i * entryBytes
    if (!r.mem.contains(addr, entryBytes)) break
    const words = r.mem.readWords(addr, entryBytes / 8)
    const pending = (i - consIndex + size) % size < pendingCount
    if (which === 'CMDQ') {
      const cmd = decodeCommand(words)
      entries.push({ index: i, address: hex(addr), raw: words.map(hex64), opcode: cmd.op === 'UNKNOWN' ? (words[0] === 0n && words[1] === 0n ? '' : `0x${cmd.opcode.toString(16)}`) : cmd.op, fields: describeCommand(words).map(toRow), pending })
    } else {
      const ev = decodeEvent(words)
      entries.push({ index: i, address: hex(addr), raw: words.map(hex64), opcode: words.every((w) => w === 0n) ? '' : ev.type, fields: describeEvent(words).map(toRow), pending })
    }
  }
  return {
    name: which,
    base: hex(base),
    log2size: log2,
    prod,
    cons,
    prodWrap: wrap(prod),
    consWrap: wrap(cons),
    prodIndex,
    consIndex,
    err: which === 'CMDQ' ? REG.CMDQ_CONS.layout.get([BigInt(cons)], 'ERR') : 0,
    entries,
  }
}
