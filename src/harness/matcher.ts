import { appendFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
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

  let reference: Layout
  try {
    reference = readLayout(readFileSync(refPath), { file: shownRef })
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
  const layers = Object.values(r.layers).filter((l) => l.xorAreaExact !== '0').map((l) => ({ layer: l.layer, xorArea: l.xorArea, polygons: l.polygons, onlyIn: l.onlyIn }))
  if (pass) {
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
  ]
  if (images && !images.pixels.pass) lines.push(`pixels: ${images.pixels.diffPixels} differ (${(images.pixels.diffRatio * 100).toFixed(3)} %)`)
  lines.push('', `artifacts: ${rel(folder)}/`)
  if (images) lines.push(`  ${rel(images.files.composite)}`, `  ${rel(images.files.xor)}`)
  lines.push(`  ${rel(join(folder, 'xor.gds'))}  ${rel(join(folder, 'actual.gds'))}  ${rel(join(folder, 'report.json'))}`)
  lines.push('', 'Run vitest with -u to accept the new layout as the reference.')
  return fail(lines.join('\n'), { results: rel(folder), images: images ? mapFiles(images.files, rel) : undefined, layers })
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

/** Appends the assertion to <resultsDir>/.assertions/<pid>.jsonl (read by the reporter after the run). */
function writeRecord(opts: LaytestOptions, rec: AssertionRecord): void {
  const dir = join(opts.root ?? process.cwd(), opts.resultsDir ?? 'laytest-results', '.assertions')
  mkdirSync(dir, { recursive: true })
  const file = join(dir, `${process.pid}.jsonl`)
  if (!existsSync(file)) writeFileSync(file, '')
  appendFileSync(file, JSON.stringify(rec) + '\n')
}
