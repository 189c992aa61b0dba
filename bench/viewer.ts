/**
 * npm run bench:viewer — web viewer tile latency: how long laytest's render thread takes to answer a view request
 * (render + PNG, the picture the page shows: 900 x 600) on the big benchmark layouts, from the full view down to
 * deep zoom, and KLayout's redraw of the same window (`klayout -b`: LayoutView, load_layout, max_hier, zoom_box,
 * save_image 900 x 600) in the same run.
 *
 * Layouts (bench/gen.ts, written with laytest's writer and flushed before anything is timed):
 *   hier  hierarchical chip, 450 leaves x 1200 shapes (496 cells, 540k stored shapes; what bench:read reads)
 *   flat  flat, 1.7M shapes over 10 layers (what bench:render draws)
 * Zooms: the window is the full view divided by the zoom factor in each direction, centred on BENCH_TILES
 * (default 9) seeded positions inside the layout's box; the full view is one window, drawn that many times.
 * laytest: the viewer's render backend (a worker thread, as `laytest serve` runs it). Reported separately: reading the
 * layout, its first view (drawn without waiting for the spatial indexes, which the render thread builds between
 * requests once a layout is read) and when the indexes are complete; then every window is drawn once and each figure
 * is the median over the windows. KLayout: one process per layout, every window drawn once after a warm-up redraw of
 * the full view; median of the same windows.
 */
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs'
import { cpus, tmpdir, totalmem } from 'node:os'
import { join } from 'node:path'
import type { BBox } from '../src/layout/bbox.js'
import { renderBackend } from '../src/ipc/render-pool.js'
import type { ItemSpec } from '../src/ipc/render-core.js'
import { writeLayout, type Layout } from '../src/index.js'
import { flatLayout, hierLayout, rng, writeDurably } from './gen.js'
import { klayoutVersion, runKlayout } from './klayout.js'

const TILES = Number(process.env.BENCH_TILES ?? 9)
const ZOOMS = (process.env.BENCH_ZOOMS ?? '1,4,16,64,256,1024').split(',').map(Number)
const N_FLAT = Number(process.env.BENCH_FLAT ?? 1_700_000)
const ONLY = process.env.BENCH_LAYOUTS?.split(',') ?? null
const KLAYOUT = process.env.BENCH_KLAYOUT !== '0'
const THREADS = process.env.BENCH_THREADS !== '0'
const W = 900, H = 600
const dir = mkdtempSync(join(tmpdir(), 'laytest-bench-viewer-'))

const KLAYOUT_TILES = `
import pya, time, json
lv = pya.LayoutView()
t = time.perf_counter()
lv.load_layout(file, True)
lv.max_hier()
lv.zoom_fit()
ly = lv.cellview(0).layout()
load = (time.perf_counter() - t) * 1000
t = time.perf_counter()
lv.save_image(out, int(w), int(h))
first = (time.perf_counter() - t) * 1000
ms = []
for line in open(windows):
    l, b, r, tp = [float(v) * ly.dbu for v in line.split()]
    lv.zoom_box(pya.DBox(l, b, r, tp))
    t = time.perf_counter()
    lv.save_image(out, int(w), int(h))
    ms.append((time.perf_counter() - t) * 1000)
print(json.dumps({"loadMs": load, "firstMs": first, "ms": ms}))
`

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b)
  const m = s.length >> 1
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2
}

const load = (): string => readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ')

/** The windows of a zoom level: the box divided by `zoom`, the page's aspect, centred on seeded points inside the box. */
function windows(box: BBox, zoom: number, n: number, seed: number): BBox[] {
  const bw = box[2] - box[0], bh = box[3] - box[1]
  const scale = Math.min(W / bw, H / bh) * zoom
  const ww = W / scale, wh = H / scale
  const cx0 = (box[0] + box[2]) / 2, cy0 = (box[1] + box[3]) / 2
  if (zoom === 1) return Array.from({ length: n }, () => [cx0 - ww / 2, cy0 - wh / 2, cx0 + ww / 2, cy0 + wh / 2])
  const r = rng(seed)
  return Array.from({ length: n }, () => {
    const cx = box[0] + ww / 2 + r() * Math.max(0, bw - ww), cy = box[1] + wh / 2 + r() * Math.max(0, bh - wh)
    return [cx - ww / 2, cy - wh / 2, cx + ww / 2, cy + wh / 2]
  })
}

