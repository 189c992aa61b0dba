import { ExactSum } from './exact-sum.js'
import type { RingSet } from './rings.js'

/*
 * Exact areas of boolean combinations of polygon sets: a sweep over x (Bentley–Ottmann) in exact arithmetic.
 *
 * Up to four sets of rings (integer coordinates, any orientation, NonZero fill each) are combined by a status
 * table: for every point, the mask of sets whose winding number is non-zero selects up to three status bits
 * (for the XOR: "in A' xor B', not in C, inside the box T"). The area of each status bit is integrated exactly:
 *
 * - Between two consecutive events (vertex x or crossing x) the non-vertical edges crossing the sweep line are
 *   totally ordered; vertical edges have no width and are left out. An edge e contributes
 *   (status below e − status above e) · ∫ y_e dx over each piece of its x-range where that coefficient is
 *   constant; summed over the edges of a slab this is the area of the status region in the slab.
 * - A piece is cut only where the edge's coefficient changes, and its integral is G_e(x_end) − G_e(x_start) with
 *   G_e(x) = ∫_{x1}^{x} y_e: at integer x a fraction with denominator 2·dx_e (accumulated per edge), at a
 *   crossing x = p/q one with denominator 2·dx_e·q² (an ExactSum term).
 * - Collinear overlapping edges form one group: the status changes once across the group, so there are never
 *   zero-height regions with a status. Hence a status region is non-empty exactly when some edge has a non-zero
 *   coefficient over an x-interval of positive length — the verdict needs no arithmetic on areas at all.
 * - Every predicate is decided exactly: doubles where the products provably stay below 2^53 or a floating
 *   filter with an error bound decides, BigInt otherwise. Nothing is ever rounded.
 *
 * Coordinates are translated to the clip box's lower-left corner first (exactly: integers), which keeps products
 * small. The result is independent of that choice, of the order of the sets' rings and of their orientation.
 */

const SAFE = 9007199254740992 // 2^53
const FILTER = 2 ** -46

/** Set numbers for the XOR of a tile: A' and B' (rings only on one side), C (rings on both), T (the box). */
export const SET_A = 0
export const SET_B = 1
export const SET_C = 2
export const SET_T = 3

class Edge {
  id = 0
  x1 = 0
  y1 = 0
  x2 = 0
  y2 = 0
  dx = 0
  dy = 0
  set = 0
  /** +1: the ring runs left to right here (crossing upwards enters it), -1: right to left. */
  w = 0
  /** Winding numbers of the four sets just below the edge. */
  w0 = 0
  w1 = 0
  w2 = 0
  w3 = 0
  /** Status bits below / above the edge as they enter its coefficient (0 / 0 for a non-first group member). */
  sb = 0
  sa = 0
  /** Collinear with the edge below it in the active list (same group). */
  join = false
  active = false
  /** Per status bit: numerators over 2·dx of G terms at integer x. */
  acc0 = 0
  acc1 = 0
  acc2 = 0
  big: bigint[] | null = null
  /** As the lower boundary of a region of status bit 0: the trapezoid being built (slot) and its upper edge. */
  tSlot = -1
  tTop: Edge | null = null
  /** Event stamp of the last trapezoid check. */
  seen = -1

  init(id: number, x1: number, y1: number, x2: number, y2: number, set: number, w: number): this {
    this.id = id
    this.x1 = x1
    this.y1 = y1
    this.x2 = x2
    this.y2 = y2
    this.dx = x2 - x1
    this.dy = y2 - y1
    this.set = set
    this.w = w
    this.w0 = this.w1 = this.w2 = this.w3 = this.sb = this.sa = 0
    this.join = this.active = false
    this.acc0 = this.acc1 = this.acc2 = 0
    this.big = null
    this.tSlot = this.seen = -1
    this.tTop = null
    return this
  }
}

/**
 * Edges are reused from sweep to sweep (one thread runs one sweep at a time): a tile makes thousands of them, and
 * allocating them anew was a good part of the garbage collector's work.
 */
const pool: Edge[] = []

function edgeAt(i: number): Edge {
  return pool[i] ?? (pool[i] = new Edge())
}

/** A rational x = p/q (q > 1, not an integer); integers are plain numbers. */
class Frac {
  readonly v: number
  constructor(
    readonly p: bigint,
    readonly q: bigint,
  ) {
    this.v = Number(p) / Number(q)
  }
}
type X = number | Frac

function xValue(x: X): number {
  return typeof x === 'number' ? x : x.v
}

