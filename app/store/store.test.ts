import { describe, expect, test } from 'vitest'
import type { CursorMove, HeldPart, JournalRow, LoadResult, MoveViewRequest, RegisterRow, ViewModel, ViewRequest } from '../../engine/api-types'
import { JournalIndex } from '../../engine/journal/cursor'
import { runTo } from '../../engine/journal/find'
import type { JRecord } from '../../engine/journal/journal'
import { encodeShareUrl } from '../../engine/scenario/url'
import { encodeDelta } from '../../engine/views/delta'
import type { EnginePort } from '../bridge/engine-port'
import { createAppStore } from './store'
import { QUEUE_PAGE } from './view-fetch'

/**
 * A fake engine over a fixed journal. Its one register, CMDQ_PROD, counts the
 * `mmio` records applied before the cursor, so the expected values below can be
 * read straight off the fixture. Steps and continues use the engine's own
 * journal walkers over the same rows (the store must only pass them through).
 * A journal window that follows the cursor moves, in this fake, to start at
 * the cursor when the cursor is not among its rows on screen.
 */
function fakeEngine(rows: JournalRow[], opts: { leaveOutHeld?: boolean } = {}) {
  const calls = { load: [] as unknown[], view: [] as [number, ViewRequest][], step: [] as unknown[][], runTo: [] as unknown[][], stepView: [] as [number, CursorMove, MoveViewRequest][], patched: [] as HeldPart[][], jsonl: [] as number[] }
  const records: JRecord[] = rows.map((r) => ({ kind: r.kind, actor: r.actor, depth: r.depth, ...(r.end !== undefined && { end: r.end }), ...r.fields }))
  const index = new JournalIndex(records)
  // What each answer sent of each part, as the worker remembers its recent answers (look-aheads too).
  const sent = new Map<HeldPart, Map<number, string>>()
  const prodAt = (c: number) => rows.slice(0, c).filter((r) => r.kind === 'mmio').length
  const reg = (c: number): RegisterRow => ({
    name: 'CMDQ_PROD',
    offset: 0x98,
    width: 32,
    value: `0x${prodAt(c).toString(16)}`,
    fields: [],
    changed: c > 0 && rows[c - 1].kind === 'mmio',
  })
  const viewAt = (cursor: number, request: ViewRequest): ViewModel => ({
    cursor,
    records: rows.length,
    journal: request.journal ? rows.slice(request.journal.from, request.journal.to) : undefined,
    registers: request.registers ? [reg(cursor)] : undefined,
  })
  const engine: EnginePort = {
    load(s): Promise<LoadResult> {
      calls.load.push(s)
      if (typeof s === 'object' && s !== null && 'bad' in s) {
        return Promise.resolve({ ok: false, errors: [{ path: 'steps[0].iova', message: 'not aligned' }] })
      }
      return Promise.resolve({ ok: true, summary: { title: 't', notes: '', records: rows.length, steps: 1, expectations: [], reused: 0 } })
    },
    view(cursor, request): Promise<ViewModel> {
      calls.view.push([cursor, request])
      return Promise.resolve(viewAt(cursor, request))
    },
    stepView(cursor, move, request) {
      calls.stepView.push([cursor, move, request])
      let to: number
      let breakpoint: number | null = null
      if (move.kind === 'step') {
        calls.step.push([cursor, move.step, move.direction, move.granularity])
        to = index.step(cursor, move.step, move.direction, move.granularity)
      } else if (move.kind === 'runTo') {
        calls.runTo.push([move.breakpoints, cursor, move.direction])
        ;({ cursor: to, breakpoint } = runTo(records, move.breakpoints, cursor, move.direction))
      } else to = move.to
      let journal = request.journal ? { ...request.journal, top: request.follow?.top ?? request.journal.from } : undefined
      const f = request.follow
      if (journal && f && (to < f.top || to >= f.top + f.visible)) journal = { from: to, to: to + journal.to - journal.from, top: to }
      const view = viewAt(to, { ...request, journal })
      const answer = calls.stepView.length
      // With leaveOutHeld, as the worker does: a part the request holds under an answer that sent it is left out when
      // unchanged since, and sent as its changes against it otherwise.
      const same: HeldPart[] = []
      const patched: HeldPart[] = []
      const out: Record<string, unknown> = { ...view }
      for (const p of ['journal', 'registers'] as const) {
        const v = view[p]
        if (v === undefined) continue
        const held = request.held?.[p]
        const json = JSON.stringify(v)
        const was = held === undefined ? undefined : sent.get(p)?.get(held)
        if (opts.leaveOutHeld && was === json) {
          same.push(p)
          out[p] = undefined
          continue
        }
        if (opts.leaveOutHeld && was !== undefined) {
          patched.push(p)
          out[p] = encodeDelta(JSON.parse(was), v)
        }
        sent.set(p, (sent.get(p) ?? new Map<number, string>()).set(answer, json))
      }
      calls.patched.push(patched)
      return Promise.resolve({ cursor: to, breakpoint, journal, view: out as unknown as ViewModel, answer, same, patched })
    },
    exportJsonl(from) {
      // Pieces of two records; the last adds a summary line.
      calls.jsonl.push(from)
      const to = Math.min(rows.length, from + 2)
      const text = rows.slice(from, to).map((r) => JSON.stringify({ i: r.i, kind: r.kind }) + '\n').join('') + (to === rows.length ? '{"kind":"summary"}\n' : '')
      return Promise.resolve({ bytes: new TextEncoder().encode(text), from, next: to === rows.length ? null : to, records: to - from })
    },
    find: () => Promise.resolve(null),
    step: (...a) => {
      calls.step.push(a)
      return Promise.resolve(index.step(...a))
    },
    runTo: (bps, from, dir) => {
      calls.runTo.push([bps, from, dir])
      return Promise.resolve(runTo(records, bps, from, dir))
    },
    meta: () => Promise.resolve({ records: rows.length, spans: [] }),
    defaultScenario: () => Promise.resolve({ smmuscope: 1, title: 'built-in' }),
    builtins: () => Promise.resolve([{ id: 'b1', title: 'B one', notes: '', scenario: { smmuscope: 1, title: 'b1' } }]),
  }
  return { engine, calls }
}

