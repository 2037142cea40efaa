import type { JRecord } from '../journal/journal'
import type { PhysMem } from '../mem/physmem'
import type { SmmuFeatures } from '../smmu/features'

/** The SMMU's state at a cursor, as the structure views read it (all from the replayed journal). */
export interface SmmuState {
  readonly records: readonly JRecord[]
  readonly cursor: number
  readonly mem: PhysMem
  /** Register value by specification name, at the cursor. */
  readonly reg: (name: string) => bigint
  readonly feat: SmmuFeatures
  /** platform.qemuCompat: stage-2 walks the views make follow QEMU where the SMMU does (concatenated start tables). */
  readonly qemuCompat?: boolean
  /** The journaled maps at the cursor: the IOTLB and the configuration cache, with their map ids. */
  readonly iotlb: ReadonlyMap<string | number, unknown>
  readonly cfgcache: ReadonlyMap<string | number, unknown>
  readonly iotlbId: number
  readonly cfgcacheId: number
}
