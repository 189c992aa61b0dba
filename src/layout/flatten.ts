import { BBoxAcc, bboxTouches, type BBox } from './bbox.js'
import type { LayerKey } from './layers.js'
import type { ArraySpec, Cell, Instance } from './layout.js'
import { layerPathHulls } from './path.js'
import { IDENTITY, compose, isExactInt, isOrtho, placementAffine, roundCoord, translate, type Affine } from './transform.js'
import { cellBBox } from './extent.js'

/**
 * Receives flattened shapes in the top cell's coordinates. `xy` is a scratch buffer reused for the next
 * polygon: copy what you keep. Paths arrive as their hull polygons; boxes stay boxes while every transform on
 * the way is a multiple of 90 degrees.
 */
export interface FlatSink {
  box(layer: LayerKey, l: number, b: number, r: number, t: number): void
  polygon(layer: LayerKey, xy: Float64Array, n: number): void
}

export interface FlattenOptions {
  /** Only shapes whose bounding box touches this window (top-cell dbu) are reported; they are not cut. */
  window?: BBox
  /** Only these layers. */
  layers?: ReadonlySet<LayerKey>
  /** Include path hulls (default true). */
  paths?: boolean
}

/** The affine map of one array member (or of a single placement). */
export function memberAffine(inst: Instance, i: number, j: number): Affine {
  const base = placementAffine(inst.placement)
  if (!inst.array) return base
  const a = inst.array
  return { ...base, tx: base.tx + i * a.colX + j * a.rowX, ty: base.ty + i * a.colY + j * a.rowY }
}

/** Visits every array member (or the single placement) of an instance. */
export function forEachMember(inst: Instance, fn: (t: Affine) => void): void {
  const base = placementAffine(inst.placement)
  const a = inst.array
  if (!a) {
    fn(base)
    return
  }
  for (let i = 0; i < a.cols; i++) {
    for (let j = 0; j < a.rows; j++) {
      fn({ ...base, tx: base.tx + i * a.colX + j * a.rowX, ty: base.ty + i * a.colY + j * a.rowY })
    }
  }
}

/** Number of placements an instance stands for (cols x rows for an array). */
export function memberCount(inst: Instance): number {
  return inst.array ? inst.array.cols * inst.array.rows : 1
}

/** Whether the box of `bb` under t (rounded like transformBBox) touches `win`; allocates nothing. */
export function transformedTouches(t: Affine, bb: BBox, win: BBox): boolean {
  let l = Infinity, b = Infinity, r = -Infinity, tp = -Infinity
  for (let k = 0; k < 4; k++) {
    const x = k === 0 || k === 3 ? bb[0] : bb[2]
    const y = k < 2 ? bb[1] : bb[3]
    const X = roundCoord(t.a * x + t.b * y + t.tx), Y = roundCoord(t.c * x + t.d * y + t.ty)
    if (X < l) l = X
    if (X > r) r = X
    if (Y < b) b = Y
    if (Y > tp) tp = Y
  }
  return l <= win[2] && win[0] <= r && b <= win[3] && win[1] <= tp
}

/** Transforms a box and returns its bounding box, rounded like shapes are. */
export function transformBBox(t: Affine, bb: BBox): BBox {
  const acc = new BBoxAcc()
  const pts = [bb[0], bb[1], bb[2], bb[1], bb[2], bb[3], bb[0], bb[3]]
  for (let k = 0; k < 8; k += 2) {
    const x = pts[k]!, y = pts[k + 1]!
    acc.addPoint(roundCoord(t.a * x + t.b * y + t.tx), roundCoord(t.c * x + t.d * y + t.ty))
  }
  return acc.result()!
}

/**
 * Flattens `top` through its hierarchy (arrays included) and reports every shape, transformed, to `sink`.
 * Coordinates are rounded half away from zero after the accumulated transform (KLayout's rule), exact
 * integers whenever every transform is a 90-degree multiple with unit magnification.
 */
