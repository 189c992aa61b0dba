import { BBoxAcc, type BBox } from '../layout/bbox.js'
import { cellBBox, cellLayers } from '../layout/extent.js'
import { forEachMember, transformBBox } from '../layout/flatten.js'
import type { LayerKey } from '../layout/layers.js'
import type { Cell, Layout } from '../layout/layout.js'
import { layerPathHulls } from '../layout/path.js'
import { IDENTITY, compose, isOrtho, roundCoord, type Affine } from '../layout/transform.js'
import { drawText } from './font.js'
import { Mask, rasterBox, rasterPolygon } from './raster.js'
import { LayerStyles, parseColor, type RGB } from './style.js'
import { fitView, type FitOptions, type View } from './view.js'

/** An RGBA image, 4 bytes per pixel, rows from the top. */
export interface Image {
  width: number
  height: number
  data: Uint8Array
}

export interface RenderOptions extends FitOptions {
  /** Cell to draw (default: the single top cell). */
  cell?: string
  /** The view; default: fit the cell's bounding box (see fitView). */
  view?: View
  /** Window in dbu to show instead of the whole cell (fitted like a bounding box, without margin). */
  window?: BBox
  /** Background colour, default #ffffff. */
  background?: string
  styles?: LayerStyles
  /** Only these layers. */
  layers?: ReadonlySet<LayerKey>
  /** Draw text labels (default false), with the built-in bitmap font in the layer's frame colour. */
  texts?: boolean
}

export interface Rendered {
  image: Image
  view: View
  /** Layers drawn, in drawing order. */
  layers: LayerKey[]
}

/** The cell to render: by name, or the layout's single top cell. */
export function renderCell(layout: Layout, name?: string): Cell {
  if (name !== undefined) {
    const c = layout.getCell(name)
    if (!c) throw new RangeError(`no cell named ${name}`)
    return c
  }
  return layout.topCell()
}

/**
 * One view for a pair of layouts (reference and test): fitted to the union of both cells' boxes, so the two
 * images share one coordinate frame and can be compared pixel by pixel.
 */
export function pairView(a: Layout, b: Layout, opts: RenderOptions = {}): View {
  if (opts.view) return opts.view
  if (opts.window) return fitView(opts.window, { ...opts, margin: 0 })
  const acc = new BBoxAcc()
  acc.addBBox(cellBBox(renderCell(a, opts.cell)))
  acc.addBBox(cellBBox(renderCell(b, opts.cell)))
  return fitView(acc.result() ?? [0, 0, 1, 1], opts)
}

/** Draws a cell, flattened through its hierarchy (arrays included), into an RGBA image. */
export function renderLayout(layout: Layout, opts: RenderOptions = {}): Rendered {
  const cell = renderCell(layout, opts.cell)
  const view = opts.view ?? (opts.window ? fitView(opts.window, { ...opts, margin: 0 }) : fitView(cellBBox(cell) ?? [0, 0, 1, 1], opts))
  const styles = opts.styles ?? new LayerStyles()
  const masks = rasterizeCell(cell, view, (k) => (!opts.layers || opts.layers.has(k)) && styles.get(k).visible)
  const order = styles.order(masks.keys())
  const image = blankImage(view.width, view.height, parseColor(opts.background ?? '#ffffff'))
  for (const k of order) {
    const m = masks.get(k)
    if (m) paintLayer(image, m, styles.get(k))
  }
  if (opts.texts) drawLabels(image, cell, view, styles, (k) => !opts.layers || opts.layers.has(k))
  return { image, view, layers: order.filter((k) => masks.has(k)) }
}

export function blankImage(width: number, height: number, bg: RGB): Image {
  const data = new Uint8Array(width * height * 4)
  // one 32-bit store per pixel, byte order as the platform's (RGBA in memory either way)
  const px = new Uint8Array([bg[0], bg[1], bg[2], 255])
  new Uint32Array(data.buffer).fill(new Uint32Array(px.buffer)[0]!)
  return { width, height, data }
}

