import { INT32_MAX, INT32_MIN, type OasisInput } from './input.js'
import { gx, gy, read2delta, read3delta, readGdelta } from './repetition.js'

const DIR_X = [1, 0, -1, 0, 1, -1, -1, 1]
const DIR_Y = [0, 1, 0, -1, 1, 1, -1, -1]

/** The box of the last points measured (boundsOf, PointList.bounds): left, bottom, right, top. */
export let bl = 0
export let bb = 0
export let br = 0
export let bt = 0

/** The box of n points (x, y pairs) into bl, bb, br, bt. */
export function boundsOf(xy: Int32Array, n: number): void {
  let l = 0, b = 0, r = 0, t = 0
  for (let i = 0; i < 2 * n; i += 2) {
    const px = xy[i]!, py = xy[i + 1]!
    if (px < l) l = px
    else if (px > r) r = px
    if (py < b) b = py
    else if (py > t) t = py
  }
  bl = l
  bb = b
  br = r
  bt = t
}

/** The position after the last vu4() (module scratch). */
let vend = 0

/** An unsigned integer of at most 4 bytes from b[p]; -1 when longer. Its end in vend. */
function vu4(b: Uint8Array, p: number): number {
  let c = b[p]!
  if (c < 0x80) {
    vend = p + 1
    return c
  }
  let v = c & 0x7f
  c = b[p + 1]!
  if (c < 0x80) {
    vend = p + 2
    return v | (c << 7)
  }
  v |= (c & 0x7f) << 7
  c = b[p + 2]!
  if (c < 0x80) {
    vend = p + 3
    return v | (c << 14)
  }
  v |= (c & 0x7f) << 14
  c = b[p + 3]!
  if (c < 0x80) {
    vend = p + 4
    return v | (c << 21)
  }
  return -1
}

/**
 * A modal point list (polygon-point-list or path-point-list): points relative to the element's position, the
 * implicit first point (0, 0) included, in a reusable Int32Array (no object per point).
 *
 * Types: 0 and 1 Manhattan with alternating horizontal/vertical 1-deltas (0 starts horizontal, 1 vertical;
 * for a polygon the last point is implied, closing with the other direction), 2 Manhattan 2-deltas,
 * 3 octangular 3-deltas, 4 any-angle g-deltas, 5 g-deltas of deltas (each delta adds to the previous one).
 */
export class PointList {
  xy: Int32Array = new Int32Array(256)
  /** Number of points, the first (0, 0) included; -1 while the modal variable is not set. */
  n = -1
  /** Counts every change of the list (reads, resets, setFrom): tells a copy elsewhere whether it is still this list. */
  version = 0

  /** The box of the points, once measured (until the next read). */
  private boxed = false
  private l = 0
  private b = 0
  private r = 0
  private t = 0

  reset(): void {
    this.n = -1
    this.boxed = false
    this.version++
  }

  /** The list becomes the n points of `src` (x, y pairs; a copy). */
  setFrom(src: Int32Array, n: number): void {
    if (2 * n > this.xy.length) this.xy = new Int32Array(Math.max(2 * n, 2 * this.xy.length))
    this.xy.set(src.subarray(0, 2 * n))
    this.n = n
    this.boxed = false
    this.version++
  }

  /** The box of the points into bl, bb, br, bt (measured once per list). */
  bounds(): void {
    if (!this.boxed) {
      boundsOf(this.xy, this.n)
      this.l = bl
      this.b = bb
      this.r = br
      this.t = bt
      this.boxed = true
      return
    }
    bl = this.l
    bb = this.b
    br = this.r
    bt = this.t
  }

  read(inp: OasisInput, forPolygon: boolean, maxPoints: number): void {
    this.boxed = false
    this.version++
    const type = inp.u()
    const count = inp.u()
    if (count === 0) inp.fail('a point list of at least one point (found 0)')
    const total = count + 1 + (forPolygon && type <= 1 ? 1 : 0)
    if (total > maxPoints) inp.fail(`at most ${maxPoints} points per element (found ${total})`)
    // room for what the list says it holds, but not more than a few times what was there: a corrupt count
    // must not allocate gigabytes before the file runs out (the list grows as points come)
    if (2 * total > this.xy.length) this.grow(Math.min(2 * total, 4 * this.xy.length + 1024))
    if ((type === 0 || type === 1 || type === 4) && this.fast(inp, type, count, forPolygon)) return
    let xy: Int32Array = this.xy
    xy[0] = 0
    xy[1] = 0
    let x = 0, y = 0
    let o = 2
    switch (type) {
      case 0:
      case 1: {
        let h = type === 0
        for (let i = 0; i < count; i++) {
          const d = inp.s()
          if (h) x += d
          else y += d
          h = !h
          if (x < INT32_MIN || x > INT32_MAX || y < INT32_MIN || y > INT32_MAX) this.overflow(inp, x, y)
          if (o + 4 > xy.length) xy = this.grow(2 * xy.length)
          xy[o++] = x
          xy[o++] = y
        }
        if (forPolygon) {
          // the implied last point: back to x = 0 (or y = 0) along the direction that comes next (an odd
          // count is illegal; KLayout reads it with a warning, and so does this reader, silently)
          if (h) {
            xy[o++] = 0
            xy[o++] = y
          } else {
            xy[o++] = x
            xy[o++] = 0
          }
        }
        break
      }
      case 2:
      case 3:
      case 4: {
        for (let i = 0; i < count; i++) {
          if (type === 2) read2delta(inp)
          else if (type === 3) read3delta(inp)
          else readGdelta(inp, 1)
          x += gx
          y += gy
          if (x < INT32_MIN || x > INT32_MAX || y < INT32_MIN || y > INT32_MAX) this.overflow(inp, x, y)
          if (o + 4 > xy.length) xy = this.grow(2 * xy.length)
          xy[o++] = x
          xy[o++] = y
        }
        break
      }
      case 5: {
        let dx = 0, dy = 0
        for (let i = 0; i < count; i++) {
          readGdelta(inp, 1)
          dx += gx
          dy += gy
          x += dx
          y += dy
          if (x < INT32_MIN || x > INT32_MAX || y < INT32_MIN || y > INT32_MAX) this.overflow(inp, x, y)
          if (o + 4 > xy.length) xy = this.grow(2 * xy.length)
          xy[o++] = x
          xy[o++] = y
        }
        break
      }
      default:
        inp.fail(`a point list type of 0 to 5 (found ${type})`)
    }
    this.n = o >> 1
  }

