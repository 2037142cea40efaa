import { describe, expect, test } from 'vitest'
import type { CommandInput } from '../arch/commands'
import { CMDQ_PA, RW, SmmuKit } from './testkit'

// Command effects (IHI 0070 4.2-4.7; SPEC-FACTS A§2, A§6) observed through
// real DMAs and the caches they fill, and the CMDQ error protocol (IHI 0070
// 4.1.4, 7.1; SPEC-FACTS A§7). CONS.ERR is CMDQ_CONS[30:24]: 1 ILL, 2 ABT.

const SYNC: CommandInput = { op: 'SYNC', CS: 'SIG_NONE' }
const sids = (k: SmmuKit) => k.smmu.cfg.contents().map((c) => c.sid)
const irqs = (k: SmmuKit, from: number) => k.since(from, 'irq').map((r) => r.line)

/** Bypass STEs for SIDs 0..n-1, each used once so the config cache holds them. */
function bypassStreams(n: number): SmmuKit {
  const k = new SmmuKit()
  for (let sid = 0; sid < n; sid++) {
    k.putSte(sid, { Config: 'bypass' })
    expect(k.dma(sid, 0x1000).result).toBe('ok')
  }
  return k
}

describe('prefetch and configuration invalidation', () => {
  test('PREFETCH_CONFIG / PREFETCH_ADDR are consumed and change nothing (a prefetch is a hint, 4.2)', () => {
    const k = new SmmuKit()
    k.putSte(1, { Config: 'bypass' })
    k.cmd({ op: 'PREFETCH_CONFIG', SID: 1 }, { op: 'PREFETCH_ADDR', SID: 1, Address: 0x1000 }, SYNC)
    expect(k.cons()).toEqual({ rd: 3, err: 0 })
    expect(k.smmu.cfg.size).toBe(0)
    expect(k.smmu.tlb.size).toBe(0)
  })

  test('a cached STE is used until CFGI_STE drops it', () => {
    const k = bypassStreams(4)
    k.putSte(3, { Config: 'abort' })
    expect(k.dma(3, 0x1000).result).toBe('ok') // the cached bypass config
    k.cmd({ op: 'CFGI_STE', SID: 3, Leaf: 1 }, SYNC)
    expect(sids(k)).toEqual([0, 1, 2])
    expect(k.dma(3, 0x1000).result).toBe('abort')
  })

  test('CFGI_STE_RANGE SID 5 Range 1 drops SIDs 4..7: SID & ~(2^(1+1)-1) = 4, +3 (4.3.2)', () => {
    const k = bypassStreams(10)
    k.cmd({ op: 'CFGI_STE_RANGE', SID: 5, Range: 1 }, SYNC)
    expect(sids(k)).toEqual([0, 1, 2, 3, 8, 9])
  })

  test('CFGI_STE_RANGE SID 9 Range 2 drops 8..15; Range 0 drops the aligned pair', () => {
    const k = bypassStreams(10)
    k.cmd({ op: 'CFGI_STE_RANGE', SID: 9, Range: 2 }, SYNC)
    expect(sids(k)).toEqual([0, 1, 2, 3, 4, 5, 6, 7])
    k.cmd({ op: 'CFGI_STE_RANGE', SID: 2, Range: 0 }, SYNC)
    expect(sids(k)).toEqual([0, 1, 4, 5, 6, 7])
  })

  test('CFGI_ALL (CFGI_STE_RANGE with Range 31) drops every SID', () => {
    const k = bypassStreams(6)
    k.cmd({ op: 'CFGI_ALL' }, SYNC)
    expect(k.smmu.cfg.size).toBe(0)
  })

  test('CFGI_CD with SSID 0 drops the CD used by traffic without a SubstreamID (4.3.3)', () => {
    const k = new SmmuKit()
    const { pt } = k.s1Stream(1, 12, 48, 1)
    pt.map(0x1000, 0x5000_0000, 12, RW)
    k.putSte(2, { Config: 'bypass' })
    expect(k.dma(1, 0x1000).pa).toBe(0x5000_0000)
    expect(k.dma(2, 0x1000).result).toBe('ok')
    k.cmd({ op: 'CFGI_CD', SID: 1, SSID: 0, Leaf: 1 }, SYNC)
    expect(sids(k)).toEqual([2])
  })

  test('CFGI_CD_ALL drops the SID\'s CDs; an STE-only (bypass) config caches no CD and stays', () => {
    const k = new SmmuKit()
    const { pt } = k.s1Stream(1, 12, 48, 1)
    pt.map(0x1000, 0x5000_0000, 12, RW)
    k.putSte(2, { Config: 'bypass' })
    k.dma(1, 0x1000)
    k.dma(2, 0x1000)
    k.cmd({ op: 'CFGI_CD_ALL', SID: 2 }, SYNC)
    expect(sids(k)).toEqual([1, 2])
    k.cmd({ op: 'CFGI_CD_ALL', SID: 1 }, SYNC)
    expect(sids(k)).toEqual([2])
  })
})

