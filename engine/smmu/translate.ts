import type { EventRecord } from '../arch/events'
import { REG } from '../arch/registers'
import { hex, hex64, TWO32 } from '../arch/u64'
import { fetchConfig, type ConfigError } from './config'
import { recordEvent } from './evtq'
import { field } from './regfile'
import type { Smmu } from './smmu'
import { PERM_R, PERM_W, type Access, type TlbEntry, type TransConfig, type WalkFault, type WalkStep } from './types'
import { translate as walk } from './walk'

/**
 * One device transaction through the SMMU (IHI 0070 3.x): SMMUEN/GBPA,
 * configuration (cache, then stream table, STE, CD), IOTLB, walk, and
 * the fault event when the faulting stage records faults.
 */

export interface DmaRequest {
  readonly sid: number
  /** SubstreamID, when the transaction carries one (SSV=1). */
  readonly ssid?: number
  /** Input address, 64 bits. */
  readonly iova: bigint
  readonly access: Access
  /** For the journal. */
  readonly device?: string
}

export interface DmaOutcome {
  readonly result: 'ok' | 'fault' | 'abort'
  readonly pa?: number
  /** Event type, when the transaction produced (or would have produced) one. */
  readonly event?: string
  readonly stage?: 1 | 2
  readonly reason: string
}

export function translate(s: Smmu, req: DmaRequest): DmaOutcome {
  const fields = { device: req.device, sid: req.sid, ssid: req.ssid, iova: req.iova, access: req.access.write ? 'write' : 'read' }
  return s.j.span('dma', 'device', fields, () => {
    const out = run(s, req)
    s.j.annotate({ result: out.result, pa: out.pa, event: out.event, stage: out.stage, reason: out.reason })
    return out
  })
}

function run(s: Smmu, req: DmaRequest): DmaOutcome {
  if (field(s, 'CR0', 'SMMUEN') === 0) {
    // SMMU disabled: GBPA decides (IHI 0070 6.3.14); no event.
    if (REG.GBPA.layout.get([s.reg('GBPA')], 'ABORT') === 1) return { result: 'abort', reason: 'CR0.SMMUEN=0 and GBPA.ABORT=1' }
    return { result: 'ok', pa: Number(req.iova), reason: 'CR0.SMMUEN=0: bypass by GBPA' }
  }
  const cfg = config(s, req)
  if ('ok' in cfg) return configFault(s, req, cfg)
  switch (cfg.kind) {
    case 'abort':
      return { result: 'abort', reason: 'STE.Config=abort: transaction terminated without an event' }
    case 'bypass':
      return { result: 'ok', pa: Number(req.iova), reason: 'STE.Config=bypass' }
    default:
      return translated(s, req, cfg)
  }
}

function config(s: Smmu, req: DmaRequest): TransConfig | ConfigError {
  const ssid = req.ssid ?? -1
  const hit = s.cfg.lookup(req.sid, ssid)
  if (hit) return hit
  const base = [s.reg('STRTAB_BASE')]
  const cfgReg = [s.reg('STRTAB_BASE_CFG')]
  const L = REG.STRTAB_BASE_CFG.layout
  const trace = s.j.enabled ? ptwTrace(s) : null
  const r = s.j.span('cfg.fetch', 'smmu', { sid: req.sid, ssid: req.ssid }, () =>
    fetchConfig(
      {
        mem: s.mem,
        feat: s.feat,
        strtab: { base: REG.STRTAB_BASE.layout.get(base, 'ADDR'), log2size: L.get(cfgReg, 'LOG2SIZE'), split: L.get(cfgReg, 'SPLIT'), fmt: L.get(cfgReg, 'FMT') },
        trace,
      },
      req.sid,
      req.ssid,
    ),
  )
  if (!r.ok) return r
  // Failed configurations are not cached: each transaction re-fetches and reports again.
  s.cfg.insert(r.cfg)
  return r.cfg
}

function ptwTrace(s: Smmu): (step: WalkStep) => void {
  return (step) => {
    s.j.entry('ptw.read', 'smmu', {
      stage: step.stage,
      level: step.level,
      address: step.address,
      raw: [hex64((BigInt(step.hi) << 32n) | BigInt(step.lo))],
      type: step.type,
      forS1: step.forS1,
    })
  }
}

function eventBase(req: DmaRequest): Omit<EventRecord, 'type'> {
  return {
    sid: req.sid,
    ssv: req.ssid !== undefined ? 1 : 0,
    ssid: req.ssid ?? 0,
    input: req.iova,
    addr2: 0,
    rnw: req.access.write ? 0 : 1,
    pnu: 0,
    ind: 0,
    stall: 0,
    stag: 0,
  }
}

