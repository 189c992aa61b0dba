import { BBoxAcc, type BBox } from './bbox.js'
import type { LayerKey } from './layers.js'
import { CycleError, newWalkMark, type Cell, type Instance, type Layout } from './layout.js'
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

/** Box of a transformed box's corners (rounded to the grid); `dx, dy` are added to the displacement. */
function addTransformedBox(acc: BBoxAcc, t: Affine, bb: BBox, dx = 0, dy = 0): void {
  const tx = t.tx + dx, ty = t.ty + dy
  for (let k = 0; k < 4; k++) {
    const x = k === 0 || k === 3 ? bb[0] : bb[2]
    const y = k < 2 ? bb[1] : bb[3]
    acc.addPoint(roundCoord(t.a * x + t.b * y + tx), roundCoord(t.c * x + t.d * y + ty))
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
  // forEachCorner without its closure and objects: this runs once per instance of every cell
  const t = placementAffine(inst.placement)
  const a = inst.array
  if (!a) return addTransformedBox(acc, t, childBox)
  for (let k = 0; k < 4; k++) {
    const i = k & 1 ? a.cols - 1 : 0, j = k & 2 ? a.rows - 1 : 0
    addTransformedBox(acc, t, childBox, i * a.colX + j * a.rowX, i * a.colY + j * a.rowY)
  }
}

/**
 * Visits `root` and every cell below it that `done` does not know yet, children before parents, each once;
 * `visit(c)` must make `done(c)` true. `descend(inst)` (default: always) says which instances lead to cells
 * that are needed. An explicit stack, not recursion: a file's hierarchy can be a million levels deep. A
 * reference cycle is a CycleError.
 */
export function postOrder(root: Cell, done: (c: Cell) => boolean, visit: (c: Cell) => void, descend?: (inst: Instance) => boolean): void {
  if (done(root)) return
  // the cells on the stack carry this walk's mark (Cell._post), not a Set: a million levels cost little. A
  // walk started inside `visit` has its own mark; it cannot reach a cell on this walk's stack without passing
  // through a cycle, which it reports itself.
  const mark = newWalkMark()
  const cells: Cell[] = [root]
  const next: number[] = [0]
  root._post = mark
  try {
    while (cells.length) {
      const top = cells.length - 1
      const c = cells[top]!
      const insts = c.instances
      let i = next[top]!
      let pushed = false
      while (i < insts.length) {
        const inst = insts[i++]!
        if (descend && !descend(inst)) continue
        const child = inst.cell
        if (done(child)) continue
        if (child._post === mark) {
          const path = cells.map((x) => x.name)
          throw new CycleError([...path.slice(cells.indexOf(child)), child.name])
        }
        next[top] = i
        cells.push(child)
        next.push(0)
        child._post = mark
        pushed = true
        break
      }
      if (pushed) continue
      cells.pop()
      next.pop()
      c._post = 0
      visit(c)
    }
  } finally {
    for (const c of cells) c._post = 0
  }
}

/**
 * Hierarchical bounding box of a cell, KLayout's Cell.bbox(): shapes, text anchor points and the boxes of the
 * children transformed (for non-90-degree rotations that is the box of the rotated child box, not tight).
 */
export function cellBBox(cell: Cell): BBox | null {
  const table = memo(cell.layout, 'cellBBox', () => new Map<Cell, BBox | null>())
  const hit = table.get(cell)
  if (hit !== undefined) return hit
  postOrder(cell, (c) => table.has(c), (c) => {
    const acc = new BBoxAcc()
    for (const s of c.layers.values()) acc.addBBox(layerShapesBBox(s))
    for (const t of c.texts) acc.addPoint(t.x, t.y)
    for (const inst of c.instances) {
      const cb = table.get(inst.cell)
      if (cb) addInstanceBBox(acc, inst, cb)
    }
    table.set(c, acc.result())
  })
  return table.get(cell) ?? null
}

const NO_LAYERS: ReadonlySet<LayerKey> = new Set()

/**
 * Layers used anywhere below (and in) a cell. The sets are shared between cells that have the same layers
 * (a cell with no shapes of its own and one child has its child's set): treat them as read-only.
 */
export function cellLayers(cell: Cell): Set<LayerKey> {
  const table = memo(cell.layout, 'cellLayers', () => new Map<Cell, Set<LayerKey>>())
  const hit = table.get(cell)
  if (hit) return hit
  postOrder(cell, (c) => table.has(c), (c) => {
    let res: Set<LayerKey> | null = null
    let own = false // res is this cell's own set (not shared)
    for (const [k, s] of c.layers) {
      if (!s.shapeCount) continue
      if (!own) {
        res = new Set()
        own = true
      }
      res!.add(k)
    }
    for (const inst of c.instances) {
      const child = table.get(inst.cell)!
      if (child.size === 0 || child === res) continue
      if (!res) {
        res = child
        continue
      }
      let missing = false
      for (const k of child) {
        if (!res.has(k)) {
          missing = true
          break
        }
      }
      if (!missing) continue
      if (!own) {
        res = new Set(res)
        own = true
      }
      for (const k of child) res.add(k)
    }
    table.set(c, res ?? (NO_LAYERS as Set<LayerKey>))
  })
  return table.get(cell)!
}
