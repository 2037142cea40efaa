import { useEffect, useState } from 'react'
import { useApp } from '../store/context'
import { usePersist } from '../store/persist-slice'
import { scenarioFileName } from '../url/share'

/** Save the loaded scenario as a JSON file. */
function download(scenario: unknown, title: string): void {
  const blob = new Blob([JSON.stringify(scenario, null, 2) + '\n'], { type: 'application/json' })
  const a = document.createElement('a')
  a.href = URL.createObjectURL(blob)
  a.download = scenarioFileName(title)
  a.click()
  URL.revokeObjectURL(a.href)
}

/** The scenario as JSON: edit and run, open or download a file, or pick a built-in one. */
export function ScenarioEditor() {
  const text = useApp((s) => s.scenarioText)
  const loading = useApp((s) => s.loading)
  const load = useApp((s) => s.load)
  const loadBuiltin = useApp((s) => s.loadBuiltin)
  const loadedScenario = useApp((s) => s.loadedScenario)
  const title = useApp((s) => s.summary?.title ?? '')
  // The draft lives in the store, so it is saved as it changes and offered back after a reload.
  const draft = usePersist((s) => s.editorDraft)
  const setDraft = usePersist((s) => s.setEditorDraft)
  const markClean = usePersist((s) => s.markClean)
  const library = useApp((s) => s.library)
  const loadLibrary = useApp((s) => s.loadLibrary)
  useEffect(() => {
    void loadLibrary()
  }, [loadLibrary])
  const value = draft ?? text
  // The text box is in the document only while the editor is open. A heavy scenario's JSON (344 KB for
  // pkvm-8g-65536-sids) in a closed textarea still held 38 MB of Blink's heap, which every major GC marked
  // again, on the main thread and on the other core, while the user stepped (docs/performance.md). The draft
  // lives in the store, so closing the editor loses nothing but the box's undo history.
  const [open, setOpen] = useState(false)
  return (
    <details className="editor" onToggle={(e) => setOpen(e.currentTarget.open)}>
      <summary>Scenario JSON</summary>
      {open && (
        <textarea
          aria-label="Scenario JSON"
          spellCheck={false}
          value={value}
          onChange={(e) => {
            setDraft(e.target.value)
          }}
        />
      )}
      <div className="editor-actions">
        <button
          type="button"
          disabled={loading}
          onClick={() => {
            // An edit of the scenario on screen: what is selected and paged to stays.
            void load(value, { edit: true }).then(() => {
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
                // A file on disk is saved work: opening it unmodified leaves nothing unsaved.
                markClean(t)
                return load(t)
              })
            }}
          />
        </label>
        <button type="button" disabled={loadedScenario === null} onClick={() => download(loadedScenario, title)}>
          Download JSON
        </button>
        <label>
          Built-in{' '}
          <select
            aria-label="Built-in scenario"
            value=""
            disabled={loading || library.length === 0}
            onChange={(e) => {
              setDraft(null)
              void loadBuiltin(e.target.value)
            }}
          >
            <option value="" disabled>
              choose…
            </option>
            {library.map((b) => (
              <option key={b.id} value={b.id} title={b.notes}>
                {b.heavy ? `[heavy: loads in seconds] ${b.title}` : b.title}
              </option>
            ))}
          </select>
        </label>
      </div>
    </details>
  )
}
