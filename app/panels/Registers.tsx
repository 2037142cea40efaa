import { memo, useState } from 'react'
import type { HostRegRow, RegisterRow } from '../../engine/api-types'
import { FieldChips, FieldTable } from '../components/FieldList'
import { NearViewContext, useNearView, useNearViewRoot } from '../components/near-view'
import { useApp } from '../store/context'
import { useSel } from '../store/selection-slice'

function hexOffset(n: number): string {
  return `0x${n.toString(16).padStart(4, '0')}`
}

/** One register; drawn again only when its row (or the host's view of it) changed. */
const Register = memo(function Register({ r, h }: { r: RegisterRow; h: HostRegRow | undefined }) {
  const differs = h !== undefined && h.host !== h.hw
  // The field table is built when the register is opened: closed, it would be hundreds of hidden nodes to update on every step.
  const [open, setOpen] = useState(false)
  // Away from the view: name, offset and values only (see near-view.ts); an open register stays whole.
  const { ref, near, height } = useNearView(open)
  const values = (
    <>
      <span className="rname mono">{r.name}</span>
      <span className="roff mono">{hexOffset(r.offset)}</span>
      <span className="rval mono" data-testid={`reg-${r.name}`}>
        {r.value}
      </span>
      {differs && (
        <span className="hostval mono" data-testid={`hostreg-${r.name}`} title={h.source === 'emulated' ? "The hypervisor's emulated copy: what a host read returns" : 'The value the host last read or wrote'}>
          host {h.host}
          <span className="sub"> {h.source === 'emulated' ? 'emulated' : 'last access'}</span>
        </span>
      )}
      {r.changed && <span className="badge">changed</span>}
    </>
  )
  return (
    <li ref={ref} className={r.changed ? 'reg changed' : 'reg'} data-reg={r.name} style={height === undefined ? undefined : { height }}>
      {near ? (
        <details
          onToggle={(e) => {
            setOpen(e.currentTarget.open)
          }}
        >
          <summary>
            {values}
            <FieldChips fields={r.fields} />
          </summary>
          {open && <FieldTable fields={r.fields} caption={`${r.name} fields`} />}
        </details>
      ) : (
        <div className="reg-away">{values}</div>
      )}
    </li>
  )
})

/**
 * The SMMU register file at the cursor; registers the last record changed
 * are marked. Under pKVM each register the host has touched also shows the
 * host's view (the hypervisor's emulated copy, or what the host last read or
 * wrote) beside the hardware's value.
 */
export function Registers() {
  const registers = useApp((s) => s.view?.registers)
  const hostRegs = useSel((s) => s.hyp?.registers)
  const host = new Map(hostRegs?.map((r) => [r.name, r]))
  const [scroller, near] = useNearViewRoot()
  return (
    <section className="panel registers" aria-labelledby="regs-h">
      <h2 id="regs-h">
        Registers {hostRegs && <span className="sub">hardware · host's view where it differs (pKVM)</span>}
      </h2>
      <div ref={scroller} className="scroll" role="region" tabIndex={0} aria-label="Register values">
        {registers === undefined ? (
          <p className="empty">No register state.</p>
        ) : (
          <NearViewContext value={near}>
            <ul className="reglist">
              {registers.map((r) => (
                <Register key={r.name} r={r} h={host.get(r.name)} />
              ))}
            </ul>
          </NearViewContext>
        )}
      </div>
    </section>
  )
}
