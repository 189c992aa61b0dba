import { appendFileSync, existsSync, mkdirSync, readdirSync, readFileSync, rmdirSync, rmSync, writeFileSync } from 'node:fs'
import { dirname, join, relative } from 'node:path'
import { diffLayouts, writeXorGds, type DiffOutcome } from '../diff/index.js'
import { GdsError } from '../gds/errors.js'
import { formatOfName, readLayout, writeFileAtomic, writeLayout } from '../layout/gdsio.js'
import { ghostWarning } from '../layout/ghosts.js'
import { writeOasis } from '../layout/oasisio.js'
import type { Layout } from '../layout/layout.js'
import { readLyp } from '../render/lyp.js'
import { writeDiffImages, type DiffImages } from './artifacts.js'
import { effectiveOptions, META_KEY, type LaytestOptions, type UpdateMode } from './config.js'
export { META_KEY }
import { InputError, isGenerator, resolveInput, type LayoutInput } from './input.js'
import { findReference, referenceFolder, referenceName, resultsFolder, resultsRoot } from './reference.js'
import { summaryText } from './summary.js'
import { CACHE_FORMAT_VERSION, CacheStore, LAYTEST_VERSION as VERSION, sha256 } from '../cache/store.js'
import { fileContentHash } from '../cache/keys.js'

/** What vitest hands a matcher (the parts used here; snapshotState exists at runtime, not in the types). */
interface MatcherContext {
  currentTestName?: string
  testPath?: string
  isNot?: boolean
  snapshotState?: object
  /**
   * The running test (vitest >= 4.1; undefined for the global expect in concurrent tests: use the test context's
   * expect there). Its meta carries the assertion records to the reporter, through blob reports too.
   */
  task?: TaskLike
}

