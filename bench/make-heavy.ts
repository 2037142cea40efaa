/**
 * Writes the heavy built-in scenarios (engine/scenario/builtin/heavy/*.json).
 * They are generated because one of them lists 512 devices; run
 * `npx tsx bench/make-heavy.ts` after changing this file and commit the JSON.
 */
import { writeFileSync } from 'node:fs'

const RAM = { base: '0x4000_0000', size: '8G' }

/** Two devices per level-2 stream table (STRTAB_SPLIT 8: 256 STEs each), so all 256 L1 descriptors are in use. */
const DEVICES = 512
const SIDS = 65536

function hex(n: number): string {
  const h = n.toString(16)
  const groups: string[] = []
  for (let e = h.length; e > 0; e -= 4) groups.unshift(h.slice(Math.max(0, e - 4), e))
  return `0x${groups.join('_')}`
}

const idmap8g = {
  smmuscope: 1,
  title: 'pKVM on an 8 GiB host: a two-million-leaf identity stage 2',
  notes:
    'The same story as boot-pkvm on a machine with real memory: 8 GiB of RAM at 4K PAGE_SIZE. Before the host driver probes, the hypervisor snapshots the host stage 2 into its identity IOMMU stage 2 (ias = oas = 44, start level 0): 2,091,520 page leaves (read/write, Normal WB: all 8 GiB but its own 22 MiB carve-out) and 16,376 one-GiB device blocks for the rest of the 44-bit space, in 4126 table pages. The build journals per table page, not per descriptor: one mem.write per 4 KiB table, so the whole identity map is about 4,100 records. Then the host boots a trapped SMMU, attaches a stage-1 domain (nested under the identity map), maps a page high in RAM, and a DMA reaches it; donating that page to the hypervisor unmaps it from the identity map (TLBI_S2_IPA + TLBI_NH_ALL on the shadow queue) and the same DMA faults at stage 2.',
  platform: {
    smmu: { stages: 'nested', strtab: '2level', ril: true },
    ram: RAM,
    pageSize: '4K',
    hypervisor: 'pkvm',
    devices: [{ name: 'nic', sid: 8 }],
  },
  steps: [
    { op: 'boot' },
    { op: 'attach', device: 'nic', domain: { type: 's1', name: 'dma' } },
    { op: 'map', device: 'nic', iova: '0x10_0000', pa: '0x1_4000_0000', size: '4K', prot: 'rw', note: 'A page 4 GiB into RAM: its level-3 table is one of 4096' },
    { op: 'dma', device: 'nic', iova: '0x10_0040', size: 64, access: 'read' },
    { op: 'expect', dma: 'ok', pa: '0x1_4000_0040' },
    { op: 'donate', pa: '0x1_4000_0000', size: '4K', to: 'hyp', note: 'One leaf out of two million leaves the identity map' },
    { op: 'dma', device: 'nic', iova: '0x10_0040', size: 64, access: 'read' },
    { op: 'expect', dma: 'fault', event: 'F_TRANSLATION', stage: 2 },
  ],
}

const devices = Array.from({ length: DEVICES }, (_, k) => {
  const per = SIDS / DEVICES
  // Spread: device k in its own 128-SID slice, at an offset that varies, so SIDs are not all aligned.
  return { name: `d${k}`, sid: k * per + ((k * 37) % per) }
})
const steps: unknown[] = [{ op: 'boot' }]
devices.forEach((d, k) => {
  steps.push({ op: 'attach', device: d.name, domain: { type: 's1' } })
  steps.push({ op: 'map', device: d.name, iova: '0x10_0000', pa: hex(0x1_0000_0000 + k * 0x1000), size: '4K', prot: 'rw' })
  steps.push({ op: 'dma', device: d.name, iova: '0x10_0040', size: 64, access: 'read' })
})
steps.push({ op: 'expect', dma: 'ok', pa: hex(0x1_0000_0000 + (DEVICES - 1) * 0x1000 + 0x40) })
for (const d of devices) {
  steps.push({ op: 'unmap', device: d.name, iova: '0x10_0000', size: '4K' })
  steps.push({ op: 'dma', device: d.name, iova: '0x10_0040', size: 64, access: 'read' })
}
steps.push({ op: 'expect', dma: 'fault', event: 'F_TRANSLATION', stage: 1 })

const sids65536 = {
  smmuscope: 1,
  title: 'pKVM, 8 GiB and 65536 StreamIDs: 512 devices over a 2-level stream table',
  notes:
    `Scale for the debugger: 8 GiB of RAM under pKVM (a two-million-leaf identity stage 2) and an SMMU with 16-bit StreamIDs and a 2-level stream table, 256 level-1 descriptors each covering 256 STEs. ${DEVICES} devices are spread over all 65536 SIDs, two per level-2 table. Each is probed (its level-2 table allocated and shared with the hypervisor, which shadows it), attached to a stage-1 domain of its own (CD, hitless STE update, CFGI_STE re-shadowed as a nested STE over the identity map), mapped and used for one DMA; then every mapping is unmapped with its TLB invalidation and the DMA faults at stage 1. The journal runs past 200,000 records: the stream table tab scrolls all 65536 rows, and stepping stays instant anywhere in it.`,
  platform: {
    smmu: { stages: 'nested', strtab: '2level', sidBits: 16, ril: true },
    ram: RAM,
    pageSize: '4K',
    hypervisor: 'pkvm',
    devices,
  },
  steps,
}

const dir = new URL('../engine/scenario/builtin/heavy/', import.meta.url)
writeFileSync(new URL('pkvm-8g.json', dir), JSON.stringify(idmap8g, null, 2) + '\n')
writeFileSync(new URL('pkvm-8g-65536-sids.json', dir), JSON.stringify(sids65536) + '\n')
console.log('wrote engine/scenario/builtin/heavy/pkvm-8g.json and pkvm-8g-65536-sids.json')
