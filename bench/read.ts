/**
 * npm run bench:read — GDSII read speed and memory, laytest vs KLayout (`klayout -b`), measured in the same run.
 *
 * Writes two layouts with laytest's own writer into a temp folder: a flat one (1.7M shapes) and a
 * hierarchical one (450 leaf cells + blocks, ≥ 500k stored shapes), then reads each 3 times in fresh
 * processes with both tools and reports the best time, MB/s, peak RSS and the ratio laytest / KLayout.
 */
import { execFileSync } from 'node:child_process'
import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { cpus, tmpdir, totalmem } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { flatBytes, hierBytes } from './gen.js'
import { KLAYOUT_READ, klayoutVersion, runKlayout } from './klayout.js'

const RUNS = Number(process.env.BENCH_RUNS ?? 3)
const here = fileURLToPath(new URL('.', import.meta.url))
const dir = mkdtempSync(join(tmpdir(), 'laytest-bench-read-'))

interface Result {
  ms: number
  rssMB: number
}

function best(fn: () => Result): Result {
  let ms = Infinity
  let rssMB = 0
  for (let i = 0; i < RUNS; i++) {
    const r = fn()
    ms = Math.min(ms, r.ms)
    rssMB = Math.max(rssMB, r.rssMB)
  }
  return { ms, rssMB }
}

const kv = klayoutVersion()
console.log(`# GDSII read: laytest vs ${kv ?? 'KLayout (not installed: laytest only)'}`)
console.log(`# ${new Date().toISOString().slice(0, 10)}, ${cpus().length} x ${cpus()[0]?.model ?? '?'}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB, Node ${process.version}, best of ${RUNS}`)
console.log('| layout | MB | shapes | laytest ms | MB/s | RSS MB | KLayout ms | MB/s | RSS MB | laytest/KLayout |')
console.log('|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|')

const cases: [string, () => Uint8Array][] = [
  ['flat 1.7M shapes', () => flatBytes(1_700_000)],
  ['hierarchical 450 leaves x 1200', () => hierBytes(450, 1200)],
]
try {
  for (const [name, make] of cases) {
    const file = join(dir, `${name.split(' ')[0]}.gds`)
    writeFileSync(file, make())
    const mb = statSync(file).size / 1e6
    let shapes = 0
    const ours = best(() => {
      const out = JSON.parse(execFileSync(process.execPath, [join(here, 'read-child.js'), file], { encoding: 'utf8' }))
      shapes = out.shapes
      return out
    })
    const theirs = kv ? best(() => JSON.parse(runKlayout(KLAYOUT_READ, { file }).trim().split('\n').pop()!)) : null
    const f = (x: number, d = 0): string => x.toFixed(d)
    console.log(`| ${name} | ${f(mb, 1)} | ${shapes} | ${f(ours.ms)} | ${f(mb / (ours.ms / 1000))} | ${f(ours.rssMB)} | ` +
      (theirs ? `${f(theirs.ms)} | ${f(mb / (theirs.ms / 1000))} | ${f(theirs.rssMB)} | ${f(ours.ms / theirs.ms, 2)} |` : '– | – | – | – |'))
  }
} finally {
  rmSync(dir, { recursive: true, force: true })
}
