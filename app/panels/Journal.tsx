import { useEffect, useLayoutEffect, useRef, useState } from 'react'
import type { JournalRow } from '../../engine/api-types'
import { useApp } from '../store/context'

/** Fixed row height: the list is virtualized by arithmetic, not measurement. */
export const ROW_HEIGHT = 20
const OVERSCAN = 20

function Row({ row, current, onPick }: { row: JournalRow; current: boolean; onPick: (i: number) => void }) {
  return (
    <div
      id={`j-${row.i}`}
      role="option"
      aria-selected={current}
      className={`jrow actor-${row.actor}${current ? ' current' : ''}`}
      style={{ top: row.i * ROW_HEIGHT }}
      onClick={() => {
        onPick(row.i)
      }}
    >
      <span className="ji mono">{row.i}</span>
      <span className="jactor">{row.actor}</span>
      <span className="jbody" style={{ paddingLeft: row.depth * 12 }}>
        <span className="jkind mono">
          {row.end !== undefined ? '▸ ' : ''}
          {row.kind}
        </span>{' '}
        <span className="jtext" title={row.text}>
          {row.text}
        </span>
      </span>
    </div>
  )
}

/**
 * The journal: one row per record, indented by span depth. The highlighted row is
 * the next record (the cursor sits before it); clicking a row moves the cursor there.
 */
export function Journal() {
  const rows = useApp((s) => s.journalRows)
  const records = useApp((s) => s.records)
  const cursor = useApp((s) => s.cursor)
  const setCursor = useApp((s) => s.setCursor)
  const setWindow = useApp((s) => s.setJournalWindow)
  const ref = useRef<HTMLDivElement>(null)
  const [viewport, setViewport] = useState({ top: 0, height: 600 })

  useLayoutEffect(() => {
    const el = ref.current
    if (el === null) return
    const update = () => {
      setViewport({ top: el.scrollTop, height: el.clientHeight })
    }
    update()
    const ro = new ResizeObserver(update)
    ro.observe(el)
    el.addEventListener('scroll', update, { passive: true })
    return () => {
      ro.disconnect()
      el.removeEventListener('scroll', update)
    }
  }, [])

  useEffect(() => {
    const from = Math.max(0, Math.floor(viewport.top / ROW_HEIGHT) - OVERSCAN)
    const to = Math.min(records, Math.ceil((viewport.top + viewport.height) / ROW_HEIGHT) + OVERSCAN)
    void setWindow(from, Math.max(from, to))
  }, [viewport, records, setWindow])

  // Keep the current row in view, centred when it has to move.
  useEffect(() => {
    const el = ref.current
    if (el === null) return
    const y = cursor * ROW_HEIGHT
    if (y < el.scrollTop || y + ROW_HEIGHT > el.scrollTop + el.clientHeight) {
      el.scrollTop = Math.max(0, y - el.clientHeight / 2)
    }
  }, [cursor, records])

  const atEnd = records > 0 && cursor === records
  const currentShown = atEnd || rows.some((r) => r.i === cursor)
  return (
    <section className="panel journal" aria-labelledby="journal-h">
      <h2 id="journal-h">
        Journal <span className="sub">{records} records</span>
      </h2>
      <div
        ref={ref}
        className="jscroll"
        role="listbox"
        tabIndex={0}
        aria-labelledby="journal-h"
        aria-activedescendant={currentShown ? `j-${cursor}` : undefined}
        onKeyDown={(e) => {
          if (e.key === 'ArrowDown') void setCursor(cursor + 1)
          else if (e.key === 'ArrowUp') void setCursor(cursor - 1)
          else return
          e.preventDefault()
        }}
      >
        <div className="jspace" style={{ height: (records + 1) * ROW_HEIGHT }}>
          {rows.map((r) => (
            <Row key={r.i} row={r} current={r.i === cursor} onPick={(i) => void setCursor(i)} />
          ))}
          {records > 0 && (
            // Cursor = records: every record applied; this row stands for "after the last one".
            <div
              id={`j-${records}`}
              role="option"
              aria-selected={atEnd}
              className={`jrow jend${atEnd ? ' current' : ''}`}
              style={{ top: records * ROW_HEIGHT }}
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