/** sign(a − b) for two x positions, exact. */
function cmpX(a: X, b: X): number {
  if (typeof a === 'number' && typeof b === 'number') return a < b ? -1 : a > b ? 1 : 0
  const av = xValue(a), bv = xValue(b)
  const d = av - bv
  if (Math.abs(d) > FILTER * (Math.abs(av) + Math.abs(bv) + 1)) return d < 0 ? -1 : 1
  const [ap, aq] = typeof a === 'number' ? [BigInt(a), 1n] : [a.p, a.q]
  const [bp, bq] = typeof b === 'number' ? [BigInt(b), 1n] : [b.p, b.q]
  const s = ap * bq - bp * aq
  return s < 0n ? -1 : s > 0n ? 1 : 0
}

function bsign(v: bigint): number {
  return v < 0n ? -1 : v > 0n ? 1 : 0
}

/** sign(y_e(X) − Y) for integer X and Y. */
function cmpEdgeY(e: Edge, X: number, Y: number): number {
  const a = (e.y1 - Y) * e.dx, b = (X - e.x1) * e.dy
  if (a > -SAFE && a < SAFE && b > -SAFE && b < SAFE) {
    const s = a + b
    return s > 0 ? 1 : s < 0 ? -1 : 0
  }
  return bsign(BigInt(e.y1 - Y) * BigInt(e.dx) + BigInt(X - e.x1) * BigInt(e.dy))
}

/** sign(y_e(X) − y_f(X)). */
function cmpEdges(e: Edge, f: Edge, X: X): number {
  if (typeof X === 'number') {
    // [(y1e − y1f)·dxe·dxf + (X − x1e)·dye·dxf − (X − x1f)·dyf·dxe] / (dxe·dxf)
    const t1 = (e.y1 - f.y1) * e.dx * f.dx, t2 = (X - e.x1) * e.dy * f.dx, t3 = (X - f.x1) * f.dy * e.dx
    const lim = SAFE / 4
    if (t1 > -lim && t1 < lim && t2 > -lim && t2 < lim && t3 > -lim && t3 < lim) {
      const s = t1 + t2 - t3
      return s > 0 ? 1 : s < 0 ? -1 : 0
    }
    const bx = BigInt(X)
    return bsign(BigInt(e.y1 - f.y1) * BigInt(e.dx) * BigInt(f.dx) + (bx - BigInt(e.x1)) * BigInt(e.dy) * BigInt(f.dx) - (bx - BigInt(f.x1)) * BigInt(f.dy) * BigInt(e.dx))
  }
  // floating filter at v ≈ X
  const v = X.v
  const se = e.dy / e.dx, sf = f.dy / f.dx
  const ae = v - e.x1, af = v - f.x1
  const d = (e.y1 - f.y1) + ae * se - af * sf
  const err = FILTER * (Math.abs(se) * (Math.abs(v) + Math.abs(ae)) + Math.abs(sf) * (Math.abs(v) + Math.abs(af)) + Math.abs(e.y1 - f.y1) + 1)
  if (d > err) return 1
  if (d < -err) return -1
  const { p, q } = X
  return bsign(
    BigInt(e.y1 - f.y1) * q * BigInt(e.dx) * BigInt(f.dx) + (p - BigInt(e.x1) * q) * BigInt(e.dy) * BigInt(f.dx) - (p - BigInt(f.x1) * q) * BigInt(f.dy) * BigInt(e.dx),
  )
}

/** sign(slope_e − slope_f). */
function cmpSlope(e: Edge, f: Edge): number {
  const a = e.dy * f.dx, b = f.dy * e.dx
  if (a > -SAFE && a < SAFE && b > -SAFE && b < SAFE) return a < b ? -1 : a > b ? 1 : 0
  return bsign(BigInt(e.dy) * BigInt(f.dx) - BigInt(f.dy) * BigInt(e.dx))
}

/** Order of edges through one point just right of it: by slope, collinear ones by id. */
function afterPoint(e: Edge, f: Edge): number {
  return cmpSlope(e, f) || e.id - f.id
}