const row = (i: number, depth: number, kind: string, end?: number, fields: Record<string, unknown> = {}): JournalRow => ({ i, depth, end, actor: 'host', kind, text: '', fields })

// 0 op (end 3) · 1 mmio · 2 mmio · 3 op (end 5) · 4 mmio
const small = [row(0, 0, 'op', 3), row(1, 1, 'mmio'), row(2, 1, 'mmio'), row(3, 0, 'op', 5), row(4, 1, 'mmio', undefined, { reg: 'CMDQ_PROD' })]

describe('app store', () => {
  test('load opens at the end of the run with the registers there', async () => {
    const { engine } = fakeEngine(small)
    const store = createAppStore(engine)
    await store.getState().load('{"smmuscope":1}')
    const s = store.getState()
    expect(s.records).toBe(5)
    expect(s.cursor).toBe(5)
    expect(s.errors).toEqual([])
    expect(s.view?.registers?.[0].value).toBe('0x3') // three mmio records
  })

  test('each step is one engine call with the granularity; the register values follow', async () => {
    const { engine, calls } = fakeEngine(small)
    const store = createAppStore(engine)
    await store.getState().load('{}')
    await store.getState().stepBackInto()
    expect(store.getState().cursor).toBe(4)
    expect(store.getState().view?.registers?.[0].value).toBe('0x2')
    await store.getState().toStart()
    expect(store.getState().cursor).toBe(0)
    await store.getState().stepOver() // over op 0 (end 3)
    expect(store.getState().cursor).toBe(3)
    expect(store.getState().view?.registers?.[0]).toMatchObject({ value: '0x2', changed: true })
    await store.getState().stepInto()
    expect(store.getState().cursor).toBe(4)
    await store.getState().stepOut() // record 4 is inside op 3 (end 5)
    expect(store.getState().cursor).toBe(5)
    store.getState().setGranularity('op')
    await store.getState().stepBackInto() // the previous op starts at 3
    expect(store.getState().cursor).toBe(3)
    expect(calls.step).toEqual([
      [5, 'into', 'backward', 'record'],
      [0, 'over', 'forward', 'record'],
      [3, 'into', 'forward', 'record'],
      [4, 'out', 'forward', 'record'],
      [5, 'into', 'backward', 'op'],
    ])
  })

  test('continue runs to the next breakpoint, or to the end', async () => {
    const { engine } = fakeEngine(small)
    const store = createAppStore(engine)
    await store.getState().load('{}')
    await store.getState().toStart()
    store.getState().setBreakpoints([{ reg: 'CMDQ_PROD' }])
    await store.getState().continueForward()
    expect(store.getState().cursor).toBe(4)
    expect(store.getState().stoppedAt).toBe(0)
    await store.getState().continueForward()
    expect(store.getState().cursor).toBe(5)
    expect(store.getState().stoppedAt).toBeNull()
  })

  test('a rejected scenario shows its errors and keeps the loaded run', async () => {
    const { engine, calls } = fakeEngine(small)
    const store = createAppStore(engine)
    await store.getState().load('{"good":1}')
    await store.getState().setCursor(2)
    await store.getState().load('{"bad":1}')
    const s = store.getState()
    expect(s.errors).toEqual([{ path: 'steps[0].iova', message: 'not aligned' }])
    expect(s.scenarioText).toBe('{"bad":1}')
    expect(s.summary?.records).toBe(5)
    expect(s.cursor).toBe(2)
    // The good scenario was loaded again so the engine holds the run the screen shows.
    expect(calls.load).toEqual([{ good: 1 }, { bad: 1 }, { good: 1 }])
  })

  test('text that is not JSON is reported without reaching the engine', async () => {
    const { engine, calls } = fakeEngine(small)
    const store = createAppStore(engine)
    await store.getState().load('{"smmuscope": 1,')
    expect(store.getState().errors[0].path).toBe('(json)')
    expect(calls.load).toEqual([])
  })

  test('the journal window asks the worker only for the rows in view', async () => {
    const { engine, calls } = fakeEngine(small)
    const store = createAppStore(engine)
    await store.getState().load('{}')
    await store.getState().setJournalWindow(1, 3)
    // A seek to where the cursor is, asking for those rows (and the fields the panel reads) and nothing else.
    const [cursor, move, req] = calls.stepView[calls.stepView.length - 1]
    expect([cursor, move]).toEqual([5, { kind: 'seek', to: 5 }])
    // The rows the store shows came in the answer before (the load's): the worker may leave them out if they are the same.
    expect(req).toEqual({ journal: { from: 1, to: 3 }, journalFields: ['sid', 'SID', 'pa', 'iova', 'index', 'queue'], held: { journal: calls.stepView.length - 1 } })
    expect(store.getState().journalFrom).toBe(1)
    expect(store.getState().journalRows.map((r) => r.i)).toEqual([1, 2])
  })

  test('loadDefault runs the scenario the worker provides, pretty-printed', async () => {
    const { engine, calls } = fakeEngine(small)
    const store = createAppStore(engine)
    await store.getState().loadDefault()
    expect(calls.load).toEqual([{ smmuscope: 1, title: 'built-in' }])
    expect(store.getState().scenarioText).toBe('{\n  "smmuscope": 1,\n  "title": "built-in"\n}')
  })

  test('built-in scenarios open by id', async () => {
    const { engine, calls } = fakeEngine(small)
    const store = createAppStore(engine)
    await store.getState().loadLibrary()
    expect(store.getState().library.map((b) => b.id)).toEqual(['b1'])
    await store.getState().loadBuiltin('b1')
    expect(calls.load).toEqual([{ smmuscope: 1, title: 'b1' }])
  })
})

