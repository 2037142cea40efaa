// The app lives in app/ (entry: index.html at the root); the engine runs in a
// module worker that Vite bundles from engine/worker.ts. `base: './'` keeps the
// built dist/ relocatable (served from any path, or opened by the preview).
import { defineConfig } from 'vite'
import react from '@vitejs/plugin-react'

export default defineConfig({
  base: './',
  plugins: [react()],
  worker: { format: 'es' },
  build: {
    target: 'es2023',
    outDir: 'dist',
    sourcemap: true,
    // The worker bundles the whole engine; one chunk is expected to be large.
    chunkSizeWarningLimit: 2048,
  },
  preview: { port: 4173, strictPort: true },
  server: { port: 5173 },
})
