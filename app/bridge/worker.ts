// The one module-level engine worker, supervised: a crash or a hang is noticed
// within 2 s and the worker replaced (supervisor.ts). React StrictMode runs
// effects twice; that is harmless because every engine call is idempotent
// (load = reset + run).
import type { EnginePort } from './engine-port'
import { Supervisor } from './supervisor'

const supervisor = new Supervisor({
  spawn: () => new Worker(new URL('../../engine/worker.ts', import.meta.url), { type: 'module', name: 'smmuscope-engine' }),
})

export const enginePort: EnginePort = supervisor.port()

declare global {
  interface Window {
    /** Test hooks (e2e/reliability.spec.ts): make the engine worker hang or crash. Harmless: the page recovers. */
    __smmuscope?: { readonly hangWorker: () => void; readonly crashWorker: () => void }
  }
}

window.__smmuscope = {
  hangWorker: () => {
    supervisor.silence()
  },
  crashWorker: () => {
    supervisor.restart({ reason: 'crashed', detail: 'crashed on request (test hook)' })
  },
}
