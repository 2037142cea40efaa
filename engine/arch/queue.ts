/**
 * Circular queue arithmetic (IHI 0070 3.5.1): a queue of 2^log2 entries is
 * addressed by PROD and CONS registers whose bits [log2-1:0] are the index
 * and bit [log2] the wrap flag. Empty: index and wrap equal. Full: index
 * equal, wrap different. Bits above the wrap bit (CONS.ERR, PROD.OVFLG) are
 * not part of the pointer and are preserved by `queueIncrement`.
 */
import { REG } from './registers'
import { alignDown } from './u64'

const mask = (bits: number): number => (bits >= 32 ? 0xffff_ffff : 2 ** bits - 1)

/** The index part of a PROD/CONS value. */
export function queueIndex(ptr: number, log2: number): number {
  return (ptr >>> 0) & mask(log2)
}

/** The wrap flag (bit log2) of a PROD/CONS value. */
export function queueWrap(ptr: number, log2: number): number {
  return Math.floor((ptr >>> 0) / 2 ** log2) & 1
}

export function queueIsEmpty(prod: number, cons: number, log2: number): boolean {
  return queueIndex(prod, log2) === queueIndex(cons, log2) && queueWrap(prod, log2) === queueWrap(cons, log2)
}

export function queueIsFull(prod: number, cons: number, log2: number): boolean {
  return queueIndex(prod, log2) === queueIndex(cons, log2) && queueWrap(prod, log2) !== queueWrap(cons, log2)
}

/** Entries between CONS and PROD. */
export function queueUsed(prod: number, cons: number, log2: number): number {
  const p = queueIndex(prod, log2)
  const c = queueIndex(cons, log2)
  return queueWrap(prod, log2) === queueWrap(cons, log2) ? p - c : 2 ** log2 - c + p
}

/** Entries the producer may still write. */
export function queueFree(prod: number, cons: number, log2: number): number {
  return 2 ** log2 - queueUsed(prod, cons, log2)
}

/**
 * `ptr` advanced by `n` entries (toggling wrap on passing the end). Only the
 * low log2+1 bits change: CONS.ERR, PROD.OVFLG and the like are kept.
 */
export function queueIncrement(ptr: number, log2: number, n = 1): number {
  const m = mask(log2 + 1)
  const u = ptr >>> 0
  return ((u - (u & m)) + (((u & m) + n) & m)) >>> 0
}

/** Address of the entry `ptr` indexes, in a queue at `base` with `entrySize`-byte entries. */
export function queueEntryAddress(base: number, ptr: number, log2: number, entrySize: number): number {
  return base + queueIndex(ptr, log2) * entrySize
}

/** A queue's effective base and size from its Q_BASE register value. */
export interface QueueGeometry {
  readonly base: number
  readonly log2: number
}

/**
 * Decode CMDQ_BASE / EVENTQ_BASE / PRIQ_BASE (same ADDR and LOG2SIZE fields,
 * IHI 0070 6.3): LOG2SIZE is capped at the IDR1 maximum, and the SMMU aligns
 * the base to the larger of the queue size in bytes and 32 bytes.
 */
export function queueBase(qbase: bigint, entrySize: 16 | 32, maxLog2: number): QueueGeometry {
  const L = REG.CMDQ_BASE.layout
  const log2 = Math.min(L.get([qbase], 'LOG2SIZE'), maxLog2)
  const bytesLog2 = log2 + Math.log2(entrySize)
  return { base: alignDown(L.get([qbase], 'ADDR'), Math.max(5, bytesLog2)), log2 }
}

// The brief's short names (host and hypervisor code reads better with them).
export const index = queueIndex
export const wrap = queueWrap
export const isEmpty = queueIsEmpty
export const isFull = queueIsFull
export const used = queueUsed
export const free = queueFree
export const increment = queueIncrement
export const entryAddress = queueEntryAddress