/** Where the lines of e and f cross (they are known to cross strictly inside both x-ranges). */
function crossing(e: Edge, f: Edge): X {
  // relative to e's start: x = (fy·dxf − fx·dyf)·dxe / (dye·dxf − dyf·dxe)
  const fx = f.x1 - e.x1, fy = f.y1 - e.y1
  const a = fy * f.dx, b = fx * f.dy, c = e.dy * f.dx, d = f.dy * e.dx
  if (Math.abs(a) < SAFE && Math.abs(b) < SAFE && Math.abs(c) < SAFE && Math.abs(d) < SAFE) {
    // each difference below is exact when its computed value is below 2^53 (rounding is monotonic)
    const ab = a - b
    let num = ab * e.dx, den = c - d
    if (Math.abs(ab) < SAFE && Math.abs(num) < SAFE && Math.abs(den) < SAFE) {
      if (den < 0) {
        num = -num
        den = -den
      }
      if (num % den === 0) return e.x1 + num / den
      // x1·den + num, exactly
      return reduce(BigInt(e.x1) * BigInt(den) + BigInt(num), BigInt(den))
    }
  }
  let num = (BigInt(fy) * BigInt(f.dx) - BigInt(fx) * BigInt(f.dy)) * BigInt(e.dx)
  let den = BigInt(e.dy) * BigInt(f.dx) - BigInt(f.dy) * BigInt(e.dx)
  if (den < 0n) {
    num = -num
    den = -den
  }
  return reduce(BigInt(e.x1) * den + num, den)
}

function reduce(p: bigint, q: bigint): X {
  const r = p % q
  if (r === 0n) return Number(p / q)
  return new Frac(p, q)
}

/** Binary min-heap of crossing events. */
class CrossHeap {
  private xs: X[] = []
  private es: Edge[] = []
  get size(): number {
    return this.xs.length
  }
  top(): X {
    return this.xs[0]!
  }
  push(x: X, e: Edge): void {
    const xs = this.xs, es = this.es
    let i = xs.length
    xs.push(x)
    es.push(e)
    while (i > 0) {
      const p = (i - 1) >> 1
      if (cmpX(xs[p]!, x) <= 0) break
      xs[i] = xs[p]!
      es[i] = es[p]!
      i = p
    }
    xs[i] = x
    es[i] = e
  }
  pop(): Edge {
    const xs = this.xs, es = this.es
    const e = es[0]!
    const lx = xs.pop()!, le = es.pop()!
    const n = xs.length
    if (n) {
      let i = 0
      for (;;) {
        const l = 2 * i + 1
        if (l >= n) break
        const r = l + 1
        const c = r < n && cmpX(xs[r]!, xs[l]!) < 0 ? r : l
        if (cmpX(xs[c]!, lx) >= 0) break
        xs[i] = xs[c]!
        es[i] = es[c]!
        i = c
      }
      xs[i] = lx
      es[i] = le
    }
    return e
  }
}

/**
 * The region of status bit 0 as trapezoids (vertical left and right sides; bottom and top on input edges), for
 * drawing and for counting connected pieces. Coordinates are doubles (crossings are rational): this is for
 * pictures and reports, never for a verdict or an area.
 */
export class Regions {
  /** Per trapezoid: x0, x1, bottom y at x0, at x1, top y at x0, at x1 (x1 = x0: empty, only joins others). */
  tz = new Float64Array(6 * 64)
  count = 0
  /** Union-find over trapezoids: connected pieces of the region. */
  parent = new Int32Array(64)

  add(): number {
    if (this.count === this.parent.length) {
      const p = new Int32Array(this.parent.length * 2)
      p.set(this.parent)
      this.parent = p
      const t = new Float64Array(this.tz.length * 2)
      t.set(this.tz)
      this.tz = t
    }
    this.parent[this.count] = this.count
    return this.count++
  }

  find(i: number): number {
    const p = this.parent
    while (p[i] !== i) i = p[i] = p[p[i]!]!
    return i
  }

  union(a: number, b: number): void {
    const ra = this.find(a), rb = this.find(b)
    if (ra !== rb) this.parent[ra] = rb
  }
}

export interface ExactOptions {
  /** Status table: for each 4-bit mask of sets with non-zero winding, the status bits (1, 2, 4). */
  table: Uint8Array
  /** Number of status bits to integrate (1-3). */
  bits: number
  /** Clip box [l, b, r, t]: only area inside it is counted (set T need not be given). */
  box: [number, number, number, number]
  /** Also build the region of bit 0 as trapezoids (box frame undone). */
  regions?: boolean
}

export interface ExactResult {
  /** Per status bit: the exact area, in the input's units squared. */
  areas: ExactSum[]
  /** Per status bit: the region is non-empty (decided exactly). */
  nonEmpty: boolean[]
  regions: Regions | null
  /** Edges swept and crossing events processed (for tests and benchmarks). */
  edges: number
  crossings: number
}

