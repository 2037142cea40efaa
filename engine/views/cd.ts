import type { CdRow, CdView } from '../api-types'
import { CD } from '../arch/cd'
import type { Words } from '../arch/layout'
import { STE } from '../arch/ste'
import { cdAddress, type ReadL1 } from '../arch/strtab'
import { hex, hex64 } from '../arch/u64'
import type { PhysMem } from '../mem/physmem'
import { decodeS2 } from '../smmu/config'
import type { SmmuFeatures } from '../smmu/features'
import { walkS2 } from '../smmu/walk'
import { toRow } from './fields'

/** At most this many CDs per call. */
export const CD_WINDOW_MAX = 256

/** Thrown through cdAddress's reader when stage 2 cannot translate a CD table address. */
class NoTranslation extends Error {}

const S1FMT_NAME = ['linear', '2lvl-4K', '2lvl-64K', 'reserved (linear)']

/**
 * CDs [from, to) of the CD table an STE points at (IHI 0070 5.2
 * S1ContextPtr/S1Fmt/S1CDMax, 5.3, 5.4), located as the SMMU locates them.
 * When stage 2 also translates (Config=nested) the table's addresses are
 * IPAs: each is translated by a stage-2 walk of the STE's own stage 2
 * (untraced: looking is not a transaction).
 */
export function cdView(mem: PhysMem, feat: SmmuFeatures, sid: number, ste: Words | null, from = 0, to = from + 64, qemuCompat = false): CdView {
  const base = { sid, ptr: '0x0', fmt: 'linear', cdMax: 0, count: 0, ipa: false, rows: [] }
  if (!ste) return { ...base, none: `no STE for StreamID ${sid}` }
  if (STE.get(ste, 'V') === 0) return { ...base, none: 'STE.V=0' }
  const config = STE.get(ste, 'Config')
  if (config < 4 || (config & 1) === 0) {
    return { ...base, none: `STE.Config=${STE.valueName('Config', config) ?? config}: stage 1 is not enabled, so there is no CD table` }
  }
  const ptr = STE.get(ste, 'S1ContextPtr')
  const fmt = STE.get(ste, 'S1Fmt')
  const cdMax = STE.get(ste, 'S1CDMax')
  const nested = (config & 2) === 2
  // The SMMU's own decode: with qemuCompat its stage 2 walks concatenated tables as QEMU does, and so does this view.
  const s2 = nested ? decodeS2(ste, feat, qemuCompat) : null
  const count = 2 ** cdMax
  const head = { sid, ptr: hex(ptr), fmt: S1FMT_NAME[fmt], cdMax, count, ipa: nested }
  if (s2 && 'ok' in s2) return { ...head, rows: [], none: `C_BAD_STE: ${s2.reason}` }
  const toPa = (ipa: number): number => {
    if (!s2) return ipa
    const r = walkS2(mem, s2, ipa, { read: true, write: false }, 'CD', null)
    if (!r.ok) throw new NoTranslation(`stage 2 ${r.fault.type} at level ${r.fault.level} translating ${hex(ipa)}`)
    return r.pa
  }
  const readL1: ReadL1 = (a) => mem.read64(toPa(a))
  const a = Math.max(0, Math.min(count, Math.trunc(from)))
  const b = Math.max(a, Math.min(count, Math.trunc(to), a + CD_WINDOW_MAX))
  const rows: CdRow[] = []
  for (let ssid = a; ssid < b; ssid++) rows.push(cdRow(mem, ssid, { ptr, fmt, cdMax }, readL1, toPa))
  return { ...head, rows }
}

function cdRow(mem: PhysMem, ssid: number, cfg: { ptr: number; fmt: number; cdMax: number }, readL1: ReadL1, toPa: (ipa: number) => number): CdRow {
  const fail = (error: string, extra: Partial<CdRow> = {}): CdRow => ({ ssid, error, v: 0, asid: 0, raw: [], fields: [], ...extra })
  try {
    const loc = cdAddress(cfg, ssid, readL1)
    const l1Index = cfg.cdMax > 0 && (cfg.fmt === 1 || cfg.fmt === 2) ? Math.floor(ssid / 2 ** (cfg.fmt === 1 ? 6 : 10)) : undefined
    if (!loc.ok) return fail(`${loc.event}: ${loc.reason}`, { l1Index })
    const pa = toPa(loc.cdAddr)
    if (!mem.contains(pa, 64)) return fail(`F_CD_FETCH: no memory at ${hex(pa)}`, { address: hex(loc.cdAddr), l1Index })
    const words = mem.readWords(pa, 8)
    return {
      ssid,
      address: hex(loc.cdAddr),
      pa: hex(pa),
      l1Index,
      v: CD.get(words, 'V'),
      asid: CD.get(words, 'ASID'),
      raw: words.map(hex64),
      fields: CD.describe(words).map(toRow),
    }
  } catch (e) {
    return fail(e instanceof Error ? e.message : String(e))
  }
}
