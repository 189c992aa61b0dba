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
  // No type parameters: vitest 4 declares Matchers<T = any>, vitest 5 Matchers<R = void | Promise<void>, T = unknown>;
  // an augmentation must repeat them exactly or leave them all out (both default every one), else TS2428.
  interface Matchers {
    /** Exact per-layer XOR against reference/<test file>/<name>.gds (written on the first run). */
    toMatchReference(name?: string | LaytestOptions, options?: LaytestOptions): Promise<void>
  }
}

export { configureLaytest, type LaytestOptions, type UpdateMode } from './config.js'
export type { LayoutInput, GeneratorInput } from './input.js'
