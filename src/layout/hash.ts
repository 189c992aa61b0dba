import * as cryptoNs from 'node:crypto'
import { createHash } from 'node:crypto'
import { memo } from './extent.js'
import type { GdsElementExtras } from '../gds/sink.js'
import type { LayerKey } from './layers.js'
import type { Cell, Instance, Text } from './layout.js'
import type { LayerShapes } from './shapes.js'
import { ShapeKind } from './shapes.js'

/*
 * Content hashes (see docs/hashing.md).
 *
 * Every shape gets a 128-bit hash of its canonical form (four 32-bit lanes, murmur3-style mixing with four
 * seeds). A cell's shapes on a layer are summarised by the lane-wise sum (mod 2^32) of their shape hashes: a
 * multiset hash, so element order does not matter but a duplicated shape does. An instance hashes the child's
 * digest with its canonical placement. The cell digest is SHA-256 over the sorted layer sums and instance sums:
 * a Merkle hash that never contains a cell name, so renaming does not change it, while any change in a child
 * changes every ancestor.
 *
 * Canonical forms: a box is (l, b, r, t); a polygon starts at its lowest-leftmost vertex and runs
 * counter-clockwise; a path runs in the direction whose point list is lexicographically smaller (ends swapped
 * with it); an array with one column or row drops the unused vector, a 1x1 array is a single placement.
 */

const SEEDS = [0x9747b28c, 0x2f8e1ad5, 0x6b1c55e3, 0xc3a5c85c]
export const HASH_FORMAT_VERSION = 1

function mix(h: number, k: number): number {
  k = Math.imul(k, 0xcc9e2d51)
  k = (k << 15) | (k >>> 17)
  k = Math.imul(k, 0x1b873593)
  h ^= k
  h = (h << 13) | (h >>> 19)
  return (Math.imul(h, 5) + 0xe6546b64) | 0
}

function fmix(h: number, len: number): number {
  h ^= len
  h ^= h >>> 16
  h = Math.imul(h, 0x85ebca6b)
  h ^= h >>> 13
  h = Math.imul(h, 0xc2b2ae35)
  h ^= h >>> 16
  return h >>> 0
}

/** A running 4-lane hash of one object; `finish` adds it into a lane-sum accumulator. */
class ShapeHasher {
  h0 = 0
  h1 = 0
  h2 = 0
  h3 = 0
  len = 0
  reset(): void {
    this.h0 = SEEDS[0]!
    this.h1 = SEEDS[1]!
    this.h2 = SEEDS[2]!
    this.h3 = SEEDS[3]!
    this.len = 0
  }
  add(v: number): void {
    // values are 32-bit integers here; others go through addNumber
    this.h0 = mix(this.h0, v)
    this.h1 = mix(this.h1, v ^ 0x5bd1e995)
    this.h2 = mix(this.h2, v + 0x27d4eb2f)
    this.h3 = mix(this.h3, ~v)
    this.len++
  }
  addNumber(v: number): void {
    if (Number.isInteger(v) && v >= -2147483648 && v <= 2147483647) {
      this.add(0)
      this.add(v)
    } else {
      f64[0] = v
      this.add(1)
      this.add(u32[0]!)
      this.add(u32[1]!)
    }
  }
  addString(s: string): void {
    this.add(s.length)
    for (let i = 0; i < s.length; i++) this.add(s.charCodeAt(i))
  }
  finishInto(acc: Uint32Array): void {
    acc[0] = (acc[0]! + fmix(this.h0, this.len)) >>> 0
    acc[1] = (acc[1]! + fmix(this.h1, this.len)) >>> 0
    acc[2] = (acc[2]! + fmix(this.h2, this.len)) >>> 0
    acc[3] = (acc[3]! + fmix(this.h3, this.len)) >>> 0
  }
  /** The 4 lanes of this object alone. */
  lanes(): [number, number, number, number] {
    return [fmix(this.h0, this.len), fmix(this.h1, this.len), fmix(this.h2, this.len), fmix(this.h3, this.len)]
  }
}
const f64 = new Float64Array(1)
const u32 = new Uint32Array(f64.buffer)

export function hashBox(h: ShapeHasher, l: number, b: number, r: number, t: number): void {
  h.reset()
  h.add(1)
  h.add(l)
  h.add(b)
  h.add(r)
  h.add(t)
}

