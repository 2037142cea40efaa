import type { FieldRow, InspectTarget, InspectView } from '../api-types'
import { CD } from '../arch/cd'
import { commandLayout, describeCommand } from '../arch/commands'
import { decodeDesc, type Granule } from '../arch/descriptors'
import { decodeEvent, describeEvent, eventLayout, eventName } from '../arch/events'
import type { Layout, Words } from '../arch/layout'
import { REG, regByName } from '../arch/registers'
import { STE } from '../arch/ste'
import { L1STD, steAddress } from '../arch/strtab'
import { hex, hex64 } from '../arch/u64'
import type { CachedTlbEntry } from '../smmu/tlb'
import type { TransConfig } from '../smmu/types'
import { cdView } from './cd'
import { permText, sizeText } from './caches'
import { toRow } from './fields'
import type { SmmuState } from './smmu-state'
import { strtabConfig } from './strtab'

const fail = (title: string, error: string): InspectView => ({ title, layout: '', ref: '', wordBits: 64, raw: [], fields: [], notes: [], error })

function structure(title: string, l: Layout, words: Words, address: number | undefined, notes: string[] = []): InspectView {
  return {
    title,
    layout: l.title,
    ref: l.ref,
    address: address === undefined ? undefined : hex(address),
    wordBits: l.wordBits,
    raw: words.map((w) => (l.wordBits === 32 ? hex(w, 8) : hex64(w))),
    fields: l.describe(words).map(toRow),
    notes,
  }
}

/** Where the host stream table puts the STE of `sid` (and its L1STD), at the cursor. */
export function locateSte(s: SmmuState, sid: number): { steAddr?: number; l1Addr?: number; error?: string } {
  const cfg = strtabConfig(s.reg('STRTAB_BASE'), s.reg('STRTAB_BASE_CFG'), s.feat.sidBits)
  try {
    const loc = steAddress(cfg, sid, (pa) => s.mem.read64(pa))
    if (!loc.ok) return { error: `${loc.event}: ${loc.reason}`, l1Addr: loc.fetchAddr }
    if (!s.mem.contains(loc.steAddr, 64)) return { error: `F_STE_FETCH: no memory at ${hex(loc.steAddr)}` }
    return { steAddr: loc.steAddr, l1Addr: loc.l1Addr }
  } catch (e) {
    return { error: `F_STE_FETCH: ${e instanceof Error ? e.message : String(e)}` }
  }
}

function queueSlot(s: SmmuState, which: 'CMDQ' | 'EVENTQ', index: number, bytes: number): { addr: number; words: bigint[] } | string {
  const l = which === 'CMDQ' ? REG.CMDQ_BASE.layout : REG.EVENTQ_BASE.layout
  const v = [s.reg(`${which}_BASE`)]
  const log2 = l.get(v, 'LOG2SIZE')
  if (index < 0 || index >= 2 ** log2) return `${which} has 2^${log2} entries; there is no slot ${index}`
  const addr = l.get(v, 'ADDR') + index * bytes
  if (!s.mem.contains(addr, bytes)) return `no memory at ${hex(addr)}`
  return { addr, words: s.mem.readWords(addr, bytes / 8) }
}

/**
 * The configuration a descriptor read was made under: the newest config
 * cache fill for the DMA's (SID, SSID) at or before the read (a hit means
 * that fill was still in the cache).
 */
function configOf(s: SmmuState, dma: number, read: number): TransConfig | undefined {
  const d = s.records[dma]
  for (let i = read; i >= 0; i--) {
    for (const [id, , , value] of s.records[i].changes ?? []) {
      if (id !== s.cfgcacheId || value === undefined) continue
      const c = value as TransConfig
      if (c.sid === d.sid && c.ssid === (typeof d.ssid === 'number' ? d.ssid : -1)) return c
    }
  }
  return undefined
}

