import { useEffect } from 'react'
import type { AppStore } from '../store/store'
import type { CentreTab } from '../store/selection-slice'
import { isShareHash } from './share'

const TABS: readonly CentreTab[] = ['queues', 'streams', 'walk', 'caches']

/**
 * Opens the share link in the page's address, on load and whenever the hash
 * changes; a broken link only sets the store's `linkError`, and a link that
 * would replace unsaved work waits for the user's answer (persist-slice).
 */
export function useShareLink(store: AppStore): void {
  useEffect(() => {
    const open = () => {
      if (!isShareHash(window.location.hash)) return
      // Unsaved work is never replaced without asking: requestLink holds the link until the user answers.
      void store
        .getState()
        .requestLink(window.location.hash)
        .then((panels) => {
          const tab = TABS.find((t) => panels?.includes(t))
          if (tab !== undefined) void store.getState().setCentreTab(tab)
        })
    }
    open()
    window.addEventListener('hashchange', open)
    return () => {
      window.removeEventListener('hashchange', open)
    }
  }, [store])
}
