import { ShapeBatch, type GdsElementExtras, type GdsShapeBatch } from '../gds/sink.js'
import { IntBuf, type IntSlab } from './intbuf.js'
import { layerKey, type LayerKey } from './layers.js'
import { compressRing, ringAsBox } from './polygon.js'

export const ShapeKind = { Box: 0, Polygon: 1, Path: 2 } as const
export type ShapeKind = (typeof ShapeKind)[keyof typeof ShapeKind]

/** Extra GDSII data (properties, ELFLAGS, PLEX) attached to one shape; kept sparse. */
export interface ShapeExtra {
  kind: ShapeKind
  index: number
  extras: GdsElementExtras
}

/**
 * The shapes of one cell on one layer/datatype, in flat typed arrays:
 * - boxes: 4 ints each (l, b, r, t)
 * - polygons: vertices in `polyCoords`, polygon i spans ints polyStarts[i] .. polyStarts[i+1]
 * - paths: centre-line vertices in `pathCoords` likewise, and 4 ints each in `pathParams`:
 *   width (GDSII sign kept: negative = absolute width), GDSII PATHTYPE, begin and end extension (PATHTYPE 4)
 */
/*
 * Shared stand-ins for the sections a layer does not have: most layers of real layouts hold only boxes, or only
 * boxes and polygons, and a reader makes tens of thousands of LayerShapes. They are never written: addPolygon
 * and addPath give the layer its own buffers first (ownPolygons, ownPaths), and nothing outside this class
 * writes to the polygon or path sections.
 */
const NO_COORDS = new IntBuf(0)
const NO_STARTS = new IntBuf(Int32Array.of(0))
const NO_PARAMS = new IntBuf(0)

/** True for the shared empty-section buffers (which must never be written or transferred). */
export function isSharedEmpty(b: IntBuf): boolean {
  return b === NO_COORDS || b === NO_STARTS || b === NO_PARAMS
}

export class LayerShapes {
  readonly boxes: IntBuf
  readonly polyCoords: IntBuf
  readonly polyStarts: IntBuf
  readonly pathCoords: IntBuf
  readonly pathStarts: IntBuf
  readonly pathParams: IntBuf
  extras: ShapeExtra[] | null = null
  /** Path hulls in local coordinates, computed on demand (see path.ts). */
  pathHullCache: { coords: IntBuf; starts: IntBuf } | null = null
  /** @internal set when the cell holding these shapes is frozen (Cell._freeze): the error every change throws. */
  frozen: (() => Error) | null = null

  /** Empty shapes; or shapes made of the given arrays (kept, not copied), all six or none. */
  constructor(boxes?: IntBuf, polyCoords?: IntBuf, polyStarts?: IntBuf, pathCoords?: IntBuf, pathStarts?: IntBuf, pathParams?: IntBuf) {
    if (boxes) {
      this.boxes = boxes
      this.polyCoords = polyCoords!
      this.polyStarts = polyStarts!
      this.pathCoords = pathCoords!
      this.pathStarts = pathStarts!
      this.pathParams = pathParams!
      return
    }
    this.boxes = new IntBuf(0)
    this.polyCoords = new IntBuf(0)
    this.polyStarts = new IntBuf(4)
    this.pathCoords = new IntBuf(0)
    this.pathStarts = new IntBuf(4)
    this.pathParams = new IntBuf(0)
    this.polyStarts.push(0)
    this.pathStarts.push(0)
  }

  get boxCount(): number {
    return this.boxes.length >> 2
  }

  get polygonCount(): number {
    return this.polyStarts.length - 1
  }

  get pathCount(): number {
    return this.pathStarts.length - 1
  }

  get shapeCount(): number {
    return this.boxCount + this.polygonCount + this.pathCount
  }

  addExtras(kind: ShapeKind, index: number, extras: GdsElementExtras | null | undefined): void {
    if (this.frozen !== null) throw this.frozen()
    if (!extras) return
    ;(this.extras ??= []).push({ kind, index, extras })
  }

  addBox(l: number, b: number, r: number, t: number, extras: GdsElementExtras | null | undefined): void {
    if (this.frozen !== null) throw this.frozen()
    if (extras) this.addExtras(ShapeKind.Box, this.boxCount, extras)
    this.boxes.push4(l, b, r, t)
  }

