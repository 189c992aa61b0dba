import { mkdirSync } from 'node:fs'
import { basename, join } from 'node:path'
import type { DiffOutcome } from '../diff/index.js'
import type { BBox } from '../layout/bbox.js'
import type { Layout } from '../layout/layout.js'
import { keyOf } from '../render/figure.js'
import {
  collectLabels, comparePixels, diffComposite, drawLabels, LayerStyles, pairView, renderCell, renderLayout, writePng, xorFigure, xorPanel,
  type DiffMarks, type FigureInfo, type Image, type LabelMark, type PixelDiffOptions, type PixelDiffResult,
} from '../render/index.js'
import { fmtArea } from '../render/units.js'

export interface DiffImageOptions extends PixelDiffOptions {
  /** Long side of the renders in pixels (default 1024). */
  size?: number
  /** Short side of each panel at least this many pixels (default half of `size`: 512 px at the default size). */
  minShort?: number
  styles?: LayerStyles
  /** What failed, first in the title (default: `name`; for the matcher's `layout`, its folder's name: the test). */
  title?: string
  /** How the two sides are named in the pictures, e.g. their files (default "expected" and "actual"). */
  expectedLabel?: string
  actualLabel?: string
  /**
   * Draw TEXT labels on the expected and actual images (default: when the labels differ). The pixel diff compares
   * the geometry without them.
   */
  texts?: boolean
}

export interface DiffImages {
  files: Record<'expected' | 'actual' | 'diff' | 'composite' | 'xor', string>
  pixels: PixelDiffResult
}

/**
 * The XOR result as marks for the overlay, in dbu of the layout the marks are drawn over (`dbu`, default the
 * comparison grid's): polygons, the largest clusters over all layers with their layers (then the labels that
 * differ, as clusters of layer "label L/D"), and the labels found on one side only.
 */
export function diffMarks(outcome: DiffOutcome, dbu = outcome.dbu): DiffMarks {
  const f = outcome.dbu / dbu
  const polygons: Float64Array[] = []
  for (const tiles of outcome.xor.values()) {
    for (const rs of tiles) {
      for (let i = 0; i < rs.count; i++) {
        const s = rs.starts[i]!, e = rs.starts[i + 1]!
        const xy = new Float64Array(e - s)
        for (let k = s; k < e; k++) xy[k - s] = (rs.xy[k]! / 2) * f
        polygons.push(xy)
      }
    }
  }
  const scaled = (b: BBox): BBox => (f === 1 ? b : [b[0] * f, b[1] * f, b[2] * f, b[3] * f])
  const tagged = Object.values(outcome.result.layers).flatMap((l) => l.bboxes.map((b) => ({ box: scaled(b), layer: l.layer })))
  const size = (b: BBox): number => (b[2] - b[0]) * (b[3] - b[1])
  tagged.sort((x, y) => size(y.box) - size(x.box) || x.box[0] - y.box[0] || x.box[1] - y.box[1] || (x.layer < y.layer ? -1 : x.layer > y.layer ? 1 : 0))
  const labels: LabelMark[] = []
  const ld = outcome.result.labels
  if (ld && !ld.equal) {
    for (const l of ld.onlyInA) labels.push({ x: l.x * f, y: l.y * f, text: l.text, layer: l.layer, side: 'a' })
    for (const l of ld.onlyInB) labels.push({ x: l.x * f, y: l.y * f, text: l.text, layer: l.layer, side: 'b' })
  }
  // then the labels that differ, after the geometry: a label that moved (same string and layer on both sides) is
  // one cluster from its old to its new anchor
  const rest = [...labels]
  while (rest.length) {
    const l = rest.shift()!
    const k = rest.findIndex((m) => m.side !== l.side && m.text === l.text && m.layer === l.layer)
    const m = k >= 0 ? rest.splice(k, 1)[0]! : l
    tagged.push({ box: [Math.min(l.x, m.x), Math.min(l.y, m.y), Math.max(l.x, m.x), Math.max(l.y, m.y)], layer: `label ${l.layer}` })
  }
  return { polygons, clusters: tagged.map((t) => t.box), clusterLayers: tagged.map((t) => [t.layer]), labels }
}

