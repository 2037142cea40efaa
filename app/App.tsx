import { useEffect } from 'react'
import { Journal } from './panels/Journal'
import { QueuePanel } from './panels/QueuePanel'
import { Registers } from './panels/Registers'
import { RunPanel } from './panels/RunPanel'
import { ScenarioEditor } from './panels/ScenarioEditor'
import { TopBar } from './panels/TopBar'
import { useApp } from './store/context'

export function App() {
  const loadDefault = useApp((s) => s.loadDefault)
  const cmdq = useApp((s) => s.view?.cmdq)
  const evtq = useApp((s) => s.view?.evtq)
  // StrictMode runs this twice in development; load is reset + run, so that is harmless.
  useEffect(() => {
    void loadDefault()
  }, [loadDefault])
  return (
    <div className="app">
      <TopBar />
      <main className="panes">
        <Journal />
        <div className="centre">
          <QueuePanel queue={cmdq} id="cmdq" ring kindLabel="Opcode" />
          <QueuePanel queue={evtq} id="evtq" ring={false} kindLabel="Event" />
          <RunPanel />
          <ScenarioEditor />
        </div>
        <Registers />
      </main>
    </div>
  )
}
