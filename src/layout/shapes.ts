import type { GdsElementExtras } from '../gds/sink.js'
import { IntBuf } from './intbuf.js'

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
export class LayerShapes {
  readonly boxes = new IntBuf(16)
  readonly polyCoords = new IntBuf(32)
  readonly polyStarts = new IntBuf(4)
  readonly pathCoords = new IntBuf(16)
  readonly pathStarts = new IntBuf(4)
  readonly pathParams = new IntBuf(8)
  extras: ShapeExtra[] | null = null
  /** Path hulls in local coordinates, computed on demand (see path.ts). */
  pathHullCache: { coords: IntBuf; starts: IntBuf } | null = null

  constructor() {
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
    if (!extras) return
    ;(this.extras ??= []).push({ kind, index, extras })
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