/**
 * Exact areas of the status bits over the union of the sets' rings, inside `box`. `sets[k]` holds the rings of
 * set k (any of them may be empty); set T is the box itself and is added here.
 */
export function exactAreas(sets: ReadonlyArray<RingSet | null>, opts: ExactOptions): ExactResult {
  const [L0, B0, R0, T0] = opts.box
  const bits = opts.bits
  const areas = Array.from({ length: bits }, () => new ExactSum())
  const nonEmpty = new Array<boolean>(bits).fill(false)
  const res: ExactResult = { areas, nonEmpty, regions: opts.regions ? new Regions() : null, edges: 0, crossings: 0 }
  if (!(L0 < R0 && B0 < T0)) return res
  // translated frame: box from (0, 0) to (W, H)
  const W = R0 - L0, H = T0 - B0
  const edges: Edge[] = []
  let id = 0
  for (let s = 0; s < sets.length; s++) {
    const rs = sets[s]
    if (!rs) continue
    const d = rs.xy
    for (let r = 0; r < rs.count; r++) {
      const st = rs.starts[r]!, en = rs.starts[r + 1]!
      for (let k = st; k < en; k += 2) {
        const n = k + 2 < en ? k + 2 : st
        const ax = d[k]! - L0, ay = d[k + 1]! - B0, bx = d[n]! - L0, by = d[n + 1]! - B0
        if (ax === bx) continue
        const lx = ax < bx ? ax : bx, rx = ax < bx ? bx : ax
        if (rx <= 0 || lx >= W) continue
        // above the box everywhere: cannot change a winding number inside it
        if (ay >= H && by >= H) continue
        edges.push(ax < bx ? edgeAt(id).init(id++, ax, ay, bx, by, s, 1) : edgeAt(id).init(id++, bx, by, ax, ay, s, -1))
      }
    }
  }
  // the box: bottom edge enters set T, top edge leaves it
  edges.push(edgeAt(id).init(id++, 0, 0, W, 0, SET_T, 1))
  edges.push(edgeAt(id).init(id++, 0, H, W, H, SET_T, -1))
  res.edges = edges.length
  const sweep = new Sweep(edges, W, opts.table, bits, areas, nonEmpty, res.regions, L0, B0)
  sweep.run()
  res.crossings = sweep.crossings
  return res
}

/** A point where something happens at the current x: a run [lo, hi) of the active list and the edges starting there. */
interface Point {
  lo: number
  hi: number
  y: number
  add: Edge[]
  /** Where the run is after the splice, and how long. */
  at: number
  len: number
  /** Net change of each set's winding number above the point. */
  d0: number
  d1: number
  d2: number
  d3: number
}

class Sweep {
  private act: Edge[] = []
  private heap = new CrossHeap()
  /** Edges with a non-zero coefficient of bit 0 right now. */
  private nz = 0
  /** Crossing events processed. */
  crossings = 0

  constructor(
    private readonly edges: Edge[],
    private readonly W: number,
    private readonly table: Uint8Array,
    private readonly bits: number,
    private readonly areas: ExactSum[],
    private readonly nonEmpty: boolean[],
    private readonly regions: Regions | null,
    private readonly ox: number,
    private readonly oy: number,
  ) {}

  run(): void {
    const W = this.W
    const edges = this.edges
    // start and end events (integer x strictly inside (0, W)), in x order
    const starts = byX(edges, (e) => e.x1, (x) => x > 0)
    const ends = byX(edges, (e) => e.x2, (x) => x < W)
    // 1. the line just right of x = 0
    const init = edges.filter((e) => e.x1 <= 0)
    init.sort((a, b) => cmpEdges(a, b, 0) || afterPoint(a, b))
    for (let i = 0; i < init.length; i++) {
      const e = init[i]!
      e.active = true
      if (i > 0) e.join = cmpEdges(init[i - 1]!, e, 0) === 0 && cmpSlope(init[i - 1]!, e) === 0
      this.act.push(e)
    }
    this.recompute(0, this.act.length, 0)
    if (this.regions) this.refreshTraps(0)
    for (let i = 0; i + 1 < this.act.length; i++) this.checkCross(this.act[i]!, this.act[i + 1]!, 0)
    if (this.nz > 0) this.nonEmpty[0] = true
    this.markBits()
    // 2. events
    let si = 0, ei = 0
    const seeds: Edge[] = [], starting: Edge[] = []
    for (;;) {
      let X: X = W
      if (si < starts.length && starts[si]!.x1 < X) X = starts[si]!.x1
      if (ei < ends.length && ends[ei]!.x2 < X) X = ends[ei]!.x2
      if (this.heap.size && cmpX(this.heap.top(), X) < 0) X = this.heap.top()
      if (cmpX(X, W) >= 0) break
      let ns = 0, nst = 0
      while (this.heap.size && cmpX(this.heap.top(), X) === 0) {
        const e = this.heap.pop()
        if (e.active) seeds[ns++] = e
        this.crossings++
      }
      if (typeof X === 'number') {
        while (ei < ends.length && ends[ei]!.x2 === X) seeds[ns++] = ends[ei++]!
        while (si < starts.length && starts[si]!.x1 === X) starting[nst++] = starts[si++]!
      }
      seeds.length = ns
      starting.length = nst
      this.event(X, seeds, starting)
      if (this.nz > 0) this.nonEmpty[0] = true
      this.markBits()
    }
    // 3. close every piece at x = W
    for (const e of this.act) this.setCoef(e, 0, 0, W)
    for (const e of this.act) this.retire(e)
    this.act = []
  }

