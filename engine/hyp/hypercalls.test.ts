import { describe, expect, test } from 'vitest'
import { Journal } from '../journal/journal'
import { ReplayState } from '../journal/replay'
import { PhysMem } from '../mem/physmem'
import { ERRNO, errName, Hypercalls, PROT } from './hypercalls'
import { encodeHypState, Ownership, type PageState } from './ownership'

// Expected return codes and (host, hyp, guest) states follow the kernel's
// own acceptance test, pkvm_ownership_selftest (mem_protect.c, built with
// NVHE_EL2_DEBUG), step by step, and the transition table of SPEC-FACTS B§8.

const EPERM = -ERRNO.EPERM
const ENOENT = -ERRNO.ENOENT
const EBUSY = -ERRNO.EBUSY
const EINVAL = -ERRNO.EINVAL
const E2BIG = -ERRNO.E2BIG
const EAGAIN = -ERRNO.EAGAIN

const RAM = { base: 0x4000_0000, size: 0x100_0000 } // 16 MiB = 4096 pages of 4K
const PS = 4096

function setup() {
  const j = new Journal()
  const mem = new PhysMem(RAM.base, RAM.size, j)
  const own = new Ownership(j, { memory: [RAM], pageShift: 12, guests: [{ name: 'vm' }, { name: 'pvm', protected: true }] })
  const hc = new Hypercalls(j, own, mem)
  return { j, mem, own, hc }
}

/** Every journaled map's contents, to show a refused call changed nothing. */
function snapshot(j: Journal): string {
  return JSON.stringify(j.maps.map((m) => sorted(m.entries())))
}

/** Map contents in key order (replay may insert in another order). */
function sorted(entries: Iterable<[string | number, unknown]>): [string | number, unknown][] {
  return [...entries].sort((a, b) => (String(a[0]) < String(b[0]) ? -1 : 1))
}

test('hyp state is stored complemented: zeroed hyp_vmemmap reads NOPAGE (mem_protect.h get_hyp_state)', () => {
  // NOPAGE = 3 → ~3 & 3 = 0; OWNED = 0 → 3; SHARED_OWNED 1 → 2; SHARED_BORROWED 2 → 1.
  expect(encodeHypState('NOPAGE')).toBe(0)
  expect(encodeHypState('OWNED')).toBe(3)
  expect(encodeHypState('SHARED_OWNED')).toBe(2)
  expect(encodeHypState('SHARED_BORROWED')).toBe(1)
})