/**
 * One coverage mask per layer. Instances smaller than a pixel are not descended into: they mark the pixel at
 * their centre on each layer below them (level of detail for huge layouts; the cell is still visible).
 */
export function rasterizeCell(top: Cell, view: View, want: (k: LayerKey) => boolean, transform: Affine = IDENTITY): Map<LayerKey, Mask> {
  const masks = new Map<LayerKey, Mask>()
  const mask = (k: LayerKey): Mask => {
    let m = masks.get(k)
    if (!m) masks.set(k, (m = new Mask(view.width, view.height)))
    return m
  }
  const viewBox: BBox = [view.l, view.b, view.r, view.t]
  const pixel = 1 / view.scale
  let pts = new Float64Array(64)

  const walk = (cell: Cell, t: Affine): void => {
    const ortho = isOrtho(t)
    for (const [k, s] of cell.layers) {
      if (!s.shapeCount || !want(k)) continue
      const m = mask(k)
      const bx = s.boxes.data
      for (let i = 0, n = s.boxCount; i < n; i++) {
        const x0 = bx[4 * i]!, y0 = bx[4 * i + 1]!, x1 = bx[4 * i + 2]!, y1 = bx[4 * i + 3]!
        if (ortho) {
          const ax = roundCoord(t.a * x0 + t.b * y0 + t.tx), ay = roundCoord(t.c * x0 + t.d * y0 + t.ty)
          const cx = roundCoord(t.a * x1 + t.b * y1 + t.tx), cy = roundCoord(t.c * x1 + t.d * y1 + t.ty)
          rasterBox(m, view, Math.min(ax, cx), Math.min(ay, cy), Math.max(ax, cx), Math.max(ay, cy))
        } else {
          const ring = [x0, y0, x1, y0, x1, y1, x0, y1]
          ring8(m, t, ring, 0, 4)
        }
      }
      if (s.polygonCount) rings(m, t, s.polyCoords.data, s.polyStarts.data, s.polygonCount)
      if (s.pathCount) {
        const h = layerPathHulls(s)
        rings(m, t, h.coords.data, h.starts.data, s.pathCount)
      }
    }
    for (const inst of cell.instances) {
      const cb = cellBBox(inst.cell)
      if (!cb) continue
      forEachMember(inst, (mt) => {
        const ct = compose(t, mt)
        const bb = transformBBox(ct, cb)
        if (bb[2] < viewBox[0] || bb[0] > viewBox[2] || bb[3] < viewBox[1] || bb[1] > viewBox[3]) return
        if (bb[2] - bb[0] < pixel && bb[3] - bb[1] < pixel) {
          for (const k of cellLayers(inst.cell)) if (want(k)) rasterBox(mask(k), view, bb[0], bb[1], bb[2], bb[3])
          return
        }
        walk(inst.cell, ct)
      })
    }
  }

  const ring8 = (m: Mask, t: Affine, d: ArrayLike<number>, s: number, n: number): void => {
    if (pts.length < 2 * n) pts = new Float64Array(4 * n)
    for (let k = 0; k < n; k++) {
      const x = d[s + 2 * k]!, y = d[s + 2 * k + 1]!
      pts[2 * k] = roundCoord(t.a * x + t.b * y + t.tx)
      pts[2 * k + 1] = roundCoord(t.c * x + t.d * y + t.ty)
    }
    rasterPolygon(m, view, pts, n)
  }
  const rings = (m: Mask, t: Affine, d: Int32Array, starts: Int32Array, count: number): void => {
    for (let i = 0; i < count; i++) {
      const s = starts[i]!, e = starts[i + 1]!
      // cull rings outside the view, and draw rings smaller than a pixel as their box
      let l = Infinity, b = Infinity, r = -Infinity, tp = -Infinity
      for (let k = s; k < e; k += 2) {
        const x = t.a * d[k]! + t.b * d[k + 1]! + t.tx, y = t.c * d[k]! + t.d * d[k + 1]! + t.ty
        if (x < l) l = x
        if (x > r) r = x
        if (y < b) b = y
        if (y > tp) tp = y
      }
      if (l > r || r < viewBox[0] || l > viewBox[2] || tp < viewBox[1] || b > viewBox[3]) continue
      if (r - l < pixel && tp - b < pixel) rasterBox(m, view, l, b, r, tp)
      else ring8(m, t, d, s, (e - s) >> 1)
    }
  }
  walk(top, transform)
  return masks
}

