import type { SKRSContext2D } from '@napi-rs/canvas'
import type { BBox } from '../layout/bbox.js'
import { layerKey, type LayerKey } from '../layout/layers.js'
import { font, measuringContext, MONO, putImage, rgb, safeText, SANS, SANS_BOLD } from './canvas.js'
import { Mask } from './raster.js'
import { blankImage, paintLayer } from './render.js'
import type { LayerStyle, RGB } from './style.js'
import { fmtArea, lengthLabel, niceLength } from './units.js'
import type { View } from './view.js'

/*
 * The parts of a failure picture that people read, drawn on the canvas: title, legend, scale bar, captions,
 * numbered frames. Sizes are in pixels of the output image.
 */

/** One layer in a legend. */
export interface LegendEntry {
  /** "L/D" */
  layer: string
  /** From the .lyp, when it names the layer. */
  name?: string
  style: LayerStyle
  /** The layer differs between the two sides (its XOR is not empty). */
  differs: boolean
  /** XOR area in µm² and polygon count (when it differs). */
  xorAreaUm2?: number
  polygons?: number
  /** The layer has geometry on one side only. */
  onlyIn?: 'a' | 'b' | null
}

/** What a failure picture says besides the layout: the title, a second line, the legend. */
export interface FigureInfo {
  /** First line, bold: what failed (test or file names) and the verdict. */
  title: string
  /** Second line: totals (XOR area in µm², layers, pixel diff). */
  subtitle?: string
  /** Database unit of the view's coordinates, µm. */
  dbu: number
  legend: LegendEntry[]
  /** A line about labels (TEXT elements) that differ, if any. */
  labelNote?: string
}

export const INK = '#202124'
export const GREY = '#5f6368'
export const MARK: RGB = [230, 0, 160]
export const FRAME = '#c5001a'
/** Labels only on one side: removed (expected only) and added (actual only), as in a text diff. */
export const REMOVED = '#c0392b'
export const ADDED = '#1e7e34'

export const PAD = 16
export const TITLE_PX = 24
export const TEXT_PX = 15
export const SMALL_PX = 13
export const HEADER_H = PAD + 30 + 22 + 10
export const LEGEND_W = 340

/** The subtitle's lines at `width` (split at " · ", at most 3 lines). */
function subtitleLines(ctx: SKRSContext2D, info: FigureInfo, width: number): string[] {
  if (!info.subtitle) return []
  ctx.font = font(TEXT_PX, SANS)
  const lines: string[] = []
  for (const part of safeText(info.subtitle).split(' · ')) {
    const last = lines[lines.length - 1]
    if (last !== undefined && ctx.measureText(`${last} · ${part}`).width <= width) lines[lines.length - 1] = `${last} · ${part}`
    else lines.push(part)
  }
  return lines.length > 3 ? [...lines.slice(0, 2), lines.slice(2).join(' · ')] : lines
}

/** Height of the header (title and subtitle) of a figure `width` wide: HEADER_H with a one-line subtitle. */
export function headerHeight(info: FigureInfo, width: number): number {
  const ctx = measuringContext()
  return HEADER_H + Math.max(0, subtitleLines(ctx, info, width - 2 * PAD).length - 1) * 20
}

/** Title and subtitle at the top of a figure (the subtitle wraps between its parts). */
export function drawHeader(ctx: SKRSContext2D, info: FigureInfo, width: number): void {
  ctx.textBaseline = 'alphabetic'
  ctx.fillStyle = INK
  ctx.font = font(TITLE_PX, SANS_BOLD)
  ctx.fillText(fit(ctx, safeText(info.title), width - 2 * PAD), PAD, PAD + TITLE_PX)
  subtitleLines(ctx, info, width - 2 * PAD).forEach((line, k) => {
    ctx.fillStyle = GREY
    ctx.font = font(TEXT_PX, SANS)
    ctx.fillText(fit(ctx, line, width - 2 * PAD), PAD, PAD + 30 + 18 + 20 * k)
  })
}

