import { Fragment } from 'react'
import type { QueueView } from '../../engine/api-types'
import { FieldChips } from '../components/FieldList'
import { QueueRing } from '../components/QueueRing'

function Pointer({ name, value, wrap, index }: { name: string; value: number; wrap: number; index: number }) {
  return (
    <span className="ptr mono">
      {name} 0x{value.toString(16).padStart(8, '0')} <span className="sub">WR={wrap} idx={index}</span>
    </span>
  )
}

/** Queue entries in the window the worker sent; those between CONS and PROD are pending. */
export function QueueEntries({ queue, kindLabel }: { queue: QueueView; kindLabel: string }) {
  if (queue.entries.length === 0) return <p className="empty">No entries.</p>
  return (
    <table className="qentries">
      <caption className="sr-only">{queue.name} entries</caption>
      <thead>
        <tr>
          <th scope="col">#</th>
          <th scope="col">{kindLabel}</th>
          <th scope="col">Fields</th>
          <th scope="col">Raw</th>
        </tr>
      </thead>
      <tbody>
        {queue.entries.map((e) => (
          <tr key={e.index} className={e.pending ? 'pending' : undefined} title={e.address}>
            <td className="mono">
              {e.index}
              {e.pending && <span className="badge">pending</span>}
            </td>
            {e.opcode === '' ? (
              // An all-zero slot: nothing was ever written there.
              <td className="empty-slot" colSpan={2}>
                empty
              </td>
            ) : (
              <>
                <td className="mono opcode">{e.opcode}</td>
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
export function QueuePanel({ queue, id, ring, kindLabel }: { queue: QueueView | undefined; id: string; ring: boolean; kindLabel: string }) {
  return (
    <section className={`panel queue ${id}`} aria-labelledby={`${id}-h`}>
      <h2 id={`${id}-h`}>
        {queue?.name ?? id.toUpperCase()}
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
            {ring && <QueueRing queue={queue} />}
            <div className="qptrs">
              <Pointer name="PROD" value={queue.prod} wrap={queue.prodWrap} index={queue.prodIndex} />
              <Pointer name="CONS" value={queue.cons} wrap={queue.consWrap} index={queue.consIndex} />
            </div>
          </div>
          <div className="scroll" role="region" tabIndex={0} aria-label={`${queue.name} entries`}>
            <QueueEntries queue={queue} kindLabel={kindLabel} />
          </div>
        </div>
      )}
    </section>
  )
}
