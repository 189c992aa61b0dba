import { defineConfig } from 'vitest/config'

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts', 'examples/*.test.ts'],
    // the matcher from the sources (a user's project uses 'laytest/vitest')
    setupFiles: ['./src/harness/setup.ts'],
    reporters: ['default', './src/harness/reporter.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
  },
})
