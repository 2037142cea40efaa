import type { HypViewModel, HypViewRequest, InspectView, SmmuViewModel, SmmuViewRequest, StrtabView } from '../api-types'
import { commandLayout, describeCommand } from '../arch/commands'
import { REG } from '../arch/registers'
import { hex, hex64 } from '../arch/u64'
import type { JRecord } from '../journal/journal'
import type { ReplayState } from '../journal/replay'
import type { PkvmPlatform } from '../platform/pkvm'
import { toRow } from './fields'
import { hostRegisterRows, trapLogView } from './hyp-traps'
import { hypQueuesView } from './hyp-queues'
import { pageView } from './hyp-page'
import { memmapView, type IdmapGeometry } from './memmap'
import { inspectView } from './inspect'
import { smmuView } from './smmu'
import type { SmmuState } from './smmu-state'
import { keepFields, steDiff, strtabView } from './strtab'

/** What the hypervisor views read: the run, the replayed state at the cursor, and the pKVM platform's fixed geometry. */
export interface HypState {
  readonly records: readonly JRecord[]
  readonly r: ReplayState
  readonly pkvm: PkvmPlatform
  /** Hardware register by name at the cursor. */
  readonly hwReg: (n: string) => bigint
  /** A journaled map at the cursor by name (empty when there is none). */
  readonly map: (name: string) => ReadonlyMap<string | number, unknown>
  readonly sidBits: number
}

const EMPTY = new Map<string | number, unknown>()
export const noMap = (): ReadonlyMap<string | number, unknown> => EMPTY

/** Journal index just after the identity map's build record (its root is known from then on), or undefined. */
function idmapBuilt(records: readonly JRecord[]): number | undefined {
  for (let i = 0; i < records.length; i++) {
    const r = records[i]
    if (r.kind === 'hyp.idmap.build' && typeof r.root === 'number') return i + 1
    if (r.depth === 0 && r.kind === 'op') return undefined
  }
  return undefined
}

/** Host and shadow STEs of the same SIDs, each row's `changed` naming the fields in which the two differ. */
function sideBySide(host: StrtabView, shadow: StrtabView): { host: StrtabView; shadow: StrtabView } {
  const words = (raw: readonly string[]) => raw.map((w) => BigInt(w))
  const other = new Map(shadow.rows.map((r) => [r.sid, r]))
  const hostRows = host.rows.map((h) => {
    const s = other.get(h.sid)
    return { ...h, changed: s && h.raw.length && s.raw.length ? steDiff(words(h.raw), words(s.raw)) : [] }
  })
  const diffs = new Map(hostRows.map((h) => [h.sid, h.changed]))
  return { host: { ...host, rows: hostRows }, shadow: { ...shadow, rows: shadow.rows.map((s) => ({ ...s, changed: diffs.get(s.sid) ?? [] })) } }
}

function hostCommandView(s: HypState, hostReg: (n: string) => bigint, index: number): InspectView {
  const l = REG.CMDQ_BASE.layout
  const v = [hostReg('CMDQ_BASE')]
  const title = `host CMDQ[${index}]`
  const fail = (error: string): InspectView => ({ title, layout: '', ref: '', wordBits: 64, raw: [], fields: [], notes: [], error })
  if (index < 0 || index >= 2 ** l.get(v, 'LOG2SIZE')) return fail(`the host CMDQ has 2^${l.get(v, 'LOG2SIZE')} entries`)
  const addr = l.get(v, 'ADDR') + index * 16
  if (!s.r.mem.contains(addr, 16)) return fail(`no memory at ${hex(addr)}`)
  const words = s.r.mem.readWords(addr, 2)
  const layout = commandLayout(Number(words[0] & 0xffn))
  const notes = ['A slot of the host\'s own command queue (the emulated CMDQ_BASE): the SMMU never reads it; the hypervisor copies and judges each entry on a CMDQ_PROD trap.']
  if (!layout) return { ...fail(`opcode 0x${(words[0] & 0xffn).toString(16)} is not a command`), raw: words.map(hex64), address: hex(addr) }
  return { title, layout: layout.title, ref: layout.ref, address: hex(addr), wordBits: 64, raw: words.map(hex64), fields: describeCommand(words).map(toRow), notes }
}

