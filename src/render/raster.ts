import type { View } from './view.js'

/*
 * A deterministic rasteriser (no anti-aliasing, no floating-point blending): one coverage mask per layer.
 * A pixel is covered when its centre is inside a shape; and every shape covers at least one pixel in each
 * direction, so a shape thinner than a pixel is drawn as a one-pixel line or dot and a tiny change never
 * disappears from the picture (KLayout does the same). Polygons also get their outline drawn one pixel inside,
 * which keeps thin diagonal slivers visible.
 */
export class Mask {
  readonly data: Uint8Array
  constructor(
    readonly width: number,
    readonly height: number,
  ) {
    this.data = new Uint8Array(width * height)
  }

  /** Marks pixel (i, j) if it is inside the image. */
  set(i: number, j: number): void {
    if (i >= 0 && j >= 0 && i < this.width && j < this.height) this.data[j * this.width + i] = 1
  }

  /** Fills columns i0..i1 and rows j0..j1 (inclusive), clipped. */
  fillPixels(i0: number, j0: number, i1: number, j1: number): void {
    if (i0 < 0) i0 = 0
    if (j0 < 0) j0 = 0
    if (i1 >= this.width) i1 = this.width - 1
    if (j1 >= this.height) j1 = this.height - 1
    const d = this.data, w = this.width
    if (i1 - i0 < 8) {
      // small shapes (most of a big layout at fit zoom): plain stores beat fill()'s call overhead
      for (let j = j0; j <= j1; j++) for (let o = j * w + i0, e = j * w + i1; o <= e; o++) d[o] = 1
      return
    }
    for (let j = j0; j <= j1; j++) d.fill(1, j * w + i0, j * w + i1 + 1)
  }
}

/** Pixel columns (or rows) whose centres lie in [a, b); at least the one at the middle when none do. */
export function span(a: number, b: number): [number, number] {
  let i0 = Math.ceil(a - 0.5), i1 = Math.ceil(b - 0.5) - 1
  if (i1 < i0) i0 = i1 = Math.floor((a + b) / 2)
  return [i0, i1]
}

/** A box in dbu. */
export function rasterBox(m: Mask, v: View, l: number, b: number, r: number, t: number): void {
  const s = v.scale
  const [i0, i1] = span((l - v.l) * s, (r - v.l) * s)
  const [j0, j1] = span((v.t - t) * s, (v.t - b) * s)
  if (i1 < 0 || j1 < 0 || i0 >= m.width || j0 >= m.height) return
  m.fillPixels(i0, j0, i1, j1)
}

let xs = new Float64Array(64)
let dirs = new Int8Array(64)
let ring = new Float64Array(64)

/** A polygon ring of n points in dbu (flat x, y list), nonzero fill. */
export function rasterPolygon(m: Mask, v: View, xy: ArrayLike<number>, n: number): void {
  if (n < 3) return
  const s = v.scale
  // pixel coordinates, and the ring's box (in a buffer kept between calls: allocating one per polygon cost more
  // than filling most polygons)
  if (ring.length < 2 * n) ring = new Float64Array(4 * n)
  const p = ring
  let minX = Infinity, maxX = -Infinity, minY = Infinity, maxY = -Infinity
  for (let k = 0; k < n; k++) {
    const x = (xy[2 * k]! - v.l) * s, y = (v.t - xy[2 * k + 1]!) * s
    p[2 * k] = x
    p[2 * k + 1] = y
    if (x < minX) minX = x
    if (x > maxX) maxX = x
    if (y < minY) minY = y
    if (y > maxY) maxY = y
  }
  if (maxX < 0 || maxY < 0 || minX > m.width || minY > m.height) return
  if (maxX - minX < 1 || maxY - minY < 1) {
    // thinner than a pixel: its box, at least one pixel wide
    const [i0, i1] = span(minX, maxX), [j0, j1] = span(minY, maxY)
    m.fillPixels(i0, j0, i1, j1)
    return
  }
  // scanline at pixel centres
  const j0 = Math.max(0, Math.ceil(minY - 0.5)), j1 = Math.min(m.height - 1, Math.ceil(maxY - 0.5) - 1)
  if (xs.length < n) {
    xs = new Float64Array(2 * n)
    dirs = new Int8Array(2 * n)
  }
  for (let j = j0; j <= j1; j++) {
    const yc = j + 0.5
    let c = 0
    for (let k = 0; k < n; k++) {
      const ax = p[2 * k]!, ay = p[2 * k + 1]!
      const q = k + 1 === n ? 0 : k + 1
      const bx = p[2 * q]!, by = p[2 * q + 1]!
      if ((ay <= yc && by > yc) || (by <= yc && ay > yc)) {
        xs[c] = ax + ((yc - ay) * (bx - ax)) / (by - ay)
        dirs[c++] = by > ay ? 1 : -1
      }
    }
    // insertion sort (few crossings per row), keeping directions with their x
    for (let a = 1; a < c; a++) {
      const x = xs[a]!, d = dirs[a]!
      let k = a - 1
      while (k >= 0 && xs[k]! > x) {
        xs[k + 1] = xs[k]!
        dirs[k + 1] = dirs[k]!
        k--
      }
      xs[k + 1] = x
      dirs[k + 1] = d
    }
    let wind = 0
    for (let a = 0; a < c - 1; a++) {
      wind += dirs[a]!
      if (wind === 0) continue
      const i0 = Math.max(0, Math.ceil(xs[a]! - 0.5)), i1 = Math.min(m.width - 1, Math.ceil(xs[a + 1]! - 0.5) - 1)
      if (i1 >= i0) m.data.fill(1, j * m.width + i0, j * m.width + i1 + 1)
    }
  }
  outline(m, p, n)
}

/** The ring's edges as one-pixel lines, a hair inside the ring so edges on pixel borders land inside. */
function outline(m: Mask, p: Float64Array, n: number): void {
  let area = 0
  for (let k = 0; k < n; k++) {
    const q = (k + 1) % n
    area += p[2 * k]! * p[2 * q + 1]! - p[2 * q]! * p[2 * k + 1]!
  }
  // interior on the left of each edge when area > 0: the left normal of (dx, dy) is (-dy, dx)
  const inward = area > 0 ? -1 : 1
  for (let k = 0; k < n; k++) {
    const q = (k + 1) % n
    let ax = p[2 * k]!, ay = p[2 * k + 1]!, bx = p[2 * q]!, by = p[2 * q + 1]!
    const dx = bx - ax, dy = by - ay
    const len = Math.hypot(dx, dy)
    if (len === 0) continue
    const ox = (inward * dy / len) * 1e-3, oy = (-inward * dx / len) * 1e-3
    ax += ox; ay += oy; bx += ox; by += oy
    const steps = Math.ceil(Math.max(Math.abs(dx), Math.abs(dy)))
    for (let t = 0; t <= steps; t++) {
      const f = steps ? t / steps : 0
      m.set(Math.floor(ax + (bx - ax) * f), Math.floor(ay + (by - ay) * f))
    }
  }
}