/** The parts of vitest's Test task the matcher uses (typed here so laytest does not import vitest). */
interface TaskLike {
  meta?: object
  result?: { retryCount?: number; repeatCount?: number }
  context?: { signal?: AbortSignal }
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

/** Artifact files of one assertion, relative to the results folder (what summary.json and index.html link). */
export interface ArtifactFiles {
  /** The assertion's folder. */
  folder: string
  expected?: string
  actual?: string
  diff?: string
  composite?: string
  xor?: string
  /** A copy of the reference, so a downloaded artifact holds both sides. */
  expectedGds?: string
  actualGds?: string
  xorGds?: string
  report?: string
}

/** A differing layer: areas in dbu² (dbu in the record), the largest difference's box in dbu. */
export interface LayerRecord {
  layer: string
  xorArea: number
  polygons: number
  onlyIn: string | null
  bbox?: [number, number, number, number]
}

/**
 * One assertion, as the reporter reads it: kept in the test's `task.meta.laytest` (so it travels with vitest's
 * blob reports to `vitest --merge-reports`), or, when the matcher has no task, appended to
 * <resultsDir>/.assertions/<pid>.jsonl. Paths are relative: `file`, `reference`, `results` to the project
 * root, `files` to the results folder.
 */
export interface AssertionRecord {
  test: string
  file: string
  name: string
  reference: string
  /** "pending" while the matcher runs: a record still pending when the test ends did not finish (a timeout). */
  status: 'passed' | 'failed' | 'written' | 'updated' | 'pending'
  /** Decided by the session cache, without reading the layouts. */
  cached?: boolean
  message?: string
  /** The matcher threw (the comparison could not be made); the message says what. */
  error?: boolean
  /** The failure folder, relative to the root (what `laytest open-diff` and the viewer read). */
  results?: string
  files?: ArtifactFiles
  /** Database unit in µm: xorArea × dbu² is µm². */
  dbu?: number
  layers?: LayerRecord[]
  /** The folder of this test file's references (relative to the root), null when the path template shares folders. */
  referenceFolder?: string | null
  /** vitest's retry and repeat counters of the attempt that made the assertion. */
  attempt?: number
  repeat?: number
  /** The generator's timeout, for a generator input (the message of an unfinished assertion names it). */
  generatorTimeout?: number
  ms?: number
}

/**
 * expect(layout).toMatchReference(name?, options?): compares with reference/<test file>/<name>.gds by exact
 * per-layer XOR; missing references are written (locally) or fail (CI); -u rewrites changed references only.
 */
export async function toMatchReference(this: MatcherContext, received: LayoutInput, nameOrOptions?: string | LaytestOptions, maybeOptions?: LaytestOptions): Promise<MatchResult> {
  const started = Date.now()
  const local = typeof nameOrOptions === 'object' ? nameOrOptions : maybeOptions
  const argName = typeof nameOrOptions === 'string' ? nameOrOptions : undefined
  const opts = effectiveOptions(local)
  const root = opts.root ?? process.cwd()
  const testFile = this.testPath ?? 'unknown-test-file'
  const testName = this.currentTestName ?? 'unnamed test'
  const name = referenceName(testFile, testName, argName)
  const found = findReference(opts, testFile, name)
  const refPath = found.path
  const shownRef = relative(root, refPath)
  const folder = resultsFolder(opts, testFile, name)
  const timeout = isGenerator(received) ? (received.timeout ?? opts.generatorTimeout ?? 120000) : undefined
  // the record exists from the start: an assertion that throws or never returns (vitest's timeout) is reported
  const close = openRecord(this.task, opts, {
    test: testName, file: relative(root, testFile).split('\\').join('/'), name, reference: shownRef.split('\\').join('/'), status: 'pending',
    referenceFolder: referenceFolder(opts, testFile), generatorTimeout: timeout,
  }, folder)
  let closed = false
  const record = (r: RecordUpdate): void => {
    closed = true
    close({ ...r, ms: Date.now() - started })
  }
  const fail = (message: string, extra: Partial<AssertionRecord> = {}): MatchResult => {
    record({ status: 'failed', message, ...extra })
    return { pass: false, message: () => message }
  }
  if (this.isNot) return fail('toMatchReference cannot be negated (.not): assert the difference you expect instead')
  if (found.both) {
    return fail(`laytest: two references for one assertion: ${shownRef} and ${relative(root, found.both)}; ` +
      'delete the one that is not meant (referenceFormat only chooses the format of new references)')
  }

  // the session cache: a comparison that passed before, of the same bytes with the same options, passes again
  // without reading either layout (keys are content hashes: see docs/cache.md)
  let cache: CacheStore | null = null
  try {
    cache = cacheFor(opts)
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
    const mode = updateMode(this)
    return await compareWithReference(received, opts, { refPath, shownRef, mode, folder, root, record, fail, cache, refHash, verdictKey, signal: this.task?.context?.signal, testName })
  } catch (e) {
    // whatever went wrong is a failed assertion in laytest's report too, then vitest gets the error itself
    if (!closed) {
      const err = e as Error
      record({ status: 'failed', error: true, message: `laytest: the comparison with ${shownRef} could not be made: ${err?.name ?? 'Error'}: ${err?.message ?? String(e)}`, ...folderFiles(opts, folder) })
    }
    throw e
  } finally {
    cache?.recordStats()
  }
}

type RecordUpdate = Omit<Partial<AssertionRecord>, 'test' | 'file' | 'name' | 'reference'> & { status: AssertionRecord['status'] }

/**
 * Opens an assertion's record: pushed to the task's meta (or the fallback file) as "pending"; the returned
 * function completes it. A failure folder gets the record as assertion.json (how a sharded run knows which
 * folders are its own).
 */
function openRecord(task: TaskLike | undefined, opts: LaytestOptions, base: AssertionRecord, folder: string): (r: RecordUpdate) => void {
  const rec: AssertionRecord = { ...base, attempt: task?.result?.retryCount ?? 0, repeat: task?.result?.repeatCount ?? 0 }
  const meta = task?.meta as Record<string, unknown> | undefined
  if (meta) {
    const list = Array.isArray(meta[META_KEY]) ? (meta[META_KEY] as AssertionRecord[]) : (meta[META_KEY] = [] as AssertionRecord[])
    list.push(rec)
  } else {
    writeRecord(opts, rec)
  }
  return (r) => {
    Object.assign(rec, r)
    if (!meta) writeRecord(opts, rec)
    if (rec.results && existsSync(folder)) writeFileAtomic(join(folder, 'assertion.json'), JSON.stringify(rec, null, 1) + '\n')
  }
}

/** The artifact files present in a failure folder, relative to the results folder (and the folder relative to the root). */
function folderFiles(opts: LaytestOptions, folder: string): Pick<AssertionRecord, 'files' | 'results'> {
  if (!existsSync(folder)) return {}
  const results = resultsRoot(opts)
  const rel = (n: string): string => relative(results, join(folder, n)).split('\\').join('/')
  const names: Array<[keyof ArtifactFiles, string]> = [
    ['expected', 'layout-expected.png'], ['actual', 'layout-actual.png'], ['diff', 'layout-diff.png'], ['composite', 'layout-composite.png'],
    ['xor', 'layout-xor.png'], ['expectedGds', 'expected.gds'], ['actualGds', 'actual.gds'], ['xorGds', 'xor.gds'], ['report', 'report.json'],
  ]
  const files: ArtifactFiles = { folder: relative(results, folder).split('\\').join('/') }
  for (const [k, n] of names) if (existsSync(join(folder, n))) files[k] = rel(n)
  return { files, results: relative(opts.root ?? process.cwd(), folder).split('\\').join('/') }
}

interface Ctx {
  refPath: string
  shownRef: string
  mode: UpdateMode
  folder: string
  root: string
  record: (r: RecordUpdate) => void
  fail: (message: string, extra?: Partial<AssertionRecord>) => MatchResult
  cache: CacheStore | null
  refHash: string | null
  verdictKey: string | null
  signal?: AbortSignal
  /** The test's full name (the pictures' title). */
  testName: string
}

/** The comparison itself (everything after the cache's fast path). */
async function compareWithReference(received: LayoutInput, opts: LaytestOptions, c: Ctx): Promise<MatchResult> {
  const { refPath, shownRef, mode, folder, root, record, fail, cache } = c
  let actual: Awaited<ReturnType<typeof resolveInput>>
  try {
    actual = await resolveInput(received, opts.generatorTimeout, c.signal, { strict: !!opts.strict })
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
        `The layout under test was saved as ${relative(root, saved)}; create the reference locally (vitest) or with -u.`, folderFiles(opts, folder))
    }
    mkdirSync(dirname(refPath), { recursive: true })
    writeFileAtomic(refPath, referenceBytes(actual.layout, actual.bytes, refPath))
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
      const again = restoreFailure(cache, failureKey(verdictKey, c, actual.label, opts), folder, actual.bytes)
      if (again) {
        if (!existsSync(join(folder, 'expected.gds'))) writeExpected(folder, refPath, readFileSync(refPath), null, !!opts.strict)
        return fail(`${again.message}\n(from the session cache: the same layouts and options failed before)`, { ...folderFiles(opts, folder), layers: again.layers, dbu: again.dbu ?? reportDbu(folder), cached: true })
      }
    }
  }

  let reference: Layout
  let refBytes: Buffer
  try {
    refBytes = readFileSync(refPath)
    if (cache && c.refHash && verdictKey) {
      const refHash = sha256(refBytes)
      if (refHash !== c.refHash) verdictKey = verdictCacheKey(refHash, actual.fileHash ?? sha256(actual.bytes), opts)
    }
    reference = readLayout(refBytes, { file: shownRef, strict: !!opts.strict })
  } catch (e) {
    if (e instanceof GdsError) return fail(`laytest: the reference cannot be read: ${e.message}\n(fix or delete it; -u rewrites it)`)
    throw e
  }

  const outcome = await diffLayouts(reference, actual.layout, { ...opts, keepInputs: false })
  const r = outcome.result
  let pass = r.equal
  let images: DiffImages | null = null
  const wantImages = opts.images !== false
  // (-u with an XOR verdict: a differing layout becomes the reference, so there is no failure to draw)
  if (opts.compare === 'pixel' || opts.compare === 'both' || (!pass && wantImages && mode !== 'all')) {
    images = writeDiffImages(folder, 'layout', reference, actual.layout, outcome, {
      ...opts.pixel, size: opts.render?.size, styles: opts.render?.lyp ? readLyp(opts.render.lyp) : undefined, texts: opts.render?.texts,
      title: c.testName, expectedLabel: shownRef, actualLabel: actual.label,
    })
    if (opts.compare === 'pixel') pass = images.pixels.pass
    else if (opts.compare === 'both') pass = pass && images.pixels.pass
  }
  const layers: LayerRecord[] = Object.values(r.layers).filter((l) => l.differs).map((l) => ({
    layer: l.layer, xorArea: l.xorArea, polygons: l.polygons, onlyIn: l.onlyIn, ...(l.bboxes[0] ? { bbox: [...l.bboxes[0]] as [number, number, number, number] } : {}),
  }))
  if (pass) {
    if (cache && verdictKey) cache.put(verdictKey, 'pass')
    record({ status: 'passed' })
    return { pass: true, message: () => `laytest: ${shownRef} matches` }
  }
  if (mode === 'all') {
    writeFileAtomic(refPath, referenceBytes(actual.layout, actual.bytes, refPath))
    // the pictures a pixel comparison drew are of a failure that is not one any more
    if (images) for (const f of Object.values(images.files)) rmSync(f, { force: true })
    removeEmptyFolder(folder)
    record({ status: 'updated', layers, dbu: r.dbu })
    return { pass: true, message: () => `laytest: updated reference ${shownRef}` }
  }
  await writeFailureFiles(folder, actual.bytes, refPath, refBytes, reference, outcome)
  const rel = (p: string): string => relative(root, p)
  const warnings = [ghostWarning(reference, shownRef), ghostWarning(actual.layout, actual.label)].filter((w): w is string => w !== null)
  const lines = [
    `laytest: layout differs from reference ${shownRef}`,
    ...warnings,
    '',
    summaryText(shownRef, actual.label, r, undefined).trimEnd(),
    '',
    `Compared ${r.comparedCells.length} of ${reference.cells.size} cell(s); the others are stored identically in both.`,
  ]
  if (images && !images.pixels.pass) lines.push(`pixels: ${images.pixels.diffPixels} differ (${(images.pixels.diffRatio * 100).toFixed(3)} %)`)
  lines.push('', `artifacts: ${rel(folder)}/`)
  if (images) lines.push(`  ${rel(images.files.composite)}`, `  ${rel(images.files.xor)}`)
  for (const f of ['xor.gds', 'actual.gds', 'expected.gds (the reference)', 'report.json']) lines.push(`  ${rel(join(folder, f))}`)
  lines.push('', 'Run vitest with -u to accept the new layout as the reference.')
  const message = lines.join('\n')
  if (cache && verdictKey) rememberFailure(cache, failureKey(verdictKey, c, actual.label, opts), folder, { message, layers, dbu: r.dbu })
  return fail(message, { ...folderFiles(opts, folder), layers, dbu: r.dbu })
}

