/**
 * npm run bench:read — read speed and memory, laytest vs KLayout (`klayout -b`), measured in the same run, for
 * GDSII and for OASIS.
 *
 * Two layouts written with laytest's own writer: a flat one (1.7M shapes) and a hierarchical one (450 leaf cells
 * + blocks, ≥ 500k stored shapes); and the same two written as OASIS by KLayout (`strm2oas --cblocks`, as
 * KLayout and kfactory write OASIS). The files are generated once and kept in BENCH_DATA (default
 * build/bench-data/, named by a hash of the GDS bytes: a change to bench/gen.ts or to laytest's writer makes new
 * ones; strm2oas runs only for a GDS file it has not converted yet), flushed to disk so that write-back does not
 * run during the timings. OASIS stores a path's half-width, and strm2oas refuses a path of odd width: the flat
 * layout's 42k odd-width paths (of 85k) are made 1 dbu wider in the GDS file that strm2oas converts
 * (`<stem>-<hash>.even.gds`, same shapes otherwise; removed once converted). Each tool then reads each file in
 * RUNS fresh processes: the best first read ("cold", what `laytest diff` on the command line pays) and, in the
 * same processes, the best of WARM more reads ("warm", what a test run reading many layouts in one worker pays).
 * Reading the file is timed for both tools; the last column is /proc/loadavg before / after each row.
 *
 * BENCH_FORMATS=gds,oas (default both) picks the tables.
 */
