import { describe, expect, test } from 'vitest'
import { Journal } from '../journal/journal'
import { ReplayState } from '../journal/replay'
import { decodeScope } from './inval'
import { Iotlb, type CachedTlbEntry, type IotlbOptions, type NestedTlbEntry, type TlbPart } from './tlb'
import { PERM_R, PERM_W, type TlbEntry } from './types'

const RW = PERM_R | PERM_W

/** A leaf entry built by hand: `iova` is the mapping's base, `sizeBits` its log2 size. */
function ent(p: { asid: number; vmid: number; stage: 1 | 2; iova: number; sizeBits?: number; level?: number; pa?: number; granule?: 12 | 14 | 16 }): TlbEntry {
  const sizeBits = p.sizeBits ?? 12
  return {
    asid: p.asid, vmid: p.vmid, stage: p.stage, ipn: p.iova / 4096, sizeBits,
    level: p.level ?? (sizeBits === 12 ? 3 : sizeBits === 21 ? 2 : 1), granule: p.granule ?? 12,
    pa: p.pa ?? 0x8000_0000 + p.iova, perm: RW, parentPerm: RW,
  }
}

function part(inBase: number, sizeBits: number, level: number, outBase: number, perm = RW): TlbPart {
  return { ipn: inBase / 4096, sizeBits, level, granule: 12, pa: outBase, perm }
}

/**
 * A nested translation of the 4K page at `iova`: stage 1 maps `s1` (IOVA->IPA),
 * stage 2 maps `s2` (IPA->PA). The combined entry is the smaller of the two.
 */
function nested(asid: number, vmid: number, iova: number, s1: TlbPart, s2: TlbPart): NestedTlbEntry {
  const small = s1.sizeBits <= s2.sizeBits ? s1 : s2
  const size = 2 ** small.sizeBits
  const base = iova - (iova % size)
  const ipa = s1.pa + (base - s1.ipn * 4096)
  return {
    asid, vmid, stage: 12, ipn: base / 4096, sizeBits: small.sizeBits, level: small.level, granule: 12,
    pa: s2.pa + (ipa - s2.ipn * 4096), perm: s1.perm, parentPerm: s2.perm, s1, s2,
  }
}

function make(opts: Partial<IotlbOptions> = {}, enabled = true) {
  const j = new Journal(enabled)
  const tlb = new Iotlb(j, { model: 'combined', entries: 64, ...opts })
  return { j, tlb }
}

const lastInval = (j: Journal) => j.records.findLast((r) => r.kind === 'tlb.invalidate')

const has = (tlb: Iotlb, asid: number, vmid: number, stage: 1 | 2 | 12, iova: number) => tlb.lookup({ asid, vmid, stage }, iova / 4096) !== undefined