/** A panel caption (above a panel). */
export function drawCaption(ctx: SKRSContext2D, text: string, x: number, y: number, maxWidth: number, color = INK, px = TEXT_PX): void {
  ctx.textBaseline = 'alphabetic'
  ctx.fillStyle = color
  ctx.font = font(px, SANS)
  ctx.fillText(fit(ctx, safeText(text), maxWidth), x, y)
}

/** The string, shortened with an ellipsis to fit maxWidth at the context's font. */
export function fit(ctx: SKRSContext2D, s: string, maxWidth: number): string {
  if (ctx.measureText(s).width <= maxWidth) return s
  let lo = 0, hi = s.length
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1
    if (ctx.measureText(`${s.slice(0, mid)}…`).width <= maxWidth) lo = mid
    else hi = mid - 1
  }
  return `${s.slice(0, lo)}…`
}

/**
 * A scale bar in the panel's bottom-left corner: a length of 1, 2 or 5 times a power of ten µm, about a fifth of
 * the panel wide, on a light box.
 */
export function drawScaleBar(ctx: SKRSContext2D, view: View, dbu: number, x: number, y: number): void {
  const pxPerUm = view.scale / dbu
  const um = niceLength(Math.min(view.width * 0.22, 240) / pxPerUm)
  if (!(um > 0)) return
  const len = um * pxPerUm
  const label = lengthLabel(um)
  ctx.font = font(SMALL_PX, SANS_BOLD)
  const tw = ctx.measureText(label).width
  const bw = Math.max(len, tw) + 16, bh = 34
  const bx = x + 8, by = y + view.height - bh - 8
  if (bx + bw > x + view.width || by < y) return
  ctx.fillStyle = 'rgba(255,255,255,0.85)'
  ctx.fillRect(bx, by, bw, bh)
  const x0 = Math.round(bx + 8) + 0.5, yb = by + bh - 9.5
  ctx.strokeStyle = INK
  ctx.lineWidth = 2
  ctx.beginPath()
  ctx.moveTo(x0, yb - 5)
  ctx.lineTo(x0, yb)
  ctx.lineTo(x0 + len, yb)
  ctx.lineTo(x0 + len, yb - 5)
  ctx.stroke()
  ctx.fillStyle = INK
  ctx.textBaseline = 'alphabetic'
  ctx.fillText(label, x0, by + 15)
}

/** A number in a filled circle (the key between a frame on the picture and its inset). */
export function drawBadge(ctx: SKRSContext2D, n: number, cx: number, cy: number, color = FRAME): void {
  const s = String(n)
  ctx.font = font(13, SANS_BOLD)
  const r = Math.max(10, ctx.measureText(s).width / 2 + 5)
  ctx.fillStyle = color
  ctx.beginPath()
  ctx.arc(cx, cy, r, 0, 2 * Math.PI)
  ctx.fill()
  ctx.strokeStyle = '#ffffff'
  ctx.lineWidth = 1.5
  ctx.stroke()
  ctx.fillStyle = '#ffffff'
  ctx.textAlign = 'center'
  ctx.textBaseline = 'middle'
  ctx.fillText(s, cx, cy + 0.5)
  ctx.textAlign = 'left'
  ctx.textBaseline = 'alphabetic'
}

/** A window (dbu) as a pixel box of the view, at least `min` pixels wide and high around its centre. */
export function windowPixels(view: View, w: BBox, min = 14): [number, number, number, number] {
  let x0 = (w[0] - view.l) * view.scale, x1 = (w[2] - view.l) * view.scale
  let y0 = (view.t - w[3]) * view.scale, y1 = (view.t - w[1]) * view.scale
  if (x1 - x0 < min) [x0, x1] = [(x0 + x1) / 2 - min / 2, (x0 + x1) / 2 + min / 2]
  if (y1 - y0 < min) [y0, y1] = [(y0 + y1) / 2 - min / 2, (y0 + y1) / 2 + min / 2]
  return [Math.round(x0), Math.round(y0), Math.round(x1), Math.round(y1)]
}

/**
 * Numbered frames of windows (dbu) on a panel drawn at (ox, oy) with `view`: a red frame, at least 14 px, and its
 * number in a badge at the top-right corner; badges of close frames are stacked downwards so each stays readable.
 */
