import type { RegisterRow } from '../api-types'
import { REGISTERS } from '../arch/registers'
import { toRow } from './fields'

/** Every register at the cursor, decoded; `changed` marks those the previous record wrote. */
export function registerRows(reg: (n: string) => bigint, changed: ReadonlySet<string>): RegisterRow[] {
  return REGISTERS.map((d) => {
    const v = reg(d.name)
    return {
      name: d.name,
      offset: d.offset + (d.page === 1 ? 0x10000 : 0),
      width: d.width,
      value: '0x' + v.toString(16).padStart(d.width / 4, '0'),
      fields: d.layout.describe([v]).map(toRow),
      changed: changed.has(d.name),
    }
  })
}