  /** Bits other than 0: non-empty when an edge has a non-zero coefficient (checked at each event). */
  private markBits(): void {
    if (this.bits < 2) return
    for (const e of this.act) {
      const c = e.sb ^ e.sa
      for (let k = 1; k < this.bits; k++) if (c & (1 << k)) this.nonEmpty[k] = true
    }
  }

  /** First index whose edge is at or above `e` at X (binary search: the list is ordered at X). */
  private lower(e: Edge, X: X): number {
    const act = this.act
    let lo = 0, hi = act.length
    while (lo < hi) {
      const m = (lo + hi) >> 1
      const g = act[m]!
      if (g !== e && cmpEdges(g, e, X) < 0) lo = m + 1
      else hi = m
    }
    return lo
  }

  /** First index whose edge is at or above the point (X, Y). */
  private lowerY(X: number, Y: number): number {
    const act = this.act
    let lo = 0, hi = act.length
    while (lo < hi) {
      const m = (lo + hi) >> 1
      if (cmpEdgeY(act[m]!, X, Y) < 0) lo = m + 1
      else hi = m
    }
    return lo
  }

  /** Event points of the current event (pooled). */
  private pts: Point[] = []
  private nPts = 0
  private keep: Edge[] = []

  private point(lo: number, hi: number, y: number): Point {
    let p = this.pts[this.nPts]
    if (!p) this.pts.push((p = { lo: 0, hi: 0, y: 0, add: [], at: 0, len: 0, d0: 0, d1: 0, d2: 0, d3: 0 }))
    this.nPts++
    p.lo = lo
    p.hi = hi
    p.y = y
    if (p.add.length) p.add.length = 0
    p.at = p.len = p.d0 = p.d1 = p.d2 = p.d3 = 0
    return p
  }

  /** The point whose non-empty run starts at lo, if there is one. */
  private runAt(lo: number): Point | undefined {
    for (let i = 0; i < this.nPts; i++) {
      const p = this.pts[i]!
      if (p.lo === lo && p.hi > lo) return p
    }
    return undefined
  }

