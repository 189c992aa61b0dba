import { KeyedBag } from '../layout/keyed-bag.js'
import type { BBox } from '../layout/bbox.js'
import type { BooleanOps } from './clipper.js'
import { exactAreas, xorTable, type Regions } from './exact.js'
import { ExactSum } from './exact-sum.js'
import { RingSet } from './rings.js'

/*
 * The exact XOR inside one window: Clipper2's cost grows much faster than linearly with the number of shapes,
 * so a window with many shapes is cut into a grid of tiles of about TILE_TARGET shapes. Each tile XORs every
 * shape touching it (uncut) and keeps the part of the result inside the tile; tiles share only edges, so their
 * areas add up exactly.
 */

export const TILE_TARGET = 1200

export interface TileJob {
  /** Tile box in doubled units. */
  box: BBox
  a: RingSet
  b: RingSet
}

/** Cuts a window (dbu) into tile jobs holding the rings that touch each tile. */
export function tileJobs(window: BBox, a: RingSet, b: RingSet, tileShapes = TILE_TARGET): TileJob[] {
  const W: BBox = [2 * window[0], 2 * window[1], 2 * window[2], 2 * window[3]]
  const total = a.count + b.count
  if (tileShapes <= 0 || total <= 2 * tileShapes) return [{ box: W, a, b }]
  const nt = Math.ceil(total / tileShapes)
  const w = window[2] - window[0], h = window[3] - window[1]
  let gx = Math.max(1, Math.round(Math.sqrt((nt * w) / Math.max(h, 1))))
  gx = Math.min(gx, Math.max(1, w))
  let gy = Math.max(1, Math.ceil(nt / gx))
  gy = Math.min(gy, Math.max(1, h))
  // tile edges on integer dbu positions
  const xs: number[] = [], ys: number[] = []
  for (let i = 0; i <= gx; i++) xs.push(2 * (window[0] + Math.round((w * i) / gx)))
  for (let j = 0; j <= gy; j++) ys.push(2 * (window[1] + Math.round((h * j) / gy)))
  const jobs: TileJob[] = []
  for (let j = 0; j < gy; j++) {
    for (let i = 0; i < gx; i++) jobs.push({ box: [xs[i]!, ys[j]!, xs[i + 1]!, ys[j + 1]!], a: new RingSet(256), b: new RingSet(256) })
  }
  const place = (rs: RingSet, side: 'a' | 'b'): void => {
    for (let r = 0; r < rs.count; r++) {
      const [l, bt, rt, t] = rs.ringBox(r)
      const i0 = Math.max(0, upper(xs, l) - 1), i1 = Math.min(gx - 1, upper(xs, rt) - 1)
      const j0 = Math.max(0, upper(ys, bt) - 1), j1 = Math.min(gy - 1, upper(ys, t) - 1)
      for (let j = j0; j <= j1; j++) {
        for (let i = i0; i <= i1; i++) jobs[j * gx + i]![side].addRaw(rs.xy, rs.starts[r]!, rs.size(r))
      }
    }
  }
  place(a, 'a')
  place(b, 'b')
  return jobs
}

/** Index of the first element > v (sorted array). */
function upper(arr: number[], v: number): number {
  let lo = 0, hi = arr.length
  while (lo < hi) {
    const m = (lo + hi) >> 1
    if (arr[m]! <= v) lo = m + 1
    else hi = m
  }
  return lo
}

export interface TileResult {
  box: BBox
  /**
   * The XOR's polygons for drawing and writing (doubled units). Exact where the tile is Manhattan (Clipper's
   * merged polygons); elsewhere the exact XOR's trapezoids with their corners rounded outwards to the dbu grid:
   * never empty when the XOR is not.
   */
  xor: RingSet
  /**
   * Where the XOR is trapezoids: its connected pieces' boxes (doubled units), 4 numbers each (the polygons of
   * `xor` are then not merged, so they are not counted one by one).
   */
  clusters: Float64Array | null
  /** The XOR after the tolerance opening (null without tolerance). */
  opened: RingSet | null
  /** The exact XOR area inside the tile (doubled units squared). */
  area: ExactSum
  /** The XOR is not empty (decided exactly). */
  nonEmpty: boolean
  /** With sideAreas: the exact merged areas of A and B inside the tile. */
  aArea: ExactSum | null
  bArea: ExactSum | null
  /** Decided by the exact sweep (the tile has non-axis-parallel edges). */
  swept: boolean
}

export interface TileOptions {
  sideAreas?: boolean
  /** Opening radius times 2, i.e. the tolerance in dbu expressed in doubled units / 2. */
  tolerance?: number
}

