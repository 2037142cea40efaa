import { createStore, type StoreApi } from 'zustand/vanilla'
import { immer } from 'zustand/middleware/immer'
import type { EnginePort } from '../bridge/engine-port'
import { createCursorSlice } from './cursor-slice'
import { createPersistSlice, type PersistState } from './persist-slice'
import { createScenarioSlice } from './scenario-slice'
import { createSelectionSlice } from './selection-slice'
import type { AppState, Slice } from './types'
import { createViewSlice } from './view-slice'

export type AppStore = StoreApi<PersistState>

/** The app's one store: slices typed once, combined once, edited through immer. */
export function createAppStore(engine: EnginePort): AppStore {
  return createStore<PersistState>()(
    immer((...a) => {
      // The first three slices are typed against AppState; the full state is a
      // superset they never replace whole, so their set/get serve it unchanged.
      const base = a as unknown as Parameters<Slice<AppState>>
      return {
        ...createScenarioSlice(engine)(...base),
        ...createCursorSlice(engine)(...base),
        ...createViewSlice(engine)(...base),
        ...createSelectionSlice(engine)(...(a as unknown as Parameters<ReturnType<typeof createSelectionSlice>>)),
        ...createPersistSlice(engine)(...a),
      }
    }),
  )
}
