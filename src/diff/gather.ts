import Flatbush from 'flatbush'
import type { BBox } from '../layout/bbox.js'
import { flatten } from '../layout/flatten.js'
import type { LayerKey } from '../layout/layers.js'
import type { Cell } from '../layout/layout.js'
import { IDENTITY, type Affine } from '../layout/transform.js'
import { RingSet } from './rings.js'

/** One side of a comparison: its top cells and the map onto the common grid (identity or an integer scale). */
export interface Side {
  tops: Cell[]
  transform: Affine
}

export function sideOf(tops: Cell[], scale = 1): Side {
  return { tops, transform: scale === 1 ? IDENTITY : { a: scale, b: 0, c: 0, d: scale, tx: 0, ty: 0 } }
}

/**
 * The flat shapes of `layers` below the side's top cells that touch each window (every window gets every
 * shape touching it, uncut), as counter-clockwise rings in doubled units. With `windows === null`: all shapes
 * into one set. Shapes without area are left out: they cannot change an XOR.
 */
export function gatherRings(side: Side, layers: ReadonlySet<LayerKey>, windows: BBox[] | null): RingSet[] {
  const n = windows ? windows.length : 1
  const sets: RingSet[] = []
  for (let i = 0; i < n; i++) sets.push(new RingSet())
  if (windows && n === 0) return sets
  let cover: BBox | undefined
  let index: Flatbush | null = null
  if (windows) {
    cover = [Infinity, Infinity, -Infinity, -Infinity]
    for (const w of windows) {
      cover[0] = Math.min(cover[0], w[0])
      cover[1] = Math.min(cover[1], w[1])
      cover[2] = Math.max(cover[2], w[2])
      cover[3] = Math.max(cover[3], w[3])
    }
    if (n > 1) {
      index = new Flatbush(n)
      for (const w of windows) index.add(w[0], w[1], w[2], w[3])
      index.finish()
    }
  }
  const hits: number[] = []
  const targets = (l: number, b: number, r: number, t: number): number[] => {
    if (!index) return ZERO
    hits.length = 0
    index.search(l, b, r, t, (i) => {
      hits.push(i)
      return false
    })
    return hits
  }
  const sink = {
    box(_layer: LayerKey, l: number, b: number, r: number, t: number): void {
      if (l >= r || b >= t) return
      for (const i of targets(l, b, r, t)) sets[i]!.addBox(l, b, r, t)
    },
    polygon(_layer: LayerKey, xy: Float64Array, count: number): void {
      if (count < 3) return
      let l = Infinity, b = Infinity, r = -Infinity, t = -Infinity
      for (let k = 0; k < 2 * count; k += 2) {
        const x = xy[k]!, y = xy[k + 1]!
        if (x < l) l = x
        if (x > r) r = x
        if (y < b) b = y
        if (y > t) t = y
      }
      if (l >= r || b >= t) return
      for (const i of targets(l, b, r, t)) sets[i]!.addPolygon(xy, count)
    },
  }
  for (const top of side.tops) flatten(top, sink, { window: cover, layers }, side.transform)
  return sets
}

const ZERO = [0]