  private event(X: X, seeds: Edge[], starting: Edge[]): void {
    // the points where something happens, each as a run [lo, hi) of the active list (edges through the point)
    // plus the edges starting there
    const act = this.act
    this.nPts = 0
    for (const s of seeds) {
      if (!s.active) continue
      const lo = this.lower(s, X)
      if (this.runAt(lo)) continue
      let hi = lo + 1
      while (hi < act.length && (act[hi] === s || cmpEdges(act[hi]!, s, X) === 0)) hi++
      this.point(lo, hi, 0)
    }
    if (starting.length) {
      const Xn = X as number
      if (starting.length > 1) starting.sort((a, b) => a.y1 - b.y1)
      let i = 0
      while (i < starting.length) {
        const Y = starting[i]!.y1
        let j = i
        while (j < starting.length && starting[j]!.y1 === Y) j++
        const lo = this.lowerY(Xn, Y)
        let hi = lo
        while (hi < act.length && cmpEdgeY(act[hi]!, Xn, Y) === 0) hi++
        const p = (hi > lo && this.runAt(lo)) || this.point(lo, hi, Y)
        for (let k = i; k < j; k++) p.add.push(starting[k]!)
        i = j
      }
    }
    const n = this.nPts
    const pts = this.pts
    // bottom to top; empty runs (pure insertions) at the same index ordered by y
    if (n > 1) {
      const sorted = pts.slice(0, n).sort((a, b) => a.lo - b.lo || (a.hi - a.lo) - (b.hi - b.lo) || a.y - b.y)
      for (let i = 0; i < n; i++) pts[i] = sorted[i]!
    }
    // replace each run by its new order, from the top down so that lower indices stay valid
    const keep = this.keep
    for (let i = n - 1; i >= 0; i--) {
      const p = pts[i]!
      keep.length = 0
      for (let k = p.lo; k < p.hi; k++) {
        const e = act[k]!
        if (typeof X === 'number' && e.x2 === X) {
          this.setCoef(e, 0, 0, X)
          this.retire(e)
          e.active = false
          this.delta(p, e, -1)
        } else keep.push(e)
      }
      for (const e of p.add) {
        e.active = true
        keep.push(e)
        this.delta(p, e, 1)
      }
      // through one point: ordered by slope just right of it (insertion sort: runs are short)
      for (let a = 1; a < keep.length; a++) {
        const e = keep[a]!
        let b = a - 1
        while (b >= 0 && afterPoint(keep[b]!, e) > 0) {
          keep[b + 1] = keep[b]!
          b--
        }
        keep[b + 1] = e
      }
      for (let k = 0; k < keep.length; k++) keep[k]!.join = k > 0 && cmpSlope(keep[k - 1]!, keep[k]!) === 0
      p.len = keep.length
      const old = p.hi - p.lo
      if (keep.length === old) for (let k = 0; k < old; k++) act[p.lo + k] = keep[k]!
      else if (keep.length === 0) act.splice(p.lo, old)
      else if (keep.length === 1) act.splice(p.lo, old, keep[0]!)
      else if (keep.length === 2) act.splice(p.lo, old, keep[0]!, keep[1]!)
      else act.splice(p.lo, old, ...keep)
    }
    // new positions, then winding numbers and coefficients from the bottom up
    let shift = 0
    for (let i = 0; i < n; i++) {
      const p = pts[i]!
      p.at = p.lo + shift
      shift += p.len - (p.hi - p.lo)
    }
    let c0 = 0, c1 = 0, c2 = 0, c3 = 0
    let prevEnd = 0
    for (let i = 0; i < n; i++) {
      const p = pts[i]!
      if ((c0 | c1 | c2 | c3) !== 0 && prevEnd < p.at) this.recompute(prevEnd, p.at, X)
      // the edge just above a point is never collinear with the point's edges
      if (p.at + p.len < act.length) act[p.at + p.len]!.join = false
      if (p.len) this.recompute(p.at, p.at + p.len, X)
      c0 += p.d0
      c1 += p.d1
      c2 += p.d2
      c3 += p.d3
      prevEnd = p.at + p.len
    }
    if ((c0 | c1 | c2 | c3) !== 0 && prevEnd < act.length) this.recompute(prevEnd, act.length, X)
    if (this.regions) {
      for (let i = 0; i < n; i++) this.touched.push(pts[i]!.at, pts[i]!.at + pts[i]!.len)
      this.refreshTraps(X)
    }
    // new neighbours
    for (let i = 0; i < n; i++) {
      const p = pts[i]!
      const a = p.at, b = p.at + p.len
      if (p.len) {
        if (a > 0) this.checkCross(act[a - 1]!, act[a]!, X)
        if (b < act.length) this.checkCross(act[b - 1]!, act[b]!, X)
      } else if (a > 0 && a < act.length) this.checkCross(act[a - 1]!, act[a]!, X)
    }
  }

  private delta(p: { d0: number; d1: number; d2: number; d3: number }, e: Edge, sign: number): void {
    const w = sign * e.w
    if (e.set === 0) p.d0 += w
    else if (e.set === 1) p.d1 += w
    else if (e.set === 2) p.d2 += w
    else p.d3 += w
  }