/** Hashes the ring d[s .. s+2n) in canonical form: start at the lowest-leftmost vertex, counter-clockwise. */
export function hashRing(h: ShapeHasher, tag: number, d: ArrayLike<number>, s: number, n: number): void {
  h.reset()
  h.add(tag)
  h.add(n)
  if (n === 0) return
  let m = 0
  for (let i = 1; i < n; i++) {
    const x = d[s + 2 * i]!, y = d[s + 2 * i + 1]!
    const mx = d[s + 2 * m]!, my = d[s + 2 * m + 1]!
    if (x < mx || (x === mx && y < my)) m = i
  }
  const ccw = orientation(d, s, n, m) >= 0
  for (let k = 0; k < n; k++) {
    const i = ccw ? (m + k) % n : (m - k + n) % n
    h.add(d[s + 2 * i]!)
    h.add(d[s + 2 * i + 1]!)
  }
}

/** Sign of the ring's orientation (+1 counter-clockwise), taken at the extreme vertex m (convex there). */
export function orientation(d: ArrayLike<number>, s: number, n: number, m: number): number {
  if (n < 3) return 1
  const p = (m + n - 1) % n, q = (m + 1) % n
  const ax = d[s + 2 * m]! - d[s + 2 * p]!, ay = d[s + 2 * m + 1]! - d[s + 2 * p + 1]!
  const bx = d[s + 2 * q]! - d[s + 2 * m]!, by = d[s + 2 * q + 1]! - d[s + 2 * m + 1]!
  const c1 = ax * by, c2 = ay * bx
  if (Number.isSafeInteger(c1) && Number.isSafeInteger(c2)) {
    if (c1 !== c2) return c1 > c2 ? 1 : -1
  } else {
    const big = BigInt(ax) * BigInt(by) - BigInt(ay) * BigInt(bx)
    if (big !== 0n) return big > 0n ? 1 : -1
  }
  // degenerate corner (a spike): fall back to the signed area
  let area = 0
  for (let i = 0; i < n; i++) {
    const j = (i + 1) % n
    area += d[s + 2 * i]! * d[s + 2 * j + 1]! - d[s + 2 * j]! * d[s + 2 * i + 1]!
  }
  return area >= 0 ? 1 : -1
}

/** A path's canonical direction: reversed when the reversed point list is lexicographically smaller. */
export function pathReversed(d: ArrayLike<number>, s: number, n: number): boolean {
  for (let k = 0; k < n; k++) {
    const fx = d[s + 2 * k]!, fy = d[s + 2 * k + 1]!
    const rx = d[s + 2 * (n - 1 - k)]!, ry = d[s + 2 * (n - 1 - k) + 1]!
    if (fx !== rx || fy !== ry) return rx < fx || (rx === fx && ry < fy)
  }
  return false
}

export function hashPath(h: ShapeHasher, d: ArrayLike<number>, s: number, n: number, w: number, type: number, bgn: number, end: number): void {
  const reverse = pathReversed(d, s, n)
  h.reset()
  h.add(3)
  h.add(Math.abs(w))
  h.add(w < 0 ? 1 : 0)
  h.add(type)
  h.add(reverse ? end : bgn)
  h.add(reverse ? bgn : end)
  h.add(n)
  for (let k = 0; k < n; k++) {
    const i = reverse ? n - 1 - k : k
    h.add(d[s + 2 * i]!)
    h.add(d[s + 2 * i + 1]!)
  }
}

/** Calls fn(kind, index) after hashing each shape of a layer into h. */
export function forEachShapeHash(s: LayerShapes, h: ShapeHasher, fn: (kind: ShapeKind, index: number) => void): void {
  const bx = s.boxes.data
  for (let i = 0; i < s.boxCount; i++) {
    hashBox(h, bx[4 * i]!, bx[4 * i + 1]!, bx[4 * i + 2]!, bx[4 * i + 3]!)
    fn(ShapeKind.Box, i)
  }
  const pc = s.polyCoords.data, ps = s.polyStarts.data
  for (let i = 0; i < s.polygonCount; i++) {
    const a = ps[i]!
    const n = (ps[i + 1]! - a) >> 1
    hashRing(h, 2, pc, a, n)
    fn(ShapeKind.Polygon, i)
  }
  const qc = s.pathCoords.data, qs = s.pathStarts.data, qp = s.pathParams.data
  for (let i = 0; i < s.pathCount; i++) {
    const a = qs[i]!
    hashPath(h, qc, a, (qs[i + 1]! - a) >> 1, qp[4 * i]!, qp[4 * i + 1]!, qp[4 * i + 2]!, qp[4 * i + 3]!)
    fn(ShapeKind.Path, i)
  }
}

