import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs'
import { connect, createServer, type AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join, relative, resolve } from 'node:path'
import { execa } from 'execa'
import { describe, expect, test } from 'vitest'
import { ROOT } from './helpers/corpus.js'
import { addFiles, project, vitest } from './helpers/project.js'
import { Layout, writeLayout } from '../src/layout/index.js'

/*
 * The harness in a project's CI, with the real vitest in temporary projects: cleanup of unused references only
 * after complete, unfiltered runs; every assertion reported (a matcher that throws, one that never finishes);
 * sharded runs merged with vitest --merge-reports into one report; fresh results each run.
 */

const CHIP = `
import { test, expect } from 'vitest'
import { Layout } from 'laytest'
const chip = (w) => { const ly = new Layout(); ly.newCell('TOP').addBox(1, 0, 0, w, 1000).addBox(2, 0, 0, 500, 500); return ly }
`

/** The GDS bytes the test files' chip(w) gives (a reference written beforehand saves a vitest run). */
function chipGds(w: number): Uint8Array {
  const ly = new Layout()
  ly.newCell('TOP').addBox(1, 0, 0, w, 1000).addBox(2, 0, 0, 500, 500)
  return writeLayout(ly)
}

interface Summary {
  total: number
  passed: number
  failed: number
  written: number
  updated: number
  tests: { total: number; passed: number; failed: number; skipped: number }
  assertions: Array<{ file: string; test: string; name: string; status: string; error?: boolean; message?: string; files?: Record<string, string> }>
  unused: string[]
  cleanup: { checked: string[]; kept: Array<{ file: string; reason: string }>; skipped: string[]; removed: string[] }
  merged?: boolean
  shard?: { index: number; count: number }
}

/** laytest's setup and reporter; one worker thread for all files, which costs a third less than a fork per file (these tests spawn vitest often). */
const CONFIG = "export default { test: { setupFiles: ['laytest/vitest'], include: ['**/*.test.mjs'], reporters: ['default', 'laytest/reporter'], pool: 'threads', isolate: false, fileParallelism: false } }\n"

const readSummary = (file: string): Summary => JSON.parse(readFileSync(file, 'utf8')) as Summary

/** Every file under a folder, relative to it. */
function filesUnder(dir: string): string[] {
  if (!existsSync(dir)) return []
  return readdirSync(dir, { recursive: true, encoding: 'utf8' }).filter((f) => statSync(join(dir, f)).isFile()).map((f) => f.split('\\').join('/')).sort()
}

/** vitest's own "Tests  2 failed | 4 passed | 1 skipped" line as counts. */
function vitestCounts(out: string): Record<string, number> {
  const line = out.split('\n').find((l) => /^\s*Tests\s/.test(l)) ?? ''
  return Object.fromEntries([...line.matchAll(/(\d+) (failed|passed|skipped)/g)].map((m) => [m[2]!, Number(m[1])]))
}

/** The src/href links of an HTML report: each must stay inside the results folder and exist. */
function checkLinks(html: string, from: string, results: string): number {
  const links = [...html.matchAll(/(?:src|href)="([^"]+)"/g)].map((m) => m[1]!)
  for (const l of links) {
    const target = resolve(from, l)
    expect(relative(results, target).startsWith('..'), `${l} leaves ${results}`).toBe(false)
    expect(existsSync(target), l).toBe(true)
  }
  return links.length
}

