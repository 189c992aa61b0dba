import { BBoxAcc, bboxUnion, type BBox } from './bbox.js'
import { cellBBox, memo } from './extent.js'
import { flatten, memberAffine, memberCount, transformBBox } from './flatten.js'
import { layerName, type LayerKey } from './layers.js'
import type { Cell, Layout } from './layout.js'
import { layerShapesBBox } from './extent.js'
import { ringArea2 } from './polygon.js'
import { isExactInt, placementAffine } from './transform.js'

export interface FlatLayerInfo {
  /** Flattened polygons + boxes + paths on the layer (texts excluded). */
  shapes: number
  /** Exact box of the flattened geometry (shapes without area, such as zero-width paths, excluded). */
  bbox: BBox | null
}

/**
 * Per layer: how many shapes reach the cell when flattened, and their exact bounding box. Computed bottom-up
 * (children's results reused) through unit-magnification 90-degree placements; placements with other angles or
 * magnifications flatten the child with the accumulated transform so the box stays exact.
 */
export function flatLayers(cell: Cell): Map<LayerKey, FlatLayerInfo> {
  const table = memo(cell.layout, 'flatLayers', () => new Map<Cell, Map<LayerKey, FlatLayerInfo>>())
  const hit = table.get(cell)
  if (hit) return hit
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
    const child = flatLayers(inst.cell)
    if (child.size === 0) continue
    const n = memberCount(inst)
    if (isExactInt(placementAffine(inst.placement))) {
      const a = inst.array
      const corners: Array<[number, number]> = a ? [[0, 0], [a.cols - 1, 0], [0, a.rows - 1], [a.cols - 1, a.rows - 1]] : [[0, 0]]
      for (const [key, info] of child) {
        let bb: BBox | null = null
        if (info.bbox) for (const [i, j] of corners) bb = bboxUnion(bb, transformBBox(memberAffine(inst, i, j), info.bbox))
        add(key, info.shapes * n, bb)
      }
    } else {
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
      for (let i = 0; i < (a ? a.cols : 1); i++) {
        for (let j = 0; j < (a ? a.rows : 1); j++) flatten(inst.cell, sink, {}, memberAffine(inst, i, j))
      }
      for (const [key, info] of child) add(key, info.shapes * n, accs.get(key)?.result() ?? null)
    }
  }
  table.set(cell, res)
  return res
}

/** Number of texts that reach the cell when flattened. */
export function flatTextCount(cell: Cell): number {
  const table = memo(cell.layout, 'flatTexts', () => new Map<Cell, number>())
  const hit = table.get(cell)
  if (hit !== undefined) return hit
  let n = cell.texts.length
  for (const inst of cell.instances) n += memberCount(inst) * flatTextCount(inst.cell)
  table.set(cell, n)
  return n
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
