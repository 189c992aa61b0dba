import type { SKRSContext2D } from '@napi-rs/canvas'
import type { BBox } from '../layout/bbox.js'
import type { Layout } from '../layout/layout.js'
import { drawOn, font, rgb, safeText, SANS_BOLD } from './canvas.js'
import { blit, PANEL_FRAME, strokeRect } from './composite.js'
import {
  ADDED, drawBadge, drawCaption, drawHeader, drawLegend, drawMono, drawNumberedFrames, drawScaleBar, FRAME, GREY,
  headerHeight, legendEntries, legendHeight, LEGEND_W, MARK, PAD, REMOVED, SMALL_PX, windowPixels, type FigureInfo,
} from './figure.js'
import { Mask, rasterPolygon } from './raster.js'
import { blankImage, renderLayout, type Image, type RenderOptions } from './render.js'
import { parseColor } from './style.js'
import { labelLine } from './texts.js'
import { fmtUm, viewCaption } from './units.js'
import { fitView, type View } from './view.js'

/** A label found on one side only, in dbu of the reference: 'a' expected only (removed), 'b' actual only (added). */
export interface LabelMark {
  x: number
  y: number
  text: string
  /** "L/D" */
  layer: string
  side: 'a' | 'b'
}

/** Difference geometry to mark: polygons in dbu (flat x, y lists) and the boxes of the difference clusters. */
export interface DiffMarks {
  polygons: ArrayLike<number>[]
  /** Largest first; the first ones get a frame and an inset. */
  clusters: BBox[]
  /** The layers ("L/D") of each cluster, in the order of `clusters` (optional). */
  clusterLayers?: string[][]
  /** Labels on one side only (drawn as "−text" / "+text"). */
  labels?: LabelMark[]
}

export interface OverlayOptions extends RenderOptions {
  /** Zoomed-in insets of the largest clusters (default 3). */
  insets?: number
  /** Inset size in pixels (default: three fill the picture's width, 256..400). */
  insetSize?: number
  /** Colour of the differences (default strong magenta). */
  color?: string
  /** Title, legend and totals of the picture (default: a generic title, no layers in the legend). */
  figure?: FigureInfo
  /**
   * The reference already rendered in `view` with the same styles and without texts: used (copied) for the main
   * panel instead of rendering it again.
   */
  base?: Image
}

export interface Inset {
  /** The cluster's box, with those of the clusters the window also shows (dbu). */
  cluster: BBox
  /** The square window shown, dbu. */
  window: BBox
  layers: string[]
}

/**
 * The reference, dimmed, with the differences drawn over it in a strong colour, at least three pixels wide
 * (a 1-dbu sliver is invisible at fit zoom otherwise). With `insets: 0` and no `figure`: that panel alone, the
 * size of the view. Otherwise the annotated picture (see xorFigure): title, legend, scale bar, view coordinates,
 * and zoomed-in insets of the largest clusters whose windows are framed and numbered on the picture.
 */
export function xorOverlay(reference: Layout, marks: DiffMarks, opts: OverlayOptions = {}): Image {
  if (opts.insets === 0 && !opts.figure) return overlayPanel(reference, marks, opts, opts.view, opts.base).image
  return xorFigure(reference, marks, opts)
}

/** The largest clusters to zoom into, skipping one that an earlier inset already shows. */
export function chooseInsets(marks: DiffMarks, view: View, want: number): Inset[] {
  const long = Math.max(view.r - view.l, view.t - view.b)
  const chosen: Inset[] = []
  marks.clusters.forEach((c, k) => {
    const cx = (c[0] + c[2]) / 2, cy = (c[1] + c[3]) / 2
    const layers = marks.clusterLayers?.[k] ?? []
    const shown = chosen.find(({ window: w }) => cx >= w[0] && cx <= w[2] && cy >= w[1] && cy <= w[3])
    if (shown) {
      for (const l of layers) if (!shown.layers.includes(l)) shown.layers.push(l)
      const u = shown.cluster
      shown.cluster = [Math.min(u[0], c[0]), Math.min(u[1], c[1]), Math.max(u[2], c[2]), Math.max(u[3], c[3])]
      return
    }
    if (chosen.length >= want) return
    // a square around the cluster, 1.5x its size, at least 100 dbu and 0.2 % of the main view's long side (a 1-dbu
    // change in a large layout is then a few pixels wide in its inset, with its neighbours in view); around a label
    // that differs, at least 3 % (a label has no extent: its surroundings say where it is)
    const labelOnly = layers.length > 0 && layers.every((l) => l.startsWith('label '))
    const side = Math.max(Math.max(c[2] - c[0], c[3] - c[1]) * 1.5, long * (labelOnly ? 0.03 : 0.002), 100)
    chosen.push({ cluster: c, window: [cx - side / 2, cy - side / 2, cx + side / 2, cy + side / 2], layers: [...layers] })
  })
  return chosen
}

