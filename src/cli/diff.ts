import { diffLayouts, writeXorGds, type DiffOptions, type DiffResult } from '../diff/index.js'
import type { Layout } from '../layout/layout.js'
import { readLayouts } from '../layout/read-parallel.js'
import { existsSync, mkdirSync } from 'node:fs'
import { CACHE_FORMAT_VERSION, CacheStore, defaultCacheDir, LAYTEST_VERSION as VERSION } from '../cache/store.js'
import { hashFile, unchangedSince, type FileHash } from '../cache/keys.js'
import { basename, join } from 'node:path'
import { readLayout, writeFileAtomic, type ReadLayoutOptions } from '../layout/gdsio.js'
import { readLyp } from '../render/lyp.js'
import { writeDiffImages, type DiffImages } from '../harness/artifacts.js'
import { summaryText } from '../harness/summary.js'
import { ghostWarning } from '../layout/ghosts.js'

export interface DiffCommandOptions extends DiffOptions {
  json: boolean
  /** Write the XOR as GDS here. */
  output?: string
  /** With output: also the compared A and B shapes on offset layers. */
  withInputs?: boolean
  /** Write expected / actual / diff / composite / xor PNGs here. */
  images?: string
  /** Base name of the images (default: B's file name without extension). */
  name?: string
  size?: number
  lyp?: string
  /** Artifacts folder: images, xor.gds and report.json. */
  out?: string
  /** Use the session cache (default true; LAYTEST_CACHE=0 turns it off). */
  cache?: boolean
  /** Undefined cells are an error (default: empty cells, as KLayout reads them, and a warning line). */
  strict?: boolean
}

export interface DiffCommandResult {
  text: string
  equal: boolean
  /** One-line warnings (undefined cells read as empty): in the text, and on stderr with --json. */
  warnings: string[]
}

/** A cached result: the comparison and the warnings reading the files gave. */
type CachedDiff = DiffResult & { warnings?: string[] }

/** Cache key of a diff result: both files' contents, the options that shape the result, laytest's version. */
function resultCacheKey(a: FileHash, b: FileHash, o: DiffCommandOptions): string {
  const relevant = {
    tolerance: o.tolerance, layers: o.layers, ignoreLabels: o.ignoreLabels === true, missingLayer: o.missingLayer, topA: o.topA, topB: o.topB,
    dbuRounding: o.dbuRounding, areas: o.areas, maxBoxes: o.maxBoxes, prune: o.prune, tileShapes: o.tileShapes,
    ...(o.strict ? { strict: true } : {}),
  }
  return `diff\0${VERSION}\0${CACHE_FORMAT_VERSION}\0${a.hash}\0${b.hash}\0${JSON.stringify(relevant)}`
}


/**
 * The two layouts for a comparison whose result may be cached: a file that was read to be hashed is parsed from
 * exactly those bytes (one read, whatever happens to the file meanwhile); the others are read from their path.
 */
async function readHashed(files: [string, string], hashes: readonly [FileHash, FileHash], opts: ReadLayoutOptions): Promise<[Layout, Layout]> {
  const byPath = files.filter((_, i) => !hashes[i]!.bytes)
  const fromPath = byPath.length ? await readLayouts(byPath, opts) : []
  const out = files.map((f, i) => {
    const bytes = hashes[i]!.bytes
    return bytes ? readLayout(bytes, { ...opts, file: f }) : fromPath.shift()!
  })
  return out as [Layout, Layout]
}

