/*
 * Spatial indexes for drawing: per cell, one packed R-tree per layer over the cell's own shapes (boxes, polygons,
 * path hulls), one over its instances (an array as one item: its whole extent) and one over its texts' anchors, each
 * built on first use (or ahead, by prepareIndexes) and kept as long as the layout does not change (layout/extent.ts
 * memo: by the layout's generation). A view then visits only the shapes and instances whose boxes can touch it, in
 * runs of consecutive items that the drawing loops take without a call per shape; and each item's box is stored next
 * to it, so a shape smaller than a pixel is drawn from its box without reading its points.
 *
 * The tree is static and packed (like flatbush): items sorted along a Hilbert curve through their centres, NODE
 * items per leaf node, NODE nodes per node above; node k of level L covers items [k * NODE^(L+1), (k+1) *
 * NODE^(L+1)), so a node wholly inside a window is one run of items.
 */
import type { BBox } from '../layout/bbox.js'
import { BBoxAcc } from '../layout/bbox.js'
import { addInstanceBBox, cellBBox, cellLayers, memo } from '../layout/extent.js'
import type { LayerKey } from '../layout/layers.js'
import type { Cell, Layout } from '../layout/layout.js'
import { layerPathHulls } from '../layout/path.js'
import type { LayerShapes } from '../layout/shapes.js'
import type { Affine } from '../layout/transform.js'

/** Items per node. */
export const NODE = 16

/** A static packed R-tree over boxes (integers for shapes and texts, doubles for instance extents). */
export class PackedTree<A extends Int32Array | Float64Array = Int32Array> {
  /** Item boxes (l, b, r, t) in tree order. */
  readonly boxes: A
  /** The caller's item number of each item in tree order. */
  readonly ids: Int32Array
  /** Node boxes per level, level 0 = nodes of NODE items; the last level has one node (the root). */
  readonly levels: A[]
  readonly n: number

  /** `boxes`: 4 numbers per item (l, b, r, t), in the caller's numbering. */
  constructor(boxes: A, n: number) {
    this.n = n
    let nodes = 0
    for (let c = n; ; ) {
      c = Math.ceil(c / NODE)
      nodes += c
      if (c <= 1) break
    }
    // the sorted boxes and every level in one allocation (a cell can have thousands of small trees)
    const store = (boxes instanceof Int32Array ? new Int32Array(4 * (n + nodes)) : new Float64Array(4 * (n + nodes))) as A
    this.ids = hilbertOrder(boxes, n)
    const order = this.ids
    const sorted = store.subarray(0, 4 * n) as A
    for (let k = 0; k < n; k++) {
      const o = 4 * order[k]!
      sorted[4 * k] = boxes[o]!
      sorted[4 * k + 1] = boxes[o + 1]!
      sorted[4 * k + 2] = boxes[o + 2]!
      sorted[4 * k + 3] = boxes[o + 3]!
    }
    this.boxes = sorted
    this.levels = []
    let below: A = sorted, count = n, at = 4 * n
    do {
      const m = Math.ceil(count / NODE)
      const lvl = store.subarray(at, at + 4 * m) as A
      at += 4 * m
      for (let k = 0; k < m; k++) {
        let l = Infinity, b = Infinity, r = -Infinity, t = -Infinity
        for (let q = k * NODE, e = Math.min(count, q + NODE); q < e; q++) {
          if (below[4 * q]! < l) l = below[4 * q]!
          if (below[4 * q + 1]! < b) b = below[4 * q + 1]!
          if (below[4 * q + 2]! > r) r = below[4 * q + 2]!
          if (below[4 * q + 3]! > t) t = below[4 * q + 3]!
        }
        lvl[4 * k] = l
        lvl[4 * k + 1] = b
        lvl[4 * k + 2] = r
        lvl[4 * k + 3] = t
      }
      this.levels.push(lvl)
      below = lvl
      count = m
    } while (count > 1)
  }

