/**
 * npm run bench:read — GDSII read speed and memory, laytest vs KLayout (`klayout -b`), measured in the same run.
 *
 * Writes two layouts with laytest's own writer into a temp folder: a flat one (1.7M shapes) and a
 * hierarchical one (450 leaf cells + blocks, ≥ 500k stored shapes), flushed to disk so that write-back does not
 * run during the timings. Each tool then reads each file in RUNS fresh processes: the best first read ("cold",
 * what `laytest diff` on the command line pays) and, in the same processes, the best of WARM more reads
 * ("warm", what a test run reading many layouts in one worker pays). Reading the file is timed for both tools.
 */
import { execFileSync } from 'node:child_process'
import { mkdtempSync, rmSync, statSync } from 'node:fs'
import { cpus, tmpdir, totalmem } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { flatBytes, hierBytes, writeDurably } from './gen.js'
import { KLAYOUT_READ, klayoutVersion, runKlayout } from './klayout.js'

const RUNS = Number(process.env.BENCH_RUNS ?? 5)
const WARM = Number(process.env.BENCH_WARM ?? 3)
const here = fileURLToPath(new URL('.', import.meta.url))
const dir = mkdtempSync(join(tmpdir(), 'laytest-bench-read-'))

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

const kv = klayoutVersion()
console.log(`# GDSII read: laytest vs ${kv ?? 'KLayout (not installed: laytest only)'}`)
console.log(`# ${new Date().toISOString().slice(0, 10)}, ${cpus().length} x ${cpus()[0]?.model ?? '?'}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB, Node ${process.version}, ` +
  `best of ${RUNS} processes, warm = best of ${WARM} more reads per process`)
console.log('| layout | MB | shapes | laytest cold ms | MB/s | warm ms | RSS MB | KLayout cold ms | MB/s | warm ms | RSS MB | cold ratio | warm ratio |')
console.log('|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|')

const cases: [string, () => Uint8Array][] = [
  ['flat 1.7M shapes', () => flatBytes(1_700_000)],
  ['hierarchical 450 leaves x 1200', () => hierBytes(450, 1200)],
]
try {
  for (const [name, make] of cases) {
    const file = join(dir, `${name.split(' ')[0]}.gds`)
    writeDurably(file, make())
    const mb = statSync(file).size / 1e6
    let shapes = 0
    const [ours, theirs] = bestInterleaved([
      () => {
        const out = JSON.parse(execFileSync(process.execPath, [join(here, 'read-child.js'), file, String(WARM)], { encoding: 'utf8' }))
        shapes = out.shapes
        return out
      },
      kv ? () => JSON.parse(runKlayout(KLAYOUT_READ, { file, warm: String(WARM) }).trim().split('\n').pop()!) : null,
    ]) as [Result, Result | null]
    const f = (x: number, d = 0): string => x.toFixed(d)
    console.log(`| ${name} | ${f(mb, 1)} | ${shapes} | ${f(ours.ms)} | ${f(mb / (ours.ms / 1000))} | ${f(ours.warmMs)} | ${f(ours.rssMB)} | ` +
      (theirs
        ? `${f(theirs.ms)} | ${f(mb / (theirs.ms / 1000))} | ${f(theirs.warmMs)} | ${f(theirs.rssMB)} | ${f(ours.ms / theirs.ms, 2)} | ${f(ours.warmMs / theirs.warmMs, 2)} |`
        : '– | – | – | – | – | – |'))
  }
} finally {
  rmSync(dir, { recursive: true, force: true })
}
