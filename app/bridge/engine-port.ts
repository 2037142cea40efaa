import type { WorkerApi } from '../../engine/api-types'

export type { WorkerApi }

type Async<T> = {
  [K in keyof T]: T[K] extends (...args: infer A) => infer R ? (...args: A) => Promise<Awaited<R>> : never
}

/** Why the engine worker was replaced. */
export interface EngineRestart {
  readonly reason: 'crashed' | 'unresponsive'
  readonly detail: string
}

/** The engine as the app sees it: every call is one round trip to the worker. */
export type EnginePort = Async<WorkerApi> & {
  /**
   * Hear about the worker being replaced after a crash or a hang (the new one
   * holds no scenario). Absent on ports that cannot restart (tests' fakes).
   */
  readonly onRestart?: (fn: (r: EngineRestart) => void) => () => void
}
