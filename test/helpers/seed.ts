/*
 * Property tests are reproducible: CI runs one fixed seed and a fixed number of runs, so `npm test` gives the
 * same result every time. To explore, set
 *   LAYTEST_SEED=<integer> | random   another seed (random: a new one per run, printed)
 *   LAYTEST_RUNS=<factor>             multiplies every property test's number of runs (e.g. 20)
 * A failing fast-check property prints its seed and path; re-run with LAYTEST_SEED=<seed> to reproduce it.
 * This file is a vitest setup file (vitest.config.ts): it configures fast-check for every test file.
 */
import fc from 'fast-check'

const raw = process.env.LAYTEST_SEED
export const SEED = raw === 'random' ? (Math.random() * 2 ** 31) | 0 : raw ? Number(raw) | 0 : 20261201
export const RUN_FACTOR = Math.max(0.01, Number(process.env.LAYTEST_RUNS ?? 1) || 1)

/** The number of runs for a property test that runs `n` times in CI. */
export function runs(n: number): number {
  return Math.max(1, Math.round(n * RUN_FACTOR))
}

if (raw === 'random') console.log(`[laytest tests] LAYTEST_SEED=${SEED}`)
fc.configureGlobal({ seed: SEED })

/** A small seeded generator (xorshift-multiply) for tests that draw their own numbers. */
export function rng(seed: number = SEED): () => number {
  let s = seed >>> 0
  return () => {
    s = (Math.imul(s ^ (s >>> 15), 0x2c1b3c6d) + 0x6d2b79f5) >>> 0
    return ((s ^ (s >>> 12)) >>> 0) / 4294967296
  }
}