  /**
   * Adds a polygon ring of n points. Like KLayout, a closing point, repeated and in-line points are dropped,
   * and a ring that is an axis-parallel rectangle is stored as a box.
   */
  addPolygon(xy: ArrayLike<number>, n: number, extras: GdsElementExtras | null | undefined): void {
    if (this.frozen !== null) throw this.frozen()
    // fast path for the most common element of all: a closed 5-point rectangle with non-zero sides
    if (this.polyStarts === NO_STARTS) this.ownPolygons()
    if (n === 5 && xy[8] === xy[0] && xy[9] === xy[1]) {
      const x0 = xy[0]!, y0 = xy[1]!, x1 = xy[2]!, y1 = xy[3]!, x2 = xy[4]!, y2 = xy[5]!, x3 = xy[6]!, y3 = xy[7]!
      if (x0 !== x2 && y0 !== y2 && ((x0 === x1 && y1 === y2 && x2 === x3 && y3 === y0) || (y0 === y1 && x1 === x2 && y2 === y3 && x3 === x0))) {
        this.addBox(x0 < x2 ? x0 : x2, y0 < y2 ? y0 : y2, x0 < x2 ? x2 : x0, y0 < y2 ? y2 : y0, extras)
        return
      }
    }
    const start = this.polyCoords.length
    const cnt = compressRing(xy, n, this.polyCoords)
    const box = ringAsBox(this.polyCoords.data, start, cnt)
    if (box) {
      this.polyCoords.length = start
      this.addBox(box[0], box[1], box[2], box[3], extras)
    } else {
      if (extras) this.addExtras(ShapeKind.Polygon, this.polygonCount, extras)
      this.polyStarts.push(this.polyCoords.length)
    }
  }

  addPath(xy: ArrayLike<number>, n: number, width: number, pathtype: number, bgn: number, end: number, extras: GdsElementExtras | null | undefined): void {
    if (this.frozen !== null) throw this.frozen()
    if (this.pathStarts === NO_STARTS) this.ownPaths()
    if (extras) this.addExtras(ShapeKind.Path, this.pathCount, extras)
    this.pathCoords.append(xy, 0, 2 * n)
    this.pathStarts.push(this.pathCoords.length)
    this.pathParams.push4(width, pathtype, pathtype === 4 ? bgn : 0, pathtype === 4 ? end : 0)
    this.pathHullCache = null
  }

  /**
   * Appends one group of a reader's batch of plain shapes (GdsShapeBatch; `h` is the group's header): boxes,
   * polygons (already normalised, as addPolygon would store them) and paths, in order.
   */
  appendBatch(w: Int32Array, h: number): void {
    if (this.frozen !== null) throw this.frozen()
    const boxInts = w[h + ShapeBatch.BOX_INTS]!
    if (boxInts > 0) this.boxes.append(w, w[h + ShapeBatch.BOX_OFF]!, w[h + ShapeBatch.BOX_OFF]! + boxInts)
    const polys = w[h + ShapeBatch.POLYS]!
    if (polys > 0) {
      if (this.polyStarts === NO_STARTS) this.ownPolygons()
      const base = this.polyCoords.length
      const c = w[h + ShapeBatch.POLY_COORD_OFF]!, st = w[h + ShapeBatch.POLY_START_OFF]!
      this.polyCoords.append(w, c, c + w[h + ShapeBatch.POLY_COORD_INTS]!)
      this.polyStarts.append(w, st + 1, st + 1 + polys, base)
    }
    const paths = w[h + ShapeBatch.PATHS]!
    if (paths > 0) {
      if (this.pathStarts === NO_STARTS) this.ownPaths()
      const base = this.pathCoords.length
      const c = w[h + ShapeBatch.PATH_COORD_OFF]!, st = w[h + ShapeBatch.PATH_START_OFF]!, pp = w[h + ShapeBatch.PATH_PARAM_OFF]!
      this.pathCoords.append(w, c, c + w[h + ShapeBatch.PATH_COORD_INTS]!)
      this.pathStarts.append(w, st + 1, st + 1 + paths, base)
      this.pathParams.append(w, pp, pp + 4 * paths)
      this.pathHullCache = null
    }
  }

  /**
   * A batch that holds all of a cell's shapes (GdsShapeBatch with complete set) into `layers`: its arrays are
   * copied out at once into `slab`, and each layer's arrays are views of that copy (no scratch, no copy per
   * array). The GDSII and OASIS builders both take whole cells this way.
   */
  static keepWholeBatch(batch: GdsShapeBatch, slab: IntSlab, layers: Map<LayerKey, LayerShapes>): void {
    const w = batch.words
    const first = batch.groups * ShapeBatch.GROUP_WORDS
    const kept = slab.place(w, first, w.length - first)
    for (let g = 0, h = 0; g < batch.groups; g++, h += ShapeBatch.GROUP_WORDS) {
      layers.set(layerKey(w[h + ShapeBatch.LAYER]!, w[h + ShapeBatch.DATATYPE]!), LayerShapes.fromBatch(kept, w, h, first))
    }
  }

