import { useEffect } from 'react'
import { CdPanel } from './panels/CdPanel'
import { CfgCachePanel, IotlbPanel } from './panels/CachePanels'
import { CentreTabs } from './panels/CentreTabs'
import { Inspector } from './panels/Inspector'
import { Journal } from './panels/Journal'
import { QueuePanel } from './panels/QueuePanel'
import { Registers } from './panels/Registers'
import { RunPanel } from './panels/RunPanel'
import { ScenarioEditor } from './panels/ScenarioEditor'
import { StreamTable } from './panels/StreamTable'
import { TopBar } from './panels/TopBar'
import { WalkGrid } from './panels/WalkGrid'
import { useApp } from './store/context'
import { useSel } from './store/selection-slice'

/** Fetches the SMMU structure views whenever the cursor or the run changes. */
function useSmmuViews() {
  const cursor = useApp((s) => s.cursor)
  const summary = useApp((s) => s.summary)
  const refresh = useSel((s) => s.refreshSmmu)
  useEffect(() => {
    void refresh()
  }, [cursor, summary, refresh])
}

export function App() {
  const loadDefault = useApp((s) => s.loadDefault)
  const cmdq = useApp((s) => s.view?.cmdq)
  const evtq = useApp((s) => s.view?.evtq)
  // StrictMode runs this twice in development; load is reset + run, so that is harmless.
  useEffect(() => {
    void loadDefault()
  }, [loadDefault])
  useSmmuViews()
  return (
    <div className="app">
      <TopBar />
      <main className="panes">
        <Journal />
        <div className="centre">
          <CentreTabs
            panels={{
              queues: (
                <div className="stack">
                  <QueuePanel queue={cmdq} id="cmdq" ring kindLabel="Opcode" />
                  <QueuePanel queue={evtq} id="evtq" ring={false} kindLabel="Event" />
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
