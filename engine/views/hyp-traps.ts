import type { HostRegRow, HwAccess, TrapLogView, TrapRow } from '../api-types'
import { REGISTERS } from '../arch/registers'
import { hex } from '../arch/u64'
import type { JRecord } from '../journal/journal'

/**
 * The MMIO trap log (DESIGN.md "The screen": host access → hypervisor
 * decision → hardware access). Under pKVM every host register access is a
 * data abort at EL2: the journal records the host's `mmio` (trapped, a span),
 * inside it the hypervisor's `hyp.mmio` decision and then the hypervisor's
 * own `mmio` accesses to the real registers (actor hyp).
 */

const HW_SHOWN = 12
const WINDOW_MAX = 500

const traps = new WeakMap<readonly JRecord[], number[]>()

/** Journal indexes of the trapped host accesses, computed once per journal. */
export function trapIndex(records: readonly JRecord[]): readonly number[] {
  let t = traps.get(records)
  if (!t) {
    t = []
    for (let i = 0; i < records.length; i++) {
      const r = records[i]
      if (r.kind === 'mmio' && r.actor === 'host' && r.trapped === true) t.push(i)
    }
    traps.set(records, t)
  }
  return t
}

function valueHex(v: unknown): string {
  if (typeof v === 'bigint') return hex(v)
  if (typeof v === 'number') return hex(v)
  if (typeof v === 'string') return v
  return ''
}

function trapRow(records: readonly JRecord[], n: number, i: number): TrapRow {
  const r = records[i]
  const end = r.end ?? i + 1
  let verdict = ''
  let reason = ''
  const hw: HwAccess[] = []
  let hwCount = 0
  for (let k = i + 1; k < end; k++) {
    const c = records[k]
    if (c.kind === 'hyp.mmio' && verdict === '') {
      verdict = typeof c.verdict === 'string' ? c.verdict : ''
      reason = typeof c.reason === 'string' ? c.reason : ''
    } else if (c.kind === 'mmio' && c.actor === 'hyp') {
      if (hwCount++ < HW_SHOWN) hw.push({ record: k, reg: String(c.reg), write: c.write === true, value: valueHex(c.value) })
    }
  }
  return { n, record: i, end, reg: String(r.reg), write: r.write === true, size: typeof r.size === 'number' ? r.size : 4, value: valueHex(r.value), verdict, reason, hw, hwCount }
}

/** Last index k with a[k] <= x (-1 when none). */
function floorIndex(a: readonly number[], x: number): number {
  let lo = 0
  let hi = a.length
  while (lo < hi) {
    const mid = (lo + hi) >>> 1
    if (a[mid] <= x) lo = mid + 1
    else hi = mid
  }
  return lo - 1
}

/** Trap rows [from, to) (at most 500), by default a window ending a little after the cursor's trap. */
export function trapLogView(records: readonly JRecord[], cursor: number, win: { readonly from?: number; readonly to?: number }): TrapLogView {
  const t = trapIndex(records)
  // The trap whose span holds the cursor, or the last one that started before it.
  const at = floorIndex(t, Math.max(0, cursor - 1))
  const from = Math.max(0, Math.min(t.length, Math.trunc(win.from ?? at - 20)))
  const to = Math.max(from, Math.min(t.length, Math.trunc(win.to ?? from + 40), from + WINDOW_MAX))
  const rows: TrapRow[] = []
  for (let n = from; n < to; n++) rows.push(trapRow(records, n, t[n]))
  return { total: t.length, from, rows, at }
}

/**
 * The registers as the host sees them, beside the hardware's: the emulated
 * ones from the hypervisor's stored copies, the others from the host's last
 * access (a read returns what the hypervisor answered, which may be masked,
 * as IDR0 is; a write may have been forced before it reached the hardware).
 */
export function hostRegisterRows(
  records: readonly JRecord[],
  cursor: number,
  emulated: ReadonlyMap<string | number, unknown>,
  hwReg: (n: string) => bigint,
): HostRegRow[] {
  const t = trapIndex(records)
  const last = new Map<string, string>()
  for (let k = floorIndex(t, cursor - 1); k >= 0; k--) {
    const r = records[t[k]]
    const name = String(r.reg)
    if (!last.has(name)) last.set(name, valueHex(r.value))
  }
  const rows: HostRegRow[] = []
  for (const d of REGISTERS) {
    const e = emulated.get(d.name)
    const hw = '0x' + hwReg(d.name).toString(16).padStart(d.width / 4, '0')
    if (typeof e === 'bigint') rows.push({ name: d.name, host: '0x' + e.toString(16).padStart(d.width / 4, '0'), hw, source: 'emulated' })
    else {
      const v = last.get(d.name)
      if (v !== undefined) rows.push({ name: d.name, host: '0x' + BigInt(v).toString(16).padStart(d.width / 4, '0'), hw, source: 'host access' })
    }
  }
  return rows
}
