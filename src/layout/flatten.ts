import { BBoxAcc, bboxTouches, type BBox } from './bbox.js'
import type { LayerKey } from './layers.js'
import type { Cell, Instance } from './layout.js'
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

  const walk = (cell: Cell, t: Affine): void => {
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
    for (const inst of cell.instances) {
      const child = inst.cell
      const cbb = cellBBox(child)
      if (!cbb) continue
      const base = compose(t, placementAffine(inst.placement))
      const a = inst.array
      if (!a) {
        if (win && !bboxTouches(transformBBox(base, cbb), win)) continue
        walk(child, base)
        continue
      }
      if (win) {
        // cull the whole array first
        const acc = new BBoxAcc()
        for (const [i, j] of [[0, 0], [a.cols - 1, 0], [0, a.rows - 1], [a.cols - 1, a.rows - 1]] as const) {
          acc.addBBox(transformBBox(translate(t, i * a.colX + j * a.rowX, i * a.colY + j * a.rowY), transformBBox(placementAffine(inst.placement), cbb)))
        }
        if (!bboxTouches(acc.result()!, win)) continue
      }
      for (let i = 0; i < a.cols; i++) {
        for (let j = 0; j < a.rows; j++) {
          const m = translate(t, i * a.colX + j * a.rowX, i * a.colY + j * a.rowY)
          const mt = compose(m, placementAffine(inst.placement))
          if (win && !bboxTouches(transformBBox(mt, cbb), win)) continue
          walk(child, mt)
        }
      }
    }
  }
  walk(top, transform)
}