  /** Winding numbers and coefficients of act[s..t) from the edge below s; groups lie inside the range. */
  private recompute(s: number, t: number, X: X): void {
    if (this.regions) this.touched.push(s, t)
    const act = this.act, table = this.table
    let w0 = 0, w1 = 0, w2 = 0, w3 = 0
    if (s > 0) {
      const b = act[s - 1]!
      w0 = b.w0
      w1 = b.w1
      w2 = b.w2
      w3 = b.w3
      if (b.set === 0) w0 += b.w
      else if (b.set === 1) w1 += b.w
      else if (b.set === 2) w2 += b.w
      else w3 += b.w
    }
    let i = s
    while (i < t) {
      // one group: i .. j-1
      const first = act[i]!
      const below = table[(w0 !== 0 ? 1 : 0) | (w1 !== 0 ? 2 : 0) | (w2 !== 0 ? 4 : 0) | (w3 !== 0 ? 8 : 0)]!
      let j = i
      do {
        const e = act[j]!
        e.w0 = w0
        e.w1 = w1
        e.w2 = w2
        e.w3 = w3
        if (e.set === 0) w0 += e.w
        else if (e.set === 1) w1 += e.w
        else if (e.set === 2) w2 += e.w
        else w3 += e.w
        j++
      } while (j < t && act[j]!.join)
      const above = table[(w0 !== 0 ? 1 : 0) | (w1 !== 0 ? 2 : 0) | (w2 !== 0 ? 4 : 0) | (w3 !== 0 ? 8 : 0)]!
      this.setCoef(first, below, above, X)
      for (let k = i + 1; k < j; k++) this.setCoef(act[k]!, 0, 0, X)
      i = j
    }
  }

  /** Changes an edge's coefficient at X, adding (old − new)·G_e(X) for each bit that changes. */
  private setCoef(e: Edge, sb: number, sa: number, X: X): void {
    const osb = e.sb, osa = e.sa
    if (osb === sb && osa === sa) return
    for (let k = 0; k < this.bits; k++) {
      const m = 1 << k
      const cOld = (osb & m ? 1 : 0) - (osa & m ? 1 : 0)
      const cNew = (sb & m ? 1 : 0) - (sa & m ? 1 : 0)
      if (cOld === cNew) continue
      if (k === 0) {
        if (cOld !== 0) this.nz--
        if (cNew !== 0) this.nz++
        if (cOld === -1 && this.regions) this.closeTrap(e, X)
      }
      this.term(e, k, cOld - cNew, X)
    }
    e.sb = sb
    e.sa = sa
  }

  /** Adds k·G_e(X) to bit `bit`. */
  private term(e: Edge, bit: number, k: number, X: X): void {
    if (typeof X === 'number') {
      const u = X - e.x1
      if (u === 0) return
      const a = 2 * e.dx * e.y1 * u, b = e.dy * u * u
      if (a > -SAFE && a < SAFE && b > -SAFE && b < SAFE) {
        const g = k * (a + b)
        if (g > -SAFE && g < SAFE) {
          const cur = bit === 0 ? e.acc0 : bit === 1 ? e.acc1 : e.acc2
          const s = cur + g
          if (s > -SAFE && s < SAFE) {
            if (bit === 0) e.acc0 = s
            else if (bit === 1) e.acc1 = s
            else e.acc2 = s
            return
          }
        }
      }
      const bu = BigInt(u)
      const g = BigInt(k) * (2n * BigInt(e.dx) * BigInt(e.y1) * bu + BigInt(e.dy) * bu * bu)
      e.big ??= [0n, 0n, 0n]
      e.big[bit]! += g
      return
    }
    const { p, q } = X
    const u = p - BigInt(e.x1) * q
    const dx = BigInt(e.dx)
    const num = BigInt(k) * (2n * dx * BigInt(e.y1) * u * q + BigInt(e.dy) * u * u)
    this.areas[bit]!.addBig(num, 2n * dx * q * q)
  }

  /** Moves an edge's integer-x accumulators into the sums. */
  private retire(e: Edge): void {
    const den = 2 * e.dx
    const a = this.areas
    if (e.acc0) a[0]!.add(e.acc0, den)
    if (e.acc1) a[1]!.add(e.acc1, den)
    if (e.acc2) a[2]!.add(e.acc2, den)
    if (e.big) for (let k = 0; k < this.bits; k++) if (e.big[k]) a[k]!.addBig(e.big[k]!, BigInt(den))
    e.acc0 = e.acc1 = e.acc2 = 0
    e.big = null
  }

  // --- the region of bit 0 as trapezoids ---

  /** Trapezoids closed and opened at the current event, with their y-range at X: slot, bottom, top. */
  private closedAt: number[] = []
  private openedAt: number[] = []
  /** Ranges of the active list changed at the current event: start, end. */
  private touched: number[] = []
  private stamp = 0

  private yAt(e: Edge, x: number): number {
    return e.y1 + ((x - e.x1) * e.dy) / e.dx
  }

  private closeTrap(e: Edge, X: X): void {
    const R = this.regions!
    const slot = e.tSlot, top = e.tTop!
    if (slot < 0) return
    const x = xValue(X), t = R.tz, k = 6 * slot
    const yb = this.yAt(e, x), yt = this.yAt(top, x)
    t[k + 1] = x + this.ox
    t[k + 3] = yb + this.oy
    t[k + 5] = yt + this.oy
    this.closedAt.push(slot, yb, yt)
    e.tSlot = -1
    e.tTop = null
  }

