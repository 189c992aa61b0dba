/** Runs `laytest diff A B` in this fresh process; prints {"ms", "rssMB", "equal", "layers"} as JSON. */
import { diffCommand } from '../src/cli/diff.js'
import { peakRssMB } from './rss.js'

const [a, b] = process.argv.slice(2) as [string, string]
const t0 = performance.now()
// no session cache: the benchmark measures the comparison (its inputs are the same bytes every run)
const r = await diffCommand(a, b, { json: true, cache: false })
const ms = performance.now() - t0
const j = JSON.parse(r.text) as { layers: Record<string, { differs: boolean }>; timings: unknown; cached?: boolean }
if (j.cached) throw new Error('the result came from the session cache')
const layers = Object.entries(j.layers).filter(([, v]) => v.differs).map(([k]) => k)
console.log(JSON.stringify({ ms, rssMB: peakRssMB(), equal: r.equal, layers, timings: j.timings }))
