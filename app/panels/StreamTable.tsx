import { memo, useCallback, useEffect, useRef, useState } from 'react'
import { rowWindow, sameRowWindow } from '../components/row-window'
import { useScrollViewport, type Viewport } from '../components/useScrollViewport'
import type { SteRow, StrtabTable, StrtabView } from '../../engine/api-types'
import { RawWords } from '../components/RawWords'
import { useRelated } from '../components/useRelated'
import { useSel } from '../store/selection-slice'
import { STE_KEY_FIELDS } from '../store/view-fetch'

/** Fixed row height: the list is virtualized by arithmetic. */
export const STE_ROW_H = 54
/**
 * Host and shadow side by side, each half is too narrow for four raw words
 * a line: two a line, four lines, in a taller row.
 */
export const STE_PAIR_ROW_H = 80
const OVERSCAN = 8
/** Browsers cap element heights near 2^25 px: tables of more SIDs than fit are shown a slice at a time. */
const MAX_HEIGHT = 1 << 25
/** The most rows a slice holds at row height `h`: a power of two (slices start at multiples of half of it). */
const maxRows = (h: number) => 2 ** Math.floor(Math.log2(MAX_HEIGHT / h))

/** Two viewports that show the same rows: scrolling within a row draws nothing again (one function per row height). */
const sameRows = (a: Viewport, b: Viewport): boolean => sameRowWindow(a, b, STE_ROW_H, OVERSCAN)
const samePairRows = (a: Viewport, b: Viewport): boolean => sameRowWindow(a, b, STE_PAIR_ROW_H, OVERSCAN)

type Pick = (sid: number, table?: StrtabTable) => void

/** One STE; drawn again only when its row, place, selection or highlight changed (a scroll keeps the rows still in view). */
const SteLine = memo(function SteLine({ row, top, selected, related, onPick, table, paired }: { row: SteRow; top?: number; selected: boolean; related: boolean; onPick: Pick; table?: StrtabTable; paired?: boolean }) {
  const keys = STE_KEY_FIELDS[row.config] ?? []
  const shown = row.fields.filter((f) => keys.includes(f.name) || row.changed.includes(f.name))
  const cls = ['sterow', paired ? 'paired' : '', selected ? 'selected' : '', related ? 'related' : '', row.error !== undefined ? 'bad' : '', row.changed.length ? 'changed' : ''].filter(Boolean).join(' ')
  const shadow = table === 'shadow'
  return (
    <button
      type="button"
      className={cls}
      style={top === undefined ? undefined : { top }}
      data-sid={row.sid}
      data-table={table}
      aria-pressed={selected}
      aria-label={paired ? `${shadow ? 'Shadow' : 'Host'} STE ${row.sid}: Config=${row.config || 'none'}${row.changed.length ? `, differs in ${row.changed.join(', ')}` : ''}` : undefined}
      onClick={() => {
        onPick(row.sid, table)
      }}
    >
      <span className="steline1">
        <span className="mono sid">SID {row.sid}</span>
        {row.error !== undefined ? (
          <span className="err">{row.error}</span>
        ) : (
          <>
            <span className="mono muted">{row.address}</span>
            <span className={`mono v${row.changed.includes('V') ? ' fchanged' : ''}`}>V={row.v}</span>
            <span className={`mono config cfg-${row.config}${row.changed.includes('Config') ? ' fchanged' : ''}`} data-testid={shadow ? `ste-config-shadow-${row.sid}` : `ste-config-${row.sid}`}>
              Config={row.config}
            </span>
            {shown
              .filter((f) => f.name !== 'V' && f.name !== 'Config')
              .map((f) => (
                <span key={f.name} className={`chip${row.changed.includes(f.name) ? ' fchanged' : ''}`} title={`${f.name} w${f.word}[${f.hi}:${f.lo}]: ${f.desc} (${f.ref})`}>
                  {f.name}={f.display}
                </span>
              ))}
            {row.changed.length > 0 && <span className="badge">{paired ? 'differs' : 'changed'}: {row.changed.join(', ')}</span>}
          </>
        )}
      </span>
      {row.raw.length > 0 && <RawWords raw={row.raw} label={`STE ${row.sid} raw words`} />}
    </button>
  )
})

/** A host STE beside its shadow (under pKVM). */
const StePair = memo(function StePair({ host, shadow, top, selected, hostRelated, shadowRelated, onPick }: { host: SteRow; shadow: SteRow | undefined; top: number; selected: StrtabTable | undefined; hostRelated: boolean; shadowRelated: boolean; onPick: Pick }) {
  return (
    <div className="stepair" style={{ top }}>
      <SteLine row={host} table="host" paired selected={selected === 'host'} related={hostRelated} onPick={onPick} />
      {shadow && <SteLine row={shadow} table="shadow" paired selected={selected === 'shadow'} related={shadowRelated} onPick={onPick} />}
    </div>
  )
})

function Header({ v, label }: { v: StrtabView; label?: string }) {
  return (
    <p className="strtab-head mono">
      {label !== undefined && <strong>{label}: </strong>}
      STRTAB_BASE {v.baseReg} · STRTAB_BASE_CFG {v.cfgReg} → {v.fmt}, {v.sidCount} STEs (LOG2SIZE {v.log2size}
      {v.fmt === '2level' ? `, SPLIT ${v.split}` : ''}) at {v.base}
    </p>
  )
}

