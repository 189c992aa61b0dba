import { closeSync, mkdirSync, mkdtempSync, openSync, readdirSync, readFileSync, rmSync, statSync, truncateSync, utimesSync, writeFileSync, writeSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { execa } from 'execa'
import { afterEach, beforeAll, describe, expect, test, vi } from 'vitest'
import { CacheStore } from '../src/cache/index.js'
import { toMatchReference } from '../src/harness/index.js'
import { referencePath, resetCounters } from '../src/harness/reference.js'
import { Layout, writeLayout } from '../src/layout/index.js'
import { ROOT } from './helpers/corpus.js'

/* The session cache: hits, corruption (never a false pass), concurrency between processes, eviction. */

// node:fs as it is, observed: reads by readFileSync are counted per path, a path's stat can be frozen (a
// filesystem whose timestamps cannot tell two writes apart), and a hook can run after a read (a concurrent writer).
// The setup file has loaded laytest's modules with the real node:fs already: the tests that need the observed one
// load fresh copies (vi.resetModules, below).
const fsHooks = vi.hoisted(() => ({
  reads: new Map<string, number>(),
  frozen: new Map<string, unknown>(),
  afterRead: null as null | ((path: string) => void),
}))
vi.mock('node:fs', async (importOriginal) => {
  const fs = await importOriginal<typeof import('node:fs')>()
  const statSync = ((p: string, o?: { bigint?: boolean }) => (o?.bigint && fsHooks.frozen.get(String(p))) || fs.statSync(p, o)) as typeof fs.statSync
  const readFileSync = ((p: string, ...rest: unknown[]) => {
    const out = (fs.readFileSync as (...a: unknown[]) => unknown)(p, ...rest)
    if (typeof p === 'string') {
      fsHooks.reads.set(p, (fsHooks.reads.get(p) ?? 0) + 1)
      fsHooks.afterRead?.(p)
    }
    return out
  }) as typeof fs.readFileSync
  return { ...fs, statSync, readFileSync, default: { ...fs, statSync, readFileSync } }
})

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
    // each call is a run of that test (vitest's setup file resets the assertion counter before every test)
    const check = async (file = testPath, test = 't') => (resetCounters(file, test), toMatchReference).call({ testPath: file, currentTestName: test, snapshotState: { snapshotUpdateState: 'none' as const } }, chip(1001), 'chip', { root, cache: { dir: cacheDir }, render: { size: 128 } })
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
    // another assertion comparing the same contents (its own reference file, byte-identical) gets its own
    // message and folder, never the first one's replayed
    const otherPath = join(root, 'g.test.ts')
    const otherRef = referencePath({ root }, otherPath, 'chip')
    mkdirSync(join(otherRef, '..'), { recursive: true })
    writeFileSync(otherRef, writeLayout(chip(1000)))
    for (let i = 0; i < 2; i++) {
      const other = (await check(otherPath)).message()
      expect(other).toMatch(/differs from reference reference\/g\.test\.ts\/chip\.gds/)
      expect(other).toMatch(/artifacts: laytest-results\/g\.test\.ts-chip\//)
      expect(other).not.toMatch(/f\.test\.ts/)
      if (i === 1) expect(other).toMatch(/from the session cache/)
    }
    // the same assertion in a test of another name: the pictures' title is the test's name, so it is drawn again
    expect((await check(testPath, 'renamed')).message()).not.toMatch(/session cache/)
    for (const f of entryFiles(cacheDir)) truncateSync(f, 5)
    const third = await check()
    expect(third.pass).toBe(false)
    expect(third.message()).not.toMatch(/session cache/)
  })
})

/*
 * The stat shortcut of fileContentHash (src/cache/keys.ts) must never give the hash of an earlier content. The
 * clock is moved forward where a test needs the file to look "left alone for a while" (its ctime cannot be set
 * back); the real clock is used otherwise.
 */
