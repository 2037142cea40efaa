/**
 * arm_smmu_write_entry: update a many-qword STE or CD the SMMU may be
 * reading, with 64-bit stores only, so the SMMU never sees a mix of the two
 * configurations in the bits it uses (SPEC-FACTS B§3). Pure: `planEntryWrite`
 * returns the stores in order, grouped into the steps that are each
 * followed by a sync (CFGI + CMD_SYNC); the driver carries them out.
 */

const M64 = (1n << 64n) - 1n

export type UsedFn = (entry: readonly bigint[]) => bigint[]
/** Bits that may change in either order because the SMMU tolerates both values (arm_smmu_get_ste_update_safe). */
export type SafeFn = (cur: readonly bigint[], target: readonly bigint[]) => bigint[]

export interface EntryStore {
  readonly qword: number
  readonly value: bigint
}

export interface EntryPlan {
  /** 'hitless': one critical qword; 'disruptive': V=0 first; 'none': no used bit changes. */
  readonly kind: 'hitless' | 'disruptive' | 'none'
  /** Index of the critical qword (hitless only). */
  readonly critical?: number
  /** Steps that change memory; each is followed by one sync. */
  readonly steps: readonly (readonly EntryStore[])[]
}

/**
 * Which qwords need a used bit changed after the unused bits take their new
 * values; returns the bitmask and the intermediate "unused_update" entry.
 */
export function qwordDiff(cur: readonly bigint[], target: readonly bigint[], used: UsedFn, safe?: SafeFn): { diff: number; unusedUpdate: bigint[] } {
  const n = cur.length
  const curUsed = used(cur)
  const targetUsed = used(target)
  const safeBits = safe ? safe(cur, target) : new Array<bigint>(n).fill(0n)
  const unusedUpdate: bigint[] = []
  let diff = 0
  for (let i = 0; i < n; i++) {
    // A safe bit counts only when both entries use it; otherwise the unused side sequences it.
    const s = safeBits[i] & targetUsed[i] & curUsed[i]
    const cu = curUsed[i] & ~s & M64
    unusedUpdate.push(((cur[i] & cu) | (target[i] & ~cu)) & M64)
    if ((unusedUpdate[i] & targetUsed[i]) !== target[i]) diff |= 1 << i
  }
  return { diff, unusedUpdate }
}

function popcount(x: number): number {
  let c = 0
  for (let v = x; v; v &= v - 1) c++
  return c
}

/** entry_set over [start, start+len): the stores that change a qword, in order. */
function entrySet(entry: bigint[], target: readonly bigint[], start: number, len: number): EntryStore[] {
  const out: EntryStore[] = []
  for (let i = start; i < start + len; i++) {
    if (entry[i] !== target[i]) {
      entry[i] = target[i]
      out.push({ qword: i, value: target[i] })
    }
  }
  return out
}

export function planEntryWrite(cur: readonly bigint[], target: readonly bigint[], used: UsedFn, safe?: SafeFn): EntryPlan {
  const n = cur.length
  const entry = [...cur]
  const { diff, unusedUpdate } = qwordDiff(cur, target, used, safe)
  const steps: EntryStore[][] = []
  const push = (s: EntryStore[]) => {
    if (s.length) steps.push(s)
  }
  if (popcount(diff) === 1) {
    const critical = Math.log2(diff & -diff)
    // The critical qword is written in the next step anyway: skipping it here can save a sync.
    unusedUpdate[critical] = entry[critical]
    push(entrySet(entry, unusedUpdate, 0, n))
    push(entrySet(entry, target, critical, 1))
    push(entrySet(entry, target, 0, n))
    return { kind: 'hitless', critical, steps }
  }
  if (diff) {
    // Break the entry (V=0), fill qwords 1.., then make qword 0 valid with one store.
    unusedUpdate[0] = 0n
    push(entrySet(entry, unusedUpdate, 0, 1))
    push(entrySet(entry, target, 1, n - 1))
    push(entrySet(entry, target, 0, 1))
    return { kind: 'disruptive', steps }
  }
  push(entrySet(entry, target, 0, n))
  return { kind: 'none', steps }
}
