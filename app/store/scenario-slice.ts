import { castDraft } from 'immer'
import type { EnginePort } from '../bridge/engine-port'
import { readLink, tooDeep } from '../url/share'
import { freshSelection } from './selection-slice'
import type { PersistSlice } from './persist-slice'
import type { AppState, ScenarioSlice, Slice } from './types'

/** The persistence slice's marker, when the store has it (tests may build the scenario slice alone). */
function markClean(state: AppState, text: string): void {
  ;(state as AppState & Partial<Pick<PersistSlice, 'markClean'>>).markClean?.(text)
}

export function createScenarioSlice(engine: EnginePort): Slice<ScenarioSlice> {
  // The last scenario that loaded, so a failed load can leave the engine where it was.
  let loaded: unknown = undefined
  let seq = 0
  // Whether anything was asked to load yet: the default opens only when nothing else was (a share link opens instead).
  let asked = false

  return (set, get) => ({
    scenarioText: '',
    summary: null,
    loadedScenario: null,
    errors: [],
    linkError: null,
    loading: false,
    library: [],

    async loadLibrary() {
      if (get().library.length) return
      const library = await engine.builtins()
      set((s) => {
        s.library = castDraft(library)
      })
    },

    async load(json, opts) {
      asked = true
      const mine = ++seq
      set((s) => {
        s.scenarioText = json
        s.loading = true
      })
      let scenario: unknown
      try {
        scenario = JSON.parse(json)
      } catch (e) {
        set((s) => {
          s.errors = [{ path: '(json)', message: e instanceof Error ? e.message : String(e) }]
          s.loading = false
        })
        return
      }
      const deep = tooDeep(scenario)
      if (deep !== null) {
        // Copying 100k-deep nesting to the worker would overflow the stack; no scenario nests like that.
        set((s) => {
          s.errors = [deep]
          s.loading = false
        })
        return
      }
      const result = await engine.load(scenario)
      if (mine !== seq) return
      if (!result.ok) {
        // Whatever the engine did with the bad scenario, put the good one back:
        // load is reset + run and the engine is deterministic, so this restores it exactly.
        if (loaded !== undefined) await engine.load(loaded)
        set((s) => {
          s.errors = castDraft(result.errors)
          s.loading = false
        })
        return
      }
      loaded = scenario
      const { summary } = result
      set((s) => {
        s.summary = castDraft(summary)
        s.loadedScenario = castDraft(scenario)
        s.errors = []
        s.loading = false
        s.records = summary.records
        // Open where asked, else at the end of the run, where the summary's state is.
        s.cursor = Math.max(0, Math.min(summary.records, opts?.cursor ?? summary.records))
        s.stoppedAt = null
        s.view = null
        // The store's selection slice (this slice sees only AppState): another run starts with nothing selected.
        if (!opts?.edit) Object.assign(s, freshSelection())
      })
      await get().refresh()
    },

    async loadDefault() {
      if (asked) return
      asked = true
      const scenario = await engine.defaultScenario()
      // A link may have been opened while the default was on its way: it wins.
      if (seq > 0) return
      const text = JSON.stringify(scenario, null, 2)
      markClean(get(), text)
      await get().load(text)
    },

    async loadBuiltin(id) {
      const found = (await engine.builtins()).find((b) => b.id === id)
      if (found === undefined) return
      const text = JSON.stringify(found.scenario, null, 2)
      markClean(get(), text)
      await get().load(text)
    },

    async openLink(hash) {
      const link = readLink(hash)
      if (!link.ok) {
        set((s) => {
          s.linkError = link.message
        })
        return null
      }
      set((s) => {
        s.linkError = null
      })
      const text = JSON.stringify(link.json, null, 2)
      markClean(get(), text)
      await get().load(text, link.cursor !== undefined ? { cursor: link.cursor } : undefined)
      return link.panels
    },

    dismissLinkError() {
      set((s) => {
        s.linkError = null
      })
    },
  })
}
