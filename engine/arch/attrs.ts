/**
 * Memory-attribute encodings several layouts share (values, not positions):
 * one declaration each, so STE, CD and the CR1 register name them alike.
 */

/** Shareability: SH fields of CR1, STE.S1CSH/S2SH0, CD.SH0/SH1 (IHI 0070 5.2, 5.4, 6.3). */
export const SHAREABILITY = { NSH: 0, OSH: 2, ISH: 3 } as const

/** Table-walk cacheability as TCR_ELx.IRGNn/ORGNn encode it: STE.S2IR0/S2OR0, CD.IRn/ORn. */
export const WALK_CACHE = { NC: 0, WBWA: 1, WT: 2, WB: 3 } as const

/** Cacheability of CD and L1CD fetches: STE.S1CIR/S1COR. */
export const FETCH_CACHE = { NC: 0, WBRA: 1, WT: 2, WB: 3 } as const