export function flatten(top: Cell, sink: FlatSink, opts: FlattenOptions = {}, transform: Affine = IDENTITY): void {
  const win = opts.window ?? null
  const layers = opts.layers ?? null
  const withPaths = opts.paths ?? true
  let scratch = new Float64Array(256)
  const ensure = (n: number): Float64Array => {
    if (scratch.length < 2 * n) scratch = new Float64Array(Math.max(2 * n, scratch.length * 2))
    return scratch
  }

  const emitRings = (key: LayerKey, t: Affine, exact: boolean, coords: Int32Array, starts: Int32Array, count: number): void => {
    for (let i = 0; i < count; i++) {
      const s = starts[i]!
      const n = (starts[i + 1]! - s) >> 1
      const out = ensure(n)
      let l = Infinity, b = Infinity, r = -Infinity, tp = -Infinity
      for (let k = 0; k < n; k++) {
        const x = coords[s + 2 * k]!, y = coords[s + 2 * k + 1]!
        let X = t.a * x + t.b * y + t.tx
        let Y = t.c * x + t.d * y + t.ty
        if (!exact) {
          X = roundCoord(X)
          Y = roundCoord(Y)
        }
        out[2 * k] = X
        out[2 * k + 1] = Y
        if (X < l) l = X
        if (X > r) r = X
        if (Y < b) b = Y
        if (Y > tp) tp = Y
      }
      if (win && !(l <= win[2] && win[0] <= r && b <= win[3] && win[1] <= tp)) continue
      sink.polygon(key, out, n)
    }
  }

  /** The cell's own shapes under t. */
  const shapes = (cell: Cell, t: Affine): void => {
    const exact = isExactInt(t)
    const ortho = isOrtho(t)
    for (const [key, s] of cell.layers) {
      if (layers && !layers.has(key)) continue
      const bx = s.boxes.data
      const nb = s.boxCount
      if (ortho) {
        for (let i = 0; i < nb; i++) {
          const x0 = bx[4 * i]!, y0 = bx[4 * i + 1]!, x1 = bx[4 * i + 2]!, y1 = bx[4 * i + 3]!
          let ax = t.a * x0 + t.b * y0 + t.tx, ay = t.c * x0 + t.d * y0 + t.ty
          let cx = t.a * x1 + t.b * y1 + t.tx, cy = t.c * x1 + t.d * y1 + t.ty
          if (!exact) {
            ax = roundCoord(ax)
            ay = roundCoord(ay)
            cx = roundCoord(cx)
            cy = roundCoord(cy)
          }
          const l = ax < cx ? ax : cx, r = ax < cx ? cx : ax
          const b = ay < cy ? ay : cy, tp = ay < cy ? cy : ay
          if (win && !(l <= win[2] && win[0] <= r && b <= win[3] && win[1] <= tp)) continue
          sink.box(key, l, b, r, tp)
        }
      } else if (nb > 0) {
        const ring = new Int32Array(8)
        const st = new Int32Array([0, 8])
        for (let i = 0; i < nb; i++) {
          const l = bx[4 * i]!, b = bx[4 * i + 1]!, r = bx[4 * i + 2]!, tp = bx[4 * i + 3]!
          ring[0] = l; ring[1] = b; ring[2] = r; ring[3] = b; ring[4] = r; ring[5] = tp; ring[6] = l; ring[7] = tp
          emitRings(key, t, false, ring, st, 1)
        }
      }
      if (s.polygonCount) emitRings(key, t, exact, s.polyCoords.data, s.polyStarts.data, s.polygonCount)
      if (withPaths && s.pathCount) {
        const h = layerPathHulls(s)
        emitRings(key, t, exact, h.coords.data, h.starts.data, s.pathCount)
      }
    }
  }

  // Depth first, in stored order (shapes of a cell, then its instances, array members column by column), with
  // an explicit stack: a hierarchy can be a million levels deep.
  const walker = new MemberWalker(win)
  shapes(top, transform)
  walker.push(top, transform)
  for (;;) {
    const next = walker.next()
    if (!next) break
    shapes(next.cell, next.t)
    walker.push(next.cell, next.t)
  }
}

/** One level of a depth-first walk: a cell under its transform, and where its instances are. */
interface WalkFrame {
  cell: Cell
  t: Affine
  /** Next instance. */
  k: number
  /** The array being walked (null: none, or a single placement pending in `single`). */
  inst: Instance | null
  single: Affine | null
  ranges: MemberRanges | null
  i: number
  j: number
  jEnd: number
  cbb: BBox | null
}

/**
 * The members of instance arrays whose child box can touch a window, without visiting the others: member (i, j)
 * of an array sits at base + i * U + j * V (U, V: the lattice vectors under the parent's transform), so for each
 * column i the rows that can reach the window form one interval. The intervals are widened by a margin (the
 * rounding of transformed boxes, floating-point error); each candidate is then tested exactly as before, so the
 * members visited are exactly those whose transformed child box touches the window.
 */
export class MemberRanges {
  private readonly ux: number
  private readonly uy: number
  private readonly vx: number
  private readonly vy: number
  private readonly box: BBox
  private readonly m: number

  constructor(t: Affine, a: ArraySpec, memberZero: BBox, private readonly win: BBox) {
    this.ux = t.a * a.colX + t.b * a.colY
    this.uy = t.c * a.colX + t.d * a.colY
    this.vx = t.a * a.rowX + t.b * a.rowY
    this.vy = t.c * a.rowX + t.d * a.rowY
    this.box = memberZero
    const size = Math.max(Math.abs(memberZero[0]), Math.abs(memberZero[1]), Math.abs(memberZero[2]), Math.abs(memberZero[3]),
      Math.abs(win[0]), Math.abs(win[1]), Math.abs(win[2]), Math.abs(win[3]),
      (Math.abs(this.ux) + Math.abs(this.uy)) * a.cols, (Math.abs(this.vx) + Math.abs(this.vy)) * a.rows)
    this.m = 2 + size * 1e-12
  }