function L1Strip({ v, label }: { v: StrtabView; label: string }) {
  const select = useSel((s) => s.select)
  const related = useRelated()
  if (v.l1.length === 0) return null
  return (
    <ul className="l1strip" aria-label={label}>
      {v.l1.map((d) => (
        <li key={d.index} className={`mono ${d.valid ? '' : 'bad'}${related.addresses.includes(d.address) ? ' related' : ''}`}>
          <button type="button" className="link" onClick={() => void select({ kind: 'sid', sid: d.sidFrom }, { kind: 'l1std', sid: d.sidFrom })}>
            L1STD[{d.index}]
          </button>{' '}
          @{d.address} = {d.raw || '—'} Span={d.span} L2Ptr={d.l2ptr} · SIDs {d.sidFrom}–{d.sidTo - 1}
          {d.error !== undefined && <span className="err"> {d.error}</span>}
        </li>
      ))}
    </ul>
  )
}

/**
 * The stream table at the cursor: a virtualized list asking the worker only
 * for the SIDs in view; 2-level tables show the L1STDs covering the window.
 */
export function StreamTable() {
  const v = useSel((s) => s.smmu?.strtab)
  const hypSt = useSel((s) => s.hyp?.strtab)
  // Under pKVM with the hypervisor's own stream table: the host's and the shadow side by side.
  const pair = hypSt?.shadow ? { host: hypSt.host, shadow: hypSt.shadow } : undefined
  const setWindow = useSel((s) => s.setStrtabWindow)
  const select = useSel((s) => s.select)
  const setCd = useSel((s) => s.setCd)
  const inspecting = useSel((s) => s.inspecting)
  const related = useRelated()
  const ref = useRef<HTMLDivElement>(null)
  const rowH = pair ? STE_PAIR_ROW_H : STE_ROW_H
  const { viewport } = useScrollViewport(ref, 400, pair ? samePairRows : sameRows)
  const [first, setFirst] = useState(0)
  const [goto, setGoto] = useState('')
  const sidCount = v?.sidCount ?? 0
  const sliceRows = maxRows(rowH)
  const rowsShown = Math.max(0, Math.min(sliceRows, sidCount - first))

  useEffect(() => {
    const w = rowWindow(viewport, rowH, OVERSCAN)
    void setWindow(first + w.from, first + w.to)
  }, [viewport, rowH, first, setWindow])

  const pick = useCallback(
    (sid: number, table?: StrtabTable) => {
      void select({ kind: 'sid', sid }, { kind: 'ste', sid, table })
      void setCd(sid)
    },
    [select, setCd],
  )

  const jump = () => {
    const sid = Number(goto.trim().startsWith('0x') ? parseInt(goto.trim().slice(2), 16) : goto.trim())
    if (!Number.isInteger(sid) || sid < 0 || sid >= Math.max(1, sidCount)) return
    const base = sid < sliceRows ? 0 : sid - (sid % (sliceRows / 2))
    setFirst(base)
    const el = ref.current
    if (el) el.scrollTop = Math.max(0, (sid - base) * rowH - el.clientHeight / 3)
    pick(sid)
  }

  const selectedSid = inspecting?.kind === 'ste' ? inspecting.sid : undefined
  const selectedTable = inspecting?.kind === 'ste' ? (inspecting.table ?? 'host') : undefined
  const isRelated = (r: SteRow) => related.sids.includes(r.sid) || (r.address !== undefined && related.addresses.includes(r.address))
  const shadowRows = new Map(pair?.shadow.rows.map((r) => [r.sid, r]))
  return (
    <section className="panel strtab" aria-labelledby="strtab-h">
      <h2 id="strtab-h">
        Stream table <span className="sub">{pair ? '(host | shadow: what the SMMU walks under pKVM)' : '(host)'}</span>
      </h2>
      <div className="toolbar">
        <form
          className="goto"
          onSubmit={(e) => {
            e.preventDefault()
            jump()
          }}
        >
          <label>
            Go to SID{' '}
            <input className="mono" size={8} value={goto} inputMode="numeric" onChange={(e) => setGoto(e.target.value)} />
          </label>
          <button type="submit">Show</button>
        </form>
        {pair ? (
          <>
            <Header v={pair.host} label="host" />
            <Header v={pair.shadow} label="shadow" />
          </>
        ) : (
          v && <Header v={v} />
        )}
      </div>
      {pair ? (
        <div className="side-by-side l1pair">
          <L1Strip v={pair.host} label="Host level 1 Stream Table Descriptors in view" />
          <L1Strip v={pair.shadow} label="Shadow level 1 Stream Table Descriptors in view" />
        </div>
      ) : (
        v && <L1Strip v={v} label="Level 1 Stream Table Descriptors in view" />
      )}
      <div ref={ref} className="vscroll" role="region" tabIndex={0} aria-label="Stream table entries">
        {v === undefined ? (
          <p className="empty">Loading…</p>
        ) : (
          <div className="vspace" style={{ height: rowsShown * rowH }}>
            {pair
              ? pair.host.rows
                  .filter((r) => r.sid >= first && r.sid < first + rowsShown)
                  .map((r) => {
                    const sh = shadowRows.get(r.sid)
                    return (
                      <StePair
                        key={r.sid}
                        host={r}
                        shadow={sh}
                        top={(r.sid - first) * rowH}
                        selected={r.sid === selectedSid ? selectedTable : undefined}
                        hostRelated={isRelated(r)}
                        shadowRelated={sh !== undefined && (isRelated(sh) || isRelated(r))}
                        onPick={pick}
                      />
                    )
                  })
              : v.rows
                  .filter((r) => r.sid >= first && r.sid < first + rowsShown)
                  .map((r) => <SteLine key={r.sid} row={r} top={(r.sid - first) * rowH} selected={r.sid === selectedSid} related={isRelated(r)} onPick={pick} />)}
          </div>
        )}
      </div>
      {first > 0 && <p className="sub">Showing SIDs from {first}.</p>}
    </section>
  )
}
