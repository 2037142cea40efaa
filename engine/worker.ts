// The worker shell: the engine knows nothing of workers (STYLE.md habit 10).
// It adds only the built-in default scenario, so the app need not import
// scenario JSON itself.
import { expose } from 'comlink'
import type { EngineApi } from './api-types'
import { createEngine, defaultScenario } from './api'

const engine = createEngine()

const api = {
  load: (scenario: unknown) => engine.load(scenario),
  view: (...args: Parameters<EngineApi['view']>) => engine.view(...args),
  find: (...args: Parameters<EngineApi['find']>) => engine.find(...args),
  meta: () => engine.meta(),
  defaultScenario: (): unknown => defaultScenario(),
} satisfies EngineApi & { defaultScenario(): unknown }

expose(api)
