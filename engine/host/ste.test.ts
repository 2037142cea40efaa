import { describe, expect, test } from 'vitest'
import fc from 'fast-check'
import { planEntryWrite, type EntryPlan } from './entry'
import { makeAbortSte, makeBypassSte, makeCdtableSte, makeNestedSte, makeS2DomainSte, steUpdateSafe, steUsed, type S2Config, type SteEnv } from './ste'

const QEMU: SteEnv = { attrTypesOvr: false, stalls: false, e2h: false }
const S1 = makeCdtableSte(QEMU, { ptr: 0x4000_0000, s1fmt: 0, s1cdmax: 0 }, 'ssid0')
// 4K, ias = oas = 44, VMID 1: T0SZ 20, start level 0 so SL0 = ~(0+1)&3 = 2, WBWA/WBWA/IS, PS 44-bit (4).
const S2CFG: S2Config = { vmid: 1, tsz: 20, sl0: 2, irgn: 1, orgn: 1, sh: 3, tg: 0, ps: 4, vttbr: 0x4100_0000 }
const S2 = makeS2DomainSte(QEMU, S2CFG)

const plan = (cur: readonly bigint[], target: readonly bigint[]): EntryPlan => planEntryWrite(cur, target, steUsed, steUpdateSafe)
const pad = (...w: bigint[]) => [...w, ...new Array<bigint>(8 - w.length).fill(0n)]

describe('STE make functions (B§3)', () => {
  test('abort, bypass, S1, S2 words', () => {
    expect(makeAbortSte()).toEqual(pad(0x1n)) // V | Config=0
    expect(makeBypassSte(QEMU)).toEqual(pad(0x9n)) // V | Config=0b100
    // SHCFG=incoming (1 << 44) with ATTR_TYPES_OVR.
    expect(makeBypassSte({ ...QEMU, attrTypesOvr: true })).toEqual(pad(0x9n, 1n << 44n))
    // q0: ptr | Config=0b101 | V; q1: S1DSS=SSID0 (2) | CIR=WBRA (1<<2) | COR=WBRA (1<<4) | CSH=ISH (3<<6).
    expect(S1).toEqual(pad(0x4000_000bn, 0xd6n))
    // q2: VMID 1 | T0SZ 0x14<<32 | SL0 2<<38 | IR0 1<<40 | OR0 1<<42 | SH0 3<<44 | PS 4<<48 | S2AA64 b51 | S2PTW b54 | S2R b58.
    expect(S2).toEqual(pad(0xdn, 0n, 0x044c_3594_0000_0001n, 0x4100_0000n))
  })
})

describe('arm_smmu_write_entry on STEs: steps and syncs', () => {
  test('abort -> bypass: one critical qword, 1 sync', () => {
    const p = plan(makeAbortSte(), makeBypassSte(QEMU))
    expect(p.kind).toBe('hitless')
    expect(p.steps).toEqual([[{ qword: 0, value: 0x9n }]])
  })

  test('abort -> bypass with ATTR_TYPES_OVR: SHCFG first (unused by abort), then q0: 2 syncs', () => {
    const p = plan(makeAbortSte(), makeBypassSte({ ...QEMU, attrTypesOvr: true }))
    expect(p.steps).toEqual([[{ qword: 1, value: 1n << 44n }], [{ qword: 0, value: 0x9n }]])
  })

  test('bypass -> S1: q1 (unused by bypass) then q0: 2 syncs', () => {
    const p = plan(makeBypassSte(QEMU), S1)
    expect(p.kind).toBe('hitless')
    expect(p.steps).toEqual([[{ qword: 1, value: 0xd6n }], [{ qword: 0, value: 0x4000_000bn }]])
  })

  test('S1 -> S2: q0 (Config) and q2 (VMID, used by both) are critical: V=0, q1..q3, q0: 3 syncs', () => {
    const p = plan(S1, S2)
    expect(p.kind).toBe('disruptive')
    expect(p.steps).toEqual([
      [{ qword: 0, value: 0n }],
      [{ qword: 1, value: 0n }, { qword: 2, value: S2[2] }, { qword: 3, value: S2[3] }],
      [{ qword: 0, value: 0xdn }],
    ])
  })

  test('S2 -> abort: q0 first, then the now-unused q2/q3 cleared: 2 syncs', () => {
    const p = plan(S2, makeAbortSte())
    expect(p.kind).toBe('hitless')
    expect(p.steps).toEqual([[{ qword: 0, value: 0x1n }], [{ qword: 2, value: 0n }, { qword: 3, value: 0n }]])
  })

  test('S2 parent -> nested: q1 (S1 fields, MEV) then q0 (Config=nested): 2 syncs', () => {
    const nested = makeNestedSte(QEMU, S2CFG, S1)
    // q0: ptr | Config=0b111 | V; q1: the guest's 0xd6 | MEV (1 << 19).
    expect(nested.slice(0, 2)).toEqual([0x4000_000fn, 0x800d6n])
    const p = plan(S2, nested)
    expect(p.steps).toEqual([[{ qword: 1, value: 0x800d6n }], [{ qword: 0, value: 0x4000_000fn }]])
  })

  test('same STE again: no store, no sync', () => {
    expect(plan(S1, S1)).toEqual({ kind: 'none', steps: [] })
  })
})

