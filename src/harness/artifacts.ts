import { mkdirSync } from 'node:fs'
import { join } from 'node:path'
import type { DiffOutcome } from '../diff/index.js'
import type { BBox } from '../layout/bbox.js'
import type { Layout } from '../layout/layout.js'
import { comparePixels, pairView, renderLayout, sideBySide, writePng, xorOverlay, type DiffMarks, type LayerStyles, type PixelDiffOptions, type PixelDiffResult } from '../render/index.js'

export interface DiffImageOptions extends PixelDiffOptions {
  /** Long side of the renders in pixels (default 1024). */
  size?: number
  styles?: LayerStyles
}

export interface DiffImages {
  files: Record<'expected' | 'actual' | 'diff' | 'composite' | 'xor', string>
  pixels: PixelDiffResult
}

/** The XOR result as marks for the overlay: polygons in dbu and the largest clusters over all layers. */
export function diffMarks(outcome: DiffOutcome): DiffMarks {
  const polygons: Float64Array[] = []
  for (const tiles of outcome.xor.values()) {
    for (const rs of tiles) {
      for (let i = 0; i < rs.count; i++) {
        const s = rs.starts[i]!, e = rs.starts[i + 1]!
        const xy = new Float64Array(e - s)
        for (let k = s; k < e; k++) xy[k - s] = rs.xy[k]! / 2
        polygons.push(xy)
      }
    }
  }
  const clusters: BBox[] = Object.values(outcome.result.layers).flatMap((l) => l.bboxes)
  const size = (b: BBox): number => (b[2] - b[0]) * (b[3] - b[1])
  clusters.sort((x, y) => size(y) - size(x) || x[0] - y[0] || x[1] - y[1])
  return { polygons, clusters }
}

/**
 * Writes `<name>-expected.png`, `-actual.png`, `-diff.png` (pixelmatch), `-composite.png` (expected | actual |
 * pixel diff | XOR side by side) and `-xor.png` (the geometric XOR over the dimmed reference, with zoomed insets
 * of the largest differences) into `dir`. Both renders share one view, fitted to both layouts.
 */
export function writeDiffImages(dir: string, name: string, a: Layout, b: Layout, outcome: DiffOutcome, opts: DiffImageOptions = {}): DiffImages {
  mkdirSync(dir, { recursive: true })
  const cellA = outcome.result.topA[0], cellB = outcome.result.topB[0]
  const view = pairView(a, b, { size: opts.size, cell: cellA })
  const expected = renderLayout(a, { view, cell: cellA, styles: opts.styles }).image
  const actual = renderLayout(b, { view, cell: cellB, styles: opts.styles }).image
  const pixels = comparePixels(expected, actual, opts)
  const files = {
    expected: join(dir, `${name}-expected.png`), actual: join(dir, `${name}-actual.png`), diff: join(dir, `${name}-diff.png`),
    composite: join(dir, `${name}-composite.png`), xor: join(dir, `${name}-xor.png`),
  }
  writePng(files.expected, expected)
  writePng(files.actual, actual)
  writePng(files.diff, pixels.diff)
  const marks = diffMarks(outcome)
  const differing = Object.values(outcome.result.layers).filter((l) => l.differs).map((l) => l.layer)
  // the XOR panel shows what pixels cannot: a 1-dbu change is invisible at fit zoom, its XOR mark is not
  writePng(files.composite, sideBySide([
    { image: expected, caption: 'expected' },
    { image: actual, caption: 'actual' },
    { image: pixels.diff, caption: `pixel diff: ${pixels.diffPixels} px` },
    { image: xorOverlay(a, marks, { view, cell: cellA, styles: opts.styles, insets: 0 }), caption: differing.length ? `xor: ${differing.join(' ')}` : 'xor: equal' },
  ]))
  writePng(files.xor, xorOverlay(a, marks, { view, cell: cellA, styles: opts.styles }))
  return { files, pixels }
}
