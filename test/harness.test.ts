import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { execa } from 'execa'
import { describe, expect, test } from 'vitest'
import { ROOT, sharedNotice } from './helpers/corpus.js'
import { project, vitest } from './helpers/project.js'
import { allPairs } from './helpers/pairs.js'
import { toMatchReference } from '../src/harness/index.js'
import { referencePath } from '../src/harness/reference.js'

/*
 * The matcher as users meet it: a temporary project that imports laytest/vitest, run with the real vitest
 * binary (spawned, not mocked), in each update mode.
 */

const CHIP_TEST = `
import { test, expect } from 'vitest'
import { Layout } from 'laytest'
const chip = (w) => { const ly = new Layout(); const top = ly.newCell('TOP'); top.addBox(1, 0, 0, w, 1000).addBox(2, 0, 0, 500, 500); return ly }
test('ring chip', async () => { await expect(chip(Number(process.env.W ?? 1000))).toMatchReference() })
test('second', async () => { await expect(chip(2000)).toMatchReference('pads') })
let tries = 0
test('retried', { retry: 2 }, async () => { await expect(chip(3000)).toMatchReference(); if (++tries < 2) throw new Error('flaky') })
`

describe('toMatchReference in a real vitest run', () => {
  test('first run writes, a change fails with the table and artifacts, -u rewrites only what changed, CI never writes', async () => {
    const dir = project({ 'chip.test.mjs': CHIP_TEST })
    const ref = join(dir, 'reference/chip.test.mjs/ring-chip.gds'), pads = join(dir, 'reference/chip.test.mjs/pads.gds')

    // 1. first run: references written, tests pass
    const first = await vitest(dir)
    expect(first.code, first.out).toBe(0)
    expect(existsSync(ref) && existsSync(pads)).toBe(true)
    // a retried test uses the same reference name again, not "retried-2"
    expect(readdirSync(join(dir, 'reference/chip.test.mjs')).sort()).toEqual(['pads.gds', 'retried.gds', 'ring-chip.gds'])
    const padsTime = statSync(pads).mtimeMs
    const refBytes = readFileSync(ref)

    // 2. the same again: passes (compared, then remembered in the session cache), nothing rewritten;
    //    the third time every assertion is decided by the cache without reading a layout
    const again = await vitest(dir)
    expect(again.code).toBe(0)
    expect(again.out).toMatch(/laytest: 0 failed, 3 passed, 0 written, 0 updated(; 1 of 3 decided by the session cache)? — report/) // the retry may hit it
    expect((await vitest(dir)).out).toMatch(/3 passed, 0 written, 0 updated; 3 of 3 decided by the session cache/)
    expect(readFileSync(join(dir, 'build/session/laytest/.gitignore'), 'utf8')).toBe('*\n')
    expect(readFileSync(ref).equals(refBytes)).toBe(true)

    // 3. a changed layout fails, with the strmxor-like table and every artifact
    const changed = await vitest(dir, [], { W: '1001' })
    expect(changed.code).toBe(1)
    expect(changed.out).toMatch(/layout differs from reference reference\/chip\.test\.mjs\/ring-chip\.gds/)
    expect(changed.out).toMatch(/1\/0\s+0\.001\s+1\s+-/) // 1 x 1000 dbu^2 = 0.001 um^2
    expect(changed.out).toMatch(/-u to accept/)
    const results = join(dir, 'laytest-results', readdirSync(join(dir, 'laytest-results')).find((f) => f.includes('ring-chip'))!)
    for (const f of ['layout-expected.png', 'layout-actual.png', 'layout-diff.png', 'layout-composite.png', 'layout-xor.png', 'xor.gds', 'actual.gds', 'report.json']) {
      expect(statSync(join(results, f)).size, f).toBeGreaterThan(0)
    }
    expect(JSON.parse(readFileSync(join(results, 'report.json'), 'utf8')).layers['1/0'].xorArea).toBe(1000)
    // the reporter's index.html lists the failure first, with images and GDS links that exist
    const html = readFileSync(join(dir, 'laytest-results/index.html'), 'utf8')
    expect(html).toMatch(/<title>laytest: 1 failed, 2 passed<\/title>/)
    expect(html.indexOf('ring chip')).toBeLessThan(html.indexOf('second'))
    const links = [...html.matchAll(/(?:src|href)="([^"]+)"/g)].map((m) => m[1]!)
    expect(links.length).toBeGreaterThanOrEqual(8)
    for (const l of links) expect(existsSync(join(dir, 'laytest-results', l)), l).toBe(true)
    const summary = JSON.parse(readFileSync(join(dir, 'laytest-results/summary.json'), 'utf8'))
    expect([summary.failed, summary.passed]).toEqual([1, 2])
    expect(changed.out).toMatch(/laytest: 1 failed, 2 passed, 0 written, 0 updated; 2 of 3 decided by the session cache — report: laytest-results\/index\.html/)

    // 4. -u: the changed reference is rewritten, the unchanged one is not touched
    const update = await vitest(dir, ['-u'], { W: '1001' })
    expect(update.code, update.out).toBe(0)
    expect(readFileSync(ref).equals(refBytes)).toBe(false)
    expect(statSync(pads).mtimeMs).toBe(padsTime)
    // an updated reference is no failure: no pictures of one are left in laytest-results/ (the report links none)
    const drawn = readdirSync(join(dir, 'laytest-results')).filter((f) => existsSync(join(dir, 'laytest-results', f, 'layout-composite.png')))
    expect(drawn).toEqual([])
    expect((await vitest(dir, [], { W: '1001' })).code).toBe(0)

    // unused references are listed, and removed only when asked
    writeFileSync(join(dir, 'reference/chip.test.mjs/old.gds'), readFileSync(pads))
    expect((await vitest(dir, [], { W: '1001' })).out).toMatch(/1 reference\(s\) not used by any test .*old\.gds/)
    expect(existsSync(join(dir, 'reference/chip.test.mjs/old.gds'))).toBe(true)
    expect((await vitest(dir, [], { W: '1001', LAYTEST_REMOVE_UNUSED: '1' })).out).toMatch(/removed 1 unused reference/)
    expect(existsSync(join(dir, 'reference/chip.test.mjs/old.gds'))).toBe(false)

    // 5. CI: a missing reference fails, nothing is written under reference/, the layout is saved as an artifact
    rmSync(join(dir, 'reference'), { recursive: true })
    const ci = await vitest(dir, [], { CI: 'true' })
    expect(ci.code).toBe(1)
    expect(ci.out).toMatch(/reference reference\/chip\.test\.mjs\/ring-chip\.gds is missing, and references are not written in CI/)
    expect(existsSync(join(dir, 'reference'))).toBe(false)
    const saved = readdirSync(join(dir, 'laytest-results')).filter((f) => existsSync(join(dir, 'laytest-results', f, 'actual.gds')))
    expect(saved.length).toBeGreaterThan(0)
  }, 120_000)

  test('a corrupt reference is a clear failure naming the file; generators that fail or hang are clear failures', async () => {
    const dir = project({
      'gen.test.mjs': `
import { test, expect } from 'vitest'
test('corrupt', async () => { await expect(${JSON.stringify(join(ROOT, 'examples/ring.gds'))}).toMatchReference() })
test('generator ok', async () => { await expect({ command: [process.execPath, 'gen.mjs', '{out}'] }).toMatchReference() })
test('generator fails', async () => { await expect({ command: [process.execPath, '-e', 'console.error("boom: bad parameter"); process.exit(3)'] }).toMatchReference() })
test('generator hangs', async () => { await expect({ command: [process.execPath, '-e', 'setTimeout(() => {}, 20000)'], timeout: 500 }).toMatchReference() })
test('generator writes nothing', async () => { await expect({ command: [process.execPath, '-e', '0'] }).toMatchReference() })
`,
      'gen.mjs': `
import { Layout, writeLayoutFile } from 'laytest'
const ly = new Layout(); ly.newCell('TOP').addBox(1, 0, 0, 100, 100); writeLayoutFile(ly, process.argv[2])
`,
      'reference/gen.test.mjs/corrupt.gds': 'this is not GDSII',
    })
    const r = await vitest(dir)
    expect(r.code).toBe(1)
    expect(r.out).toMatch(/the reference cannot be read: reference\/gen\.test\.mjs\/corrupt\.gds: byte \d+/)
    expect(existsSync(join(dir, 'reference/gen.test.mjs/generator-ok.gds'))).toBe(true)
    expect(r.out).toMatch(/generator exited with code 3: .*\n.*boom: bad parameter/)
    expect(r.out).toMatch(/generator timed out after 500 ms/)
    expect(r.out).toMatch(/generator did not write \{out\}/)
    expect(r.out).toMatch(/Tests\s+4 failed \| 1 passed/)
  }, 120_000)
})