  /** Rows [lo, hi] of column i that can touch the window (lo > hi: none), within 0 .. rows-1. */
  rows(i: number, rows: number): [number, number] {
    const w = this.win, b = this.box, m = this.m
    let lo = 0, hi = rows - 1
    // x: b.l + i ux + j vx <= w.r  and  b.r + i ux + j vx >= w.l
    ;[lo, hi] = clip(lo, hi, this.vx, w[0] - m - b[2] - i * this.ux, w[2] + m - b[0] - i * this.ux)
    ;[lo, hi] = clip(lo, hi, this.vy, w[1] - m - b[3] - i * this.uy, w[3] + m - b[1] - i * this.uy)
    return [lo, hi]
  }
}

/** Narrows [lo, hi] to the j with low <= j * v <= high. */
function clip(lo: number, hi: number, v: number, low: number, high: number): [number, number] {
  if (lo > hi) return [lo, hi]
  if (v === 0) return low <= 0 && 0 <= high ? [lo, hi] : [1, 0]
  let a = low / v, b = high / v
  if (v < 0) [a, b] = [b, a]
  // (NaN or infinite bounds from extreme values keep the whole range: only ever too wide)
  const from = Number.isFinite(a) ? Math.max(lo, Math.ceil(a) - 1) : lo
  const to = Number.isFinite(b) ? Math.min(hi, Math.floor(b) + 1) : hi
  return [from, to]
}

/**
 * A depth-first walk through a hierarchy without recursion: push(cell, t) descends into a cell, next() gives
 * the next instance member (child cell and its transform) below the deepest cell that still has one, in stored
 * order. With a window, members whose child box does not touch it are left out (and arrays are only looked at
 * where they can touch it, see MemberRanges); children without a box (nothing in them) are always left out.
 */
export class MemberWalker {
  private readonly frames: WalkFrame[] = []
  private depth = 0

  constructor(private readonly win: BBox | null) {}

  push(cell: Cell, t: Affine): void {
    let f = this.frames[this.depth]
    if (!f) this.frames.push((f = { cell, t, k: 0, inst: null, single: null, ranges: null, i: 0, j: 0, jEnd: 0, cbb: null }))
    f.cell = cell
    f.t = t
    f.k = 0
    f.inst = null
    f.single = null
    f.ranges = null
    this.depth++
  }

  /** The next member below the deepest open cell (frames whose instances are done are closed on the way). */
  next(): { cell: Cell; t: Affine } | null {
    const win = this.win
    while (this.depth > 0) {
      const f = this.frames[this.depth - 1]!
      // an array in progress
      const inst = f.inst
      if (inst) {
        const a = inst.array!
        const cbb = f.cbb!
        while (f.i < a.cols) {
          if (f.j > f.jEnd) {
            f.i++
            if (f.i >= a.cols) break
            this.startColumn(f, a)
            continue
          }
          const i = f.i, j = f.j++
          const m = translate(f.t, i * a.colX + j * a.rowX, i * a.colY + j * a.rowY)
          const mt = compose(m, placementAffine(inst.placement))
          if (win && !transformedTouches(mt, cbb, win)) continue
          return { cell: inst.cell, t: mt }
        }
        f.inst = null
        f.ranges = null
      }
      const insts = f.cell.instances
      if (f.k >= insts.length) {
        this.depth--
        continue
      }
      const next = insts[f.k++]!
      const child = next.cell
      const cbb = cellBBox(child)
      if (!cbb) continue
      const t = f.t
      const a = next.array
      if (!a) {
        const base = compose(t, placementAffine(next.placement))
        if (win && !transformedTouches(base, cbb, win)) continue
        return { cell: child, t: base }
      }
      if (win) {
        // cull the whole array first
        const acc = new BBoxAcc()
        for (const [i, j] of [[0, 0], [a.cols - 1, 0], [0, a.rows - 1], [a.cols - 1, a.rows - 1]] as const) {
          acc.addBBox(transformBBox(translate(t, i * a.colX + j * a.rowX, i * a.colY + j * a.rowY), transformBBox(placementAffine(next.placement), cbb)))
        }
        if (!bboxTouches(acc.result()!, win)) continue
        f.ranges = new MemberRanges(t, a, transformBBox(compose(t, placementAffine(next.placement)), cbb), win)
      }
      f.inst = next
      f.cbb = cbb
      f.i = 0
      this.startColumn(f, a)
    }
    return null
  }

  private startColumn(f: WalkFrame, a: ArraySpec): void {
    if (!f.ranges) {
      f.j = 0
      f.jEnd = a.rows - 1
      return
    }
    const [lo, hi] = f.ranges.rows(f.i, a.rows)
    f.j = lo
    f.jEnd = hi
  }
}