/** The pKVM views a request asks for, at the cursor `s.r` was replayed to. */
export function hypView(s: HypState, req: HypViewRequest): HypViewModel {
  const { records, r, pkvm } = s
  const cursor = r.cursor
  const emulated = s.map('hyp.smmu')
  const hostReg = (n: string): bigint => {
    const v = emulated.get(n)
    return typeof v === 'bigint' ? v : 0n
  }
  const smmu = pkvm.smmu
  // The hypervisor's own stream table exists from the 'ste' level; below it the hardware walks the host's.
  const ownStrtab = smmu.has('ste')
  let strtab: HypViewModel['strtab']
  if (req.strtab) {
    const src = (table: 'host' | 'shadow', reg: (n: string) => bigint) => ({ table, baseReg: reg('STRTAB_BASE'), cfgReg: reg('STRTAB_BASE_CFG'), sidBits: s.sidBits, mem: r.mem, records, cursor })
    const host = strtabView(src('host', ownStrtab ? hostReg : s.hwReg), req.strtab.from, req.strtab.to)
    const pair: { host: StrtabView; shadow?: StrtabView } = ownStrtab ? sideBySide(host, strtabView(src('shadow', s.hwReg), req.strtab.from, req.strtab.to)) : { host }
    // Cut after the pairing: the fields in which host and shadow differ are kept.
    const names = req.strtab.fields
    strtab = { host: keepFields(pair.host, names), ...(pair.shadow ? { shadow: keepFields(pair.shadow, names) } : {}) }
  }
  const own = pkvm.own
  const ram = own.memory
  const built = idmapBuilt(records)
  const idmapGeo: IdmapGeometry | undefined =
    built !== undefined && cursor >= built ? { root: pkvm.idmap.root, granule: pkvm.idmap.granule, ias: pkvm.idmap.ias, startLevel: pkvm.idmap.startLevel } : undefined
  const ownMaps = { host: s.map('hyp.own.host'), hyp: s.map('hyp.own.hyp') }
  let memmap: HypViewModel['memmap']
  if (req.memmap) {
    const lo = ram.length ? ram[0].base : 0
    const hi = ram.length ? ram[ram.length - 1].base + ram[ram.length - 1].size : 0
    const from = req.memmap.from !== undefined ? Math.max(lo, Number(BigInt(req.memmap.from))) : lo
    const to = req.memmap.to !== undefined ? Math.min(hi, Number(BigInt(req.memmap.to))) : hi
    memmap = memmapView(r.mem, ownMaps, own.pageShift, from, Math.max(from, to), idmapGeo)
  }
  let page: HypViewModel['page']
  if (req.page) {
    const pa = Number(BigInt(req.page.pa))
    page = pageView(records, cursor, r.mem, { ...ownMaps, pins: s.map('hyp.own.pins'), shares: s.map('hyp.own.host_share_guest_count') }, own.pageShift, own.isMemory(pa), pa, idmapGeo ? { geo: idmapGeo, oas: pkvm.idmap.oas } : undefined)
  }
  return {
    emulation: smmu.opts.emulation,
    cmdq: req.cmdq ? hypQueuesView(records, r, hostReg, s.hwReg, smmu.hwQueue === 'shadow', req.cmdq) : undefined,
    strtab,
    traplog: req.traplog ? trapLogView(records, cursor, req.traplog) : undefined,
    registers: req.registers ? hostRegisterRows(records, cursor, emulated, s.hwReg) : undefined,
    memmap,
    page,
    hostCommand: req.hostCommand !== undefined ? hostCommandView(s, hostReg, req.hostCommand) : undefined,
  }
}

/**
 * The SMMU structure views under pKVM. The hardware's STRTAB_BASE names the
 * hypervisor's stream table there; the host's table is the one its emulated
 * STRTAB_BASE names (held in `hyp.smmu`). A stream-table or STE request says
 * which it wants ('host' by default, as without a hypervisor).
 */
export function smmuViewUnderPkvm(s: SmmuState, req: SmmuViewRequest, pkvm: PkvmPlatform, emulated: ReadonlyMap<string | number, unknown>): SmmuViewModel {
  if (!pkvm.smmu.has('ste')) return smmuView(s, req)
  const hostState: SmmuState = {
    ...s,
    reg: (n) => {
      const v = n === 'STRTAB_BASE' || n === 'STRTAB_BASE_CFG' ? emulated.get(n) : undefined
      return typeof v === 'bigint' ? v : s.reg(n)
    },
  }
  const st = req.strtab
  const t = req.inspect
  const steTable = t?.kind === 'ste' ? (t.table ?? 'host') : undefined
  const base = smmuView(s, { ...req, strtab: undefined, inspect: steTable === undefined ? t : undefined })
  let strtab: StrtabView | undefined
  if (st) {
    const from = st.table === 'shadow' ? s : hostState
    const since = Math.max(0, Math.min(s.cursor - 1, st.since ?? s.cursor - 1))
    strtab = keepFields(
      strtabView(
        { table: st.table ?? 'host', baseReg: from.reg('STRTAB_BASE'), cfgReg: from.reg('STRTAB_BASE_CFG'), sidBits: s.feat.sidBits, mem: s.mem, records: s.records, cursor: s.cursor },
        st.from,
        st.to,
        since,
      ),
      st.fields,
    )
  }
  let inspect = base.inspect
  if (t?.kind === 'ste') {
    const v = inspectView(steTable === 'shadow' ? s : hostState, t)
    inspect = { ...v, title: `${steTable === 'shadow' ? 'shadow' : 'host'} ${v.title}` }
  }
  return { ...base, strtab, inspect }
}
