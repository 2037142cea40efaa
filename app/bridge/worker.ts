// The one module-level engine worker. React StrictMode runs effects twice;
// that is harmless because every engine call is idempotent (load = reset + run).
import { wrap } from 'comlink'
import type { EnginePort, WorkerApi } from './engine-port'

const worker = new Worker(new URL('../../engine/worker.ts', import.meta.url), {
  type: 'module',
  name: 'smmuscope-engine',
})
const remote = wrap<WorkerApi>(worker)

export const enginePort: EnginePort = {
  load: (scenario) => remote.load(scenario),
  view: (cursor, request) => remote.view(cursor, request),
  find: (query, from, direction) => remote.find(query, from, direction),
  step: (cursor, kind, direction, granularity) => remote.step(cursor, kind, direction, granularity),
  runTo: (breakpoints, from, direction) => remote.runTo(breakpoints, from, direction),
  meta: () => remote.meta(),
  defaultScenario: () => remote.defaultScenario(),
  builtins: () => remote.builtins(),
}
