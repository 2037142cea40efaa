import { useScrollViewport } from '../components/useScrollViewport'
import { memo, useCallback, useEffect, useLayoutEffect, useMemo, useRef, useState } from 'react'
import type { JournalRow, Related } from '../../engine/api-types'
import { hiddenRanges, isHidden, positionOf, recordAt, rowCount, visibleRanges } from '../components/journal-tree'
import { JsonlDownload } from '../components/JsonlDownload'
import { journalGeometry, rowRuns, sameJournalGeometry } from '../components/journal-window'
import type { Viewport } from '../components/useScrollViewport'
import { Timeline } from '../components/Timeline'
import { useRelated } from '../components/useRelated'
import { useApp } from '../store/context'
import { useSel } from '../store/selection-slice'

/** Fixed row height: the list is virtualized by arithmetic, not measurement. */
export const ROW_HEIGHT = 20
const OVERSCAN = 10
/** Pixels of indentation per span level. */
const JOURNAL_INDENT = 6

/** Two scroll positions that show the same rows whole and fetch the same window: scrolling within a row draws nothing again. */
const sameRows = (a: Viewport, b: Viewport): boolean => sameJournalGeometry(journalGeometry(a.top, a.height, ROW_HEIGHT, OVERSCAN), journalGeometry(b.top, b.height, ROW_HEIGHT, OVERSCAN))

const PAGE = 4096
const num = (v: unknown): number | undefined => (typeof v === 'number' ? v : typeof v === 'string' && /^0x[0-9a-f]+$/i.test(v) ? Number(v) : undefined)
const pageHex = (a: number) => '0x' + (a - (a % PAGE)).toString(16)

/** Whether a record is about something the linked selection relates to (its SID, page, IOVA or command slot). */
function relatedRow(row: JournalRow, rel: Related): boolean {
  const f = row.fields
  const sid = num(f.sid) ?? num(f.SID)
  if (sid !== undefined && rel.sids.includes(sid)) return true
  const pa = num(f.pa)
  if (pa !== undefined && rel.pages.includes(pageHex(pa))) return true
  const iova = num(f.iova)
  if (iova !== undefined && rel.iovas.includes(pageHex(iova))) return true
  const index = num(f.index)
  return (row.kind === 'cmd.issue' || row.kind === 'cmd.consume') && f.queue !== undefined && f.queue !== 'host' && index !== undefined && rel.commands.includes(index)
}

/** One record; a step re-renders only the rows whose props changed (the old and the new current row). */
const Row = memo(function Row({ row, position, rows, current, related, collapsed, onPick, onToggle }: { row: JournalRow; position: number; rows: number; current: boolean; related: boolean; collapsed: boolean; onPick: (i: number) => void; onToggle: (row: JournalRow) => void }) {
  const span = row.end !== undefined && row.end > row.i + 1
  return (
    <div
      id={`j-${row.i}`}
      role="option"
      aria-selected={current}
      // Only a window of the list is in the document: each option says where it is in the whole.
      aria-posinset={position + 1}
      aria-setsize={rows}
      className={`jrow actor-${row.actor}${current ? ' current' : ''}${related ? ' related' : ''}`}
      onClick={() => {
        onPick(row.i)
      }}
    >
      <span className="ji mono">{row.i}</span>
      <span className="jactor">{row.actor}</span>
      {/* Spans nest eleven deep in a pKVM boot: 6 px a level leaves the kind and text room in a narrow column. */}
      <span className="jbody" style={{ paddingLeft: row.depth * JOURNAL_INDENT }}>
        {span ? (
          <span
            className="jtoggle"
            aria-hidden="true"
            title={collapsed ? 'Expand (→)' : 'Collapse (←)'}
            onClick={(e) => {
              e.stopPropagation()
              onToggle(row)
            }}
          >
            {collapsed ? '▸' : '▾'}
          </span>
        ) : (
          <span className="jtoggle" aria-hidden="true" />
        )}
        <span className="jkind mono">{row.kind}</span>{' '}
        <span className="jtext" title={row.text}>
          {row.text}
        </span>
        {collapsed && <span className="badge">{(row.end ?? row.i) - row.i - 1} records collapsed</span>}
      </span>
    </div>
  )
})

/**
 * The journal: one row per record, indented by span depth, spans collapsible
 * (click the triangle, or ← / → on the current row), with the timeline strip
 * above it. The highlighted row is the next record (the cursor sits before
 * it); clicking a row moves the cursor there. Rows about the linked
 * selection are marked.
 */