const XOR_TABLE = xorTable()

/**
 * XOR of one tile, inside the tile box; optionally the merged sides' areas and the opened XOR too.
 *
 * Clipper2 computes in exact integers, but it rounds the points where non-axis-parallel edges cross to the grid
 * and drops thin triangles: a 1-dbu vertex move on a taper could XOR to nothing, and X xor X of dense
 * non-Manhattan overlaps gave slivers (KLayout's t166 test data: 161 dbu^2 over 70k triangles). So Clipper
 * decides only tiles whose edges are all axis-parallel (every crossing is a grid point there, and its results
 * are exact); any other tile is decided, measured and drawn by the exact sweep (exact.ts) on the uncut rings,
 * clipped to the tile exactly.
 *
 * Rings present identically on both sides (C) are taken out first: A = C + A', B = C + B', so
 * A xor B = (A' xor B') - C: less work, and where nothing differs nothing is computed.
 */
export function runTile(ops: BooleanOps, job: TileJob, opts: TileOptions = {}): TileResult {
  const sideAreas = !!opts.sideAreas
  const res: TileResult = { box: job.box, xor: EMPTY, clusters: null, opened: null, area: new ExactSum(), nonEmpty: false, aArea: null, bArea: null, swept: false }
  if (axisParallel(job.a) && axisParallel(job.b)) {
    // (A and T) xor (B and T) = (A xor B) and T: cutting the inputs is cheaper than cutting the result
    const A = clipInputs(ops, job.a, job.box), B = clipInputs(ops, job.b, job.box)
    const { onlyA, onlyB, common } = splitCommon(A, B)
    if (onlyA.count || onlyB.count) {
      res.xor = ops.xor(onlyA, onlyB)
      if (res.xor.count && common.count) res.xor = ops.difference(res.xor, common)
    }
    res.area = ringsArea(res.xor)
    res.nonEmpty = !ringsAreaZero(res.xor)
    if (sideAreas) {
      res.aArea = ringsArea(ops.union(A))
      res.bArea = ringsArea(ops.union(B))
    }
    // opening by tolerance/2 dbu = tolerance in doubled units
    if (opts.tolerance && res.xor.count) res.opened = ops.open(res.xor, opts.tolerance)
  } else {
    sweepTile(job, res, sideAreas)
    // the trapezoids merged first: an opening of abutting pieces separately would erase wide regions
    if (opts.tolerance && res.xor.count) res.opened = ops.open(ops.union(res.xor), opts.tolerance)
  }
  return res
}

/** The exact sweep of a non-Manhattan tile: area, verdict, and the XOR's trapezoids and pieces into `res`. */
function sweepTile(job: TileJob, res: TileResult, sideAreas: boolean): void {
  res.swept = true
  const split = splitCommon(job.a, job.b)
  const bits = sideAreas ? 3 : 1
  let box: BBox | null = job.box
  if (!sideAreas) {
    if (split.onlyA.count === 0 && split.onlyB.count === 0) box = null
    else {
      const d = differenceBox(split.onlyA, split.onlyB)
      box = d === undefined ? job.box : d && intersectBox(job.box, d)
    }
  }
  if (!box) return
  const ex = exactAreas([split.onlyA, split.onlyB, split.common], { table: XOR_TABLE, bits, box, regions: true })
  res.area = ex.areas[0]!
  res.nonEmpty = ex.nonEmpty[0]!
  if (sideAreas) {
    res.aArea = ex.areas[1]!
    res.bArea = ex.areas[2]!
  }
  if (res.nonEmpty) [res.xor, res.clusters] = drawRegions(ex.regions!)
}

/**
 * The exact XOR's trapezoids as polygons, corners rounded outwards to the dbu grid (even doubled coordinates),
 * and the boxes of its connected pieces.
 */