/** Title, totals and legend of the failure pictures. */
export function figureInfo(subject: string, outcome: DiffOutcome, styles: LayerStyles, dbu: number, extra: { pixelDiff?: number; expectedLabel?: string; actualLabel?: string } = {}): FigureInfo {
  const r = outcome.result
  const layers = Object.values(r.layers)
  const differing = layers.filter((l) => l.differs)
  const um2 = outcome.dbu * outcome.dbu
  const total = differing.reduce((s, l) => s + l.xorArea, 0) * um2
  const polys = differing.reduce((s, l) => s + l.polygons, 0)
  const ld = r.labels
  const labelsDiffer = !!ld && !ld.equal
  const verdict = r.equal ? 'equal' : differing.length ? `layout differs: XOR ${fmtArea(total)} µm²` : labelsDiffer ? 'labels differ' : 'differs'
  const parts: string[] = []
  if (differing.length) parts.push(`${polys} XOR polygon${polys === 1 ? '' : 's'} on ${differing.length} of ${layers.length} layer${layers.length === 1 ? '' : 's'}`)
  else parts.push(`no geometric difference on ${layers.length} layer${layers.length === 1 ? '' : 's'}`)
  if (labelsDiffer) parts.push(`labels: ${ld.countOnlyInA} only in expected, ${ld.countOnlyInB} only in actual`)
  if (extra.pixelDiff !== undefined) parts.push(`pixel diff ${extra.pixelDiff} px`)
  const side = (label: string | undefined, fallback: string, tops: string[]): string => `${label ?? fallback} (${tops.join(', ') || '-'})`
  parts.push(`${side(extra.expectedLabel, 'expected', r.topA)} vs ${side(extra.actualLabel, 'actual', r.topB)}`)
  return {
    title: `${subject}: ${verdict}`,
    subtitle: parts.join(' · '),
    dbu,
    legend: layers.map((l) => ({
      layer: l.layer, name: styles.get(keyOf(l.layer)).name, style: styles.get(keyOf(l.layer)), differs: l.differs,
      xorAreaUm2: l.differs ? l.xorArea * um2 : undefined, polygons: l.differs ? l.polygons : undefined, onlyIn: l.onlyIn,
    })),
    labelNote: labelsDiffer ? `label only in expected (−) / actual (+)` : undefined,
  }
}

/**
 * Writes `<name>-expected.png`, `-actual.png`, `-diff.png` (pixelmatch), `-composite.png` (title, then expected |
 * actual over XOR | pixel diff, legend, scale bars) and `-xor.png` (the geometric XOR over the dimmed reference,
 * with the legend and zoomed insets of the largest differences) into `dir`. Both renders share one view, fitted
 * to both layouts, each panel at least `minShort` pixels on its short side.
 */
export function writeDiffImages(dir: string, name: string, a: Layout, b: Layout, outcome: DiffOutcome, opts: DiffImageOptions = {}): DiffImages {
  mkdirSync(dir, { recursive: true })
  const cellA = outcome.result.topA[0], cellB = outcome.result.topB[0]
  const size = opts.size ?? 1024
  const view = pairView(a, b, { size, minShort: opts.minShort ?? Math.round(size / 2), cell: cellA })
  const styles = opts.styles ?? new LayerStyles()
  const labelsDiffer = !!outcome.result.labels && !outcome.result.labels.equal
  const texts = opts.texts ?? labelsDiffer
  // the pixel diff compares geometry only (integer rendering, the same bytes everywhere); labels are drawn on
  // copies for people to read, and marked on the XOR panels when they differ
  const geoA = renderLayout(a, { view, cell: cellA, styles }).image
  const geoB = renderLayout(b, { view, cell: cellB, styles }).image
  const pixels = comparePixels(geoA, geoB, opts)
  const withLabels = (layout: Layout, cell: string | undefined, img: Image): Image =>
    texts ? drawLabels({ ...img, data: img.data.slice() }, collectLabels(renderCell(layout, cell), view, layout.dbu, styles, () => true)).image : img
  const expected = withLabels(a, cellA, geoA), actual = withLabels(b, cellB, geoB)
  const files = {
    expected: join(dir, `${name}-expected.png`), actual: join(dir, `${name}-actual.png`), diff: join(dir, `${name}-diff.png`),
    composite: join(dir, `${name}-composite.png`), xor: join(dir, `${name}-xor.png`),
  }
  writePng(files.expected, expected)
  writePng(files.actual, actual)
  writePng(files.diff, pixels.diff)
  const marks = diffMarks(outcome, a.dbu)
  const subject = opts.title ?? (name === 'layout' ? basename(dir) : name)
  const info = figureInfo(subject, outcome, styles, a.dbu, { pixelDiff: pixels.diffPixels, expectedLabel: opts.expectedLabel, actualLabel: opts.actualLabel })
  const differing = Object.values(outcome.result.layers).filter((l) => l.differs).map((l) => l.layer)
  // the overlays start from the expected render without labels (the labels that differ are marked on them)
  const base = geoA
  const xor = xorPanel(a, marks, { view, cell: cellA, styles, base })
  // the XOR panel shows what pixels cannot: a 1-dbu change is invisible at fit zoom, its XOR mark is not
  writePng(files.composite, diffComposite([
    { image: expected, caption: opts.expectedLabel ? `expected: ${opts.expectedLabel}` : 'expected', view },
    { image: actual, caption: opts.actualLabel ? `actual: ${opts.actualLabel}` : 'actual', view },
    { image: xor.image, caption: differing.length ? `XOR (magenta): ${differing.join(' ')}` : labelsDiffer ? 'XOR: no geometric difference; labels differ' : 'XOR: equal', view },
    { image: pixels.diff, caption: `pixel diff of the geometry: ${pixels.diffPixels} px differ (red)`, view },
  ], info, { frames: marks.clusters.length ? 'numbered: zoomed in the XOR picture' : '' }))
  writePng(files.xor, xorFigure(a, marks, { view, cell: cellA, styles, figure: info, base }))
  return { files, pixels }
}
