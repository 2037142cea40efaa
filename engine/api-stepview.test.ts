import { fileURLToPath } from 'node:url'
import { describe, expect, test } from 'vitest'
import { builtins, createEngine } from './api'
import { main } from './cli/main'
import { applyDelta } from './views/delta'

/**
 * The combined call (stepView: move, then the view there, one round trip)
 * and the JSONL export the app downloads.
 */

const RAW_CMDQ = builtins().find((b) => b.id === 'raw-cmdq')!.scenario
const RAW_CMDQ_FILE = fileURLToPath(new URL('./scenario/builtin/raw-cmdq.json', import.meta.url))

function loaded() {
  const e = createEngine()
  const r = e.load(structuredClone(RAW_CMDQ))
  if (!r.ok) throw new Error('raw-cmdq does not load')
  return { e, records: r.summary.records }
}

describe('stepView', () => {
  test('is the step and the view it replaces, in one call', () => {
    const { e } = loaded()
    const req = { registers: true, cmdq: {}, evtq: {}, journal: { from: 0, to: 30 } }
    let c = 0
    for (const [step, direction, granularity] of [['into', 'forward', 'record'], ['over', 'forward', 'op'], ['into', 'forward', 'command'], ['out', 'forward', 'record'], ['over', 'backward', 'op']] as const) {
      const r = e.stepView(c, { kind: 'step', step, direction, granularity }, req)
      const to = e.step(c, step, direction, granularity)
      expect(r.cursor).toBe(to)
      expect(r.breakpoint).toBeNull()
      expect(r.view).toEqual(e.view(to, req))
      c = to
    }
  })

  test('continues to a breakpoint and names it', () => {
    const { e } = loaded()
    const bps = [{ kind: 'event' }, { kind: 'mmio', reg: 'CMDQ_PROD' }]
    const r = e.stepView(0, { kind: 'runTo', breakpoints: bps, direction: 'forward' }, { registers: true })
    expect(r).toMatchObject(e.runTo(bps, 0, 'forward'))
    expect(r.breakpoint).not.toBeNull()
    expect(r.view.cursor).toBe(r.cursor)
  })

  test('the journal window follows the cursor as a debugger scrolls: still while the row shows, a page on when it leaves, centred after a jump', () => {
    const { e, records } = loaded()
    expect(records).toBe(81) // the CLI prints 81 records for raw-cmdq.json
    // On screen: rows [top, top + 15) whole, 15 spanned, 20 more each side; two rows of context at each edge.
    const follow = { visible: 15, span: 15, margin: 20 }
    const seek = (to: number, top: number) => e.stepView(0, { kind: 'seek', to }, { journal: { from: Math.max(0, top - 20), to: top + 35 }, follow: { ...follow, top } })
    // Row 10 of rows 0-14 keeps two rows below it: nothing moves.
    expect(seek(10, 0).journal).toEqual({ from: 0, to: 35, top: 0 })
    // Row 0 at the top of the journal: the window cannot go higher.
    expect(seek(0, 0).journal).toEqual({ from: 0, to: 35, top: 0 })
    // Row 13 enters the bottom two rows of rows 0-14: the window moves on so that it is a third of a screen
    // (floor(15 / 3) = 5 rows) from the top, top 13 - 5 = 8; window [0, 8 + 15 + 20). The next seven rows (14-20) move
    // nothing; row 21 enters the bottom two rows of rows 8-22 and moves it on again, to top 21 - 5 = 16.
    expect(seek(13, 0).journal).toEqual({ from: 0, to: 43, top: 8 })
    expect(seek(20, 8).journal).toEqual({ from: 0, to: 43, top: 8 })
    expect(seek(21, 8).journal).toEqual({ from: 0, to: 51, top: 16 })
    // Row 34 enters the top two rows of rows 33-47 (stepping back): it goes a third from the bottom,
    // top 34 - (15 - 1 - 5) = 25; window [5, 60).
    expect(seek(34, 33).journal).toEqual({ from: 5, to: 60, top: 25 })
    // Row 40 from rows 0-14 is a screen or more from their middle (row 7): centred, top = 40 - floor(15 / 2) = 33; window [13, 68).
    const r = seek(40, 0)
    expect(r.journal).toEqual({ from: 13, to: 68, top: 33 })
    expect(r.view.journal!.map((x) => x.i)).toEqual(Array.from({ length: 55 }, (_, k) => 13 + k))
    // The end of the run (cursor 81): the top stops at 81 + 1 - 15 = 67, so the "end of run" row is the last whole one.
    const end = seek(81, 33)
    expect(end.journal).toEqual({ from: 47, to: 102, top: 67 })
    expect(end.view.journal!.map((x) => x.i)).toEqual(Array.from({ length: 34 }, (_, k) => 47 + k))
    // Back near the start: centred at 3 - 7 < 0, clamped to 0.
    expect(seek(3, 67).journal).toEqual({ from: 0, to: 35, top: 0 })
  })

  test('journalFields keeps only the named fields of each row, as view() gives them (page writes included)', () => {
    const e = createEngine()
    const r = e.load(structuredClone(builtins().find((b) => b.id === 'boot-pkvm')!.scenario))
    if (!r.ok) throw new Error('boot-pkvm does not load')
    const keys = ['sid', 'SID', 'pa', 'iova', 'index', 'queue']
    const pick = (f: Readonly<Record<string, unknown>>) => Object.fromEntries(Object.entries(f).filter(([k]) => keys.includes(k)))
    const n = r.summary.records
    const full = e.view(0, { journal: { from: 0, to: n } }).journal!
    const slim = e.stepView(0, { kind: 'seek', to: 0 }, { journal: { from: 0, to: n }, journalFields: keys }).view.journal!
    expect(slim).toEqual(full.map((x) => ({ ...x, fields: pick(x.fields) })))
    // boot-pkvm builds page tables: 4 KiB page writes whose address is kept.
    expect(full.some((x) => x.kind === 'mem.write' && x.fields.size === 4096 && typeof slim[x.i].fields.pa === 'number')).toBe(true)
  })

  test('a part the caller holds, unchanged since the answer it came in, is left out and named', () => {
    const { e, records } = loaded()
    const req = { registers: true, evtq: {}, journal: { from: 0, to: 10 } }
    const first = e.stepView(0, { kind: 'seek', to: records }, req)
    expect(first.same).toEqual([])
    // At the end of the run nothing moves: a seek to the same cursor holding every part gets none back.
    const again = e.stepView(records, { kind: 'seek', to: records }, { ...req, held: { registers: first.answer, evtq: first.answer, journal: first.answer } })
    expect(again.answer).toBeGreaterThan(first.answer)
    expect([...again.same].sort()).toEqual(['evtq', 'journal', 'registers'])
    expect(again.view.registers).toBeUndefined()
    expect(again.view.cursor).toBe(records)
    // Held under another answer's number: sent whole (the caller's copy may differ).
    const other = e.stepView(records, { kind: 'seek', to: records }, { ...req, held: { registers: first.answer + 100 } })
    expect(other.same).toEqual([])
    expect(other.view.registers).toEqual(e.view(records, { registers: true }).registers)
    // A seek back to the start: the register file there (reset values) differs and is sent as its changes against the
    // held one; the window's rows are the same rows, left out.
    const back = e.stepView(records, { kind: 'seek', to: 0 }, { ...req, held: { registers: other.answer, journal: other.answer } })
    expect(back.same).toEqual(['journal'])
    expect(back.patched).toEqual(['registers'])
    const start = e.view(0, { registers: true }).registers
    expect(applyDelta(structuredClone(other.view.registers), structuredClone(back.view.registers))).toEqual(start)
    expect(JSON.stringify(back.view.registers).length).toBeLessThan(JSON.stringify(start).length / 2)
  })

  test('a part that is null (no hypervisor in this run) and stays null is left out too', () => {
    const { e } = loaded()
    const first = e.stepView(0, { kind: 'seek', to: 3 }, { hyp: { registers: true } })
    expect(first.view.hyp).toBeNull()
    const next = e.stepView(3, { kind: 'seek', to: 4 }, { hyp: { registers: true }, held: { hyp: first.answer } })
    expect([next.same, next.patched]).toEqual([['hyp'], []])
  })

  test('a changed part held under a known answer is sent as its changes; with the held value they are the part', () => {
    const { e, records } = loaded()
    const req = { registers: true, evtq: {}, journal: { from: 0, to: 10 } }
    let prev = e.stepView(0, { kind: 'seek', to: 0 }, req)
    let held = { registers: prev.view.registers, evtq: prev.view.evtq, journal: prev.view.journal }
    let patches = 0
    // Every step of the run from the start, each holding what the last answer left the caller with.
    for (let c = 0; c < records; c++) {
      const r = e.stepView(c, { kind: 'seek', to: c + 1 }, { ...req, journal: { from: c, to: c + 10 }, held: { registers: prev.answer, evtq: prev.answer, journal: prev.answer } })
      const whole = e.view(c + 1, { ...req, journal: { from: c, to: c + 10 } })
      const got = structuredClone(r.view)
      const part = <K extends keyof typeof held>(k: K) => (r.same.includes(k) ? held[k] : r.patched.includes(k) ? applyDelta(held[k], got[k]) : got[k])
      held = { registers: part('registers'), evtq: part('evtq'), journal: part('journal') }
      expect(held).toEqual({ registers: whole.registers, evtq: whole.evtq, journal: whole.journal })
      patches += r.patched.length
      prev = r
    }
    expect(patches).toBeGreaterThan(records / 2)
  })

  test('every answer is remembered: a part held under any of the last twelve is left out when unchanged, an older one is sent', () => {
    const { e, records } = loaded()
    const req = { registers: true, journal: { from: 0, to: 10 } }
    const first = e.stepView(0, { kind: 'seek', to: records }, req)
    const held = { registers: first.answer, journal: first.answer }
    // Looking at the start from the end (as the app looks ahead): the rows are the same and left out; the registers there differ.
    const ahead = e.stepView(records, { kind: 'seek', to: 0 }, { ...req, held })
    expect(ahead.same).toEqual(['journal'])
    expect(ahead.patched).toEqual(['registers'])
    expect(applyDelta(first.view.registers, ahead.view.registers)).toEqual(e.view(0, { registers: true }).registers)
    // Both are remembered: the end's registers under the first answer, the start's under the look-ahead's.
    expect(e.stepView(records, { kind: 'seek', to: records }, { ...req, held }).same).toContain('registers')
    expect(e.stepView(records, { kind: 'seek', to: 0 }, { ...req, held: { registers: ahead.answer } }).same).toEqual(['registers'])
    // Twelve answers that send the registers each (the start's and the end's in turn, held under none) push the first one out.
    for (let k = 0; k < 12; k++) e.stepView(records, { kind: 'seek', to: k % 2 === 0 ? 0 : records }, { registers: true })
    const late = e.stepView(0, { kind: 'seek', to: records }, { ...req, held })
    expect(late.same).toEqual(['journal'])
    expect(late.patched).toEqual([])
    expect(late.view.registers).toEqual(e.view(records, { registers: true }).registers)
  })

  test('bad arguments are refused with the call and the argument named', () => {
    const { e } = loaded()
    expect(() => e.stepView(0, { kind: 'jump' } as never, {})).toThrow(/^stepView: move\.kind must be one of step, seek, runTo, got "jump"/)
    expect(() => e.stepView(0, { kind: 'seek', to: Number.NaN }, {})).toThrow(/^stepView: the cursor must be a record index/)
    expect(() => e.stepView(0, { kind: 'step', step: 'sideways', direction: 'forward' } as never, {})).toThrow(/^step: kind must be one of into, over, out/)
  })
})

