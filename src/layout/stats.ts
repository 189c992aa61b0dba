import { BBoxAcc, bboxUnion, type BBox } from './bbox.js'
import { cellBBox, memo, postOrder } from './extent.js'
import { flatten, memberAffine, memberCount, transformBBox } from './flatten.js'
import { layerName, type LayerKey } from './layers.js'
import type { Cell, Instance, Layout } from './layout.js'
import { layerShapesBBox } from './extent.js'
import { ringArea2 } from './polygon.js'
import { isExactInt, placementAffine } from './transform.js'

export interface FlatLayerInfo {
  /** Flattened polygons + boxes + paths on the layer (texts excluded). */
  shapes: number
  /** Exact box of the flattened geometry (shapes without area, such as zero-width paths, excluded). */
  bbox: BBox | null
}

/** Members of an array placed with another angle or magnification that are flattened one by one for its box. */
const MAX_FLATTENED_MEMBERS = 16

/**
 * Per layer: how many shapes reach the cell when flattened, and their exact bounding box. Computed bottom-up
 * (children's results reused) through unit-magnification 90-degree placements; placements with other angles or
 * magnifications flatten the child with the accumulated transform so the box stays exact. No recursion (a
 * hierarchy can be a million levels deep), and a child's box is only computed when a parent uses it: a chain
 * of rotated placements flattens each level once, not once per ancestor.
 *
 * Arrays of more than MAX_FLATTENED_MEMBERS members under such a transform are flattened at their four corner
 * members only: rounding is monotonic, so the extreme coordinates over all members are those of the corner
 * members (members differ by integer lattice steps). The one thing that can differ between members is which
 * shapes round to zero area (left out of the box); such slivers can make that box differ from KLayout's.
 */
export function flatLayers(cell: Cell): Map<LayerKey, FlatLayerInfo> {
  const table = memo(cell.layout, 'flatLayers', () => new Map<Cell, Map<LayerKey, FlatLayerInfo>>())
  const hit = table.get(cell)
  if (hit) return hit
  const exact = (inst: Instance): boolean => isExactInt(placementAffine(inst.placement))
  postOrder(cell, (c) => table.has(c), (c) => table.set(c, flatLayersOf(c, table)), exact)
  return table.get(cell)!
}

function flatLayersOf(cell: Cell, table: Map<Cell, Map<LayerKey, FlatLayerInfo>>): Map<LayerKey, FlatLayerInfo> {
  const res = new Map<LayerKey, FlatLayerInfo>()
  const add = (key: LayerKey, shapes: number, bbox: BBox | null): void => {
    const cur = res.get(key)
    if (cur) {
      cur.shapes += shapes
      cur.bbox = bboxUnion(cur.bbox, bbox)
    } else {
      res.set(key, { shapes, bbox })
    }
  }
  for (const [key, s] of cell.layers) if (s.shapeCount) add(key, s.shapeCount, layerShapesBBox(s, true))
  for (const inst of cell.instances) {
    const n = memberCount(inst)
    if (isExactInt(placementAffine(inst.placement))) {
      const child = table.get(inst.cell)!
      if (child.size === 0) continue
      const a = inst.array
      const corners: Array<[number, number]> = a ? [[0, 0], [a.cols - 1, 0], [0, a.rows - 1], [a.cols - 1, a.rows - 1]] : [[0, 0]]
      for (const [key, info] of child) {
        let bb: BBox | null = null
        if (info.bbox) for (const [i, j] of corners) bb = bboxUnion(bb, transformBBox(memberAffine(inst, i, j), info.bbox))
        add(key, info.shapes * n, bb)
      }
    } else {
      const counts = flatShapeCounts(inst.cell)
      if (counts.size === 0) continue
      const accs = new Map<LayerKey, BBoxAcc>()
      const acc = (k: LayerKey): BBoxAcc => {
        let a = accs.get(k)
        if (!a) accs.set(k, (a = new BBoxAcc()))
        return a
      }
      const a = inst.array
      const sink = {
        box: (k: LayerKey, l: number, b: number, r: number, t: number) => {
          if (l < r && b < t) acc(k).addBox(l, b, r, t)
        },
        polygon: (k: LayerKey, xy: Float64Array, m: number) => {
          if (ringArea2(xy, 0, m) === 0n) return
          const ac = acc(k)
          for (let q = 0; q < m; q++) ac.addPoint(xy[2 * q]!, xy[2 * q + 1]!)
        },
      }
      if (!a || n <= MAX_FLATTENED_MEMBERS) {
        for (let i = 0; i < (a ? a.cols : 1); i++) {
          for (let j = 0; j < (a ? a.rows : 1); j++) flatten(inst.cell, sink, {}, memberAffine(inst, i, j))
        }
      } else {
        const seen = new Set<number>()
        for (const [i, j] of [[0, 0], [a.cols - 1, 0], [0, a.rows - 1], [a.cols - 1, a.rows - 1]] as const) {
          if (seen.has(i * 65536 + j)) continue
          seen.add(i * 65536 + j)
          flatten(inst.cell, sink, {}, memberAffine(inst, i, j))
        }
      }
      for (const [key, shapes] of counts) add(key, shapes * n, accs.get(key)?.result() ?? null)
    }
  }
  return res
}