describe('file identity: the stat shortcut cannot be fooled', () => {
  // laytest's modules on the observed node:fs
  let fileContentHash: typeof import('../src/cache/index.js').fileContentHash
  let sha256: typeof import('../src/cache/index.js').sha256
  let CacheStore: typeof import('../src/cache/index.js').CacheStore
  let toMatchReference: typeof import('../src/harness/index.js').toMatchReference
  let referencePath: typeof import('../src/harness/reference.js').referencePath
  let diffCommand: typeof import('../src/cli/diff.js').diffCommand
  beforeAll(async () => {
    vi.resetModules()
    ;({ fileContentHash, sha256, CacheStore } = await import('../src/cache/index.js'))
    ;({ toMatchReference } = await import('../src/harness/index.js'))
    ;({ referencePath } = await import('../src/harness/reference.js'))
    ;({ diffCommand } = await import('../src/cli/diff.js'))
    const probe = join(tmp(), 'probe')
    writeFileSync(probe, 'x')
    fileContentHash(null, probe)
    expect(fsHooks.reads.get(probe), 'the modules must see the observed node:fs').toBe(1)
  })
  const realNow = Date.now.bind(Date)
  /** Makes every file written so far look 10 s old to the cache (only the clock moves). */
  const later = (): void => void vi.spyOn(Date, 'now').mockImplementation(() => realNow() + 10_000)
  const reads = (f: string): number => fsHooks.reads.get(resolve(f)) ?? 0
  const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms))
  afterEach(() => {
    vi.restoreAllMocks()
    fsHooks.frozen.clear()
    fsHooks.afterRead = null
  })
  /** Overwrites the file's bytes in place (same inode, same size) and puts its atime and mtime back exactly. */
  function editInPlace(file: string, bytes: Uint8Array): void {
    const before = statSync(file, { bigint: true })
    expect(bytes.length).toBe(Number(before.size))
    const fd = openSync(file, 'r+')
    writeSync(fd, bytes, 0, bytes.length, 0)
    closeSync(fd)
    utimesSync(file, Number(before.atimeNs / 1_000_000_000n), Number(before.mtimeNs / 1_000_000_000n))
    const after = statSync(file, { bigint: true })
    // the scenario really is invisible to (path, size, mtime, inode, device)
    expect([after.size, after.mtimeNs, after.ino, after.dev]).toEqual([before.size, before.mtimeNs, before.ino, before.dev])
  }
  /** A file with whole-second timestamps (so that they can be restored exactly). */
  function fileWith(dir: string, name: string, content: string | Uint8Array): string {
    const f = join(dir, name)
    writeFileSync(f, content)
    utimesSync(f, 1_700_000_000, 1_700_000_000)
    return f
  }

  for (const clock of ['real', 'later'] as const) {
    test(`an in-place edit with the mtime put back (cp -p, rsync -t --inplace, touch -r) changes the hash (${clock} clock)`, async () => {
      const dir = tmp()
      const store = new CacheStore({ dir: join(dir, 'cache') })
      const f = fileWith(dir, 'a.gds', 'content one')
      if (clock === 'later') later()
      expect(fileContentHash(store, f)).toBe(sha256('content one'))
      if (clock === 'later') {
        // remembered: the second lookup does not read the file
        const n = reads(f)
        expect(fileContentHash(store, f)).toBe(sha256('content one'))
        expect(reads(f)).toBe(n)
      }
      await sleep(20) // another clock tick for the ctime
      editInPlace(f, Buffer.from('content two'))
      expect(fileContentHash(store, f)).toBe(sha256('content two'))
      expect(fileContentHash(store, f)).toBe(sha256('content two'))
    })
  }

  test('racily clean: a write the timestamps cannot tell from the hashing (same tick, coarse granularity) is seen', () => {
    const dir = tmp()
    const store = new CacheStore({ dir: join(dir, 'cache') })
    const f = join(dir, 'a.gds')
    writeFileSync(f, 'content one')
    // the write below lands in the same timestamp tick as this one: every stat field, ctime included, stays
    fsHooks.frozen.set(resolve(f), statSync(f, { bigint: true }))
    expect(fileContentHash(store, f)).toBe(sha256('content one'))
    writeFileSync(f, 'content two')
    expect(fileContentHash(store, f)).toBe(sha256('content two'))
  })

  test('racily clean: the margin — a file younger than 3 s when hashed is hashed again, an older one is remembered', () => {
    const dir = tmp()
    const store = new CacheStore({ dir: join(dir, 'cache') })
    const f = join(dir, 'a.gds')
    writeFileSync(f, 'content one')
    const st = statSync(f, { bigint: true })
    fsHooks.frozen.set(resolve(f), st)
    const newest = Number((st.ctimeNs > st.mtimeNs ? st.ctimeNs : st.mtimeNs) / 1_000_000n)
    const at = (ms: number): void => void vi.spyOn(Date, 'now').mockImplementation(() => newest + ms)
    // hashed 2.9 s after the last write (within a 2 s-granularity filesystem's reach): not remembered
    at(2900)
    fileContentHash(store, f)
    const n = reads(f)
    expect(fileContentHash(store, f)).toBe(sha256('content one'))
    expect(reads(f)).toBe(n + 1)
    writeFileSync(f, 'content two') // invisible to the frozen stat
    expect(fileContentHash(store, f)).toBe(sha256('content two'))
    // the same content hashed 3.1 s after the last write: remembered
    writeFileSync(f, 'content one')
    at(3100)
    fileContentHash(store, f)
    const m = reads(f)
    expect(fileContentHash(store, f)).toBe(sha256('content one'))
    expect(reads(f)).toBe(m)
  })

  test('racily clean: timestamps in the future are never trusted', () => {
    const dir = tmp()
    const store = new CacheStore({ dir: join(dir, 'cache') })
    const f = join(dir, 'a.gds')
    writeFileSync(f, 'content one')
    const future = Math.floor(Date.now() / 1000) + 3600
    utimesSync(f, future, future)
    later() // the ctime looks old, the mtime is an hour ahead
    fsHooks.frozen.set(resolve(f), statSync(f, { bigint: true }))
    expect(fileContentHash(store, f)).toBe(sha256('content one'))
    writeFileSync(f, 'content two')
    expect(fileContentHash(store, f)).toBe(sha256('content two'))
  })

  test('an unchanged file is not read again: the hash comes from the cache (a file left alone, real clock)', async () => {
    const dir = tmp()
    const store = new CacheStore({ dir: join(dir, 'cache') })
    const f = join(ROOT, 'examples/ring.gds')
    // its ctime is the checkout's; wait if that was less than the margin ago
    const age = Date.now() - Number(statSync(f, { bigint: true }).ctimeNs / 1_000_000n)
    if (age < 3200) await sleep(3200 - age)
    const h = sha256(readFileSync(f))
    const n = reads(f)
    expect(fileContentHash(store, f)).toBe(h)
    expect(reads(f)).toBe(n + 1)
    const hits = store.hits
    for (let i = 0; i < 3; i++) expect(fileContentHash(store, f)).toBe(h)
    expect(reads(f)).toBe(n + 1)
    expect(store.hits).toBe(hits + 3)
    // another process, same cache folder: a hit too
    const other = new CacheStore({ dir: join(dir, 'cache') })
    expect(fileContentHash(other, f)).toBe(h)
    expect(reads(f)).toBe(n + 1)
    expect(other.hits).toBe(1)
  })

  const chip = (w: number): Uint8Array => {
    const ly = new Layout()
    ly.newCell('TOP').addBox(1, 0, 0, w, 1000)
    return writeLayout(ly)
  }

  for (const clock of ['real', 'later'] as const) {
    test(`the matcher: a GDS path edited in place with its mtime put back is compared again, not passed from the cache (${clock} clock)`, async () => {
      const root = tmp()
      const cacheDir = join(root, 'cache')
      const testPath = join(root, 'x.test.ts')
      const ref = referencePath({ root }, testPath, 'chip')
      mkdirSync(join(ref, '..'), { recursive: true })
      writeFileSync(ref, chip(1000))
      const file = fileWith(root, 'chip.gds', chip(1000))
      expect(chip(1001).length).toBe(chip(1000).length)
      let n = 0
      const check = async (): Promise<{ pass: boolean; message: string }> => {
        const ctx = { testPath, currentTestName: `t${n++}`, snapshotState: { snapshotUpdateState: 'none' as const } }
        const r = await toMatchReference.call(ctx, file, 'chip', { root, cache: { dir: cacheDir }, images: false })
        return { pass: r.pass, message: r.message() }
      }
      if (clock === 'later') later()
      expect(await check()).toMatchObject({ pass: true, message: expect.not.stringMatching(/session cache/) })
      expect(await check()).toMatchObject({ pass: true, message: expect.stringMatching(/session cache/) })
      await sleep(20)
      editInPlace(file, chip(1001))
      const r = await check()
      expect(r.message).toMatch(/layout differs from reference/)
      expect(r.pass).toBe(false)
    })
  }

  test('the matcher: a file changed between its hashing and its reading is remembered under what was compared', async () => {
    const root = tmp()
    const cacheDir = join(root, 'cache')
    const testPath = join(root, 'x.test.ts')
    const ref = referencePath({ root }, testPath, 'chip')
    mkdirSync(join(ref, '..'), { recursive: true })
    writeFileSync(ref, chip(1000))
    const file = join(root, 'chip.gds')
    writeFileSync(file, chip(1001))
    let n = 0
    const check = async (): Promise<boolean> => {
      const ctx = { testPath, currentTestName: `t${n++}`, snapshotState: { snapshotUpdateState: 'none' as const } }
      return (await toMatchReference.call(ctx, file, 'chip', { root, cache: { dir: cacheDir }, images: false })).pass
    }
    // a concurrent writer puts the reference's content in place right after the file was hashed
    fsHooks.afterRead = (p) => {
      if (p !== resolve(file)) return
      fsHooks.afterRead = null
      writeFileSync(file, chip(1000))
    }
    expect(await check()).toBe(true) // what was read and compared equals the reference
    writeFileSync(file, chip(1001)) // the content that was hashed: it differs, and must fail
    expect(await check()).toBe(false)
  })

  describe('laytest diff', () => {
    const withSession = async <T>(dir: string, f: () => Promise<T>): Promise<T> => {
      const old = process.env.LAYTEST_SESSION_DIR
      process.env.LAYTEST_SESSION_DIR = dir
      try {
        return await f()
      } finally {
        if (old === undefined) delete process.env.LAYTEST_SESSION_DIR
        else process.env.LAYTEST_SESSION_DIR = old
      }
    }
    const diff = async (a: string, b: string): Promise<{ equal: boolean; cached?: boolean }> => JSON.parse((await diffCommand(a, b, { json: true })).text)

    for (const clock of ['real', 'later'] as const) {
      test(`a file edited in place with its mtime put back is compared again (${clock} clock)`, async () => {
        const root = tmp()
        const a = fileWith(root, 'a.gds', chip(1000)), b = fileWith(root, 'b.gds', chip(1000))
        await withSession(join(root, 'cache'), async () => {
          if (clock === 'later') later()
          expect(await diff(a, b)).toMatchObject({ equal: true })
          expect(await diff(a, b)).toMatchObject({ equal: true, cached: true })
          await sleep(20)
          editInPlace(b, chip(1001))
          const r = await diff(a, b)
          expect(r.cached).toBeUndefined()
          expect(r.equal).toBe(false)
        })
      })
    }

    test('a file changed between its hashing and its reading: the result stored is that of the hashed bytes', async () => {
      const root = tmp()
      const a = join(root, 'a.gds'), b = join(root, 'b.gds')
      writeFileSync(a, chip(1000))
      writeFileSync(b, chip(1001))
      await withSession(join(root, 'cache'), async () => {
        fsHooks.afterRead = (p) => {
          if (p !== resolve(b)) return
          fsHooks.afterRead = null
          writeFileSync(b, chip(1000))
        }
        await diff(a, b)
        writeFileSync(b, chip(1001))
        expect((await diff(a, b)).equal).toBe(false)
      })
    })
  })
})
