import type { MainModule, Paths64 } from 'clipper2-wasm/dist/clipper2z.js'
import { RingSet } from './rings.js'

/*
 * The polygon booleans, done by Clipper2 (clipper2-wasm): exact 64-bit integer arithmetic. Rings go in and come
 * out as RingSets in doubled units. Every embind object is deleted as soon as it is read (the WASM heap is not
 * garbage collected), and data read through view() is copied at once (the heap may move on the next call).
 */

let loading: Promise<BooleanOps> | null = null

/** The boolean operations, loaded once (instantiating the WASM module takes a few tens of ms). */
export function booleanOps(): Promise<BooleanOps> {
  // imported here, not at the top: `import 'laytest'` should not pay for the WASM module until a boolean runs
  loading ??= import('clipper2-wasm/dist/es/clipper2z.js').then((m) => m.default()).then((m) => new BooleanOps(m))
  return loading
}

const TWO32 = 4294967296

export class BooleanOps {
  private readonly C: MainModule
  private scratch = new BigInt64Array(3 * 1024)
  private scratch32 = new Int32Array(this.scratch.buffer)

  constructor(module: MainModule) {
    this.C = module
  }

  /** Paths64 holding the rings (caller deletes). */
  private toPaths(rs: RingSet): Paths64 {
    const C = this.C
    const paths = new C.Paths64()
    const p = new C.Path64()
    const xy = rs.xy
    for (let i = 0; i < rs.count; i++) {
      const a = rs.starts[i]!
      const n = (rs.starts[i + 1]! - a) >> 1
      if (3 * n > this.scratch.length) {
        this.scratch = new BigInt64Array(6 * n)
        this.scratch32 = new Int32Array(this.scratch.buffer)
      }
      const w = this.scratch32
      // int64 (x, y, z) triples written as little-endian 32-bit halves: no BigInt per coordinate
      for (let k = 0; k < n; k++) {
        const x = xy[a + 2 * k]!, y = xy[a + 2 * k + 1]!
        const o = 6 * k
        w[o] = x
        w[o + 1] = Math.floor(x / TWO32)
        w[o + 2] = y
        w[o + 3] = Math.floor(y / TWO32)
        w[o + 4] = 0
        w[o + 5] = 0
      }
      // one Path64 reused: push_back copies it into the Paths64 (C++ value semantics), which saves two
      // embind calls per ring
      p.assign(this.scratch.subarray(0, 3 * n))
      paths.push_back(p)
    }
    p.delete()
    return paths
  }

  /** Reads and deletes a Paths64. */
  private fromPaths(paths: Paths64, out: RingSet = new RingSet()): RingSet {
    const n = paths.size()
    let buf = new Float64Array(64)
    for (let i = 0; i < n; i++) {
      const p = paths.get(i)
      const v = p.view()
      const m = v.length / 3
      const w = new Int32Array(v.buffer, v.byteOffset, v.length * 2)
      if (buf.length < 2 * m) buf = new Float64Array(4 * m)
      for (let k = 0; k < m; k++) {
        buf[2 * k] = w[6 * k + 1]! * TWO32 + (w[6 * k]! >>> 0)
        buf[2 * k + 1] = w[6 * k + 3]! * TWO32 + (w[6 * k + 2]! >>> 0)
      }
      p.delete()
      if (m >= 3) out.addRaw(buf, 0, m)
    }
    paths.delete()
    return out
  }

  /** A xor B of the merged rings of each side (NonZero: every input ring counter-clockwise). */
  xor(a: RingSet, b: RingSet, out?: RingSet): RingSet {
    return this.op(this.C.ClipType.Xor, a, b, out)
  }

  /** A minus B. */
  difference(a: RingSet, b: RingSet, out?: RingSet): RingSet {
    return this.op(this.C.ClipType.Difference, a, b, out)
  }

  /** A and B. */
  intersect(a: RingSet, b: RingSet, out?: RingSet): RingSet {
    return this.op(this.C.ClipType.Intersection, a, b, out)
  }

  /** The merged rings of one side. */
  union(a: RingSet, out?: RingSet): RingSet {
    const pa = this.toPaths(a)
    const res = this.C.UnionSelf64(pa, this.C.FillRule.NonZero)
    pa.delete()
    return this.fromPaths(res, out)
  }

  private op(type: Parameters<MainModule['BooleanOp64']>[0], a: RingSet, b: RingSet, out?: RingSet): RingSet {
    const pa = this.toPaths(a)
    const pb = this.toPaths(b)
    const res = this.C.BooleanOp64(type, this.C.FillRule.NonZero, pa, pb)
    pa.delete()
    pb.delete()
    return this.fromPaths(res, out)
  }

  /**
   * Rings cut to a box (doubled units), as a boolean intersection. (Clipper2's RectClip is not used: on rings
   * with collinear vertices it moved a cut point by one unit here, which would change areas.)
   */
  clipToBox(rs: RingSet, l: number, b: number, r: number, t: number, out?: RingSet): RingSet {
    const box = new RingSet(8)
    box.addRaw([l, b, r, b, r, t, l, t], 0, 4)
    return this.intersect(rs, box, out)
  }

  /**
   * Morphological opening by `d` (doubled units): shrink by d, then grow by d, miter joins. What is narrower
   * than 2d disappears; wider parts come back with their corners.
   */
  open(rs: RingSet, d: number): RingSet {
    const C = this.C
    const pa = this.toPaths(rs)
    const shrunk = C.InflatePaths64(pa, -d, C.JoinType.Miter, C.EndType.Polygon, 2, 0)
    pa.delete()
    const grown = C.InflatePaths64(shrunk, d, C.JoinType.Miter, C.EndType.Polygon, 2, 0)
    shrunk.delete()
    // growing can overshoot the original at acute corners: cut back to the original
    const res = this.fromPaths(grown)
    return this.intersect(res, rs)
  }
}