/**
 * The XOR panel of a composite: the overlay with the windows of the insets framed and numbered (the same numbers
 * as in the XOR picture) and the labels found on one side only.
 */
export function xorPanel(reference: Layout, marks: DiffMarks, opts: OverlayOptions = {}): { image: Image; view: View } {
  const main = overlayPanel(reference, marks, opts, opts.view, opts.base)
  const insets = chooseInsets(marks, main.view, opts.insets ?? 3)
  if (insets.length === 0 && !marks.labels?.length) return main
  const [x0, y0, x1, y1] = markedRegion(main.view, insets, marks.labels ?? [])
  drawOn(main.image, x0, y0, x1 - x0, y1 - y0, (ctx) => {
    drawLabelMarks(ctx, main.view, marks.labels ?? [], 0, 0)
    drawNumberedFrames(ctx, main.view, insets.map((i) => i.window), 0, 0)
  })
  return main
}

/** The pixel box (in the view) that the frames, badges and label marks of a panel can touch. */
function markedRegion(view: View, insets: Inset[], labels: LabelMark[]): [number, number, number, number] {
  let x0 = Infinity, y0 = Infinity, x1 = -Infinity, y1 = -Infinity
  const add = (a: number, b: number, c: number, d: number): void => {
    x0 = Math.min(x0, a)
    y0 = Math.min(y0, b)
    x1 = Math.max(x1, c)
    y1 = Math.max(y1, d)
  }
  for (const i of insets) {
    const [a, b, c, d] = windowPixels(view, i.window)
    add(a - 4, b - 16, c + 30, d + 16 + 22 * insets.length)
  }
  for (const l of labels.slice(0, 500)) {
    const x = (l.x - view.l) * view.scale, y = (view.t - l.y) * view.scale
    add(x - 8, y - 24, x + 320, y + 26)
  }
  return [Math.max(0, Math.floor(x0)), Math.max(0, Math.floor(y0)), Math.min(view.width, Math.ceil(x1)), Math.min(view.height, Math.ceil(y1))]
}

/**
 * The annotated XOR picture: a title; the dimmed reference with the XOR marks, the frames of the insets and the
 * labels on one side only, a scale bar and the view's coordinates; the legend on the right; below, the zoomed
 * insets, each captioned with its position and size in µm and its layers.
 */