/** Lane sums of one layer's shapes of one cell (local, not hierarchical). */
function layerSum(s: LayerShapes): Uint32Array {
  const acc = new Uint32Array(4)
  const h = new ShapeHasher()
  forEachShapeHash(s, h, () => h.finishInto(acc))
  return acc
}

export function hashPlacement(h: ShapeHasher, inst: Instance): void {
  const p = inst.placement
  h.addNumber(p.x)
  h.addNumber(p.y)
  h.addNumber(((p.rotation % 360) + 360) % 360)
  h.add(p.mirror ? 1 : 0)
  h.addNumber(p.mag)
  const a = inst.array
  if (!a || a.cols * a.rows === 1) {
    h.add(0)
    return
  }
  // canonical: unused vectors zeroed, the (count, vector) pairs ordered
  let u: [number, number, number] = [a.cols, a.cols > 1 ? a.colX : 0, a.cols > 1 ? a.colY : 0]
  let v: [number, number, number] = [a.rows, a.rows > 1 ? a.rowX : 0, a.rows > 1 ? a.rowY : 0]
  if (u[0] > v[0] || (u[0] === v[0] && (u[1] > v[1] || (u[1] === v[1] && u[2] > v[2])))) [u, v] = [v, u]
  h.add(1)
  for (const x of [...u, ...v]) h.addNumber(x)
}

/** Feeds a text to `h` as the content hashes take it (layer, string, position, transform, presentation). */
export function hashText(h: ShapeHasher, t: Text): void {
  h.reset()
  h.add(5)
  h.add(t.layer)
  h.addString(t.text)
  h.add(t.x)
  h.add(t.y)
  const p = t.placement
  h.addNumber(p ? ((p.rotation % 360) + 360) % 360 : 0)
  h.add(p?.mirror ? 1 : 0)
  h.addNumber(p?.mag ?? 1)
  h.add(t.presentation)
}

/**
 * SHA-256 of 32-bit words, the first 128 bits as 32 hex digits. The words are gathered in one reused buffer and
 * hashed in one call (no Hash object, no array per part): a cell of a million-cell layout costs microseconds.
 */
class Digest {
  private buf = new Uint32Array(256)
  private n = 0

  reset(): this {
    this.n = 0
    return this
  }

  add(p: ArrayLike<number>): this {
    this.room(p.length)
    this.buf.set(p, this.n)
    this.n += p.length
    return this
  }

  word(v: number): this {
    this.room(1)
    this.buf[this.n++] = v
    return this
  }

  private room(k: number): void {
    if (this.n + k <= this.buf.length) return
    const grown = new Uint32Array(Math.max(2 * this.buf.length, this.n + k))
    grown.set(this.buf.subarray(0, this.n))
    this.buf = grown
  }

  /** The digest of the words so far (a string of its own, not a slice that keeps the whole digest alive). */
  hex(): string {
    const bytes = new Uint8Array(this.buf.buffer, 0, 4 * this.n)
    return (sha256 ? sha256(bytes) : createHash('sha256').update(bytes).digest()).toString('hex', 0, 16)
  }
}
const digest = new Digest()

/** crypto.hash (Node 20.12+): a one-shot digest without a Hash object. */
const sha256: ((b: Uint8Array) => Buffer) | null = typeof (cryptoNs as { hash?: unknown }).hash === 'function'
  ? (b) => (cryptoNs as unknown as { hash(alg: string, data: Uint8Array, enc: 'buffer'): Buffer }).hash('sha256', b, 'buffer')
  : null

/** The 16-byte tags that separate the parts of a digest (the same bytes every time: made once). */
const tags = new Map<string, Uint32Array>()
function tag(s: string): Uint32Array {
  let t = tags.get(s)
  if (!t) tags.set(s, (t = new Uint32Array(new TextEncoder().encode(s.padEnd(16, ' ')).buffer.slice(0, 16))))
  return t
}

function hexLanes(hex: string): [number, number, number, number] {
  return [0, 8, 16, 24].map((i) => parseInt(hex.slice(i, i + 8), 16)) as [number, number, number, number]
}

export interface CellHashes {
  /** Geometry and hierarchy (shapes, child geometry hashes with placements); no texts, properties or names. */
  geometry: string
  /** Geometry plus texts and properties (and the children's full hashes). */
  full: string
  /** Per layer, hierarchical: the flat geometry of this layer below the cell, as shapes plus placements. */
  layers: Map<LayerKey, string>
}

