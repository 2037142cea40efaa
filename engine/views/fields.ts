import type { FieldRow } from '../api-types'
import type { FieldView } from '../arch/layout'
import { hex } from '../arch/u64'

/** A decoded field as the app shows it (64-bit values as hex strings). */
export const toRow = (f: FieldView): FieldRow => ({
  name: f.name,
  hi: f.hi,
  lo: f.lo,
  word: f.word,
  value: hex(f.value),
  display: f.display,
  desc: f.desc,
  ref: f.ref,
})
