/**
 * npm run bench:render — laytest's renderer vs KLayout's (`klayout -b`: LayoutView, load_layout, save_image),
 * on the flat 1.7M-shape benchmark layout at 2048 x 2048, in the same run. Both times include reading the file
 * (bytes in the page cache) and writing the PNG; best of BENCH_RUNS (default 3) fresh processes each.
 */
import { execFileSync } from 'node:child_process'
import { mkdtempSync, rmSync, statSync } from 'node:fs'
import { cpus, tmpdir, totalmem } from 'node:os'
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

interface Run { totalMs: number; renderMs: number; rssMB: number }

function best(fn: () => Run): Run {
  let b: Run = { totalMs: Infinity, renderMs: Infinity, rssMB: 0 }
  for (let i = 0; i < RUNS; i++) {
    const r = fn()
    if (r.totalMs < b.totalMs) b = { ...r, rssMB: Math.max(b.rssMB, r.rssMB) }
  }
  return b
}

try {
  const file = join(dir, 'flat.gds')
  writeDurably(file, flatBytes(N))
  const kv = klayoutVersion()
  console.log(`# render ${SIZE}x${SIZE}: laytest vs ${kv ?? 'KLayout (not installed: laytest only)'}`)
  console.log(`# ${new Date().toISOString().slice(0, 10)}, ${cpus().length} x ${cpus()[0]?.model ?? '?'}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB, Node ${process.version}, best of ${RUNS}`)
  const ours = best(() => JSON.parse(execFileSync(process.execPath, [join(here, 'render-child.js'), file, join(dir, 'laytest.png'), String(SIZE)], { encoding: 'utf8' })))
  const theirs = kv ? best(() => JSON.parse(runKlayout(KLAYOUT_RENDER, { file, out: join(dir, 'klayout.png'), size: String(SIZE) }).trim().split('\n').pop()!)) : null
  const f = (x: number): string => x.toFixed(0)
  console.log('| layout | MB | laytest read+render+png ms | of which render | RSS MB | KLayout load+render ms | of which render | RSS MB | laytest/KLayout |')
  console.log('|---|---:|---:|---:|---:|---:|---:|---:|---:|')
  console.log(`| flat ${N / 1e6}M shapes | ${(statSync(file).size / 1e6).toFixed(1)} | ${f(ours.totalMs)} | ${f(ours.renderMs)} | ${f(ours.rssMB)} | ` +
    (theirs ? `${f(theirs.totalMs)} | ${f(theirs.renderMs)} | ${f(theirs.rssMB)} | ${(ours.totalMs / theirs.totalMs).toFixed(2)} |` : '– | – | – | – |'))
} finally {
  rmSync(dir, { recursive: true, force: true })
}
