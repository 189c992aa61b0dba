import { existsSync } from 'node:fs'
import { basename, dirname, isAbsolute, join, relative, resolve } from 'node:path'
import type { LaytestOptions } from './config.js'

/** A file-name-safe form of a test or reference name. */
export function sanitize(name: string): string {
  const s = name.replace(/[^A-Za-z0-9._-]+/g, '-').replace(/^[-.]+|-+$/g, '')
  return (s || 'layout').slice(0, 120)
}

const counters = new Map<string, number>()

/**
 * The reference name of one assertion: the given name, else the test's name; a second assertion with the same
 * name in the same test gets "-2", and so on (like vitest's snapshot counters).
 */
export function referenceName(testFile: string, testName: string, arg: string | undefined): string {
  const base = sanitize(arg ?? testName)
  const key = `${testFile}\0${testName}\0${base}`
  const n = (counters.get(key) ?? 0) + 1
  counters.set(key, n)
  return n === 1 ? base : `${base}-${n}`
}

/** Forget the counters of a test (when it starts again, e.g. retried or re-run in watch mode). */
export function resetCounters(testFile: string, testName: string): void {
  for (const k of counters.keys()) if (k.startsWith(`${testFile}\0${testName}\0`)) counters.delete(k)
}

/** The file extension of a reference format. */
export function referenceExt(format: LaytestOptions['referenceFormat']): '.gds' | '.oas' {
  return format === 'oas' ? '.oas' : '.gds'
}

/**
 * Where the reference of an assertion is: the existing file, in whichever format it was written (.gds or .oas:
 * a project that switches referenceFormat keeps its references), else the path of a new one in the configured
 * format. `both` is set when a reference exists in both formats (the assertion then fails: which one is meant?).
 */
export function findReference(opts: LaytestOptions, testFile: string, name: string): { path: string; both: string | null } {
  const preferred = referencePath(opts, testFile, name)
  const other = referencePath({ ...opts, referenceFormat: opts.referenceFormat === 'oas' ? 'gds' : 'oas' }, testFile, name)
  if (other === preferred) return { path: preferred, both: null }
  const hasPreferred = existsSync(preferred), hasOther = existsSync(other)
  if (hasOther && !hasPreferred) return { path: other, both: null }
  return { path: preferred, both: hasPreferred && hasOther ? other : null }
}

/** The path of a reference in the configured format (existing or not). */
export function referencePath(opts: LaytestOptions, testFile: string, name: string): string {
  const root = opts.root ?? process.cwd()
  const rel = isAbsolute(testFile) ? relative(root, testFile) : testFile
  const template = opts.pathTemplate ?? '{referenceDir}/{testFilePath}/{arg}{ext}'
  const p = template
    .replaceAll('{referenceDir}', opts.referenceDir ?? 'reference')
    .replaceAll('{testFilePath}', rel.split('\\').join('/'))
    .replaceAll('{testFileName}', basename(testFile))
    .replaceAll('{arg}', name)
    .replaceAll('{ext}', referenceExt(opts.referenceFormat))
  return isAbsolute(p) ? p : resolve(root, p)
}

/**
 * The folder holding only the references of one test file (relative to the root, "/" separated), or null when
 * the path template lets test files share folders (no {testFilePath} before {arg}, or {arg} is not the last
 * part of the path). Unused-reference cleanup looks only into such folders of test files that ran completely.
 */
export function referenceFolder(opts: Pick<LaytestOptions, 'root' | 'referenceDir' | 'pathTemplate'>, testFile: string): string | null {
  const template = opts.pathTemplate ?? '{referenceDir}/{testFilePath}/{arg}{ext}'
  const slash = template.replaceAll('\\', '/').lastIndexOf('/')
  if (slash < 0) return null
  const dirPart = template.slice(0, slash), filePart = template.slice(slash + 1)
  if (!dirPart.includes('{testFilePath}') || dirPart.includes('{arg}') || !filePart.includes('{arg}')) return null
  const root = opts.root ?? process.cwd()
  const probe = referencePath({ ...opts, pathTemplate: `${dirPart}/x` }, testFile, 'x')
  return relative(root, dirname(probe)).split('\\').join('/')
}

/** The results folder (absolute). */
export function resultsRoot(opts: Pick<LaytestOptions, 'root' | 'resultsDir'>): string {
  return resolve(opts.root ?? process.cwd(), opts.resultsDir ?? 'laytest-results')
}

/** The artifact folder of one assertion: <resultsDir>/<test file>-<reference name>. */
export function resultsFolder(opts: LaytestOptions, testFile: string, name: string): string {
  const root = opts.root ?? process.cwd()
  const rel = isAbsolute(testFile) ? relative(root, testFile) : testFile
  return join(resultsRoot(opts), sanitize(`${rel}-${name}`))
}
