import { KeyedBag } from './keyed-bag.js'
import { BBoxAcc, type BBox } from './bbox.js'
import { ShapeHasher, hashBox, hashPath, hashRing, orientation, pathReversed } from './hash.js'
import { layerPathHulls } from './path.js'
import type { IntBuf } from './intbuf.js'
import { CycleError, type Cell, type Instance, type Text } from './layout.js'
import { ShapeKind, type LayerShapes } from './shapes.js'

/*
 * Shape matching between two cells' shapes on one layer: which shapes of A have an identical twin in B (as a
 * multiset, so a duplicated shape is a difference of the shape list, though not of the geometry).
 *
 * 1. Positional: generators write the same shapes in the same order, so shape i of A is compared with shape i
 *    of B directly (typed-array compares, no hashing). A moved shape leaves one unmatched pair.
 * 2. What is left is matched by canonical hash (start vertex, orientation and path direction do not matter),
 *    and every hash hit is verified by comparing the canonical forms: a hash collision can never make two
 *    different shapes cancel.
 */

/** A shape of a LayerShapes, encoded as kind * 2^32 + index. */
export type ShapeRef = number

export function shapeRef(kind: ShapeKind, index: number): ShapeRef {
  return kind * 4294967296 + index
}

export function refKind(ref: ShapeRef): ShapeKind {
  return Math.floor(ref / 4294967296) as ShapeKind
}

export function refIndex(ref: ShapeRef): number {
  return ref % 4294967296
}

export interface ShapeMatch {
  /** Shapes of A without an identical twin in B. */
  onlyA: ShapeRef[]
  /** Shapes of B without an identical twin in A. */
  onlyB: ShapeRef[]
}

const EMPTY_REFS: ShapeRef[] = []

/** Matches two layers' shapes; undefined means no shapes. */
export function matchShapes(a: LayerShapes | undefined, b: LayerShapes | undefined): ShapeMatch {
  if (!a && !b) return { onlyA: EMPTY_REFS, onlyB: EMPTY_REFS }
  if (!a) return { onlyA: [], onlyB: allRefs(b!) }
  if (!b) return { onlyA: allRefs(a), onlyB: [] }
  const onlyA: ShapeRef[] = []
  const onlyB: ShapeRef[] = []
  positionalBoxes(a, b, onlyA, onlyB)
  positionalRings(a.polyCoords.data, a.polyStarts.data, a.polygonCount, b.polyCoords.data, b.polyStarts.data, b.polygonCount, ShapeKind.Polygon, onlyA, onlyB, null, null)
  positionalRings(a.pathCoords.data, a.pathStarts.data, a.pathCount, b.pathCoords.data, b.pathStarts.data, b.pathCount, ShapeKind.Path, onlyA, onlyB, a.pathParams.data, b.pathParams.data)
  if (onlyA.length === 0 || onlyB.length === 0) return { onlyA, onlyB }
  if (onlyA.length > 4 * SAMPLE && mostlyDifferent(a, b, onlyA, onlyB)) return { onlyA, onlyB }
  return hashMatch(a, b, onlyA, onlyB)
}

const SAMPLE = 512

/**
 * Hash matching a million shapes costs seconds; when the shapes differ anyway (every shape moved) that buys
 * nothing. A sample of A's leftovers is looked up among every fourth of B's leftovers: if most shapes had a
 * twin (a reordered cell), about a quarter of the sample would be found; when fewer than an eighth are, all
 * leftovers are reported unmatched (a superset: still exact, only slower if the guess is wrong).
 */
function mostlyDifferent(a: LayerShapes, b: LayerShapes, candA: ShapeRef[], candB: ShapeRef[]): boolean {
  const h = new ShapeHasher()
  const want = new Set<number>()
  const step = candA.length / SAMPLE
  for (let i = 0; i < SAMPLE; i++) want.add(shapeKey(a, candA[Math.floor(i * step)]!, h))
  let found = 0
  for (let i = 0; i < candB.length; i += 4) {
    if (want.has(shapeKey(b, candB[i]!, h))) found++
    if (found * 8 >= SAMPLE) return false
  }
  return true
}

function allRefs(s: LayerShapes): ShapeRef[] {
  const out: ShapeRef[] = []
  for (let i = 0; i < s.boxCount; i++) out.push(shapeRef(ShapeKind.Box, i))
  for (let i = 0; i < s.polygonCount; i++) out.push(shapeRef(ShapeKind.Polygon, i))
  for (let i = 0; i < s.pathCount; i++) out.push(shapeRef(ShapeKind.Path, i))
  return out
}

