import { appendFileSync, existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { dirname, join, relative } from 'node:path'
import { diffLayouts, writeXorGds, type DiffOutcome } from '../diff/index.js'
import { GdsError } from '../gds/errors.js'
import { readLayout, writeFileAtomic } from '../layout/gdsio.js'
import type { Layout } from '../layout/layout.js'
import { readLyp } from '../render/lyp.js'
import { writeDiffImages, type DiffImages } from './artifacts.js'
import { effectiveOptions, type LaytestOptions, type UpdateMode } from './config.js'
import { InputError, resolveInput, type LayoutInput } from './input.js'
import { referenceName, referencePath, resultsFolder } from './reference.js'
import { summaryText } from './summary.js'
import { CACHE_FORMAT_VERSION, CacheStore, LAYTEST_VERSION as VERSION, sha256 } from '../cache/store.js'
import { fileContentHash } from '../cache/keys.js'

/** What vitest hands a matcher (the parts used here; snapshotState exists at runtime, not in the types). */
interface MatcherContext {
  currentTestName?: string
  testPath?: string
  isNot?: boolean
  snapshotState?: object
}

export interface MatchResult {
  pass: boolean
  message: () => string
}

/** The update mode vitest runs with: -u gives "all", CI "none", else "new" (as for snapshots). */
export function updateMode(ctx: MatcherContext): UpdateMode {
  const s = ctx.snapshotState as { snapshotUpdateState?: UpdateMode; _updateSnapshot?: UpdateMode } | undefined
  const m = s?.snapshotUpdateState ?? s?._updateSnapshot
  if (m === 'all' || m === 'new' || m === 'none') return m
  return process.env.CI && process.env.CI !== 'false' ? 'none' : 'new'
}

/** One assertion, as the reporter reads it. */
export interface AssertionRecord {
  test: string
  file: string
  name: string
  reference: string
  status: 'passed' | 'failed' | 'written' | 'updated'
  /** Decided by the session cache, without reading the layouts. */
  cached?: boolean
  message?: string
  results?: string
  images?: DiffImages['files']
  layers?: Array<{ layer: string; xorArea: number; polygons: number; onlyIn: string | null }>
}

/**
 * expect(layout).toMatchReference(name?, options?): compares with reference/<test file>/<name>.gds by exact
 * per-layer XOR; missing references are written (locally) or fail (CI); -u rewrites changed references only.
 */
export async function toMatchReference(this: MatcherContext, received: LayoutInput, nameOrOptions?: string | LaytestOptions, maybeOptions?: LaytestOptions): Promise<MatchResult> {
  const local = typeof nameOrOptions === 'object' ? nameOrOptions : maybeOptions
  const argName = typeof nameOrOptions === 'string' ? nameOrOptions : undefined
  const opts = effectiveOptions(local)
  const root = opts.root ?? process.cwd()
  const testFile = this.testPath ?? 'unknown-test-file'
  const testName = this.currentTestName ?? 'unnamed test'
  const name = referenceName(testFile, testName, argName)
  const refPath = referencePath(opts, testFile, name)
  const shownRef = relative(root, refPath)
  const mode = updateMode(this)
  const folder = resultsFolder(opts, testFile, name)
  const record = (r: Omit<AssertionRecord, 'test' | 'file' | 'name' | 'reference'>): void =>
    writeRecord(opts, { test: testName, file: relative(root, testFile), name, reference: shownRef, ...r })
  const fail = (message: string, extra: Partial<AssertionRecord> = {}): MatchResult => {
    record({ status: 'failed', message, ...extra })
    return { pass: false, message: () => message }
  }
  if (this.isNot) return fail('toMatchReference cannot be negated (.not): assert the difference you expect instead')

  // the session cache: a comparison that passed before, of the same bytes with the same options, passes again
  // without reading either layout (keys are content hashes: see docs/cache.md)
  const cache = cacheFor(opts)
  try {
    let refHash: string | null = null
    let verdictKey: string | null = null
    if (cache && existsSync(refPath)) {
      refHash = fileContentHash(cache, refPath)
      if (typeof received === 'string' && existsSync(received)) {
        verdictKey = verdictCacheKey(refHash, fileContentHash(cache, received), opts)
        if (cache.get(verdictKey)) {
          record({ status: 'passed', cached: true })
          return { pass: true, message: () => `laytest: ${shownRef} matches (session cache)` }
        }
      }
    }
    return await compareWithReference(received, opts, { refPath, shownRef, mode, folder, root, record, fail, cache, refHash, verdictKey })
  } finally {
    cache?.recordStats()
  }
}

interface Ctx {
  refPath: string
  shownRef: string
  mode: UpdateMode
  folder: string
  root: string
  record: (r: Omit<AssertionRecord, 'test' | 'file' | 'name' | 'reference'>) => void
  fail: (message: string, extra?: Partial<AssertionRecord>) => MatchResult
  cache: CacheStore | null
  refHash: string | null
  verdictKey: string | null
}

/** The comparison itself (everything after the cache's fast path). */
async function compareWithReference(received: LayoutInput, opts: LaytestOptions, c: Ctx): Promise<MatchResult> {
  const { refPath, shownRef, mode, folder, root, record, fail, cache } = c
  let actual: Awaited<ReturnType<typeof resolveInput>>
  try {
    actual = await resolveInput(received, opts.generatorTimeout)
  } catch (e) {
    if (e instanceof InputError || e instanceof GdsError) return fail(`laytest: the layout under test could not be read: ${e.message}`)
    throw e
  }

  if (!existsSync(refPath)) {
    if (mode === 'none') {
      mkdirSync(folder, { recursive: true })
      const saved = join(folder, 'actual.gds')
      writeFileAtomic(saved, actual.bytes)
      return fail(`laytest: reference ${shownRef} is missing, and references are not written in CI (update mode "none").\n` +
        `The layout under test was saved as ${relative(root, saved)}; create the reference locally (vitest) or with -u.`, { results: relative(root, folder) })
    }
    mkdirSync(dirname(refPath), { recursive: true })
    writeFileAtomic(refPath, actual.bytes)
    record({ status: 'written' })
    return { pass: true, message: () => `laytest: wrote reference ${shownRef}` }
  }

  // the key names the contents actually compared: for a path, the hash of the bytes resolveInput parsed (the
  // file may have changed since it was hashed above), for the reference the hash of the bytes read below
  let verdictKey: string | null = null
  if (cache && c.refHash) {
    verdictKey = verdictCacheKey(c.refHash, actual.fileHash ?? sha256(actual.bytes), opts)
    if (verdictKey !== c.verdictKey && cache.get(verdictKey)) {
      record({ status: 'passed', cached: true })
      return { pass: true, message: () => `laytest: ${shownRef} matches (session cache)` }
    }
    // the same failure as last time: its message and artifacts come from the cache, nothing is compared
    if (mode !== 'all') {
      const again = restoreFailure(cache, verdictKey, folder, actual.bytes)
      if (again) return fail(`${again.message}\n(from the session cache: the same layouts and options failed before)`, { results: relative(root, folder), images: again.images, layers: again.layers, cached: true })
    }
  }

  let reference: Layout
  try {
    const refBytes = readFileSync(refPath)
    if (cache && c.refHash && verdictKey) {
      const refHash = sha256(refBytes)
      if (refHash !== c.refHash) verdictKey = verdictCacheKey(refHash, actual.fileHash ?? sha256(actual.bytes), opts)
    }
    reference = readLayout(refBytes, { file: shownRef })
  } catch (e) {
    if (e instanceof GdsError) return fail(`laytest: the reference cannot be read: ${e.message}\n(fix or delete it; -u rewrites it)`)
    throw e
  }

  const outcome = await diffLayouts(reference, actual.layout, { ...opts, keepInputs: false })
  const r = outcome.result
  let pass = r.equal
  let images: DiffImages | null = null
  const wantImages = opts.images !== false
  if (opts.compare === 'pixel' || opts.compare === 'both' || (!pass && wantImages)) {
    images = writeDiffImages(folder, 'layout', reference, actual.layout, outcome, {
      ...opts.pixel, size: opts.render?.size, styles: opts.render?.lyp ? readLyp(opts.render.lyp) : undefined,
    })
    if (opts.compare === 'pixel') pass = images.pixels.pass
    else if (opts.compare === 'both') pass = pass && images.pixels.pass
  }
  const layers = Object.values(r.layers).filter((l) => l.differs).map((l) => ({ layer: l.layer, xorArea: l.xorArea, polygons: l.polygons, onlyIn: l.onlyIn }))
  if (pass) {
    if (cache && verdictKey) cache.put(verdictKey, 'pass')
    record({ status: 'passed' })
    return { pass: true, message: () => `laytest: ${shownRef} matches` }
  }
  if (mode === 'all') {
    writeFileAtomic(refPath, actual.bytes)
    record({ status: 'updated', layers })
    return { pass: true, message: () => `laytest: updated reference ${shownRef}` }
  }
  await writeFailureFiles(folder, actual.bytes, outcome)
  const rel = (p: string): string => relative(root, p)
  const lines = [
    `laytest: layout differs from reference ${shownRef}`,
    '',
    summaryText(shownRef, actual.label, r, undefined).trimEnd(),
    '',
    `Compared ${r.comparedCells.length} of ${reference.cells.size} cell(s); the others are stored identically in both.`,
  ]
  if (images && !images.pixels.pass) lines.push(`pixels: ${images.pixels.diffPixels} differ (${(images.pixels.diffRatio * 100).toFixed(3)} %)`)
  lines.push('', `artifacts: ${rel(folder)}/`)
  if (images) lines.push(`  ${rel(images.files.composite)}`, `  ${rel(images.files.xor)}`)
  lines.push(`  ${rel(join(folder, 'xor.gds'))}  ${rel(join(folder, 'actual.gds'))}  ${rel(join(folder, 'report.json'))}`)
  lines.push('', 'Run vitest with -u to accept the new layout as the reference.')
  const message = lines.join('\n')
  const imageFiles = images ? mapFiles(images.files, rel) : undefined
  if (cache && verdictKey) rememberFailure(cache, verdictKey, folder, { message, images: imageFiles, layers })
  return fail(message, { results: rel(folder), images: imageFiles, layers })
}

interface CachedFailure {
  message: string
  images?: DiffImages['files']
  layers: AssertionRecord['layers']
  files: string[]
}

/** Stores a failure's message and artifact files (all but actual.gds, which is the input itself). */
function rememberFailure(cache: CacheStore, key: string, folder: string, f: Omit<CachedFailure, 'files'>): void {
  const files = readdirSync(folder).filter((n) => n !== 'actual.gds')
  for (const n of files) cache.put(`${key}\0failure-file\0${n}`, readFileSync(join(folder, n)))
  cache.putJson(`${key}\0failure`, { ...f, files })
}

/** Writes a remembered failure's artifacts back; null when anything is missing or damaged (then it is recomputed). */
function restoreFailure(cache: CacheStore, key: string, folder: string, actualBytes: Uint8Array): CachedFailure | null {
  const f = cache.getJson<CachedFailure>(`${key}\0failure`)
  if (!f || !Array.isArray(f.files)) return null
  const contents: Array<[string, Buffer]> = []
  for (const n of f.files) {
    const b = cache.get(`${key}\0failure-file\0${n}`)
    if (!b) return null
    contents.push([n, b])
  }
  mkdirSync(folder, { recursive: true })
  for (const [n, b] of contents) writeFileAtomic(join(folder, n), b)
  writeFileAtomic(join(folder, 'actual.gds'), actualBytes)
  return f
}

function mapFiles(f: DiffImages['files'], rel: (p: string) => string): DiffImages['files'] {
  return Object.fromEntries(Object.entries(f).map(([k, v]) => [k, rel(v)])) as DiffImages['files']
}

async function writeFailureFiles(folder: string, actualBytes: Uint8Array, outcome: DiffOutcome): Promise<void> {
  mkdirSync(folder, { recursive: true })
  writeFileAtomic(join(folder, 'actual.gds'), actualBytes)
  await writeXorGds(outcome, join(folder, 'xor.gds'))
  writeFileAtomic(join(folder, 'report.json'), JSON.stringify(outcome.result, null, 1) + '\n')
}

/** The cache of this assertion's options, or null when disabled (cache: false, LAYTEST_CACHE=0). */
function cacheFor(opts: LaytestOptions): CacheStore | null {
  if (opts.cache === false || process.env.LAYTEST_CACHE === '0') return null
  return new CacheStore({ root: opts.root, ...(typeof opts.cache === 'object' ? opts.cache : {}) })
}


/** Key of a passed comparison: both contents, every option that can change the verdict, laytest's version. */
function verdictCacheKey(refHash: string, actualHash: string, o: LaytestOptions): string {
  const lyp = o.render?.lyp && existsSync(o.render.lyp) ? fileContentHash(null, o.render.lyp) : null
  const relevant = {
    tolerance: o.tolerance, layers: o.layers, ignoreLabels: o.ignoreLabels, missingLayer: o.missingLayer, topA: o.topA, topB: o.topB,
    dbuRounding: o.dbuRounding, compare: o.compare ?? 'xor',
    pixel: o.compare === 'pixel' || o.compare === 'both' ? { pixel: o.pixel, size: o.render?.size, lyp } : null,
  }
  return `verdict\0${VERSION}\0${CACHE_FORMAT_VERSION}\0${refHash}\0${actualHash}\0${JSON.stringify(relevant)}`
}

/** Appends the assertion to <resultsDir>/.assertions/<pid>.jsonl (read by the reporter after the run). */
function writeRecord(opts: LaytestOptions, rec: AssertionRecord): void {
  const dir = join(opts.root ?? process.cwd(), opts.resultsDir ?? 'laytest-results', '.assertions')
  mkdirSync(dir, { recursive: true })
  const file = join(dir, `${process.pid}.jsonl`)
  if (!existsSync(file)) writeFileSync(file, '')
  appendFileSync(file, JSON.stringify(rec) + '\n')
}
