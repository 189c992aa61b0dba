/**
 * npm run bench:render — laytest's renderer vs KLayout's (`klayout -b`: LayoutView, load_layout, save_image),
 * on the flat 1.7M-shape benchmark layout at 2048 x 2048, in the same run. Both times include reading the file
 * (bytes in the page cache) and writing the PNG; best of BENCH_RUNS (default 3) fresh processes each. laytest
 * also draws the annotated picture a failure gets (title, legend, scale bar: @napi-rs/canvas).
 */
import { execFileSync } from 'node:child_process'
import { mkdtempSync, rmSync, statSync } from 'node:fs'
import { cpus, loadavg, tmpdir, totalmem } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { flatBytes, writeDurably } from './gen.js'
import { klayoutVersion, runKlayout } from './klayout.js'
import { PY_PEAK_RSS } from './rss.js'

const RUNS = Number(process.env.BENCH_RUNS ?? 3)
const N = Number(process.env.BENCH_FLAT ?? 1_700_000)
const SIZE = 2048
const here = fileURLToPath(new URL('.', import.meta.url))
const dir = mkdtempSync(join(tmpdir(), 'laytest-bench-render-'))

const KLAYOUT_RENDER = `
import pya, time, json
${PY_PEAK_RSS}
t = time.perf_counter()
lv = pya.LayoutView()
lv.load_layout(file, True)
lv.max_hier()
lv.zoom_fit()
t1 = time.perf_counter()
lv.save_image(out, int(size), int(size))
t2 = time.perf_counter()
print(json.dumps({"loadMs": (t1 - t) * 1000, "renderMs": (t2 - t1) * 1000, "totalMs": (t2 - t) * 1000, "rssMB": peak_rss_mb()}))
`

interface Child { totalMs: number; renderMs: number; rssMB: number }

try {
  const file = join(dir, 'flat.gds')
  writeDurably(file, flatBytes(N))
  const kv = klayoutVersion()
  console.log(`# render ${SIZE}x${SIZE}: laytest vs ${kv ?? 'KLayout (not installed: laytest only)'}`)
  console.log(`# ${new Date().toISOString().slice(0, 10)}, ${cpus().length} x ${cpus()[0]?.model ?? '?'}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB, Node ${process.version}, best of ${RUNS}`)
  // plain and annotated (title, legend, scale bar: the failure picture's frame) runs interleaved with KLayout's,
  // so that the machine's load drifts over all three alike
  const child = (mode: string): Child => JSON.parse(execFileSync(process.execPath, [join(here, 'render-child.js'), file, join(dir, `laytest-${mode}.png`), String(SIZE), mode], { encoding: 'utf8' })) as Child
  const runs: { plain: Child[]; annotated: Child[]; klayout: Child[] } = { plain: [], annotated: [], klayout: [] }
  for (let i = 0; i < RUNS; i++) {
    runs.plain.push(child('plain'))
    runs.annotated.push(child('annotated'))
    if (kv) runs.klayout.push(JSON.parse(runKlayout(KLAYOUT_RENDER, { file, out: join(dir, 'klayout.png'), size: String(SIZE) }).trim().split('\n').pop()!) as Child)
  }
  const bestOf = (l: Child[]): Child => l.reduce((b, r) => (r.totalMs < b.totalMs ? { ...r, rssMB: Math.max(b.rssMB, r.rssMB) } : b))
  const theirs = kv ? bestOf(runs.klayout) : null
  const f = (x: number): string => x.toFixed(0)
  console.log(`# load average ${loadavg().map((v) => v.toFixed(1)).join(' ')}`)
  console.log('| layout | MB | laytest read+render+png ms | of which render | RSS MB | KLayout load+render ms | of which render | RSS MB | laytest/KLayout |')
  console.log('|---|---:|---:|---:|---:|---:|---:|---:|---:|')
  for (const [label, l] of [['', runs.plain], [', annotated', runs.annotated]] as const) {
    const ours = bestOf(l)
    console.log(`| flat ${N / 1e6}M shapes${label} | ${(statSync(file).size / 1e6).toFixed(1)} | ${f(ours.totalMs)} | ${f(ours.renderMs)} | ${f(ours.rssMB)} | ` +
      (theirs ? `${f(theirs.totalMs)} | ${f(theirs.renderMs)} | ${f(theirs.rssMB)} | ${(ours.totalMs / theirs.totalMs).toFixed(2)} |` : '– | – | – | – |'))
  }
} finally {
  rmSync(dir, { recursive: true, force: true })
}
