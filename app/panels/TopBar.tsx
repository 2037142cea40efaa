import { memo, useEffect, useLayoutEffect, useMemo, useRef, useState } from 'react'
import type { FindQuery, Granularity } from '../../engine/api-types'
import { actionKeys, keyAction, type StepAction } from '../keys'
import { useApp, useAppStore } from '../store/context'
import { shareUrl } from '../url/share'
import { useShareLink } from '../url/useShareLink'
import { Notice } from './Notice'

interface Control {
  readonly action: StepAction
  readonly label: string
  readonly text: string
}

const back: readonly Control[] = [
  { action: 'toStart', label: 'Back to start', text: '« start' },
  { action: 'stepBackOut', label: 'Step back out', text: '↰ out' },
  { action: 'stepBackOver', label: 'Step back over', text: '↶ over' },
  { action: 'stepBackInto', label: 'Step back into', text: '← into' },
]

const forward: readonly Control[] = [
  { action: 'stepInto', label: 'Step into', text: 'into →' },
  { action: 'stepOver', label: 'Step over', text: 'over ↷' },
  { action: 'stepOut', label: 'Step out', text: 'out ↱' },
  { action: 'toEnd', label: 'Run to end', text: 'end »' },
]

const GRANULARITIES: readonly { readonly value: Granularity; readonly text: string }[] = [
  { value: 'record', text: 'every record' },
  { value: 'op', text: 'scenario op' },
  { value: 'action', text: 'driver action' },
  { value: 'command', text: 'command' },
  { value: 'walk', text: 'walk read' },
]

/** Breakpoints offered as presets (DESIGN.md "The journal": searches over the journal). */
const PRESETS: readonly { readonly id: string; readonly text: string; readonly query: FindQuery }[] = [
  { id: 'failed', text: 'failed expectation', query: { failedExpect: true } },
  { id: 'event', text: 'event record (EVTQ)', query: { kind: 'event' } },
  { id: 'rejected', text: 'command the hypervisor rejected', query: { kind: 'hyp.cmd', verdict: 'rejected' } },
  { id: 'prod', text: 'access to CMDQ_PROD', query: { kind: 'mmio', reg: 'CMDQ_PROD' } },
  { id: 'walk', text: 'table walk read', query: { kind: 'ptw.read' } },
  { id: 'ste', text: 'STE or CD write', query: { kind: ['ste.write', 'cd.write'] } },
]

function StepButton({ c, disabled }: { c: Control; disabled: boolean }) {
  const run = useApp((s) => s[c.action])
  const keys = actionKeys[c.action]
  return (
    <button type="button" aria-label={c.label} aria-keyshortcuts={keys} title={`${c.label} (${keys})`} disabled={disabled} onClick={() => void run()}>
      {c.text}
    </button>
  )
}

const Breakpoints = memo(function Breakpoints() {
  const breakpoints = useApp((s) => s.breakpoints)
  const setBreakpoints = useApp((s) => s.setBreakpoints)
  const stoppedAt = useApp((s) => s.stoppedAt)
  const on = new Set(PRESETS.filter((p) => breakpoints.some((b) => JSON.stringify(b) === JSON.stringify(p.query))).map((p) => p.id))
  return (
    <details className="breakpoints">
      <summary>Breakpoints ({breakpoints.length})</summary>
      <fieldset>
        <legend>Continue stops before the next</legend>
        {PRESETS.map((p) => (
          <label key={p.id}>
            <input
              type="checkbox"
              checked={on.has(p.id)}
              onChange={(e) => {
                const next = PRESETS.filter((q) => (q.id === p.id ? e.target.checked : on.has(q.id))).map((q) => q.query)
                setBreakpoints(next)
              }}
            />{' '}
            {p.text}
          </label>
        ))}
      </fieldset>
      {stoppedAt !== null && breakpoints[stoppedAt] !== undefined && (
        <p role="status">Stopped at a breakpoint: {PRESETS.find((p) => JSON.stringify(p.query) === JSON.stringify(breakpoints[stoppedAt]))?.text ?? 'breakpoint'}</p>
      )}
    </details>
  )
})

const ShareButton = memo(function ShareButton() {
  const store = useAppStore()
  const loaded = useApp((s) => s.summary !== null)
  const [shown, setShown] = useState<{ url: string; note: string } | null>(null)
  const share = () => {
    const s = store.getState()
    const r = shareUrl(window.location.href, s.loadedScenario, s.cursor, [s.centreTab])
    if (!r.ok) {
      setShown({ url: '', note: `Cannot share: ${r.message}` })
      return
    }
    // The address bar shows the link too (no hashchange: nothing reloads).
    window.history.replaceState(null, '', r.url)
    setShown({ url: r.url, note: 'Link copied' })
    navigator.clipboard.writeText(r.url).catch(() => {
      setShown({ url: r.url, note: 'Copy the link:' })
    })
  }
  return (
    <span className="share">
      <button type="button" disabled={!loaded} onClick={share} title="Copy a link that opens this scenario at this cursor">
        Share
      </button>
      {shown !== null && (
        <span role="status" className="share-status">
          {shown.note}{' '}
          {shown.url !== '' && <input className="mono" readOnly aria-label="Share link" data-testid="share-url" value={shown.url} onFocus={(e) => e.target.select()} />}
        </span>
      )}
    </span>
  )
})

