import { drawOn } from './canvas.js'
import { drawCaption, drawHeader, drawLegend, drawMono, drawScaleBar, headerHeight, legendEntries, legendHeight, LEGEND_W, PAD, type FigureInfo } from './figure.js'
import { drawText, TEXT_HEIGHT } from './font.js'
import { blankImage, type Image } from './render.js'
import type { RGB } from './style.js'
import { viewCaption } from './units.js'
import type { View } from './view.js'

/** Copies `src` into `dst` with its top-left corner at (x, y). */
export function blit(dst: Image, src: Image, x: number, y: number): void {
  for (let r = 0; r < src.height; r++) {
    const dy = y + r
    if (dy < 0 || dy >= dst.height) continue
    const x0 = Math.max(0, x), x1 = Math.min(dst.width, x + src.width)
    if (x1 <= x0) continue
    dst.data.set(src.data.subarray(4 * (r * src.width + (x0 - x)), 4 * (r * src.width + (x1 - x))), 4 * (dy * dst.width + x0))
  }
}

/** Nearest-neighbour scaling by an integer factor (insets: pixels stay crisp). */
export function scaleUp(src: Image, f: number): Image {
  const out = { width: src.width * f, height: src.height * f, data: new Uint8Array(src.width * f * src.height * f * 4) }
  for (let y = 0; y < out.height; y++) {
    for (let x = 0; x < out.width; x++) {
      const s = 4 * (Math.floor(y / f) * src.width + Math.floor(x / f))
      out.data.set(src.data.subarray(s, s + 4), 4 * (y * out.width + x))
    }
  }
  return out
}

/** A rectangle outline, `thickness` pixels wide, clipped. */
export function strokeRect(img: Image, x0: number, y0: number, x1: number, y1: number, color: RGB, thickness = 1): void {
  const put = (x: number, y: number): void => {
    if (x < 0 || y < 0 || x >= img.width || y >= img.height) return
    img.data.set([color[0], color[1], color[2], 255], 4 * (y * img.width + x))
  }
  for (let t = 0; t < thickness; t++) {
    for (let x = x0 - t; x <= x1 + t; x++) {
      put(x, y0 - t)
      put(x, y1 + t)
    }
    for (let y = y0 - t; y <= y1 + t; y++) {
      put(x0 - t, y)
      put(x1 + t, y)
    }
  }
}

const CAPTION: RGB = [40, 40, 40]
/** The thin grey frame around a panel. */
export const PANEL_FRAME: RGB = [154, 160, 166]

/**
 * Panels side by side with a caption above each (jest-image-snapshot's composite is the model): what people
 * look at in a CI artifact. Captions use the built-in bitmap font.
 */
export function sideBySide(panels: Array<{ image: Image; caption: string }>, opts: { gap?: number; background?: RGB } = {}): Image {
  const gap = opts.gap ?? 12
  const scale = Math.max(...panels.map((p) => p.image.width)) >= 600 ? 2 : 1
  const head = TEXT_HEIGHT * scale + 2 * gap
  const width = panels.reduce((w, p) => w + p.image.width, 0) + gap * (panels.length + 1)
  const height = Math.max(...panels.map((p) => p.image.height)) + head + gap
  const out = blankImage(width, height, opts.background ?? [236, 236, 236])
  let x = gap
  for (const p of panels) {
    drawText(out, x, gap, p.caption, CAPTION, scale)
    blit(out, p.image, x, head)
    strokeRect(out, x - 1, head - 1, x + p.image.width, head + p.image.height, [160, 160, 160])
    x += p.image.width + gap
  }
  return out
}

/** A panel of a composite: its pixels, a caption, and the view it shows (for its scale bar). */
export interface CompositePanel {
  image: Image
  caption: string
  view?: View
}

/**
 * The failure composite, laid out to be read at CI-artifact size: a title and totals, the panels in a grid of
 * `columns` (default 2: expected | actual over XOR | pixel diff), each captioned and with a scale bar, the legend
 * to the right, and the view's coordinates below (the panels share one view).
 */
export function diffComposite(panels: CompositePanel[], info: FigureInfo, opts: { columns?: number; frames?: string } = {}): Image {
  const cols = Math.max(1, Math.min(opts.columns ?? 2, panels.length))
  const rows = Math.ceil(panels.length / cols)
  const cw = Math.max(...panels.map((p) => p.image.width)), ch = Math.max(...panels.map((p) => p.image.height))
  const gap = 24, cap = 26
  const gridW = cols * cw + (cols - 1) * gap
  const legendX = PAD + gridW + 28
  const width = legendX + LEGEND_W + PAD
  const gridY = headerHeight(info, width) + 4
  const gridH = rows * (cap + ch) + (rows - 1) * gap
  const view = panels.find((p) => p.view)?.view
  const frames = opts.frames ?? ''
  const entries = legendEntries(info, frames, gridH + (view ? 30 : 0))
  const legendH = legendHeight(info, frames, entries)
  const height = Math.max(gridY + gridH + (view ? 30 : 0) + PAD, gridY + legendH + PAD)
  // the panels are copied as they are; the canvas draws only where there is something to read (header, captions,
  // scale bars, footer, legend), region by region
  const out = blankImage(width, height, [255, 255, 255])
  const at = (k: number): [number, number] => [PAD + (k % cols) * (cw + gap), gridY + Math.floor(k / cols) * (cap + ch + gap) + cap]
  drawOn(out, 0, 0, width, gridY, (ctx) => drawHeader(ctx, info, width))
  panels.forEach((p, k) => {
    const [x, y] = at(k)
    blit(out, p.image, x, y)
    strokeRect(out, x - 1, y - 1, x + p.image.width, y + p.image.height, PANEL_FRAME)
    drawOn(out, x, y - cap, cw, cap - 1, (ctx) => drawCaption(ctx, p.caption, x, y - 8, cw))
    const v = p.view
    if (v) drawOn(out, x, y + v.height - 60, Math.min(v.width, 300), 60, (ctx) => drawScaleBar(ctx, v, info.dbu, x, y))
  })
  if (view) drawOn(out, 0, gridY + gridH + 1, PAD + gridW, 30, (ctx) => drawMono(ctx, `view of every panel: ${viewCaption(view, info.dbu)}`, PAD, gridY + gridH + 20, gridW))
  drawOn(out, legendX - 8, gridY, width - legendX + 8, Math.min(height - gridY, legendH + 24), (ctx) =>
    drawLegend(ctx, info, legendX, gridY, height - gridY, { frames, maxEntries: entries }))
  return out
}
