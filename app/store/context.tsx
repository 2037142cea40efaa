import { createContext, useContext, type ReactNode } from 'react'
import { useStore } from 'zustand'
import type { AppStore } from './store'
import type { AppState } from './types'

const StoreContext = createContext<AppStore | null>(null)

export function StoreProvider({ store, children }: { store: AppStore; children: ReactNode }) {
  return <StoreContext.Provider value={store}>{children}</StoreContext.Provider>
}

/** Select one value from the store (one selector per value keeps renders narrow). */
export function useApp<T>(selector: (s: AppState) => T): T {
  const store = useContext(StoreContext)
  if (store === null) throw new Error('useApp outside StoreProvider')
  return useStore(store, selector)
}

/** The store itself, for handlers that read actions at event time (no subscription). */
export function useAppStore(): AppStore {
  const store = useContext(StoreContext)
  if (store === null) throw new Error('useAppStore outside StoreProvider')
  return store
}