function positionalBoxes(a: LayerShapes, b: LayerShapes, onlyA: ShapeRef[], onlyB: ShapeRef[]): void {
  const da = a.boxes.data, db = b.boxes.data
  const na = a.boxCount, nb = b.boxCount
  const n = Math.min(na, nb)
  for (let i = 0, k = 0; i < n; i++, k += 4) {
    if (da[k] !== db[k] || da[k + 1] !== db[k + 1] || da[k + 2] !== db[k + 2] || da[k + 3] !== db[k + 3]) {
      onlyA.push(shapeRef(ShapeKind.Box, i))
      onlyB.push(shapeRef(ShapeKind.Box, i))
    }
  }
  for (let i = n; i < na; i++) onlyA.push(shapeRef(ShapeKind.Box, i))
  for (let i = n; i < nb; i++) onlyB.push(shapeRef(ShapeKind.Box, i))
}

function positionalRings(
  ca: Int32Array, sa: Int32Array, na: number, cb: Int32Array, sb: Int32Array, nb: number, kind: ShapeKind,
  onlyA: ShapeRef[], onlyB: ShapeRef[], pa: Int32Array | null, pb: Int32Array | null,
): void {
  const n = Math.min(na, nb)
  for (let i = 0; i < n; i++) {
    let same = sa[i + 1]! - sa[i]! === sb[i + 1]! - sb[i]!
    if (same && pa && pb) same = pa[4 * i] === pb[4 * i] && pa[4 * i + 1] === pb[4 * i + 1] && pa[4 * i + 2] === pb[4 * i + 2] && pa[4 * i + 3] === pb[4 * i + 3]
    if (same) {
      for (let x = sa[i]!, y = sb[i]!, e = sa[i + 1]!; x < e; x++, y++) {
        if (ca[x] !== cb[y]) {
          same = false
          break
        }
      }
    }
    if (!same) {
      onlyA.push(shapeRef(kind, i))
      onlyB.push(shapeRef(kind, i))
    }
  }
  for (let i = n; i < na; i++) onlyA.push(shapeRef(kind, i))
  for (let i = n; i < nb; i++) onlyB.push(shapeRef(kind, i))
}

/** 53 bits of a shape's canonical hash (two lanes), a Map key. */
function shapeKey(s: LayerShapes, ref: ShapeRef, h: ShapeHasher): number {
  const i = refIndex(ref)
  switch (refKind(ref)) {
    case ShapeKind.Box: {
      const d = s.boxes.data
      hashBox(h, d[4 * i]!, d[4 * i + 1]!, d[4 * i + 2]!, d[4 * i + 3]!)
      break
    }
    case ShapeKind.Polygon: {
      const st = s.polyStarts.data
      hashRing(h, 2, s.polyCoords.data, st[i]!, (st[i + 1]! - st[i]!) >> 1)
      break
    }
    default: {
      const st = s.pathStarts.data, p = s.pathParams.data
      hashPath(h, s.pathCoords.data, st[i]!, (st[i + 1]! - st[i]!) >> 1, p[4 * i]!, p[4 * i + 1]!, p[4 * i + 2]!, p[4 * i + 3]!)
    }
  }
  const l = h.lanes()
  return (l[0] & 0x1fffff) * 4294967296 + l[1]
}

function hashMatch(a: LayerShapes, b: LayerShapes, candA: ShapeRef[], candB: ShapeRef[]): ShapeMatch {
  const h = new ShapeHasher()
  const bag = new KeyedBag<ShapeRef>()
  for (const ref of candB) bag.add(shapeKey(b, ref, h), ref)
  const onlyA: ShapeRef[] = []
  let query = 0
  const same = (rb: ShapeRef): boolean => sameShape(a, query, b, rb)
  for (const ref of candA) {
    query = ref
    if (bag.take(shapeKey(a, ref, h), same) === undefined) onlyA.push(ref)
  }
  const onlyB = [...bag.rest()]
  return { onlyA, onlyB }
}

/** Exact comparison of two shapes in canonical form. */
export function sameShape(a: LayerShapes, ra: ShapeRef, b: LayerShapes, rb: ShapeRef): boolean {
  const kind = refKind(ra)
  if (kind !== refKind(rb)) return false
  const ia = refIndex(ra), ib = refIndex(rb)
  if (kind === ShapeKind.Box) {
    const da = a.boxes.data, db = b.boxes.data
    for (let k = 0; k < 4; k++) if (da[4 * ia + k] !== db[4 * ib + k]) return false
    return true
  }
  if (kind === ShapeKind.Polygon) {
    return sameArray(canonicalRing(a.polyCoords.data, a.polyStarts.data, ia), canonicalRing(b.polyCoords.data, b.polyStarts.data, ib))
  }
  return sameArray(canonicalPath(a, ia), canonicalPath(b, ib))
}