interface Row { layout: string; zoom: number; dbuPerPx: number; ms: number[]; klayout: number[] | null }

async function benchLayout(name: string, file: string): Promise<{ rows: Row[]; readMs: number; firstMs: number; indexMs: number; klayoutLoad: number | null }> {
  const backend = renderBackend({ threads: THREADS })
  try {
    const item: ItemSpec = { key: '1:1', kind: 'load', title: name, files: { layout: file } }
    let t = performance.now()
    const info = await backend.info(item)
    const readMs = performance.now() - t
    const read = (t = performance.now())
    await backend.render(item, { which: 'reference', w: W, h: H, win: info.box })
    const firstMs = performance.now() - t
    // the spatial indexes are built between requests once the layout is read: wait for them
    await backend.prepare(item)
    const indexMs = performance.now() - read
    const all: BBox[] = []
    const rows: Row[] = []
    for (const [z, zoom] of ZOOMS.entries()) {
      const wins = windows(info.box, zoom, TILES, 100 + z)
      const ms: number[] = []
      for (const win of wins) {
        t = performance.now()
        await backend.render(item, { which: 'reference', w: W, h: H, win })
        ms.push(performance.now() - t)
      }
      const w0 = wins[0]!
      rows.push({ layout: name, zoom, dbuPerPx: Math.max((w0[2] - w0[0]) / W, (w0[3] - w0[1]) / H), ms, klayout: null })
      all.push(...wins)
    }
    let klayoutLoad: number | null = null
    if (KLAYOUT && klayoutVersion()) {
      const wf = join(dir, `${name}.windows`)
      writeDurably(wf, Buffer.from(all.map((w) => w.join(' ')).join('\n') + '\n'))
      const out = JSON.parse(runKlayout(KLAYOUT_TILES, { file, windows: wf, out: join(dir, 'klayout.png'), w: String(W), h: String(H) }).trim().split('\n').pop()!) as { loadMs: number; ms: number[] }
      klayoutLoad = out.loadMs
      rows.forEach((row, k) => (row.klayout = out.ms.slice(k * TILES, (k + 1) * TILES)))
    }
    return { rows, readMs, firstMs, indexMs, klayoutLoad }
  } finally {
    await backend.close()
  }
}

try {
  const layouts: Array<[string, () => Layout]> = [
    ['hier', () => hierLayout(450, 1200)],
    ['flat', () => flatLayout(N_FLAT)],
  ]
  const kv = KLAYOUT ? klayoutVersion() : null
  console.log(`# viewer tiles ${W}x${H}: laytest (${THREADS ? 'render worker thread' : 'inline'}) vs ${kv ?? 'KLayout (not run)'}`)
  console.log(`# ${new Date().toISOString().slice(0, 10)}, ${cpus().length} x ${cpus()[0]?.model ?? '?'}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB, Node ${process.version}, ${TILES} windows per zoom, loadavg ${load()}`)
  const f = (x: number): string => x.toFixed(x < 10 ? 1 : 0)
  for (const [name, make] of layouts) {
    if (ONLY && !ONLY.includes(name)) continue
    const file = join(dir, `${name}.gds`)
    writeDurably(file, writeLayout(make()))
    const r = await benchLayout(name, file)
    console.log(`\n## ${name}: ${(statSync(file).size / 1e6).toFixed(1)} MB; laytest read ${f(r.readMs)} ms, first view ${f(r.firstMs)} ms, ` +
      `indexes built ${f(r.indexMs)} ms after the read` +
      (r.klayoutLoad !== null ? `; KLayout load ${f(r.klayoutLoad)} ms` : '') + `; loadavg ${load()}`)
    console.log('| layout | zoom | dbu/px | laytest median ms | min | max | KLayout median ms | min | max | laytest/KLayout |')
    console.log('|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|')
    for (const row of r.rows) {
      const k = row.klayout
      console.log(`| ${row.layout} | ${row.zoom} | ${f(row.dbuPerPx)} | ${f(median(row.ms))} | ${f(Math.min(...row.ms))} | ${f(Math.max(...row.ms))} | ` +
        (k ? `${f(median(k))} | ${f(Math.min(...k))} | ${f(Math.max(...k))} | ${(median(row.ms) / median(k)).toFixed(2)} |` : '– | – | – | – |'))
    }
  }
  console.log(`\n# loadavg at the end ${load()}`)
} finally {
  rmSync(dir, { recursive: true, force: true })
}