/**
 * The content hashes of a cell, computed bottom-up and cached until the layout changes.
 * Equal hashes mean equal content (modulo cell names and element order); see the module comment.
 */
export function cellHashes(cell: Cell): CellHashes {
  const table = memo(cell.layout, 'cellHashes', () => new Map<Cell, CellHashes>())
  const hit = table.get(cell)
  if (hit) return hit
  for (const c of cell.layout.bottomUp()) if (!table.has(c)) table.set(c, computeCell(c, table))
  return table.get(cell)!
}

function computeCell(c: Cell, table: Map<Cell, CellHashes>): CellHashes {
  const h = new ShapeHasher()

  // local layer sums
  const local = new Map<LayerKey, Uint32Array>()
  for (const [k, s] of c.layers) if (s.shapeCount) local.set(k, layerSum(s))

  // properties and texts (kept apart from geometry)
  const props = new Uint32Array(4)
  for (const [k, s] of c.layers) {
    if (!s.extras) continue
    // a property belongs to a shape: hash it with the shape's canonical hash, not with its index (order-free)
    const wanted = new Map<number, GdsElementExtras>()
    for (const e of s.extras) wanted.set(e.kind * 2 ** 32 + e.index, e.extras)
    const sh = new ShapeHasher()
    forEachShapeHash(s, sh, (kind, index) => {
      const ex = wanted.get(kind * 2 ** 32 + index)
      if (!ex) return
      const lanes = sh.lanes()
      h.reset()
      h.add(k)
      for (const v of lanes) h.add(v | 0)
      h.addNumber(ex.elflags ?? -1)
      h.addNumber(ex.plex ?? -1)
      for (const p of ex.props ?? []) {
        h.add(p.attr)
        h.addString(p.value)
      }
      h.finishInto(props)
    })
  }
  const texts = new Uint32Array(4)
  for (const t of c.texts) {
    hashText(h, t)
    h.finishInto(texts)
  }

  // instances: geometry and full variants, plus per-layer hierarchical contributions
  const instGeom = new Uint32Array(4)
  const instFull = new Uint32Array(4)
  const layerInst = new Map<LayerKey, Uint32Array>()
  for (const inst of c.instances) {
    const ch = table.get(inst.cell)!
    for (const [variant, acc] of [[ch.geometry, instGeom], [ch.full, instFull]] as const) {
      h.reset()
      h.add(4)
      for (const v of hexLanes(variant)) h.add(v | 0)
      hashPlacement(h, inst)
      h.finishInto(acc)
    }
    for (const [k, lh] of ch.layers) {
      h.reset()
      h.add(4)
      for (const v of hexLanes(lh)) h.add(v | 0)
      hashPlacement(h, inst)
      let acc = layerInst.get(k)
      if (!acc) layerInst.set(k, (acc = new Uint32Array(4)))
      h.finishInto(acc)
    }
  }

  const keys = [...new Set([...local.keys(), ...layerInst.keys()])].sort((a, b) => a - b)
  const layers = new Map<LayerKey, string>()
  for (const k of keys) layers.set(k, digest.reset().add(tag('layer')).word(k).add(local.get(k) ?? ZERO_LANES).add(layerInst.get(k) ?? ZERO_LANES).hex())

  // geometry: tag, (layer, sum) sorted by layer, instances; full: the same layers, then instances (full), texts, props
  const sorted = local.size > 1 ? [...local].sort((a, b) => a[0] - b[0]) : [...local]
  digest.reset().add(tag(`geom v${HASH_FORMAT_VERSION}`))
  for (const [k, sum] of sorted) digest.word(k).add(sum)
  const geometry = digest.add(tag('instances')).add(instGeom).hex()
  digest.reset().add(tag(`full v${HASH_FORMAT_VERSION}`))
  for (const [k, sum] of sorted) digest.word(k).add(sum)
  const full = digest.add(tag('instances')).add(instFull).add(tag('texts')).add(texts).add(tag('props')).add(props).hex()
  return { geometry, full, layers }
}

const ZERO_LANES = new Uint32Array(4)

/** Geometry hash of a cell (texts and properties excluded). */
export function cellHash(cell: Cell): string {
  return cellHashes(cell).geometry
}

/** 128-bit hash of each shape's canonical form, for matching shapes between layouts (two 64-bit halves). */
export { ShapeHasher }
