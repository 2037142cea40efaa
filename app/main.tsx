import { StrictMode } from 'react'
import { createRoot } from 'react-dom/client'
import { App } from './App'
import { enginePort } from './bridge/worker'
import { StoreProvider } from './store/context'
import { createAppStore } from './store/store'
import './styles.css'

const store = createAppStore(enginePort)

createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <StoreProvider store={store}>
      <App />
    </StoreProvider>
  </StrictMode>,
)
