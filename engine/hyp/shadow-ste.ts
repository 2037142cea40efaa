/**
 * smmu_reshadow_ste (SPEC-FACTS B§8 "Shadow STE"): on a host CFGI_STE the
 * hypervisor copies the host's STE, attaches its identity stage 2 (bypass
 * becomes stage 2, stage 1 becomes nested, VMID 0) and writes the result into
 * its own stream table, the one the hardware uses, in an order that never
 * shows the SMMU a half-written valid entry. Each write is an `ste.write`
 * record (table 'shadow') whose `raw` is the entry as memory holds it after
 * that write.
 */
import { hex64 } from '../arch/u64'
import { STE } from '../arch/ste'
import { L1STD } from '../arch/strtab'
import { BusError } from '../mem/physmem'
import { E2BIG, EINVAL, ENOMEM, EPERM, sharePages, unsharePages } from './deps'
import type { PkvmSmmu } from './pkvm'

/** STRTAB_SPLIT: level-2 tables of 256 STEs (Linux and the series). */
export const STRTAB_SPLIT = 8
const STE_BYTES = 64
/** sizeof(struct arm_smmu_strtab_l2): 256 STEs. */
export const L2_BYTES = 2 ** STRTAB_SPLIT * STE_BYTES

const CFG_ABORT = 0
const CFG_S1 = 5
const CFG_NESTED = 7
/** Config bit 1 enables stage 2 (IHI 0070 5.2 STE.Config). */
const CFG_S2_BIT = 2

export interface ReshadowResult {
  /** 0, or a negative errno (the CFGI_STE is then dropped). */
  readonly ret: number
  readonly why: string
}

const fail = (ret: number, why: string): ReshadowResult => ({ ret, why })

/**
 * The host STE with the hypervisor's stage 2 attached (smmu_attach_stage_2),
 * or why it cannot be. Words 2 and 3 are the hypervisor's: whatever the host
 * put there is overwritten.
 */
export function attachStage2(p: PkvmSmmu, host: readonly bigint[]): { ok: true; words: bigint[] } | { ok: false; why: string } {
  const words = [...host]
  const cfg = STE.get(words, 'Config')
  if (STE.get(words, 'V') === 0 || cfg === CFG_ABORT) {
    words[2] = 0n
    words[3] = 0n
    return { ok: true, words }
  }
  if (cfg === CFG_NESTED) return { ok: false, why: 'Config=nested from the host, which was never offered stage 2' }
  // Before the nesting patch the hypervisor has no stage 2 to put under a host
  // stage 1: such an STE is refused and the shadow keeps what it had.
  if (cfg === CFG_S1 && !p.has('nested')) return { ok: false, why: 'Config=s1 needs nesting, which this emulation level does not have' }
  const v = p.deps.idmap.s2Fields()
  const q2 = STE.encode({
    S2VMID: 0,
    S2T0SZ: v.S2T0SZ,
    S2SL0: v.S2SL0,
    S2IR0: v.S2IR0,
    S2OR0: v.S2OR0,
    S2SH0: v.S2SH0,
    S2TG: v.S2TG,
    S2PS: v.S2PS,
    S2AA64: 1,
    S2R: 1,
    S2PTW: 1,
  })[2]
  const q3 = BigInt(p.deps.idmap.vttbr) & STE.field('S2TTB').mask
  const out = STE.with(words, { SHCFG: 'incoming', Config: cfg | CFG_S2_BIT })
  out[2] = q2
  out[3] = q3
  return { ok: true, words: out }
}

/** The host stream table's base (STRTAB_BASE.ADDR) as the host programmed it. */
function hostBase(p: PkvmSmmu): number {
  return p.field('STRTAB_BASE', 'ADDR')
}

function copyRecord(p: PkvmSmmu, what: string, sid: number, address: number, raw: readonly bigint[]): void {
  p.j.entry('hyp.copy', 'hyp', { what, sid, address, raw: raw.map(hex64) })
}

/** Read the host STE of a linear table. */
function hostLinear(p: PkvmSmmu, sid: number): bigint[] | ReshadowResult {
  const address = hostBase(p) + sid * STE_BYTES
  const words = p.mem.readWords(address, 8)
  copyRecord(p, 'host STE', sid, address, words)
  return words
}

