import { describe, expect, test } from 'vitest'
import type { JournalRow, LoadResult, RegisterRow, ViewModel, ViewRequest } from '../../engine/api-types'
import type { EnginePort } from '../bridge/engine-port'
import { SCAN_CHUNK } from './cursor-slice'
import { createAppStore } from './store'

/**
 * A fake engine over a fixed journal. Its one register, CMDQ_PROD, counts the
 * `mmio` records applied before the cursor, so the expected values below can be
 * read straight off the fixture.
 */
function fakeEngine(rows: JournalRow[]) {
  const calls = { load: [] as unknown[], view: [] as [number, ViewRequest][] }
  const prodAt = (c: number) => rows.slice(0, c).filter((r) => r.kind === 'mmio').length
  const reg = (c: number): RegisterRow => ({
    name: 'CMDQ_PROD',
    offset: 0x98,
    width: 32,
    value: `0x${prodAt(c).toString(16)}`,
    fields: [],
    changed: c > 0 && rows[c - 1].kind === 'mmio',
  })
  const engine: EnginePort = {
    load(s): Promise<LoadResult> {
      calls.load.push(s)
      if (typeof s === 'object' && s !== null && 'bad' in s) {
        return Promise.resolve({ ok: false, errors: [{ path: 'steps[0].iova', message: 'not aligned' }] })
      }
      return Promise.resolve({ ok: true, summary: { title: 't', notes: '', records: rows.length, steps: 1, expectations: [] } })
    },
    view(cursor, request): Promise<ViewModel> {
      calls.view.push([cursor, request])
      const vm: ViewModel = {
        cursor,
        records: rows.length,
        journal: request.journal ? rows.slice(request.journal.from, request.journal.to) : undefined,
        registers: request.registers ? [reg(cursor)] : undefined,
      }
      return Promise.resolve(vm)
    },
    find: () => Promise.resolve(null),
    meta: () => Promise.resolve({ records: rows.length, spans: [] }),
    defaultScenario: () => Promise.resolve({ smmuscope: 1, title: 'built-in' }),
  }
  return { engine, calls }
}

const row = (i: number, depth: number, kind: string, end?: number): JournalRow => ({ i, depth, end, actor: 'host', kind, text: '', fields: {} })

// 0 op (end 3) · 1 mmio · 2 mmio · 3 op (end 5) · 4 mmio
const small = [row(0, 0, 'op', 3), row(1, 1, 'mmio'), row(2, 1, 'mmio'), row(3, 0, 'op', 5), row(4, 1, 'mmio')]

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

  test('stepping moves the cursor and the register values follow', async () => {
    const { engine } = fakeEngine(small)
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
    await store.getState().stepInto() // already at the end
    expect(store.getState().cursor).toBe(5)
  })

  test('back-steps find a span start more than one window back', async () => {
    // 0 leaf op · 1 span (end n-1) holding many leaves · n-1 leaf op
    const n = SCAN_CHUNK + 1000
    const rows = Array.from({ length: n }, (_, i) => (i === 0 || i === n - 1 ? row(i, 0, 'op') : i === 1 ? row(1, 0, 'op', n - 1) : row(i, 1, 'cmd.issue')))
    const { engine } = fakeEngine(rows)
    const store = createAppStore(engine)
    await store.getState().load('{}')
    await store.getState().setCursor(n - 100)
    await store.getState().stepBackOut()
    expect(store.getState().cursor).toBe(1)
    await store.getState().setCursor(n - 100)
    await store.getState().stepOut()
    expect(store.getState().cursor).toBe(n - 1)
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
    const [, req] = calls.view[calls.view.length - 1]
    expect(req).toEqual({ journal: { from: 1, to: 3 } })
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
})
