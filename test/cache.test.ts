import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, truncateSync, utimesSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { execa } from 'execa'
import { describe, expect, test } from 'vitest'
import { CacheStore } from '../src/cache/index.js'
import { toMatchReference } from '../src/harness/index.js'
import { referencePath } from '../src/harness/reference.js'
import { Layout, writeLayout } from '../src/layout/index.js'
import { ROOT } from './helpers/corpus.js'

/* The session cache: hits, corruption (never a false pass), concurrency between processes, eviction. */

const tmp = (): string => mkdtempSync(join(tmpdir(), 'laytest-cache-'))

function entryFiles(dir: string): string[] {
  const root = join(dir, 'entries')
  return readdirSync(root).flatMap((d) => readdirSync(join(root, d)).map((f) => join(root, d, f)))
}

describe('CacheStore', () => {
  test('round trip; a corrupt, truncated or deleted entry is a miss, never a hit', () => {
    const dir = tmp()
    const c = new CacheStore({ dir })
    c.put('k1', 'hello')
    c.put('k2', 'world')
    c.put('k3', 'again')
    expect(c.get('k1')?.toString()).toBe('hello')
    const [f1, f2, f3] = entryFiles(dir).sort()
    const b = readFileSync(f1!)
    b[b.length - 1] ^= 1
    writeFileSync(f1!, b)
    truncateSync(f2!, 10)
    writeFileSync(f3!, '')
    const got = ['k1', 'k2', 'k3'].map((k) => c.get(k))
    expect(got.filter((g) => g !== null).length).toBe(0)
    expect(c.hits).toBe(1)
    expect(c.misses).toBe(3)
    expect(readFileSync(join(dir, '.gitignore'), 'utf8')).toBe('*\n')
  })

  test('eviction keeps the size under the cap, least recently used first', () => {
    const dir = tmp()
    const c = new CacheStore({ dir, maxBytes: 20_000 })
    for (let i = 0; i < 50; i++) c.put(`k${i}`, 'x'.repeat(1000))
    // make the entries' ages distinct, then use k0 again
    entryFiles(dir).forEach((f, i) => utimesSync(f, new Date(1e12 + i * 1000), new Date(1e12 + i * 1000)))
    expect(c.get('k0')).not.toBeNull()
    c.prune()
    expect(c.stats().bytes).toBeLessThanOrEqual(20_000)
    expect(c.get('k0')).not.toBeNull()
    expect(c.stats().entries).toBeLessThan(50)
  })

  test('two processes hammering one cache leave it consistent', async () => {
    const dir = tmp()
    const script = `
      import { CacheStore } from ${JSON.stringify(join(ROOT, 'dist/cache/index.js'))}
      const c = new CacheStore({ dir: ${JSON.stringify(dir)} })
      for (let i = 0; i < 400; i++) {
        const k = 'key' + (i % 50)
        c.put(k, 'value of ' + k + ' '.repeat(i % 7 * 100))
        const v = c.get('key' + ((i * 7) % 50))
        if (v && !v.toString().startsWith('value of key' + ((i * 7) % 50))) { console.error('WRONG', v.toString()); process.exit(3) }
      }
      c.recordStats()`
    const runs = await Promise.all([0, 1].map(() => execa(process.execPath, ['--input-type=module', '-e', script], { reject: false, all: true })))
    for (const r of runs) expect(r.exitCode, r.all).toBe(0)
    const c = new CacheStore({ dir })
    for (let i = 0; i < 50; i++) expect(c.get(`key${i}`)?.toString().startsWith(`value of key${i}`)).toBe(true)
    expect(readdirSync(join(dir, 'entries')).flatMap((d) => readdirSync(join(dir, 'entries', d))).filter((f) => f.endsWith('.tmp'))).toEqual([])
    const rec = c.recorded()
    expect(rec.hits + rec.misses).toBe(800)
  }, 60_000)
})

