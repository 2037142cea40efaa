import { createStore, type StoreApi } from 'zustand/vanilla'
import { immer } from 'zustand/middleware/immer'
import type { EnginePort } from '../bridge/engine-port'
import { createCursorSlice } from './cursor-slice'
import { createScenarioSlice } from './scenario-slice'
import type { AppState } from './types'
import { createViewSlice } from './view-slice'

export type AppStore = StoreApi<AppState>

/** The app's one store: slices typed once, combined once, edited through immer. */
export function createAppStore(engine: EnginePort): AppStore {
  return createStore<AppState>()(
    immer((...a) => ({
      ...createScenarioSlice(engine)(...a),
      ...createCursorSlice(engine)(...a),
      ...createViewSlice(engine)(...a),
    })),
  )
}
