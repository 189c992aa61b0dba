/**
 * `import 'laytest/vitest'` in a vitest setup file (or test file) registers `toMatchReference`:
 *
 *   // vitest.config.ts: test: { setupFiles: ['laytest/vitest'] }
 *   await expect(layout).toMatchReference()
 */
import { beforeEach, expect } from 'vitest'
import type { LaytestOptions } from './config.js'
import { toMatchReference } from './matcher.js'
import { resetCounters } from './reference.js'

expect.extend({ toMatchReference })

// reference names count per test run: a retried or re-run test starts again at its first name
beforeEach(() => {
  const s = expect.getState()
  if (s.testPath && s.currentTestName) resetCounters(s.testPath, s.currentTestName)
})

declare module 'vitest' {
  // vitest 4 and 5 read custom matcher types from Matchers<T>
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- the default vitest itself declares
  interface Matchers<T = any> {
    /** Exact per-layer XOR against reference/<test file>/<name>.gds (written on the first run). */
    toMatchReference(name?: string | LaytestOptions, options?: LaytestOptions): Promise<T>
  }
}

export { configureLaytest, type LaytestOptions, type UpdateMode } from './config.js'
export type { LayoutInput, GeneratorInput } from './input.js'
