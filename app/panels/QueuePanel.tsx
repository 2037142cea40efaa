import { Fragment, useEffect, useRef, type ReactNode } from 'react'
import type { QueueEntryRow, QueueView } from '../../engine/api-types'
import { FieldChips } from '../components/FieldList'
import { QueueRing } from '../components/QueueRing'

function Pointer({ name, value, wrap, index }: { name: string; value: number; wrap: number; index: number }) {
  return (
    <span className="ptr mono">
      {name} 0x{value.toString(16).padStart(8, '0')} <span className="sub">WR={wrap} idx={index}</span>
    </span>
  )
}

/** How a panel decorates entries: an extra column, row classes, and what picking a row does. */
export interface EntryDecor {
  readonly column?: { readonly title: string; readonly cell: (e: QueueEntryRow) => ReactNode }
  readonly rowClass?: (e: QueueEntryRow) => string
  readonly onPick?: (e: QueueEntryRow) => void
  readonly pickLabel?: (e: QueueEntryRow) => string
}

/** Queue entries in the window the worker sent; those between CONS and PROD are pending. */
export function QueueEntries({ queue, kindLabel, decor }: { queue: QueueView; kindLabel: string; decor?: EntryDecor }) {
  if (queue.entries.length === 0) return <p className="empty">No entries.</p>
  return (
    <table className="qentries">
      <caption className="sr-only">{queue.name} entries</caption>
      <thead>
        <tr>
          <th scope="col">#</th>
          <th scope="col">{kindLabel}</th>
          {decor?.column && <th scope="col">{decor.column.title}</th>}
          <th scope="col">Fields</th>
          <th scope="col">Raw</th>
        </tr>
      </thead>
      <tbody>
        {queue.entries.map((e) => (
          <tr key={e.index} data-index={e.index} className={[e.pending ? 'pending' : '', decor?.rowClass?.(e) ?? ''].join(' ').trim() || undefined} title={e.address}>
            <td className="mono">
              {decor?.onPick && e.opcode !== '' ? (
                <button type="button" className="link" aria-label={decor.pickLabel?.(e) ?? `Select entry ${e.index}`} onClick={() => decor.onPick?.(e)}>
                  {e.index}
                </button>
              ) : (
                e.index
              )}
              {e.pending && <span className="badge">pending</span>}
            </td>
            {e.opcode === '' ? (
              // An all-zero slot: nothing was ever written there.
              <td className="empty-slot" colSpan={decor?.column ? 3 : 2}>
                empty
              </td>
            ) : (
              <>
                <td className="mono opcode">{e.opcode}</td>
                {decor?.column && <td className="qnote">{decor.column.cell(e)}</td>}
                <td>
                  <FieldChips fields={e.fields} />
                </td>
              </>
            )}
            <td className="mono raw">
              {e.raw.map((w, k) => (
                <Fragment key={k}>
                  <span>{w}</span>{' '}
                </Fragment>
              ))}
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  )
}

/** A queue's pointers (with wrap bits), its ring and its entries. */
export function QueuePanel({ queue, id, ring, kindLabel, title, decor, active }: { queue: QueueView | undefined; id: string; ring: boolean; kindLabel: string; title?: string; decor?: EntryDecor; active?: number }) {
  const scroller = useRef<HTMLDivElement>(null)
  // The entry at the cursor stays in view as the cursor moves.
  useEffect(() => {
    if (active === undefined) return
    const row = scroller.current?.querySelector<HTMLElement>(`tr[data-index="${active}"]`)
    const box = scroller.current
    if (!row || !box) return
    const head = box.querySelector('thead')?.clientHeight ?? 0
    if (row.offsetTop < box.scrollTop + head || row.offsetTop + row.offsetHeight > box.scrollTop + box.clientHeight) box.scrollTop = Math.max(0, row.offsetTop - head - 4)
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
            {ring && <QueueRing queue={queue} active={active} />}
            <div className="qptrs">
              <Pointer name="PROD" value={queue.prod} wrap={queue.prodWrap} index={queue.prodIndex} />
              <Pointer name="CONS" value={queue.cons} wrap={queue.consWrap} index={queue.consIndex} />
            </div>
          </div>
          <div ref={scroller} className="scroll" role="region" tabIndex={0} aria-label={`${title ?? queue.name} entries`}>
            <QueueEntries queue={queue} kindLabel={kindLabel} decor={decor} />
          </div>
        </div>
      )}
    </section>
  )
}
