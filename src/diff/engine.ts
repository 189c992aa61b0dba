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

/** XOR of one tile, cut to the tile box; optionally the merged sides and the opened XOR too. */
export function runTile(ops: BooleanOps, job: TileJob, opts: TileOptions = {}): TileResult {
  const sideAreas = !!opts.sideAreas
  const [l, b, r, t] = job.box
  const clip = (rs: RingSet): RingSet => (inside(rs, job.box) ? rs : ops.clipToBox(rs, l, b, r, t))
  const xor = job.a.count === 0 && job.b.count === 0 ? new RingSet(8) : clip(ops.xor(job.a, job.b))
  return {
    box: job.box,
    xor,
    // opening by tolerance/2 dbu = tolerance in doubled units
    opened: opts.tolerance && xor.count ? ops.open(xor, opts.tolerance) : null,
    a: sideAreas ? clip(ops.union(job.a)) : null,
    b: sideAreas ? clip(ops.union(job.b)) : null,
  }
}

function inside(rs: RingSet, box: BBox): boolean {
  const d = rs.xy
  for (let k = 0; k < rs.length; k += 2) {
    const x = d[k]!, y = d[k + 1]!
    if (x < box[0] || x > box[2] || y < box[1] || y > box[3]) return false
  }
  return true
}
