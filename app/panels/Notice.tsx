import { memo, useEffect } from 'react'
import { usePersist } from '../store/persist-slice'

function time(ms: number): string {
  return ms > 0 ? new Date(ms).toLocaleString() : 'an earlier visit'
}

/**
 * What the app tells the user about their work: saved work offered back, a
 * link waiting to replace unsaved work, an engine that was restarted. Text
 * only (React escapes it); every action is a button.
 */
export const Notice = memo(function Notice() {
  const offer = usePersist((s) => s.offer)
  const pendingLink = usePersist((s) => s.pendingLink)
  const notice = usePersist((s) => s.notice)
  const restoreOffer = usePersist((s) => s.restoreOffer)
  const discardOffer = usePersist((s) => s.discardOffer)
  const keepMine = usePersist((s) => s.keepMine)
  const openPendingLink = usePersist((s) => s.openPendingLink)
  const dismissNotice = usePersist((s) => s.dismissNotice)

  // A plain notice fades after a while; questions wait for an answer.
  useEffect(() => {
    if (notice === null) return
    const t = setTimeout(dismissNotice, 15_000)
    return () => {
      clearTimeout(t)
    }
  }, [notice, dismissNotice])

  if (pendingLink !== null) {
    return (
      <div className="notice" role="alertdialog" aria-label="Open the link?" data-testid="notice-link">
        <span>This link would replace your unsaved scenario{offer !== null ? ` (saved ${time(offer.savedAt)})` : ''}.</span>
        <button type="button" onClick={() => void keepMine()}>
          Keep mine
        </button>
        <button type="button" onClick={() => void openPendingLink()}>
          Open link
        </button>
      </div>
    )
  }
  if (offer !== null) {
    return (
      <div className="notice" role="alertdialog" aria-label="Restore unsaved work?" data-testid="notice-restore">
        <span>You have an unsaved scenario from {time(offer.savedAt)}.</span>
        <button type="button" onClick={() => void restoreOffer()}>
          Restore
        </button>
        <button type="button" onClick={discardOffer}>
          Discard
        </button>
      </div>
    )
  }
  if (notice !== null) {
    return (
      <div className="notice" role="status" data-testid="notice">
        <span>{notice}</span>
        <button type="button" aria-label="Dismiss" onClick={dismissNotice}>
          ×
        </button>
      </div>
    )
  }
  return null
})
