import { fc, test as prop } from '@fast-check/vitest'
import { describe, expect, test } from 'vitest'
import { descLayout } from '../arch/descriptors'
import { STE } from '../arch/ste'
import { Journal } from '../journal/journal'
import { PhysMem } from '../mem/physmem'
import { walkS2 } from '../smmu/walk-s2'
import type { S2Config, WalkStep } from '../smmu/types'
import { Hypercalls, PROT } from './hypercalls'
import { IdentityMap, type IdmapChangeKind } from './idmap'
import { Ownership, type MemRange } from './ownership'
import { HypPool, iommuPoolPages } from './pool'

// Expectations worked by hand from SPEC-FACTS B§8 ("Identity map") and B§7
// (io-pgtable geometry, S2 attributes), and the Arm ARM D8 table format.

const RW = { read: true, write: true }
const PS = 4096

interface Setup {
  readonly ram: MemRange
  readonly memory: readonly MemRange[]
  /** The hypervisor carve-out (hyp-owned at boot); the pool is its first pages. */
  readonly carve: MemRange
  readonly oas: number
  readonly version?: 'v4' | 'v6'
  readonly pgsizes?: readonly number[]
}

function platform(s: Setup) {
  const j = new Journal()
  const mem = new PhysMem(s.ram.base, s.ram.size, j)
  const own = new Ownership(j, { memory: s.memory, pageShift: 12, guests: [{ name: 'vm' }, { name: 'pvm', protected: true }] })
  const hc = new Hypercalls(j, own, mem)
  hc.hypCarveOut(s.carve.base, s.carve.size / PS)
  const pool = new HypPool({ journal: j, base: s.carve.base, pages: Math.min(s.carve.size / PS, iommuPoolPages(s.memory, 12)), pageShift: 12 })
  const idmap = new IdentityMap({ journal: j, mem, pool, own, smmus: [{ oas: s.oas, pgsizes: s.pgsizes ?? [12, 21, 30] }], version: s.version ?? 'v6' })
  const changes: [number, number, IdmapChangeKind][] = []
  idmap.onChange((r, kind) => changes.push([r.pa, r.size, kind]))
  return { j, mem, own, hc, pool, idmap, changes }
}

/** The STE fields as the walker's S2Config (VMID 0, the identity VTTBR). */
function s2cfg(idmap: IdentityMap): S2Config {
  const w = STE.encode(idmap.steFields())
  return { vmid: 0, tsz: STE.get(w, 'S2T0SZ'), sl0: STE.get(w, 'S2SL0'), granule: 12, ttb: STE.get(w, 'S2TTB'), ps: idmap.oas, affd: false, record: true }
}

function walk(p: ReturnType<typeof platform>, ipa: number) {
  const steps: WalkStep[] = []
  const r = walkS2(p.mem, s2cfg(p.idmap), ipa, RW, 'IN', (st) => steps.push(st))
  const leaf = steps.at(-1) ?? { address: -1, lo: 0, hi: 0 }
  return { r, leaf, word: (BigInt(leaf.hi) << 32n) | BigInt(leaf.lo) }
}

// 1 GiB of host memory at 0x4000_0000, an 8 MiB carve-out at 0x8000_0000.
const GIB: Setup = {
  ram: { base: 0x4000_0000, size: 0x4080_0000 },
  memory: [{ base: 0x4000_0000, size: 0x4000_0000 }, { base: 0x8000_0000, size: 0x80_0000 }],
  carve: { base: 0x8000_0000, size: 0x80_0000 },
  oas: 48,
}