describe('laytest test: the project\'s vitest, --open-diff', () => {
  test('passes vitest\'s exit code through and sends the failures to the viewer once, after the run', async () => {
    const { startViewerServer } = await import('../src/ipc/index.js')
    const { server, port } = await startViewerServer({ port: 0 })
    try {
      const dir = project({ 'chip.test.mjs': CHIP_TEST })
      const bin = join(ROOT, 'dist/main.js')
      const run = (env: Record<string, string>, ...args: string[]) =>
        execa(process.execPath, [bin, 'test', ...args], { cwd: dir, reject: false, all: true, extendEnv: false, env: { PATH: process.env.PATH ?? '', CI: '', NO_COLOR: '1', LAYTEST_VIEWER: `127.0.0.1:${port}`, ...env } })
      expect((await run({})).exitCode).toBe(0)
      expect(server.items).toHaveLength(0)
      const failing = await run({ W: '1200' }, '--open-diff')
      expect(failing.exitCode).toBe(1)
      expect(failing.all).toMatch(/1 failure\(s\) sent to the laytest viewer at 127\.0\.0\.1:\d+/)
      expect(server.items).toHaveLength(1)
      expect(server.items[0]).toMatchObject({ kind: 'diff', title: 'chip.test.mjs › ring chip' })
      expect(Object.keys(server.items[0]!.files).sort()).toEqual(['reference', 'test', 'xor'])
      // without --open-diff nothing is sent
      await run({ W: '1200' })
      expect(server.items).toHaveLength(1)
    } finally {
      await server.close()
    }
  }, 60_000)
})