export function xorFigure(reference: Layout, marks: DiffMarks, opts: OverlayOptions = {}): Image {
  const dbu = reference.dbu
  const info: FigureInfo = opts.figure ?? { title: 'Geometric XOR over the reference', dbu, legend: [] }
  const src = panelSource(reference, opts, opts.view, opts.base)
  const main = { view: src.view, image: { width: src.src.width, height: src.src.height } }
  const insets = chooseInsets(marks, main.view, opts.insets ?? 3)
  const gap = 20
  const n = insets.length
  const size = opts.insetSize ?? Math.max(256, Math.min(400, Math.floor((main.image.width - (n - 1) * gap) / Math.max(n, 1))))
  const contentW = Math.max(main.image.width, n * size + (n - 1) * gap, 480)
  const legendX = PAD + contentW + 28
  const width = legendX + LEGEND_W + PAD
  const mainY = headerHeight(info, width) + 26
  const insetY = mainY + main.image.height + 34
  const insetViews = insets.map((c) => fitView(c.window, { size, margin: 0 }))
  const insetH = n ? 44 + Math.max(...insetViews.map((v) => v.height)) + 12 : 0
  const frames = n > 0 ? 'numbered: zoomed in below' : ''
  const entries = legendEntries(info, frames, insetY + insetH - mainY)
  const legendH = legendHeight(info, frames, entries)
  const height = Math.max(insetY + insetH + PAD - (n ? 0 : 14), mainY + legendH + PAD)
  // the panels are copied as they are; the canvas draws region by region where there is something to read
  const out = blankImage(width, height, [255, 255, 255])
  const mw = main.image.width, mh = main.image.height
  drawOn(out, 0, 0, width, mainY - 1, (ctx) => {
    drawHeader(ctx, info, width)
    drawCaption(ctx, 'XOR (magenta) over the expected layout, dimmed', PAD, mainY - 8, contentW)
  })
  paintPanel(src.src, src.view, marks, opts, out, PAD, mainY)
  strokeRect(out, PAD - 1, mainY - 1, PAD + mw, mainY + mh, PANEL_FRAME)
  const [rx0, ry0, rx1, ry1] = markedRegion(main.view, insets, marks.labels ?? [])
  drawOn(out, PAD + rx0, mainY + ry0, rx1 - rx0, ry1 - ry0, (ctx) => {
    drawLabelMarks(ctx, main.view, marks.labels ?? [], PAD, mainY)
    drawNumberedFrames(ctx, main.view, insets.map((i) => i.window), PAD, mainY)
  })
  drawOn(out, PAD, mainY + mh - 60, Math.min(mw, 300), 60, (ctx) => drawScaleBar(ctx, main.view, dbu, PAD, mainY))
  drawOn(out, 0, mainY + mh + 1, PAD + contentW, 24, (ctx) => drawMono(ctx, `view: ${viewCaption(main.view, dbu)}`, PAD, mainY + mh + 18, contentW))
  insets.forEach((c, k) => {
    const x = PAD + k * (size + gap), y = insetY + 44
    const p = overlayPanel(reference, marks, opts, insetViews[k])
    const v = p.view
    blit(out, p.image, x, y)
    const cx = ((c.cluster[0] + c.cluster[2]) / 2) * dbu, cy = ((c.cluster[1] + c.cluster[3]) / 2) * dbu
    const w = (c.cluster[2] - c.cluster[0]) * dbu, h = (c.cluster[3] - c.cluster[1]) * dbu
    drawOn(out, x - 2, insetY, v.width + 4, v.height + 44 + 2, (ctx) => {
      drawBadge(ctx, k + 1, x + 11, insetY + 12)
      drawCaption(ctx, `at (${fmtUm(round(cx))}, ${fmtUm(round(cy))}) µm`, x + 28, insetY + 17, size - 28)
      drawCaption(ctx, `${fmtUm(round(w))} × ${fmtUm(round(h))} µm${c.layers.length ? ` · ${c.layers.join(' ')}` : ''}`, x, insetY + 37, size, GREY, SMALL_PX)
      drawLabelMarks(ctx, v, marks.labels ?? [], x, y)
      // a change a few pixels small gets a ring around it
      const [px0, py0, px1, py1] = windowPixels(v, c.cluster, 0)
      if (px1 - px0 < 16 && py1 - py0 < 16) {
        ctx.strokeStyle = rgb(MARK)
        ctx.lineWidth = 2
        ctx.setLineDash([5, 4])
        ctx.beginPath()
        ctx.arc(x + (px0 + px1) / 2, y + (py0 + py1) / 2, 18, 0, 2 * Math.PI)
        ctx.stroke()
        ctx.setLineDash([])
      }
      drawScaleBar(ctx, v, dbu, x, y)
      ctx.strokeStyle = FRAME
      ctx.lineWidth = 2
      ctx.strokeRect(x - 1, y - 1, v.width + 2, v.height + 2)
    })
  })
  drawOn(out, legendX - 8, mainY - 20, width - legendX + 8, Math.min(height - mainY + 20, legendH + 44), (ctx) =>
    drawLegend(ctx, info, legendX, mainY - 20, height - mainY, { frames, maxEntries: entries }))
  return out
}

/** Rounded for a caption: 6 significant digits (coordinates computed from dbu carry float noise). */
function round(v: number): number {
  return Number(v.toPrecision(6))
}

/**
 * Labels on one side only, on a panel drawn at (ox, oy) with `view`: a cross at the anchor and the string, "−text"
 * in red above the anchor for the expected side, "+text" in green below it for the actual side.
 */
