/*
 * Polygon rings in *doubled* database units (Float64Array, exact integers): the XOR engine works on coordinates
 * scaled by 2 because Clipper2 drops output triangles with two vertices less than 2 units apart, whatever their
 * area, and because crossings of 45-degree edges then fall on the grid (see docs/xor.md).
 */

/** A growable list of rings: ring i spans xy[starts[i] .. starts[i+1]). */
export class RingSet {
  xy: Float64Array
  starts: Uint32Array
  count = 0
  length = 0

  constructor(capacity = 64) {
    this.xy = new Float64Array(Math.max(8, capacity))
    this.starts = new Uint32Array(Math.max(4, (capacity >> 3) + 2))
  }

  private grow(points: number): void {
    const need = this.length + 2 * points
    if (need > this.xy.length) {
      const n = new Float64Array(Math.max(need, this.xy.length * 2))
      n.set(this.xy.subarray(0, this.length))
      this.xy = n
    }
    if (this.count + 2 > this.starts.length) {
      const s = new Uint32Array(this.starts.length * 2)
      s.set(this.starts.subarray(0, this.count + 1))
      this.starts = s
    }
  }

  /** A set over existing arrays (starts[0..count], xy[0..starts[count]]). */
  static wrap(xy: Float64Array, starts: Uint32Array, count: number): RingSet {
    const rs = new RingSet(0)
    rs.xy = xy.length ? xy : new Float64Array(8)
    rs.starts = starts.length >= 2 ? starts : new Uint32Array(4)
    rs.count = count
    rs.length = count ? starts[count]! : 0
    return rs
  }

  /** Points of ring i. */
  size(i: number): number {
    return (this.starts[i + 1]! - this.starts[i]!) >> 1
  }

  /** Adds a box given in database units (l < r, b < t), counter-clockwise. */
  addBox(l: number, b: number, r: number, t: number): void {
    this.grow(4)
    const d = this.xy
    let k = this.length
    l *= 2; b *= 2; r *= 2; t *= 2
    d[k++] = l; d[k++] = b; d[k++] = r; d[k++] = b; d[k++] = r; d[k++] = t; d[k++] = l; d[k++] = t
    this.length = k
    this.starts[++this.count] = k
  }

  /**
   * Adds a ring of n points given in database units, counter-clockwise whatever its input orientation (GDS
   * polygons have none; with the NonZero rule a clockwise ring would cancel a counter-clockwise one).
   */
  addPolygon(xy: ArrayLike<number>, n: number): void {
    if (n < 3) return
    this.grow(n)
    const d = this.xy
    let k = this.length
    const reverse = signedArea2(xy, 0, n) < 0
    for (let i = 0; i < n; i++) {
      const j = reverse ? n - 1 - i : i
      d[k++] = 2 * xy[2 * j]!
      d[k++] = 2 * xy[2 * j + 1]!
    }
    this.length = k
    this.starts[++this.count] = k
  }

  /** Adds a ring already in doubled units, orientation kept (holes stay holes). */
  addRaw(xy: ArrayLike<number>, start: number, n: number): void {
    this.grow(n)
    const d = this.xy
    let k = this.length
    for (let i = 0; i < 2 * n; i++) d[k++] = xy[start + i]!
    this.length = k
    this.starts[++this.count] = k
  }

  /** Appends every ring of another set. */
  addAll(o: RingSet): void {
    for (let i = 0; i < o.count; i++) this.addRaw(o.xy, o.starts[i]!, o.size(i))
  }

  /** Bounding box of ring i in doubled units. */
  ringBox(i: number): [number, number, number, number] {
    let l = Infinity, b = Infinity, r = -Infinity, t = -Infinity
    for (let k = this.starts[i]!, e = this.starts[i + 1]!; k < e; k += 2) {
      const x = this.xy[k]!, y = this.xy[k + 1]!
      if (x < l) l = x
      if (x > r) r = x
      if (y < b) b = y
      if (y > t) t = y
    }
    return [l, b, r, t]
  }

  /** Twice the signed area of ring i (doubled units), exact. */
  ringArea2(i: number): number | bigint {
    return signedArea2(this.xy, this.starts[i]!, this.size(i))
  }
}

/**
 * Twice the signed area of a ring (shoelace), positive when counter-clockwise. Exact: a number when every
 * partial sum stays below 2^53 (coordinates are taken relative to the first vertex), a BigInt otherwise.
 */
export function signedArea2(xy: ArrayLike<number>, start: number, n: number): number | bigint {
  if (n < 3) return 0
  const x0 = xy[start]!, y0 = xy[start + 1]!
  let sum = 0
  let abs = 0
  let px = 0, py = 0
  for (let i = 1; i < n; i++) {
    const x = xy[start + 2 * i]! - x0, y = xy[start + 2 * i + 1]! - y0
    const term = px * y - x * py
    sum += term
    abs += Math.abs(px * y) + Math.abs(x * py)
    px = x
    py = y
  }
  if (abs <= Number.MAX_SAFE_INTEGER) return sum
  let big = 0n
  let bx = 0n, by = 0n
  for (let i = 1; i < n; i++) {
    const x = BigInt(xy[start + 2 * i]! - x0), y = BigInt(xy[start + 2 * i + 1]! - y0)
    big += bx * y - x * by
    bx = x
    by = y
  }
  return big
}

/** Sums exact areas: numbers while they are safe, spilling into a BigInt. */
export class AreaSum {
  private small = 0
  private big = 0n

  add(v: number | bigint): void {
    if (typeof v === 'bigint') {
      this.big += v
      return
    }
    const s = this.small + v
    if (Math.abs(s) > 2 ** 52) {
      this.big += BigInt(this.small) + BigInt(v)
      this.small = 0
    } else {
      this.small = s
    }
  }

  addSum(o: AreaSum): void {
    this.big += o.big
    this.add(o.small)
  }

  get value(): bigint {
    return this.big + BigInt(this.small)
  }

  get isZero(): boolean {
    return this.small === 0 && this.big === 0n
  }
}
