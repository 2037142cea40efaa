import { scaleBand } from 'd3'
import type { WalkCell, WalkView } from '../../engine/api-types'

export const CELL_W = 150
export const CELL_H = 60
const GAP = 0.12
const LABEL_W = 92
const HEAD_H = 22

export interface PlacedCell {
  readonly cell: WalkCell
  readonly x: number
  readonly y: number
  readonly w: number
  readonly h: number
  /** "S2 L1" etc. */
  readonly label: string
}

export interface WalkGeometry {
  readonly width: number
  readonly height: number
  /** Column heads: stage-2 levels across, then the stage-1 column. */
  readonly heads: readonly { readonly x: number; readonly text: string }[]
  readonly rowLabels: readonly { readonly y: number; readonly text: string }[]
  readonly cells: readonly PlacedCell[]
  /** Arrows from each row's last stage-2 cell into its stage-1 cell, and down the stage-1 column. */
  readonly links: readonly { readonly x1: number; readonly y1: number; readonly x2: number; readonly y2: number }[]
}

/**
 * The nested walk as a grid (DESIGN.md "The screen"): one row per stage-1
 * level, the stage-2 walk of that level's table address across it, the
 * stage-1 read in the last column; rows without a stage-1 read (the final
 * IPA, configuration addresses) leave that column empty. d3 scales place
 * the columns and rows; React draws them.
 */
export function walkGeometry(w: WalkView): WalkGeometry {
  const s2Levels = [...new Set(w.rows.flatMap((r) => r.s2.map((c) => c.level)))].sort((a, b) => a - b)
  const hasS1 = w.rows.some((r) => r.s1 !== undefined)
  const cols = [...s2Levels.map((l) => `S2 L${l}`), ...(hasS1 ? ['S1'] : [])]
  const width = LABEL_W + cols.length * CELL_W
  const height = HEAD_H + w.rows.length * CELL_H
  const x = scaleBand().domain(cols).range([LABEL_W, width]).paddingInner(GAP)
  const y = scaleBand<number>().domain(w.rows.map((_, i) => i)).range([HEAD_H, height]).paddingInner(GAP)
  const cells: PlacedCell[] = []
  const links: { x1: number; y1: number; x2: number; y2: number }[] = []
  let prevS1: PlacedCell | undefined
  w.rows.forEach((row, i) => {
    const top = y(i) ?? 0
    let last: PlacedCell | undefined
    for (const c of row.s2) {
      const p = { cell: c, x: x(`S2 L${c.level}`) ?? 0, y: top, w: x.bandwidth(), h: y.bandwidth(), label: `S2 L${c.level}` }
      if (last) links.push({ x1: last.x + last.w, y1: top + p.h / 2, x2: p.x, y2: top + p.h / 2 })
      cells.push(p)
      last = p
    }
    if (row.s1) {
      const p = { cell: row.s1, x: x('S1') ?? 0, y: top, w: x.bandwidth(), h: y.bandwidth(), label: `S1 L${row.s1.level}` }
      if (last) links.push({ x1: last.x + last.w, y1: top + p.h / 2, x2: p.x, y2: top + p.h / 2 })
      if (prevS1) links.push({ x1: p.x + p.w / 2, y1: prevS1.y + prevS1.h, x2: p.x + p.w / 2, y2: top })
      cells.push(p)
      prevS1 = p
    }
  })
  return {
    width,
    height,
    heads: cols.map((c) => ({ x: (x(c) ?? 0) + x.bandwidth() / 2, text: c === 'S1' ? 'stage 1' : c })),
    rowLabels: w.rows.map((r, i) => ({ y: (y(i) ?? 0) + y.bandwidth() / 2, text: r.what })),
    cells,
    links,
  }
}