/**
 * Paints a layer's mask: the fill pattern blended with the style's alpha (integer arithmetic, so every machine
 * gets the same bytes), then the frame: covered pixels next to an uncovered one, opaque.
 */
export function paintLayer(img: Image, m: Mask, style: { fill: RGB; frame: RGB; alpha: number; pattern: Uint8Array | null }): void {
  const { width: w, height: h } = m
  const d = img.data, md = m.data
  const a = style.alpha, na = 255 - a
  const [fr, fg, fb] = style.fill, [kr, kg, kb] = style.frame
  const p = style.pattern
  for (let j = 0; j < h; j++) {
    const rowBits = p ? p[j & 7]! : 0
    for (let i = 0; i < w; i++) {
      const o = j * w + i
      if (!md[o]) continue
      const q = 4 * o
      const edge = i === 0 || j === 0 || i === w - 1 || j === h - 1 || !md[o - 1] || !md[o + 1] || !md[o - w] || !md[o + w]
      if (edge) {
        d[q] = kr
        d[q + 1] = kg
        d[q + 2] = kb
      } else if (rowBits & (0x80 >> (i & 7))) {
        d[q] = ((d[q]! * na + fr * a + 127) / 255) | 0
        d[q + 1] = ((d[q + 1]! * na + fg * a + 127) / 255) | 0
        d[q + 2] = ((d[q + 2]! * na + fb * a + 127) / 255) | 0
      }
    }
  }
}

/** Text labels at their anchors (no rotation or size: a marker of where the label is and what it says). */
function drawLabels(img: Image, top: Cell, view: View, styles: LayerStyles, want: (k: LayerKey) => boolean): void {
  const walk = (cell: Cell, t: Affine): void => {
    for (const tx of cell.texts) {
      const st = styles.get(tx.layer)
      if (!st.visible || !want(tx.layer)) continue
      const x = t.a * tx.x + t.b * tx.y + t.tx, y = t.c * tx.x + t.d * tx.y + t.ty
      const i = Math.floor((x - view.l) * view.scale), j = Math.floor((view.t - y) * view.scale)
      if (i < -200 || j < -10 || i > img.width || j > img.height) continue
      // a small cross at the anchor, the string to its right
      for (let d = -2; d <= 2; d++) {
        setPixel(img, i + d, j, st.frame)
        setPixel(img, i, j + d, st.frame)
      }
      drawText(img, i + 4, j - 3, tx.text, st.frame)
    }
    for (const inst of cell.instances) {
      if (!hasTexts(inst.cell)) continue
      forEachMember(inst, (mt) => walk(inst.cell, compose(t, mt)))
    }
  }
  walk(top, IDENTITY)
}

const textMemo = new WeakMap<Cell, boolean>()
function hasTexts(c: Cell): boolean {
  let r = textMemo.get(c)
  if (r === undefined) textMemo.set(c, (r = c.texts.length > 0 || c.instances.some((i) => hasTexts(i.cell))))
  return r
}

function setPixel(img: Image, i: number, j: number, c: RGB): void {
  if (i < 0 || j < 0 || i >= img.width || j >= img.height) return
  img.data.set([c[0], c[1], c[2], 255], 4 * (j * img.width + i))
}
