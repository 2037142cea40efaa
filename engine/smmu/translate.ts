import type { EventRecord } from '../arch/events'
import { REG } from '../arch/registers'
import { hex, hex64, TWO32 } from '../arch/u64'
import { fetchConfig, type ConfigError } from './config'
import { recordEvent } from './evtq'
import type { Smmu } from './smmu'
import { PERM_R, PERM_W, type Access, type TlbEntry, type TransConfig, type WalkFault, type WalkStep } from './types'
import { configTag } from './tlb-store'
import { walkConfig } from './walk'
import { faultOf, inputPage, lowBits, out, s1LeafOf, s2LeafOf } from './walk-common'

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
  const hi = Number(req.iova >> 32n) >>> 0
  const lo = Number(req.iova & 0xffff_ffffn)
  if (!s.j.enabled) return run(s, req, hi, lo)
  const fields = { device: req.device, sid: req.sid, ssid: req.ssid, iova: req.iova, access: req.access.write ? 'write' : 'read' }
  return s.j.span('dma', 'device', fields, () => {
    const out = run(s, req, hi, lo)
    s.j.annotate({ result: out.result, pa: out.pa, event: out.event, stage: out.stage, reason: out.reason })
    return out
  })
}

/** The input address as 32-bit halves: the walker and the IOTLB work on these (no bigint on the hot path). */
export function run(s: Smmu, req: DmaRequest, hi: number, lo: number): DmaOutcome {
  const pa = resolve(s, req, hi, lo)
  return pa < 0 ? last.refused : { result: 'ok', pa, reason: last.reason }
}

/**
 * Why the last `resolve` ended as it did: the reason of a translation, or
 * the whole outcome of a transaction that did not translate. Read right
 * after the call (the walker's scratch-record convention, walk-common `out`).
 */
const last: { reason: string; refused: DmaOutcome } = { reason: '', refused: { result: 'abort', reason: '' } }

function ok(pa: number, reason: string): number {
  last.reason = reason
  return pa
}

function refuse(o: DmaOutcome): -1 {
  last.refused = o
  return -1
}

/**
 * The device's translation: the PA the transaction reaches, or -1 when it
 * is terminated or faults (`run` gives the outcome). Everything a
 * transaction does happens here (configuration, IOTLB, walk, fault events,
 * caching); only the outcome object is left to `run`, so a stream of
 * translations allocates nothing but what the caches keep.
 */
