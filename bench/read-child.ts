/**
 * Reads one GDS file with laytest in a fresh process and prints {"ms", "warmMs", "rssMB", "shapes", "cells"}.
 * `ms` is the first read in this process (cold: V8 has not optimised the reader yet), `warmMs` the best of
 * `WARM` further reads (as in a test run that reads many layouts in one worker).
 */
import { readLayout } from '../src/index.js'
import { peakRssMB } from './rss.js'

const file = process.argv[2]!
const warmRuns = Number(process.argv[3] ?? 0)

// reading the file is timed, as KLayout's `ly.read(file)` is (both from the warm page cache)
const time = (): { ms: number; layout: ReturnType<typeof readLayout> } => {
  const t0 = process.hrtime.bigint()
  const layout = readLayout(file)
  return { ms: Number(process.hrtime.bigint() - t0) / 1e6, layout }
}

const first = time()
const rssMB = peakRssMB()
let warmMs = Infinity
for (let i = 0; i < warmRuns; i++) warmMs = Math.min(warmMs, time().ms)
let shapes = 0
for (const c of first.layout.cells.values()) shapes += c.shapeCount
console.log(JSON.stringify({ ms: first.ms, warmMs: warmRuns ? warmMs : null, rssMB, shapes, cells: first.layout.cells.size }))
