import { defineConfig } from 'vitest/config'

export default defineConfig({
  test: {
    include: ['engine/**/*.test.ts', 'app/**/*.test.{ts,tsx}'],
    environment: 'node',
    pool: 'threads',
  },
})
