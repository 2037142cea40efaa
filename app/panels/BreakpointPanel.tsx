import { useState } from 'react'
import type { FindQuery } from '../../engine/api-types'
import { useApp } from '../store/context'

/** What a breakpoint can watch (engine/journal/find.ts RecordQuery), with how its value is read. */
const WHAT = [
  { id: 'event', text: 'event type', placeholder: 'F_TRANSLATION' },
  { id: 'reg', text: 'register access', placeholder: 'CMDQ_PROD' },
  { id: 'sid', text: 'StreamID', placeholder: '8' },
  { id: 'opcode', text: 'command opcode', placeholder: 'CFGI_STE' },
  { id: 'verdict', text: 'hypervisor verdict', placeholder: 'rejected' },
  { id: 'writes', text: 'memory written', placeholder: '0x41000000+0x1000' },
  { id: 'kind', text: 'record kind', placeholder: 'hyp.cmd' },
  { id: 'failedExpect', text: 'failed expectation', placeholder: '' },
] as const

type What = (typeof WHAT)[number]['id']

function parseNumber(s: string): number {
  const t = s.trim().replace(/_/g, '')
  return /^0x[0-9a-f]+$/i.test(t) ? parseInt(t.slice(2), 16) : /^\d+$/.test(t) ? Number(t) : Number.NaN
}

/** The query a form entry stands for, or a reason it cannot be one. */
export function breakpointQuery(what: What, value: string): FindQuery | string {
  const v = value.trim()
  if (what === 'failedExpect') return { failedExpect: true }
  if (v === '') return 'a value is needed'
  switch (what) {
    case 'event':
      return { kind: 'event', event: v.toUpperCase() }
    case 'reg':
      return { kind: 'mmio', reg: v.toUpperCase().replace(/^SMMU_/, '') }
    case 'sid': {
      const n = parseNumber(v)
      return Number.isInteger(n) && n >= 0 ? { sid: n } : `${v} is not a StreamID`
    }
    case 'opcode':
      return { opcode: v.toUpperCase().replace(/^CMD_/, '') }
    case 'verdict':
      return ['copied', 'rejected', 'rewritten'].includes(v) ? { kind: 'hyp.cmd', verdict: v } : 'the verdicts are copied, rejected and rewritten'
    case 'writes': {
      const [a, b] = v.split('+')
      const from = parseNumber(a)
      const size = b === undefined ? 1 : parseNumber(b)
      return Number.isFinite(from) && Number.isFinite(size) && size > 0 ? { writes: { from, to: from + size } } : 'write an address, or address+size'
    }
    case 'kind':
      return { kind: v }
  }
}

/** One line saying what a breakpoint stops before. */
export function describeQuery(q: FindQuery): string {
  const parts: string[] = []
  if (q.failedExpect) parts.push('failed expectation')
  if (q.event !== undefined) parts.push(`event ${q.event}`)
  else if (q.kind !== undefined) parts.push(typeof q.kind === 'string' ? q.kind : q.kind.join(' or '))
  if (q.reg !== undefined) parts.push(q.reg)
  if (q.sid !== undefined) parts.push(`SID ${q.sid}`)
  if (q.opcode !== undefined) parts.push(q.opcode)
  if (q.verdict !== undefined) parts.push(q.verdict)
  if (q.actor !== undefined) parts.push(`by ${q.actor}`)
  if (q.writes !== undefined) parts.push(`write to [0x${q.writes.from.toString(16)}, 0x${q.writes.to.toString(16)})`)
  return parts.join(' ') || 'any record'
}

/** Breakpoints set from the UI: F8 continues to the next, Alt+F8 back to the previous. */
export function BreakpointPanel() {
  const breakpoints = useApp((s) => s.breakpoints)
  const setBreakpoints = useApp((s) => s.setBreakpoints)
  const stoppedAt = useApp((s) => s.stoppedAt)
  const [what, setWhat] = useState<What>('event')
  const [value, setValue] = useState('')
  const [error, setError] = useState<string | null>(null)
  const hint = WHAT.find((w) => w.id === what)
  const add = () => {
    const q = breakpointQuery(what, value)
    if (typeof q === 'string') {
      setError(q)
      return
    }
    setError(null)
    if (!breakpoints.some((b) => JSON.stringify(b) === JSON.stringify(q))) setBreakpoints([...breakpoints, q])
    setValue('')
  }
  return (
    <section className="panel bpanel" aria-labelledby="bp-h">
      <h2 id="bp-h">
        Break on <span className="sub">F8 continue · Alt+F8 back · Shift+F8 to the end</span>
      </h2>
      <form
        className="bpform"
        onSubmit={(e) => {
          e.preventDefault()
          add()
        }}
      >
        <label>
          Stop before{' '}
          <select aria-label="Breakpoint on" value={what} onChange={(e) => setWhat(WHAT.find((w) => w.id === e.target.value)?.id ?? 'event')}>
            {WHAT.map((w) => (
              <option key={w.id} value={w.id}>
                {w.text}
              </option>
            ))}
          </select>
        </label>
        {what !== 'failedExpect' && (
          <input className="mono" aria-label="Breakpoint value" size={14} placeholder={hint?.placeholder} value={value} onChange={(e) => setValue(e.target.value)} />
        )}
        <button type="submit">Add</button>
        {error !== null && (
          <span className="err" role="alert">
            {error}
          </span>
        )}
      </form>
      {breakpoints.length > 0 && (
        <ul className="bplist" aria-label="Breakpoints set">
          {breakpoints.map((b, k) => (
            <li key={JSON.stringify(b)} className={stoppedAt === k ? 'hit' : undefined}>
              <span className="mono">{describeQuery(b)}</span>
              {stoppedAt === k && <span className="badge">stopped here</span>}
              <button type="button" className="link" aria-label={`Remove breakpoint ${describeQuery(b)}`} onClick={() => setBreakpoints(breakpoints.filter((_, i) => i !== k))}>
                remove
              </button>
            </li>
          ))}
        </ul>
      )}
    </section>
  )
}
