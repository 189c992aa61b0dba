import { BBoxAcc, type BBox } from './bbox.js'
import type { LayerKey } from './layers.js'
import type { Cell, Instance, Layout } from './layout.js'
import { layerPathHulls } from './path.js'
import { ringArea2 } from './polygon.js'
import type { LayerShapes } from './shapes.js'
import { placementAffine, roundCoord, type Affine } from './transform.js'

/** Memo tables that live as long as the layout does not change (compared by generation). */
export function memo<T>(layout: Layout, slot: string, make: () => T): T {
  let m = memos.get(layout)
  if (!m || m.generation !== layout.generation) {
    m = { generation: layout.generation, values: new Map() }
    memos.set(layout, m)
  }
  if (!m.values.has(slot)) m.values.set(slot, make())
  return m.values.get(slot) as T
}
const memos = new WeakMap<Layout, { generation: number; values: Map<string, unknown> }>()

/**
 * Bounding box of one layer's shapes of a cell, in local coordinates (path hulls included).
 * With `areaOnly`, shapes without area (zero-width paths, degenerate boxes and polygons) are left out, as a
 * KLayout Region leaves them out: that is the box of the layer's geometry.
 */
export function layerShapesBBox(s: LayerShapes, areaOnly = false): BBox | null {
  const acc = new BBoxAcc()
  const bx = s.boxes.data
  for (let i = 0, n = s.boxes.length; i < n; i += 4) {
    if (areaOnly && (bx[i]! >= bx[i + 2]! || bx[i + 1]! >= bx[i + 3]!)) continue
    acc.addBox(bx[i]!, bx[i + 1]!, bx[i + 2]!, bx[i + 3]!)
  }
  addRings(acc, s.polyCoords.data, s.polyStarts.data, s.polygonCount, areaOnly)
  if (s.pathCount) {
    const h = layerPathHulls(s)
    addRings(acc, h.coords.data, h.starts.data, s.pathCount, areaOnly)
  }
  return acc.result()
}

function addRings(acc: BBoxAcc, d: Int32Array, starts: Int32Array, count: number, areaOnly: boolean): void {
  for (let i = 0; i < count; i++) {
    const a = starts[i]!, e = starts[i + 1]!
    if (areaOnly && ringArea2(d, a, (e - a) >> 1) === 0n) continue
    for (let k = a; k < e; k += 2) acc.addPoint(d[k]!, d[k + 1]!)
  }
}

/** Box of a transformed box's corners (rounded to the grid). */
function addTransformedBox(acc: BBoxAcc, t: Affine, bb: BBox): void {
  for (const [x, y] of [[bb[0], bb[1]], [bb[2], bb[1]], [bb[2], bb[3]], [bb[0], bb[3]]] as const) {
    acc.addPoint(roundCoord(t.a * x + t.b * y + t.tx), roundCoord(t.c * x + t.d * y + t.ty))
  }
}

/**
 * The affine maps of an array's corner members (or of the single placement): the lattice is linear, so these
 * bound every member's extent.
 */
export function forEachCorner(inst: Instance, fn: (t: Affine) => void): void {
  const t = placementAffine(inst.placement)
  const a = inst.array
  if (!a) return fn(t)
  for (const [i, j] of [[0, 0], [a.cols - 1, 0], [0, a.rows - 1], [a.cols - 1, a.rows - 1]] as const) {
    fn({ ...t, tx: t.tx + i * a.colX + j * a.rowX, ty: t.ty + i * a.colY + j * a.rowY })
  }
}

/** Adds an instance's extent (every array member) given the child's box. */
export function addInstanceBBox(acc: BBoxAcc, inst: Cell['instances'][number], childBox: BBox): void {
  forEachCorner(inst, (t) => addTransformedBox(acc, t, childBox))
}

/**
 * Hierarchical bounding box of a cell, KLayout's Cell.bbox(): shapes, text anchor points and the boxes of the
 * children transformed (for non-90-degree rotations that is the box of the rotated child box, not tight).
 */
export function cellBBox(cell: Cell): BBox | null {
  const table = memo(cell.layout, 'cellBBox', () => new Map<Cell, BBox | null>())
  const hit = table.get(cell)
  if (hit !== undefined) return hit
  for (const c of cell.layout.bottomUp()) {
    if (table.has(c)) continue
    const acc = new BBoxAcc()
    for (const s of c.layers.values()) acc.addBBox(layerShapesBBox(s))
    for (const t of c.texts) acc.addPoint(t.x, t.y)
    for (const inst of c.instances) {
      const cb = table.get(inst.cell)
      if (cb) addInstanceBBox(acc, inst, cb)
    }
    table.set(c, acc.result())
  }
  return table.get(cell) ?? null
}

/** Layers used anywhere below (and in) a cell. */
export function cellLayers(cell: Cell): Set<LayerKey> {
  const table = memo(cell.layout, 'cellLayers', () => new Map<Cell, Set<LayerKey>>())
  const hit = table.get(cell)
  if (hit) return hit
  const res = new Set<LayerKey>()
  for (const [k, s] of cell.layers) if (s.shapeCount) res.add(k)
  for (const inst of cell.instances) for (const k of cellLayers(inst.cell)) res.add(k)
  table.set(cell, res)
  return res
}
