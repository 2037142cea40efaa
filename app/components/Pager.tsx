import type { ReactNode } from 'react'

/**
 * Paging a window of a long list that otherwise follows the cursor (the
 * trap log, a queue's ring): the page before, the page after, and back to
 * the window around the cursor ("Cursor"). A button with nowhere to go
 * (`null`) is disabled. `what` names the list in each button's accessible
 * name, so several pagers on one screen stay apart.
 */
export function Pager({ what, earlier, later, around, children }: { what: string; earlier: (() => void) | null; later: (() => void) | null; around: (() => void) | null; children?: ReactNode }) {
  return (
    <div className="pager" role="group" aria-label={`${what} shown`}>
      <button type="button" aria-label={`Earlier ${what}`} disabled={earlier === null} onClick={earlier ?? undefined}>
        Earlier
      </button>
      <button type="button" aria-label={`Later ${what}`} disabled={later === null} onClick={later ?? undefined}>
        Later
      </button>
      {/* One word: three buttons fit on a line of a queue panel half the centre column wide. */}
      <button type="button" aria-label={`${what} around the cursor`} title={`Back to the ${what} around the cursor`} disabled={around === null} onClick={around ?? undefined}>
        Cursor
      </button>
      {children}
    </div>
  )
}