  /**
   * Calls `run(s, e)` for runs of items [s, e) in tree order that contain every item whose box touches `win`
   * (closed); items of a run may lie outside it (a leaf node that overlaps the window is one run). Adjacent runs
   * are merged.
   */
  query(win: BBox, run: (s: number, e: number) => void): void {
    if (this.n === 0) return
    const [wl, wb, wr, wt] = win
    const top = this.levels.length - 1
    let rs = -1, re = -1
    const emit = (s: number, e: number): void => {
      if (s === re) {
        re = e
        return
      }
      if (re > rs) run(rs, re)
      rs = s
      re = e
    }
    // depth first, nodes in order, so runs come out in item order and merge
    const stack: number[] = [top, 0]
    while (stack.length) {
      const k = stack.pop()!, level = stack.pop()!
      const lb = this.levels[level]!
      const l = lb[4 * k]!, b = lb[4 * k + 1]!, r = lb[4 * k + 2]!, t = lb[4 * k + 3]!
      if (r < wl || l > wr || t < wb || b > wt) continue
      const span = NODE ** (level + 1)
      if (level === 0 || (l >= wl && r <= wr && b >= wb && t <= wt)) {
        emit(k * span, Math.min(this.n, (k + 1) * span))
        continue
      }
      const children = Math.ceil(this.n / NODE ** level)
      for (let c = Math.min(children, (k + 1) * NODE) - 1; c >= k * NODE; c--) stack.push(level - 1, c)
    }
    if (re > rs) run(rs, re)
  }

  /** The caller's numbers of the items whose boxes may touch `win` (a superset, see query), ascending. */
  items(win: BBox): Int32Array {
    const runs: number[] = []
    let n = 0
    this.query(win, (s, e) => {
      runs.push(s, e)
      n += e - s
    })
    const out = new Int32Array(n)
    for (let q = 0, o = 0; q < runs.length; q += 2) {
      out.set(this.ids.subarray(runs[q]!, runs[q + 1]!), o)
      o += runs[q + 1]! - runs[q]!
    }
    return out.sort()
  }
}

let scratch = new Float64Array(0)

/** Item numbers sorted by the Hilbert index of their box centres (16 bits per axis); ties in stored order. */
function hilbertOrder(boxes: Int32Array | Float64Array, n: number): Int32Array {
  // (an empty box, +inf..-inf, has no centre: NaN, which sorts as 0)
  let minX = Infinity, minY = Infinity, maxX = -Infinity, maxY = -Infinity
  for (let k = 0; k < n; k++) {
    const cx = boxes[4 * k]! + boxes[4 * k + 2]!, cy = boxes[4 * k + 1]! + boxes[4 * k + 3]!
    if (cx < minX) minX = cx
    if (cx > maxX) maxX = cx
    if (cy < minY) minY = cy
    if (cy > maxY) maxY = cy
  }
  const sx = maxX > minX ? 65535 / (maxX - minX) : 0, sy = maxY > minY ? 65535 / (maxY - minY) : 0
  if (n < 4096) {
    // few items: key and number packed in one double (32 + 21 bits, exact), sorted natively
    if (scratch.length < n) scratch = new Float64Array(4096)
    const packed = scratch.subarray(0, n)
    for (let k = 0; k < n; k++) {
      const cx = boxes[4 * k]! + boxes[4 * k + 2]!, cy = boxes[4 * k + 1]! + boxes[4 * k + 3]!
      packed[k] = hilbert(Math.floor((cx - minX) * sx), Math.floor((cy - minY) * sy)) * 2097152 + k
    }
    packed.sort()
    const ids = new Int32Array(n)
    for (let k = 0; k < n; k++) ids[k] = packed[k]! % 2097152
    return ids
  }
  let keys = new Uint32Array(n), ids = new Int32Array(n)
  for (let k = 0; k < n; k++) {
    const cx = boxes[4 * k]! + boxes[4 * k + 2]!, cy = boxes[4 * k + 1]! + boxes[4 * k + 3]!
    keys[k] = hilbert(Math.floor((cx - minX) * sx), Math.floor((cy - minY) * sy))
    ids[k] = k
  }
  // LSD radix sort, 3 passes of 11 bits (stable: equal keys keep the stored order)
  let keys2 = new Uint32Array(n), ids2 = new Int32Array(n)
  const count = new Int32Array(2048)
  for (let shift = 0; shift < 33; shift += 11) {
    count.fill(0)
    for (let k = 0; k < n; k++) count[(keys[k]! >>> shift) & 2047]!++
    for (let q = 0, sum = 0; q < 2048; q++) {
      const c = count[q]!
      count[q] = sum
      sum += c
    }
    for (let k = 0; k < n; k++) {
      const d = (keys[k]! >>> shift) & 2047
      const o = count[d]!++
      keys2[o] = keys[k]!
      ids2[o] = ids[k]!
    }
    ;[keys, keys2] = [keys2, keys]
    ;[ids, ids2] = [ids2, ids]
  }
  return ids
}

