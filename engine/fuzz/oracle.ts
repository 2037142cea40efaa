/**
 * The isolation oracle: reads a pKVM run's journal in order, keeping the
 * host's page ownership and the hardware's registers as they were at each
 * record, and reports every place the hypervisor's promise broke:
 *
 * - a DMA that completed (`dma`, result 'ok') at a PA whose page the host
 *   does not own or share (host state NOPAGE: donated to the hypervisor or a
 *   guest) — the identity stage 2 must have removed it (SPEC-FACTS B§8
 *   "Identity map": owner HYP or GUEST unmaps);
 * - the hardware using a structure the host can write: from the 'ste'
 *   emulation level, the stream table it reads (L1STD, STE), the stage-2
 *   tables it walks and every STE's S2TTB must be in hypervisor-owned pages;
 *   from 'cmdq', the command queue it consumes (B§8: CMDQ_BASE and
 *   STRTAB_BASE are "never sent to hardware"; the shadow structures are in
 *   the hypervisor's pool);
 * - the engine failing on its own ("engine error"): a hostile host may make
 *   the hypervisor panic (HypPanic, onRefused 'panic'), never the model crash.
 *
 * The isolation properties are checked up to the hypervisor's first WARN:
 * a WARN at EL2 is fatal in production (SPEC-FACTS B§8), so with onRefused
 * 'panic' the run stops there, and what a 'warn' run does afterwards (carry
 * on with, say, a command queue the hardware stopped) is outside what pKVM
 * promises. The engine-error property holds for the whole run.
 *
 * The oracle trusts only the journal's map changes (the state), never the
 * components' opinion of themselves.
 */
import { REG } from '../arch/registers'
import { STE } from '../arch/ste'
import type { HostPage } from '../hyp/ownership'
import type { JRecord } from '../journal/journal'
import type { Machine } from '../machine'
import type { Emulation } from '../scenario/format'

export type Property = 'dma-isolation' | 'hyp-structures' | 'engine-error'

export interface Violation {
  readonly property: Property
  /** Journal index of the record that broke it (-1: the run itself). */
  readonly record: number
  readonly message: string
}

export interface OracleOptions {
  /**
   * Check as if the run were at this emulation level (default: the
   * platform's). Lets a test show the oracle catches what the lower levels
   * of the series do not prevent.
   */
  readonly level?: Emulation
}

const LEVELS: readonly Emulation[] = ['mmio', 'cmdq', 'ste', 'nested']
const CMD_BYTES = 16

function hex(n: number): string {
  return `0x${n.toString(16)}`
}

function asNumber(v: unknown): number | undefined {
  if (typeof v === 'number') return v
  if (typeof v === 'bigint') return Number(v)
  if (typeof v === 'string' && /^0x[0-9a-f]+$/i.test(v)) return Number(BigInt(v))
  return undefined
}

/** Every isolation violation in `m`'s journal (empty: the run kept its promises). */
export function isolationViolations(m: Machine, opts: OracleOptions = {}): Violation[] {
  const out: Violation[] = []
  if (m.stopped?.message.startsWith('engine error')) {
    out.push({ property: 'engine-error', record: -1, message: `step ${m.stopped.step}: ${m.stopped.message}` })
  }
  const k = m.pkvm
  if (!k) return out
  const level = LEVELS.indexOf(opts.level ?? m.scenario.platform.emulation ?? 'nested')
  const steOn = level >= LEVELS.indexOf('ste')
  const cmdqOn = level >= LEVELS.indexOf('cmdq')
  const pageSize = k.own.pageSize
  const hostId = m.j.mapNames.indexOf('hyp.own.host')
  const regsId = m.j.mapNames.indexOf('smmu.regs')
  const host = new Map<number, HostPage>()
  const regs = new Map<string, bigint>()

  const hostPage = (pa: number): HostPage => host.get(Math.floor(pa / pageSize)) ?? { state: 'OWNED', owner: 'host' }
  const hypOwned = (pa: number): boolean => {
    const p = hostPage(pa)
    return p.state === 'NOPAGE' && p.owner === 'hyp'
  }
  const records = m.j.records
  const structure = (i: number, what: string, pa: number) => {
    if (hypOwned(pa)) return
    const p = hostPage(pa)
    out.push({ property: 'hyp-structures', record: i, message: `the SMMU used ${what} at ${hex(pa)}, in a page the host can write (host ${p.state}, owner ${p.owner})` })
  }

  const check = (r: JRecord, i: number) => {
    switch (r.kind) {
      case 'dma': {
        const pa = asNumber(r.pa)
        if (!steOn || r.result !== 'ok' || pa === undefined) return
        const p = hostPage(pa)
        if (p.state === 'NOPAGE') {
          out.push({ property: 'dma-isolation', record: i, message: `DMA from ${String(r.device)} (SID ${String(r.sid)}) reached ${hex(pa)}, a page the host gave to ${p.owner}` })
        }
        return
      }
      case 'ste.read': {
        if (!steOn || r.actor !== 'smmu') return
        const addr = asNumber(r.address)
        if (addr !== undefined) structure(i, `the STE of SID ${String(r.sid)}`, addr)
        const raw = Array.isArray(r.raw) ? r.raw.map((w) => BigInt(String(w))) : []
        // Config bit 1 set: stage 2 translates (IHI 0070 5.2 STE.Config).
        if (raw.length === 8 && STE.get(raw, 'V') === 1 && (STE.get(raw, 'Config') & 0b110) === 0b110) {
          structure(i, `S2TTB of the STE of SID ${String(r.sid)}`, STE.get(raw, 'S2TTB'))
        }
        return
      }
      case 'l1.read': {
        const addr = asNumber(r.address)
        if (steOn && r.actor === 'smmu' && r.table === 'L1STD' && addr !== undefined) structure(i, `the L1STD of SID ${String(r.sid)}`, addr)
        return
      }
      case 'ptw.read': {
        const addr = asNumber(r.address)
        if (steOn && r.actor === 'smmu' && r.stage === 2 && addr !== undefined) structure(i, `a stage-2 level-${String(r.level)} descriptor`, addr)
        return
      }
      case 'cmd.consume': {
        const index = asNumber(r.index)
        if (!cmdqOn || r.actor !== 'smmu' || index === undefined) return
        const base = REG.CMDQ_BASE.layout.get([regs.get('CMDQ_BASE') ?? 0n], 'ADDR')
        structure(i, `CMDQ entry ${index}`, base + index * CMD_BYTES)
        return
      }
    }
  }

  let warned = false
  records.forEach((r, i) => {
    if (r.kind === 'hyp.warn') warned = true
    if (!warned) check(r, i)
    for (const c of r.changes ?? []) {
      if (c[0] === hostId) {
        if (c[3] === undefined) host.delete(c[1] as number)
        else host.set(c[1] as number, c[3] as HostPage)
      } else if (c[0] === regsId) {
        if (c[3] === undefined) regs.delete(String(c[1]))
        else regs.set(String(c[1]), c[3] as bigint)
      }
    }
  })
  return out
}
