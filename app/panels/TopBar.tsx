import { useEffect } from 'react'
import { actionKeys, keyAction, type StepAction } from '../keys'
import { useApp, useAppStore } from '../store/context'

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

function StepButton({ c, disabled }: { c: Control; disabled: boolean }) {
  const run = useApp((s) => s[c.action])
  const keys = actionKeys[c.action]
  return (
    <button
      type="button"
      aria-label={c.label}
      aria-keyshortcuts={keys}
      title={`${c.label} (${keys})`}
      disabled={disabled}
      onClick={() => void run()}
    >
      {c.text}
    </button>
  )
}

/** Title, step controls (with the debugger keys), and the cursor. */
export function TopBar() {
  const title = useApp((s) => s.summary?.title ?? '')
  const cursor = useApp((s) => s.cursor)
  const records = useApp((s) => s.records)
  const setCursor = useApp((s) => s.setCursor)
  const loaded = useApp((s) => s.summary !== null)

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

  return (
    <header className="topbar">
      <h1>smmuscope</h1>
      <span className="scenario-title" title={title}>
        {title}
      </span>
      <div className="controls" role="toolbar" aria-label="Step controls">
        {back.map((c) => (
          <StepButton key={c.action} c={c} disabled={!loaded || cursor === 0} />
        ))}
        {forward.map((c) => (
          <StepButton key={c.action} c={c} disabled={!loaded || cursor >= records} />
        ))}
      </div>
      <input
        className="scrub"
        type="range"
        aria-label="Cursor"
        min={0}
        max={records}
        value={cursor}
        disabled={!loaded}
        onChange={(e) => void setCursor(Number(e.target.value))}
      />
      <output className="cursor mono" aria-label="Cursor position" data-testid="cursor">
        {cursor} / {records}
      </output>
    </header>
  )
}