describe('every corpus pair through the matcher', () => {
  sharedNotice('the pairs-through-the-matcher test')
  const root = mkdtempSync(join(tmpdir(), 'laytest-pairs-'))
  test.each(allPairs().map((p) => [p.name, p] as const))('%s', async (_name, pair) => {
    const tops = (t: string | string[]): string[] => (typeof t === 'string' ? [t] : t)
    // the oracle is KLayout's XOR, which ignores texts (laytest compares labels by default)
    const opts = { root, topA: tops(pair.top_a), topB: tops(pair.top_b), dbuRounding: true, images: false, ignoreLabels: true }
    const ctx = { testPath: join(root, 'pairs.test.ts'), currentTestName: pair.name, snapshotState: { snapshotUpdateState: 'none' as const } }
    // the reference is side a
    const ref = referencePath(opts, ctx.testPath, pair.name)
    mkdirSync(join(ref, '..'), { recursive: true })
    writeFileSync(ref, readFileSync(pair.a))
    const r = await toMatchReference.call(ctx, pair.b, pair.name, opts)
    expect(r.pass).toBe(pair.expect_equal)
    if (!r.pass) {
      const differing = Object.entries(pair.xor).filter(([, v]) => v.area_dbu2 > 0n).map(([k]) => k)
      for (const l of differing) expect(r.message()).toMatch(new RegExp(`^${l.replace('/', '\\/')}\\s`, 'm'))
      expect(r.message()).toMatch(/artifacts: /)
    }
  })
})

