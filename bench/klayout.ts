/** Running KLayout in batch mode as the benchmarks' peer. */
import { execFileSync, spawnSync } from 'node:child_process'
import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { PY_PEAK_RSS } from './rss.js'
import { join } from 'node:path'

export function klayoutVersion(): string | null {
  const r = spawnSync('klayout', ['-b', '-v'], { encoding: 'utf8' })
  return r.status === 0 ? r.stdout.trim() : null
}

/** Runs a pya script with `klayout -b -r`; `$ARGS` are passed as `-rd name=value`. Returns stdout. */
export function runKlayout(script: string, vars: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'laytest-bench-'))
  const file = join(dir, 'script.py')
  writeFileSync(file, script)
  const args = ['-b', '-r', file]
  for (const [k, v] of Object.entries(vars)) args.push('-rd', `${k}=${v}`)
  return execFileSync('klayout', args, { encoding: 'utf8', maxBuffer: 1 << 26, env: { ...process.env, QT_QPA_PLATFORM: 'offscreen' } })
}

/**
 * pya script: read `file` (bytes in the page cache) into a new Layout; print the first read's ms, the best of
 * `warm` further reads in the same process, and peak RSS as JSON; with `count=1` also the number of shapes stored
 * in all cells (counted after the timings: `Shapes.size()`, texts included, a shape array as one), else null.
 */
export const KLAYOUT_READ = `
import pya, time, json
${PY_PEAK_RSS}
def once():
    t = time.perf_counter()
    ly = pya.Layout()
    ly.read(file)
    return (time.perf_counter() - t) * 1000, ly
ms, ly = once()
rss = peak_rss_mb()
cells = ly.cells()
shapes = None
if globals().get("count", "0") == "1":
    shapes = 0
    for c in ly.each_cell():
        for li in ly.layer_indexes():
            shapes += c.shapes(li).size()
ly = None
n = int(globals().get("warm", "0"))
warm = min(once()[0] for _ in range(n)) if n else None
print(json.dumps({"ms": ms, "warmMs": warm, "rssMB": rss, "cells": cells, "shapes": shapes}))
`
