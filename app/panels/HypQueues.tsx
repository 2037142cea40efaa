import { useMemo } from 'react'
import type { HypCmdMark, HypQueuesView, QueueEntryRow, ShadowSlotSource } from '../../engine/api-types'
import { useRelated } from '../components/useRelated'
import { useSel } from '../store/selection-slice'
import { QueuePanel, type EntryDecor } from './QueuePanel'

const sidOf = (e: QueueEntryRow): number | undefined => {
  const f = e.fields.find((x) => x.name === 'SID')
  return f === undefined ? undefined : Number(f.value)
}

function Verdict({ m }: { m: HypCmdMark | undefined }) {
  if (m === undefined) return <span className="muted">not judged yet</span>
  return (
    <span className={`verdict v-${m.verdict}`} data-testid={`verdict-${m.index}`}>
      <strong>{m.verdict}</strong>
      {m.shadowIndex !== undefined && <span className="mono"> → shadow[{m.shadowIndex}]</span>}
      <span className="why"> {m.reason}</span>
      {m.rewritten && (
        <span className="mono rewritten">
          {' '}
          host {m.raw.join(' ')} ⇒ shadow {m.rewritten.join(' ')}
        </span>
      )}
    </span>
  )
}

function Source({ s }: { s: ShadowSlotSource | undefined }) {
  if (s === undefined) return <span className="muted">—</span>
  return s.source === 'host' ? <span className="mono">from host[{s.hostIndex}]</span> : <span className="hypown">hypervisor's own</span>
}

/**
 * Under pKVM: the host's CMDQ (what the host driver wrote, at the emulated
 * CMDQ_BASE) beside the shadow CMDQ the SMMU consumes. Each host entry shows
 * the hypervisor's verdict (rejected ones with the reason, rewritten ones
 * with both words), each shadow entry where it came from; the entry being
 * copied, judged or consumed at the cursor is highlighted in both.
 */
export function HypQueues({ q }: { q: HypQueuesView }) {
  const select = useSel((s) => s.select)
  const inspectHost = useSel((s) => s.inspectHostCommand)
  const hostCommand = useSel((s) => s.hostCommand)
  const selection = useSel((s) => s.selection)
  const related = useRelated()
  // The decorations change with the queues, the selection or the inspected slot; a step that leaves all three alone draws nothing again.
  const { hostDecor, shadowDecor } = useMemo(() => {
    const marks = new Map(q.marks.map((m) => [m.index, m]))
    const sources = new Map(q.sources.map((s) => [s.index, s]))
    const hostActive = q.active?.queue === 'host' ? q.active.index : undefined
    const shadowActive = q.active?.queue === 'shadow' ? q.active.index : undefined
    // The shadow slot a host entry became, and back: so selecting one lights the other.
    const selectedShadow = selection?.kind === 'command' ? selection.index : undefined
    const hostDecor: EntryDecor = {
      column: { title: 'Hypervisor', data: (e) => marks.get(e.index), cell: (m) => <Verdict m={m as HypCmdMark | undefined} /> },
      rowClass: (e) => {
        const m = marks.get(e.index)
        const sid = sidOf(e)
        return [
          m ? `v-${m.verdict}` : '',
          e.index === hostActive ? `active ${q.active?.what ?? ''}` : '',
          hostCommand === e.index ? 'selected' : '',
          (m?.shadowIndex !== undefined && (related.commands.includes(m.shadowIndex) || m.shadowIndex === selectedShadow)) || (sid !== undefined && related.sids.includes(sid)) ? 'related' : '',
        ].join(' ')
      },
      onPick: (e) => {
        const m = marks.get(e.index)
        const sid = sidOf(e)
        void inspectHost(e.index)
        if (m?.shadowIndex !== undefined) void select({ kind: 'command', index: m.shadowIndex })
        else if (sid !== undefined) void select({ kind: 'sid', sid })
      },
      pickLabel: (e) => `Inspect host CMDQ entry ${e.index}`,
    }
    const hostOf = new Map(q.marks.filter((m) => m.shadowIndex !== undefined).map((m) => [m.shadowIndex!, m.index]))
    const shadowDecor: EntryDecor = {
      column: { title: 'Source', data: (e) => sources.get(e.index), cell: (src) => <Source s={src as ShadowSlotSource | undefined} /> },
      rowClass: (e) => {
        const sid = sidOf(e)
        return [
          e.index === shadowActive ? `active ${q.active?.what ?? ''}` : '',
          e.index === selectedShadow ? 'selected' : '',
          related.commands.includes(e.index) || (hostCommand !== null && hostOf.get(e.index) === hostCommand) || (sid !== undefined && related.sids.includes(sid)) ? 'related' : '',
        ].join(' ')
      },
      onPick: (e) => void select({ kind: 'command', index: e.index }, { kind: 'command', index: e.index }),
      pickLabel: (e) => `Inspect shadow CMDQ entry ${e.index}`,
    }
    return { hostDecor, shadowDecor }
  }, [q, selection, hostCommand, related, inspectHost, select])
  const hostActive = q.active?.queue === 'host' ? q.active.index : undefined
  const shadowActive = q.active?.queue === 'shadow' ? q.active.index : undefined
  const what = q.active ? `${q.active.queue} CMDQ[${q.active.index}] ${{ copy: 'copied into hypervisor memory', judge: 'judged by the command filter', issue: 'appended to the shadow CMDQ', consume: 'consumed by the SMMU' }[q.active.what]}` : null
  return (
    <div className="hypqueues">
      {/* Always there, one line high: the queues below keep their size (and place) as the cursor moves in and out of queue work. */}
      <p className={what === null ? 'qactive idle' : 'qactive'} role="status" title={what ?? undefined}>
        {what === null ? 'At the cursor: no host or shadow CMDQ entry in hand' : `At the cursor: ${what}`}
      </p>
      <div className="side-by-side">
        <QueuePanel queue={q.host} id="hostq" ring kindLabel="Opcode" title="Host CMDQ (emulated)" decor={hostDecor} active={hostActive} />
        {q.shadow ? (
          <QueuePanel queue={q.shadow} id="shadowq" ring kindLabel="Opcode" title="Shadow CMDQ (hardware)" decor={shadowDecor} active={shadowActive} />
        ) : (
          <section className="panel queue shadowq" aria-labelledby="shadowq-h">
            <h2 id="shadowq-h">Shadow CMDQ</h2>
            <p className="empty">None at the 'mmio' emulation level: the SMMU consumes the host's queue directly.</p>
          </section>
        )}
      </div>
    </div>
  )
}
