import { useState } from 'react'
import { useApp } from '../store/context'
import { downloadBlob, fileStem } from './export-image'

/**
 * Download the journal as the CLI's JSONL (`smmuscope run FILE --jsonl`):
 * the worker writes the text piece by piece and hands over the bytes; a long
 * journal shows how far it got.
 */
export function JsonlDownload() {
  const loaded = useApp((s) => s.summary !== null)
  const journalJsonl = useApp((s) => s.journalJsonl)
  const title = useApp((s) => s.summary?.title ?? '')
  const [progress, setProgress] = useState<string | null>(null)
  const [error, setError] = useState<string | null>(null)
  const run = async () => {
    setError(null)
    setProgress('0%')
    try {
      const blob = await journalJsonl((done, total) => {
        setProgress(`${total > 0 ? Math.floor((100 * done) / total) : 100}%`)
      })
      if (blob !== null) downloadBlob(blob, `${fileStem(title, 'journal')}.jsonl`)
    } catch (e) {
      setError(`The journal could not be exported: ${e instanceof Error ? e.message : String(e)}`)
    } finally {
      setProgress(null)
    }
  }
  return (
    <span className="jsonl">
      <button type="button" disabled={!loaded || progress !== null} onClick={() => void run()} title="The journal as JSON lines, as the CLI prints it with --jsonl">
        Download JSONL
      </button>
      {progress !== null && (
        <span role="status" className="sub">
          {' '}
          writing {progress}
        </span>
      )}
      {error !== null && (
        <span role="alert" className="err">
          {' '}
          {error}
        </span>
      )}
    </span>
  )
}