function drawRegions(R: Regions): [RingSet, Float64Array] {
  const out = new RingSet(8 * R.count + 8)
  const t = R.tz
  const boxes = new Map<number, number[]>()
  const pts: number[] = []
  for (let i = 0; i < R.count; i++) {
    const k = 6 * i
    const x0 = t[k]!, x1 = t[k + 1]!
    if (!(x1 > x0)) continue
    const l = floorEven(x0), r = ceilEven(x1)
    const b0 = floorEven(t[k + 2]!), b1 = floorEven(t[k + 3]!), t1 = ceilEven(t[k + 5]!), t0 = ceilEven(t[k + 4]!)
    pts.length = 0
    pts.push(l, b0, r, b1)
    if (t1 !== b1) pts.push(r, t1)
    if (t0 !== b0) pts.push(l, t0)
    if (pts.length >= 6) out.addRaw(pts, 0, pts.length / 2)
    const root = R.find(i)
    const bb = boxes.get(root)
    const lo = Math.min(b0, b1), hi = Math.max(t0, t1)
    if (!bb) boxes.set(root, [l, lo, r, hi])
    else {
      if (l < bb[0]!) bb[0] = l
      if (lo < bb[1]!) bb[1] = lo
      if (r > bb[2]!) bb[2] = r
      if (hi > bb[3]!) bb[3] = hi
    }
  }
  const clusters = new Float64Array(4 * boxes.size)
  let j = 0
  for (const bb of boxes.values()) for (const v of bb) clusters[j++] = v
  return [out, clusters]
}

const floorEven = (v: number): number => 2 * Math.floor(v / 2)
const ceilEven = (v: number): number => 2 * Math.ceil(v / 2)

/** Every edge of every ring is horizontal or vertical. */
function axisParallel(rs: RingSet): boolean {
  const d = rs.xy
  for (let i = 0; i < rs.count; i++) {
    const s = rs.starts[i]!, e = rs.starts[i + 1]!
    let px = d[e - 2]!, py = d[e - 1]!
    for (let k = s; k < e; k += 2) {
      const x = d[k]!, y = d[k + 1]!
      if (x !== px && y !== py) return false
      px = x
      py = y
    }
  }
  return true
}

function ringsArea(rs: RingSet): ExactSum {
  const s = new ExactSum()
  for (let i = 0; i < rs.count; i++) {
    const a = rs.ringArea2(i)
    if (typeof a === 'bigint') s.addBig(a, 2n)
    else s.add(a, 2)
  }
  return s
}

function ringsAreaZero(rs: RingSet): boolean {
  let big = 0n, small = 0
  for (let i = 0; i < rs.count; i++) {
    const a = rs.ringArea2(i)
    if (typeof a === 'bigint') big += a
    else small += a
  }
  return big + BigInt(small) === 0n
}

function intersectBox(a: BBox, b: BBox): BBox | null {
  const l = Math.max(a[0], b[0]), bt = Math.max(a[1], b[1]), r = Math.min(a[2], b[2]), t = Math.min(a[3], b[3])
  return l < r && bt < t ? [l, bt, r, t] : null
}

/** Rings with more points than this make the sweep look for the edges that differ first. */
const BIG_RING = 32

/**
 * Where A' xor B' can be non-empty, when the rings are big: the winding numbers of A' and B' differ only where
 * the directed non-vertical edges that do not cancel between them (edges of A' minus edges of B') wind, which
 * is inside those edges' bounding box. A 1-dbu vertex move on a 1000-vertex bend leaves 4 such edges. Returns
 * undefined when the rings are small (not worth it), null when every edge cancels (nothing differs).
 */
function differenceBox(a: RingSet, b: RingSet): BBox | null | undefined {
  let big = false
  for (const rs of [a, b]) for (let i = 0; i < rs.count && !big; i++) if (rs.size(i) > BIG_RING) big = true
  if (!big) return undefined
  const net = new Map<string, number>()
  const collect = (rs: RingSet, sign: number): void => {
    const d = rs.xy
    for (let i = 0; i < rs.count; i++) {
      const s = rs.starts[i]!, e = rs.starts[i + 1]!
      for (let k = s; k < e; k += 2) {
        const n = k + 2 < e ? k + 2 : s
        const ax = d[k]!, ay = d[k + 1]!, bx = d[n]!, by = d[n + 1]!
        if (ax === bx) continue
        const key = ax < bx ? `${ax},${ay},${bx},${by}` : `${bx},${by},${ax},${ay}`
        const w = (ax < bx ? 1 : -1) * sign
        const v = (net.get(key) ?? 0) + w
        if (v) net.set(key, v)
        else net.delete(key)
      }
    }
  }
  collect(a, 1)
  collect(b, -1)
  if (!net.size) return null
  let l = Infinity, bt = Infinity, r = -Infinity, t = -Infinity
  for (const key of net.keys()) {
    const [x1, y1, x2, y2] = key.split(',').map(Number) as [number, number, number, number]
    l = Math.min(l, x1)
    r = Math.max(r, x2)
    bt = Math.min(bt, y1, y2)
    t = Math.max(t, y1, y2)
  }
  return [l, bt, r, t]
}

/**
 * The rings cut to a box: rings inside are kept, axis-parallel rectangles are cut here, the other rings that
 * cross the border are cut by one boolean intersection (which also merges them: the XOR only needs the union).
 */