/**
 * Per layer, how many shapes reach the cell when flattened (bottom-up, no recursion). Cells whose counts equal
 * their single child's share its map: treat the maps as read-only.
 */
function flatShapeCounts(cell: Cell): Map<LayerKey, number> {
  const table = memo(cell.layout, 'flatShapeCounts', () => new Map<Cell, Map<LayerKey, number>>())
  const hit = table.get(cell)
  if (hit) return hit
  postOrder(cell, (c) => table.has(c), (c) => {
    let own = false
    for (const s of c.layers.values()) if (s.shapeCount) own = true
    if (!own && c.instances.length === 1 && memberCount(c.instances[0]!) === 1) {
      table.set(c, table.get(c.instances[0]!.cell)!)
      return
    }
    const res = new Map<LayerKey, number>()
    for (const [k, s] of c.layers) if (s.shapeCount) res.set(k, (res.get(k) ?? 0) + s.shapeCount)
    for (const inst of c.instances) {
      const n = memberCount(inst)
      for (const [k, v] of table.get(inst.cell)!) res.set(k, (res.get(k) ?? 0) + v * n)
    }
    table.set(c, res)
  })
  return table.get(cell)!
}

/** Number of texts that reach the cell when flattened. */
export function flatTextCount(cell: Cell): number {
  const table = memo(cell.layout, 'flatTexts', () => new Map<Cell, number>())
  const hit = table.get(cell)
  if (hit !== undefined) return hit
  postOrder(cell, (c) => table.has(c), (c) => {
    let n = c.texts.length
    for (const inst of c.instances) n += memberCount(inst) * table.get(inst.cell)!
    table.set(c, n)
  })
  return table.get(cell)!
}

export interface CellCounts {
  polygons: number
  boxes: number
  paths: number
  texts: number
  instances: number
  array_members: number
  arrays: number
}

export function cellCounts(cell: Cell): CellCounts {
  const c: CellCounts = { polygons: 0, boxes: 0, paths: 0, texts: cell.texts.length, instances: cell.instances.length, array_members: 0, arrays: 0 }
  for (const s of cell.layers.values()) {
    c.polygons += s.polygonCount
    c.boxes += s.boxCount
    c.paths += s.pathCount
  }
  for (const i of cell.instances) {
    if (i.array) {
      c.arrays++
      c.array_members += i.array.cols * i.array.rows
    }
  }
  return c
}

/** `laytest info --json`: the schema of the KLayout oracles in the shared corpus (see its README). */
export interface LayoutSummary {
  dbu: number
  top_cells: string[]
  cells: Record<string, { bbox: BBox | null; counts: CellCounts; ghost?: true }>
  flat: Record<string, Record<string, FlatLayerInfo>>
  flat_bbox: Record<string, BBox | null>
  texts_flat: Record<string, number>
}

export function summarize(layout: Layout): LayoutSummary {
  const tops = layout.topCells()
  const out: LayoutSummary = { dbu: layout.dbu, top_cells: tops.map((c) => c.name), cells: {}, flat: {}, flat_bbox: {}, texts_flat: {} }
  for (const c of layout.cells.values()) {
    const entry: LayoutSummary['cells'][string] = { bbox: cellBBox(c), counts: cellCounts(c) }
    if (c.ghost) entry.ghost = true
    out.cells[c.name] = entry
  }
  for (const top of tops) {
    const layers = [...flatLayers(top)].filter(([, v]) => v.shapes > 0).sort((a, b) => a[0] - b[0])
    const flat: Record<string, FlatLayerInfo> = {}
    let all: BBox | null = null
    for (const [k, v] of layers) {
      flat[layerName(k)] = { shapes: v.shapes, bbox: v.bbox }
      all = bboxUnion(all, v.bbox)
    }
    out.flat[top.name] = flat
    out.flat_bbox[top.name] = all
    out.texts_flat[top.name] = flatTextCount(top)
  }
  return out
}
