import { defineConfig } from 'vitest/config'

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts', 'examples/*.test.ts'],
    // the matcher from the sources (a user's project uses 'laytest/vitest')
    // and fast-check seeded (test/helpers/seed.ts: LAYTEST_SEED, LAYTEST_RUNS)
    setupFiles: ['./src/harness/setup.ts', './test/helpers/seed.ts'],
    // the demo's reference belongs to npm run demo, not to this run
    reporters: ['default', ['./src/harness/reporter.ts', { keepUnused: ['reference/examples/demo/'] }]],
    testTimeout: 60_000,
    hookTimeout: 60_000,
  },
})
