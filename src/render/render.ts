import { showName } from '../gds/names.js'
import { BBoxAcc, type BBox } from '../layout/bbox.js'
import { cellBBox, cellLayers, memo } from '../layout/extent.js'
import { MemberRanges, transformBBox } from '../layout/flatten.js'
import type { LayerKey } from '../layout/layers.js'
import type { Cell, Instance, Layout } from '../layout/layout.js'
import type { LayerShapes } from '../layout/shapes.js'
import { layerPathHulls } from '../layout/path.js'
import { IDENTITY, compose, isExactInt, isOrtho, placementAffine, roundCoord, type Affine } from '../layout/transform.js'
import { cellIndex, localWindow, MIN_INDEXED, NODE, worthIndexing, type CellIndex, type LayerIndex, type PackedTree } from './cell-index.js'
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
  /**
   * Draw through the spatial index of each cell (default true): only shapes and instances whose boxes can touch
   * the view are visited. The picture is the same either way; false walks everything (kept to check that).
   */
  index?: boolean
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
  // kept while the layout is unchanged: finding the top cells walks every instance, and a view of several top cells
  // would be a new cell (and get a new index) each time
  return memo(layout, 'libraryView', () => layout.libraryView())
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
  const masks = rasterizeCell(cell, view, (k) => (!opts.layers || opts.layers.has(k)) && styles.get(k).visible, IDENTITY, { index: opts.index, pool: true })
  const order = styles.order(masks.keys())
  const image = blankImage(view.width, view.height, parseColor(opts.background ?? '#ffffff'))
  for (const k of order) {
    const m = masks.get(k)
    if (m) paintLayer(image, m, styles.get(k))
  }
  const layers = order.filter((k) => masks.has(k))
  releaseMasks(masks.values())
  if (!opts.texts) return { image, view, layers }
  const labels = collectLabels(cell, view, layout.dbu, styles, (k) => !opts.layers || opts.layers.has(k), { index: opts.index })
  return { image: drawLabels(image, labels).image, view, layers }
}

/**
 * Masks painted and no longer needed, kept for the next picture of the same size (a viewer draws picture after
 * picture: allocating ten fresh masks each time cost more than clearing them).
 */
const maskPool: Mask[] = []
const MASK_POOL_BYTES = 16 << 20

function releaseMasks(ms: Iterable<Mask>): void {
  let bytes = maskPool.reduce((n, m) => n + m.data.length, 0)
  for (const m of ms) {
    if (bytes + m.data.length > MASK_POOL_BYTES) break
    maskPool.push(m)
    bytes += m.data.length
  }
}