describe('one round trip per step', () => {
  test('a step is one engine call carrying every visible part of the view', async () => {
    const { engine, calls } = fakeEngine(small)
    const store = createAppStore(engine)
    await store.getState().load('{}')
    await store.getState().toStart()
    const views = calls.view.length
    const moves = calls.stepView.length
    await store.getState().stepInto()
    expect(calls.view.length).toBe(views)
    expect(calls.stepView.length).toBe(moves + 1)
    const [from, move, req] = calls.stepView[calls.stepView.length - 1]
    expect([from, move]).toEqual([0, { kind: 'step', step: 'into', direction: 'forward', granularity: 'record' }])
    expect(req.journal).toBeDefined()
    expect(req.registers).toBe(true)
    expect(req.smmu).toBeDefined()
    expect(req.hyp).toBeDefined()
  })

  test('once the view settles the four steps are looked ahead; the step taken then lands without another round trip', async () => {
    const { engine, calls } = fakeEngine(small, { leaveOutHeld: true })
    const store = createAppStore(engine)
    await store.getState().load('{}')
    await store.getState().toStart()
    const settle = () => new Promise((r) => setTimeout(r, 80))
    const settled = calls.stepView.length
    await settle()
    const peeks = calls.stepView.slice(settled)
    expect(peeks.map(([c, mv]) => [c, mv.kind === 'step' ? `${mv.step} ${mv.direction}` : mv.kind])).toEqual([
      [0, 'into forward'], [0, 'over forward'], [0, 'into backward'], [0, 'over backward'],
    ])
    // A look ahead holds what the store holds, so unchanged parts are not sent again: the rows of the load's answer (1), which
    // the seek to the start (2) left out as the same, and the registers that seek sent.
    expect(peeks.map(([, , req]) => req.held)).toEqual(Array(4).fill({ journal: 1, registers: 2 }))
    const asked = calls.stepView.length
    await store.getState().stepOver() // 0 -> 3, looked ahead
    expect(calls.stepView.length).toBe(asked)
    expect(store.getState().cursor).toBe(3)
    expect(store.getState().view?.registers?.[0]).toMatchObject({ value: '0x2', changed: true })
    // The registers came in the look-ahead taken (the second, answer settled + 2): the store holds them under it, and the
    // steps looked ahead from 3 hold them too (the worker remembers what a look-ahead sent), so they are not sent again.
    await settle()
    expect(calls.stepView.slice(asked).map(([c, , req]) => [c, req.held?.registers])).toEqual(Array(4).fill([3, settled + 2]))
    // A change of granularity makes the looked-ahead steps the wrong ones: the worker is asked.
    await settle()
    store.getState().setGranularity('op')
    const before = calls.stepView.length
    await store.getState().stepInto()
    expect(calls.stepView.length).toBe(before + 1)
    expect(calls.stepView[before][1]).toMatchObject({ kind: 'step', step: 'into', granularity: 'op' })
  })

  test('after a fetch that is not a move (a scroll, a selection, a tab) the steps are looked ahead only once the view has stayed put longer', async () => {
    const { engine, calls } = fakeEngine(small, { leaveOutHeld: true })
    const store = createAppStore(engine)
    await store.getState().load('{}')
    // The journal scrolled: its rows are fetched, and a list scrolled a notch at a time fetches rows every few tens of
    // milliseconds, so no steps are asked for between notches.
    await store.getState().setJournalWindow(1, 4)
    const scrolled = calls.stepView.length
    expect(calls.stepView[scrolled - 1][1]).toEqual({ kind: 'seek', to: small.length })
    await new Promise((r) => setTimeout(r, 80))
    expect(calls.stepView.length).toBe(scrolled)
    await new Promise((r) => setTimeout(r, 300))
    expect(calls.stepView.slice(scrolled).map(([, mv]) => (mv.kind === 'step' ? `${mv.step} ${mv.direction}` : mv.kind))).toEqual(['into forward', 'over forward', 'into backward', 'over backward'])
  })

  test('keys pressed before the answer step one after another, each from where the last one stopped', async () => {
    const { engine, calls } = fakeEngine(small)
    const store = createAppStore(engine)
    await store.getState().load('{}')
    await store.getState().toStart()
    await Promise.all([store.getState().stepInto(), store.getState().stepInto()])
    expect(calls.step).toEqual([
      [0, 'into', 'forward', 'record'],
      [1, 'into', 'forward', 'record'],
    ])
    expect(store.getState().cursor).toBe(2)
  })

  test('a move that leaves the rows on screen brings the journal window along, and says where to scroll', async () => {
    const { engine } = fakeEngine(small)
    const store = createAppStore(engine)
    await store.getState().load('{}')
    await store.getState().toStart()
    await store.getState().setJournalWindow(0, 2, { top: 0, visible: 2, span: 2, margin: 0 })
    expect(store.getState().journalRows.map((r) => r.i)).toEqual([0, 1])
    await store.getState().stepOver() // 0 -> 3: not among rows 0 and 1 (the fake moves the window to start at 3)
    const s = store.getState()
    expect(s.cursor).toBe(3)
    expect(s.journalWindow).toEqual({ from: 3, to: 5 })
    expect(s.journalScroll).toEqual({ top: 3 })
    expect(s.journalFrom).toBe(3)
    expect(s.journalRows.map((r) => r.i)).toEqual([3, 4])
  })

  test('a part the step did not change keeps its identity (its panel is not drawn again)', async () => {
    const { engine } = fakeEngine(small)
    const store = createAppStore(engine)
    await store.getState().load('{}')
    await store.getState().toStart()
    const before = store.getState().view?.registers
    // Cursor 0 -> 1: record 0 is an op, so CMDQ_PROD is 0x0, unchanged, either side.
    await store.getState().stepInto()
    expect(store.getState().cursor).toBe(1)
    expect(store.getState().view?.registers).toBe(before)
    await store.getState().stepInto() // 1 -> 2: record 1 is an mmio: PROD 0x1, changed
    expect(store.getState().view?.registers).not.toBe(before)
    expect(store.getState().view?.registers?.[0]).toMatchObject({ value: '0x1', changed: true })
    // Fetched again where nothing moved: the register file and queues are the store's own object.
    const view = store.getState().view
    await store.getState().refresh()
    expect(store.getState().view).toBe(view)
  })

  test('a part the worker leaves out as unchanged is the one the store holds', async () => {
    const { engine, calls } = fakeEngine(small, { leaveOutHeld: true })
    const store = createAppStore(engine)
    await store.getState().load('{}')
    await store.getState().toStart()
    const before = store.getState().view?.registers
    const heldAt = calls.stepView.length
    // Cursor 0 -> 1: record 0 is an op, CMDQ_PROD stays 0x0: the request holds the registers of the last answer; the answer leaves them out.
    await store.getState().stepInto()
    expect(calls.stepView[calls.stepView.length - 1][2].held?.registers).toBe(heldAt)
    expect(store.getState().cursor).toBe(1)
    expect(store.getState().view?.registers).toBe(before)
    expect(store.getState().view?.registers?.[0]).toMatchObject({ value: '0x0', changed: false })
    // 1 -> 2: record 1 is an mmio, PROD 0x1: sent, and held from then on under this answer.
    await store.getState().stepInto()
    expect(store.getState().view?.registers?.[0]).toMatchObject({ value: '0x1', changed: true })
    const sentAt = calls.stepView.length
    const fields = store.getState().view?.registers?.[0].fields
    await store.getState().stepBackInto() // 2 -> 1: PROD 0x0 again: sent as its changes against what answer `sentAt` sent
    expect(calls.stepView[calls.stepView.length - 1][2].held?.registers).toBe(sentAt)
    expect(calls.patched[calls.patched.length - 1]).toEqual(['registers'])
    expect(store.getState().view?.registers?.[0]).toMatchObject({ value: '0x0', changed: false })
    // What the change left alone is the store's own object (the register's field list), as reuse would keep it.
    expect(store.getState().view?.registers?.[0].fields).toBe(fields)
  })

  test('nothing is held across runs: a new load asks for every part again', async () => {
    const { engine, calls } = fakeEngine(small, { leaveOutHeld: true })
    const store = createAppStore(engine)
    await store.getState().load('{}')
    await store.getState().load('{"again": 1}')
    expect(calls.stepView[calls.stepView.length - 1][2].held).toBeUndefined()
    expect(store.getState().view?.registers).toHaveLength(1)
  })

  test('a queue paged away asks for its page at every step until it is sent back to the cursor', async () => {
    const { engine, calls } = fakeEngine(small)
    const store = createAppStore(engine)
    await store.getState().load('{}')
    const last = () => calls.stepView[calls.stepView.length - 1][2]
    // No hypervisor here: the SMMU's CMDQ and EVENTQ come with the registers.
    expect(last().cmdq).toEqual({})
    await store.getState().setQueueFrom('cmdq', 64)
    expect(last().cmdq).toEqual({ from: 64, to: 64 + QUEUE_PAGE })
    expect(last().evtq).toEqual({})
    await store.getState().toStart()
    await store.getState().stepInto()
    expect(last().cmdq).toEqual({ from: 64, to: 64 + QUEUE_PAGE })
    // The host's and the shadow CMDQ are paged in the hypervisor's request.
    await store.getState().setQueueFrom('hostq', 2400)
    expect(last().hyp?.cmdq).toEqual({ host: { from: 2400, to: 2400 + QUEUE_PAGE }, shadow: {} })
    await store.getState().setQueueFrom('cmdq', null)
    expect(last().cmdq).toEqual({})
    expect(store.getState().queueFrom).toEqual({ cmdq: null, evtq: null, hostq: 2400, shadowq: null })
  })

  test('another scenario starts with nothing selected or paged; an edit of the one on screen keeps both', async () => {
    const { engine } = fakeEngine(small)
    const store = createAppStore(engine)
    await store.getState().load('{"first": 1}')
    const pick = async () => {
      await store.getState().setQueueFrom('hostq', 2400)
      await store.getState().setTrapFrom(40)
      await store.getState().setMemRange({ from: '0x40000000', to: '0x40100000' })
      await store.getState().select({ kind: 'sid', sid: 8 }, { kind: 'ste', sid: 8 })
    }
    await pick()
    await store.getState().load('{"first": 1, "edited": true}', { edit: true })
    expect(store.getState().queueFrom.hostq).toBe(2400)
    expect(store.getState().trapFrom).toBe(40)
    expect(store.getState().selection).toEqual({ kind: 'sid', sid: 8 })
    await store.getState().load('{"second": 1}')
    const s = store.getState()
    expect(s.queueFrom).toEqual({ cmdq: null, evtq: null, hostq: null, shadowq: null })
    expect([s.trapFrom, s.memRange, s.selection, s.inspecting]).toEqual([null, null, null, null])
    // A scenario that does not load leaves the one on screen, and what is picked in it, as they were.
    await pick()
    await store.getState().load('{"bad": 1}')
    expect(store.getState().queueFrom.hostq).toBe(2400)
    expect(store.getState().selection).toEqual({ kind: 'sid', sid: 8 })
  })

  test('the journal as JSONL: the worker\'s pieces joined in order', async () => {
    const { engine, calls } = fakeEngine(small)
    const store = createAppStore(engine)
    await store.getState().load('{}')
    const seen: [number, number][] = []
    const blob = await store.getState().journalJsonl((done, total) => seen.push([done, total]))
    expect(calls.jsonl).toEqual([0, 2, 4])
    expect(seen).toEqual([
      [2, 5],
      [4, 5],
      [5, 5],
    ])
    const lines = (await blob!.text()).trimEnd().split('\n')
    expect(lines.map((l) => (JSON.parse(l) as { i?: number }).i)).toEqual([0, 1, 2, 3, 4, undefined])
  })
})