/**
 * The cursor as a slider. Its value is set on the element when the cursor
 * moves, and the element itself is the same React element from step to
 * step: React writes an input's name, type and value attributes again
 * whenever it updates the element, three attribute writes per step for a
 * slider that a step only moves.
 */
const Scrub = memo(function Scrub({ cursor, records, disabled, onSeek }: { cursor: number; records: number; disabled: boolean; onSeek: (cursor: number) => unknown }) {
  const ref = useRef<HTMLInputElement>(null)
  // After the commit (which set max) and before the frame: the thumb moves with the step that moved the cursor.
  useLayoutEffect(() => {
    const el = ref.current
    if (el !== null && el.value !== String(cursor)) el.value = String(cursor)
  }, [cursor, records])
  return useMemo(() => <input ref={ref} className="scrub" type="range" aria-label="Cursor" min={0} max={records} disabled={disabled} onChange={(e) => void onSeek(Number(e.target.value))} />, [records, disabled, onSeek])
})

/** The slider and the cursor's number: the only part of the bar a step redraws (the rest changes at the ends). */
const CursorReadout = memo(function CursorReadout() {
  const cursor = useApp((s) => s.cursor)
  const records = useApp((s) => s.records)
  const setCursor = useApp((s) => s.setCursor)
  const loaded = useApp((s) => s.summary !== null)
  return (
    <>
      <Scrub cursor={cursor} records={records} disabled={!loaded} onSeek={setCursor} />
      <output className="cursor mono" aria-label="Cursor position" data-testid="cursor">
        {cursor} / {records}
      </output>
    </>
  )
})

/** Title, step controls (with the debugger keys), granularity, breakpoints, share, and the cursor. */
export function TopBar() {
  const title = useApp((s) => s.summary?.title ?? '')
  // Whether the cursor is at either end, not where it is: the buttons are drawn again only when they turn on or off.
  const atStart = useApp((s) => s.cursor === 0)
  const atEnd = useApp((s) => s.cursor >= s.records)
  const loaded = useApp((s) => s.summary !== null)
  const granularity = useApp((s) => s.granularity)
  const setGranularity = useApp((s) => s.setGranularity)
  const continueForward = useApp((s) => s.continueForward)
  const continueBack = useApp((s) => s.continueBack)

  // One window-level handler for the debugger keys; it reads actions from the store at key time.
  const store = useAppStore()
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      const a = keyAction(e)
      if (a === null) return
      e.preventDefault()
      void store.getState()[a]()
    }
    window.addEventListener('keydown', onKey)
    return () => {
      window.removeEventListener('keydown', onKey)
    }
  }, [store])
  // Saved work is read before a link is looked at, so a link can ask before replacing it.
  useEffect(() => store.getState().startPersistence(), [store])
  useShareLink(store)

  return (
    <header className="topbar">
      <h1>smmuscope</h1>
      <span className="scenario-title" title={title}>
        {title}
      </span>
      <div className="controls" role="toolbar" aria-label="Step controls">
        <button type="button" aria-label="Continue back" title="Run back to the previous breakpoint (or the start)" disabled={!loaded || atStart} onClick={() => void continueBack()}>
          ◀◀
        </button>
        {back.map((c) => (
          <StepButton key={c.action} c={c} disabled={!loaded || atStart} />
        ))}
        {forward.map((c) => (
          <StepButton key={c.action} c={c} disabled={!loaded || atEnd} />
        ))}
        <button type="button" aria-label="Continue" title="Run to the next breakpoint (or the end)" disabled={!loaded || atEnd} onClick={() => void continueForward()}>
          ▶▶
        </button>
      </div>
      <label className="granularity">
        Step by{' '}
        <select aria-label="Step granularity" value={granularity} onChange={(e) => setGranularity(GRANULARITIES.find((g) => g.value === e.target.value)?.value ?? 'record')}>
          {GRANULARITIES.map((g) => (
            <option key={g.value} value={g.value}>
              {g.text}
            </option>
          ))}
        </select>
      </label>
      <Breakpoints />
      <CursorReadout />
      <ShareButton />
      <Notice />
    </header>
  )
}