  /**
   * The list at inp.pos when it is of type 0, 1 or 4 and `fast` reads it (see there), for the parser's fast
   * element loop: true when read (inp.pos after it), false with inp.pos unchanged otherwise (the general path
   * then reads the element again, this list included, and reports what is wrong with it). The caller made sure
   * that the type and count bytes are there.
   */
  readFast(inp: OasisInput, forPolygon: boolean, maxPoints: number): boolean {
    const b = inp.buf
    const p0 = inp.pos
    const type = b[p0]!
    if (type !== 0 && type !== 1 && type !== 4) return false
    const count = vu4(b, p0 + 1)
    if (count <= 0) return false
    const total = count + 1 + (forPolygon && type <= 1 ? 1 : 0)
    if (total > maxPoints) return false
    if (2 * total > this.xy.length) this.grow(Math.min(2 * total, 4 * this.xy.length + 1024))
    this.boxed = false
    this.version++
    inp.pos = vend
    if (this.fast(inp, type, count, forPolygon)) return true
    inp.pos = p0
    return false
  }

  /**
   * Types 0, 1 and 4 straight from the buffer when the whole list is there and every value has at most 4 bytes
   * (28 bits): no call per value. False (nothing read) otherwise: the general loop reads the list.
   */
  private fast(inp: OasisInput, type: number, count: number, forPolygon: boolean): boolean {
    let p = inp.pos
    // at most 8 bytes per point (a form-2 g-delta of two 4-byte values), the room checked once
    if (inp.end - p < 8 * count || 2 * count + 4 > this.xy.length) return false
    const b = inp.buf
    const xy = this.xy
    xy[0] = 0
    xy[1] = 0
    let x = 0, y = 0
    let o = 2
    if (type === 4) {
      for (let i = 0; i < count; i++) {
        let c = b[p]!
        let u: number
        if (c < 0x80) {
          u = c
          p++
        } else if ((c = b[p + 1]!) < 0x80) {
          u = (b[p]! & 0x7f) | (c << 7)
          p += 2
        } else {
          if ((u = vu4(b, p)) < 0) return false
          p = vend
        }
        if ((u & 1) === 0) {
          // form 1: magnitude and an octangular direction
          const m = u >>> 4, d = (u >>> 1) & 7
          x += DIR_X[d]! * m
          y += DIR_Y[d]! * m
        } else {
          const m = u >>> 2
          x += u & 2 ? -m : m
          if ((u = vu4(b, p)) < 0) return false
          p = vend
          y += u & 1 ? -(u >>> 1) : u >>> 1
        }
        // (out of 32 bits: the general path reports it)
        if ((x | 0) !== x || (y | 0) !== y) return false
        xy[o++] = x
        xy[o++] = y
      }
    } else {
      let h = type === 0
      for (let i = 0; i < count; i++) {
        const u = vu4(b, p)
        if (u < 0) return false
        p = vend
        const d = u & 1 ? -(u >>> 1) : u >>> 1
        if (h) x += d
        else y += d
        h = !h
        if ((x | 0) !== x || (y | 0) !== y) return false
        xy[o++] = x
        xy[o++] = y
      }
      if (forPolygon) {
        if (h) {
          xy[o++] = 0
          xy[o++] = y
        } else {
          xy[o++] = x
          xy[o++] = 0
        }
      }
    }
    inp.pos = p
    this.n = o >> 1
    return true
  }

  /** A bigger array with the points so far. */
  private grow(cap: number): Int32Array {
    const g = new Int32Array(Math.max(cap, 16))
    g.set(this.xy)
    this.xy = g
    return g
  }

  private overflow(inp: OasisInput, x: number, y: number): never {
    inp.fail(`point list coordinates within 32 bits (found ${x}, ${y})`)
  }
}