function descriptor(s: SmmuState, record: number): InspectView {
  const r = s.records[record] as (typeof s.records)[number] | undefined
  if (r?.kind !== 'ptw.read') return fail(`record ${record}`, 'not a descriptor read')
  const stage = r.stage === 1 ? 1 : 2
  const level = Number(r.level)
  const word = BigInt((r.raw as string[])[0])
  let dma = -1
  for (let i = record; i >= 0; i--) if (s.records[i].kind === 'dma' && (s.records[i].end ?? 0) > record) { dma = i; break }
  const cfg = dma >= 0 ? configOf(s, dma, record) : undefined
  const iova = dma >= 0 ? BigInt(s.records[dma].iova as bigint | number) : 0n
  // VA[55] selects TT0 or TT1 (Arm ARM D8.1).
  const g: Granule | undefined = stage === 2 ? cfg?.s2?.granule : cfg?.s1?.tt[Number((iova >> 55n) & 1n)]?.granule
  const title = `Stage ${stage} level ${level} descriptor`
  const notes = [`read by the walker at ${hex(Number(r.address))} (journal record ${record})`, `type: ${String(r.type)}`]
  if (g === undefined) return { ...fail(title, 'granule unknown (no configuration for this walk)'), raw: [hex64(word)] }
  const d = decodeDesc(stage, g, level, word)
  if (!d.layout) {
    return { title, layout: `Stage ${stage} descriptor`, ref: 'DDI 0487 D8.3', address: hex(Number(r.address)), wordBits: 64, raw: [hex64(word)], fields: [], notes: [...notes, d.cls === 'invalid' ? 'Valid=0: a Translation fault if used' : 'reserved encoding at this level: faults like an invalid descriptor'] }
  }
  return structure(title, d.layout, [word], Number(r.address), notes)
}

function tlbEntry(s: SmmuState, seq: number): InspectView {
  let e = s.iotlb.get(seq) as CachedTlbEntry | undefined
  if (!e) {
    // Removed before the cursor: its last value is in the change that removed it.
    for (let i = Math.min(s.cursor, s.records.length) - 1; i >= 0 && !e; i--) {
      for (const [id, key, old] of s.records[i].changes ?? []) if (id === s.iotlbId && key === seq && old !== undefined) e = old as CachedTlbEntry
    }
  }
  if (!e) return fail(`IOTLB entry ${seq}`, 'no such entry')
  const ref = 'IHI 0070 4.4'
  const f = (name: string, value: number | string, display: string, desc: string): FieldRow => ({ name, hi: 0, lo: 0, word: -1, value: typeof value === 'number' ? hex(value) : value, display, desc, ref })
  const fields: FieldRow[] = [
    f('ASID', e.asid, e.asid < 0 ? 'none (stage 2 only)' : String(e.asid), 'Address space tag (CD.ASID); -1 for stage-2-only entries'),
    f('VMID', e.vmid, e.vmid < 0 ? 'none (no stage 2)' : String(e.vmid), 'Virtual machine tag (STE.S2VMID)'),
    f('stage', e.stage, e.stage === 12 ? 'nested (S1+S2 combined)' : String(e.stage), 'Which translation the entry caches'),
    f('level', e.level, String(e.level), 'Level of the leaf descriptor (the TTL a range TLBI may name)'),
    f('granule', 2 ** e.granule, sizeText(e.granule), 'Translation granule of the leaf'),
    f('input', e.ipn * 4096, hex(e.ipn * 4096), 'Input address (IOVA, or IPA for stage 2) of the mapping, aligned to its size'),
    f('size', 2 ** e.sizeBits, sizeText(e.sizeBits), 'Size of the cached mapping (the smaller stage wins in a nested entry)'),
    f('PA', e.pa, hex(e.pa), 'Output address of the mapping'),
    f('perm', e.perm, permText(e.perm), 'Stage-1 (or only stage) permission'),
    f('parentPerm', e.parentPerm, permText(e.parentPerm), 'Stage-2 permission in a nested entry (equal to perm otherwise)'),
  ]
  return { title: `IOTLB entry ${seq}`, layout: 'IOTLB entry', ref, wordBits: 64, raw: [], fields, notes: s.iotlb.has(seq) ? [] : ['no longer in the IOTLB at the cursor'] }
}