describe('IOTLB lookup', () => {
  test('a 2 MiB block answers for every 4K page inside it, and only for its own tags', () => {
    const { tlb } = make()
    tlb.insert(ent({ asid: 1, vmid: 5, stage: 1, iova: 0x20_0000, sizeBits: 21, pa: 0x4000_0000 }))
    const e = tlb.lookup({ asid: 1, vmid: 5, stage: 1 }, 0x3f_f000 / 4096)
    expect(e?.pa).toBe(0x4000_0000)
    expect(e?.sizeBits).toBe(21)
    expect(has(tlb, 1, 5, 1, 0x40_0000)).toBe(false) // first page after the block
    expect(has(tlb, 2, 5, 1, 0x20_0000)).toBe(false) // other ASID
    expect(has(tlb, 1, 6, 1, 0x20_0000)).toBe(false) // other VMID
    expect(has(tlb, 1, 5, 12, 0x20_0000)).toBe(false) // other stage tag
  })

  test('pages above 2^32 and TT1 addresses near 2^64 are told apart', () => {
    const { tlb } = make()
    const tt1 = 2 ** 52 - 16 // input page of 0xffff_ffff_ffff_0000, 64K below the top of the address space
    tlb.insert({ ...ent({ asid: 1, vmid: -1, stage: 1, iova: 0 }), ipn: tt1, pa: 0x1000 })
    tlb.insert(ent({ asid: 1, vmid: -1, stage: 1, iova: 0x1_0000_0000, pa: 0x2000 }))
    expect(tlb.lookup({ asid: 1, vmid: -1, stage: 1 }, tt1)?.pa).toBe(0x1000)
    expect(tlb.lookup({ asid: 1, vmid: -1, stage: 1 }, tt1 + 1)).toBeUndefined()
    expect(tlb.lookup({ asid: 1, vmid: -1, stage: 1 }, 0x10_0000)?.pa).toBe(0x2000)
    expect(tlb.lookup({ asid: 1, vmid: -1, stage: 1 }, 0)).toBeUndefined()
  })

  test('hits and misses are journaled; with the journal off nothing is recorded', () => {
    const { j, tlb } = make()
    tlb.insert(ent({ asid: 1, vmid: 0, stage: 1, iova: 0x1000 }))
    tlb.lookup({ asid: 1, vmid: 0, stage: 1 }, 1)
    tlb.lookup({ asid: 1, vmid: 0, stage: 1 }, 2)
    expect(j.records.map((r) => r.kind)).toEqual(['tlb.insert', 'tlb.hit', 'tlb.miss'])
    const off = make({}, false)
    off.tlb.insert(ent({ asid: 1, vmid: 0, stage: 1, iova: 0x1000 }))
    expect(has(off.tlb, 1, 0, 1, 0x1000)).toBe(true)
    expect(off.tlb.invalidateAll()).toBe(1)
    expect(off.j.length).toBe(0)
  })

  test('re-inserting an identical entry changes nothing; a different one replaces it', () => {
    const { j, tlb } = make()
    tlb.insert(ent({ asid: 1, vmid: 0, stage: 1, iova: 0x1000, pa: 0x5000 }))
    tlb.insert(ent({ asid: 1, vmid: 0, stage: 1, iova: 0x1000, pa: 0x5000 }))
    expect(j.length).toBe(1)
    tlb.insert(ent({ asid: 1, vmid: 0, stage: 1, iova: 0x1000, pa: 0x6000 }))
    expect(tlb.size).toBe(1)
    expect(tlb.lookup({ asid: 1, vmid: 0, stage: 1 }, 1)?.pa).toBe(0x6000)
  })
})

/** A TLB holding one entry of each interesting kind; keys name them. */
function populated(opts: Partial<IotlbOptions> = {}) {
  const made = make(opts)
  const all: Record<string, TlbEntry> = {
    s1a1v5: ent({ asid: 1, vmid: 5, stage: 1, iova: 0x10000 }),
    s1a2v5: ent({ asid: 2, vmid: 5, stage: 1, iova: 0x10000 }),
    s1a1v6: ent({ asid: 1, vmid: 6, stage: 1, iova: 0x10000 }),
    s2v5: ent({ asid: -1, vmid: 5, stage: 2, iova: 0x10000 }),
    s2v6: ent({ asid: -1, vmid: 6, stage: 2, iova: 0x10000 }),
    n12a1v5: nested(1, 5, 0x10000, part(0x10000, 12, 3, 0x4000_0000), part(0x4000_0000, 12, 3, 0x9000_0000)),
  }
  for (const e of Object.values(all)) made.tlb.insert(e)
  const left = () => Object.entries(all).filter(([, e]) => has(made.tlb, e.asid, e.vmid, e.stage, 0x10000)).map(([k]) => k)
  return { ...made, left }
}

