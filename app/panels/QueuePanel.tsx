import { Fragment, memo, useEffect, useRef, type CSSProperties, type ReactNode, type RefObject } from 'react'
import type { QueueEntryRow, QueueView } from '../../engine/api-types'
import { FieldChips } from '../components/FieldList'
import { Pager } from '../components/Pager'
import { exportPng, exportSvg } from '../components/export-image'
import { QueueRing } from '../components/QueueRing'
import { useSel } from '../store/selection-slice'
import { QUEUE_PAGE, type QueueKey } from '../store/view-fetch'

function Pointer({ name, value, wrap, index }: { name: string; value: number; wrap: number; index: number }) {
  return (
    <span className="ptr mono">
      {name} 0x{value.toString(16).padStart(8, '0')} <span className="sub">WR={wrap} idx={index}</span>
    </span>
  )
}

/** How a panel decorates entries: an extra column, row classes, and what picking a row does. */
export interface EntryDecor {
  /**
   * An extra column: `data` picks what the cell shows for an entry (an
   * object that keeps its identity while unchanged, so a row is drawn again
   * only when its own data changes), `cell` draws it.
   */
  readonly column?: { readonly title: string; readonly data: (e: QueueEntryRow) => unknown; readonly cell: (data: unknown, e: QueueEntryRow) => ReactNode }
  readonly rowClass?: (e: QueueEntryRow) => string
  readonly onPick?: (e: QueueEntryRow) => void
  readonly pickLabel?: (e: QueueEntryRow) => string
}

interface EntryRowProps {
  readonly e: QueueEntryRow
  readonly cls: string
  readonly data: unknown
  readonly decor: EntryDecor | undefined
}

/**
 * One entry. A step usually changes the class of a row or two (the entry
 * at the cursor): the others keep their entry, class and column data, and
 * are not drawn again. The decoration's functions are rebuilt with every
 * change of the queue view; a row's output depends on them only through
 * its class and data, which the comparison covers.
 */
const EntryRow = memo(
  function EntryRow({ e, cls, data, decor }: EntryRowProps) {
    return (
      <div role="row" data-index={e.index} className={cls ? `qrow ${cls}` : 'qrow'} title={e.address}>
        <div role="cell" className="mono qidx">
          {decor?.onPick && e.opcode !== '' ? (
            <button type="button" className="link" aria-label={decor.pickLabel?.(e) ?? `Select entry ${e.index}`} onClick={() => decor.onPick?.(e)}>
              {e.index}
            </button>
          ) : (
            e.index
          )}
          {e.pending && <span className="badge">pending</span>}
        </div>
        {e.opcode === '' ? (
          // An all-zero slot: nothing was ever written there.
          <div role="cell" className="empty-slot" aria-colspan={decor?.column ? 4 : 3}>
            empty
          </div>
        ) : (
          <>
            <div role="cell" className="mono opcode">
              {e.opcode}
            </div>
            {decor?.column && (
              <div role="cell" className="qnote">
                {decor.column.cell(data, e)}
              </div>
            )}
            <div role="cell" className="qfields">
              <FieldChips fields={e.fields} />
            </div>
          </>
        )}
        {/* An empty slot's words are all zero: "empty" says so in one line. */}
        {e.opcode !== '' && (
          <div role="cell" className="mono raw">
            {e.raw.map((w, k) => (
              <Fragment key={k}>
                <span>{w}</span>{' '}
              </Fragment>
            ))}
          </div>
        )}
      </div>
    )
  },
  (a, b) => a.e === b.e && a.cls === b.cls && a.data === b.data && (a.decor === undefined) === (b.decor === undefined) && !a.decor?.column === !b.decor?.column && !a.decor?.onPick === !b.decor?.onPick,
)

/**
 * Queue entries in the window the worker sent; those between CONS and PROD
 * are pending. A grid of rows with fixed columns rather than a <table>:
 * each row lays out and paints on its own (contained), so a step that
 * changes one entry does not lay the whole window out again, and the
 * columns do not change width as the cursor moves.
 */
export const QueueEntries = memo(function QueueEntries({ queue, kindLabel, decor }: { queue: QueueView; kindLabel: string; decor?: EntryDecor }) {
  if (queue.entries.length === 0) return <p className="empty">No entries.</p>
  return (
    <div
      role="table"
      className={['qentries', queue.name === 'EVENTQ' ? 'eventq' : '', decor?.column ? 'with-note' : ''].join(' ').trim()}
      style={{ '--qdigits': String(2 ** queue.log2size - 1).length } as CSSProperties}
      aria-label={`${queue.name} entries`}
    >
      <div role="rowgroup" className="qheader">
        <div role="row" className="qrow">
          <div role="columnheader">#</div>
          <div role="columnheader">{kindLabel}</div>
          {decor?.column && <div role="columnheader">{decor.column.title}</div>}
          <div role="columnheader" className="qh-fields">
            Fields
          </div>
          <div role="columnheader" className="qh-raw">
            Raw
          </div>
        </div>
      </div>
      <div role="rowgroup">
        {queue.entries.map((e) => (
          <EntryRow key={e.index} e={e} cls={[e.pending ? 'pending' : '', decor?.rowClass?.(e) ?? ''].join(' ').trim()} data={decor?.column?.data(e)} decor={decor} />
        ))}
      </div>
    </div>
  )
})

