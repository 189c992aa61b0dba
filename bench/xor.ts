/**
 * npm run bench:xor — laytest diff vs KLayout's strmxor on the same files, in the same run.
 *
 * Cases (layouts written with laytest's own writer, bench/gen.ts):
 *   (a) flat, 1.7M shapes; B has one shape moved by 1 dbu
 *   (b) hierarchical, 496 cells / 540k stored shapes; B has one shape of one leaf cell moved by 1 dbu
 *   (c) flat, every shape moved by 1 dbu
 * Both tools run as fresh processes reading both files and deciding equal / not equal (laytest: `laytest diff`
 * as the CLI runs it; strmxor: single-threaded, tiled with `-p 500`, and tiled on both cores with
 * `-p 500 -n 2`). Wall time of the whole process, reading included. Checks that all agree on the verdict and on
 * the set of differing layers; prints the ratio laytest / strmxor for each strmxor mode.
 */
import { spawnSync } from 'node:child_process'
import { existsSync, mkdtempSync, rmSync } from 'node:fs'
import { cpus, tmpdir, totalmem } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { writeLayout, type Layout } from '../src/index.js'
import { flatLayout, hierLayout, writeDurably } from './gen.js'

const here = fileURLToPath(new URL('.', import.meta.url))
const STRMXOR = '/usr/lib/klayout/strmxor'
const N_FLAT = Number(process.env.BENCH_FLAT ?? 1_700_000)
const N_SHIFTED = Number(process.env.BENCH_SHIFTED ?? 1_700_000)
const dir = mkdtempSync(join(tmpdir(), 'laytest-bench-xor-'))

interface Run {
  ms: number
  rssMB: number | null
  equal: boolean
  layers: string[]
}

/** Moves the first shape of `layer` in `cell` by 1 dbu in x. */
function moveOne(layout: Layout, cell: string, layer: number): void {
  const s = layout.getCell(cell)!.layers.get(layer * 65536)!
  if (s.boxCount) {
    s.boxes.data[0]! += 1
    s.boxes.data[2]! += 1
  } else {
    for (let k = s.polyStarts.data[0]!; k < s.polyStarts.data[1]!; k += 2) s.polyCoords.data[k]! += 1
  }
  layout.touch()
}

function timed(cmd: string, args: string[], env: NodeJS.ProcessEnv = process.env): { ms: number; rssMB: number | null; code: number; stdout: string } {
  const useTime = existsSync('/usr/bin/time')
  const t0 = performance.now()
  const r = useTime
    ? spawnSync('/usr/bin/time', ['-f', '@@RSS %M', cmd, ...args], { encoding: 'utf8', env, maxBuffer: 1 << 26 })
    : spawnSync(cmd, args, { encoding: 'utf8', env, maxBuffer: 1 << 26 })
  const ms = performance.now() - t0
  const m = /@@RSS (\d+)/.exec(r.stderr ?? '')
  return { ms, rssMB: m ? Number(m[1]) / 1024 : null, code: r.status ?? -1, stdout: r.stdout ?? '' }
}

function laytest(a: string, b: string): Run {
  const t = timed(process.execPath, [join(here, 'xor-child.js'), a, b])
  if (t.code !== 0) throw new Error(`laytest failed: ${t.stdout}`)
  const j = JSON.parse(t.stdout.trim().split('\n').pop()!) as { equal: boolean; layers: string[]; timings: unknown }
  console.error(`  laytest timings ${JSON.stringify(j.timings)}`)
  return { ms: t.ms, rssMB: t.rssMB, equal: j.equal, layers: j.layers.sort() }
}

function strmxor(a: string, b: string, extra: string[]): Run | null {
  if (!existsSync(STRMXOR)) return null
  const t = timed(STRMXOR, [...extra, a, b], { ...process.env, LD_LIBRARY_PATH: '/usr/lib/klayout' })
  if (t.code !== 0 && t.code !== 1) throw new Error(`strmxor failed (${t.code}): ${t.stdout}`)
  // "  6/0        -            2" lines of the result summary
  const layers = [...t.stdout.matchAll(/^\s+(\d+\/\d+)\s+-\s+\d+/gm)].map((m) => m[1]!).sort()
  return { ms: t.ms, rssMB: t.rssMB, equal: /No differences found/.test(t.stdout), layers }
}

const cases: Array<[string, () => [Layout, Layout]]> = [
  [`(a) flat ${N_FLAT / 1e6}M shapes, one moved`, () => {
    const a = flatLayout(N_FLAT), b = flatLayout(N_FLAT)
    moveOne(b, 'TOP', 3)
    return [a, b]
  }],
  ['(b) hierarchical 496 cells / 540k shapes, one leaf shape moved', () => {
    const a = hierLayout(450, 1200), b = hierLayout(450, 1200)
    moveOne(b, 'leaf_17', 2)
    return [a, b]
  }],
  [`(c) flat ${N_SHIFTED / 1e6}M shapes, every shape moved`, () => [flatLayout(N_SHIFTED), flatLayout(N_SHIFTED, 1, 1)]],
]

const f = (x: number | null, d = 0): string => (x === null ? '–' : x.toFixed(d))
console.log(`# XOR: laytest diff vs KLayout strmxor (${existsSync(STRMXOR) ? 'Debian klayout' : 'not installed: laytest only'})`)
console.log(`# ${new Date().toISOString().slice(0, 10)}, ${cpus().length} x ${cpus()[0]?.model ?? '?'}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB, Node ${process.version}`)
console.log('| case | laytest s | RSS MB | strmxor s | RSS MB | -p 500 s | RSS MB | -p 500 -n 2 s | RSS MB | agree | laytest / strmxor | / -p 500 | / -p 500 -n 2 |')
console.log('|---|---:|---:|---:|---:|---:|---:|---:|---:|---|---:|---:|---:|')
try {
  for (const [name, make] of cases) {
    const [la, lb] = make()
    const a = join(dir, 'a.gds'), b = join(dir, 'b.gds')
    writeDurably(a, writeLayout(la))
    writeDurably(b, writeLayout(lb))
    console.error(`${name}: files written`)
    const ours = laytest(a, b)
    const runs = [strmxor(a, b, []), strmxor(a, b, ['-p', '500']), strmxor(a, b, ['-p', '500', '-n', '2'])]
    const peers = runs.filter((x): x is Run => x !== null)
    const agree = peers.every((p) => p.equal === ours.equal && p.layers.join() === ours.layers.join())
    const cols = runs.map((r) => `${f(r ? r.ms / 1000 : null, 2)} | ${f(r?.rssMB ?? null)}`).join(' | ')
    const ratios = runs.map((r) => (r ? f(ours.ms / r.ms, 3) : '–')).join(' | ')
    console.log(`| ${name} | ${f(ours.ms / 1000, 2)} | ${f(ours.rssMB)} | ${cols} | ` +
      `${peers.length ? (agree ? 'yes' : `NO (laytest ${ours.equal} ${ours.layers}, strmxor ${peers.map((p) => `${p.equal} ${p.layers}`).join(' / ')})`) : '–'} | ${ratios} |`)
  }
} finally {
  rmSync(dir, { recursive: true, force: true })
}