/** Removes the folder when nothing is left in it (a failure folder whose pictures were taken back). */
function removeEmptyFolder(folder: string): void {
  try {
    if (readdirSync(folder).length === 0) rmdirSync(folder)
  } catch {
    // not there, or not empty
  }
}

interface CachedFailure {
  message: string
  layers: AssertionRecord['layers']
  dbu?: number
  files: string[]
}

/** The dbu of a failure folder's report.json (for failures remembered before records carried it). */
function reportDbu(folder: string): number | undefined {
  try {
    const d = (JSON.parse(readFileSync(join(folder, 'report.json'), 'utf8')) as { dbu?: unknown }).dbu
    return typeof d === 'number' ? d : undefined
  } catch {
    return undefined
  }
}

/**
 * Key of a remembered failure: the verdict's key and everything the message and pictures show besides the
 * verdict — the reference's and the input's names, the artifact folder, the test's name, the picture options —,
 * so that a failure is only ever replayed for the assertion that produced it (two assertions comparing the same
 * contents get their own messages and folders).
 */
function failureKey(verdictKey: string, c: Ctx, actualLabel: string, o: LaytestOptions): string {
  const lyp = lypHash(o)
  const shown = { ref: c.shownRef, actual: actualLabel, folder: relative(c.root, c.folder), test: c.testName, images: o.images, pixel: o.pixel, render: { ...o.render, lyp } }
  return `${verdictKey}\0shown\0${JSON.stringify(shown)}`
}