/** One structure at the cursor, field by field with meaning, bits, section and raw words. */
export function inspectView(s: SmmuState, t: InspectTarget): InspectView {
  switch (t.kind) {
    case 'register': {
      const def = regByName(t.name)
      if (!def) return fail(t.name, 'no such register')
      const v = s.reg(def.name)
      return { ...structure(`SMMU_${def.name}`, def.layout, [v], undefined, [def.desc, `offset ${hex(def.offset + (def.page === 1 ? 0x10000 : 0), 4)}, ${def.width}-bit, ${def.access}`]), address: undefined }
    }
    case 'ste': {
      const loc = locateSte(s, t.sid)
      if (loc.steAddr === undefined) return fail(`STE ${t.sid}`, loc.error ?? '')
      const words = s.mem.readWords(loc.steAddr, 8)
      return structure(`STE ${t.sid}`, STE, words, loc.steAddr, [`StreamID ${t.sid}: Config=${STE.valueName('Config', STE.get(words, 'Config')) ?? 'reserved (abort)'}, V=${STE.get(words, 'V')}`])
    }
    case 'l1std': {
      const loc = locateSte(s, t.sid)
      if (loc.l1Addr === undefined) return fail(`L1STD for StreamID ${t.sid}`, loc.error ?? 'the stream table is linear')
      if (!s.mem.contains(loc.l1Addr, 8)) return fail(`L1STD for StreamID ${t.sid}`, `no memory at ${hex(loc.l1Addr)}`)
      return structure(`L1STD for StreamID ${t.sid}`, L1STD, [s.mem.read64(loc.l1Addr)], loc.l1Addr)
    }
    case 'cd': {
      const loc = locateSte(s, t.sid)
      const ste = loc.steAddr === undefined ? null : s.mem.readWords(loc.steAddr, 8)
      const v = cdView(s.mem, s.feat, t.sid, ste, t.ssid, t.ssid + 1, s.qemuCompat)
      const row = v.rows[0] as (typeof v.rows)[number] | undefined
      if (v.none !== undefined || !row) return fail(`CD ${t.sid}:${t.ssid}`, v.none ?? 'no such CD')
      if (row.error !== undefined) return fail(`CD ${t.sid}:${t.ssid}`, row.error)
      const words = row.raw.map((w) => BigInt(w))
      const notes = [`StreamID ${t.sid}, SubstreamID ${t.ssid}`]
      if (v.ipa) notes.push(`S1ContextPtr is an IPA: the CD at IPA ${row.address ?? ''} is read at PA ${row.pa ?? ''}`)
      return { ...structure(`CD ${t.sid}:${t.ssid}`, CD, words, row.pa === undefined ? undefined : Number(row.pa)), notes }
    }
    case 'command': {
      const slot = queueSlot(s, 'CMDQ', t.index, 16)
      if (typeof slot === 'string') return fail(`CMDQ[${t.index}]`, slot)
      const l = commandLayout(Number(slot.words[0] & 0xffn))
      const name = l?.title ?? `opcode 0x${(slot.words[0] & 0xffn).toString(16)} (not a command)`
      if (!l) return { ...fail(`CMDQ[${t.index}]`, name), raw: slot.words.map(hex64), address: hex(slot.addr) }
      return { ...structure(`CMDQ[${t.index}]`, l, slot.words, slot.addr), fields: describeCommand(slot.words).map(toRow) }
    }
    case 'event': {
      const slot = queueSlot(s, 'EVENTQ', t.index, 32)
      if (typeof slot === 'string') return fail(`EVTQ[${t.index}]`, slot)
      const type = eventName(Number(slot.words[0] & 0xffn))
      if (!type) return { ...fail(`EVTQ[${t.index}]`, `event code 0x${(slot.words[0] & 0xffn).toString(16)} is not defined`), raw: slot.words.map(hex64), address: hex(slot.addr) }
      const ev = decodeEvent(slot.words)
      return { ...structure(`EVTQ[${t.index}]: ${ev.type}`, eventLayout(type), slot.words, slot.addr), fields: describeEvent(slot.words).map(toRow) }
    }
    case 'descriptor':
      return descriptor(s, t.record)
    case 'tlb':
      return tlbEntry(s, t.seq)
  }
}