describe('share links', () => {
  test('a link opens its scenario at its cursor, and the default then stays away', async () => {
    const { engine, calls } = fakeEngine(small)
    const store = createAppStore(engine)
    const panels = await store.getState().openLink(encodeShareUrl({ smmuscope: 1, title: 'shared' }, 2, ['walk']))
    await store.getState().loadDefault()
    expect(panels).toEqual(['walk'])
    expect(calls.load).toEqual([{ smmuscope: 1, title: 'shared' }])
    expect(store.getState().cursor).toBe(2)
    expect(store.getState().loadedScenario).toEqual({ smmuscope: 1, title: 'shared' })
    expect(store.getState().linkError).toBeNull()
  })

  test('a broken link says why and leaves the current work as it was', async () => {
    const { engine, calls } = fakeEngine(small)
    const store = createAppStore(engine)
    await store.getState().load('{"mine":1}')
    await store.getState().setCursor(3)
    const panels = await store.getState().openLink('#s=1.@@@&c=4')
    expect(panels).toBeNull()
    // The decoder's own message (engine/scenario/url.ts: characters outside the base64url alphabet).
    expect(store.getState().linkError).toMatch(/^This link cannot be opened: bad base64url: character "@" at position 0/)
    expect(store.getState().cursor).toBe(3)
    expect(calls.load).toEqual([{ mine: 1 }])
  })

  test('with a broken link first, the default still opens', async () => {
    const { engine, calls } = fakeEngine(small)
    const store = createAppStore(engine)
    await store.getState().openLink('#s=2.abc')
    await store.getState().loadDefault()
    expect(calls.load).toEqual([{ smmuscope: 1, title: 'built-in' }])
    expect(store.getState().linkError).toMatch(/share format 2/)
  })
})
