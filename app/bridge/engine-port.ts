import type { WorkerApi } from '../../engine/api-types'

export type { WorkerApi }

type Async<T> = {
  [K in keyof T]: T[K] extends (...args: infer A) => infer R ? (...args: A) => Promise<Awaited<R>> : never
}

/** The engine as the app sees it: every call is one round trip to the worker. */
export type EnginePort = Async<WorkerApi>
