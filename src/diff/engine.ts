import { KeyedBag } from '../layout/keyed-bag.js'
import type { BBox } from '../layout/bbox.js'
import type { BooleanOps } from './clipper.js'
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
  xor: RingSet
  /** The XOR after the tolerance opening (null without tolerance). */
  opened: RingSet | null
  a: RingSet | null
  b: RingSet | null
}

export interface TileOptions {
  sideAreas?: boolean
  /** Opening radius times 2, i.e. the tolerance in dbu expressed in doubled units / 2. */
  tolerance?: number
}

/**
 * XOR of one tile, inside the tile box; optionally the merged sides and the opened XOR too.
 *
 * Rings present identically on both sides (C) are taken out first: A = C + A', B = C + B', so
 * A xor B = (A' xor B') - C. Besides being less work, this keeps Clipper's rounding of crossing points away from
 * identical geometry: with dense non-Manhattan overlaps Clipper2 returns slivers for X xor X (KLayout's t166
 * test data: 161 dbu^2 over 70k triangles); here, where nothing differs, nothing is computed.
 */
export function runTile(ops: BooleanOps, job: TileJob, opts: TileOptions = {}): TileResult {
  const sideAreas = !!opts.sideAreas
  // (A and T) xor (B and T) = (A xor B) and T: cutting the inputs is cheaper than cutting the result
  const A = clipInputs(ops, job.a, job.box), B = clipInputs(ops, job.b, job.box)
  const { onlyA, onlyB, common } = splitCommon(A, B)
  let xor: RingSet
  if (onlyA.count === 0 && onlyB.count === 0) xor = new RingSet(8)
  else {
    xor = ops.xor(onlyA, onlyB)
    if (xor.count && common.count) xor = ops.difference(xor, common)
  }
  return {
    box: job.box,
    xor,
    // opening by tolerance/2 dbu = tolerance in doubled units
    opened: opts.tolerance && xor.count ? ops.open(xor, opts.tolerance) : null,
    a: sideAreas ? ops.union(A) : null,
    b: sideAreas ? ops.union(B) : null,
  }
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