describe('identity map of 1 GiB, 4K, 48-bit (start level 0, no concatenation)', () => {
  const p = platform(GIB)
  const start = p.j.length
  const result = p.idmap.build()
  const records = p.j.records.slice(start)

  test('geometry and STE fields: T0SZ 16, SL0 2 (4K: L0), WBWA/ISH walks, PS 48-bit, S2TTB = root', () => {
    // SL0 = ~(start + 1) & 3 = ~1 & 3 = 2 for 4K from L0 (SPEC-FACTS B§7 VTCR).
    expect([p.idmap.ias, p.idmap.oas, p.idmap.startLevel, p.idmap.tables]).toEqual([48, 48, 0, 1])
    const w = STE.encode(p.idmap.steFields())
    expect(STE.decode(w)).toMatchObject({ S2T0SZ: 16, S2SL0: 2, S2IR0: 1, S2OR0: 1, S2SH0: 3, S2TG: 0, S2PS: 5, S2AA64: 1, S2TTB: p.idmap.root })
    expect(p.idmap.vttbr).toBe(p.pool.base) // the first pool page
  })

  test('compact journal: one mem.write per 4 KiB table page', () => {
    // Tables, by hand: L0 1; an L1 table under each of the 512 L0 entries (4K
    // has no L0 blocks, and MMIO fills the whole 48-bit space); L2 under
    // L1[1] (memory) and L1[2] (2M MMIO blocks after the carve-out); 512 L3
    // tables for 1 GiB of 4K pages. The carve-out gets no table at all.
    expect(result.tablePages).toBe(1 + 512 + 2 + 512)
    expect(records.filter((r) => r.kind === 'mem.write')).toHaveLength(1027)
    expect(records.every((r) => r.kind !== 'mem.write' || r.size === 4096)).toBe(true)
    // The span, one pool record, 1027 table writes.
    expect(records).toHaveLength(1 + 1 + 1027)
    // Leaves: 262144 pages; blocks: [0,1G) 1 + L1[3..511] 509 + 511 L1 tables × 512 + 508 2M blocks in [0x8080_0000, 0xC000_0000).
    expect(result.pageLeaves).toBe(262144)
    expect(result.blockLeaves).toBe(1 + 509 + 511 * 512 + 508)
    expect(result).toMatchObject({ ret: 0, initialized: true, v4Inversion: false })
  })

  test('host memory maps to itself, read/write, Normal WB inner shareable, 4K leaves', () => {
    const { r, word } = walk(p, 0x4012_3456)
    expect(r).toEqual({ ok: true, pa: 0x4012_3456, sizeBits: 12, level: 3, granule: 12, perm: 3, parentPerm: 3 })
    expect(descLayout(2, 12, 'page', 3).decode([word])).toMatchObject({ MemAttr: 0xf, S2AP: 3, SH: 3, AF: 1 })
  })

  test('the hypervisor carve-out is left out: a device faults at stage 2', () => {
    // L0[0] → L1[2] → the L2 table holding the 2M MMIO blocks, whose entries 0-3 are empty.
    expect(walk(p, 0x8000_0000).r).toMatchObject({ ok: false, fault: { type: 'F_TRANSLATION', stage: 2, level: 2 } })
    expect(walk(p, 0x807f_f000).r.ok).toBe(false)
  })

  test('MMIO: device attributes, the largest aligned blocks', () => {
    const low = walk(p, 0x0900_0000) // [0, 1G): one 1G block
    expect(low.r).toMatchObject({ ok: true, pa: 0x0900_0000, level: 1, sizeBits: 30 })
    expect(descLayout(2, 12, 'block', 1).decode([low.word])).toMatchObject({ MemAttr: 0x1, S2AP: 3, SH: 2, AF: 1 })
    expect(walk(p, 0x8080_0000).r).toMatchObject({ ok: true, pa: 0x8080_0000, level: 2, sizeBits: 21 }) // 8M-aligned end of the carve-out, below 1G: 2M
    expect(walk(p, 0xc000_0000).r).toMatchObject({ ok: true, level: 1 })
    expect(walk(p, 0xffff_c000_0000).r).toMatchObject({ ok: true, pa: 0xffff_c000_0000, level: 1 })
  })

  test('after boot: donation unmaps (onChange unmap), giving back maps again (onChange map)', () => {
    const pfn = 0x4010_0000 / PS
    expect(p.hc.hostDonateHyp(pfn, 2)).toBe(0)
    expect(walk(p, 0x4010_0000).r).toMatchObject({ ok: false, fault: { type: 'F_TRANSLATION', level: 3 } })
    expect(walk(p, 0x4010_1000).r.ok).toBe(false)
    expect(walk(p, 0x4010_2000).r.ok).toBe(true)
    expect(p.changes).toEqual([[0x4010_0000, 0x2000, 'unmap']])
    // The two descriptors changed in one 16-byte write.
    const unmap = p.j.records.findLast((r) => r.kind === 'hyp.idmap.unmap')!
    const inside = p.j.records.slice(p.j.records.indexOf(unmap), unmap.end)
    expect(inside.filter((r) => r.kind === 'mem.write').map((r) => r.size)).toEqual([16])
    expect(p.hc.hypDonateHost(pfn, 2)).toBe(0)
    expect(walk(p, 0x4010_1abc).r).toMatchObject({ ok: true, pa: 0x4010_1abc, level: 3 })
    expect(p.changes[1]).toEqual([0x4010_0000, 0x2000, 'map'])
    // Sharing keeps the host the owner: nothing changes in the identity map.
    expect(p.hc.hostShareGuest(pfn, 5, 1, 'vm', PROT.RWX)).toBe(0)
    expect(p.changes).toHaveLength(2)
    expect(walk(p, 0x4010_0000).r.ok).toBe(true)
    // A protected guest's page leaves every device's view.
    expect(p.hc.hostDonateGuest(pfn + 7, 9, 1, 'pvm')).toBe(0)
    expect(walk(p, 0x4010_7000).r.ok).toBe(false)
    expect(p.changes[2]).toEqual([0x4010_7000, 0x1000, 'unmap'])
  })
})