describe('labels', () => {
  test('a changed pin label fails by default, reported apart from the XOR in um; ignoreLabels skips it', async () => {
    const root = mkdtempSync(join(tmpdir(), 'laytest-labels-'))
    const { Layout, writeLayout } = await import('../src/layout/index.js')
    const chip = (x: number): InstanceType<typeof Layout> => {
      const ly = new Layout()
      ly.newCell('TOP').addBox(1, 0, 0, 10000, 10000).addText(10, 'o1', x, 5000)
      return ly
    }
    const ctx = { testPath: join(root, 'l.test.ts'), currentTestName: 'pin', snapshotState: { snapshotUpdateState: 'none' as const } }
    const ref = referencePath({ root }, ctx.testPath, 'chip')
    mkdirSync(join(ref, '..'), { recursive: true })
    writeFileSync(ref, writeLayout(chip(0)))
    const moved = await toMatchReference.call(ctx, chip(2500), 'chip', { root, images: false })
    expect(moved.pass).toBe(false)
    // no geometry differs; the label does, at (0, 5) um in A and (2.5, 5) um in B
    expect(moved.message()).toMatch(/Labels differ: 1 only in A, 1 only in B/)
    expect(moved.message()).toMatch(/"o1".*\(0, 5\)/)
    expect(moved.message()).toMatch(/"o1".*\(2\.5, 5\)/)
    const ignored = await toMatchReference.call({ ...ctx, currentTestName: 'pin2' }, chip(2500), 'chip', { root, images: false, ignoreLabels: true })
    expect(ignored.pass).toBe(true)
  })
})

describe('compare modes', () => {
  test('xor decides by default; pixel only by pixels; both needs both', async () => {
    const root = mkdtempSync(join(tmpdir(), 'laytest-cmp-'))
    const { Layout, writeLayout } = await import('../src/layout/index.js')
    const chip = (w: number): InstanceType<typeof Layout> => {
      const ly = new Layout()
      ly.newCell('TOP').addBox(1, 0, 0, w, 100000)
      return ly
    }
    const ctx = { testPath: join(root, 'c.test.ts'), currentTestName: 'c', snapshotState: { snapshotUpdateState: 'none' as const } }
    const ref = referencePath({ root }, ctx.testPath, 'chip')
    mkdirSync(join(ref, '..'), { recursive: true })
    writeFileSync(ref, writeLayout(chip(100000)))
    // 1 dbu wider: far below a pixel at 256 px for a 100 um box (each call its own test: names count per test)
    const check = async (compare: 'xor' | 'pixel' | 'both'): Promise<boolean> =>
      (await toMatchReference.call({ ...ctx, currentTestName: compare }, chip(100001), 'chip', { root, compare, render: { size: 256 } })).pass
    expect(await check('xor')).toBe(false)
    expect(await check('pixel')).toBe(true)
    expect(await check('both')).toBe(false)
  })
})

describe('unused references', () => {
  test('keepUnused prefixes are neither listed nor removed', async () => {
    const { writeRunReport, removeUnused } = await import('../src/harness/report.js')
    const root = mkdtempSync(join(tmpdir(), 'laytest-keep-'))
    for (const f of ['reference/a/x.gds', 'reference/demo/y.gds']) {
      mkdirSync(join(root, f, '..'), { recursive: true })
      writeFileSync(join(root, f), 'x')
    }
    // a complete, unfiltered run of the test files "a" and "demo" (their references: reference/a/, reference/demo/)
    const s = writeRunReport({ root, keepUnused: ['reference/demo/'] }, { modules: [{ file: 'a', state: 'passed', tests: [] }, { file: 'demo', state: 'passed', tests: [] }], vetoes: [] })
    expect(s.unused).toEqual(['reference/a/x.gds'])
    removeUnused(s, { root })
    expect(existsSync(join(root, 'reference/a/x.gds'))).toBe(false)
    expect(existsSync(join(root, 'reference/demo/y.gds'))).toBe(true)
  })
})