export function Journal() {
  const storeRows = useApp((s) => s.journalRows)
  const records = useApp((s) => s.records)
  const cursor = useApp((s) => s.cursor)
  const summary = useApp((s) => s.summary)
  const setCursor = useApp((s) => s.setCursor)
  const setWindow = useApp((s) => s.setJournalWindow)
  const journalScroll = useApp((s) => s.journalScroll)
  const rowsFor = useSel((s) => s.journalRowsFor)
  const related = useRelated()
  const ref = useRef<HTMLDivElement>(null)
  const [collapsed, setCollapsed] = useState<ReadonlyMap<number, number>>(new Map())
  const [pieces, setPieces] = useState<readonly JournalRow[]>([])
  const hidden = useMemo(() => hiddenRanges(collapsed), [collapsed])

  // A new run starts with every span expanded.
  useEffect(() => {
    setCollapsed(new Map())
  }, [summary])

  // Stepping into a collapsed span opens it: the current record is always visible.
  useEffect(() => {
    if (!isHidden(hidden, cursor)) return
    setCollapsed((c) => new Map([...c].filter(([s, e]) => !(cursor > s && cursor < e))))
  }, [cursor, hidden])

  // The scroll position as last seen or set, so the effects below never read layout (a forced reflow per step).
  const { viewport, pos } = useScrollViewport(ref, 600, sameRows)

  const g = journalGeometry(viewport.top, viewport.height, ROW_HEIGHT, OVERSCAN)
  const { p0, p1 } = g
  useEffect(() => {
    if (hidden.length === 0) {
      // The rows shown whole travel with the window: a step that leaves them brings its rows along (engine stepView).
      void setWindow(p0, p1, { top: g.top, visible: g.visible, span: g.span, margin: OVERSCAN })
      return
    }
    // With spans collapsed the rows in view come from several record ranges; positions are not record indexes.
    void setWindow(p0, p1, null)
    let live = true
    void rowsFor(visibleRanges(hidden, p0, p1, records)).then((r) => {
      if (live) setPieces(r)
    })
    return () => {
      live = false
    }
  }, [p0, p1, g.top, g.visible, g.span, records, hidden, setWindow, rowsFor])

  const rows = hidden.length === 0 ? storeRows : pieces
  const total = rowCount(hidden, records)

  // A move took the window along: scroll to it before the frame is painted (its rows are already here).
  useLayoutEffect(() => {
    const el = ref.current
    if (el === null || journalScroll === null || hidden.length > 0) return
    el.scrollTop = journalScroll.top * ROW_HEIGHT
    pos.current = { top: journalScroll.top * ROW_HEIGHT, height: pos.current.height }
  }, [journalScroll, hidden])

  // Otherwise (spans collapsed, or no window yet) keep the current row in view, centred when it has to move.
  useLayoutEffect(() => {
    const el = ref.current
    if (el === null) return
    const y = positionOf(hidden, cursor) * ROW_HEIGHT
    const { top, height } = pos.current
    if (y < top || y + ROW_HEIGHT > top + height) {
      el.scrollTop = Math.max(0, y - height / 2)
      pos.current = { top: el.scrollTop, height }
    }
  }, [cursor, records, hidden])

  const toggle = useCallback((row: JournalRow) => {
    if (row.end === undefined) return
    const end = row.end
    setCollapsed((c) => {
      const n = new Map(c)
      if (n.has(row.i)) n.delete(row.i)
      else n.set(row.i, end)
      return n
    })
  }, [])
  const pick = useCallback((i: number) => void setCursor(i), [setCursor])

  const atEnd = records > 0 && cursor === records
  const currentRow = rows.find((r) => r.i === cursor)
  const currentShown = atEnd || currentRow !== undefined
  const runs = rowRuns(
    rows.filter((r) => !isHidden(hidden, r.i)),
    (r) => positionOf(hidden, r.i),
  )
  const anySelection = related.sids.length + related.pages.length + related.iovas.length + related.commands.length > 0
  return (
    <section className="panel journal" aria-labelledby="journal-h">
      <div className="panel-head">
        <h2 id="journal-h">
          Journal{' '}
          <span className="sub">
            {records} records{collapsed.size > 0 ? ` · ${collapsed.size} collapsed` : ''}
          </span>
        </h2>
        <JsonlDownload />
      </div>
      <Timeline />
      <p id="journal-keys" className="sr-only">
        Arrows up and down move the cursor; left collapses the span at the cursor, right expands it.
      </p>
      <div
        ref={ref}
        className="jscroll"
        role="listbox"
        tabIndex={0}
        aria-labelledby="journal-h"
        aria-describedby="journal-keys"
        aria-activedescendant={currentShown ? `j-${cursor}` : undefined}
        onKeyDown={(e) => {
          if (e.key === 'ArrowDown') void setCursor(recordAt(hidden, positionOf(hidden, cursor) + 1))
          else if (e.key === 'ArrowUp') void setCursor(recordAt(hidden, Math.max(0, positionOf(hidden, cursor) - 1)))
          else if (e.key === 'ArrowLeft' && currentRow?.end !== undefined && !collapsed.has(cursor)) toggle(currentRow)
          else if (e.key === 'ArrowRight' && currentRow !== undefined && collapsed.has(cursor)) toggle(currentRow)
          else return
          e.preventDefault()
        }}
      >
        {/* Two rows of slack below the end: a followed window can always scroll its top row to the top. */}
        <div className="jspace" style={{ height: (total + 3) * ROW_HEIGHT }}>
          {runs.map((run, k) => (
            // Rows at consecutive positions lie in one block placed at the first one's: the rows themselves are
            // not positioned, so a step lays out and paints a block of rows rather than a layer per row.
            // Keyed by place in the list, not by first record: a scrolled window keeps its block and rows.
            <div key={k} className="jrun" style={{ top: run.top * ROW_HEIGHT }}>
              {run.rows.map((r, j) => (
                <Row key={r.i} row={r} position={run.top + j} rows={total + 1} current={r.i === cursor} related={anySelection && relatedRow(r, related)} collapsed={collapsed.has(r.i)} onPick={pick} onToggle={toggle} />
              ))}
            </div>
          ))}
          {records > 0 && (
            // Cursor = records: every record applied; this row stands for "after the last one".
            <div
              id={`j-${records}`}
              role="option"
              aria-selected={atEnd}
              aria-posinset={total + 1}
              aria-setsize={total + 1}
              className={`jrow jend${atEnd ? ' current' : ''}`}
              style={{ top: total * ROW_HEIGHT }}
              onClick={() => void setCursor(records)}
            >
              <span className="ji mono">{records}</span>
              <span className="jtext">end of run</span>
            </div>
          )}
        </div>
      </div>
    </section>
  )
}