describe('pkvm_ownership_selftest, one page through every call', () => {
  const { j, own, hc } = setup()
  const pfn = RAM.base / PS + 16
  const pa = pfn * PS
  const gfn = 0x8_0000 // selftest_ipa(): BIT(ia_bits − 1) >> PAGE_SHIFT, any unused gfn will do
  const prot = PROT.RWX
  const state = { host: 'NOPAGE' as PageState, hyp: 'OWNED' as PageState, g0: 'NOPAGE' as PageState, g1: 'NOPAGE' as PageState }
  const check = () => {
    expect(own.host(pa).state).toBe(state.host)
    expect(own.hyp(pa)).toBe(state.hyp)
    expect(own.guestLeaf('vm', gfn, 512)?.state ?? 'NOPAGE').toBe(state.g0)
    expect(own.guestLeaf('vm', gfn + 1, 512)?.state ?? 'NOPAGE').toBe(state.g1)
  }
  const expectRet = (ret: number, fn: () => number) => {
    const before = ret === 0 ? '' : snapshot(j)
    expect(errName(fn())).toBe(errName(ret))
    if (ret !== 0) expect(snapshot(j)).toBe(before)
    check()
  }

  test('the page starts hyp-owned (taken from the hyp pool)', () => {
    hc.hypCarveOut(pa, 1)
    check()
    expectRet(EPERM, () => hc.hostDonateHyp(pfn, 1))
    expectRet(EPERM, () => hc.hostShareHyp(pfn))
    expectRet(EPERM, () => hc.hostUnshareHyp(pfn))
    expectRet(EPERM, () => hc.hostShareFfa(pfn, 1))
    expectRet(EPERM, () => hc.hostUnshareFfa(pfn, 1))
    expectRet(EPERM, () => hc.hypPinSharedMem(pa, pa + PS))
    expectRet(EPERM, () => hc.hostShareGuest(pfn, gfn, 1, 'vm', prot))
    expectRet(ENOENT, () => hc.hostUnshareGuest(gfn, 1, 'vm'))
  })

  test('__pkvm_hyp_donate_host gives it to the host', () => {
    state.host = 'OWNED'
    state.hyp = 'NOPAGE'
    expectRet(0, () => hc.hypDonateHost(pfn, 1))
    expectRet(EPERM, () => hc.hypDonateHost(pfn, 1))
    expectRet(EPERM, () => hc.hostUnshareHyp(pfn))
    expectRet(EPERM, () => hc.hostUnshareFfa(pfn, 1))
    expectRet(ENOENT, () => hc.hostUnshareGuest(gfn, 1, 'vm'))
    expectRet(EPERM, () => hc.hypPinSharedMem(pa, pa + PS))
  })

  test('share with hyp, pins refuse the unshare with -EBUSY', () => {
    state.host = 'SHARED_OWNED'
    state.hyp = 'SHARED_BORROWED'
    expectRet(0, () => hc.hostShareHyp(pfn))
    expectRet(EPERM, () => hc.hostShareHyp(pfn))
    expectRet(EPERM, () => hc.hostDonateHyp(pfn, 1))
    expectRet(EPERM, () => hc.hostShareFfa(pfn, 1))
    expectRet(EPERM, () => hc.hypDonateHost(pfn, 1))
    expectRet(EPERM, () => hc.hostShareGuest(pfn, gfn, 1, 'vm', prot))
    expectRet(ENOENT, () => hc.hostUnshareGuest(gfn, 1, 'vm'))

    expectRet(0, () => hc.hypPinSharedMem(pa, pa + PS))
    expectRet(0, () => hc.hypPinSharedMem(pa, pa + PS))
    expectRet(0, () => hc.hypUnpinSharedMem(pa, pa + PS))
    expect(own.pins(pa)).toBe(1)
    expectRet(EBUSY, () => hc.hostUnshareHyp(pfn))
    expectRet(EPERM, () => hc.hostShareHyp(pfn))
    expectRet(EPERM, () => hc.hostDonateHyp(pfn, 1))
    expectRet(EPERM, () => hc.hostShareFfa(pfn, 1))
    expectRet(EPERM, () => hc.hypDonateHost(pfn, 1))
    expectRet(EPERM, () => hc.hostShareGuest(pfn, gfn, 1, 'vm', prot))
    expectRet(ENOENT, () => hc.hostUnshareGuest(gfn, 1, 'vm'))
    expectRet(0, () => hc.hypUnpinSharedMem(pa, pa + PS))
    expect(own.pins(pa)).toBe(0)
    // One more unpin would underflow: the kernel BUG()s, the model refuses.
    expectRet(EINVAL, () => hc.hypUnpinSharedMem(pa, pa + PS))

    state.host = 'OWNED'
    state.hyp = 'NOPAGE'
    expectRet(0, () => hc.hostUnshareHyp(pfn))
  })

  test('share with FF-A', () => {
    state.host = 'SHARED_OWNED'
    expectRet(0, () => hc.hostShareFfa(pfn, 1))
    expectRet(EPERM, () => hc.hostShareFfa(pfn, 1))
    expectRet(EPERM, () => hc.hostDonateHyp(pfn, 1))
    expectRet(EPERM, () => hc.hostShareHyp(pfn))
    expectRet(EPERM, () => hc.hostUnshareHyp(pfn))
    expectRet(EPERM, () => hc.hypDonateHost(pfn, 1))
    expectRet(EPERM, () => hc.hostShareGuest(pfn, gfn, 1, 'vm', prot))
    expectRet(ENOENT, () => hc.hostUnshareGuest(gfn, 1, 'vm'))
    expectRet(EPERM, () => hc.hypPinSharedMem(pa, pa + PS))
    state.host = 'OWNED'
    expectRet(0, () => hc.hostUnshareFfa(pfn, 1))
    expectRet(EPERM, () => hc.hostUnshareFfa(pfn, 1))
  })

  test('share with a guest twice: host_share_guest_count 2, OWNED again only at 0', () => {
    state.host = 'SHARED_OWNED'
    state.g0 = 'SHARED_BORROWED'
    expectRet(0, () => hc.hostShareGuest(pfn, gfn, 1, 'vm', prot))
    expectRet(EPERM, () => hc.hostShareGuest(pfn, gfn, 1, 'vm', prot))
    expectRet(EPERM, () => hc.hostShareFfa(pfn, 1))
    expectRet(EPERM, () => hc.hostDonateHyp(pfn, 1))
    expectRet(EPERM, () => hc.hostShareHyp(pfn))
    expectRet(EPERM, () => hc.hostUnshareHyp(pfn))
    expectRet(EPERM, () => hc.hypDonateHost(pfn, 1))
    expectRet(EPERM, () => hc.hypPinSharedMem(pa, pa + PS))

    state.g1 = 'SHARED_BORROWED'
    expectRet(0, () => hc.hostShareGuest(pfn, gfn + 1, 1, 'vm', prot))
    expect(own.shareCount(pa)).toBe(2)

    state.g0 = 'NOPAGE'
    expectRet(0, () => hc.hostUnshareGuest(gfn, 1, 'vm'))
    expect(own.shareCount(pa)).toBe(1)
    state.g1 = 'NOPAGE'
    state.host = 'OWNED'
    expectRet(0, () => hc.hostUnshareGuest(gfn + 1, 1, 'vm'))
    expect(own.shareCount(pa)).toBe(0)
  })

  test('and back to the hypervisor', () => {
    state.host = 'NOPAGE'
    state.hyp = 'OWNED'
    expectRet(0, () => hc.hostDonateHyp(pfn, 1))
    expect(own.host(pa)).toEqual({ state: 'NOPAGE', owner: 'hyp' })
  })
})