/**
 * IOTLB contents made by real DMAs on a nested-capable SMMU (S2P=1):
 * SID 1: stage 1, ASID 1 (VMID 0, as Linux gives S1 STEs); SID 3: stage 1,
 * ASID 2; SID 2: stage 2, VMID 5. Each translates 0x1000_0000 and 0x1000_1000.
 */
function tlbSetup() {
  const k = new SmmuKit()
  const a = k.s1Stream(1, 12, 48, 1)
  const b = k.s1Stream(3, 12, 48, 2)
  const s2 = k.s2Stream(2, 12, 40, 5, 1)
  for (const pt of [a.pt, b.pt, s2]) {
    pt.map(0x1000_0000, 0x5000_0000, 12, RW)
    pt.map(0x1000_1000, 0x5000_1000, 12, RW)
  }
  for (const sid of [1, 2, 3]) {
    expect(k.dma(sid, 0x1000_0000).pa).toBe(0x5000_0000)
    expect(k.dma(sid, 0x1000_1000).pa).toBe(0x5000_1000)
  }
  return k
}

/** What is cached, as [stage, asid, vmid, input address]. */
const tlb = (k: SmmuKit) => k.smmu.tlb.contents().map((e) => [e.stage, e.asid, e.vmid, e.ipn * 4096])