import { createHash } from 'node:crypto'
import { execFileSync } from 'node:child_process'
import { existsSync, mkdirSync, readdirSync, renameSync, rmSync, statSync } from 'node:fs'
import { cpus, loadavg, totalmem } from 'node:os'
import { join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { writeLayout, type Layout } from '../src/index.js'
import { flatLayout, hierLayout, writeDurably } from './gen.js'
import { KLAYOUT_READ, klayoutVersion, runKlayout } from './klayout.js'

const RUNS = Number(process.env.BENCH_RUNS ?? 5)
const WARM = Number(process.env.BENCH_WARM ?? 3)
const FORMATS = (process.env.BENCH_FORMATS ?? 'gds,oas').split(',').map((s) => s.trim())
const here = fileURLToPath(new URL('.', import.meta.url))
const ROOT = resolve(here, '../../..')
const DATA = resolve(process.env.BENCH_DATA ?? join(ROOT, 'build/bench-data'))
const STRM2OAS = '/usr/lib/klayout/strm2oas'

interface Result {
  ms: number
  warmMs: number
  rssMB: number
}

/** Best of RUNS for each tool, the tools' runs interleaved so that a slower phase of the machine hits both. */
function bestInterleaved(tools: Array<(() => Result) | null>): Array<Result | null> {
  const out = tools.map((t): Result | null => (t ? { ms: Infinity, warmMs: Infinity, rssMB: 0 } : null))
  for (let i = 0; i < RUNS; i++) {
    tools.forEach((t, k) => {
      if (!t) return
      const x = t(), r = out[k]!
      r.ms = Math.min(r.ms, x.ms)
      r.warmMs = Math.min(r.warmMs, x.warmMs ?? Infinity)
      r.rssMB = Math.max(r.rssMB, x.rssMB)
    })
  }
  return out
}

/** Paths of odd width made 1 dbu wider (OASIS stores half-widths); true when there were any. */
function evenPathWidths(layout: Layout): boolean {
  let any = false
  for (const c of layout.cells.values()) {
    for (const s of c.layers.values()) {
      const q = s.pathParams.data
      for (let i = 0; i < s.pathCount; i++) {
        if (q[4 * i]! % 2 !== 0) {
          q[4 * i]! += Math.sign(q[4 * i]!)
          any = true
        }
      }
    }
  }
  if (any) layout.touch()
  return any
}

function writeOnce(file: string, bytes: () => Uint8Array): void {
  if (existsSync(file)) return
  writeDurably(`${file}.tmp`, bytes())
  renameSync(`${file}.tmp`, file)
}

/**
 * The benchmark's GDS file `<stem>-<hash>.gds` in DATA (written when missing; other versions of it removed), or
 * for `oas` KLayout's conversion of it, `<stem>-<hash>.cblocks.oas` (made when missing).
 */
function benchFile(stem: string, make: () => Layout, format: 'gds' | 'oas'): string {
  mkdirSync(DATA, { recursive: true })
  const layout = make()
  const bytes = writeLayout(layout)
  const hash = createHash('sha256').update(bytes).digest('hex').slice(0, 16)
  for (const f of readdirSync(DATA)) {
    if (f.startsWith(`${stem}-`) && !f.startsWith(`${stem}-${hash}.`)) rmSync(join(DATA, f), { force: true })
  }
  const gds = join(DATA, `${stem}-${hash}.gds`)
  writeOnce(gds, () => bytes)
  if (format === 'gds') return gds
  const oas = join(DATA, `${stem}-${hash}.cblocks.oas`)
  if (!existsSync(oas)) {
    let source = gds
    if (evenPathWidths(layout)) writeOnce((source = join(DATA, `${stem}-${hash}.even.gds`)), () => writeLayout(layout))
    console.error(`# converting ${source} with strm2oas --cblocks ...`)
    execFileSync(STRM2OAS, ['--cblocks', source, `${oas}.tmp`], { env: { ...process.env, LD_LIBRARY_PATH: '/usr/lib/klayout' }, stdio: ['ignore', 'ignore', 'inherit'] })
    // flushed to disk like the GDS files (strm2oas does not sync)
    execFileSync('sync', [`${oas}.tmp`])
    renameSync(`${oas}.tmp`, oas)
    if (source !== gds) rmSync(source, { force: true })
  }
  return oas
}

const kv = klayoutVersion()
const load = (): string => loadavg().map((x) => x.toFixed(2)).join(' ')
const cases: [string, string, () => Layout][] = [
  ['flat 1.7M shapes', 'flat', () => flatLayout(1_700_000)],
  ['hierarchical 450 leaves x 1200', 'hier', () => hierLayout(450, 1200)],
]
const f = (x: number, d = 0): string => x.toFixed(d)

for (const format of ['gds', 'oas'] as const) {
  if (!FORMATS.includes(format)) continue
  if (format === 'oas' && !existsSync(STRM2OAS)) {
    console.log(`# OASIS read: skipped (${STRM2OAS} is not installed: the OASIS files are made by KLayout)`)
    continue
  }
  console.log(format === 'gds'
    ? `# GDSII read: laytest vs ${kv ?? 'KLayout (not installed: laytest only)'}`
    : `# OASIS read (written by KLayout: strm2oas --cblocks): laytest vs ${kv ?? 'KLayout (not installed: laytest only)'}`)
  console.log(`# ${new Date().toISOString().slice(0, 10)}, ${cpus().length} x ${cpus()[0]?.model ?? '?'}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB, Node ${process.version}, ` +
    `best of ${RUNS} processes, warm = best of ${WARM} more reads per process; load = /proc/loadavg before and after the row`)
  console.log('| layout | MB | shapes | laytest cold ms | MB/s | warm ms | RSS MB | KLayout cold ms | MB/s | warm ms | RSS MB | cold ratio | warm ratio | load |')
  console.log('|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|')
  for (const [name, stem, make] of cases) {
    const file = benchFile(stem, make, format)
    const mb = statSync(file).size / 1e6
    let shapes = 0
    let kshapes: number | null = null
    const before = load()
    const [ours, theirs] = bestInterleaved([
      () => {
        const out = JSON.parse(execFileSync(process.execPath, [join(here, 'read-child.js'), file, String(WARM)], { encoding: 'utf8' }))
        shapes = out.shapes
        return out
      },
      kv ? () => {
        const out = JSON.parse(runKlayout(KLAYOUT_READ, { file, warm: String(WARM), count: kshapes === null ? '1' : '0' }).trim().split('\n').pop()!)
        if (out.shapes !== null) kshapes = out.shapes
        return out
      } : null,
    ]) as [Result, Result | null]
    console.log(`| ${name} | ${f(mb, 1)} | ${shapes} | ${f(ours.ms)} | ${f(mb / (ours.ms / 1000))} | ${f(ours.warmMs)} | ${f(ours.rssMB)} | ` +
      (theirs
        ? `${f(theirs.ms)} | ${f(mb / (theirs.ms / 1000))} | ${f(theirs.warmMs)} | ${f(theirs.rssMB)} | ${f(ours.ms / theirs.ms, 2)} | ${f(ours.warmMs / theirs.warmMs, 2)} |`
        : '– | – | – | – | – | – |') + ` ${before} / ${load()} |`)
    if (kshapes !== null && kshapes !== shapes) console.log(`# MISMATCH: KLayout read ${kshapes} shapes from ${file}, laytest ${shapes}`)
  }
}
