/**
 * npm run bench:cache — a suite of 100 layout tests (vitest + laytest/vitest, spawned for real) over a family of
 * hierarchical layouts written as GDS files by a "generator" (as a Python PDK would write them): cold run (references
 * present, session cache empty), warm run (nothing changed), warm run with one leaf cell of one layout changed.
 * Prints the three wall times and the ratios to the cold run.
 */
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs'
import { cpus, tmpdir, totalmem } from 'node:os'
import { join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { execa } from 'execa'
import { writeLayout } from '../src/index.js'
import { hierLayout } from './gen.js'

const N = Number(process.env.BENCH_TESTS ?? 100)
const LEAVES = Number(process.env.BENCH_LEAVES ?? 100)
const PER_LEAF = Number(process.env.BENCH_PER_LEAF ?? 600)
const ROOT = resolve(fileURLToPath(new URL('.', import.meta.url)), '../../..')
const dir = mkdtempSync(join(tmpdir(), 'laytest-bench-cache-'))

function writeFamily(changedLeafIn: number | null): void {
  mkdirSync(join(dir, 'gen'), { recursive: true })
  for (let i = 0; i < N; i++) {
    if (changedLeafIn !== null && i !== changedLeafIn) continue
    const ly = hierLayout(LEAVES, PER_LEAF, 1000 + i)
    if (i === changedLeafIn) {
      const s = ly.getCell('leaf_3')!.layers.values().next().value!
      s.boxes.data[0]! += 1
      s.boxes.data[2]! += 1
      ly.touch()
    }
    writeFileSync(join(dir, 'gen', `chip${i}.gds`), writeLayout(ly))
  }
}

async function run(): Promise<{ s: number; code: number; line: string }> {
  const t = performance.now()
  const r = await execa(process.execPath, [join(ROOT, 'node_modules/vitest/vitest.mjs'), 'run'], { cwd: dir, reject: false, all: true, env: { CI: '', NO_COLOR: '1' } })
  const line = /laytest: .*/.exec(r.all ?? '')?.[0] ?? ''
  return { s: (performance.now() - t) / 1000, code: r.exitCode ?? -1, line }
}

try {
  mkdirSync(join(dir, 'node_modules'))
  symlinkSync(ROOT, join(dir, 'node_modules/laytest'), 'dir')
  symlinkSync(join(ROOT, 'node_modules/vitest'), join(dir, 'node_modules/vitest'), 'dir')
  writeFileSync(join(dir, 'package.json'), '{"type":"module"}')
  writeFileSync(join(dir, 'vitest.config.mjs'), "export default { test: { setupFiles: ['laytest/vitest'], reporters: ['laytest/reporter'] } }\n")
  writeFileSync(join(dir, 'family.test.mjs'), `import { test, expect } from 'vitest'
for (let i = 0; i < ${N}; i++) test('chip ' + i, async () => { await expect('gen/chip' + i + '.gds').toMatchReference('chip' + i) })
`)
  writeFamily(null)
  console.error('writing references ...', (await run()).line)
  rmSync(join(dir, 'build/session'), { recursive: true, force: true })
  const cold = await run()
  const warm = await run()
  writeFamily(0)
  const one = await run()
  console.log(`# session cache: ${N} tests, hierarchical layouts of ${LEAVES} leaves x ${PER_LEAF} shapes, as GDS files`)
  console.log(`# ${new Date().toISOString().slice(0, 10)}, ${cpus().length} x ${cpus()[0]?.model ?? '?'}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB, Node ${process.version}`)
  console.log('| run | wall s | / cold | laytest says |')
  console.log('|---|---:|---:|---|')
  for (const [name, r] of [['cold (cache empty)', cold], ['warm, unchanged', warm], ['warm, one leaf cell changed', one]] as const) {
    console.log(`| ${name} | ${r.s.toFixed(2)} | ${(r.s / cold.s).toFixed(3)} | ${r.line.replace(/ — report.*/, '')} |`)
  }
} finally {
  rmSync(dir, { recursive: true, force: true })
}
