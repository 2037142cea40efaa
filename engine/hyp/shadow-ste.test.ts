import { describe, expect, test } from 'vitest'
import { encodeCd } from '../arch/cd'
import { hex64 } from '../arch/u64'
import { PageTableBuilder } from '../pgtable/builder'
import { HOST_L2, HYP_BASE, PkvmKit } from './pkvm-testkit'

// Shadow STE contents and write order from smmu_reshadow_ste / smmu_attach_stage_2
// (SPEC-FACTS B§8 "Shadow STE"); bit positions from IHI 0070 5.2 worked by hand.

/** q2 of every stage-2 shadow: the identity VTCR (4K, 44-bit IPA and PA, start level 0) with VMID 0. */
// S2T0SZ 20 << 32 | S2SL0 2 << 38 | S2IR0 1 << 40 | S2OR0 1 << 42 | S2SH0 3 << 44 | S2TG 0 | S2PS 4 << 48
// | S2AA64 1 << 51 | S2PTW 1 << 54 | S2R 1 << 58.
const Q2 = 0x044c_3594_0000_0000n
/** q1 SHCFG = incoming (1 << 44). */
const SHCFG_INCOMING = 0x1000_0000_0000n

/** The ste.write records and the hypervisor's own commands since `from`, in order. */
function steps(k: PkvmKit, from: number): string[] {
  return k.j.records.slice(from).flatMap((r) => {
    if (r.kind === 'ste.write') return [`write ${String(r.qwords)}`]
    if (r.kind === 'cmd.issue' && r.source === 'hyp') return [String(r.opcode)]
    return []
  })
}

describe('linear stream table', () => {
  test('bypass becomes stage 2 with VMID 0 and the identity VTTBR; invalid→valid writes q0 last', () => {
    const k = new PkvmKit()
    k.hostBoot()
    const from = k.j.length
    k.attach(3, { Config: 'bypass' })
    // Config 4 | 0b010 = 6 (S2): q0 = V | 6 << 1 = 0xD.
    const vttbr = BigInt(k.idmap.vttbr)
    expect(vttbr).toBe(BigInt(HYP_BASE)) // the identity table's first allocation from the pool
    expect(k.shadowSte(3)).toEqual([0xdn, SHCFG_INCOMING, Q2, vttbr, 0n, 0n, 0n, 0n])
    expect(steps(k, from)).toEqual(['write q1..q7', 'CFGI_STE', 'SYNC', 'write q0', 'CFGI_STE', 'SYNC'])
    // The intermediate state the SMMU could see after the first write: q0 still 0 (invalid).
    const first = k.records('ste.write', from)[0]
    expect(first.table).toBe('shadow')
    expect(first.raw).toEqual([0n, SHCFG_INCOMING, Q2, vttbr, 0n, 0n, 0n, 0n].map(hex64))
    // The device reaches host memory through the identity map.
    expect(k.dma(3, 0x4100_0040)).toMatchObject({ result: 'ok', pa: 0x4100_0040 })
  })

  test('abort: q2 and q3 zeroed; only q0 changes', () => {
    const k = new PkvmKit()
    k.hostBoot()
    const from = k.j.length
    // The host puts its own stage-2 words in an abort STE: the hypervisor zeroes them.
    k.attach(4, { Config: 'abort', S2VMID: 5, S2TTB: 0x4000_1000n })
    expect(k.shadowSte(4)).toEqual([0x1n, 0n, 0n, 0n, 0n, 0n, 0n, 0n])
    expect(steps(k, from)).toEqual(['CFGI_STE', 'SYNC', 'write q0', 'CFGI_STE', 'SYNC'])
    expect(k.dma(4, 0x4100_0000).result).toBe('abort')
  })

  test('valid→invalid writes q0 first, then CFGI_STE + SYNC, then q1..q7', () => {
    const k = new PkvmKit()
    k.hostBoot()
    k.attach(3, { Config: 'bypass' })
    const from = k.j.length
    k.attach(3, { V: 0 })
    expect(steps(k, from)).toEqual(['write q0', 'CFGI_STE', 'SYNC', 'write q1..q7', 'CFGI_STE', 'SYNC'])
    // After the first write the entry is invalid while q2/q3 still hold the stage 2.
    const first = k.records('ste.write', from)[0]
    expect(first.raw).toEqual([0n, SHCFG_INCOMING, Q2, BigInt(k.idmap.vttbr), 0n, 0n, 0n, 0n].map(hex64))
    expect(k.shadowSte(3)).toEqual([0n, 0n, 0n, 0n, 0n, 0n, 0n, 0n])
  })

  test('valid→valid writes all eight qwords at once', () => {
    const k = new PkvmKit()
    k.hostBoot()
    k.attach(3, { Config: 'abort' })
    const from = k.j.length
    k.attach(3, { Config: 'bypass' })
    expect(steps(k, from)).toEqual(['write q0..q7', 'CFGI_STE', 'SYNC'])
  })

  test('stage 1 becomes nested; the host stage 1 runs under the identity stage 2', () => {
    const k = new PkvmKit()
    k.hostBoot()
    let next = 0x4200_0000
    const alloc = (b: number, a: number) => {
      next = Math.ceil(next / a) * a
      const r = next
      next += b
      return r
    }
    const pt = new PageTableBuilder({ mem: k.mem, stage: 1, granule: 12, inputBits: 48, alloc, actor: 'host' })
    pt.map(0x1000, 0x4300_0000, 12, { read: true, write: true })
    pt.map(0x2000, HYP_BASE + 0x5000, 12, { read: true, write: true }) // a host S1 mapping aimed at hypervisor memory
    const cd = 0x4201_0000
    k.mem.writeWords(cd, encodeCd({ T0SZ: 16, TG0: '4K', EPD1: 1, IPS: '44-bit', AA64: 1, A: 1, R: 1, ASID: 1, TTB0: BigInt(pt.root) }), 'host')
    k.attach(5, { Config: 's1', S1ContextPtr: BigInt(cd), S1DSS: 'bypass' })
    const ste = k.shadowSte(5)
    // Config 5 | 0b010 = 7 (nested): q0 = S1ContextPtr | 7 << 1 | V.
    expect(ste[0]).toBe(BigInt(cd) | 0xfn)
    // q1 keeps the host's S1DSS=bypass (1) and gains SHCFG=incoming.
    expect(ste[1]).toBe(SHCFG_INCOMING | 1n)
    expect(ste.slice(2, 4)).toEqual([Q2, BigInt(k.idmap.vttbr)])
    expect(k.dma(5, 0x1010)).toMatchObject({ result: 'ok', pa: 0x4300_0010 })
    // The stage-1 output IPA is hypervisor memory: the identity stage 2 leaves it out.
    expect(k.dma(5, 0x2000)).toMatchObject({ result: 'fault', event: 'F_TRANSLATION', stage: 2 })
  })

  test('refusals keep the old shadow: nested from the host, Leaf=0, S1 before the nesting patch', () => {
    const k = new PkvmKit()
    k.hostBoot()
    k.attach(6, { Config: 'abort' })
    k.attach(6, { Config: 'nested', S2TTB: 0x4000_0000n })
    expect(k.records('hyp.cmd').at(-2)?.verdict).toBe('rejected')
    k.hostSte(6, { Config: 'bypass' })
    k.cmds([{ op: 'CFGI_STE', SID: 6, Leaf: 0 }])
    expect(k.records('hyp.cmd').at(-1)?.verdict).toBe('rejected')
    expect(k.shadowSte(6)[0]).toBe(1n)

    const s = new PkvmKit({ emulation: 'ste' })
    s.hostBoot()
    s.attach(6, { Config: 's1', S1ContextPtr: 0x4201_0000n })
    expect(s.records('hyp.reshadow')[0].ret).toBe(-22)
    expect(s.shadowSte(6)).toEqual([0n, 0n, 0n, 0n, 0n, 0n, 0n, 0n])
  })

  test('before SMMUEN the host CFGI_STE is refused (-EINVAL)', () => {
    const k = new PkvmKit()
    k.write('CMDQ_BASE', 0x4080_0006n)
    k.write('CR0', 8)
    k.attach(3, { Config: 'bypass' })
    expect(k.records('hyp.reshadow')[0]).toMatchObject({ ret: -22, why: 'the emulated SMMUEN=0' })
  })
})

