import { describe, expect, test } from 'vitest'
import type { WalkCell, WalkView } from '../../engine/api-types'
import { CELL_W, walkGeometry } from './walk-geometry'

const cell = (stage: 1 | 2, level: number, record: number): WalkCell => ({ record, stage, level, address: '0x0', raw: '0x0', type: 'table', future: false, fault: false })
const view = (rows: WalkView['rows']): WalkView => ({ record: 0, end: 1, device: 'd', sid: 1, iova: '0x0', access: 'read', result: 'ok', reason: '', rows })

describe('walk grid geometry', () => {
  test('a stage-2-only walk is one row of its levels, no stage-1 column', () => {
    const g = walkGeometry(view([{ what: 'IPA', s2: [cell(2, 1, 1), cell(2, 2, 2), cell(2, 3, 3)] }]))
    expect(g.heads.map((h) => h.text)).toEqual(['S2 L1', 'S2 L2', 'S2 L3'])
    expect(g.cells.map((c) => c.label)).toEqual(['S2 L1', 'S2 L2', 'S2 L3'])
    expect(new Set(g.cells.map((c) => c.y)).size).toBe(1)
    // Left to right, in level order, one arrow between neighbours.
    expect(g.cells[0].x).toBeLessThan(g.cells[1].x)
    expect(g.links).toHaveLength(2)
  })

  test('nested: stage-1 levels go down the last column, their stage-2 walks across', () => {
    const g = walkGeometry(view([
      { what: 'TTB', s2: [cell(2, 2, 1), cell(2, 3, 2)], s1: cell(1, 2, 3) },
      { what: 'L2 table', s2: [cell(2, 2, 4), cell(2, 3, 5)], s1: cell(1, 3, 6) },
      { what: 'IPA', s2: [cell(2, 2, 7), cell(2, 3, 8)] },
    ]))
    expect(g.heads.map((h) => h.text)).toEqual(['S2 L2', 'S2 L3', 'stage 1'])
    const s1 = g.cells.filter((c) => c.cell.stage === 1)
    expect(s1.map((c) => c.label)).toEqual(['S1 L2', 'S1 L3'])
    expect(s1[0].x).toBe(s1[1].x)
    expect(s1[0].y).toBeLessThan(s1[1].y)
    expect(g.width).toBeGreaterThanOrEqual(3 * CELL_W)
    // Per row: S2 L2 -> S2 L3 -> S1 (2 + 2 + 1 arrows), plus S1 L2 down to S1 L3.
    expect(g.links).toHaveLength(6)
  })
})
