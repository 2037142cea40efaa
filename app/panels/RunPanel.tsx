import { useApp } from '../store/context'

/** Load errors (JSON path + reason), then the loaded run: notes, expectations, where it stopped. */
export function RunPanel() {
  const errors = useApp((s) => s.errors)
  const summary = useApp((s) => s.summary)
  const setCursor = useApp((s) => s.setCursor)
  const linkError = useApp((s) => s.linkError)
  const dismissLinkError = useApp((s) => s.dismissLinkError)
  return (
    <section className="panel run" aria-labelledby="run-h">
      <h2 id="run-h">Run</h2>
      {linkError !== null && (
        <div className="errors link-error" role="alert">
          <p>
            {linkError}
            {summary !== null ? ' Still showing the previous run.' : ''}
          </p>
          <button type="button" className="link" onClick={dismissLinkError}>
            Dismiss
          </button>
        </div>
      )}
      {errors.length > 0 && (
        <div className="errors" role="alert">
          <p>
            The scenario was not loaded ({errors.length} {errors.length === 1 ? 'error' : 'errors'})
            {summary !== null ? '; still showing the previous run.' : '.'}
          </p>
          <ul>
            {errors.map((e, k) => (
              <li key={k}>
                <code>{e.path}</code>: {e.message}
              </li>
            ))}
          </ul>
        </div>
      )}
      {summary !== null && (
        <div className="summary">
          {summary.notes !== '' && <p className="notes">{summary.notes}</p>}
          <p className="sub">
            {summary.steps} steps · {summary.records} records
            {summary.reused > 0 && ` · ${summary.reused === summary.records ? 'unchanged: the previous run was kept' : `${summary.reused} records reused from the previous run`}`}
          </p>
          {summary.stopped !== undefined && (
            <p className="stopped" role="status">
              Stopped at step {summary.stopped.step}: {summary.stopped.message}
            </p>
          )}
          {summary.expectations.length > 0 && (
            <ul className="expects">
              {summary.expectations.map((x) => (
                <li key={x.step} className={x.ok ? 'ok' : 'fail'}>
                  <button type="button" className="link" onClick={() => void setCursor(x.record)}>
                    {x.ok ? '✓' : '✗'} step {x.step}
                  </button>{' '}
                  {x.message}
                </li>
              ))}
            </ul>
          )}
        </div>
      )}
    </section>
  )
}