function configFault(s: Smmu, req: DmaRequest, e: ConfigError): DmaOutcome {
  if (e.event) {
    // Configuration errors are always recorded (IHI 0070 7.3: C_BAD_* and F_*_FETCH ignore R bits).
    recordEvent(s, { ...eventBase(req), type: e.event, addr2: e.fetchAddr ?? 0 }, { reason: e.reason })
    return { result: 'fault', event: e.event, reason: e.reason }
  }
  // Nested: stage 2 faulted while translating a CD or TTB address.
  return walkFault(s, req, e.fault!, e.reason, true)
}

/** Stage-2 faults are recorded when STE.S2R=1, stage-1 when CD.R=1; F_WALK_EABT always. */
function walkFault(s: Smmu, req: DmaRequest, f: WalkFault, reason: string, record: boolean): DmaOutcome {
  if (record || f.type === 'F_WALK_EABT') {
    recordEvent(s, { ...eventBase(req), type: f.type, addr2: f.addr2, stage: f.stage, cls: f.cls }, { reason })
  } else s.j.entry('fault.silent', 'smmu', { type: f.type, stage: f.stage, reason: `${reason}; not recorded (${f.stage === 1 ? 'CD.R' : 'STE.S2R'}=0)` })
  return { result: 'fault', event: f.type, stage: f.stage, reason }
}

const FAULT_WHY: Record<WalkFault['type'], string> = {
  F_TRANSLATION: 'no valid translation',
  F_ADDR_SIZE: 'address size fault',
  F_ACCESS: 'access flag fault (AF=0)',
  F_PERMISSION: 'permission fault',
  F_WALK_EABT: 'external abort on a descriptor fetch',
}

function translated(s: Smmu, req: DmaRequest, cfg: TransConfig): DmaOutcome {
  const hi = Number(req.iova >> 32n) >>> 0
  const lo = Number(req.iova & 0xffff_ffffn)
  const ipn = hi * 2 ** 20 + (lo >>> 12)
  const stage = cfg.kind === 's1' ? 1 : cfg.kind === 's2' ? 2 : 12
  const asid = cfg.s1 ? cfg.s1.asid : -1
  const vmid = cfg.s2 ? cfg.s2.vmid : s.feat.s2p ? 0 : -1
  const tag = { asid, vmid, stage: stage as 1 | 2 | 12 }
  const hit = s.tlb.lookup(tag, ipn)
  if (hit) return fromTlb(s, req, cfg, hit, hi, lo)
  const r = walk(s.mem, cfg, hi, lo, req.access, s.j.enabled ? ptwTrace(s) : null)
  if (!r.ok) {
    const rec = r.fault.stage === 1 ? cfg.s1!.record : cfg.s2!.record
    return walkFault(s, req, r.fault, `stage ${r.fault.stage} level ${r.fault.level}: ${FAULT_WHY[r.fault.type]}`, rec)
  }
  const entry: TlbEntry = {
    asid,
    vmid,
    stage: tag.stage,
    ipn: Math.floor(ipn / 2 ** (r.sizeBits - 12)) * 2 ** (r.sizeBits - 12),
    sizeBits: r.sizeBits,
    level: r.level,
    granule: r.granule,
    pa: r.pa - offsetIn(hi, lo, r.sizeBits),
    perm: r.perm,
    parentPerm: r.parentPerm,
  }
  s.tlb.insert(r.s1Leaf && r.s2Leaf ? { ...entry, stage: 12, s1: r.s1Leaf, s2: r.s2Leaf } : entry)
  return { result: 'ok', pa: r.pa, reason: `translated by ${cfg.kind === 'nested' ? 'stage 1 + stage 2' : `stage ${stage}`} walk` }
}

/** The low sizeBits of the input address. */
function offsetIn(hi: number, lo: number, sizeBits: number): number {
  return sizeBits >= 32 ? (hi % 2 ** (sizeBits - 32)) * TWO32 + lo : lo % 2 ** sizeBits
}

/**
 * A TLB hit gives the same answer a walk would: the cached permission of
 * each stage is checked. (QEMU rechecks only writes on a hit; a stage 2
 * that denies reads is honoured here.)
 */
function fromTlb(s: Smmu, req: DmaRequest, cfg: TransConfig, e: TlbEntry, hi: number, lo: number): DmaOutcome {
  const need = (req.access.read ? PERM_R : 0) | (req.access.write ? PERM_W : 0)
  if ((e.perm & need) !== need || (e.parentPerm & need) !== need) {
    const stage: 1 | 2 = (e.perm & need) === need ? 2 : cfg.kind === 's2' ? 2 : 1
    const rec = stage === 1 ? cfg.s1!.record : cfg.s2!.record
    const ipa = stage === 2 && cfg.kind === 'nested' ? 0 : 0
    return walkFault(s, req, { type: 'F_PERMISSION', stage, cls: 'IN', level: e.level, addr2: ipa }, `stage ${stage} permission (cached entry ${hex(e.ipn * 4096)})`, rec)
  }
  return { result: 'ok', pa: e.pa + offsetIn(hi, lo, e.sizeBits), reason: 'IOTLB hit' }
}