/**
 * Read the host STE of a 2-level table through the host L1 descriptor. v6
 * shares and pins the host L2 table only while copying (smmu_get_host_l2_ste);
 * v4 shared it once, when the hypervisor's L1 entry was first populated.
 */
function hostTwoLevel(p: PkvmSmmu, sid: number, l1Idx: number, hypL1: bigint): bigint[] | ReshadowResult {
  const l1Addr = hostBase(p) + l1Idx * 8
  const l1 = p.mem.readWords(l1Addr, 1)
  copyRecord(p, 'host L1STD', sid, l1Addr, l1)
  if (L1STD.get(l1, 'Span') === 0) return fail(-EINVAL, `host L1 descriptor ${l1Idx} has Span=0`)
  const l2 = L1STD.get(l1, 'L2Ptr')
  const address = l2 + (sid % 2 ** STRTAB_SPLIT) * STE_BYTES
  if (p.opts.version === 'v4') {
    const key = `l2.shared.${l1Idx}` as const
    if (hypL1 === 0n) {
      const ret = sharePages(p.deps.host, l2, L2_BYTES)
      p.j.entry('hyp.share', 'hyp', { what: `host L2 stream table ${l1Idx}`, pa: l2, size: L2_BYTES, ret })
      // The series ignores this return code; the model refuses to read memory it could not share.
      if (ret !== 0) return fail(-EPERM, `sharing host L2 table at 0x${l2.toString(16)} failed (${ret})`)
      p.set(key, l2)
    } else if (p.getNum(key) !== l2) {
      // Linux never moves an L2 table; v4 would read the new one unshared.
      return fail(-EPERM, `host L1 descriptor ${l1Idx} now points at 0x${l2.toString(16)}, not the L2 table shared at first use`)
    }
    const words = p.mem.readWords(address, 8)
    copyRecord(p, 'host STE', sid, address, words)
    return words
  }
  const ret = sharePages(p.deps.host, l2, L2_BYTES)
  p.j.entry('hyp.share', 'hyp', { what: `host L2 stream table ${l1Idx} (while copying)`, pa: l2, size: L2_BYTES, ret })
  if (ret !== 0) return fail(ret, `sharing and pinning host L2 table at 0x${l2.toString(16)} failed`)
  const words = p.mem.readWords(address, 8)
  copyRecord(p, 'host STE', sid, address, words)
  const un = unsharePages(p.deps.host, l2, L2_BYTES)
  p.j.entry('hyp.unshare', 'hyp', { what: `host L2 stream table ${l1Idx}`, pa: l2, size: L2_BYTES, ret: un })
  if (un !== 0) p.warn(`unsharing host L2 table at 0x${l2.toString(16)} failed (${un})`)
  return words
}

/** Where the hypervisor's STE for `sid` is, allocating its L2 table when missing; plus the host STE. */
function locate(p: PkvmSmmu, sid: number): { hyp: number; host: bigint[] } | ReshadowResult {
  const cfg = p.cfg!
  const st = cfg.strtab!
  if (!cfg.strtab2l) {
    if (sid >= st.entries) return fail(-E2BIG, `StreamID ${sid} beyond the ${st.entries} STEs of the hypervisor table`)
    const host = hostLinear(p, sid)
    if (!Array.isArray(host)) return host
    return { hyp: st.base + sid * STE_BYTES, host }
  }
  const l1Idx = Math.floor(sid / 2 ** STRTAB_SPLIT)
  if (l1Idx >= st.entries) return fail(-E2BIG, `L1 index ${l1Idx} beyond the ${st.entries} L1 descriptors of the hypervisor table`)
  const hypL1Addr = st.base + l1Idx * 8
  const hypL1 = p.mem.read64(hypL1Addr)
  const host = hostTwoLevel(p, sid, l1Idx, hypL1)
  if (!Array.isArray(host)) return host
  let l2 = L1STD.get([hypL1], 'L2Ptr')
  if (hypL1 === 0n) {
    // First STE of this L2 range: a hypervisor L2 table from the pool (kvm_iommu_donate_pages).
    l2 = p.deps.pool.alloc(L2_BYTES, L2_BYTES)
    if (l2 < 0) return fail(-ENOMEM, 'the IOMMU page pool is exhausted')
    const desc = L1STD.encode({ Span: STRTAB_SPLIT + 1, L2Ptr: BigInt(l2) })
    const rec = p.j.entry('hyp.l1', 'hyp', { table: 'shadow', index: l1Idx, address: hypL1Addr, raw: desc.map(hex64) })
    p.mem.writeWords(hypL1Addr, desc, 'hyp', rec)
  }
  return { hyp: l2 + (sid % 2 ** STRTAB_SPLIT) * STE_BYTES, host }
}