function clipInputs(ops: BooleanOps, rs: RingSet, box: BBox): RingSet {
  if (inside(rs, box)) return rs
  const out = new RingSet(rs.length + 16)
  const cross = new RingSet(64)
  const [L, Bt, R, T] = box
  const d = rs.xy
  for (let i = 0; i < rs.count; i++) {
    const s = rs.starts[i]!, n = rs.size(i)
    const [l, b, r, t] = rs.ringBox(i)
    if (l >= R || r <= L || b >= T || t <= Bt) continue
    if (l >= L && r <= R && b >= Bt && t <= T) {
      out.addRaw(d, s, n)
    } else if (n === 4 && isRect(d, s)) {
      const cl = Math.max(l, L), cr = Math.min(r, R), cb = Math.max(b, Bt), ct = Math.min(t, T)
      out.addRaw([cl, cb, cr, cb, cr, ct, cl, ct], 0, 4)
    } else {
      cross.addRaw(d, s, n)
    }
  }
  if (cross.count) ops.clipToBox(cross, L, Bt, R, T, out)
  return out
}

/** A 4-point ring with axis-parallel edges. */
function isRect(d: Float64Array, s: number): boolean {
  const x0 = d[s]!, y0 = d[s + 1]!, x1 = d[s + 2]!, y1 = d[s + 3]!, x2 = d[s + 4]!, y2 = d[s + 5]!, x3 = d[s + 6]!, y3 = d[s + 7]!
  return (x0 === x1 && y1 === y2 && x2 === x3 && y3 === y0) || (y0 === y1 && x1 === x2 && y2 === y3 && x3 === x0)
}

function inside(rs: RingSet, box: BBox): boolean {
  const d = rs.xy
  for (let k = 0; k < rs.length; k += 2) {
    const x = d[k]!, y = d[k + 1]!
    if (x < box[0] || x > box[2] || y < box[1] || y > box[3]) return false
  }
  return true
}

/** Separates the rings both sides have identically (same points in the same order) from the others. */
export function splitCommon(a: RingSet, b: RingSet): { onlyA: RingSet; onlyB: RingSet; common: RingSet } {
  if (a.count === 0 || b.count === 0) return { onlyA: a, onlyB: b, common: EMPTY }
  const bag = new KeyedBag<number>()
  for (let i = 0; i < b.count; i++) bag.add(ringKey(b, i), i)
  // most tiles have either nearly everything or nearly nothing in common: size the sets on the first hit
  let onlyA: RingSet | null = null, common: RingSet | null = null
  const usedB = new Uint8Array(b.count)
  let query = 0
  const same = (j: number): boolean => sameRing(a, query, b, j)
  for (let i = 0; i < a.count; i++) {
    query = i
    const hit = bag.take(ringKey(a, i), same)
    if (hit === undefined) {
      if (common) (onlyA ??= new RingSet(64)).addRaw(a.xy, a.starts[i]!, a.size(i))
    } else {
      if (!common) {
        // the first common ring: everything before it was unmatched
        common = new RingSet(a.length)
        onlyA = new RingSet(64)
        for (let k = 0; k < i; k++) onlyA.addRaw(a.xy, a.starts[k]!, a.size(k))
      }
      usedB[hit] = 1
      common.addRaw(a.xy, a.starts[i]!, a.size(i))
    }
  }
  if (!common) return { onlyA: a, onlyB: b, common: EMPTY }
  const onlyB = new RingSet(64)
  for (let i = 0; i < b.count; i++) if (!usedB[i]) onlyB.addRaw(b.xy, b.starts[i]!, b.size(i))
  return { onlyA: onlyA ?? new RingSet(8), onlyB, common }
}

/** The empty set (never written to). */
const EMPTY = new RingSet(8)

function ringKey(rs: RingSet, i: number): number {
  let h = 0x811c9dc5
  for (let k = rs.starts[i]!, e = rs.starts[i + 1]!; k < e; k++) {
    const v = rs.xy[k]!
    h = Math.imul(h ^ (v | 0), 0x01000193)
    h = Math.imul(h ^ Math.floor(v / 4294967296), 0x01000193)
  }
  return h >>> 0
}

function sameRing(a: RingSet, i: number, b: RingSet, j: number): boolean {
  const sa = a.starts[i]!, ea = a.starts[i + 1]!, sb = b.starts[j]!
  if (ea - sa !== b.starts[j + 1]! - sb) return false
  for (let k = 0; k < ea - sa; k++) if (a.xy[sa + k] !== b.xy[sb + k]) return false
  return true
}