function sameArray(x: ArrayLike<number>, y: ArrayLike<number>): boolean {
  if (x.length !== y.length) return false
  for (let i = 0; i < x.length; i++) if (x[i] !== y[i]) return false
  return true
}

/** The ring from its lowest-leftmost vertex, counter-clockwise (the form hashRing hashes). */
function canonicalRing(d: Int32Array, starts: Int32Array, i: number): number[] {
  const s = starts[i]!
  const n = (starts[i + 1]! - s) >> 1
  let m = 0
  for (let k = 1; k < n; k++) {
    const x = d[s + 2 * k]!, y = d[s + 2 * k + 1]!
    if (x < d[s + 2 * m]! || (x === d[s + 2 * m]! && y < d[s + 2 * m + 1]!)) m = k
  }
  const ccw = orientation(d, s, n, m) >= 0
  const out: number[] = []
  for (let k = 0; k < n; k++) {
    const j = ccw ? (m + k) % n : (m - k + n) % n
    out.push(d[s + 2 * j]!, d[s + 2 * j + 1]!)
  }
  return out
}

/** Width, absolute-width flag, type, extensions and points in the direction hashPath uses. */
function canonicalPath(s: LayerShapes, i: number): number[] {
  const d = s.pathCoords.data, st = s.pathStarts.data, p = s.pathParams.data
  const a = st[i]!
  const n = (st[i + 1]! - a) >> 1
  const reverse = pathReversed(d, a, n)
  const w = p[4 * i]!, bgn = p[4 * i + 2]!, end = p[4 * i + 3]!
  const out = [Math.abs(w), w < 0 ? 1 : 0, p[4 * i + 1]!, reverse ? end : bgn, reverse ? bgn : end]
  for (let k = 0; k < n; k++) {
    const j = reverse ? n - 1 - k : k
    out.push(d[a + 2 * j]!, d[a + 2 * j + 1]!)
  }
  return out
}

/** Local bounding box of one shape (a path's hull); null for a shape without points. */
export function shapeBBox(s: LayerShapes, ref: ShapeRef): BBox | null {
  const i = refIndex(ref)
  const kind = refKind(ref)
  if (kind === ShapeKind.Box) {
    const d = s.boxes.data
    return [d[4 * i]!, d[4 * i + 1]!, d[4 * i + 2]!, d[4 * i + 3]!]
  }
  const acc = new BBoxAcc()
  let d: Int32Array, a: number, e: number
  if (kind === ShapeKind.Polygon) {
    d = s.polyCoords.data
    a = s.polyStarts.data[i]!
    e = s.polyStarts.data[i + 1]!
  } else {
    const hull = layerPathHulls(s)
    d = hull.coords.data
    a = hull.starts.data[i]!
    e = hull.starts.data[i + 1]!
  }
  for (let k = a; k < e; k += 2) acc.addPoint(d[k]!, d[k + 1]!)
  return acc.result()
}

/**
 * Structural equality of two cells' subtrees, element by element in stored order: the same shapes in the same
 * typed-array layout, the same instances (placement, array, and structurally equal children), optionally the
 * same texts. Much cheaper than hashing (a typed-array compare), and exact; false only means "not stored
 * identically" (a reordered or renamed copy is left to hash matching). Results are memoised per pair.
 */
/**
 * Values per pair of cells (a of one layout, b of the other). Most cells of A meet one cell of B, so the first
 * partner of each cell of A is kept in arrays indexed by the cell's index in its layout, and only further
 * partners get a map: a million pairs cost two array slots each, not a map each.
 */
export class PairMap<V> {
  private readonly partner: Array<Cell | undefined> = []
  private readonly value: Array<V | undefined> = []
  private readonly more = new Map<Cell, Map<Cell, V>>()
  /** The layout of the first cell a; other layouts' cells go to `more`. */
  private layout: Cell['layout'] | null = null

  get(a: Cell, b: Cell): V | undefined {
    if (a.layout !== this.layout) return this.more.get(a)?.get(b)
    const p = this.partner[a._index]
    if (p === b) return this.value[a._index]
    return p === undefined ? undefined : this.more.get(a)?.get(b)
  }

  set(a: Cell, b: Cell, v: V): void {
    this.layout ??= a.layout
    if (a.layout === this.layout) {
      const i = a._index
      const p = this.partner[i]
      if (p === undefined || p === b) {
        // (filled in index order mostly; a hole-free prefix keeps the arrays fast)
        while (this.partner.length < i) {
          this.partner.push(undefined)
          this.value.push(undefined)
        }
        this.partner[i] = b
        this.value[i] = v
        return
      }
    }
    let row = this.more.get(a)
    if (!row) this.more.set(a, (row = new Map()))
    row.set(b, v)
  }
}