// ---- invariant: after every 64-bit store the SMMU sees the old or the new STE in the bits it uses ----

const M64 = (1n << 64n) - 1n
function sees(e: readonly bigint[], ref: readonly bigint[], safe: readonly bigint[]): boolean {
  const u = steUsed(e)
  const ur = steUsed(ref)
  return u.every((x, i) => (x & ~safe[i] & M64) === (ur[i] & ~safe[i] & M64) && (e[i] & x & ~safe[i]) === (ref[i] & x & ~safe[i]))
}

const envArb = fc.record({ attrTypesOvr: fc.boolean(), stalls: fc.boolean(), e2h: fc.constant(false) })
const s2Arb = fc.record({
  vmid: fc.integer({ min: 1, max: 0xffff }),
  tsz: fc.integer({ min: 16, max: 39 }),
  sl0: fc.integer({ min: 0, max: 2 }),
  irgn: fc.integer({ min: 0, max: 3 }),
  orgn: fc.integer({ min: 0, max: 3 }),
  sh: fc.constantFrom(0, 2, 3),
  tg: fc.constantFrom(0, 1, 2),
  ps: fc.integer({ min: 0, max: 6 }),
  vttbr: fc.integer({ min: 0, max: 0xfff_ffff }).map((x) => x * 4096),
})
const steArb = (env: SteEnv) =>
  fc.oneof(
    fc.constant(makeAbortSte()),
    fc.constant(makeBypassSte(env)),
    fc.record({ ptr: fc.integer({ min: 0, max: 0xfff_ffff }).map((x) => x * 64), cdmax: fc.integer({ min: 0, max: 10 }), dss: fc.constantFrom<('terminate' | 'bypass' | 'ssid0')[]>('terminate', 'bypass', 'ssid0') })
      .map((c) => makeCdtableSte(env, { ptr: c.ptr, s1fmt: 0, s1cdmax: c.cdmax }, c.dss)),
    s2Arb.map((s) => makeS2DomainSte(env, s)),
    fc.tuple(s2Arb, fc.integer({ min: 0, max: 0xfff_ffff })).map(([s, p]) => makeNestedSte(env, s, makeCdtableSte(env, { ptr: p * 64, s1fmt: 0, s1cdmax: 0 }, 'ssid0'))),
  )

test('property: every intermediate STE is the old or the new one in the used bits (V=0 allowed only for disruptive updates)', () => {
  fc.assert(
    fc.property(envArb.chain((env) => fc.tuple(steArb(env), steArb(env))), ([cur, target]) => {
      const p = plan(cur, target)
      const safe = steUpdateSafe(cur, target)
      const e = [...cur]
      for (const step of p.steps) {
        for (const s of step) {
          e[s.qword] = s.value
          const ok = sees(e, cur, safe) || sees(e, target, safe) || (p.kind === 'disruptive' && (e[0] & 1n) === 0n)
          if (!ok) return false
        }
      }
      // The entry ends as the target, with at most 3 syncs.
      return e.every((w, i) => w === target[i]) && p.steps.length <= 3
    }),
    { numRuns: 500 },
  )
})
