import pixelmatch from 'pixelmatch'
import { blankImage, type Image } from './render.js'

/*
 * Pixel comparison with pixelmatch, with Playwright's option names so users recognise them:
 * - threshold: per-pixel colour distance in YIQ space, 0 (exact) .. 1 (anything); default 0.2 as in Playwright
 *   (pixelmatch's own default is 0.1). A pixel counts as different when its distance exceeds the threshold.
 * - maxDiffPixels / maxDiffPixelRatio: how many different pixels still pass; when both are given the stricter
 *   one applies (Playwright's rule); default 0 (any different pixel fails).
 * - includeAA: count pixels pixelmatch classifies as anti-aliasing as different (default false, as pixelmatch).
 *   laytest's renderer draws without anti-aliasing, so this matters for images from elsewhere.
 */

export interface PixelDiffOptions {
  threshold?: number
  maxDiffPixels?: number
  maxDiffPixelRatio?: number
  includeAA?: boolean
}

export interface PixelDiffResult {
  pass: boolean
  diffPixels: number
  diffRatio: number
  /** The most different pixels allowed by the options. */
  allowed: number
  /** Sizes differed: the smaller image was padded (padding counts as different). */
  sizeMismatch: boolean
  /** pixelmatch's diff image: differences red, the expected image faded as context. */
  diff: Image
}

export function comparePixels(expected: Image, actual: Image, opts: PixelDiffOptions = {}): PixelDiffResult {
  const threshold = opts.threshold ?? 0.2
  if (!(threshold >= 0 && threshold <= 1)) throw new RangeError(`threshold must be in 0..1 (got ${opts.threshold})`)
  if (opts.maxDiffPixels !== undefined && !(opts.maxDiffPixels >= 0)) throw new RangeError(`maxDiffPixels must be >= 0 (got ${opts.maxDiffPixels})`)
  if (opts.maxDiffPixelRatio !== undefined && !(opts.maxDiffPixelRatio >= 0 && opts.maxDiffPixelRatio <= 1)) {
    throw new RangeError(`maxDiffPixelRatio must be in 0..1 (got ${opts.maxDiffPixelRatio})`)
  }
  const width = Math.max(expected.width, actual.width), height = Math.max(expected.height, actual.height)
  const sizeMismatch = expected.width !== actual.width || expected.height !== actual.height
  const e = pad(expected, width, height), a = pad(actual, width, height)
  const diff = blankImage(width, height, [255, 255, 255])
  let diffPixels = pixelmatch(e.data, a.data, diff.data, width, height, { threshold, includeAA: !!opts.includeAA })
  if (sizeMismatch) diffPixels += paddedDifference(expected, actual, diff)
  const total = width * height
  const byCount = opts.maxDiffPixels
  const byRatio = opts.maxDiffPixelRatio !== undefined ? opts.maxDiffPixelRatio * total : undefined
  const allowed = byCount !== undefined && byRatio !== undefined ? Math.min(byCount, byRatio) : (byCount ?? byRatio ?? 0)
  return { pass: diffPixels <= allowed, diffPixels, diffRatio: diffPixels / total, allowed, sizeMismatch, diff }
}

/** The image on a canvas of the given size (transparent padding). */
function pad(img: Image, width: number, height: number): Image {
  if (img.width === width && img.height === height) return img
  const out = { width, height, data: new Uint8Array(width * height * 4) }
  for (let y = 0; y < img.height; y++) out.data.set(img.data.subarray(4 * y * img.width, 4 * (y + 1) * img.width), 4 * y * width)
  return out
}

/** Pixels inside one image and outside the other count as different (pixelmatch may see equal transparency). */
function paddedDifference(a: Image, b: Image, diff: Image): number {
  let n = 0
  for (let y = 0; y < diff.height; y++) {
    for (let x = 0; x < diff.width; x++) {
      const inA = x < a.width && y < a.height, inB = x < b.width && y < b.height
      if (inA === inB) continue
      const o = 4 * (y * diff.width + x)
      // pixelmatch already counted it if it painted it red
      if (diff.data[o] === 255 && diff.data[o + 1] === 0 && diff.data[o + 2] === 0) continue
      diff.data.set([255, 0, 0, 255], o)
      n++
    }
  }
  return n
}
