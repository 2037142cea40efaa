import { createStore, type StoreApi } from 'zustand/vanilla'
import { immer } from 'zustand/middleware/immer'
import type { EnginePort } from '../bridge/engine-port'
import { createCursorSlice } from './cursor-slice'
import { createPersistSlice, type PersistState } from './persist-slice'
import { createScenarioSlice } from './scenario-slice'
import { createSelectionSlice, type FullSlice } from './selection-slice'
import type { AppState, Slice } from './types'
import { ViewFetcher } from './view-fetch'
import { createViewSlice } from './view-slice'

export type AppStore = StoreApi<PersistState>

/** The app's one store: slices typed once, combined once, edited through immer. */
export function createAppStore(engine: EnginePort): AppStore {
  return createStore<PersistState>()(
    immer((...a) => {
      // The scenario slice is typed against AppState, the others against the
      // full state; it is a superset they never replace whole, so one set/get serves all.
      const base = a as unknown as Parameters<Slice<AppState>>
      const full = a as unknown as Parameters<FullSlice<unknown>>
      // One fetcher: the parts of the view each answer may update are ordered across slices.
      const fetcher = new ViewFetcher(engine)
      return {
        ...createScenarioSlice(engine)(...base),
        ...createCursorSlice(fetcher)(...full),
        ...createViewSlice(engine, fetcher)(...full),
        ...createSelectionSlice(engine, fetcher)(...full),
        ...createPersistSlice(engine)(...a),
      }
    }),
  )
}
