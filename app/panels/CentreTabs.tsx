import { useRef, type KeyboardEvent, type ReactNode } from 'react'
import type { CentreTab } from '../store/selection-slice'
import { useSel } from '../store/selection-slice'

const TABS: readonly { readonly id: CentreTab; readonly label: string }[] = [
  { id: 'queues', label: 'Queues' },
  { id: 'streams', label: 'Stream table · CD' },
  { id: 'walk', label: 'Walk' },
  { id: 'caches', label: 'IOTLB · config cache' },
  { id: 'traps', label: 'MMIO traps' },
  { id: 'memory', label: 'Memory' },
]

/** The centre's panels as tabs (WAI-ARIA tabs pattern: arrows move between tabs). */
export function CentreTabs({ panels }: { panels: Readonly<Record<CentreTab, ReactNode>> }) {
  const tab = useSel((s) => s.centreTab)
  const setTab = useSel((s) => s.setCentreTab)
  const refs = useRef<(HTMLButtonElement | null)[]>([])
  const onKey = (e: KeyboardEvent, i: number) => {
    const d = e.key === 'ArrowRight' ? 1 : e.key === 'ArrowLeft' ? -1 : 0
    if (d === 0) return
    e.preventDefault()
    const n = (i + d + TABS.length) % TABS.length
    void setTab(TABS[n].id)
    refs.current[n]?.focus()
  }
  return (
    <div className="tabs">
      <div className="tablist" role="tablist" aria-label="Centre panels">
        {TABS.map((t, i) => (
          <button
            key={t.id}
            ref={(el) => {
              refs.current[i] = el
            }}
            type="button"
            role="tab"
            id={`tab-${t.id}`}
            aria-selected={tab === t.id}
            aria-controls={`tabpanel-${t.id}`}
            tabIndex={tab === t.id ? 0 : -1}
            onClick={() => void setTab(t.id)}
            onKeyDown={(e) => {
              onKey(e, i)
            }}
          >
            {t.label}
          </button>
        ))}
      </div>
      <div className="tabpanel" role="tabpanel" id={`tabpanel-${tab}`} aria-labelledby={`tab-${tab}`}>
        {panels[tab]}
      </div>
    </div>
  )
}
