import type { BBox } from '../layout/bbox.js'
import type { Layout } from '../layout/layout.js'
import { blit, strokeRect } from './composite.js'
import { drawText, TEXT_HEIGHT } from './font.js'
import { Mask, rasterPolygon } from './raster.js'
import { blankImage, renderLayout, type Image, type RenderOptions } from './render.js'
import type { RGB } from './style.js'
import { fitView, type View } from './view.js'

/** Difference geometry to mark: polygons in dbu (flat x, y lists) and the boxes of the difference clusters. */
export interface DiffMarks {
  polygons: ArrayLike<number>[]
  /** Largest first; the first ones get a frame and an inset. */
  clusters: BBox[]
}

export interface OverlayOptions extends RenderOptions {
  /** Zoomed-in insets of the largest clusters (default 3). */
  insets?: number
  /** Inset size in pixels (default 256). */
  insetSize?: number
  /** Colour of the differences (default strong magenta). */
  color?: string
}

const MARK: RGB = [230, 0, 160]
const FRAME: RGB = [200, 0, 0]

/**
 * The reference, dimmed, with the differences drawn over it in a strong colour, at least three pixels wide
 * (a 1-dbu sliver is invisible at fit zoom otherwise), and zoomed-in insets of the largest clusters below the
 * picture, their windows framed and numbered on it.
 */
export function xorOverlay(reference: Layout, marks: DiffMarks, opts: OverlayOptions = {}): Image {
  const main = overlayPanel(reference, marks, opts, opts.view)
  const want = opts.insets ?? 3
  if (want === 0 || marks.clusters.length === 0) return main.image
  const size = opts.insetSize ?? 256
  // insets: the largest clusters, skipping one that an earlier inset already shows
  const long = Math.max(main.view.r - main.view.l, main.view.t - main.view.b)
  const chosen: Array<{ cluster: BBox; window: BBox }> = []
  for (const c of marks.clusters) {
    if (chosen.length >= want) break
    const cx = (c[0] + c[2]) / 2, cy = (c[1] + c[3]) / 2
    if (chosen.some(({ window: w }) => cx >= w[0] && cx <= w[2] && cy >= w[1] && cy <= w[3])) continue
    // a square around the cluster, 1.5x its size, at least 3 % of the main view's long side
    const side = Math.max(Math.max(c[2] - c[0], c[3] - c[1]) * 1.5, long * 0.03)
    chosen.push({ cluster: c, window: [cx - side / 2, cy - side / 2, cx + side / 2, cy + side / 2] })
  }
  // frame and number them on the main picture; numbers stacked so that close frames stay readable
  const labels: Array<[number, number]> = []
  chosen.forEach(({ window: w }, i) => {
    const [x0, y0, x1, y1] = pixelBox(main.view, w)
    strokeRect(main.image, x0, y0, x1, y1, FRAME, 2)
    let ly = Math.max(0, y0)
    while (labels.some(([lx, yy]) => Math.abs(lx - (x1 + 5)) < 14 && Math.abs(yy - ly) < 16)) ly += 16
    labels.push([x1 + 5, ly])
    drawText(main.image, x1 + 5, ly, `${i + 1}`, FRAME, 2)
  })
  const gap = 10
  const head = TEXT_HEIGHT + 2 * 4
  const n = chosen.length
  const width = Math.max(main.image.width, n * (size + gap) + gap)
  const out = blankImage(width, main.image.height + head + size + 2 * gap, [255, 255, 255])
  blit(out, main.image, 0, 0)
  chosen.forEach(({ window: w }, i) => {
    const view = fitView(w, { size, margin: 0 })
    const inset = overlayPanel(reference, marks, opts, view)
    const x = gap + i * (size + gap), y = main.image.height + gap
    const dbu = reference.dbu
    drawText(out, x, y, `${i + 1}: ${fmt(((w[0] + w[2]) / 2) * dbu)}, ${fmt(((w[1] + w[3]) / 2) * dbu)} um`, [40, 40, 40])
    blit(out, inset.image, x, y + head)
    strokeRect(out, x - 1, y + head - 1, x + inset.image.width, y + head + inset.image.height, FRAME)
  })
  return out
}

function fmt(v: number): string {
  return Number(v.toPrecision(6)).toString()
}

function pixelBox(v: View, b: BBox): [number, number, number, number] {
  return [Math.floor((b[0] - v.l) * v.scale), Math.floor((v.t - b[3]) * v.scale), Math.ceil((b[2] - v.l) * v.scale) - 1, Math.ceil((v.t - b[1]) * v.scale) - 1]
}

function overlayPanel(reference: Layout, marks: DiffMarks, opts: OverlayOptions, view: View | undefined): { image: Image; view: View } {
  const r = renderLayout(reference, { ...opts, view })
  const img = r.image
  // dim the reference towards white
  for (let i = 0; i < img.data.length; i += 4) {
    img.data[i] = 255 - (((255 - img.data[i]!) * 90) >> 8)
    img.data[i + 1] = 255 - (((255 - img.data[i + 1]!) * 90) >> 8)
    img.data[i + 2] = 255 - (((255 - img.data[i + 2]!) * 90) >> 8)
  }
  const m = new Mask(img.width, img.height)
  for (const p of marks.polygons) rasterPolygon(m, r.view, p, p.length >> 1)
  const color = opts.color ? hex(opts.color) : MARK
  // grown by one pixel: at least three pixels wide
  const w = img.width, h = img.height
  for (let j = 0; j < h; j++) {
    for (let i = 0; i < w; i++) {
      let hit = false
      for (let dj = -1; dj <= 1 && !hit; dj++) {
        for (let di = -1; di <= 1 && !hit; di++) {
          const x = i + di, y = j + dj
          if (x >= 0 && y >= 0 && x < w && y < h && m.data[y * w + x]) hit = true
        }
      }
      if (hit) img.data.set([color[0], color[1], color[2], 255], 4 * (j * w + i))
    }
  }
  return { image: img, view: r.view }
}

function hex(s: string): RGB {
  const v = parseInt(s.replace('#', ''), 16)
  return [(v >> 16) & 255, (v >> 8) & 255, v & 255]
}