/** A cleared mask of this size from the pool, or a new one. */
function pooledMask(width: number, height: number): Mask {
  for (let i = maskPool.length - 1; i >= 0; i--) {
    const m = maskPool[i]!
    if (m.width !== width || m.height !== height) continue
    maskPool.splice(i, 1)
    m.data.fill(0)
    return m
  }
  // a pool of other sizes is not kept: a viewer's pictures change size when its window does
  maskPool.length = 0
  return new Mask(width, height)
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
 * With `index` (default), each cell's shapes and instances are taken from its spatial index (cell-index.ts): only
 * those whose boxes can touch the view are visited, and shapes smaller than a pixel are drawn from their stored
 * boxes; the masks are the same as without it (a mask is a union: the order shapes are drawn in does not matter).
 * With `pool`, the masks may come from the pool renderLayout gives its masks back to (internal).
 */
export function rasterizeCell(
  top: Cell, view: View, want: (k: LayerKey) => boolean, transform: Affine = IDENTITY, opts: { index?: boolean; pool?: boolean } = {},
): Map<LayerKey, Mask> {
  const masks = new Map<LayerKey, Mask>()
  // asked once per layer (it is asked for every cell drawn)
  const wanted = new Map<LayerKey, boolean>()
  const ask = want
  want = (k) => {
    let w = wanted.get(k)
    if (w === undefined) wanted.set(k, (w = ask(k)))
    return w
  }
  const mask = (k: LayerKey): Mask => {
    let m = masks.get(k)
    if (!m) masks.set(k, (m = opts.pool ? pooledMask(view.width, view.height) : new Mask(view.width, view.height)))
    return m
  }
  const viewBox: BBox = [view.l, view.b, view.r, view.t]
  const pixel = 1 / view.scale
  const indexed = opts.index ?? true
  // what the index is asked for: the view widened by a pixel and the rounding of transformed coordinates, so every
  // shape or instance that can mark a pixel of the view is among the candidates (they are then drawn, and clipped,
  // exactly as without the index)
  const grow = pixel + 2 + 1e-9 * Math.max(Math.abs(view.l), Math.abs(view.r), Math.abs(view.b), Math.abs(view.t))
  const queryBox: BBox = [view.l - grow, view.b - grow, view.r + grow, view.t + grow]

  const rings = (m: Mask, t: Affine, d: Int32Array, starts: Int32Array, count: number): void => {
    for (let i = 0; i < count; i++) ringAt(m, view, viewBox, pixel, t, d, starts[i]!, starts[i + 1]!)
  }
  /** The cell's own shapes under t. */
  const shapes = (cell: Cell, t: Affine): void => {
    const ortho = isOrtho(t)
    let local: BBox | null | undefined
    for (const [k, s] of cell.layers) {
      if (!s.shapeCount || !want(k)) continue
      const m = mask(k)
      if (indexed && s.shapeCount > MIN_INDEXED) {
        const ix = cellIndex(cell)
        if (local === undefined) local = localWindow(t, queryBox)
        let li = ix.builtLayer(k)
        if (li === undefined && local && worthIndexing(local, cellBBox(cell))) li = ix.layer(k, s)
        if (li) {
          const win = local ?? ALL
          if (ortho) drawTreeOrtho(m, view, viewBox, pixel, li, s, t, isExactInt(t), win)
          else li.tree.query(win, (from, to) => drawAny(m, view, viewBox, pixel, li, s, t, from, to))
          continue
        }
      }
      const bx = s.boxes.data
      for (let i = 0, n = s.boxCount; i < n; i++) {
        const x0 = bx[4 * i]!, y0 = bx[4 * i + 1]!, x1 = bx[4 * i + 2]!, y1 = bx[4 * i + 3]!
        if (ortho) {
          const ax = roundCoord(t.a * x0 + t.b * y0 + t.tx), ay = roundCoord(t.c * x0 + t.d * y0 + t.ty)
          const cx = roundCoord(t.a * x1 + t.b * y1 + t.tx), cy = roundCoord(t.c * x1 + t.d * y1 + t.ty)
          rasterBox(m, view, Math.min(ax, cx), Math.min(ay, cy), Math.max(ax, cx), Math.max(ay, cy))
        } else {
          const ring = [x0, y0, x1, y0, x1, y1, x0, y1]
          ring8(m, view, t, ring, 0, 4)
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
    /** The instances to look at, from the index; else all, in stored order. */
    walk: InstanceWalk | null
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
    let walk: InstanceWalk | null = null
    if (indexed && cell.instances.length > MIN_INDEXED) {
      const win = localWindow(t, queryBox)
      const ix = cellIndex(cell)
      if (win && (ix.instancesBuilt || worthIndexing(win, cellBBox(cell)))) walk = new InstanceWalk(ix, ix.instances()!, win, t, view, masks, want)
    }
    frames.push({ cell, t, k: 0, walk, inst: null, base: t, cb: viewBox, ranges: null, i: 0, j: 0, jEnd: -1 })
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
    const at = f.walk ? f.walk.next() : f.k < insts.length ? f.k++ : -1
    if (at < 0) {
      frames.pop()
      continue
    }
    const next = insts[at]!
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

const ALL: BBox = [-Infinity, -Infinity, Infinity, Infinity]

/**
 * The instances of an indexed cell that can mark a pixel of the view not marked yet, one by one (positions in
 * cell.instances): those whose extent touches `win` (the view in the cell's coordinates), in tree order, without the
 * nodes of the instance tree at most SKIP_PX pixels across whose footprint is already covered on every layer their
 * cells draw when the walk comes to them (what they would draw changes nothing: KLayout skips such quads too). The
 * caller draws each instance before asking for the next, so the masks are up to date when a node is looked at.
 */
class InstanceWalk {
  private readonly stack: number[]
  private at = 0
  private end = 0
  private readonly halfUnit: number

  constructor(
    private readonly ix: CellIndex,
    private readonly tree: PackedTree<Float64Array>,
    private readonly win: BBox,
    private readonly t: Affine,
    private readonly view: View,
    private readonly masks: Map<LayerKey, Mask>,
    private readonly want: (k: LayerKey) => boolean,
  ) {
    this.stack = [tree.levels.length - 1, 0]
    this.halfUnit = 0.5 * view.scale + 0.002
  }

  /** The next instance's position, or -1. */
  next(): number {
    const tree = this.tree, n = tree.n, stack = this.stack
    const [wl, wb, wr, wt] = this.win
    const t = this.t, view = this.view, sc = view.scale, W = view.width, H = view.height
    for (;;) {
      if (this.at < this.end) return tree.ids[this.at++]!
      if (!stack.length) return -1
      const k = stack.pop()!, level = stack.pop()!
      const lb = tree.levels[level]!
      const x0 = lb[4 * k]!, y0 = lb[4 * k + 1]!, x1 = lb[4 * k + 2]!, y1 = lb[4 * k + 3]!
      if (x1 < wl || x0 > wr || y1 < wb || y0 > wt) continue
      const span = NODE ** (level + 1)
      const from = k * span, to = Math.min(n, from + span)
      // footprint: the pixels of the node's box under t
      let p0 = Infinity, p1 = -Infinity, q0 = Infinity, q1 = -Infinity
      for (let c = 0; c < 4; c++) {
        const x = c & 1 ? x1 : x0, y = c & 2 ? y1 : y0
        const px = (t.a * x + t.b * y + t.tx - view.l) * sc, py = (view.t - (t.c * x + t.d * y + t.ty)) * sc
        if (px < p0) p0 = px
        if (px > p1) p1 = px
        if (py < q0) q0 = py
        if (py > q1) q1 = py
      }
      let dense = false
      if (p1 - p0 <= SKIP_PX && q1 - q0 <= SKIP_PX) {
        const i0 = Math.max(0, Math.floor(p0 - this.halfUnit)), i1 = Math.min(W - 1, Math.floor(p1 + this.halfUnit))
        const j0 = Math.max(0, Math.floor(q0 - this.halfUnit)), j1 = Math.min(H - 1, Math.floor(q1 + this.halfUnit))
        if (i0 > i1 || j0 > j1) continue
        // an instance costs far more to draw than a pixel to look at: any node this small is looked at
        dense = true
        if (this.covered(level, k, i0, j0, i1, j1)) continue
      }
      const inside = x0 >= wl && x1 <= wr && y0 >= wb && y1 <= wt
      if (level === 0 || (inside && !dense)) {
        this.at = from
        this.end = to
        continue
      }
      const children = Math.ceil(n / NODE ** level)
      for (let ch = Math.min(children, (k + 1) * NODE) - 1; ch >= k * NODE; ch--) stack.push(level - 1, ch)
    }
  }

  /** Whether the footprint is covered on every wanted layer below the node's instances. */
  private covered(level: number, k: number, i0: number, j0: number, i1: number, j1: number): boolean {
    for (const l of this.ix.nodeLayers(level, k)) {
      if (!this.want(l)) continue
      const m = this.masks.get(l)
      if (!m || !covered(m.data, this.view.width, i0, j0, i1, j1)) return false
    }
    return true
  }
}

let pts = new Float64Array(64)

/** A ring of n points from d[s..] under t, rounded to the grid, filled. */
function ring8(m: Mask, view: View, t: Affine, d: ArrayLike<number>, s: number, n: number): void {
  if (pts.length < 2 * n) pts = new Float64Array(4 * n)
  for (let k = 0; k < n; k++) {
    const x = d[s + 2 * k]!, y = d[s + 2 * k + 1]!
    pts[2 * k] = roundCoord(t.a * x + t.b * y + t.tx)
    pts[2 * k + 1] = roundCoord(t.c * x + t.d * y + t.ty)
  }
  rasterPolygon(m, view, pts, n)
}

/** The ring d[s..e) under t: culled outside the view, drawn as its box when smaller than a pixel, else filled. */
function ringAt(m: Mask, view: View, viewBox: BBox, pixel: number, t: Affine, d: Int32Array, s: number, e: number): void {
  let l = Infinity, b = Infinity, r = -Infinity, tp = -Infinity
  for (let k = s; k < e; k += 2) {
    const x = t.a * d[k]! + t.b * d[k + 1]! + t.tx, y = t.c * d[k]! + t.d * d[k + 1]! + t.ty
    if (x < l) l = x
    if (x > r) r = x
    if (y < b) b = y
    if (y > tp) tp = y
  }
  if (l > r || r < viewBox[0] || l > viewBox[2] || tp < viewBox[1] || b > viewBox[3]) return
  if (r - l < pixel && tp - b < pixel) rasterBox(m, view, l, b, r, tp)
  else ring8(m, view, t, d, s, (e - s) >> 1)
}

/** Item `id` of an indexed layer under any transform, drawn as the plain walk draws it. */
function drawItem(m: Mask, view: View, viewBox: BBox, pixel: number, li: LayerIndex, s: LayerShapes, t: Affine, id: number): void {
  if (id < li.nb) {
    const bx = s.boxes.data, o = 4 * id
    const x0 = bx[o]!, y0 = bx[o + 1]!, x1 = bx[o + 2]!, y1 = bx[o + 3]!
    ring8(m, view, t, [x0, y0, x1, y0, x1, y1, x0, y1], 0, 4)
  } else if (id < li.nb + li.np) {
    const p = id - li.nb, st = s.polyStarts.data
    ringAt(m, view, viewBox, pixel, t, s.polyCoords.data, st[p]!, st[p + 1]!)
  } else {
    const p = id - li.nb - li.np, h = layerPathHulls(s)
    ringAt(m, view, viewBox, pixel, t, h.coords.data, h.starts.data[p]!, h.starts.data[p + 1]!)
  }
}

/** Items [from, to) of an indexed layer under a transform that is not a multiple of 90 degrees. */
function drawAny(m: Mask, view: View, viewBox: BBox, pixel: number, li: LayerIndex, s: LayerShapes, t: Affine, from: number, to: number): void {
  const ids = li.tree.ids
  for (let k = from; k < to; k++) drawItem(m, view, viewBox, pixel, li, s, t, ids[k]!)
}

/**
 * Nodes of a layer tree whose footprint is at most SKIP_PX pixels on each side, with at least DENSE items per pixel
 * of it, are checked for being covered already (nodes of an instance tree: at most SKIP_PX across, whatever their
 * density, an instance costing far more to draw than a pixel to look at).
 */
const SKIP_PX = 32
const DENSE = 4

/** Whether pixels i0..i1 x j0..j1 are all set. */
function covered(md: Uint8Array, W: number, i0: number, j0: number, i1: number, j1: number): boolean {
  for (let j = j0; j <= j1; j++) {
    for (let q = j * W + i0, e = j * W + i1; q <= e; q++) if (!md[q]) return false
  }
  return true
}

/**
 * An indexed layer under a multiple of 90 degrees: the tree's nodes that touch `win` (the view in the cell's
 * coordinates), drawn as runs of items. A node at most SKIP_PX pixels across whose footprint (the pixels its items
 * can mark) is already covered in the mask is skipped: drawing it cannot change the mask (what KLayout does with
 * its box tree's quads). The mask is the same as drawing every item.
 */
function drawTreeOrtho(m: Mask, view: View, viewBox: BBox, pixel: number, li: LayerIndex, s: LayerShapes, t: Affine, exact: boolean, win: BBox): void {
  const tree = li.tree, n = tree.n
  if (n === 0) return
  const [wl, wb, wr, wt] = win
  const a = t.a, b = t.b, c = t.c, d = t.d, tx = t.tx, ty = t.ty
  const sc = view.scale, vl = view.l, vt = view.t, W = m.width, H = m.height, md = m.data
  // the pixels a shape can mark lie within the columns and rows its box touches, after rounding its transformed
  // points to the grid (half a unit) and the polygon outline's offset (a thousandth of a pixel)
  const halfUnit = 0.5 * sc + 0.002
  const stack: number[] = [tree.levels.length - 1, 0]
  while (stack.length) {
    const k = stack.pop()!, level = stack.pop()!
    const lb = tree.levels[level]!
    const x0 = lb[4 * k]!, y0 = lb[4 * k + 1]!, x1 = lb[4 * k + 2]!, y1 = lb[4 * k + 3]!
    if (x1 < wl || x0 > wr || y1 < wb || y0 > wt) continue
    const span = NODE ** (level + 1)
    const from = k * span, to = Math.min(n, from + span)
    // footprint
    const ax = a * x0 + b * y0 + tx, ay = c * x0 + d * y0 + ty, cx = a * x1 + b * y1 + tx, cy = c * x1 + d * y1 + ty
    const p0 = ((ax < cx ? ax : cx) - vl) * sc - halfUnit, p1 = ((ax < cx ? cx : ax) - vl) * sc + halfUnit
    const q0 = (vt - (ay < cy ? cy : ay)) * sc - halfUnit, q1 = (vt - (ay < cy ? ay : cy)) * sc + halfUnit
    // only where the node's items are dense (several per pixel of its footprint) is it worth looking
    let dense = false
    if (p1 - p0 <= SKIP_PX && q1 - q0 <= SKIP_PX) {
      let i0 = Math.floor(p0), i1 = Math.floor(p1), j0 = Math.floor(q0), j1 = Math.floor(q1)
      if (i0 < 0) i0 = 0
      if (j0 < 0) j0 = 0
      if (i1 >= W) i1 = W - 1
      if (j1 >= H) j1 = H - 1
      if (i0 > i1 || j0 > j1) continue
      dense = to - from >= DENSE * (i1 - i0 + 1) * (j1 - j0 + 1)
      if (dense && covered(md, W, i0, j0, i1, j1)) continue
    }
    const inside = x0 >= wl && x1 <= wr && y0 >= wb && y1 <= wt
    if (level === 0 || (inside && !dense)) {
      drawOrtho(m, view, viewBox, pixel, li, s, t, exact, from, to)
      continue
    }
    const children = Math.ceil(n / NODE ** level)
    for (let ch = Math.min(children, (k + 1) * NODE) - 1; ch >= k * NODE; ch--) stack.push(level - 1, ch)
  }
}

/**
 * Items [from, to) of an indexed layer under a multiple of 90 degrees: the plain walk's drawing, from the stored
 * item boxes (a transformed box is the box of the transformed shape). Boxes: corners rounded to the grid, then
 * filled; rings: culled, and drawn as their box (unrounded, as the plain walk does) when smaller than a pixel, else
 * filled from their points. The box fill is rasterBox's, inline.
 */
function drawOrtho(m: Mask, view: View, viewBox: BBox, pixel: number, li: LayerIndex, s: LayerShapes, t: Affine, exact: boolean, from: number, to: number): void {
  const bx = li.tree.boxes, ids = li.tree.ids, nb = li.nb
  const sc = view.scale, vl = view.l, vt = view.t, W = m.width, H = m.height, md = m.data
  // x' = a x + tx, y' = d y + ty (b = c = 0), or x' = b y + tx, y' = c x + ty (a = d = 0): the item box's corners
  // map to these; which corner gives the smaller coordinate depends on the signs only. (The plain walk computes
  // a x + b y + tx with b y = 0: the same double.)
  const swap = t.b !== 0 || t.c !== 0
  const fx = swap ? t.b : t.a, fy = swap ? t.c : t.d, tx = t.tx, ty = t.ty
  const ox0 = swap ? (fx > 0 ? 1 : 3) : (fx > 0 ? 0 : 2), ox1 = swap ? (fx > 0 ? 3 : 1) : (fx > 0 ? 2 : 0)
  const oy0 = swap ? (fy > 0 ? 0 : 2) : (fy > 0 ? 1 : 3), oy1 = swap ? (fy > 0 ? 2 : 0) : (fy > 0 ? 3 : 1)
  const round = !exact
  for (let k = from, o = 4 * from; k < to; k++, o += 4) {
    let l = fx * bx[o + ox0]! + tx, r = fx * bx[o + ox1]! + tx
    let bt = fy * bx[o + oy0]! + ty, tp = fy * bx[o + oy1]! + ty
    if (round && ids[k]! < nb) {
      l = roundCoord(l)
      r = roundCoord(r)
      bt = roundCoord(bt)
      tp = roundCoord(tp)
    }
    // a ring at least a pixel across is filled from its points (culled first, as the plain walk does); one smaller
    // than a pixel is its box, like a box: rasterBox's culling is its clipping (a box out of view marks no pixel)
    if (!(r - l < pixel && tp - bt < pixel) && ids[k]! >= nb) {
      if (r < viewBox[0] || l > viewBox[2] || tp < viewBox[1] || bt > viewBox[3]) continue
      drawItem(m, view, viewBox, pixel, li, s, t, ids[k]!)
      continue
    }
    // rasterBox(m, view, l, bt, r, tp), inline; span()'s fallback (no pixel centre inside: the middle one) as selects
    const p0 = (l - vl) * sc, p1 = (r - vl) * sc
    const ci0 = Math.ceil(p0 - 0.5), ci1 = Math.ceil(p1 - 0.5) - 1, mi = Math.floor((p0 + p1) / 2)
    const q0 = (vt - tp) * sc, q1 = (vt - bt) * sc
    const cj0 = Math.ceil(q0 - 0.5), cj1 = Math.ceil(q1 - 0.5) - 1, mj = Math.floor((q0 + q1) / 2)
    let i0 = ci1 < ci0 ? mi : ci0, i1 = ci1 < ci0 ? mi : ci1
    let j0 = cj1 < cj0 ? mj : cj0, j1 = cj1 < cj0 ? mj : cj1
    if (i1 < 0 || j1 < 0 || i0 >= W || j0 >= H) continue
    if (i0 === i1 && j0 === j1) {
      md[j0 * W + i0] = 1
      continue
    }
    if (i0 < 0) i0 = 0
    if (j0 < 0) j0 = 0
    if (i1 >= W) i1 = W - 1
    if (j1 >= H) j1 = H - 1
    if (i1 - i0 < 8) {
      for (let j = j0; j <= j1; j++) for (let q = j * W + i0, e = j * W + i1; q <= e; q++) md[q] = 1
    } else for (let j = j0; j <= j1; j++) md.fill(1, j * W + i0, j * W + i1 + 1)
  }
}

/**
 * Paints a layer's mask: the fill pattern blended with the style's alpha (integer arithmetic, so every machine
 * gets the same bytes), then the frame: covered pixels next to an uncovered one, opaque.
 */
export function paintLayer(img: Image, m: Mask, style: { fill: RGB; frame: RGB; alpha: number; pattern: Uint8Array | null }): void {
  const { width: w, height: h } = m
  const d = img.data, md = m.data
  const a = style.alpha, na = 255 - a
  const [kr, kg, kb] = style.frame
  const p = style.pattern
  // the blend of each channel value with the fill colour, as a table: ((v * na + f * a + 127) / 255) | 0
  const lut = new Uint8Array(768)
  for (let ch = 0; ch < 3; ch++) {
    const fa = style.fill[ch]! * a + 127
    for (let v = 0; v < 256; v++) lut[256 * ch + v] = ((v * na + fa) / 255) | 0
  }
  // empty parts of the mask are passed over four pixels at a time
  const words = md.byteOffset % 4 === 0 ? new Uint32Array(md.buffer, md.byteOffset, md.length >> 2) : null
  for (let j = 0; j < h; j++) {
    const rowBits = p ? p[j & 7]! : 0
    const row = j * w
    for (let i = 0; i < w; i++) {
      const o = row + i
      if (!md[o]) {
        if (words && (o & 3) === 3) {
          // skip whole words of empty pixels (within this row)
          let q = (o + 1) >> 2
          const end = (row + w) >> 2
          while (q < end && words[q] === 0) q++
          const next = 4 * q - row
          if (next > i + 1) i = next - 1
        }
        continue
      }
      const q = 4 * o
      const edge = i === 0 || j === 0 || i === w - 1 || j === h - 1 || !md[o - 1] || !md[o + 1] || !md[o - w] || !md[o + w]
      if (edge) {
        d[q] = kr
        d[q + 1] = kg
        d[q + 2] = kb
      } else if (rowBits & (0x80 >> (i & 7))) {
        d[q] = lut[d[q]!]!
        d[q + 1] = lut[256 + d[q + 1]!]!
        d[q + 2] = lut[512 + d[q + 2]!]!
      }
    }
  }
}
