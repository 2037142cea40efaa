import type { SmmuViewModel, SmmuViewRequest } from '../api-types'
import { cdView } from './cd'
import { cfgCacheView, iotlbView } from './caches'
import { inspectView, locateSte } from './inspect'
import { relatedView } from './related'
import type { SmmuState } from './smmu-state'
import { keepFields, strtabView } from './strtab'
import { walkView } from './walk'

/** The SMMU structure views a request asks for, at the cursor the state was replayed to. */
export function smmuView(s: SmmuState, req: SmmuViewRequest): SmmuViewModel {
  const since = (r?: { since?: number }) => Math.max(0, Math.min(s.cursor - 1, r?.since ?? s.cursor - 1))
  const strtab = req.strtab
  // Only the host stream table exists until a hypervisor shadows it; a
  // request for the shadow table gets no view rather than a copy of the host's.
  const strtabOut = strtab && (strtab.table ?? 'host') === 'host'
    ? keepFields(strtabView({ table: 'host', baseReg: s.reg('STRTAB_BASE'), cfgReg: s.reg('STRTAB_BASE_CFG'), sidBits: s.feat.sidBits, mem: s.mem, records: s.records, cursor: s.cursor }, strtab.from, strtab.to, since(strtab)), strtab.fields)
    : undefined
  let cd
  if (req.cd) {
    const loc = locateSte(s, req.cd.sid)
    cd = cdView(s.mem, s.feat, req.cd.sid, loc.steAddr === undefined ? null : s.mem.readWords(loc.steAddr, 8), req.cd.from, req.cd.to, s.qemuCompat)
  }
  return {
    strtab: strtabOut,
    cd,
    walk: req.walk ? walkView(s.records, s.cursor, req.walk.at) : undefined,
    iotlb: req.iotlb ? iotlbView(s.iotlb, s.records, s.iotlbId, since(req.iotlb), s.cursor) : undefined,
    cfgcache: req.cfgcache ? cfgCacheView(s.cfgcache, s.records, s.cfgcacheId, since(req.cfgcache), s.cursor) : undefined,
    inspect: req.inspect ? inspectView(s, req.inspect) : undefined,
    related: req.related ? relatedView(s, req.related) : undefined,
  }
}