/** Save the ring as a picture (the same export as the walk grid's). */
function RingExport({ svg, name, title }: { svg: RefObject<SVGSVGElement | null>; name: string; title: string }) {
  return (
    <div className="qexport">
      <button type="button" aria-label={`Export ${title} ring as SVG`} onClick={() => svg.current && exportSvg(svg.current, name)}>
        SVG
      </button>
      <button type="button" aria-label={`Export ${title} ring as PNG`} onClick={() => void (svg.current && exportPng(svg.current, name))}>
        PNG
      </button>
    </div>
  )
}

/**
 * Page through the whole ring (up to 2^19 slots): the slots before and after
 * those shown, and back to the ones around the cursor. A paged queue stays
 * where it was put while the cursor moves, as the trap log does.
 */
function QueuePager({ queue, id, title }: { queue: QueueView; id: QueueKey; title: string }) {
  const from = useSel((s) => s.queueFrom[id])
  const setFrom = useSel((s) => s.setQueueFrom)
  const size = 2 ** queue.log2size
  const first = queue.entries[0]?.index ?? Math.min(from ?? 0, size)
  const end = first + queue.entries.length
  return (
    <Pager
      what={`${title} slots`}
      earlier={first === 0 ? null : () => void setFrom(id, Math.max(0, first - QUEUE_PAGE))}
      later={end >= size ? null : () => void setFrom(id, end)}
      around={from === null ? null : () => void setFrom(id, null)}
    >
      {/* The # column shows the slots on screen; this says it to screen readers without taking a line in a narrow panel. */}
      <span className="sr-only" data-testid={`${id}-slots`}>
        {queue.entries.length === 0 ? `no slots from ${first}` : `slots ${first}–${end - 1}`} of {size}
      </span>
    </Pager>
  )
}

/** A queue's pointers (with wrap bits), its ring (exportable) and its entries. */
export const QueuePanel = memo(function QueuePanel({ queue, id, ring, kindLabel, title, decor, active }: { queue: QueueView | undefined; id: QueueKey; ring: boolean; kindLabel: string; title?: string; decor?: EntryDecor; active?: number }) {
  const scroller = useRef<HTMLDivElement>(null)
  const ringRef = useRef<SVGSVGElement>(null)
  // The entry at the cursor comes into view when the cursor moves to another entry. Only then is layout read: a step
  // that leaves the entry where it was forces no layout here (the frame lays out once).
  const shownActive = useRef<number | undefined>(undefined)
  useEffect(() => {
    if (active === shownActive.current) return
    if (active === undefined) {
      shownActive.current = undefined
      return
    }
    const row = scroller.current?.querySelector<HTMLElement>(`[role=row][data-index="${active}"]`)
    const box = scroller.current
    if (!row || !box) return
    shownActive.current = active
    const head = box.querySelector('.qheader')?.clientHeight ?? 0
    // The row's place in the scrolled content, from the boxes (its offsetParent is the contained panel, not the scroller).
    const rowBox = row.getBoundingClientRect()
    const top = rowBox.top - box.getBoundingClientRect().top - box.clientTop + box.scrollTop
    if (top < box.scrollTop + head || top + rowBox.height > box.scrollTop + box.clientHeight) box.scrollTop = Math.max(0, top - head - 4)
  }, [active, queue])
  return (
    <section className={`panel queue ${id}`} aria-labelledby={`${id}-h`}>
      <h2 id={`${id}-h`}>
        {title ?? queue?.name ?? id.toUpperCase()}
        {queue !== undefined && (
          <span className="sub mono">
            {' '}
            base {queue.base} · 2^{queue.log2size} entries{queue.err !== 0 ? ` · ERR ${queue.err}` : ''}
          </span>
        )}
      </h2>
      {queue === undefined ? (
        <p className="empty">Not configured.</p>
      ) : (
        <div className="qbody">
          <div className="qhead">
            {ring && <QueueRing ref={ringRef} queue={queue} active={active} />}
            <div className="qptrs">
              <Pointer name="PROD" value={queue.prod} wrap={queue.prodWrap} index={queue.prodIndex} />
              <Pointer name="CONS" value={queue.cons} wrap={queue.consWrap} index={queue.consIndex} />
              {ring && <RingExport svg={ringRef} name={`${id}-ring`} title={title ?? queue.name} />}
              <QueuePager queue={queue} id={id} title={title ?? queue.name} />
            </div>
          </div>
          <div ref={scroller} className="scroll" role="region" tabIndex={0} aria-label={`${title ?? queue.name} entries`}>
            <QueueEntries queue={queue} kindLabel={kindLabel} decor={decor} />
          </div>
        </div>
      )}
    </section>
  )
})
