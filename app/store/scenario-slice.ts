import { castDraft } from 'immer'
import type { EnginePort } from '../bridge/engine-port'
import type { ScenarioSlice, Slice } from './types'

export function createScenarioSlice(engine: EnginePort): Slice<ScenarioSlice> {
  // The last scenario that loaded, so a failed load can leave the engine where it was.
  let loaded: unknown = undefined
  let seq = 0

  return (set, get) => ({
    scenarioText: '',
    summary: null,
    errors: [],
    loading: false,

    async load(json) {
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
        s.errors = []
        s.loading = false
        s.records = summary.records
        // Open at the end of the run, where the summary's state is; F8/Alt+F8 move between the ends.
        s.cursor = summary.records
        s.view = null
      })
      await get().refresh()
    },

    async loadDefault() {
      const scenario = await engine.defaultScenario()
      await get().load(JSON.stringify(scenario, null, 2))
    },
  })
}