describe('TLB invalidation on entries made by DMAs', () => {
  const ALL = [
    [1, 1, 0, 0x1000_0000], [1, 1, 0, 0x1000_1000],
    [2, -1, 5, 0x1000_0000], [2, -1, 5, 0x1000_1000],
    [1, 2, 0, 0x1000_0000], [1, 2, 0, 0x1000_1000],
  ]

  test('the setup caches six entries, and a second DMA hits', () => {
    const k = tlbSetup()
    expect(tlb(k)).toEqual(ALL)
    const m = k.mark()
    expect(k.dma(1, 0x1000_0123).pa).toBe(0x5000_0123)
    expect(k.since(m, 'tlb.hit')).toHaveLength(1)
  })

  test('TLBI_NH_ASID removes that ASID in that VMID only', () => {
    const k = tlbSetup()
    k.cmd({ op: 'TLBI_NH_ASID', ASID: 1, VMID: 0 }, SYNC)
    expect(tlb(k)).toEqual(ALL.slice(2))
    k.cmd({ op: 'TLBI_NH_ASID', ASID: 2, VMID: 7 }, SYNC)
    expect(tlb(k)).toEqual(ALL.slice(2))
  })

  test('a stage-1 STE tags its entries with STE.S2VMID when stage 2 is implemented (why Linux keeps VMID 0 for S1 STEs)', () => {
    const k = new SmmuKit()
    const { pt, cdAddr } = k.s1Stream(4, 12, 48, 9)
    k.putSte(4, { Config: 's1', S1ContextPtr: BigInt(cdAddr), S2VMID: 5 })
    pt.map(0x2000_0000, 0x5000_0000, 12, RW)
    expect(k.dma(4, 0x2000_0000).pa).toBe(0x5000_0000)
    expect(tlb(k)).toEqual([[1, 9, 5, 0x2000_0000]])
    k.cmd({ op: 'TLBI_NH_ASID', ASID: 9, VMID: 0 }, SYNC)
    expect(tlb(k)).toHaveLength(1)
    k.cmd({ op: 'TLBI_NH_ASID', ASID: 9, VMID: 5 }, SYNC)
    expect(tlb(k)).toEqual([])
  })

  test('TLBI_NH_ALL (S2P=1) removes the VMID\'s stage-1 entries; stage-2 entries stay', () => {
    const k = tlbSetup()
    k.cmd({ op: 'TLBI_NH_ALL', VMID: 0 }, SYNC)
    expect(tlb(k)).toEqual(ALL.slice(2, 4))
  })

  test('TLBI_NH_VA (TG=0) removes one page of one ASID; NH_VAA that page of every ASID', () => {
    const k = tlbSetup()
    k.cmd({ op: 'TLBI_NH_VA', ASID: 1, VMID: 0, Address: 0x1000_1000 }, SYNC)
    expect(tlb(k)).toEqual([ALL[0], ...ALL.slice(2)])
    k.cmd({ op: 'TLBI_NH_VAA', VMID: 0, Address: 0x1000_0000 }, SYNC)
    expect(tlb(k)).toEqual([ALL[2], ALL[3], ALL[5]])
  })

  test('TLBI_S12_VMALL removes every entry of the VMID; TLBI_S2_IPA one IPA', () => {
    const k = tlbSetup()
    k.cmd({ op: 'TLBI_S2_IPA', VMID: 5, Address: 0x1000_1000 }, SYNC)
    expect(tlb(k)).toEqual([...ALL.slice(0, 3), ...ALL.slice(4)])
    k.cmd({ op: 'TLBI_S12_VMALL', VMID: 5 }, SYNC)
    expect(tlb(k)).toEqual([...ALL.slice(0, 2), ...ALL.slice(4)])
  })

  test('TLBI_NSNH_ALL removes everything', () => {
    const k = tlbSetup()
    k.cmd({ op: 'TLBI_NSNH_ALL' }, SYNC)
    expect(k.smmu.tlb.size).toBe(0)
  })

  test('TLBI_NH_VA without a range removes a 2M block entry containing the address', () => {
    const k = new SmmuKit()
    const { pt } = k.s1Stream(1, 12, 48, 1)
    pt.map(0x1020_0000, 0x5020_0000, 21, RW)
    expect(k.dma(1, 0x1030_0000).pa).toBe(0x5030_0000)
    expect(tlb(k)).toEqual([[1, 1, 0, 0x1020_0000]])
    k.cmd({ op: 'TLBI_NH_VA', ASID: 1, Address: 0x1030_0000, Leaf: 1 }, SYNC)
    expect(k.smmu.tlb.size).toBe(0)
  })

  test('Linux RIL encoding of a 2 MiB + 4 KiB unmap of 4K pages removes exactly those 513 pages', () => {
    // __arm_smmu_tlb_inv_range worked by hand: size 0x201000, tg 12 -> TG=1,
    // num_pages 513, leaf TTL = 4 - (12-3)/(12-3) = 3.
    //   1st: scale = ffs(513) = 0, num = 1 -> SCALE 0, NUM 0, at iova;        513 - 1 = 512
    //   2nd: scale = ffs(512) = 9, num = 1 -> SCALE 9, NUM 0, at iova + 4K;   512 - 512 = 0
    const k = new SmmuKit({ tlb: { model: 'combined', entries: 1024 } })
    const { pt } = k.s1Stream(1, 12, 48, 1)
    const iova = 0x1000_0000
    for (let p = -1; p <= 513; p++) pt.map(iova + p * 0x1000, 0x5000_0000 + (p + 1) * 0x1000, 12, RW)
    for (let p = -1; p <= 513; p++) k.dma(1, iova + p * 0x1000)
    expect(k.smmu.tlb.size).toBe(515)
    k.cmd(
      { op: 'TLBI_NH_VA', ASID: 1, Address: iova, TG: '4K', TTL: 3, SCALE: 0, NUM: 0, Leaf: 1 },
      { op: 'TLBI_NH_VA', ASID: 1, Address: iova + 0x1000, TG: '4K', TTL: 3, SCALE: 9, NUM: 0, Leaf: 1 },
      SYNC,
    )
    expect(tlb(k)).toEqual([[1, 1, 0, iova - 0x1000], [1, 1, 0, iova + 513 * 0x1000]])
  })

  test('a range with NUM: (NUM+1) x 2^SCALE granules (4.4.1): NUM 2, SCALE 1, TG 4K covers 6 pages', () => {
    const k = new SmmuKit()
    const { pt } = k.s1Stream(1, 12, 48, 1)
    for (let p = 0; p < 8; p++) pt.map(0x1000_0000 + p * 0x1000, 0x5000_0000 + p * 0x1000, 12, RW)
    for (let p = 0; p < 8; p++) k.dma(1, 0x1000_0000 + p * 0x1000)
    k.cmd({ op: 'TLBI_NH_VA', ASID: 1, Address: 0x1000_1000, TG: '4K', SCALE: 1, NUM: 2 }, SYNC)
    expect(tlb(k).map((e) => e[3])).toEqual([0x1000_0000, 0x1000_7000])
  })
})

