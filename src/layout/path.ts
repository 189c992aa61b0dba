import { IntBuf } from './intbuf.js'
import { compressRing } from './polygon.js'
import { roundCoord } from './transform.js'
import { pathExtensions, type LayerShapes } from './shapes.js'

/**
 * Path to polygon conversion, the rules KLayout applies (so flat bounding boxes and XOR areas agree with it):
 * - repeated centre-line points and in-line points are dropped first;
 * - both sides are offset by width/2; for axis-parallel and 45-degree segments the offset is rounded so that the
 *   outline stays on the grid;
 * - a corner is the intersection of the two offset edges (a miter) unless that point lies further than width/2
 *   beyond a segment's end: then the corner is cut off with two points at distance width/2;
 * - flush (PATHTYPE 0), square (2: extension width/2), custom (4: BGNEXTN/ENDEXTN) ends;
 * - round ends (PATHTYPE 1) are approximated with ROUND_END_POINTS points per half circle, each circle point
 *   pushed out by 1/cos(pi/(2n)) so the polygon circumscribes the circle (KLayout's choice: 16 per half circle).
 * Every output vertex is rounded half away from zero to the integer grid.
 */
export const ROUND_END_POINTS = 16

const EPS = 1e-10

/** Appends the hull of one path to `out` (x, y pairs); returns the number of points appended. */
export function pathHull(
  pts: ArrayLike<number>, start: number, n: number, width: number, pathtype: number, bgn: number, end: number,
  out: IntBuf,
): number {
  const w = Math.abs(width)
  const [bExt, eExt] = pathExtensions(w, pathtype, bgn, end)
  const round = pathtype === 1
  const real = realPoints(pts, start, n)
  const before = out.length
  shifted(real, bExt, eExt, w, true, round ? ROUND_END_POINTS : 2, out)
  const rev: number[] = []
  for (let i = real.length - 2; i >= 0; i -= 2) rev.push(real[i]!, real[i + 1]!)
  shifted(rev, eExt, bExt, w, false, round ? ROUND_END_POINTS : 2, out)
  return (out.length - before) >> 1
}

function realPoints(pts: ArrayLike<number>, start: number, n: number): number[] {
  const res: number[] = []
  let i = 0
  const X = (k: number): number => pts[start + 2 * k]!
  const Y = (k: number): number => pts[start + 2 * k + 1]!
  while (i < n) {
    res.push(X(i), Y(i))
    const lx = X(i)
    const ly = Y(i)
    i++
    while (i < n && X(i) === lx && Y(i) === ly) i++
    if (i < n) {
      // skip points that lie on the segment from the last kept point to a later point
      let pn = i
      let j = i + 1
      for (;;) {
        while (j < n && X(j) === X(pn) && Y(j) === Y(pn)) j++
        if (j >= n || !onSegment(lx, ly, X(j), Y(j), X(pn), Y(pn))) break
        pn = j
        j++
      }
      i = pn
    }
  }
  return res
}

/** (px, py) lies on the closed segment a..b. */
function onSegment(ax: number, ay: number, bx: number, by: number, px: number, py: number): boolean {
  if ((bx - ax) * (py - ay) - (by - ay) * (px - ax) !== 0) return false
  return px >= Math.min(ax, bx) && px <= Math.max(ax, bx) && py >= Math.min(ay, by) && py <= Math.max(ay, by)
}

/** Offset of a unit vector by d, with grid-friendly rounding for axis-parallel and 45-degree directions. */
function gridOffset(ux: number, uy: number, d: number): [number, number] {
  if (Math.abs(ux) < EPS || Math.abs(uy) < EPS) {
    const r = roundCoord(d)
    return [ux * r, uy * r]
  }
  if (Math.abs(Math.abs(ux) - Math.abs(uy)) < EPS) {
    const r = Math.SQRT2 * roundCoord(d * Math.SQRT1_2)
    return [ux * r, uy * r]
  }
  return [ux * d, uy * d]
}