export function drawNumberedFrames(ctx: SKRSContext2D, view: View, windows: BBox[], ox: number, oy: number): void {
  const badges: Array<[number, number]> = []
  ctx.save()
  ctx.beginPath()
  ctx.rect(ox, oy, view.width, view.height)
  ctx.clip()
  windows.forEach((w, k) => {
    const [x0, y0, x1, y1] = windowPixels(view, w)
    ctx.strokeStyle = FRAME
    ctx.lineWidth = 2
    ctx.strokeRect(ox + x0, oy + y0, x1 - x0, y1 - y0)
    const bx = Math.min(ox + x1 + 12, ox + view.width - 12)
    let by = Math.max(oy + y0, oy + 12)
    while (badges.some(([x, y]) => Math.abs(x - bx) < 22 && Math.abs(y - by) < 22)) by += 22
    badges.push([bx, by])
    drawBadge(ctx, k + 1, bx, Math.min(by, oy + view.height - 12))
  })
  ctx.restore()
}

/** A swatch of a layer's style: its fill pattern and frame exactly as the renderer paints them. */
export function swatch(style: LayerStyle, w = 34, h = 20): ReturnType<typeof blankImage> {
  const img = blankImage(w, h, [255, 255, 255])
  const m = new Mask(w, h)
  m.data.fill(1)
  paintLayer(img, m, style)
  return img
}

const ENTRY_H = 42

/**
 * The legend: layers that differ first (largest XOR first), then the others by number; each with its swatch,
 * "L/D" and .lyp name, and its XOR area (µm²) and polygon count or "no difference". Then the key to the marks.
 * Drawn in a column at (x, y) no taller than maxHeight ("+ N more layers" when it does not fit). Returns the
 * height used.
 */
export function drawLegend(ctx: SKRSContext2D, info: FigureInfo, x: number, y: number, maxHeight: number, opts: { frames?: string; maxEntries?: number } = {}): number {
  const keys = markKey(info, opts.frames ?? '')
  const keyH = keys.length * 24 + 30
  const entries = sortLegend(info.legend)
  let cy = y
  ctx.textBaseline = 'alphabetic'
  ctx.fillStyle = INK
  ctx.font = font(TEXT_PX, SANS_BOLD)
  ctx.fillText('Layers', x, cy + 15)
  cy += 26
  const room = Math.max(2, Math.min(opts.maxEntries ?? Infinity, Math.floor((maxHeight - (cy - y) - keyH - 20) / ENTRY_H)))
  const shown = entries.length > room ? entries.slice(0, room - 1) : entries
  for (const e of shown) {
    putImage(ctx, swatch(e.style), x, cy + 2)
    ctx.fillStyle = INK
    ctx.font = font(TEXT_PX, SANS_BOLD)
    const head = e.layer
    ctx.fillText(head, x + 44, cy + 15)
    if (e.name) {
      const hw = ctx.measureText(head).width
      ctx.font = font(TEXT_PX, SANS)
      ctx.fillText(fit(ctx, safeText(e.name), LEGEND_W - 54 - hw), x + 44 + hw + 8, cy + 15)
    }
    ctx.font = font(SMALL_PX, SANS)
    if (e.differs) {
      ctx.fillStyle = rgb([170, 0, 120])
      const only = e.onlyIn === 'a' ? 'only in expected · ' : e.onlyIn === 'b' ? 'only in actual · ' : ''
      const poly = e.polygons === undefined ? '' : `, ${e.polygons} polygon${e.polygons === 1 ? '' : 's'}`
      ctx.fillText(fit(ctx, `${only}XOR ${fmtArea(e.xorAreaUm2 ?? 0)} µm²${poly}`, LEGEND_W - 44), x + 44, cy + 33)
    } else {
      ctx.fillStyle = GREY
      ctx.fillText('no difference', x + 44, cy + 33)
    }
    cy += ENTRY_H
  }
  if (shown.length < entries.length) {
    const rest = entries.slice(shown.length)
    const differing = rest.filter((e) => e.differs).length
    ctx.fillStyle = GREY
    ctx.font = font(SMALL_PX, SANS)
    ctx.fillText(`+ ${rest.length} more layer${rest.length === 1 ? '' : 's'}${differing ? ` (${differing} differ)` : ''}`, x, cy + 15)
    cy += 24
  }
  cy += 14
  for (const k of keys) {
    k.draw(ctx, x, cy)
    ctx.fillStyle = INK
    ctx.font = font(SMALL_PX, SANS)
    ctx.textBaseline = 'alphabetic'
    ctx.fillText(fit(ctx, k.text, LEGEND_W - 44), x + 44, cy + 15)
    cy += 24
  }
  return cy - y
}