/** Stores a failure's message and artifact files (all but actual.gds, which is the input itself, and the record). */
function rememberFailure(cache: CacheStore, key: string, folder: string, f: Omit<CachedFailure, 'files'>): void {
  const files = readdirSync(folder).filter((n) => n !== 'actual.gds' && n !== 'assertion.json')
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

/** A new or updated reference's bytes: OASIS for a .oas path, else the GDSII bytes of the input. */
function referenceBytes(layout: Layout, gds: Uint8Array, refPath: string): Uint8Array {
  return formatOfName(refPath) === 'oasis' ? writeOasis(layout, { gzip: /\.gz$/i.test(refPath) }) : gds
}

/**
 * The reference as it was compared, as expected.gds in the failure folder (the artifact then holds both sides,
 * no links out of laytest-results/); an OASIS reference is written there as GDSII, like actual.gds.
 */
function writeExpected(folder: string, refPath: string, refBytes: Uint8Array, reference: Layout | null, strict: boolean): void {
  if (formatOfName(refPath) === 'gds') return writeFileAtomic(join(folder, 'expected.gds'), refBytes)
  writeFileAtomic(join(folder, 'expected.gds'), writeLayout(reference ?? readLayout(refBytes, { file: refPath, strict })))
}

async function writeFailureFiles(folder: string, actualBytes: Uint8Array, refPath: string, refBytes: Uint8Array, reference: Layout, outcome: DiffOutcome): Promise<void> {
  mkdirSync(folder, { recursive: true })
  writeFileAtomic(join(folder, 'actual.gds'), actualBytes)
  writeExpected(folder, refPath, refBytes, reference, false)
  await writeXorGds(outcome, join(folder, 'xor.gds'))
  writeFileAtomic(join(folder, 'report.json'), JSON.stringify(outcome.result, null, 1) + '\n')
}

/** The cache of this assertion's options, or null when disabled (cache: false, LAYTEST_CACHE=0). */
function cacheFor(opts: LaytestOptions): CacheStore | null {
  if (opts.cache === false || process.env.LAYTEST_CACHE === '0') return null
  return new CacheStore({ root: opts.root, ...(typeof opts.cache === 'object' ? opts.cache : {}) })
}


/** The content hash of the options' .lyp file (pictures and pixel verdicts depend on it), or null. */
function lypHash(o: LaytestOptions): string | null {
  return o.render?.lyp && existsSync(o.render.lyp) ? fileContentHash(null, o.render.lyp) : null
}

/** Key of a passed comparison: both contents, every option that can change the verdict, laytest's version. */
function verdictCacheKey(refHash: string, actualHash: string, o: LaytestOptions): string {
  const lyp = lypHash(o)
  const relevant = {
    tolerance: o.tolerance, layers: o.layers, ignoreLabels: o.ignoreLabels === true, missingLayer: o.missingLayer, topA: o.topA, topB: o.topB,
    dbuRounding: o.dbuRounding, compare: o.compare ?? 'xor', ...(o.strict ? { strict: true } : {}),
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