describe('checks outside the selftest', () => {
  test('range checks: MMIO -EPERM, crossing a region -EINVAL, beyond the PA size -EINVAL (check_range_allowed_memory, pfn_range_is_valid)', () => {
    const { j, hc } = setup()
    const before = snapshot(j)
    expect(hc.hostDonateHyp(0x1000, 1)).toBe(EPERM) // 0x100_0000 is not memory
    expect(hc.hostDonateHyp((RAM.base + RAM.size) / PS - 1, 2)).toBe(EINVAL) // last page + one beyond
    expect(hc.hostDonateHyp(2 ** 36, 1)).toBe(EINVAL) // pfn 2^36 = PA 2^48: outside a 48-bit PA
    expect(hc.hostDonateHyp(RAM.base / PS, 0)).toBe(EINVAL)
    expect(hc.hostShareGuest(RAM.base / PS, 1, 1, 'vm', 8)).toBe(EINVAL) // prot beyond RWX
    expect(hc.hostShareGuest(RAM.base / PS, 1, 1, 'nobody', PROT.R)).toBe(EINVAL)
    expect(snapshot(j)).toBe(before)
  })

  test('guest blocks: nr_pages is 1 or PMD_SIZE/PAGE_SIZE with aligned pfn and gfn (__guest_check_transition_size)', () => {
    const { j, own, hc } = setup()
    const pfn = RAM.base / PS // 0x40000: 512-aligned
    expect(hc.hostShareGuest(pfn, 0, 2, 'vm', PROT.RWX)).toBe(EINVAL)
    expect(hc.hostShareGuest(pfn + 1, 0, 512, 'vm', PROT.RWX)).toBe(EINVAL)
    expect(hc.hostShareGuest(pfn, 0x200, 512, 'vm', PROT.RWX)).toBe(0)
    // Unsharing one page of the block: the leaf is 2M, the request 4K.
    expect(hc.hostUnshareGuest(0x205, 1, 'vm')).toBe(E2BIG)
    expect(own.shareCount(pfn * PS + 511 * PS)).toBe(1)
    // One `own` record for the 512-page run, not 512.
    const last = j.records.filter((r) => r.kind === 'own' && r.of === 'host').at(-1)!
    expect(last).toMatchObject({ pa: pfn * PS, size: 512 * PS, state: 'SHARED_OWNED' })
    expect(last.changes).toHaveLength(512)
    expect(hc.hostUnshareGuest(0x200, 512, 'vm')).toBe(0)
    expect(own.host(pfn * PS + 100 * PS).state).toBe('OWNED')
  })

  test('relax_perms, wrprotect, test_clear_young, mkyoung on a shared page', () => {
    const { own, hc } = setup()
    const pfn = RAM.base / PS + 3
    expect(hc.hostRelaxPermsGuest(7, 'vm', PROT.W)).toBe(EAGAIN) // no leaf yet
    expect(hc.hostShareGuest(pfn, 7, 1, 'vm', PROT.R)).toBe(0)
    expect(hc.hostRelaxPermsGuest(7, 'vm', 8)).toBe(EINVAL)
    expect(hc.hostRelaxPermsGuest(7, 'vm', PROT.W)).toBe(0)
    expect(own.guestLeaf('vm', 7, 512)?.prot).toBe(PROT.R | PROT.W)
    expect(hc.hostWrprotectGuest(7, 1, 'vm')).toBe(0)
    expect(own.guestLeaf('vm', 7, 512)?.prot).toBe(PROT.R)
    // Mapped young (AF set by stage2_map); mkold clears it; a second test says 0.
    expect(hc.hostTestClearYoungGuest(7, 1, true, 'vm')).toBe(1)
    expect(hc.hostTestClearYoungGuest(7, 1, false, 'vm')).toBe(0)
    expect(hc.hostMkyoungGuest(7, 'vm')).toBe(0)
    expect(hc.hostTestClearYoungGuest(7, 1, false, 'vm')).toBe(1)
    // Protected VMs refuse all of them.
    expect(hc.hostRelaxPermsGuest(7, 'pvm', PROT.W)).toBe(EPERM)
    expect(hc.hostWrprotectGuest(7, 1, 'pvm')).toBe(EPERM)
    expect(hc.hostTestClearYoungGuest(7, 1, true, 'pvm')).toBe(EPERM)
  })

  test('donation to a protected guest: owner GUEST, host NOPAGE; reclaim poisons and gives it back', () => {
    const { mem, own, hc } = setup()
    const pfn = RAM.base / PS + 40
    mem.write64(pfn * PS, 0x1234n, 'host')
    expect(hc.hostDonateGuest(pfn, 9, 1, 'pvm')).toBe(0)
    expect(own.host(pfn * PS)).toEqual({ state: 'NOPAGE', owner: 'pvm' })
    expect(own.guestLeaf('pvm', 9, 512)?.state).toBe('OWNED')
    expect(hc.hostDonateGuest(pfn, 10, 1, 'pvm')).toBe(EPERM) // host no longer owns it
    expect(hc.hostShareGuest(pfn, 11, 1, 'vm', PROT.R)).toBe(EPERM)
    expect(hc.hostReclaimGuest(9, 1, 'vm')).toBe(EPERM) // not a protected VM
    expect(hc.hostReclaimGuest(12, 1, 'pvm')).toBe(ENOENT)
    expect(hc.hostReclaimGuest(9, 1, 'pvm')).toBe(0)
    expect(own.host(pfn * PS)).toEqual({ state: 'OWNED', owner: 'host' })
    expect(mem.read64(pfn * PS)).toBe(0n)
  })

  test('a transition is a hypercall span annotated with its return code', () => {
    const { j, hc } = setup()
    hc.hostShareHyp(0x1000)
    const span = j.records.find((r) => r.kind === 'hypercall')!
    expect(span).toMatchObject({ actor: 'hyp', name: '__pkvm_host_share_hyp', args: { pfn: 0x1000 }, ret: EPERM, retName: '-EPERM' })
    expect(span.end).toBe(j.length) // nothing inside: no state changed
  })

  test('a run of pages is one own record per component, with every page change in it', () => {
    const { j, hc } = setup()
    const pfn = RAM.base / PS + 100
    const start = j.length
    expect(hc.hostDonateHyp(pfn, 4)).toBe(0)
    const own = j.records.slice(start).filter((r) => r.kind === 'own')
    expect(own.map((r) => [r.owner, r.state, r.pa, r.size, r.changes?.length])).toEqual([
      ['hyp', 'OWNED', pfn * PS, 4 * PS, 4],
      ['hyp', 'NOPAGE', pfn * PS, 4 * PS, 4], // the host's record: NOPAGE, owned by hyp
    ])
  })
})