  /**
   * The shapes of one group of a batch that holds a whole structure, as views of `kept`: a copy of the batch's
   * words from word `first` on (the arrays of all groups).
   */
  static fromBatch(kept: Int32Array, w: Int32Array, h: number, first: number): LayerShapes {
    const boxInts = w[h + ShapeBatch.BOX_INTS]!, polys = w[h + ShapeBatch.POLYS]!, paths = w[h + ShapeBatch.PATHS]!
    let a = w[h + ShapeBatch.BOX_OFF]! - first
    const boxes = new IntBuf(boxInts > 0 ? kept.subarray(a, a + boxInts) : 0)
    let polyCoords = NO_COORDS, polyStarts = NO_STARTS
    if (polys > 0) {
      a = w[h + ShapeBatch.POLY_COORD_OFF]! - first
      polyCoords = new IntBuf(kept.subarray(a, a + w[h + ShapeBatch.POLY_COORD_INTS]!))
      a = w[h + ShapeBatch.POLY_START_OFF]! - first
      polyStarts = new IntBuf(kept.subarray(a, a + polys + 1))
    }
    let pathCoords = NO_COORDS, pathStarts = NO_STARTS, pathParams = NO_PARAMS
    if (paths > 0) {
      a = w[h + ShapeBatch.PATH_COORD_OFF]! - first
      pathCoords = new IntBuf(kept.subarray(a, a + w[h + ShapeBatch.PATH_COORD_INTS]!))
      a = w[h + ShapeBatch.PATH_START_OFF]! - first
      pathStarts = new IntBuf(kept.subarray(a, a + paths + 1))
      a = w[h + ShapeBatch.PATH_PARAM_OFF]! - first
      pathParams = new IntBuf(kept.subarray(a, a + 4 * paths))
    }
    return new LayerShapes(boxes, polyCoords, polyStarts, pathCoords, pathStarts, pathParams)
  }

  /**
   * An exact-size copy for a reader that fills reusable scratch shapes and keeps copies: small arrays are
   * carved from `slab`, big ones are moved (this LayerShapes is then to be cleared before it is reused).
   */
  takeCompact(slab: IntSlab): LayerShapes {
    const polys = this.polyStarts.length > 1, paths = this.pathStarts.length > 1
    const c = new LayerShapes(
      slab.keep(this.boxes),
      polys ? slab.keep(this.polyCoords) : NO_COORDS,
      polys ? slab.keep(this.polyStarts) : NO_STARTS,
      paths ? slab.keep(this.pathCoords) : NO_COORDS,
      paths ? slab.keep(this.pathStarts) : NO_STARTS,
      paths ? slab.keep(this.pathParams) : NO_PARAMS,
    )
    c.extras = this.extras
    return c
  }

  private ownPolygons(): void {
    const w = this as { polyCoords: IntBuf; polyStarts: IntBuf }
    w.polyCoords = new IntBuf(0)
    w.polyStarts = new IntBuf(4)
    w.polyStarts.push(0)
  }

  private ownPaths(): void {
    const w = this as { pathCoords: IntBuf; pathStarts: IntBuf; pathParams: IntBuf }
    w.pathCoords = new IntBuf(0)
    w.pathStarts = new IntBuf(4)
    w.pathStarts.push(0)
    w.pathParams = new IntBuf(0)
  }

  /** Empties the shapes, keeping the buffers' capacity. */
  clear(): void {
    if (this.frozen !== null) throw this.frozen()
    this.boxes.length = 0
    if (this.polyStarts !== NO_STARTS) {
      this.polyCoords.length = 0
      this.polyStarts.length = 0 // (not 1: IntSlab.keep may have moved the array out)
      this.polyStarts.push(0)
    }
    if (this.pathStarts !== NO_STARTS) {
      this.pathCoords.length = 0
      this.pathStarts.length = 0
      this.pathStarts.push(0)
      this.pathParams.length = 0
    }
    this.extras = null
    this.pathHullCache = null
  }
}

/** Effective begin/end extensions of a path from its GDSII PATHTYPE. */
export function pathExtensions(width: number, pathtype: number, bgn: number, end: number): [number, number] {
  const hw = Math.trunc(Math.abs(width) / 2)
  switch (pathtype) {
    case 1:
    case 2:
      return [hw, hw]
    case 4:
      return [bgn, end]
    default:
      return [0, 0]
  }
}