describe('exportJsonl', () => {
  test('the pieces joined are the CLI\'s --jsonl output, byte for byte', () => {
    const lines: string[] = []
    expect(main(['run', RAW_CMDQ_FILE, '--jsonl'], (s) => lines.push(s), () => undefined)).toBe(0)
    const cli = lines.join('\n') + '\n'
    const { e, records } = loaded()
    const pieces = []
    for (let from: number | null = 0; from !== null; ) {
      const p = e.exportJsonl(from, 10)
      pieces.push(p)
      from = p.next
    }
    // 81 records in pieces of 10: nine pieces, the last with one record and the summary line.
    expect(pieces.map((p) => [p.from, p.records, p.next])).toEqual([...Array.from({ length: 8 }, (_, k) => [10 * k, 10, 10 * k + 10]), [80, 1, null]])
    expect(records).toBe(81)
    const text = pieces.map((p) => new TextDecoder().decode(p.bytes)).join('')
    expect(text).toBe(cli)
  })

  test('a start past the end gives the summary line alone', () => {
    const { e } = loaded()
    const p = e.exportJsonl(500)
    expect(p).toMatchObject({ from: 81, records: 0, next: null })
    expect(JSON.parse(new TextDecoder().decode(p.bytes))).toMatchObject({ i: 81, kind: 'summary', records: 81, failed: 0 })
  })
})
