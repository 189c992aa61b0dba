import { showName } from '../gds/names.js'
import { BBoxAcc, type BBox } from '../layout/bbox.js'
import { cellBBox, cellLayers } from '../layout/extent.js'
import { MemberRanges, transformBBox } from '../layout/flatten.js'
import type { LayerKey } from '../layout/layers.js'
import type { Cell, Instance, Layout } from '../layout/layout.js'
import { layerPathHulls } from '../layout/path.js'
import { IDENTITY, compose, isOrtho, placementAffine, roundCoord, type Affine } from '../layout/transform.js'
import { Mask, rasterBox, rasterPolygon, span } from './raster.js'
import { LayerStyles, parseColor, type RGB } from './style.js'
import { collectLabels, drawLabels } from './texts.js'
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
  /**
   * Draw TEXT labels (default false): a cross at the anchor and the string in the shipped font (DejaVu Sans) in the
   * layer's frame colour, sized with the view, thinned where strings would overlap.
   */
  texts?: boolean
}

export interface Rendered {
  image: Image
  view: View
  /** Layers drawn, in drawing order. */
  layers: LayerKey[]
}

/** Arrays with more members than this may be drawn as a whole when their members are smaller than a pixel. */
const MAX_MEMBERS_ONE_BY_ONE = 4096