/** Hilbert curve index of (x, y), 16 bits each (the algorithm flatbush uses, after rawrunprotected's). */
function hilbert(x: number, y: number): number {
  let a = x ^ y
  let b = 0xffff ^ a
  let c = 0xffff ^ (x | y)
  let d = x & (y ^ 0xffff)
  let A = a | (b >> 1)
  let B = (a >> 1) ^ a
  let C = ((c >> 1) ^ (b & (d >> 1))) ^ c
  let D = ((a & (c >> 1)) ^ (d >> 1)) ^ d
  a = A; b = B; c = C; d = D
  A = (a & (a >> 2)) ^ (b & (b >> 2))
  B = (a & (b >> 2)) ^ (b & ((a ^ b) >> 2))
  C ^= (a & (c >> 2)) ^ (b & (d >> 2))
  D ^= (b & (c >> 2)) ^ ((a ^ b) & (d >> 2))
  a = A; b = B; c = C; d = D
  A = (a & (a >> 4)) ^ (b & (b >> 4))
  B = (a & (b >> 4)) ^ (b & ((a ^ b) >> 4))
  C ^= (a & (c >> 4)) ^ (b & (d >> 4))
  D ^= (b & (c >> 4)) ^ ((a ^ b) & (d >> 4))
  a = A; b = B; c = C; d = D
  C ^= (a & (c >> 8)) ^ (b & (d >> 8))
  D ^= (b & (c >> 8)) ^ ((a ^ b) & (d >> 8))
  a = C ^ (C >> 1)
  b = D ^ (D >> 1)
  let i0 = x ^ y
  let i1 = b | (0xffff ^ (i0 | a))
  i0 = (i0 | (i0 << 8)) & 0x00ff00ff
  i0 = (i0 | (i0 << 4)) & 0x0f0f0f0f
  i0 = (i0 | (i0 << 2)) & 0x33333333
  i0 = (i0 | (i0 << 1)) & 0x55555555
  i1 = (i1 | (i1 << 8)) & 0x00ff00ff
  i1 = (i1 | (i1 << 4)) & 0x0f0f0f0f
  i1 = (i1 | (i1 << 2)) & 0x33333333
  i1 = (i1 | (i1 << 1)) & 0x55555555
  return ((i1 << 1) | i0) >>> 0
}

/**
 * One layer of a cell, indexed: item numbers are boxes first (0 .. nb-1), then polygons (nb .. nb+np-1), then
 * paths (their hulls).
 */
export interface LayerIndex {
  tree: PackedTree
  /** Boxes, polygons. */
  nb: number
  np: number
}