// Matching rules: IHI 0070 §4.4 as summarised in SPEC-FACTS A§2/A§6, with the
// architecture's reading where QEMU differs (file comment of tlb.ts).
describe('IOTLB invalidation by tag', () => {
  test('TLBI_NSNH_ALL removes everything', () => {
    const { tlb, left, j } = populated()
    expect(tlb.invalidateAll()).toBe(6)
    expect(left()).toEqual([])
    const rec = lastInval(j)
    expect(rec).toMatchObject({ command: 'TLBI_NSNH_ALL', count: 6 })
    expect(rec?.changes).toHaveLength(6)
  })

  test('TLBI_NH_ALL(VMID 5) removes stage-1 and combined entries of VMID 5, not its stage-2 entries', () => {
    const { tlb, left } = populated()
    expect(tlb.invalidateVmidS1(5)).toBe(3)
    expect(left()).toEqual(['s1a1v6', 's2v5', 's2v6'])
  })

  test('TLBI_NH_ASID(1, 5) removes only ASID 1 in VMID 5 (stage 1 and combined)', () => {
    const { tlb, left } = populated()
    expect(tlb.invalidateAsid(1, 5)).toBe(2)
    expect(left()).toEqual(['s1a2v5', 's1a1v6', 's2v5', 's2v6'])
  })

  test('TLBI_S12_VMALL(5) removes every stage of VMID 5', () => {
    const { tlb, left } = populated()
    expect(tlb.invalidateVmid(5)).toBe(4)
    expect(left()).toEqual(['s1a1v6', 's2v6'])
  })

  test('EL2/EL3 TLBIs remove nothing: every cached entry is NS-EL1', () => {
    const { tlb, left, j } = populated()
    expect(tlb.invalidateEl2('TLBI_EL2_ALL')).toBe(0)
    expect(left()).toHaveLength(6)
    expect(lastInval(j)).toMatchObject({ command: 'TLBI_EL2_ALL', count: 0 })
  })
})

describe('IOTLB invalidation by address', () => {
  test('NH_VA with TG=0 at an address inside a 2 MiB block removes the block', () => {
    const { tlb } = make()
    tlb.insert(ent({ asid: 1, vmid: 0, stage: 1, iova: 0x20_0000, sizeBits: 21 }))
    tlb.insert(ent({ asid: 1, vmid: 0, stage: 1, iova: 0x40_0000 }))
    expect(tlb.invalidateVa(decodeScope({ Address: 0x2a_b000n, ASID: 1, VMID: 0 }))).toBe(1)
    expect(has(tlb, 1, 0, 1, 0x20_0000)).toBe(false)
    expect(has(tlb, 1, 0, 1, 0x40_0000)).toBe(true)
  })

  test('NH_VA TG=1 NUM=3 at 0x10000 removes pages 0x10000..0x13fff and nothing beside', () => {
    const { tlb } = make()
    for (let p = 0xf; p <= 0x14; p++) tlb.insert(ent({ asid: 1, vmid: 0, stage: 1, iova: p * 0x1000 }))
    expect(tlb.invalidateVa(decodeScope({ Address: 0x10000n, TG: 1, NUM: 3, SCALE: 0, ASID: 1, VMID: 0 }))).toBe(4)
    const kept = [0xf, 0x10, 0x11, 0x12, 0x13, 0x14].filter((p) => has(tlb, 1, 0, 1, p * 0x1000))
    expect(kept).toEqual([0xf, 0x14])
  })

  test('a range that overlaps a block without containing its base still removes it', () => {
    const { tlb } = make()
    tlb.insert(ent({ asid: 1, vmid: 0, stage: 1, iova: 0x20_0000, sizeBits: 21 }))
    // 64K range at 0x3f_0000: pages 0x3f0..0x3ff, the block's last 64K.
    expect(tlb.invalidateVa(decodeScope({ Address: 0x3f_0000n, TG: 1, NUM: 15, ASID: 1, VMID: 0 }))).toBe(1)
  })

  test('NH_VA names one ASID; NH_VAA (ASID absent or -1) any ASID; stage-2 entries never', () => {
    const a = populated()
    expect(a.tlb.invalidateVa(decodeScope({ Address: 0x10000n, ASID: 1, VMID: 5 }))).toBe(2)
    expect(a.left()).toEqual(['s1a2v5', 's1a1v6', 's2v5', 's2v6'])
    const b = populated()
    expect(b.tlb.invalidateVa(decodeScope({ Address: 0x10000n, VMID: 5 }))).toBe(3)
    expect(b.left()).toEqual(['s1a1v6', 's2v5', 's2v6'])
    expect(lastInval(b.j)?.command).toBe('TLBI_NH_VAA')
    const c = populated()
    expect(c.tlb.invalidateVa(decodeScope({ Address: 0x10000n, ASID: -1, VMID: 5 }))).toBe(3)
  })

  test('a wrong TTL hint leaves the entry; the right one removes it', () => {
    // Linux (SPEC-FACTS B§2): a 2M leaf with a 4K granule is TTL 2; TTL 3 names 4K pages.
    const { tlb } = make()
    tlb.insert(ent({ asid: 1, vmid: 0, stage: 1, iova: 0x20_0000, sizeBits: 21, level: 2 }))
    const cmd = { Address: 0x20_0000n, TG: 1, NUM: 31, SCALE: 4, ASID: 1, VMID: 0 } // 512 × 4K = the block
    expect(tlb.invalidateVa(decodeScope({ ...cmd, TTL: 3 }))).toBe(0)
    expect(tlb.invalidateVa(decodeScope({ ...cmd, TTL: 2 }))).toBe(1)
  })

  test('TTL 0 (no hint) and TG=0 ignore levels; Leaf=1 changes nothing (leaf entries only)', () => {
    const { tlb } = make()
    tlb.insert(ent({ asid: 1, vmid: 0, stage: 1, iova: 0x20_0000, sizeBits: 21, level: 2 }))
    tlb.insert(ent({ asid: 1, vmid: 0, stage: 1, iova: 0x1000 }))
    expect(tlb.invalidateVa(decodeScope({ Address: 0x20_0000n, TG: 0, TTL: 3, Leaf: 1, ASID: 1, VMID: 0 }))).toBe(1)
    expect(tlb.invalidateVa(decodeScope({ Address: 0x1000n, TG: 1, TTL: 0, Leaf: 0, ASID: 1, VMID: 0 }))).toBe(1)
  })

  test('S2_IPA removes stage-2 entries of its VMID at that IPA, never stage-1 entries', () => {
    const { tlb } = make()
    tlb.insert(ent({ asid: -1, vmid: 5, stage: 2, iova: 0x4000_0000 }))
    tlb.insert(ent({ asid: -1, vmid: 6, stage: 2, iova: 0x4000_0000 }))
    tlb.insert(ent({ asid: 1, vmid: 5, stage: 1, iova: 0x4000_0000 }))
    expect(tlb.invalidateIpa(decodeScope({ Address: 0x4000_0000n, VMID: 5 }))).toBe(1)
    expect(has(tlb, -1, 5, 2, 0x4000_0000)).toBe(false)
    expect(has(tlb, -1, 6, 2, 0x4000_0000)).toBe(true)
    expect(has(tlb, 1, 5, 1, 0x4000_0000)).toBe(true)
  })
})