/** The cell to render: by name, else the whole library (every top cell, as the file is: Layout.libraryView). */
export function renderCell(layout: Layout, name?: string): Cell {
  if (name !== undefined) {
    const c = layout.getCell(name)
    if (!c) throw new RangeError(`no cell named ${showName(name)}`)
    return c
  }
  return layout.libraryView()
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
  if (!opts.texts) return { image, view, layers: order.filter((k) => masks.has(k)) }
  const labels = collectLabels(cell, view, layout.dbu, styles, (k) => !opts.layers || opts.layers.has(k))
  return { image: drawLabels(image, labels).image, view, layers: order.filter((k) => masks.has(k)) }
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
  /** The cell's own shapes under t. */
  const shapes = (cell: Cell, t: Affine): void => {
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
  }

  /** A child smaller than a pixel: its box marks the pixel on each layer below it. */
  const dot = (child: Cell, bb: BBox): void => {
    for (const k of cellLayers(child)) if (want(k)) rasterBox(mask(k), view, bb[0], bb[1], bb[2], bb[3])
  }

  /**
   * An array of members smaller than a pixel on a lattice along the axes: member (i, j)'s pixel columns depend
   * on i only and its rows on j only (or the other way round), so the pixels the members mark one by one are
   * all pairs of those columns and rows: O(columns + rows + pixels), however many members. False when the
   * lattice is skewed (the members are then walked one by one).
   */
  const dots = (child: Cell, t: Affine, inst: Instance, cb: BBox): boolean => {
    const a = inst.array!
    const base = placementAffine(inst.placement)
    const member = (i: number, j: number): Affine => ({ ...base, tx: base.tx + i * a.colX + j * a.rowX, ty: base.ty + i * a.colY + j * a.rowY })
    const b0 = transformBBox(compose(t, member(0, 0)), cb)
    const u = transformBBox(compose(t, member(Math.min(1, a.cols - 1), 0)), cb)
    const v = transformBBox(compose(t, member(0, Math.min(1, a.rows - 1))), cb)
    const ux = u[0] - b0[0], uy = u[1] - b0[1], vx = v[0] - b0[0], vy = v[1] - b0[1]
    let xsOf: 'i' | 'j'
    if (uy === 0 && vx === 0) xsOf = 'i'
    else if (ux === 0 && vy === 0) xsOf = 'j'
    else return false
    const s = view.scale
    const cols = new Uint8Array(view.width), rows = new Uint8Array(view.height)
    const mark = (marks: Uint8Array, n: number, lo: number, hi: number, step: number, toPixel: (x: number) => number, flip: boolean): void => {
      for (let q = 0; q < n; q++) {
        let p0 = toPixel(lo + q * step), p1 = toPixel(hi + q * step)
        if (flip) [p0, p1] = [p1, p0]
        const [k0, k1] = span(p0, p1)
        for (let k = Math.max(0, k0); k <= Math.min(marks.length - 1, k1); k++) marks[k] = 1
      }
    }
    const px = (x: number): number => (x - view.l) * s
    const py = (y: number): number => (view.t - y) * s
    if (xsOf === 'i') {
      mark(cols, a.cols, b0[0], b0[2], ux, px, false)
      mark(rows, a.rows, b0[1], b0[3], vy, py, true)
    } else {
      mark(cols, a.rows, b0[0], b0[2], vx, px, false)
      mark(rows, a.cols, b0[1], b0[3], uy, py, true)
    }
    const layers = [...cellLayers(child)].filter(want)
    for (let j = 0; j < rows.length; j++) {
      if (!rows[j]) continue
      for (let i = 0; i < cols.length; i++) {
        if (!cols[i]) continue
        let e = i
        while (e + 1 < cols.length && cols[e + 1]) e++
        for (const k of layers) mask(k).fillPixels(i, j, e, j)
        i = e
      }
    }
    return true
  }

  /**
   * A big array (more than MAX_MEMBERS_ONE_BY_ONE members) of members smaller than a pixel on a skewed lattice
   * whose steps are shorter than a pixel: the members cover the parallelogram of their centres densely, which
   * is drawn instead of each member (level of detail; other arrays are walked member by member, within the view).
   */
  const denseSkewed = (child: Cell, t: Affine, inst: Instance, cb: BBox): boolean => {
    const a = inst.array!
    if (a.cols * a.rows <= MAX_MEMBERS_ONE_BY_ONE) return false
    const base = placementAffine(inst.placement)
    const centre = (i: number, j: number): [number, number] => {
      const bb = transformBBox(compose(t, { ...base, tx: base.tx + i * a.colX + j * a.rowX, ty: base.ty + i * a.colY + j * a.rowY }), cb)
      return [(bb[0] + bb[2]) / 2, (bb[1] + bb[3]) / 2]
    }
    const p00 = centre(0, 0), p10 = centre(a.cols - 1, 0), p11 = centre(a.cols - 1, a.rows - 1), p01 = centre(0, a.rows - 1)
    const step = (p: [number, number], q: [number, number], n: number): number => (n > 1 ? Math.hypot(q[0] - p[0], q[1] - p[1]) / (n - 1) : 0)
    if (step(p00, p10, a.cols) >= pixel || step(p00, p01, a.rows) >= pixel) return false
    const ring = [p00[0], p00[1], p10[0], p10[1], p11[0], p11[1], p01[0], p01[1]]
    for (const k of cellLayers(child)) if (want(k)) rasterPolygon(mask(k), view, ring, 4)
    return true
  }

  // depth first with an explicit stack (a hierarchy can be a million levels deep)
  interface Frame {
    cell: Cell
    t: Affine
    k: number
    inst: Instance | null
    base: Affine
    cb: BBox
    ranges: MemberRanges | null
    i: number
    j: number
    jEnd: number
  }
  const frames: Frame[] = []
  const push = (cell: Cell, t: Affine): void => {
    shapes(cell, t)
    frames.push({ cell, t, k: 0, inst: null, base: t, cb: viewBox, ranges: null, i: 0, j: 0, jEnd: -1 })
  }
  /** A member under ct: culled, drawn as a dot, or descended into (true). */
  const visit = (child: Cell, ct: Affine, cb: BBox): boolean => {
    const bb = transformBBox(ct, cb)
    if (bb[2] < viewBox[0] || bb[0] > viewBox[2] || bb[3] < viewBox[1] || bb[1] > viewBox[3]) return false
    if (bb[2] - bb[0] < pixel && bb[3] - bb[1] < pixel) {
      dot(child, bb)
      return false
    }
    push(child, ct)
    return true
  }
  push(top, transform)
  while (frames.length) {
    const f = frames[frames.length - 1]!
    const inst = f.inst
    if (inst) {
      // an array in progress: the members of column i that can be in view
      const a = inst.array!
      let descended = false
      while (!descended && f.i < a.cols) {
        if (f.j > f.jEnd) {
          f.i++
          if (f.i < a.cols) [f.j, f.jEnd] = f.ranges!.rows(f.i, a.rows)
          continue
        }
        const i = f.i, j = f.j++
        const mt = { ...f.base, tx: f.base.tx + i * a.colX + j * a.rowX, ty: f.base.ty + i * a.colY + j * a.rowY }
        descended = visit(inst.cell, compose(f.t, mt), f.cb)
      }
      if (!descended) f.inst = null
      continue
    }
    const insts = f.cell.instances
    if (f.k >= insts.length) {
      frames.pop()
      continue
    }
    const next = insts[f.k++]!
    const cb = cellBBox(next.cell)
    if (!cb) continue
    const base = placementAffine(next.placement)
    const a = next.array
    if (!a) {
      visit(next.cell, compose(f.t, base), cb)
      continue
    }
    const b0 = transformBBox(compose(f.t, base), cb)
    if (b0[2] - b0[0] < pixel && b0[3] - b0[1] < pixel && (dots(next.cell, f.t, next, cb) || denseSkewed(next.cell, f.t, next, cb))) continue
    f.inst = next
    f.base = base
    f.cb = cb
    f.ranges = new MemberRanges(f.t, a, b0, viewBox)
    f.i = 0
    ;[f.j, f.jEnd] = f.ranges.rows(0, a.rows)
  }

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