describe('the matcher with the cache', () => {
  const chip = (w: number): Layout => {
    const ly = new Layout()
    ly.newCell('TOP').addBox(1, 0, 0, w, 1000)
    return ly
  }

  test('an unchanged layout passes from the cache; a changed one fails even with every cache file corrupted', async () => {
    const root = tmp()
    const cacheDir = join(root, 'cache')
    const testPath = join(root, 'x.test.ts')
    const ref = referencePath({ root }, testPath, 'chip')
    mkdirSync(join(ref, '..'), { recursive: true })
    writeFileSync(ref, writeLayout(chip(1000)))
    const file = join(root, 'chip.gds')
    writeFileSync(file, writeLayout(chip(1000)))
    let n = 0
    const check = async (input: string | Layout): Promise<boolean> => {
      const ctx = { testPath, currentTestName: `t${n++}`, snapshotState: { snapshotUpdateState: 'none' as const } }
      return (await toMatchReference.call(ctx, input, 'chip', { root, cache: { dir: cacheDir }, images: false })).pass
    }
    const store = new CacheStore({ dir: cacheDir })
    expect(await check(file)).toBe(true) // compared, remembered
    store.resetRecorded()
    expect(await check(file)).toBe(true) // from the cache
    expect(await check(chip(1000))).toBe(true)
    const rec = store.recorded()
    expect(rec.hits).toBeGreaterThan(0)
    // the changed layout: every cache file garbled or truncated, in turn
    writeFileSync(file, writeLayout(chip(1001)))
    for (const damage of ['garble', 'truncate', 'empty']) {
      for (const f of entryFiles(cacheDir)) {
        if (damage === 'garble') writeFileSync(f, readFileSync(f).map((b, i) => (i > 80 ? b ^ 0x55 : b)))
        else if (damage === 'truncate') truncateSync(f, Math.floor(statSync(f).size / 2))
        else writeFileSync(f, '')
      }
      expect(await check(file), damage).toBe(false)
      expect(await check(chip(1001)), damage).toBe(false)
      expect(await check(chip(1000)), damage).toBe(true)
    }
  })

  test('laytest cache stats --json / clear', async () => {
    const dir = tmp()
    const c = new CacheStore({ dir })
    c.put('a', 'x')
    c.get('a')
    c.get('b')
    c.recordStats()
    const bin = join(ROOT, 'dist/main.js')
    const r = await execa(process.execPath, [bin, 'cache', 'stats', '--json', '--dir', dir])
    expect(JSON.parse(r.stdout)).toMatchObject({ entries: 1, hits: 1, misses: 1 })
    expect(JSON.parse(r.stdout).bytes).toBeGreaterThan(0)
    await execa(process.execPath, [bin, 'cache', 'clear', '--dir', dir])
    expect(JSON.parse((await execa(process.execPath, [bin, 'cache', 'stats', '--json', '--dir', dir])).stdout)).toMatchObject({ entries: 0, hits: 0 })
    expect((await execa(process.execPath, [bin, 'cache', 'nope'], { reject: false })).exitCode).toBe(2)
  })
})

describe('saveSession / loadSession (kfactory-style, for scripts)', () => {
  test('round trip; only= saves what one top cell needs; a damaged file is left out; a missing session is silent unless asked', async () => {
    const { saveSession, loadSession } = await import('../src/cache/index.js')
    const { dumpLayout } = await import('./helpers/structural.js')
    const dir = tmp()
    const ly = new Layout({ name: 'PDK' })
    const leaf = ly.newCell('leaf').addBox(1, 0, 0, 10, 10)
    const a = ly.newCell('A')
    a.place(leaf, { x: 5, y: 5, rotation: 90 })
    ly.newCell('B').addBox(2, 0, 0, 3, 3)
    saveSession({ dir, layouts: [ly] })
    const back = loadSession({ dir }).get('PDK')!
    expect(dumpLayout(back)).toEqual(dumpLayout(ly))

    saveSession({ dir, layouts: [ly], only: a })
    expect([...loadSession({ dir }).get('PDK')!.cells.keys()].sort()).toEqual(['A', 'leaf'])

    const gz = join(dir, 'layouts/PDK/cells.gds.gz')
    writeFileSync(gz, readFileSync(gz).subarray(0, 20))
    expect(loadSession({ dir }).has('PDK')).toBe(false)

    const errors: string[] = []
    const orig = process.stderr.write.bind(process.stderr)
    process.stderr.write = ((s: string) => (errors.push(String(s)), true)) as typeof process.stderr.write
    try {
      expect(loadSession({ dir: join(dir, 'none') }).size).toBe(0)
      expect(errors).toEqual([])
      loadSession({ dir: join(dir, 'none'), warnMissingDir: true })
      expect(errors.join('')).toMatch(/no saved session in/)
    } finally {
      process.stderr.write = orig
    }
  })
})

describe('failures from the cache', () => {
  test('the same failure again: message and artifacts from the cache; damaged entries are recomputed', async () => {
    const root = tmp()
    const cacheDir = join(root, 'cache')
    const testPath = join(root, 'f.test.ts')
    const chip = (w: number): Layout => {
      const ly = new Layout()
      ly.newCell('TOP').addBox(1, 0, 0, w, 1000).addBox(2, 0, 0, 100, 100)
      return ly
    }
    const ref = referencePath({ root }, testPath, 'chip')
    mkdirSync(join(ref, '..'), { recursive: true })
    writeFileSync(ref, writeLayout(chip(1000)))
    let n = 0
    const check = async () => toMatchReference.call({ testPath, currentTestName: `t${n++}`, snapshotState: { snapshotUpdateState: 'none' as const } }, chip(1001), 'chip', { root, cache: { dir: cacheDir }, render: { size: 128 } })
    const first = await check()
    expect(first.pass).toBe(false)
    expect(first.message()).toMatch(/Compared 1 of 1 cell\(s\)/)
    expect(first.message()).not.toMatch(/session cache/)
    const results = join(root, 'laytest-results')
    rmSync(results, { recursive: true })
    const second = await check()
    expect(second.pass).toBe(false)
    expect(second.message()).toMatch(/from the session cache: the same layouts and options failed before/)
    const folder = join(results, readdirSync(results).find((f) => f !== '.assertions')!)
    for (const f of ['actual.gds', 'xor.gds', 'report.json', 'layout-composite.png', 'layout-xor.png']) expect(statSync(join(folder, f)).size, f).toBeGreaterThan(0)
    for (const f of entryFiles(cacheDir)) truncateSync(f, 5)
    const third = await check()
    expect(third.pass).toBe(false)
    expect(third.message()).not.toMatch(/session cache/)
  })
})
