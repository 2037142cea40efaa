// The worker shell: the engine knows nothing of workers (STYLE.md habit 10).
// It adds only the built-in scenarios, so the app need not import scenario
// JSON itself.
import { expose, transfer } from 'comlink'
import type { EngineApi, WorkerApi } from './api-types'
import { builtins, createEngine, defaultScenario } from './api'

const engine = createEngine()

const api = {
  load: (scenario: unknown) => engine.load(scenario),
  view: (...args: Parameters<EngineApi['view']>) => engine.view(...args),
  find: (...args: Parameters<EngineApi['find']>) => engine.find(...args),
  step: (...args: Parameters<EngineApi['step']>) => engine.step(...args),
  runTo: (...args: Parameters<EngineApi['runTo']>) => engine.runTo(...args),
  meta: () => engine.meta(),
  stepView: (...args: Parameters<EngineApi['stepView']>) => engine.stepView(...args),
  // The JSONL bytes move to the page instead of being copied (a boot journal's piece is megabytes).
  exportJsonl: (...args: Parameters<EngineApi['exportJsonl']>) => {
    const chunk = engine.exportJsonl(...args)
    return transfer(chunk, [chunk.bytes.buffer])
  },
  defaultScenario: (): unknown => defaultScenario(),
  builtins: () => builtins(),
} satisfies WorkerApi

expose(api)
