import { useState } from 'react'
import { useApp } from '../store/context'

/** The scenario as JSON: edit and run, open a file, or go back to the built-in one. */
export function ScenarioEditor() {
  const text = useApp((s) => s.scenarioText)
  const loading = useApp((s) => s.loading)
  const load = useApp((s) => s.load)
  const loadDefault = useApp((s) => s.loadDefault)
  const [draft, setDraft] = useState<string | null>(null)
  const value = draft ?? text
  return (
    <details className="editor">
      <summary>Scenario JSON</summary>
      <textarea
        aria-label="Scenario JSON"
        spellCheck={false}
        value={value}
        onChange={(e) => {
          setDraft(e.target.value)
        }}
      />
      <div className="editor-actions">
        <button
          type="button"
          disabled={loading}
          onClick={() => {
            void load(value).then(() => {
              setDraft(null)
            })
          }}
        >
          Run scenario
        </button>
        <label className="file">
          Open file…
          <input
            type="file"
            accept=".json,application/json"
            onChange={(e) => {
              const f = e.target.files?.[0]
              if (f === undefined) return
              void f.text().then((t) => {
                setDraft(null)
                return load(t)
              })
            }}
          />
        </label>
        <button
          type="button"
          disabled={loading}
          onClick={() => {
            setDraft(null)
            void loadDefault()
          }}
        >
          Built-in scenario
        </button>
      </div>
    </details>
  )
}