describe('combined nested entries and stage-2 invalidation', () => {
  // IOVA 0x10000 -> IPA 0x4000_0000 (stage 1, 4K) -> PA 0x9000_0000 (stage 2, 4K).
  const n = nested(1, 5, 0x10000, part(0x10000, 12, 3, 0x4000_0000), part(0x4000_0000, 12, 3, 0x9000_0000))

  test('architecture mode: S2_IPA on the IPA a combined entry came through removes it', () => {
    const { tlb } = make()
    tlb.insert(n)
    expect(tlb.lookup({ asid: 1, vmid: 5, stage: 12 }, 0x10)?.pa).toBe(0x9000_0000)
    expect(tlb.invalidateIpa(decodeScope({ Address: 0x4000_0000n, VMID: 5 }))).toBe(1)
    expect(has(tlb, 1, 5, 12, 0x10000)).toBe(false)
  })

  test('qemuCompat: S2_IPA keeps the combined entry and says so in the record', () => {
    const { tlb, j } = make({ qemuCompat: true })
    tlb.insert(n)
    expect(tlb.invalidateIpa(decodeScope({ Address: 0x4000_0000n, VMID: 5 }))).toBe(0)
    expect(has(tlb, 1, 5, 12, 0x10000)).toBe(true)
    expect(lastInval(j)).toMatchObject({ command: 'TLBI_S2_IPA', count: 0, retained: 1 })
    // What software must do next (Linux: TLBI_NH_ALL for a nest parent).
    expect(tlb.invalidateVmidS1(5)).toBe(1)
  })

  test('S2_IPA on an IPA the combined entry did not come through keeps it', () => {
    const { tlb } = make()
    tlb.insert(n)
    expect(tlb.invalidateIpa(decodeScope({ Address: 0x4000_1000n, VMID: 5 }))).toBe(0)
    expect(tlb.invalidateIpa(decodeScope({ Address: 0x10000n, VMID: 5 }))).toBe(0) // the IOVA is not an IPA
  })

  test('a 2 MiB stage-2 block: S2_IPA anywhere in it removes combined entries built on it', () => {
    const { tlb } = make()
    const s2 = part(0x4000_0000, 21, 2, 0x9000_0000)
    tlb.insert(nested(1, 5, 0x10000, part(0x10000, 12, 3, 0x4000_0000), s2))
    tlb.insert(nested(1, 5, 0x11000, part(0x11000, 12, 3, 0x401f_f000), s2))
    expect(tlb.invalidateIpa(decodeScope({ Address: 0x4010_0000n, VMID: 5 }))).toBe(2)
  })

  test('NH_VA at a stage-1 block base removes combined 4K entries built from any part of the block', () => {
    const { tlb } = make()
    const s1 = part(0x20_0000, 21, 2, 0x4000_0000)
    const s2 = part(0x4000_3000, 12, 3, 0x9000_0000)
    tlb.insert(nested(1, 5, 0x20_3000, s1, s2))
    expect(tlb.lookup({ asid: 1, vmid: 5, stage: 12 }, 0x203)?.pa).toBe(0x9000_0000)
    // Linux without RIL invalidates a 2M leaf with one NH_VA at its base (granule = 2M).
    expect(tlb.invalidateVa(decodeScope({ Address: 0x20_0000n, ASID: 1, VMID: 5 }))).toBe(1)
  })
})