describe.concurrent('laytest in CI', () => {
  // (soft expectations where a later step shows more: each claim is checked even when an earlier one fails)
  test('unused references: filtered runs remove nothing; failed, throwing, timed-out and skipped tests keep theirs; a throwing matcher is a failure', async ({ expect }) => {
    const dir = project({
      'a.test.mjs': `${CHIP}
test('one', async () => { await expect(chip(1000)).toMatchReference() })
test('two', async () => { await expect(chip(2000)).toMatchReference() })
`,
      'b.test.mjs': `${CHIP}
const BREAK = !!process.env.BREAK
test('b1', async () => { await expect(chip(3000)).toMatchReference() })
// a tolerance below 0 makes the comparison throw a DiffError
test('throws', async () => { await expect(chip(4000)).toMatchReference(BREAK ? { tolerance: -1 } : {}) })
// vitest's timeout fires while the generator still runs
test('slow', { timeout: BREAK ? 1500 : 20000 }, async () => {
  await expect(BREAK ? { command: [process.execPath, '-e', 'setTimeout(() => {}, 30000)'], timeout: 20000 } : chip(5000)).toMatchReference()
})
`,
      'c.test.mjs': `${CHIP}
test('c1', async () => { await expect(chip(6000)).toMatchReference() })
;(process.env.SKIP ? test.skip : test)('c skipped', async () => { await expect(chip(7000)).toMatchReference() })
`,
    }, CONFIG)
    const refs: Record<string, Uint8Array> = {
      'reference/a.test.mjs/one.gds': chipGds(1000), 'reference/a.test.mjs/two.gds': chipGds(2000),
      'reference/b.test.mjs/b1.gds': chipGds(3000), 'reference/b.test.mjs/throws.gds': chipGds(4000), 'reference/b.test.mjs/slow.gds': chipGds(5000),
      'reference/c.test.mjs/c1.gds': chipGds(6000), 'reference/c.test.mjs/c-skipped.gds': chipGds(7000),
      // references no test uses any more
      'reference/a.test.mjs/old-a.gds': chipGds(10), 'reference/b.test.mjs/old-b.gds': chipGds(20), 'reference/c.test.mjs/old-c.gds': chipGds(30),
    }
    addFiles(dir, refs)
    const present = (): string[] => Object.keys(refs).filter((r) => existsSync(join(dir, r)))
    const all = Object.keys(refs)
    const env = { LAYTEST_REMOVE_UNUSED: '1', LAYTEST_CACHE: '0' }

    // a file filter, a test name filter (both at once: neither removes anything): nothing is removed, and the
    // output says why
    const [files, named] = await Promise.all([vitest(dir, ['a.test.mjs'], env), vitest(dir, ['-t', 'one'], env)])
    expect(files.code, files.out).toBe(0)
    expect(named.code, named.out).toBe(0)
    expect.soft(present()).toEqual(all)
    expect.soft(files.out).toMatch(/unused references were not removed: only 1 of 3 test files ran/)
    expect.soft(named.out).toMatch(/unused references were not removed: the tests were filtered by name \(-t one\)/)
    addFiles(dir, refs) // (only when the above failed: the rest is checked from the same start)

    // a complete run: a throwing matcher and a timed-out one are failures; only the completely passed file's
    // unused reference goes, listed before it is removed
    const full = await vitest(dir, [], { ...env, BREAK: '1', SKIP: '1' })
    expect(full.code).toBe(1)
    expect.soft(present()).toEqual(all.filter((r) => r !== 'reference/a.test.mjs/old-a.gds'))
    expect.soft(full.out).toMatch(/laytest: removing 1 unused reference\(s\):\n\s+reference\/a\.test\.mjs\/old-a\.gds\n(.|\n)*laytest: removed 1 unused reference/)
    expect.soft(full.out).toMatch(/kept the references of 2 test file\(s\) that did not run completely: b\.test\.mjs \(2 test\(s\) failed\), c\.test\.mjs \(1 test\(s\) skipped/)
    const s = readSummary(join(dir, 'laytest-results/summary.json'))
    const thrown = s.assertions.find((a) => a.name === 'throws')!
    expect(thrown).toMatchObject({ status: 'failed', error: true })
    expect(thrown.message).toMatch(/could not be made: DiffError: tolerance must be a non-negative number/)
    const slow = s.assertions.find((a) => a.name === 'slow')!
    expect(slow.status).toBe('failed')
    expect(slow.message).toMatch(/testTimeout/)
    expect([s.failed, s.passed, s.total]).toEqual([2, 4, 6])
    // laytest's counts of layout tests are vitest's
    const v = vitestCounts(full.out)
    expect(v).toEqual({ failed: 2, passed: 4, skipped: 1 })
    expect(s.tests).toEqual({ total: 6, failed: 2, passed: 4, skipped: 0 })
    expect(s.cleanup.removed).toEqual(['reference/a.test.mjs/old-a.gds'])
    const html = readFileSync(join(dir, 'laytest-results/index.html'), 'utf8')
    expect(html).toMatch(/<title>laytest: 2 failed, 4 passed<\/title>/)
    expect(html).toMatch(/class="failed"><span class="badge">error<\/span> b\.test\.mjs › throws/)
  }, 120_000)

  test('two shards and vitest --merge-reports: one complete report; shards do not overwrite each other or collide', async ({ expect }) => {
    const files: Record<string, string> = {}
    for (const n of [1, 2, 3, 4]) {
      files[`s${n}.test.mjs`] = `${CHIP}
test('ok', async () => { await expect(chip(${n}000)).toMatchReference() })
test('differs', async () => { await expect(chip(${n}001)).toMatchReference() })
`
    }
    const dir = project(files, CONFIG)
    for (const n of [1, 2, 3, 4]) addFiles(dir, { [`reference/s${n}.test.mjs/differs.gds`]: chipGds(n * 1000) })
    const shard = (i: number): Promise<{ code: number; out: string }> =>
      // the README's flags: the blob path is explicit (vitest 4 defaults to .vitest-reports/, vitest 5 to .vitest/blob/)
      vitest(dir, [`--shard=${i}/2`, '--reporter=default', '--reporter=blob', `--outputFile.blob=.vitest-reports/blob-${i}.json`, '--reporter=laytest/reporter'], { LAYTEST_CACHE: '0' })
    // both shards at once, in the same folder
    const [one, two] = await Promise.all([shard(1), shard(2)])
    expect(one.code).toBe(1)
    expect(two.code).toBe(1)
    const results = join(dir, 'laytest-results')
    // each shard's report in its own folder: neither overwrites the other
    const shardSummary = (i: number): Summary | null => {
      const f = join(results, `shard-${i}-of-2/summary.json`)
      return existsSync(f) ? readSummary(f) : null
    }
    const s1 = shardSummary(1), s2 = shardSummary(2)
    expect.soft(s1?.shard).toEqual({ index: 1, count: 2 })
    expect.soft(s2?.shard).toEqual({ index: 2, count: 2 })
    expect.soft((s1?.total ?? 0) + (s2?.total ?? 0)).toBe(8)
    expect.soft(s1?.cleanup.skipped.join()).toMatch(/this is shard 1 of 2/)
    expect.soft(existsSync(join(results, 'summary.json'))).toBe(false)
    expect.soft(one.out).toMatch(/report: laytest-results\/shard-1-of-2\/index\.html/)
    // what CI downloads from each shard into one folder: no path in common
    const folders = (s: Summary | null): string[] => s?.assertions.flatMap((a) => (a.files ? [a.files.folder] : [])) ?? []
    expect.soft(folders(s1).length + folders(s2).length).toBe(4)
    expect.soft(folders(s1).filter((f) => folders(s2).includes(f))).toEqual([])
    if (s1) checkLinks(readFileSync(join(results, 'shard-1-of-2/index.html'), 'utf8'), join(results, 'shard-1-of-2'), results)

    // the merge job: blob reports and every shard's laytest-results/ in one place
    const stepSummary = join(mkdtempSync(join(tmpdir(), 'laytest-gh-')), 'summary.md')
    writeFileSync(stepSummary, '')
    expect(readdirSync(join(dir, '.vitest-reports')).sort()).toEqual(['blob-1.json', 'blob-2.json'])
    const merged = await vitest(dir, ['--merge-reports=.vitest-reports'], {
      GITHUB_STEP_SUMMARY: stepSummary, GITHUB_SERVER_URL: 'https://github.com', GITHUB_REPOSITORY: 'o/r', GITHUB_RUN_ID: '42',
    })
    expect(merged.code).toBe(1)
    const m = readSummary(join(results, 'summary.json'))
    expect([m.total, m.failed, m.written]).toEqual([8, 4, 4])
    expect(m.merged).toBe(true)
    for (const k of ['total', 'passed', 'failed', 'written', 'updated'] as const) expect(m[k], k).toBe(s1![k] + s2![k])
    expect(m.tests.total).toBe(s1!.tests.total + s2!.tests.total)
    expect(merged.out).toMatch(/laytest: 4 failed, 0 passed, 4 written, 0 updated — report: laytest-results\/index\.html/)
    // the shards' artifacts are the merge's input: still there, and linked from the merged report
    const html = readFileSync(join(results, 'index.html'), 'utf8')
    expect(checkLinks(html, results, results)).toBeGreaterThanOrEqual(4 * 8)
    for (const f of [...folders(s1), ...folders(s2)]) expect(existsSync(join(results, f, 'expected.gds')), f).toBe(true)
    // GitHub's job summary: the failed layouts, their XOR in µm², where their files are
    const md = readFileSync(stepSummary, 'utf8')
    expect(md).toMatch(/### laytest \(merged shards\): ❌ 4 failed/)
    expect(md).toMatch(/\| s1\.test\.mjs › differs \| `reference\/s1\.test\.mjs\/differs\.gds` \| 1\/0: 0\.001 \| `laytest-results\/s1\.test\.mjs-differs\/` \|/)
    expect(md).toMatch(/\| 1\/0 \| 0\.001 \| 1 \| – \| \(1, 0\) \.\. \(1\.001, 1\) \|/)
    expect(md).toContain('(https://github.com/o/r/actions/runs/42#artifacts)')
  }, 120_000)

  test('fresh results: stale failure folders go at the start of a run; a shard clears only its own test files\' folders', async ({ expect }) => {
    const src = (n: string): string => `${CHIP}
test('${n}', async () => { await expect(chip(Number(process.env.W ?? 1000))).toMatchReference() })
`
    const dir = project({ 'x.test.mjs': src('x'), 'y.test.mjs': src('y') }, CONFIG)
    addFiles(dir, { 'reference/x.test.mjs/x.gds': chipGds(1000), 'reference/y.test.mjs/y.gds': chipGds(1000) })
    const results = join(dir, 'laytest-results')
    const failing = await vitest(dir, [], { W: '1001', LAYTEST_CACHE: '0' })
    expect(failing.code).toBe(1)
    expect(existsSync(join(results, 'x.test.mjs-x/actual.gds')) && existsSync(join(results, 'y.test.mjs-y/actual.gds'))).toBe(true)
    // a failure folder of a test file that no longer exists, and a file of the user's
    cpSync(join(results, 'x.test.mjs-x'), join(results, 'gone.test.mjs-gone'), { recursive: true })
    writeFileSync(join(results, 'gone.test.mjs-gone/assertion.json'), JSON.stringify({ file: 'gone.test.mjs', test: 'gone', name: 'gone', status: 'failed' }))
    writeFileSync(join(results, 'notes.txt'), 'mine')

    // one shard, passing: its own test file's folder goes, the other shard's and the unknown one stay
    const sharded = await vitest(dir, ['--shard=1/2'], { LAYTEST_CACHE: '0' })
    expect(sharded.code, sharded.out).toBe(0)
    expect.soft(['x', 'y'].filter((n) => existsSync(join(results, `${n}.test.mjs-${n}/actual.gds`))), 'one of the two folders').toHaveLength(1)
    expect.soft(existsSync(join(results, 'gone.test.mjs-gone'))).toBe(true)

    // a whole run, passing: every stale failure folder and the shard's report are gone; references and the user's file stay
    const passing = await vitest(dir, [], { LAYTEST_CACHE: '0' })
    expect(passing.code, passing.out).toBe(0)
    expect(filesUnder(results)).toEqual(['index.html', 'notes.txt', 'summary.json'])
    expect(filesUnder(join(dir, 'reference'))).toEqual(['x.test.mjs/x.gds', 'y.test.mjs/y.gds'])
  }, 120_000)
})

describe('laytest open-diff starting a viewer', () => {
  test('prints the viewer\'s URL, PID and how to stop it', async () => {
    const probe = createServer()
    await new Promise<void>((r) => probe.listen(0, '127.0.0.1', () => r()))
    const port = (probe.address() as AddressInfo).port
    await new Promise<void>((r) => probe.close(() => r()))
    const dir = mkdtempSync(join(tmpdir(), 'laytest-opendiff-'))
    const gds = join(ROOT, 'examples/ring.gds'), gds2 = join(ROOT, 'examples/ring-v2.gds')
    const summary = join(dir, 'summary.json')
    writeFileSync(summary, JSON.stringify({ assertions: [{ status: 'failed', file: 'a.test.ts', test: 'ring', name: 'ring', reference: gds, results: dir }] }))
    writeFileSync(join(dir, 'actual.gds'), readFileSync(gds2))
    const r = await execa(process.execPath, [join(ROOT, 'dist/main.js'), 'open-diff', summary, '--port', String(port)], { cwd: dir, reject: false, all: true })
    const pid = Number(/pid (\d+)/.exec(r.all ?? '')?.[1])
    try {
      expect(r.exitCode, r.all).toBe(0)
      expect(r.stdout).toMatch(/1 failure\(s\) sent to the laytest viewer/)
      expect(r.stdout).toMatch(new RegExp(`started a viewer \\(laytest serve --port ${port}, pid ${pid}\\) listening on 127\\.0\\.0\\.1:${port}; web viewer: http://127\\.0\\.0\\.1:\\d+`))
      expect(r.stdout).toContain(`stop it with: laytest serve --stop --port ${port}`)
      // and that stops it
      const stop = await execa(process.execPath, [join(ROOT, 'dist/main.js'), 'serve', '--stop', '--port', String(port)], { reject: false, all: true })
      expect(stop.stdout, stop.all).toBe(`laytest: stopped the viewer on 127.0.0.1:${port} (pid ${pid})`)
      // nothing listens on the port any more (the process itself may linger as a zombie: its parent, the
      // open-diff command, has exited, and the container's init may not reap it)
      await new Promise((r) => setTimeout(r, 300))
      const refused = await new Promise<boolean>((r) => {
        const s = connect(port, '127.0.0.1')
        s.on('connect', () => {
          s.destroy()
          r(false)
        })
        s.on('error', () => r(true))
      })
      expect(refused).toBe(true)
    } finally {
      try {
        if (pid > 0) process.kill(pid, 'SIGTERM')
      } catch {
        // already stopped
      }
    }
  }, 30_000)
})
