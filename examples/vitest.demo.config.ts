import { defineConfig } from 'vitest/config'

// npm run demo: only the failing demo test, with the laytest reporter next to vitest's own
export default defineConfig({
  test: {
    include: ['examples/demo/**/*.test.ts'],
    setupFiles: ['./src/harness/setup.ts'],
    reporters: ['default', ['./src/harness/reporter.ts', { keepUnused: ['reference/examples/ring.test.ts/'] }]],
  },
})