export class SubtreeMatcher {
  /** Per pair: the answer, or null while the pair is being compared. */
  private readonly memo = new PairMap<boolean | null>()

  constructor(readonly texts = false) {}

  private get(a: Cell, b: Cell): boolean | null | undefined {
    return this.memo.get(a, b)
  }

  private set(a: Cell, b: Cell, r: boolean | null): void {
    this.memo.set(a, b, r)
  }

  /** Depth first with an explicit stack (a hierarchy can be a million levels deep), each pair compared once. */
  same(a: Cell, b: Cell): boolean {
    // a cell is stored identically to itself
    if (a === b) return true
    const known = this.get(a, b)
    if (known !== undefined && known !== null) return known
    const xs: Cell[] = [], ys: Cell[] = []
    /** Per level: the next instance to compare, -1 before the pair's own content is compared. */
    const next: number[] = []
    const open = (x: Cell, y: Cell): void => {
      if (this.get(x, y) === null) {
        const path = xs.map((c) => c.name)
        throw new CycleError([...path.slice(xs.indexOf(x)), x.name])
      }
      this.set(x, y, null)
      xs.push(x)
      ys.push(y)
      next.push(-1)
    }
    open(a, b)
    while (xs.length) {
      const top = xs.length - 1
      const x = xs[top]!, y = ys[top]!
      let i = next[top]!
      let result = true
      let descended = false
      if (i < 0) {
        result = this.local(x, y)
        i = 0
      }
      while (result && i < x.instances.length) {
        const p = x.instances[i]!, q = y.instances[i]!
        if (!samePlacement(p, q)) {
          result = false
          break
        }
        const r = p.cell === q.cell ? true : this.get(p.cell, q.cell)
        if (r === true) {
          i++
          continue
        }
        if (r === false) {
          result = false
          break
        }
        // compare the children first, then this instance again
        next[top] = i
        open(p.cell, q.cell)
        descended = true
        break
      }
      if (descended) continue
      this.set(x, y, result)
      xs.pop()
      ys.pop()
      next.pop()
    }
    return this.get(a, b)!
  }

  /** Own content: the same number of instances, the same shapes, the same texts (when compared). */
  private local(a: Cell, b: Cell): boolean {
    if (a.instances.length !== b.instances.length) return false
    const la = [...a.layers].filter(([, s]) => s.shapeCount > 0)
    const lb = [...b.layers].filter(([, s]) => s.shapeCount > 0)
    if (la.length !== lb.length) return false
    for (const [k, s] of la) {
      const t = b.layers.get(k)
      if (!t || !sameShapes(s, t)) return false
    }
    if (this.texts && !sameTexts(a.texts, b.texts)) return false
    return true
  }
}

function sameInts(a: IntBuf, b: IntBuf): boolean {
  if (a.length !== b.length) return false
  const x = a.data, y = b.data
  for (let i = 0, n = a.length; i < n; i++) if (x[i] !== y[i]) return false
  return true
}

function sameShapes(a: LayerShapes, b: LayerShapes): boolean {
  return sameInts(a.boxes, b.boxes) && sameInts(a.polyStarts, b.polyStarts) && sameInts(a.polyCoords, b.polyCoords) &&
    sameInts(a.pathStarts, b.pathStarts) && sameInts(a.pathParams, b.pathParams) && sameInts(a.pathCoords, b.pathCoords)
}

/** Same transform and array (not the cell). */
export function samePlacement(x: Instance, y: Instance): boolean {
  const p = x.placement, q = y.placement
  if (p.x !== q.x || p.y !== q.y || p.rotation !== q.rotation || p.mirror !== q.mirror || p.mag !== q.mag) return false
  const a = x.array, c = y.array
  if (!a || !c) return a === c
  return a.cols === c.cols && a.rows === c.rows && a.colX === c.colX && a.colY === c.colY && a.rowX === c.rowX && a.rowY === c.rowY
}

function sameTexts(a: Text[], b: Text[]): boolean {
  if (a.length !== b.length) return false
  for (let i = 0; i < a.length; i++) {
    const s = a[i]!, t = b[i]!
    if (s.layer !== t.layer || s.text !== t.text || s.x !== t.x || s.y !== t.y || s.presentation !== t.presentation) return false
    const p = s.placement, q = t.placement
    if ((p?.rotation ?? 0) !== (q?.rotation ?? 0) || (p?.mirror ?? false) !== (q?.mirror ?? false) || (p?.mag ?? 1) !== (q?.mag ?? 1)) return false
  }
  return true
}