  private openTrap(e: Edge, top: Edge, X: X): number {
    const R = this.regions!
    const slot = R.add()
    const x = xValue(X), t = R.tz, k = 6 * slot
    const yb = this.yAt(e, x), yt = this.yAt(top, x)
    t[k] = t[k + 1] = x + this.ox
    t[k + 2] = t[k + 3] = yb + this.oy
    t[k + 4] = t[k + 5] = yt + this.oy
    e.tSlot = slot
    e.tTop = top
    this.openedAt.push(slot, yb, yt)
    return slot
  }

  /** After an event: every lower boundary whose region the event may have changed gets its current trapezoid. */
  private refreshTraps(X: X): void {
    const act = this.act, st = ++this.stamp
    const coef = (e: Edge): number => (e.sb & 1) - (e.sa & 1)
    const check = (i: number): void => {
      const L = act[i]!
      if (L.seen === st) return
      L.seen = st
      let j = i + 1
      while (j < act.length && coef(act[j]!) === 0) j++
      const U = act[j]
      if (!U) return
      if (L.tSlot >= 0 && L.tTop === U) return
      const old = L.tSlot
      if (old >= 0) this.closeTrap(L, X)
      const slot = this.openTrap(L, U, X)
      if (old >= 0) this.regions!.union(old, slot)
    }
    const tr = this.touched
    for (let r = 0; r < tr.length; r += 2) {
      const s = tr[r]!, t = tr[r + 1]!
      let i = s - 1
      while (i >= 0 && coef(act[i]!) === 0) i--
      if (i >= 0 && coef(act[i]!) === -1) check(i)
      for (let k = s; k < t && k < act.length; k++) if (coef(act[k]!) === -1) check(k)
    }
    tr.length = 0
    // trapezoids that end and begin at X with overlapping (or touching) sides are one piece of the region
    const c = this.closedAt, o = this.openedAt
    for (let a = 0; a < c.length; a += 3) {
      for (let b = 0; b < o.length; b += 3) {
        if (c[a + 1]! <= o[b + 2]! && o[b + 1]! <= c[a + 2]!) this.regions!.union(c[a]!, o[b]!)
      }
    }
    c.length = 0
    o.length = 0
  }

  /** e directly below f after X: schedules their crossing if they cross before either ends (or x = W). */
  private checkCross(e: Edge, f: Edge, X: X): void {
    if (f.join) return
    const xm = Math.min(e.x2, f.x2, this.W)
    if (cmpX(X, xm) >= 0) return
    // e above f at xm: they cross in (X, xm)
    if (cmpEdges(e, f, xm) <= 0) return
    const c = crossing(e, f)
    this.heap.push(c, e)
  }
}

/**
 * The edges whose key passes `keep`, ordered by key (numeric sort of key and index packed into one double when
 * they fit in 53 bits, which is the rule; a comparator sort otherwise).
 */
function byX(edges: Edge[], key: (e: Edge) => number, keep: (x: number) => boolean): Edge[] {
  const n = edges.length
  const packed = new Float64Array(n)
  let m = 0
  let fits = n < 2 ** 21
  for (let i = 0; i < n; i++) {
    const x = key(edges[i]!)
    if (!keep(x)) continue
    if (x < 0 || x >= 2 ** 31) fits = false
    packed[m++] = x * 2 ** 21 + i
  }
  if (!fits) return edges.filter((e) => keep(key(e))).sort((a, b) => key(a) - key(b))
  const sorted = packed.subarray(0, m).sort()
  const out = new Array<Edge>(m)
  for (let i = 0; i < m; i++) out[i] = edges[sorted[i]! % 2 ** 21]!
  return out
}

/** Status tables for the XOR of a tile (sets A', B', C, T): bit 0 XOR, bit 1 area of A, bit 2 area of B. */
export function xorTable(): Uint8Array {
  const t = new Uint8Array(16)
  for (let m = 0; m < 16; m++) {
    const a = (m & 1) !== 0, b = (m & 2) !== 0, c = (m & 4) !== 0, inBox = (m & 8) !== 0
    if (!inBox) continue
    let s = 0
    if (a !== b && !c) s |= 1
    if (a || c) s |= 2
    if (b || c) s |= 4
    t[m] = s
  }
  return t
}
