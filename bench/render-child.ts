/** Reads a GDS file and renders its top cell to a PNG with laytest in this fresh process; prints JSON timings. */
import { readLayout } from '../src/index.js'
import { renderLayout, writePng } from '../src/render/index.js'
import { peakRssMB } from './rss.js'

const [file, out, size] = process.argv.slice(2) as [string, string, string]
const t0 = performance.now()
const layout = readLayout(file) // reading the file is timed, as KLayout's load_layout is
const t1 = performance.now()
const r = renderLayout(layout, { size: Number(size) })
const t2 = performance.now()
writePng(out, r.image)
const t3 = performance.now()
console.log(JSON.stringify({ readMs: t1 - t0, renderMs: t2 - t1, pngMs: t3 - t2, totalMs: t3 - t0, rssMB: peakRssMB(), width: r.image.width, height: r.image.height }))
