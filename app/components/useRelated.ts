import type { Related } from '../../engine/api-types'
import { useSel } from '../store/selection-slice'

const EMPTY: Related = { sids: [], cds: [], addresses: [], tlb: [], cfg: [], commands: [], iovas: [], pages: [] }

/** What the linked selection relates to, for highlighting (empty when nothing is selected). */
export function useRelated(): Related {
  return useSel((s) => s.smmu?.related) ?? EMPTY
}
