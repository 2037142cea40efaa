import { expect, test } from 'vitest'
import { Journal } from '../journal/journal'
import { GuestStage2 } from './guest'
import { ERRNO, Hypercalls, PROT } from './hypercalls'
import { Ownership } from './ownership'

// The host's pkvm_mappings (arch/arm64/kvm/pkvm.c, pkvm_pgtable_stage2_*),
// worked by hand: each mapping is one __pkvm_host_share_guest.

const PS = 4096
const BASE = 0x4000_0000

function setup() {
  const j = new Journal()
  const own = new Ownership(j, { memory: [{ base: BASE, size: 0x100_0000 }], pageShift: 12, guests: [{ name: 'vm' }] })
  const hc = new Hypercalls(j, own)
  return { j, own, hc, s2: new GuestStage2(j, hc, 'vm') }
}

test('map keeps a sorted gfn → pfn map in step with EL2', () => {
  const { j, own, s2 } = setup()
  expect(s2.map(0x9000, PS, BASE + 0x3000, PROT.R | PROT.W)).toBe(0)
  expect(s2.map(0x2000, PS, BASE + 0x5000, PROT.R)).toBe(0)
  expect(s2.mappings().map((m) => [m.gfn, m.pfn])).toEqual([[2, (BASE + 0x5000) / PS], [9, (BASE + 0x3000) / PS]])
  expect(own.guestLeaf('vm', 9, 512)).toMatchObject({ pfn: (BASE + 0x3000) / PS, state: 'SHARED_BORROWED' })
  expect(own.host(BASE + 0x3000).state).toBe('SHARED_OWNED')
  // Same size again at the same gfn: a race in the kernel (-EAGAIN), nothing changes.
  expect(s2.map(0x9000, PS, BASE + 0x6000, PROT.R)).toBe(-ERRNO.EAGAIN)
  // Sizes other than PAGE_SIZE and PMD_SIZE: -EINVAL.
  expect(s2.map(0x10000, 2 * PS, BASE, PROT.R)).toBe(-ERRNO.EINVAL)
  // The hypercalls are nested inside the host's span.
  const span = j.records.find((r) => r.kind === 'host.guest.map')!
  expect(j.records[j.records.indexOf(span) + 1]).toMatchObject({ kind: 'hypercall', name: '__pkvm_host_share_guest', depth: span.depth + 1 })
})

test('a block over a page: the page mapping is unshared first, then the 2M block shared', () => {
  const { own, s2 } = setup()
  expect(s2.map(0x20_3000, PS, BASE + 0x7000, PROT.R)).toBe(0)
  expect(s2.map(0x20_0000, 512 * PS, BASE + 0x20_0000, PROT.R)).toBe(0)
  expect(s2.mappings()).toEqual([{ gfn: 0x200, pfn: (BASE + 0x20_0000) / PS, nrPages: 512, prot: PROT.R }])
  expect(own.host(BASE + 0x7000).state).toBe('OWNED')
  expect(s2.find(0x3ff)?.gfn).toBe(0x200)
  expect(s2.unmap(0x20_0000, 0x20_0000)).toBe(0)
  expect(s2.mappings()).toEqual([])
  expect(own.host(BASE + 0x20_0000).state).toBe('OWNED')
})

test('wrprotect, test_clear_young, relax_perms go through the hypercalls', () => {
  const { own, s2 } = setup()
  s2.map(0x1000, PS, BASE + 0x1000, PROT.R | PROT.W)
  s2.map(0x2000, PS, BASE + 0x2000, PROT.R | PROT.W)
  expect(s2.wrprotect(0, 0x10000)).toBe(0)
  expect(own.guestLeaf('vm', 1, 512)?.prot).toBe(PROT.R)
  expect(s2.mappings().map((m) => m.prot)).toEqual([PROT.R, PROT.R])
  expect(s2.testClearYoung(0, 0x10000, true)).toBe(true)
  expect(s2.testClearYoung(0, 0x10000, true)).toBe(false)
  expect(s2.mkyoung(0x2000)).toBe(0)
  expect(s2.testClearYoung(0x2000, PS, false)).toBe(true)
  expect(s2.relaxPerms(0x1000, PROT.W)).toBe(0)
  expect(own.guestLeaf('vm', 1, 512)?.prot).toBe(PROT.R | PROT.W)
  expect(s2.find(1)?.prot).toBe(PROT.R | PROT.W)
  expect(s2.relaxPerms(0x5000, PROT.W)).toBe(-ERRNO.EAGAIN)
})

test('restore: after a rewind the sorted gfn list follows the map', () => {
  const { j, s2 } = setup()
  expect(s2.map(0x9000, PS, BASE + 0x3000, PROT.R)).toBe(0)
  const cut = j.length
  expect(s2.map(0x2000, PS, BASE + 0x5000, PROT.R)).toBe(0)
  // Undo the second map on every journaled map (as a rewind does), then rebuild.
  for (let i = j.length - 1; i >= cut; i--) for (const [id, k, old] of [...(j.records[i].changes ?? [])].reverse()) j.maps[id].poke(k, old)
  s2.restore()
  expect(s2.mappings().map((m) => m.gfn)).toEqual([9])
  expect(s2.find(2)).toBeUndefined()
  expect(s2.find(9)?.pfn).toBe((BASE + 0x3000) / PS)
})