/** `laytest diff A B`: the text (or JSON) to print and the verdict. */
export async function diffCommand(fileA: string, fileB: string, opts: DiffCommandOptions): Promise<DiffCommandResult> {
  const t0 = performance.now()
  if (opts.out) mkdirSync(opts.out, { recursive: true })
  // the session cache decides when nothing but the verdict is wanted and both files were compared before
  const artifacts = !!(opts.output || opts.out || opts.images)
  // only inside a project (or with a session folder named): a diff run anywhere else leaves no build/ folder behind
  const inProject = !!process.env.LAYTEST_SESSION_DIR || existsSync('package.json') || existsSync(defaultCacheDir())
  const store = opts.cache !== false && process.env.LAYTEST_CACHE !== '0' && inProject && !artifacts && existsSync(fileA) && existsSync(fileB) ? new CacheStore() : null
  const hashes = store ? [hashFile(store, fileA, { keepBytes: true }), hashFile(store, fileB, { keepBytes: true })] as const : null
  const key = hashes ? resultCacheKey(hashes[0], hashes[1], opts) : null
  const hit = store && key ? store.getJson<CachedDiff>(key) : null
  if (hit) {
    store!.recordStats()
    const wall = performance.now() - t0
    const { warnings = [], ...result } = hit
    if (opts.json) return { text: JSON.stringify({ a: fileA, b: fileB, ...result, cached: true }, null, 1) + '\n', equal: hit.equal, warnings }
    return { text: warningLines(warnings) + summaryText(fileA, fileB, result, undefined, wall) + '(from the session cache: both files unchanged since they were compared)\n', equal: hit.equal, warnings }
  }
  const exact = hashes?.map((h) => !!h.bytes)
  const readOpts: ReadLayoutOptions = { strict: !!opts.strict }
  const [a, b] = hashes ? await readHashed([fileA, fileB], hashes, readOpts) : ((await readLayouts([fileA, fileB], readOpts)) as [Layout, Layout])
  for (const h of hashes ?? []) delete h.bytes
  const warnings = [ghostWarning(a, fileA), ghostWarning(b, fileB)].filter((w): w is string => w !== null)
  const read = performance.now() - t0
  // a progress line on a terminal; nothing when piped
  const tty = process.stderr.isTTY && !opts.json
  const onProgress = tty ? (done: number, total: number, layer: string): void => void process.stderr.write(`\r\x1b[Kcomparing layer ${layer} (${done + 1}/${total})`) : undefined
  const output = opts.output ?? (opts.out ? join(opts.out, 'xor.gds') : undefined)
  const outcome = await diffLayouts(a, b, { ...opts, keepInputs: !!(output && opts.withInputs), onProgress })
  if (tty) process.stderr.write('\r\x1b[K')
  if (output) await writeXorGds(outcome, output, { inputs: !!opts.withInputs })
  if (opts.out) writeFileAtomic(join(opts.out, 'report.json'), JSON.stringify(outcome.result, null, 1) + '\n')
  if (store && key && hashes) {
    // the result is stored under the hashes only when it was computed from exactly those contents: bytes that
    // were hashed and parsed, or a file provably not written since it was hashed (see src/cache/keys.ts)
    if (hashes.every((h, i) => exact![i] || unchangedSince(h))) store.putJson(key, { ...outcome.result, warnings } satisfies CachedDiff)
    store.recordStats()
  }
  let images: DiffImages | null = null
  const imageDir = opts.images ?? opts.out
  if (imageDir) {
    const name = opts.name ?? basename(fileB).replace(/\.(gds|oas)(\.gz)?$/i, '')
    images = writeDiffImages(imageDir, name, a, b, outcome, {
      size: opts.size, styles: opts.lyp ? readLyp(opts.lyp) : undefined, expectedLabel: basename(fileA), actualLabel: basename(fileB),
    })
  }
  const r = outcome.result
  const wall = performance.now() - t0
  if (opts.json) {
    const json = {
      a: fileA, b: fileB, ...r, timings: { read: round(read), ...r.timings, wall: round(wall) },
      ...(images ? { images: images.files, pixelDiff: { diffPixels: images.pixels.diffPixels, diffRatio: images.pixels.diffRatio } } : {}),
    }
    return { text: JSON.stringify(json, null, 1) + '\n', equal: r.equal, warnings }
  }
  let text = warningLines(warnings) + summaryText(fileA, fileB, r, output, wall)
  if (images) text += `images: ${images.files.composite}, ${images.files.xor} (${images.pixels.diffPixels} pixels differ)\n`
  return { text, equal: r.equal, warnings }
}

function warningLines(warnings: string[]): string {
  return warnings.map((w) => `${w}\n`).join('')
}

const round = (v: number): number => Math.round(v * 10) / 10