/**
 * How many legend entries to show beside a picture `avail` pixels high: what fits, but at least 8 and every layer
 * that differs (plus one), at most 30.
 */
export function legendEntries(info: FigureInfo, frames: string, avail: number): number {
  const fits = Math.floor((avail - 26 - 14 - markKey(info, frames).length * 24 - 24) / ENTRY_H)
  const differing = info.legend.filter((e) => e.differs).length
  return Math.min(info.legend.length, 30, Math.max(8, differing + 1, fits))
}

/** The height drawLegend needs for all entries, up to `maxEntries` of them (a longer list is cut). */
export function legendHeight(info: FigureInfo, frames: string, maxEntries = 30): number {
  const n = info.legend.length
  return 26 + Math.min(n, maxEntries) * ENTRY_H + (n > maxEntries ? 24 : 0) + 14 + markKey(info, frames).length * 24
}

function sortLegend(entries: LegendEntry[]): LegendEntry[] {
  const num = (s: string): [number, number] => {
    const [l, d] = s.split('/').map(Number)
    return [l ?? 0, d ?? 0]
  }
  return [...entries].sort((a, b) => {
    if (a.differs !== b.differs) return a.differs ? -1 : 1
    if (a.differs && (b.xorAreaUm2 ?? 0) !== (a.xorAreaUm2 ?? 0)) return (b.xorAreaUm2 ?? 0) - (a.xorAreaUm2 ?? 0)
    const [la, da] = num(a.layer), [lb, db] = num(b.layer)
    return la - lb || da - db
  })
}

interface KeyItem { text: string; draw: (ctx: SKRSContext2D, x: number, y: number) => void }

function markKey(info: FigureInfo, frames: string): KeyItem[] {
  const out: KeyItem[] = [{
    text: 'XOR: where the layouts differ (≥ 3 px wide)',
    draw: (ctx, x, y) => {
      ctx.fillStyle = rgb(MARK)
      ctx.fillRect(x, y + 4, 34, 12)
    },
  }]
  if (frames) {
    out.push({
      text: frames,
      draw: (ctx, x, y) => {
        ctx.strokeStyle = FRAME
        ctx.lineWidth = 2
        ctx.strokeRect(x + 1, y + 2, 20, 16)
        drawBadge(ctx, 1, x + 26, y + 10)
      },
    })
  }
  if (info.labelNote) {
    out.push({
      text: info.labelNote,
      draw: (ctx, x, y) => {
        ctx.font = font(SMALL_PX, SANS_BOLD)
        ctx.fillStyle = REMOVED
        ctx.fillText('−', x + 2, y + 15)
        ctx.fillStyle = ADDED
        ctx.fillText('+', x + 16, y + 15)
      },
    })
  }
  return out
}

/** A line of small monospace text (coordinates). */
export function drawMono(ctx: SKRSContext2D, text: string, x: number, y: number, maxWidth: number, color = GREY): void {
  ctx.textBaseline = 'alphabetic'
  ctx.fillStyle = color
  ctx.font = font(SMALL_PX, MONO)
  ctx.fillText(fit(ctx, safeText(text), maxWidth), x, y)
}

/** "L/D" to a layer key. */
export function keyOf(layer: string): LayerKey {
  const [l, d] = layer.split('/').map(Number)
  return layerKey(l ?? 0, d ?? 0)
}