export function drawLabelMarks(ctx: SKRSContext2D, view: View, labels: LabelMark[], ox: number, oy: number): void {
  if (labels.length === 0) return
  ctx.save()
  ctx.beginPath()
  ctx.rect(ox, oy, view.width, view.height)
  ctx.clip()
  ctx.font = font(SMALL_PX, SANS_BOLD)
  ctx.textBaseline = 'alphabetic'
  ctx.lineJoin = 'round'
  for (const l of labels.slice(0, 500)) {
    const x = ox + (l.x - view.l) * view.scale, y = oy + (view.t - l.y) * view.scale
    if (x < ox - 300 || x > ox + view.width + 10 || y < oy - 20 || y > oy + view.height + 20) continue
    const color = l.side === 'a' ? REMOVED : ADDED
    ctx.strokeStyle = color
    ctx.lineWidth = 2
    ctx.beginPath()
    ctx.moveTo(x - 5, y - 5)
    ctx.lineTo(x + 5, y + 5)
    ctx.moveTo(x - 5, y + 5)
    ctx.lineTo(x + 5, y - 5)
    ctx.stroke()
    const s = safeText(`${l.side === 'a' ? '−' : '+'}${labelLine(l.text)}`)
    const ty = l.side === 'a' ? y - 7 : y + 18
    ctx.lineWidth = 3
    ctx.strokeStyle = 'rgba(255,255,255,0.9)'
    ctx.strokeText(s, x + 7, ty)
    ctx.fillStyle = color
    ctx.fillText(s, x + 7, ty)
  }
  ctx.restore()
}

/** A channel value dimmed towards white, keeping 90/256 of its distance from white. */
const DIM = Uint8Array.from({ length: 256 }, (_, v) => 255 - (((255 - v) * 90) >> 8))

export function overlayPanel(reference: Layout, marks: DiffMarks, opts: OverlayOptions, view: View | undefined, base?: Image): { image: Image; view: View } {
  const p = panelSource(reference, opts, view, base)
  // a render of our own is dimmed in place; a base handed in is left as it is
  const image = p.owned ? p.src : { width: p.src.width, height: p.src.height, data: new Uint8Array(p.src.data.length) }
  paintPanel(p.src, p.view, marks, opts, image, 0, 0)
  return { image, view: p.view }
}

/** The reference drawn in `view`: the base when it was drawn in that view, else a new render. */
function panelSource(reference: Layout, opts: OverlayOptions, view: View | undefined, base?: Image): { src: Image; view: View; owned: boolean } {
  if (base && view && base.width === view.width && base.height === view.height) return { src: base, view, owned: false }
  const r = renderLayout(reference, { ...opts, view })
  return { src: r.image, view: r.view, owned: true }
}

/**
 * The overlay panel painted into `dst` at (ox, oy): `src` dimmed towards white, then the differences in a strong
 * colour, grown to at least three pixels. Writing straight into the picture saves a panel-sized copy (for a
 * 2048-pixel picture, 16 MB of fresh memory).
 */
function paintPanel(src: Image, view: View, marks: DiffMarks, opts: OverlayOptions, dst: Image, ox: number, oy: number): void {
  const w = src.width, h = src.height
  const sd = src.data, dd = dst.data
  // dim (a table: most pixels are background, and a lookup is cheaper than the sum)
  for (let j = 0; j < h; j++) {
    let s = 4 * j * w, d = 4 * ((oy + j) * dst.width + ox)
    for (let i = 0; i < w; i++, s += 4, d += 4) {
      dd[d] = DIM[sd[s]!]!
      dd[d + 1] = DIM[sd[s + 1]!]!
      dd[d + 2] = DIM[sd[s + 2]!]!
      dd[d + 3] = sd[s + 3]!
    }
  }
  if (marks.polygons.length === 0) return
  const m = new Mask(w, h)
  for (const p of marks.polygons) rasterPolygon(m, view, p, p.length >> 1)
  const color = opts.color ? parseColor(opts.color) : MARK
  // grown by one pixel: at least three pixels wide (a pixel is marked when it or one of its 8 neighbours is in
  // the mask; found from the mask's pixels, so the work follows what is marked, not the picture's size)
  const md = m.data
  let grown: Uint8Array | null = null
  for (let j = 0; j < h; j++) {
    for (let i = 0, o = j * w; i < w; i++, o++) {
      if (!md[o]) continue
      grown ??= new Uint8Array(w * h)
      for (let y = Math.max(0, j - 1); y <= Math.min(h - 1, j + 1); y++) {
        for (let x = Math.max(0, i - 1); x <= Math.min(w - 1, i + 1); x++) grown[y * w + x] = 1
      }
    }
  }
  if (!grown) return
  for (let j = 0; j < h; j++) {
    for (let i = 0, o = j * w; i < w; i++, o++) {
      if (!grown[o]) continue
      const d = 4 * ((oy + j) * dst.width + ox + i)
      dd[d] = color[0]
      dd[d + 1] = color[1]
      dd[d + 2] = color[2]
      dd[d + 3] = 255
    }
  }
}