describe('2-level stream table', () => {
  const params = { sidBits: 16, strtab: '2level' as const }

  test('v6: the host L2 is shared and pinned only while copying; the hypervisor L2 comes from the pool', () => {
    const k = new PkvmKit({ params })
    k.hostBoot({ twoLevel: true })
    k.hostL1(1, HOST_L2)
    const poolBefore = k.pool.next
    k.attach(0x105, { Config: 'bypass' })
    const st = k.hyp.cfg!.strtab!
    // 2^16 SIDs / 256 per L2 table = 256 L1 descriptors.
    expect(st.entries).toBe(256)
    // Hypervisor L1[1]: Span = SPLIT + 1 = 9, L2Ptr = the 16 KiB table just taken from the pool.
    const l2 = Math.ceil(poolBefore / 0x4000) * 0x4000
    expect(k.mem.read64(st.base + 8)).toBe(BigInt(l2) | 9n)
    expect(k.mem.readWords(l2 + 5 * 64, 4)).toEqual([0xdn, SHCFG_INCOMING, Q2, BigInt(k.idmap.vttbr)])
    const shares = k.j.records.filter((r) => r.kind === 'hyp.share' || r.kind === 'hyp.unshare').slice(-2)
    expect(shares.map((r) => [r.kind, r.pa, r.size, r.ret])).toEqual([['hyp.share', HOST_L2, 0x4000, 0], ['hyp.unshare', HOST_L2, 0x4000, 0]])
    expect(k.sharing.shared.has(HOST_L2)).toBe(false)
    expect(k.dma(0x105, 0x4100_0000).result).toBe('ok')
  })

  test('v4: the host L2 is shared once, when its L1 entry is first used, and stays shared', () => {
    const k = new PkvmKit({ params, version: 'v4' })
    k.hostBoot({ twoLevel: true })
    k.hostL1(1, HOST_L2)
    k.attach(0x105, { Config: 'bypass' })
    k.attach(0x106, { Config: 'abort' })
    expect(k.records('hyp.share').filter((r) => r.pa === HOST_L2)).toHaveLength(1)
    expect(k.sharing.shared.get(HOST_L2)).toBe(1)
    // A host that moves its L1 pointer afterwards is refused: the new table was never shared.
    k.hostL1(1, HYP_BASE + 0x10_0000)
    k.cmds([{ op: 'CFGI_STE', SID: 0x107, Leaf: 1 }])
    expect(k.records('hyp.cmd').at(-1)?.verdict).toBe('rejected')
  })

  test('a host L1 with Span=0 is refused', () => {
    const k = new PkvmKit({ params })
    k.hostBoot({ twoLevel: true })
    k.cmds([{ op: 'CFGI_STE', SID: 0x205, Leaf: 1 }])
    expect(k.records('hyp.reshadow')[0]).toMatchObject({ ret: -22 })
  })
})
