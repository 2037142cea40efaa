import type { EngineApi } from '../../engine/api-types'

/** What the worker exposes: the engine API plus the built-in default scenario. */
export type WorkerApi = EngineApi & { defaultScenario(): unknown }

type Async<T> = {
  [K in keyof T]: T[K] extends (...args: infer A) => infer R ? (...args: A) => Promise<Awaited<R>> : never
}

/** The engine as the app sees it: every call is one round trip to the worker. */
export type EnginePort = Async<WorkerApi>