describe('split model', () => {
  // IOVA block 0x40_0000 (2M) -> IPA 0x8000_0000; IPA page 0x8000_3000 -> PA 0x9_0000_0000.
  const s1 = part(0x40_0000, 21, 2, 0x8000_0000)
  const s2 = part(0x8000_3000, 12, 3, 0x9_0000_0000, PERM_R)

  test('a nested translation is two entries; a lookup combines them', () => {
    const { tlb } = make({ model: 'split' })
    tlb.insert(nested(1, 5, 0x40_3000, s1, s2))
    expect(tlb.contents().map((e) => [e.stage, e.asid, e.vmid, e.ipn])).toEqual([[1, 1, 5, 0x400], [2, -1, 5, 0x80003]])
    // IOVA 0x40_3000: offset 0x3000 in the S1 block -> IPA 0x8000_3000 -> PA 0x9_0000_0000.
    const e = tlb.lookup({ asid: 1, vmid: 5, stage: 12 }, 0x403)
    expect(e).toMatchObject({ stage: 12, ipn: 0x403, sizeBits: 12, pa: 0x9_0000_0000, perm: RW, parentPerm: PERM_R })
    // IOVA 0x40_4000 hits stage 1 but its IPA 0x8000_4000 is not cached: a miss.
    expect(tlb.lookup({ asid: 1, vmid: 5, stage: 12 }, 0x404)).toBeUndefined()
  })

  test('each part is invalidated by its own stage: S2_IPA drops the S2 part, NH_VA the S1 part', () => {
    const { tlb, j } = make({ model: 'split' })
    tlb.insert(nested(1, 5, 0x40_3000, s1, s2))
    expect(tlb.invalidateIpa(decodeScope({ Address: 0x8000_3000n, VMID: 5 }))).toBe(1)
    expect(tlb.lookup({ asid: 1, vmid: 5, stage: 12 }, 0x403)).toBeUndefined()
    expect(j.records[j.length - 1]).toMatchObject({ kind: 'tlb.miss', part: 's2' })
    tlb.insert(nested(1, 5, 0x40_3000, s1, s2))
    expect(tlb.invalidateVa(decodeScope({ Address: 0x40_0000n, ASID: 1, VMID: 5 }))).toBe(1)
    expect(tlb.contents().map((e) => e.stage)).toEqual([2])
  })

  test('a second nested page through the same S2 page re-uses the cached S2 part', () => {
    const { tlb } = make({ model: 'split', entries: 3 })
    tlb.insert(nested(1, 5, 0x40_3000, s1, s2))
    tlb.insert(nested(2, 5, 0x40_3000, s1, s2))
    // S1 (ASID 1) seq 0, S2 seq 1, S1 (ASID 2) seq 2: the S2 part was not inserted again.
    expect(tlb.contents().map((e) => [e.seq, e.stage, e.asid])).toEqual([[0, 1, 1], [1, 2, -1], [2, 1, 2]])
  })
})