describe('legality on this implementation (no HYP, PRI, stalls; ATS per params)', () => {
  test.each([
    [{ op: 'TLBI_EL2_ALL' }],
    [{ op: 'TLBI_EL2_ASID', ASID: 1 }],
    [{ op: 'TLBI_EL2_VA', ASID: 1, Address: 0x1000 }],
    [{ op: 'TLBI_EL2_VAA', Address: 0x1000 }],
    [{ op: 'TLBI_EL3_ALL' }],
    [{ op: 'TLBI_EL3_VA', Address: 0x1000 }],
    [{ op: 'ATC_INV', SID: 1, Size: 52 }],
    [{ op: 'PRI_RESP', SID: 1 }],
    [{ op: 'RESUME', SID: 1, STAG: 3 }],
    [{ op: 'STALL_TERM', SID: 1 }],
    [{ op: 'SYNC', CS: 3 }],
  ] as [CommandInput][])('%o is CERROR_ILL', (c) => {
    const k = new SmmuKit()
    k.cmd(SYNC, c, SYNC)
    expect(k.cons()).toEqual({ rd: 1, err: 1 })
    expect(k.read32('GERROR')).toBe(1)
  })

  test('ATC_INV is accepted when IDR0.ATS=1', () => {
    const k = new SmmuKit({ params: { ats: true } })
    k.cmd({ op: 'ATC_INV', SID: 1, Size: 52 }, SYNC)
    expect(k.cons()).toEqual({ rd: 2, err: 0 })
  })

  test('stage-1 commands are ILLEGAL without S1P, stage-2 ones without S2P', () => {
    const s2only = new SmmuKit({ params: { stages: 's2' } })
    for (const c of [{ op: 'TLBI_NH_ASID' }, { op: 'TLBI_NH_VA' }, { op: 'CFGI_CD', SID: 1 }, { op: 'CFGI_CD_ALL', SID: 1 }] as CommandInput[]) {
      const rd = s2only.cons().rd
      s2only.cmd(c)
      expect(s2only.cons()).toEqual({ rd, err: 1 })
      s2only.putWords(s2only.cmdSlot(rd), [0x46n, 0n]) // replace with SYNC, acknowledge
      s2only.write('GERRORN', s2only.read('GERROR'))
      expect(s2only.cons()).toEqual({ rd: rd + 1, err: 1 })
    }
    const s1only = new SmmuKit({ params: { stages: 's1' } })
    s1only.cmd({ op: 'TLBI_S12_VMALL', VMID: 1 })
    expect(s1only.cons()).toEqual({ rd: 0, err: 1 })
  })
})

describe('CMD_SYNC completion signals (4.7.3)', () => {
  test('CS=SIG_NONE: no interrupt, no write', () => {
    const k = new SmmuKit()
    const m = k.mark()
    const [slot] = k.cmd(SYNC)
    expect(irqs(k, m)).toEqual([])
    expect(k.mem.read32(slot)).toBe(0x46)
  })

  test('CS=SIG_IRQ with IDR0.MSI=0: the wired CMD_SYNC interrupt', () => {
    const k = new SmmuKit()
    const m = k.mark()
    k.cmd({ op: 'SYNC', CS: 'SIG_IRQ' })
    expect(irqs(k, m)).toEqual(['CMD_SYNC'])
  })

  test('Linux MSIPOLL: CS=SIG_IRQ, MSIAddr = the SYNC slot, MSIData 0: the SMMU zeroes the slot\'s first 32 bits', () => {
    const k = new SmmuKit({ params: { msi: true } })
    k.cmd(SYNC, SYNC) // the SYNC lands in slot 2
    const slot = CMDQ_PA + 2 * 16
    // arm_smmu_cmdq_build_sync_cmd: cmd0 = CS 1 | MSH 3 | MSIATTR 0xF | opcode 0x46 = 0x0FC01046; cmd1 = MSIADDR.
    const m = k.mark()
    k.cmd([0x0fc0_1046n, BigInt(slot)])
    expect(k.mem.read32(slot)).toBe(0)
    expect(k.mem.read64(slot + 8)).toBe(BigInt(slot))
    expect(k.since(m, 'sync.msi')).toMatchObject([{ address: slot, data: 0, self: true }])
    // The wired line is asserted as well, "regardless of the value of MSIAddress".
    expect(irqs(k, m)).toEqual(['CMD_SYNC'])
    expect(k.cons()).toEqual({ rd: 3, err: 0 })
  })

  test('CS=SIG_SEV without IDR0.SEV is SIG_NONE: no event is sent', () => {
    const k = new SmmuKit()
    const m = k.mark()
    k.cmd({ op: 'SYNC', CS: 'SIG_SEV' })
    expect(k.since(m, 'sev')).toEqual([])
    expect(k.cons()).toEqual({ rd: 1, err: 0 })
  })

  test('an aborted MSI write raises GERROR.MSI_CMDQ_ABT_ERR (bit 4) once', () => {
    const k = new SmmuKit({ params: { msi: true } })
    k.write('IRQ_CTRL', 1)
    const m = k.mark()
    k.cmd({ op: 'SYNC', CS: 'SIG_IRQ', MSIAddr: 0x1000 }, { op: 'SYNC', CS: 'SIG_IRQ', MSIAddr: 0x1000 })
    // The second abort finds the error active: no second toggle, no second GERROR interrupt.
    expect(k.read32('GERROR')).toBe(0x10)
    expect(irqs(k, m)).toEqual(['GERROR', 'CMD_SYNC', 'CMD_SYNC'])
  })
})

