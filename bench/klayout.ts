/** Running KLayout in batch mode as the benchmarks' peer. */
import { execFileSync, spawnSync } from 'node:child_process'
import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
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

/** pya script: read `file` (bytes already in the page cache), print elapsed ms and peak RSS as JSON. */
export const KLAYOUT_READ = `
import pya, time, json, resource
t = time.perf_counter()
ly = pya.Layout()
ly.read(file)
ms = (time.perf_counter() - t) * 1000
print(json.dumps({"ms": ms, "rssMB": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, "cells": ly.cells()}))
`