/** Rings' boxes: 4 ints per ring. */
function ringBoxes(out: Int32Array, o: number, d: Int32Array, starts: Int32Array, count: number): void {
  for (let i = 0; i < count; i++) {
    let l = 2147483647, b = 2147483647, r = -2147483648, t = -2147483648
    for (let k = starts[i]!, e = starts[i + 1]!; k < e; k += 2) {
      const x = d[k]!, y = d[k + 1]!
      if (x < l) l = x
      if (x > r) r = x
      if (y < b) b = y
      if (y > t) t = y
    }
    out[o + 4 * i] = l
    out[o + 4 * i + 1] = b
    out[o + 4 * i + 2] = r
    out[o + 4 * i + 3] = t
  }
}

export function indexLayer(s: LayerShapes): LayerIndex {
  const nb = s.boxCount, np = s.polygonCount, nh = s.pathCount
  const n = nb + np + nh
  const boxes = new Int32Array(4 * n)
  boxes.set(s.boxes.data.subarray(0, 4 * nb))
  if (np) ringBoxes(boxes, 4 * nb, s.polyCoords.data, s.polyStarts.data, np)
  if (nh) {
    const h = layerPathHulls(s)
    ringBoxes(boxes, 4 * (nb + np), h.coords.data, h.starts.data, nh)
  }
  return { tree: new PackedTree(boxes, n), nb, np }
}

/** Cells with at most this many shapes on a layer, or instances, are walked without an index. */
export const MIN_INDEXED = 64

/**
 * A cell's indexes, each built on first use: its layers with more than MIN_INDEXED shapes, its instances and its
 * texts when it has more than MIN_INDEXED of them.
 */
export class CellIndex {
  private readonly layers = new Map<LayerKey, LayerIndex | null>()
  private insts: PackedTree<Float64Array> | null | undefined
  private txts: PackedTree | null | undefined
  private readonly nodeLayerSets = new Map<number, LayerKey[]>()

  constructor(readonly cell: Cell) {}

  /** The layer's index (null: too few shapes to need one). */
  layer(k: LayerKey, s: LayerShapes): LayerIndex | null {
    let li = this.layers.get(k)
    if (li === undefined) {
      li = s.shapeCount > MIN_INDEXED ? indexLayer(s) : null
      this.layers.set(k, li)
    }
    return li
  }

  /** The layer's index if it is built (undefined: not yet). */
  builtLayer(k: LayerKey): LayerIndex | null | undefined {
    return this.layers.get(k)
  }

  /** The instances (by their position in cell.instances); null when there are at most MIN_INDEXED. */
  instances(): PackedTree<Float64Array> | null {
    if (this.insts === undefined) {
      const insts = this.cell.instances
      this.insts = null
      if (insts.length > MIN_INDEXED) {
        const boxes = new Float64Array(4 * insts.length)
        const acc = new BBoxAcc()
        insts.forEach((inst, k) => {
          const cb = cellBBox(inst.cell)
          acc.l = acc.b = Infinity
          acc.r = acc.t = -Infinity
          if (cb) addInstanceBBox(acc, inst, cb)
          // a child without a box draws nothing: an empty box (+inf..-inf, touches no window)
          boxes[4 * k] = acc.l
          boxes[4 * k + 1] = acc.b
          boxes[4 * k + 2] = acc.r
          boxes[4 * k + 3] = acc.t
        })
        this.insts = new PackedTree(boxes, insts.length)
      }
    }
    return this.insts
  }

  get instancesBuilt(): boolean {
    return this.insts !== undefined
  }

  /** The texts' anchors (by position in cell.texts); null when there are at most MIN_INDEXED. */
  texts(): PackedTree | null {
    if (this.txts === undefined) {
      const texts = this.cell.texts
      this.txts = null
      if (texts.length > MIN_INDEXED) {
        const boxes = new Int32Array(4 * texts.length)
        texts.forEach((t, k) => boxes.set([t.x, t.y, t.x, t.y], 4 * k))
        this.txts = new PackedTree(boxes, texts.length)
      }
    }
    return this.txts
  }

  get textsBuilt(): boolean {
    return this.txts !== undefined
  }