test('v4: initialized = !!ret is false after a good snapshot, so a donated page stays mapped (the documented bug)', () => {
  const small: Setup = { ram: { base: 0x4000_0000, size: 0x40_0000 }, memory: [{ base: 0x4000_0000, size: 0x20_0000 }, { base: 0x4020_0000, size: 0x20_0000 }], carve: { base: 0x4020_0000, size: 0x20_0000 }, oas: 32, version: 'v4' }
  const p = platform(small)
  expect(p.idmap.build()).toMatchObject({ ret: 0, initialized: false, v4Inversion: true })
  expect(p.hc.hostDonateHyp(0x4000_0000 / PS, 1)).toBe(0)
  expect(walk(p, 0x4000_0000).r.ok).toBe(true)
  expect(p.changes).toEqual([])
  expect(p.j.records.at(-1)).toMatchObject({ kind: 'hyp.idmap.skip', pa: 0x4000_0000 })
})

test('4K with a 40-bit SMMU: concatenation is mandatory, start level 1 with 2 tables (SPEC-FACTS B§7)', () => {
  const p = platform({ ram: { base: 0x4000_0000, size: 0x40_0000 }, memory: [{ base: 0x4000_0000, size: 0x20_0000 }, { base: 0x4020_0000, size: 0x20_0000 }], carve: { base: 0x4020_0000, size: 0x20_0000 }, oas: 40 })
  p.idmap.build()
  expect([p.idmap.startLevel, p.idmap.tables]).toEqual([1, 2])
  expect(p.idmap.root % 0x2000).toBe(0) // 2 pages aligned to their size
  // T0SZ 64 − 40 = 24; SL0 = ~(1 + 1) & 3 = 1 (4K: start at L1); PS 40-bit = 2.
  expect(STE.decode(STE.encode(p.idmap.steFields()))).toMatchObject({ S2T0SZ: 24, S2SL0: 1, S2PS: 2 })
  // IPA bit 39 set: the second concatenated table (S2TTB + 0x1000).
  const hi = walk(p, 0x80_4000_0000)
  expect(hi.r).toMatchObject({ ok: true, pa: 0x80_4000_0000, level: 1 })
  expect(hi.leaf.address).toBe(p.idmap.root + 0x1000 + 1 * 8)
  expect(walk(p, 0x4000_3000).r).toMatchObject({ ok: true, level: 3 })
})

