import type { DiffOptions } from '../diff/index.js'
import type { PixelDiffOptions } from '../render/index.js'
import type { CacheOptions } from '../cache/store.js'

/** Options of toMatchReference; global defaults with configureLaytest(). */
export interface LaytestOptions extends Pick<DiffOptions, 'tolerance' | 'layers' | 'ignoreLabels' | 'missingLayer' | 'topA' | 'topB' | 'dbuRounding'> {
  /** Folder of the references, relative to the project root (default "reference"). */
  referenceDir?: string
  /**
   * Where a reference lives, like Playwright's snapshotPathTemplate. Placeholders: {referenceDir},
   * {testFilePath} (relative to the root), {testFileName}, {arg} (the reference name), {ext} (".gds" or ".oas",
   * see referenceFormat). Default "{referenceDir}/{testFilePath}/{arg}{ext}".
   */
  pathTemplate?: string
  /**
   * The format new references are written in: "gds" (default) or "oas" (OASIS, typically several times smaller
   * in a repository). An existing reference is read, and rewritten by -u, in the format it has.
   */
  referenceFormat?: 'gds' | 'oas'
  /** Undefined cells (referenced, never defined) fail the assertion (default: read as empty cells with a warning). */
  strict?: boolean
  /** Folder of the failure artifacts (default "laytest-results"). */
  resultsDir?: string
  /** Project root the paths are relative to (default: the current directory, which vitest sets to the root). */
  root?: string
  /** What decides pass/fail (default "xor"; the pixel diff is then only for pictures). */
  compare?: 'xor' | 'pixel' | 'both'
  /** pixelmatch options (threshold default 0.2). */
  pixel?: PixelDiffOptions
  /**
   * Render options for the failure images: long side in pixels, KLayout layer properties, and whether TEXT labels
   * are drawn (default: when the labels differ).
   */
  render?: { size?: number; lyp?: string; texts?: boolean }
  /** Failure images (default true). */
  images?: boolean
  /** Timeout of a generator command in ms (default 120000). */
  generatorTimeout?: number
  /** The session cache (default on, in build/session/laytest; false or LAYTEST_CACHE=0 turns it off). */
  cache?: boolean | CacheOptions
}

let globals: LaytestOptions = {}

/** Sets defaults for every toMatchReference in this process (call it in a setup file). */
export function configureLaytest(opts: LaytestOptions): void {
  globals = { ...globals, ...opts }
}

export function effectiveOptions(local: LaytestOptions = {}): LaytestOptions {
  return { ...globals, ...local }
}

/** The vitest snapshot update mode: "new" writes missing references, "all" (-u) rewrites changed ones, "none" (CI) writes nothing. */
export type UpdateMode = 'new' | 'all' | 'none'

/** Key of a test's assertion records in vitest's task meta (matcher writes, reporter reads). */
export const META_KEY = 'laytest'