/** Write qwords [from, to) of the shadow STE; an `ste.write` record when memory changes. */
function writeQwords(p: PkvmSmmu, sid: number, addr: number, target: readonly bigint[], from: number, to: number): void {
  const cur = p.mem.readWords(addr, 8)
  const after = cur.map((w, i) => (i >= from && i < to ? target[i] : w))
  if (after.every((w, i) => w === cur[i])) return
  const qwords = to - from === 1 ? `q${from}` : `q${from}..q${to - 1}`
  const rec = p.j.entry('ste.write', 'hyp', { sid, table: 'shadow', qwords, address: addr, raw: after.map(hex64) })
  p.mem.writeWords(addr + from * 8, target.slice(from, to), 'hyp', rec)
}

/**
 * Re-shadow STE `sid` (smmu_reshadow_ste). Requires Leaf=1, the emulated
 * SMMUEN and a StreamID inside the host's LOG2SIZE.
 */
export function reshadowSte(p: PkvmSmmu, sid: number, leaf: boolean): ReshadowResult {
  return p.j.span('hyp.reshadow', 'hyp', { sid }, () => {
    const r = reshadow(p, sid, leaf)
    p.j.annotate({ ret: r.ret, why: r.why })
    return r
  })
}

function reshadow(p: PkvmSmmu, sid: number, leaf: boolean): ReshadowResult {
  if (!leaf) return fail(-EINVAL, 'Leaf=0 (Linux always invalidates leaf entries)')
  // Linux only attaches devices with the SMMU enabled; before that the hardware uses nothing.
  if (!p.smmuEnabled) return fail(-EINVAL, 'the emulated SMMUEN=0')
  const log2 = p.field('STRTAB_BASE_CFG', 'LOG2SIZE')
  if (sid >= 2 ** log2) return fail(-EINVAL, `StreamID ${sid} >= 2^${log2} (host STRTAB_BASE_CFG.LOG2SIZE)`)
  if (p.get('strtab.shared') === 0n) return fail(-EPERM, 'the host stream table is not shared with the hypervisor')
  let where: { hyp: number; host: bigint[] } | ReshadowResult
  try {
    where = locate(p, sid)
  } catch (e) {
    if (!(e instanceof BusError)) throw e
    return fail(-EINVAL, `host stream table read at 0x${e.pa.toString(16)} is outside memory`)
  }
  if (!('hyp' in where)) return where
  const cur = p.mem.readWords(where.hyp, 8)
  const curValid = STE.get(cur, 'V') === 1
  const attached = attachStage2(p, where.host)
  if (!attached.ok) return fail(-EINVAL, attached.why)
  const target = attached.words
  const targetValid = STE.get(target, 'V') === 1
  const cfgi = { op: 'CFGI_STE', SID: sid, Leaf: 1 } as const
  const mid = (): void => {
    const ret = p.send(cfgi)
    if (ret !== 0) p.warn(`CFGI_STE ${sid} + CMD_SYNC failed (${ret})`)
  }
  // The host is not trusted: on V changes the hypervisor orders the writes itself.
  if (curValid && !targetValid) {
    writeQwords(p, sid, where.hyp, target, 0, 1)
    mid()
    writeQwords(p, sid, where.hyp, target, 1, 8)
  } else if (!curValid && targetValid) {
    writeQwords(p, sid, where.hyp, target, 1, 8)
    mid()
    writeQwords(p, sid, where.hyp, target, 0, 1)
  } else writeQwords(p, sid, where.hyp, target, 0, 8)
  const ret = p.send(cfgi)
  return ret === 0 ? { ret: 0, why: 'ok' } : fail(ret, 'the final CFGI_STE + CMD_SYNC did not complete')
}