function shifted(p: number[], startExt: number, endExt: number, width: number, forward: boolean, ncircle: number, out: IntBuf): void {
  const np = p.length >> 1
  if (np === 0) return
  const disp = width * 0.5
  const emit = (x: number, y: number): void => {
    out.push(roundCoord(x))
    out.push(roundCoord(y))
  }
  // a quarter circle of ncircle/2 points: from the end tip to the normal side (start) or back (end)
  const roundEnd = (cx: number, cy: number, ex: number, ey: number, nx: number, ny: number, ext: number, atStart: boolean): void => {
    const a0 = Math.PI / (2 * ncircle)
    const cd = Math.cos(a0)
    const sign = atStart ? -1 : 1
    for (let i = 0; i < ncircle / 2; i++) {
      const ang = atStart ? a0 * (2 * i + 1) : a0 * (ncircle - 1 - 2 * i)
      const c = Math.cos(ang) / cd
      const s = Math.sin(ang) / cd
      emit(cx + ex * sign * ext * c + nx * s, cy + ey * sign * ext * c + ny * s)
    }
  }
  if (np === 1) {
    const ex = forward ? 1 : -1
    const ey = 0
    const nx = -ey
    const ny = ex
    const x = p[0]!
    const y = p[1]!
    if (ncircle > 2) {
      roundEnd(x, y, ex, ey, nx * disp, ny * disp, startExt, true)
      roundEnd(x, y, ex, ey, nx * disp, ny * disp, endExt, false)
    } else {
      emit(x - ex * startExt + nx * disp, y - ey * startExt + ny * disp)
      emit(x + ex * endExt + nx * disp, y + ey * endExt + ny * disp)
    }
    return
  }
  let pi = 0 // index of the current segment's start point
  for (let k = 1; k < np; k++) {
    const x0 = p[2 * pi]!, y0 = p[2 * pi + 1]!
    const x1 = p[2 * k]!, y1 = p[2 * k + 1]!
    const len = Math.hypot(x1 - x0, y1 - y0)
    const ex = (x1 - x0) / len
    const ey = (y1 - y0) / len
    const [nx, ny] = gridOffset(-ey, ex, disp)
    if (k === 1) {
      if (ncircle > 2) {
        roundEnd(x0, y0, ex, ey, nx, ny, startExt, true)
      } else {
        const [sx, sy] = gridOffset(ex, ey, -startExt)
        emit(x0 + sx + nx, y0 + sy + ny)
      }
    }
    if (k === np - 1) {
      if (ncircle > 2) {
        roundEnd(x1, y1, ex, ey, nx, ny, endExt, false)
      } else {
        const [sx, sy] = gridOffset(ex, ey, endExt)
        emit(x1 + sx + nx, y1 + sy + ny)
      }
    } else {
      const x2 = p[2 * k + 2]!, y2 = p[2 * k + 3]!
      const len2 = Math.hypot(x2 - x1, y2 - y1)
      const fx = (x2 - x1) / len2
      const fy = (y2 - y1) / len2
      const [mx, my] = gridOffset(-fy, fx, disp)
      const l1max = Math.hypot(nx, ny)
      const l2max = Math.hypot(mx, my)
      const l1min = -len - l1max
      const l2min = -len2 - l2max
      const dv = ex * fy - ey * fx
      if (Math.abs(dv) > EPS) {
        const l1 = ((mx - nx) * fy - (my - ny) * fx) / dv
        const l2 = ((nx - mx) * ey - (ny - my) * ex) / dv
        if (l1 < l1min - EPS || l2 < l2min - EPS) {
          // segments too short to intersect: a small loop confined to the path's width
          emit(x1 + nx, y1 + ny)
          emit(x1, y1)
          emit(x1 + mx, y1 + my)
        } else if (l1 < l1max + EPS && l2 < l2max + EPS) {
          emit(x1 + nx + ex * l1, y1 + ny + ey * l1)
        } else {
          const a = Math.min(l1max, l1)
          const b = Math.min(l2max, l2)
          emit(x1 + nx + ex * a, y1 + ny + ey * a)
          emit(x1 + mx - fx * b, y1 + my - fy * b)
        }
        pi = k
      } else if (ex * fx + ey * fy < -EPS) {
        // the path reverses: square off the turning point
        const [ax, ay] = gridOffset(ex, ey, disp)
        const [bx, by] = gridOffset(fx, fy, disp)
        emit(x1 + nx + ax, y1 + ny + ay)
        emit(x1 + mx - bx, y1 + my - by)
        pi = k
      }
      // collinear continuation: keep the segment start (cannot happen after realPoints)
    }
  }
}

/**
 * The hulls of all paths of a layer, in local coordinates, cached on the LayerShapes. Each hull is compressed
 * (repeated and in-line points dropped) as a polygon is, before any transformation: KLayout makes a path's polygon
 * that way, and so does an OASIS file written of it (a thin round-ended path's end points round onto one line);
 * placed at an angle, an uncompressed hull's extra points would round to other positions than the polygon's.
 */
export function layerPathHulls(ls: LayerShapes): { coords: IntBuf; starts: IntBuf } {
  if (ls.pathHullCache) return ls.pathHullCache
  const coords = new IntBuf(Math.max(16, ls.pathCoords.length * 2))
  const starts = new IntBuf(ls.pathCount + 1)
  starts.push(0)
  const pc = ls.pathCoords.data
  const ps = ls.pathStarts.data
  const pp = ls.pathParams.data
  const hull = new IntBuf(64)
  for (let i = 0; i < ls.pathCount; i++) {
    const s = ps[i]!
    const n = (ps[i + 1]! - s) >> 1
    hull.length = 0
    const m = pathHull(pc, s, n, pp[4 * i]!, pp[4 * i + 1]!, pp[4 * i + 2]!, pp[4 * i + 3]!, hull)
    const at = coords.length
    // (a hull without area, of a zero-width path, is kept as it is)
    if (compressRing(hull.data, m, coords) < 3) {
      coords.length = at
      coords.append(hull.data, 0, 2 * m)
    }
    starts.push(coords.length)
  }
  ls.pathHullCache = { coords, starts }
  return ls.pathHullCache
}