  /** The layers drawn below the instances of node k of `level` of the instance tree (made on first use). */
  nodeLayers(level: number, k: number): readonly LayerKey[] {
    const key = level * 2 ** 32 + k
    let ls = this.nodeLayerSets.get(key)
    if (!ls) {
      const set = new Set<LayerKey>()
      const tree = this.instances()!
      if (level === 0) {
        for (let q = k * NODE, e = Math.min(tree.n, q + NODE); q < e; q++) for (const l of cellLayers(this.cell.instances[tree.ids[q]!]!.cell)) set.add(l)
      } else {
        const below = tree.levels[level - 1]!.length / 4
        for (let c = k * NODE, e = Math.min(below, c + NODE); c < e; c++) for (const l of this.nodeLayers(level - 1, c)) set.add(l)
      }
      ls = [...set]
      this.nodeLayerSets.set(key, ls)
    }
    return ls
  }
}

/** The cell's indexes, kept while the layout is unchanged. */
export function cellIndex(cell: Cell): CellIndex {
  const table = memo(cell.layout, 'renderIndex', () => new Map<Cell, CellIndex>())
  let ix = table.get(cell)
  if (!ix) {
    ix = new CellIndex(cell)
    table.set(cell, ix)
  }
  return ix
}

/**
 * Whether a view that shows `win` (the cell's coordinates) of a cell whose box is `box` should build an index it
 * does not have yet: when it shows less than half of the cell (a view of all of it visits everything anyway, and the
 * first view of a big layout should not wait for indexes; prepareIndexes builds them between views).
 */
export function worthIndexing(win: BBox, box: BBox | null): boolean {
  if (!box) return false
  const w = Math.max(0, Math.min(win[2], box[2]) - Math.max(win[0], box[0])), h = Math.max(0, Math.min(win[3], box[3]) - Math.max(win[1], box[1]))
  return w * h < 0.5 * Math.max(1, box[2] - box[0]) * Math.max(1, box[3] - box[1])
}

/**
 * Builds every index of the layout's cells a view may use, yielding to the event loop (`pause`) every ~`sliceMs`
 * milliseconds of work, so that a viewer answers requests while it runs. Indexes already built are kept.
 */
export async function prepareIndexes(layout: Layout, pause: () => Promise<void>, sliceMs = 15): Promise<void> {
  let t0 = performance.now()
  const gen = layout.generation
  for (const cell of [...layout.cells.values()]) {
    if (layout.generation !== gen) return
    const ix = cellIndex(cell)
    const steps: Array<() => unknown> = [() => ix.instances(), () => ix.texts()]
    for (const [k, s] of cell.layers) steps.push(() => ix.layer(k, s))
    for (const step of steps) {
      step()
      if (performance.now() - t0 > sliceMs) {
        await pause()
        if (layout.generation !== gen) return
        t0 = performance.now()
      }
    }
  }
}

/**
 * The box, in a cell's coordinates, of what shows of it in `win` (top coordinates) under t: the box of the window's
 * corners mapped back, widened by a unit for floating-point error. Null when t cannot be inverted.
 */
export function localWindow(t: Affine, win: BBox): BBox | null {
  const det = t.a * t.d - t.b * t.c
  if (!det || !Number.isFinite(det)) return null
  const ia = t.d / det, ib = -t.b / det, ic = -t.c / det, id = t.a / det
  let l = Infinity, b = Infinity, r = -Infinity, tp = -Infinity
  for (let k = 0; k < 4; k++) {
    const x = (k & 1 ? win[2] : win[0]) - t.tx, y = (k & 2 ? win[3] : win[1]) - t.ty
    const u = ia * x + ib * y, v = ic * x + id * y
    if (u < l) l = u
    if (u > r) r = u
    if (v < b) b = v
    if (v > tp) tp = v
  }
  const e = 1 + 1e-9 * Math.max(Math.abs(l), Math.abs(r), Math.abs(b), Math.abs(tp))
  return [l - e, b - e, r + e, tp + e]
}
