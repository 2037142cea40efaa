/**
 * A supervised engine worker: every call has a deadline and an idle worker
 * is pinged, so a worker that crashed (an `error` event, a failed message)
 * or stopped answering (a call or a ping past its deadline) is noticed
 * within 2 s, terminated and replaced. Calls in flight on the old worker
 * fail with EngineLost; listeners hear of the restart and reload the
 * scenario (the new worker starts empty).
 */
import { wrap, type Remote } from 'comlink'
import type { LoadResult } from '../../engine/api-types'
import type { EnginePort, EngineRestart, WorkerApi } from './engine-port'

/** A call on a worker that was replaced before answering. */
export class EngineLost extends Error {}

export interface SupervisorOptions {
  /** Makes a fresh worker. */
  readonly spawn: () => Worker
  /** Ping an idle worker this often (ms). */
  readonly pingEvery?: number
  /** A ping or a short call unanswered this long means the worker hangs (ms). */
  readonly deadline?: number
  /** Deadline of `load` (it runs the whole scenario; ms). */
  readonly loadDeadline?: number
}

interface Pending {
  readonly due: number
  readonly reject: (e: Error) => void
}

export class Supervisor {
  private worker!: Worker
  private remote!: Remote<WorkerApi>
  private generation = 0
  private readonly pending = new Set<Pending>()
  private readonly listeners = new Set<(r: EngineRestart) => void>()
  private lastAnswer = 0
  private pinging = false
  private readonly timer: ReturnType<typeof setInterval>
  private readonly pingEvery: number
  private readonly deadline: number
  private readonly loadDeadline: number
  /** When the pending load's deadline falls (0: no load pending); later calls queue behind it. */
  private loadDue = 0

  constructor(private readonly opts: SupervisorOptions) {
    // Worst case from a hang to the restart: idle wait + tick + ping deadline + tick ≈ 300 + 250 + 1200 + 250 ms < 2 s.
    this.pingEvery = opts.pingEvery ?? 300
    this.deadline = opts.deadline ?? 1200
    this.loadDeadline = opts.loadDeadline ?? 30_000
    this.start()
    this.timer = setInterval(() => {
      this.tick()
    }, Math.min(this.pingEvery, 250))
  }

  private start(): void {
    const w = this.opts.spawn()
    const gen = ++this.generation
    w.addEventListener('error', (e) => {
      if (gen === this.generation) this.restart({ reason: 'crashed', detail: e.message || 'the worker threw' })
    })
    w.addEventListener('messageerror', () => {
      if (gen === this.generation) this.restart({ reason: 'crashed', detail: 'a message could not be read' })
    })
    this.worker = w
    this.remote = wrap<WorkerApi>(w)
    this.lastAnswer = performance.now()
    this.pinging = false
  }

  /** Replace the worker: fail what was in flight, tell the listeners. */
  restart(r: EngineRestart): void {
    this.worker.terminate()
    for (const p of this.pending) p.reject(new EngineLost(`the engine worker ${r.reason === 'crashed' ? 'crashed' : 'stopped answering'}: ${r.detail}`))
    this.pending.clear()
    this.loadDue = 0
    this.start()
    for (const fn of this.listeners) fn(r)
  }

  private tick(): void {
    const now = performance.now()
    for (const p of this.pending) {
      if (p.due < now) {
        this.restart({ reason: 'unresponsive', detail: `no answer within ${Math.round(this.deadline)} ms` })
        return
      }
    }
    if (this.pending.size === 0 && !this.pinging && now - this.lastAnswer > this.pingEvery) {
      this.pinging = true
      // Any cheap call is a ping; its deadline is a pending entry like any call's.
      this.call(this.deadline, (r) => r.defaultScenario()).then(
        () => {
          this.pinging = false
        },
        () => {
          this.pinging = false
        },
      )
    }
  }

  /**
   * One call with a deadline; a worker error inside the call is returned as
   * the call's rejection. The worker answers in order, so a call made while
   * a load runs waits behind it: its deadline starts when the load's ends.
   */
  call<T>(deadline: number, fn: (r: Remote<WorkerApi>) => Promise<T>, isLoad = false): Promise<T> {
    const gen = this.generation
    return new Promise<T>((resolve, reject) => {
      const start = Math.max(performance.now(), this.loadDue)
      const p: Pending = { due: start + deadline, reject }
      if (isLoad) this.loadDue = p.due
      this.pending.add(p)
      fn(this.remote).then(
        (v) => {
          if (gen !== this.generation) return
          if (isLoad && this.loadDue === p.due) this.loadDue = 0
          this.pending.delete(p)
          this.lastAnswer = performance.now()
          resolve(v)
        },
        (e: unknown) => {
          if (gen !== this.generation) return
          if (isLoad && this.loadDue === p.due) this.loadDue = 0
          this.pending.delete(p)
          this.lastAnswer = performance.now()
          reject(e instanceof Error ? e : new Error(String(e)))
        },
      )
    })
  }

  onRestart(fn: (r: EngineRestart) => void): () => void {
    this.listeners.add(fn)
    return () => this.listeners.delete(fn)
  }

  /** Test hook: the worker stops answering (terminated without notice); the deadline must catch it. */
  silence(): void {
    this.worker.terminate()
  }

  dispose(): void {
    clearInterval(this.timer)
    this.worker.terminate()
  }

  /** The engine port over this supervisor. */
  port(): EnginePort {
    const d = this.deadline
    const finite = (c: number) => (Number.isFinite(c) ? c : 0)
    return {
      // load runs the whole scenario; a value the structured clone cannot copy (100k-deep nesting) is a
      // validation error, not a crash of the app.
      load: async (scenario) => {
        try {
          return await this.call<LoadResult>(this.loadDeadline, (r) => r.load(scenario), true)
        } catch (e) {
          if (e instanceof EngineLost) throw e
          return { ok: false, errors: [{ path: '', message: `the scenario cannot be sent to the engine: ${e instanceof Error ? e.message : String(e)}` }] }
        }
      },
      view: (cursor, request) => this.call(d, (r) => r.view(finite(cursor), request)),
      find: (query, from, direction) => this.call(d, (r) => r.find(query, finite(from), direction)),
      step: (cursor, kind, direction, granularity) => this.call(d, (r) => r.step(finite(cursor), kind, direction, granularity)),
      runTo: (breakpoints, from, direction) => this.call(d, (r) => r.runTo(breakpoints, finite(from), direction)),
      meta: () => this.call(d, (r) => r.meta()),
      stepView: (cursor, move, request) => this.call(d, (r) => r.stepView(finite(cursor), move, request)),
      // One piece of at most 8192 records (a few MiB, ~0.1 s for the 8 GiB boot journal): well inside the deadline.
      exportJsonl: (from, maxRecords) => this.call(d, (r) => r.exportJsonl(finite(from), maxRecords)),
      defaultScenario: () => this.call(d, (r) => r.defaultScenario()),
      builtins: () => this.call(d, (r) => r.builtins()),
      onRestart: (fn) => this.onRestart(fn),
    }
  }
}