test('replay restores ownership at every cursor, forwards and back (ReplayState)', () => {
  const { j, mem, own, hc } = setup()
  const base = RAM.base / PS
  const shots: { at: number; maps: string }[] = [{ at: 0, maps: snapshot(j) }]
  const ops: (() => number)[] = [
    () => hc.hostShareHyp(base + 1),
    () => hc.hypPinSharedMem((base + 1) * PS, (base + 2) * PS),
    () => hc.hostDonateHyp(base + 8, 8),
    () => hc.hostShareGuest(base + 20, 3, 1, 'vm', PROT.R),
    () => hc.hostShareGuest(base + 20, 4, 1, 'vm', PROT.R | PROT.W),
    () => hc.hostTestClearYoungGuest(3, 1, true, 'vm'),
    () => hc.hypUnpinSharedMem((base + 1) * PS, (base + 2) * PS),
    () => hc.hostUnshareHyp(base + 1),
    () => hc.hypDonateHost(base + 8, 4),
    () => hc.hostDonateGuest(base + 30, 5, 1, 'pvm'),
    () => hc.hostUnshareGuest(3, 1, 'vm'),
  ]
  for (const op of ops) {
    op()
    shots.push({ at: j.length, maps: snapshot(j) })
  }
  expect(own.shareCount((base + 20) * PS)).toBe(1)
  const replay = new ReplayState(j.records, j.maps.length, { base: mem.base, size: mem.size })
  const replayed = () => JSON.stringify(replay.maps.map((m) => sorted(m.entries())))
  for (const s of shots) {
    replay.seek(s.at)
    expect(replayed()).toBe(s.maps)
  }
  for (const s of [...shots].reverse()) {
    replay.seek(s.at)
    expect(replayed()).toBe(s.maps)
  }
})
