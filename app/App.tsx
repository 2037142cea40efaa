import { useEffect, useMemo } from 'react'
import { BreakpointPanel } from './panels/BreakpointPanel'
import { CdPanel } from './panels/CdPanel'
import { CfgCachePanel, IotlbPanel } from './panels/CachePanels'
import { CentreTabs } from './panels/CentreTabs'
import { HypQueues } from './panels/HypQueues'
import { Inspector } from './panels/Inspector'
import { Journal } from './panels/Journal'
import { MemoryMap } from './panels/MemoryMap'
import { QueuePanel, type EntryDecor } from './panels/QueuePanel'
import { Registers } from './panels/Registers'
import { RunPanel } from './panels/RunPanel'
import { ScenarioEditor } from './panels/ScenarioEditor'
import { StreamTable } from './panels/StreamTable'
import { TopBar } from './panels/TopBar'
import { TrapLog } from './panels/TrapLog'
import { WalkGrid } from './panels/WalkGrid'
import { useApp } from './store/context'
import { useSel } from './store/selection-slice'

/** The CMDQ as the SMMU sees it; under pKVM the host's and the shadow side by side. */
function CommandQueues() {
  const cmdq = useApp((s) => s.view?.cmdq)
  const hypq = useSel((s) => s.hyp?.cmdq)
  const select = useSel((s) => s.select)
  const selection = useSel((s) => s.selection)
  const picked = selection?.kind === 'command' ? selection.index : undefined
  // One decoration while the selection stands: the entries are not drawn again on a step that leaves the queue alone.
  const decor = useMemo<EntryDecor>(
    () => ({
      rowClass: (e) => (e.index === picked ? 'selected' : ''),
      onPick: (e) => void select({ kind: 'command', index: e.index }, { kind: 'command', index: e.index }),
      pickLabel: (e) => `Inspect CMDQ entry ${e.index}`,
    }),
    [picked, select],
  )
  if (hypq) return <HypQueues q={hypq} />
  return <QueuePanel queue={cmdq} id="cmdq" ring kindLabel="Opcode" decor={decor} />
}

/** The EVTQ: a ring like the CMDQ (PROD written by the SMMU, CONS by the host), records decoded. */
function EventQueue() {
  const evtq = useApp((s) => s.view?.evtq)
  return <QueuePanel queue={evtq} id="evtq" ring kindLabel="Event" />
}

export function App() {
  const loadDefault = useApp((s) => s.loadDefault)
  // StrictMode runs this twice in development; load is reset + run, so that is harmless.
  useEffect(() => {
    void loadDefault()
  }, [loadDefault])
  return (
    <div className="app">
      <TopBar />
      <main className="panes">
        <div className="left">
          <Journal />
          <BreakpointPanel />
        </div>
        <div className="centre">
          <CentreTabs
            panels={{
              queues: (
                <div className="stack">
                  <CommandQueues />
                  <EventQueue />
                </div>
              ),
              streams: (
                <div className="stack">
                  <StreamTable />
                  <CdPanel />
                </div>
              ),
              walk: <WalkGrid />,
              caches: (
                <div className="stack">
                  <IotlbPanel />
                  <CfgCachePanel />
                </div>
              ),
              traps: <TrapLog />,
              memory: <MemoryMap />,
            }}
          />
          <RunPanel />
          <ScenarioEditor />
        </div>
        <div className="side">
          <Inspector />
          <Registers />
        </div>
      </main>
    </div>
  )
}
