import type { Related, Selection } from '../api-types'
import { decodeCommand } from '../arch/commands'
import { REG } from '../arch/registers'
import { hex } from '../arch/u64'
import type { CachedTlbEntry } from '../smmu/tlb'
import type { TransConfig } from '../smmu/types'
import { locateSte } from './inspect'
import type { SmmuState } from './smmu-state'

const PAGE = 4096
const pageOf = (a: number): string => hex(a - (a % PAGE))

class Acc {
  readonly sids = new Set<number>()
  readonly cds = new Set<string>()
  readonly addresses = new Set<string>()
  readonly tlb = new Set<number>()
  readonly cfg = new Set<string>()
  readonly commands = new Set<number>()
  readonly iovas = new Set<string>()
  readonly pages = new Set<string>()
  done(): Related {
    const sorted = <T>(s: Set<T>) => [...s]
    return {
      sids: sorted(this.sids).sort((a, b) => a - b),
      cds: sorted(this.cds),
      addresses: sorted(this.addresses),
      tlb: sorted(this.tlb).sort((a, b) => a - b),
      cfg: sorted(this.cfg),
      commands: sorted(this.commands).sort((a, b) => a - b),
      iovas: sorted(this.iovas),
      pages: sorted(this.pages),
    }
  }
}

function configs(s: SmmuState): TransConfig[] {
  return [...s.cfgcache.values()] as TransConfig[]
}

function tlbEntries(s: SmmuState): CachedTlbEntry[] {
  return [...s.iotlb.values()] as CachedTlbEntry[]
}

/** Does the IOTLB entry carry the tags a configuration would look it up with? (translate.ts's tag rule.) */
function taggedFor(e: CachedTlbEntry, c: TransConfig): boolean {
  if (c.kind === 'abort' || c.kind === 'bypass') return false
  const asid = c.s1 ? c.s1.asid : -1
  const vmid = c.s2 ? c.s2.vmid : e.vmid
  return e.vmid === vmid && (e.asid === asid || (e.asid === -1 && c.s2 !== undefined))
}

/** A StreamID lights its STE (and L1STD), its cached configurations and CDs, their TLB entries, and commands naming it. */
function addSid(s: SmmuState, acc: Acc, sid: number): TransConfig[] {
  acc.sids.add(sid)
  const loc = locateSte(s, sid)
  if (loc.steAddr !== undefined) acc.addresses.add(hex(loc.steAddr))
  if (loc.l1Addr !== undefined) acc.addresses.add(hex(loc.l1Addr))
  const mine = configs(s).filter((c) => c.sid === sid)
  for (const c of mine) {
    acc.cfg.add(`${c.sid}:${c.ssid}`)
    if (c.cdAddr !== undefined) {
      acc.cds.add(`${c.sid}:${Math.max(0, c.ssid)}`)
      acc.addresses.add(hex(c.cdAddr))
    }
  }
  return mine
}

function addCommandsNaming(s: SmmuState, acc: Acc, pred: (f: Readonly<Record<string, unknown>>) => boolean): void {
  const l = REG.CMDQ_BASE.layout
  const v = [s.reg('CMDQ_BASE')]
  const base = l.get(v, 'ADDR')
  const n = Math.min(2 ** l.get(v, 'LOG2SIZE'), 4096)
  for (let i = 0; i < n; i++) {
    const a = base + i * 16
    if (!s.mem.contains(a, 16)) break
    const words = s.mem.readWords(a, 2)
    if (words[0] === 0n && words[1] === 0n) continue
    const c = decodeCommand(words)
    if (c.op !== 'UNKNOWN' && pred(c)) acc.commands.add(i)
  }
}

