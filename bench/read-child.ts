/** Reads one GDS file with laytest in a fresh process; prints {"ms", "rssMB", "shapes", "cells"} as JSON. */
import { readLayout } from '../src/index.js'

const file = process.argv[2]!
// reading the file is timed, as KLayout's `ly.read(file)` is (both from the warm page cache)
const t0 = process.hrtime.bigint()
const layout = readLayout(file)
const ms = Number(process.hrtime.bigint() - t0) / 1e6
let shapes = 0
for (const c of layout.cells.values()) shapes += c.shapeCount
console.log(JSON.stringify({ ms, rssMB: process.resourceUsage().maxRSS / 1024, shapes, cells: layout.cells.size }))