describe('CMDQ error protocol (IHI 0070 7.1)', () => {
  test.each([
    ['opcode 0x00', [0x00n, 0n]],
    ['opcode 0x07 (QEMU\'s unused CFGI_ALL constant)', [0x07n, 0n]],
    ['CFGI_STE with SSec=1 (bit 10)', [0x0000_0001_0000_0403n, 1n]],
  ] as const)('%s: CERROR_ILL, CONS stops there until GERRORN acknowledges', (_, bad) => {
    const k = new SmmuKit()
    k.cmd(SYNC, bad, SYNC)
    expect(k.cons()).toEqual({ rd: 1, err: 1 })
    expect(k.read32('GERROR')).toBe(1)
    expect(k.read32('GERRORN')).toBe(0)
    // Later PROD writes consume nothing while the error is active.
    k.cmd(SYNC)
    expect(k.cons()).toEqual({ rd: 1, err: 1 })
    // Linux (arm_smmu_cmdq_skip_err): overwrite the bad entry with a CMD_SYNC, then GERRORN = GERROR.
    k.putWords(k.cmdSlot(1), [0x46n, 0n])
    k.write('GERRORN', 1)
    expect(k.cons().rd).toBe(4)
    expect(k.read32('GERROR') ^ k.read32('GERRORN')).toBe(0)
  })

  test('a command read outside RAM: CERROR_ABT (ERR=2)', () => {
    const k = new SmmuKit()
    k.write('CR0', 0x5) // CMDQEN off to move the queue
    k.write('CMDQ_BASE', 0x1000_0006n, 8) // 0x1000_0000 is not RAM
    k.write('CMDQ_CONS', 0)
    k.write('CR0', 0xd)
    k.write('CMDQ_PROD', 1)
    expect(k.cons()).toEqual({ rd: 0, err: 2 })
    expect(k.read32('GERROR')).toBe(1)
  })

  test('GERROR_IRQEN: the error pulses the GERROR interrupt', () => {
    const k = new SmmuKit()
    k.write('IRQ_CTRL', 1)
    const m = k.mark()
    k.cmd([0n, 0n])
    expect(irqs(k, m)).toEqual(['GERROR'])
  })

  test('without GERROR_IRQEN no interrupt; a second error after the acknowledgement toggles GERROR back', () => {
    const k = new SmmuKit()
    const m = k.mark()
    k.cmd([0n, 0n])
    expect(irqs(k, m)).toEqual([])
    expect(k.read32('GERROR')).toBe(1)
    // Acknowledge without fixing the entry: the same command fails again; GERROR toggles to 0, GERRORN stays 1.
    k.write('GERRORN', 1)
    expect(k.read32('GERROR')).toBe(0)
    expect(k.cons()).toEqual({ rd: 0, err: 1 })
  })

  test('CMDQEN 0 -> 1 consumes what is already in the queue', () => {
    const k = new SmmuKit()
    k.write('CR0', 0x5)
    k.push(SYNC, SYNC)
    k.publish()
    expect(k.cons().rd).toBe(0)
    k.write('CR0', 0xd)
    expect(k.cons().rd).toBe(2)
  })
})