export function resolve(s: Smmu, req: DmaRequest, hi: number, lo: number): number {
  if (!s.smmuen) {
    // SMMU disabled: GBPA decides (IHI 0070 6.3.14); no event.
    if (REG.GBPA.layout.get([s.reg('GBPA')], 'ABORT') === 1) return refuse({ result: 'abort', reason: 'CR0.SMMUEN=0 and GBPA.ABORT=1' })
    return ok(hi * TWO32 + lo, 'CR0.SMMUEN=0: bypass by GBPA')
  }
  const got = config(s, req)
  // A ConfigError carries `ok: false`; a TransConfig has no `ok` (a property read, not `in`, on the hot path).
  if ((got as Partial<ConfigError>).ok === false) return refuse(configFault(s, req, got as ConfigError))
  const cfg = got as TransConfig
  switch (cfg.kind) {
    case 'abort':
      return refuse({ result: 'abort', reason: 'STE.Config=abort: transaction terminated without an event' })
    case 'bypass':
      return ok(hi * TWO32 + lo, 'STE.Config=bypass')
    default:
      return translated(s, req, cfg, hi, lo)
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
        journal: s.j,
        qemuCompat: s.opts.qemuCompat,
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
  if (e.event === 'C_BAD_STREAMID' && REG.CR2.layout.get([s.reg('CR2')], 'RECINVSID') === 0 && !s.opts.qemuCompat) {
    // C_BAD_STREAMID is "recorded when SMMU_CR2.RECINVSID == 1" (IHI 0070 7.3.3);
    // QEMU ignores CR2 and always records it (qemuCompat keeps that).
    s.j.entry('fault.silent', 'smmu', { type: e.event, reason: `${e.reason}; not recorded (CR2.RECINVSID=0)` })
    return { result: 'fault', event: e.event, reason: e.reason }
  }
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

const OK_HIT = 'IOTLB hit'

function translated(s: Smmu, req: DmaRequest, cfg: TransConfig, iovaHi: number, lo: number): number {
  let hi = iovaHi
  if (cfg.s1) {
    // Top-byte-ignore (CD.TBI; Arm ARM D8.8): VA[63:56] take no part in the
    // translation, so the TLB is tagged with the canonical address (bits 63:56
    // copies of VA[55]), the form CMD_TLBI_NH_VA names (IHI 0070 4.4.1).
    const sel = (hi >>> 23) & 1
    if ((cfg.s1.tbi >>> sel) & 1) hi = ((hi & 0x00ff_ffff) | (sel ? 0xff00_0000 : 0)) >>> 0
  }
  const ipn = inputPage(hi, lo)
  // Decoded configurations carry their tag; one built by hand (tests) gets it here.
  const tag = cfg.tag ?? configTag(cfg, s.feat.s2p)
  const { asid, vmid, stage } = tag
  const hit = s.tlb.probe(tag, ipn)
  if (hit) return fromTlb(s, req, cfg, hit, hi, lo)
  if (!walkConfig(s.mem, cfg, hi, lo, req.access.read, req.access.write, s.j.enabled ? ptwTrace(s) : null)) {
    const f = faultOf()
    const rec = f.stage === 1 ? cfg.s1!.record : cfg.s2!.record
    return refuse(walkFault(s, req, f, `stage ${f.stage} level ${f.level}: ${FAULT_WHY[f.type]}`, rec))
  }
  // The walker's scratch record holds the translation until the next walk.
  const pa = out.pa
  if (s.tlb.caching) {
    const sizeBits = out.sizeBits
    const base = pa - lowBits(hi, lo, sizeBits)
    const eipn = ipn - lowBits(0, ipn, sizeBits - 12)
    if (stage === 12) s.tlb.cacheWalk(asid, vmid, 12, eipn, sizeBits, out.level, out.granule, base, out.perm, out.parentPerm, s1LeafOf(ipn), s2LeafOf())
    else s.tlb.cacheWalk(asid, vmid, stage, eipn, sizeBits, out.level, out.granule, base, out.perm, out.parentPerm)
  }
  return ok(pa, WALKED[stage])
}

const WALKED = { 1: 'translated by a stage-1 walk', 2: 'translated by a stage-2 walk', 12: 'translated by a nested (stage 1 + stage 2) walk' } as const


/**
 * A TLB hit gives the same answer a walk would: the cached permission of
 * each stage is checked. (QEMU rechecks only writes on a hit; a stage 2
 * that denies reads is honoured here.)
 */
function fromTlb(s: Smmu, req: DmaRequest, cfg: TransConfig, e: TlbEntry, hi: number, lo: number): number {
  const need = (req.access.read ? PERM_R : 0) | (req.access.write ? PERM_W : 0)
  if ((e.perm & need) !== need || (e.parentPerm & need) !== need) {
    const stage: 1 | 2 = (e.perm & need) === need ? 2 : cfg.kind === 's2' ? 2 : 1
    const rec = stage === 1 ? cfg.s1!.record : cfg.s2!.record
    // A stage-2 fault records the IPA (IHI 0070 7.3.16): the input address of an
    // S2-only stream; in a nested one, the stage-1 output when the entry kept it.
    const ipa = stage === 1 ? 0 : cfg.kind === 's2' ? e.ipn * 4096 + lowBits(hi, lo, 12) : nestedIpa(e, hi, lo)
    return refuse(walkFault(s, req, { type: 'F_PERMISSION', stage, cls: 'IN', level: e.level, addr2: ipa }, `stage ${stage} permission (cached entry ${hex(e.ipn * 4096)})`, rec))
  }
  return ok(e.pa + lowBits(hi, lo, e.sizeBits), OK_HIT)
}

/** The IPA a combined nested entry maps the input to, from its stage-1 part (0 when it has none). */
function nestedIpa(e: TlbEntry, hi: number, lo: number): number {
  const s1 = (e as TlbEntry & { readonly s1?: { readonly sizeBits: number; readonly pa: number } }).s1
  return s1 ? s1.pa + lowBits(hi, lo, s1.sizeBits) : 0
}