/** The newest DMA at or before the cursor from `sid` to the input page of `iova`: its walk lights the descriptors it read. */
function addDma(s: SmmuState, acc: Acc, sid: number, iovaPage: number): void {
  for (let i = Math.min(s.cursor, s.records.length) - 1; i >= 0; i--) {
    const d = s.records[i]
    if (d.kind !== 'dma' || d.sid !== sid) continue
    const iova = Number(d.iova)
    if (iova - (iova % PAGE) !== iovaPage) continue
    if (typeof d.pa === 'number') acc.pages.add(pageOf(d.pa))
    for (let k = i + 1; k < Math.min(d.end ?? i + 1, s.cursor); k++) {
      const r = s.records[k]
      if (r.kind === 'ptw.read' || r.kind === 'ste.read' || r.kind === 'cd.read' || r.kind === 'l1.read') acc.addresses.add(hex(Number(r.address)))
      if (r.kind === 'tlb.hit' && typeof r.seq === 'number') acc.tlb.add(r.seq)
    }
    return
  }
}

/**
 * Everything at the cursor related to a selection (DESIGN.md "Linked
 * selection"): an IOVA lights its STE, CDs, the descriptors its last walk
 * read and the TLB entries that translate it; a SID its STE, configurations,
 * TLB entries and commands; a page the TLB entries that map it; a command
 * what it names; a TLB entry its tags' streams.
 */
export function relatedView(s: SmmuState, sel: Selection): Related {
  const acc = new Acc()
  switch (sel.kind) {
    case 'iova': {
      const iova = Number(BigInt(sel.iova))
      const page = iova - (iova % PAGE)
      acc.iovas.add(hex(page))
      const cfgs = addSid(s, acc, sel.sid)
      addDma(s, acc, sel.sid, page)
      const ipn = page / PAGE
      for (const e of tlbEntries(s)) {
        const covers = ipn >= e.ipn && ipn < e.ipn + 2 ** (e.sizeBits - 12)
        if (covers && cfgs.some((c) => taggedFor(e, c))) {
          acc.tlb.add(e.seq)
          acc.pages.add(pageOf(e.pa + (page - e.ipn * PAGE)))
        }
      }
      break
    }
    case 'sid': {
      const cfgs = addSid(s, acc, sel.sid)
      for (const e of tlbEntries(s)) if (cfgs.some((c) => taggedFor(e, c))) acc.tlb.add(e.seq)
      addCommandsNaming(s, acc, (f) => f.SID === sel.sid)
      break
    }
    case 'page': {
      const pa = Number(BigInt(sel.pa))
      const page = pa - (pa % PAGE)
      acc.pages.add(hex(page))
      for (const e of tlbEntries(s)) {
        if (page >= e.pa - (e.pa % PAGE) && page < e.pa + 2 ** e.sizeBits) {
          acc.tlb.add(e.seq)
          acc.iovas.add(hex(e.ipn * PAGE + (page - (e.pa - (e.pa % PAGE)))))
        }
      }
      break
    }
    case 'command': {
      acc.commands.add(sel.index)
      const l = REG.CMDQ_BASE.layout
      const a = l.get([s.reg('CMDQ_BASE')], 'ADDR') + sel.index * 16
      if (!s.mem.contains(a, 16)) break
      const c = decodeCommand(s.mem.readWords(a, 2)) as unknown as Readonly<Record<string, unknown>>
      if (typeof c.SID === 'number') {
        const cfgs = addSid(s, acc, c.SID)
        for (const e of tlbEntries(s)) if (cfgs.some((x) => taggedFor(e, x))) acc.tlb.add(e.seq)
      }
      // A TLBI names entries by its tags (and address): light the ones it would match.
      for (const e of tlbEntries(s)) {
        const asidOk = typeof c.ASID !== 'number' || e.asid === c.ASID
        const vmidOk = typeof c.VMID !== 'number' || e.vmid === c.VMID
        if ((typeof c.ASID === 'number' || typeof c.VMID === 'number') && asidOk && vmidOk) acc.tlb.add(e.seq)
      }
      break
    }
    case 'tlb': {
      const e = s.iotlb.get(sel.seq) as CachedTlbEntry | undefined
      if (!e) break
      acc.tlb.add(e.seq)
      acc.iovas.add(hex(e.ipn * PAGE))
      acc.pages.add(pageOf(e.pa))
      for (const c of configs(s)) if (taggedFor(e, c)) addSid(s, acc, c.sid)
      break
    }
  }
  return acc.done()
}
