import { execFileSync } from 'node:child_process'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { readLayout } from '../src/index.js'
import { FIXTURES, ROOT } from './helpers/corpus.js'

/*
 * The benchmarks are not run in tests (timings are never asserted), but their build must work: they are
 * compiled to build/bench (a different layout than dist/), which once broke a module that located
 * package.json relative to itself. This builds them and runs the read child on a small file.
 */
describe('benchmark scripts', () => {
  it('build, and the read child reads a file and reports what laytest reads', () => {
    execFileSync(process.execPath, [join(ROOT, 'node_modules/typescript/bin/tsc'), '-p', join(ROOT, 'tsconfig.bench.json')], { cwd: ROOT })
    const file = join(FIXTURES, 'gds/klayout__drcSimpleTests_56.gds')
    const out = JSON.parse(execFileSync(process.execPath, [join(ROOT, 'build/bench/bench/read-child.js'), file, '1'], { encoding: 'utf8' }))
    const layout = readLayout(file)
    let shapes = 0
    for (const c of layout.cells.values()) shapes += c.shapeCount
    expect(out.shapes).toBe(shapes)
    expect(out.cells).toBe(layout.cells.size)
    expect(out.ms).toBeGreaterThan(0)
    expect(out.warmMs).toBeGreaterThan(0)
    expect(out.rssMB).toBeGreaterThan(10)
  }, 120_000)
})