describe('capacity', () => {
  test('a full TLB evicts the oldest entry (FIFO by insertion)', () => {
    const { tlb, j } = make({ entries: 3 })
    const at = (p: number) => ent({ asid: 1, vmid: 0, stage: 1, iova: p * 0x1000 })
    tlb.insert(at(1))
    tlb.insert(at(2))
    tlb.insert(at(3))
    tlb.insert(at(4))
    expect(tlb.contents().map((e) => e.ipn)).toEqual([2, 3, 4])
    const ev = j.records.find((r) => r.kind === 'tlb.evict')
    expect(ev).toMatchObject({ ipn: 1 })
    expect(ev?.changes).toHaveLength(1)
    // Page 2 invalidated: room for one more without eviction, then page 3 (oldest left) goes.
    tlb.invalidateVa(decodeScope({ Address: 0x2000n, ASID: 1, VMID: 0 }))
    tlb.insert(at(5))
    tlb.insert(at(6))
    expect(tlb.contents().map((e) => e.ipn)).toEqual([4, 5, 6])
  })

  test('entries = 0 caches nothing', () => {
    const { tlb } = make({ entries: 0 })
    tlb.insert(ent({ asid: 1, vmid: 0, stage: 1, iova: 0 }))
    expect(tlb.size).toBe(0)
  })
})

describe('time travel', () => {
  test('replaying the journal restores the IOTLB at every cursor, and rebuild() serves lookups from it', () => {
    const { j, tlb } = make({ entries: 4 })
    const seen: { cursor: number; entries: CachedTlbEntry[] }[] = [{ cursor: 0, entries: [] }]
    const step = (fn: () => void) => {
      fn()
      seen.push({ cursor: j.length, entries: tlb.contents() })
    }
    for (let p = 0; p < 6; p++) step(() => tlb.insert(ent({ asid: p % 2, vmid: 0, stage: 1, iova: p * 0x1000 })))
    step(() => tlb.invalidateAsid(1, 0))
    step(() => tlb.insert(ent({ asid: 3, vmid: 0, stage: 1, iova: 0x20_0000, sizeBits: 21 })))
    step(() => tlb.invalidateAll())

    const id = j.mapNames.indexOf('iotlb')
    const r = new ReplayState(j.records, j.maps.length, { base: 0, size: 0x1000 })
    for (const s of [...seen].reverse().concat(seen)) {
      r.seek(s.cursor)
      const restored = [...r.maps[id].values()] as CachedTlbEntry[]
      expect(restored.sort((a, b) => a.seq - b.seq)).toEqual(s.entries)
    }

    // A fresh IOTLB whose maps are restored to the cursor before invalidateAll answers like the original did.
    const mid = seen[seen.length - 2]
    r.seek(mid.cursor)
    const j2 = new Journal()
    const t2 = new Iotlb(j2, { model: 'combined', entries: 4 })
    for (const [k, v] of r.maps[id]) j2.maps[id].poke(k, v)
    const metaId = j.mapNames.indexOf('iotlb.seq')
    for (const [k, v] of r.maps[metaId]) j2.maps[metaId].poke(k, v)
    t2.rebuild()
    expect(t2.contents()).toEqual(mid.entries)
    expect(t2.lookup({ asid: 3, vmid: 0, stage: 1 }, 0x2ff)?.ipn).toBe(0x200)
    // By hand: capacity 4; pages 0..5 (seq 0..5) leave seq 2..5; NH_ASID(1) drops pages 3 and 5
    // (odd pages are ASID 1); the block is seq 6. So the cursor holds seq [2, 4, 6].
    expect(mid.entries.map((e) => e.seq)).toEqual([2, 4, 6])
    // FIFO order and the sequence survive: seq 7 fills the TLB, seq 8 evicts seq 2.
    t2.insert(ent({ asid: 9, vmid: 0, stage: 1, iova: 0x9000 }))
    t2.insert(ent({ asid: 9, vmid: 0, stage: 1, iova: 0xa000 }))
    expect(t2.contents().map((e) => e.seq)).toEqual([4, 6, 7, 8])
  })
})