test('memory above 2^oas is not mapped (end clamped to 2^oas); a bitmap without PAGE_SIZE is refused', () => {
  const p = platform({ ram: { base: 0x4000_0000, size: 0x40_0000 }, memory: [{ base: 0x4000_0000, size: 0x20_0000 }, { base: 0x4020_0000, size: 0x20_0000 }, { base: 0xffe0_0000, size: 0x40_0000 }], carve: { base: 0x4020_0000, size: 0x20_0000 }, oas: 32 })
  p.idmap.build()
  expect(walk(p, 0xffff_f000).r).toMatchObject({ ok: true, level: 3 })
  // 0x1_0000_0000 is beyond the 32-bit IPA: the walker faults before reading.
  expect(walk(p, 0x1_0000_0000).r.ok).toBe(false)
  expect(() => platform({ ...GIB, pgsizes: [21, 30] })).toThrow(/PAGE_SIZE/)
})

describe('a device never reaches a page the host does not own or share', () => {
  // 64 pages of host memory at 0x4000_0000; the carve-out (and pool) at 0x4020_0000.
  const SMALL: Setup = { ram: { base: 0x4000_0000, size: 0x40_0000 }, memory: [{ base: 0x4000_0000, size: 0x4_0000 }, { base: 0x4020_0000, size: 0x20_0000 }], carve: { base: 0x4020_0000, size: 0x20_0000 }, oas: 32 }
  const base = 0x4000_0000 / PS
  const page = fc.integer({ min: 0, max: 63 })
  const gfn = fc.integer({ min: 0, max: 7 })
  const op = fc.oneof(
    fc.tuple(fc.constant('donateHyp'), page, fc.integer({ min: 1, max: 4 })),
    fc.tuple(fc.constant('hypDonateHost'), page, fc.integer({ min: 1, max: 4 })),
    fc.tuple(fc.constant('shareHyp'), page, fc.constant(0)),
    fc.tuple(fc.constant('unshareHyp'), page, fc.constant(0)),
    fc.tuple(fc.constant('pin'), page, fc.constant(0)),
    fc.tuple(fc.constant('unpin'), page, fc.constant(0)),
    fc.tuple(fc.constant('shareGuest'), page, gfn),
    fc.tuple(fc.constant('unshareGuest'), page, gfn),
    fc.tuple(fc.constant('donateGuest'), page, gfn),
    fc.tuple(fc.constant('reclaim'), page, gfn),
    fc.tuple(fc.constant('shareFfa'), page, fc.constant(1)),
    fc.tuple(fc.constant('unshareFfa'), page, fc.constant(1)),
  )
  prop.prop([fc.array(op, { maxLength: 40 })], { numRuns: 60 })('after every hypercall: mapped ⇔ the host owns it, and always to itself', (ops) => {
    const p = platform(SMALL)
    p.idmap.build()
    const check = () => {
      for (let k = 0; k < 64; k++) {
        const pa = (base + k) * PS
        const { r } = walk(p, pa + 8)
        expect({ pa, mapped: r.ok }).toEqual({ pa, mapped: p.own.host(pa).owner === 'host' })
        if (r.ok) expect(r.pa).toBe(pa + 8)
      }
    }
    check()
    for (const [name, k, x] of ops) {
      const pfn = base + k
      switch (name) {
        case 'donateHyp': p.hc.hostDonateHyp(pfn, x); break
        case 'hypDonateHost': p.hc.hypDonateHost(pfn, x); break
        case 'shareHyp': p.hc.hostShareHyp(pfn); break
        case 'unshareHyp': p.hc.hostUnshareHyp(pfn); break
        case 'pin': p.hc.hypPinSharedMem(pfn * PS, (pfn + 1) * PS); break
        case 'unpin': p.hc.hypUnpinSharedMem(pfn * PS, (pfn + 1) * PS); break
        case 'shareGuest': p.hc.hostShareGuest(pfn, x, 1, 'vm', PROT.R); break
        case 'unshareGuest': p.hc.hostUnshareGuest(x, 1, 'vm'); break
        case 'donateGuest': p.hc.hostDonateGuest(pfn, x, 1, 'pvm'); break
        case 'reclaim': p.hc.hostReclaimGuest(x, 1, 'pvm'); break
        case 'shareFfa': p.hc.hostShareFfa(pfn, x); break
        case 'unshareFfa': p.hc.hostUnshareFfa(pfn, x); break
      }
      check()
    }
  })
})
