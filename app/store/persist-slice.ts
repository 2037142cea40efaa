/**
 * Nothing lost (issue 8): the scenario being edited is saved to
 * localStorage as it changes (debounced) and offered back after a reload or
 * a crash; a share link never replaces unsaved work without asking; a
 * replaced engine worker gets the scenario back at the same cursor.
 */
import { useStore } from 'zustand'
import type { StateCreator } from 'zustand/vanilla'
import type { EnginePort, EngineRestart } from '../bridge/engine-port'
import { useAppStore } from './context'
import type { FullState } from './selection-slice'

/** localStorage key of the saved work (versioned: a later format reads or drops it). */
export const WORK_KEY = 'smmuscope.work.v1'
/** Milliseconds of quiet before an edit is saved. */
export const SAVE_DELAY = 300

export interface SavedWork {
  readonly text: string
  readonly cursor: number
  /** Epoch milliseconds (shown as a time). */
  readonly savedAt: number
}

export interface PersistSlice {
  /** What the scenario editor holds when it differs from the scenario text (unsaved edits). */
  editorDraft: string | null
  /** The text of the last scenario opened unmodified (a built-in, a file, a link): work equal to it is not "unsaved". */
  cleanText: string
  /** Saved work from an earlier visit, offered back. */
  offer: SavedWork | null
  /** A share link waiting for the user's answer (it would replace unsaved work). */
  pendingLink: string | null
  /** A message for the user (the engine restarted, the work was restored). */
  notice: string | null
  setEditorDraft: (text: string | null) => void
  markClean: (text: string) => void
  /** Open a share link, or ask first when there is unsaved work. */
  requestLink: (hash: string) => Promise<readonly string[] | null>
  /** "Open link": replace the work with the pending link. */
  openPendingLink: () => Promise<readonly string[] | null>
  /** "Keep mine": drop the pending link (and restore the saved work if it was offered). */
  keepMine: () => Promise<void>
  restoreOffer: () => Promise<void>
  discardOffer: () => void
  dismissNotice: () => void
  /** Read the saved work, start saving, follow engine restarts. Idempotent; returns the stop function. */
  startPersistence: () => () => void
}

export type PersistState = FullState & PersistSlice

/** The work on screen: the editor's draft, else the scenario text. */
export function workText(s: PersistState): string {
  return s.editorDraft ?? s.scenarioText
}

/** Whether the work on screen differs from anything the user could open again. */
export function isDirty(s: PersistState): boolean {
  const t = workText(s)
  return t.trim() !== '' && t !== s.cleanText
}

function readSaved(storage: Storage | undefined): SavedWork | null {
  try {
    const raw = storage?.getItem(WORK_KEY)
    if (raw == null) return null
    const v = JSON.parse(raw) as Partial<SavedWork>
    if (typeof v.text !== 'string' || v.text.trim() === '') return null
    return { text: v.text, cursor: Number.isInteger(v.cursor) && (v.cursor ?? -1) >= 0 ? v.cursor! : 0, savedAt: typeof v.savedAt === 'number' ? v.savedAt : 0 }
  } catch {
    return null
  }
}

function storageOf(): Storage | undefined {
  try {
    return typeof localStorage === 'undefined' ? undefined : localStorage
  } catch {
    // Storage disabled (privacy settings): the app works, nothing is saved.
    return undefined
  }
}

export function createPersistSlice(engine: EnginePort): StateCreator<PersistState, [['zustand/immer', never]], [], PersistSlice> {
  let started: (() => void) | null = null

  return (set, get, api) => {
    const recover = async (r: EngineRestart) => {
      const s = get()
      const cursor = s.cursor
      set((d) => {
        d.notice = `The engine ${r.reason === 'crashed' ? 'crashed' : 'stopped answering'} (${r.detail}). It was restarted and your scenario reloaded at cursor ${cursor}.`
      })
      if (s.loadedScenario === null) return
      const res = await engine.load(s.loadedScenario)
      if (!res.ok) return
      set((d) => {
        d.records = res.summary.records
        d.cursor = Math.min(cursor, res.summary.records)
      })
      await get().refresh()
    }

    const restore = async (w: SavedWork) => {
      set((d) => {
        d.offer = null
        d.editorDraft = w.text
        d.notice = 'Your unsaved scenario was restored.'
      })
      await get().load(w.text, { cursor: w.cursor })
      // A draft that does not validate stays in the editor with its errors.
      if (get().errors.length === 0) {
        set((d) => {
          d.editorDraft = null
        })
      }
    }

    return {
      editorDraft: null,
      cleanText: '',
      offer: null,
      pendingLink: null,
      notice: null,

      setEditorDraft(text) {
        set((d) => {
          d.editorDraft = text
        })
      },

      markClean(text) {
        set((d) => {
          d.cleanText = text
        })
      },

      async requestLink(hash) {
        const s = get()
        if (isDirty(s) || s.offer !== null) {
          set((d) => {
            d.pendingLink = hash
          })
          return null
        }
        return get().openLink(hash)
      },

      async openPendingLink() {
        const hash = get().pendingLink
        set((d) => {
          d.pendingLink = null
        })
        return hash === null ? null : get().openLink(hash)
      },

      async keepMine() {
        const offer = get().offer
        set((d) => {
          d.pendingLink = null
        })
        if (offer !== null) await restore(offer)
      },

      async restoreOffer() {
        const offer = get().offer
        if (offer !== null) await restore(offer)
      },

      discardOffer() {
        set((d) => {
          d.offer = null
        })
        try {
          storageOf()?.removeItem(WORK_KEY)
        } catch {
          // Nothing to remove where nothing can be stored.
        }
      },

      dismissNotice() {
        set((d) => {
          d.notice = null
        })
      },

      startPersistence() {
        if (started) return started
        const storage = storageOf()
        const saved = readSaved(storage)
        if (saved !== null) {
          set((d) => {
            d.offer = saved
          })
        }
        let timer: ReturnType<typeof setTimeout> | undefined
        const save = () => {
          const s = get()
          // While saved work is on offer, the page's own default must not overwrite it.
          if (s.offer !== null || storage === undefined) return
          try {
            if (isDirty(s)) storage.setItem(WORK_KEY, JSON.stringify({ text: workText(s), cursor: s.cursor, savedAt: Date.now() } satisfies SavedWork))
            else storage.removeItem(WORK_KEY)
          } catch {
            // Quota exceeded or storage refused: keep working, unsaved.
          }
        }
        const unsub = api.subscribe((s, prev) => {
          if (s.editorDraft === prev.editorDraft && s.scenarioText === prev.scenarioText && s.cleanText === prev.cleanText && s.cursor === prev.cursor && s.offer === prev.offer) return
          clearTimeout(timer)
          timer = setTimeout(save, SAVE_DELAY)
        })
        const flush = () => {
          clearTimeout(timer)
          save()
        }
        window.addEventListener('pagehide', flush)
        const unrestart = engine.onRestart?.((r) => void recover(r))
        started = () => {
          unsub()
          unrestart?.()
          window.removeEventListener('pagehide', flush)
          clearTimeout(timer)
          started = null
        }
        return started
      },
    }
  }
}

/** Select one value from the full store, persistence included. */
export function usePersist<T>(selector: (s: PersistState) => T): T {
  return useStore(useAppStore(), selector)
}
