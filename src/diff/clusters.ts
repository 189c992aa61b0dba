import Flatbush from 'flatbush'
import type { BBox } from '../layout/bbox.js'
import type { RingSet } from './rings.js'

/*
 * Difference clusters: the XOR's polygons after stitching the pieces that tile and window borders cut apart.
 * Within one tile Clipper already returns merged polygons (outer rings; holes are not counted, as KLayout counts
 * a polygon with holes once), and the exact sweep its connected pieces (engine.ts). A piece touching its tile's border is joined with every other border piece whose
 * box touches its box: exact for Manhattan results, and for others it can only join too much, never split.
 * Pieces inside their tile are complete polygons: they are only counted, and the largest kept for reporting.
 */

export interface Clusters {
  count: number
  /** Cluster boxes in dbu (outward-rounded), largest first. */
  boxes: BBox[]
}

export class ClusterCollector {
  /** Border pieces' boxes, 4 numbers each. */
  private border = new Float64Array(1024)
  private nBorder = 0
  private inner = 0
  private readonly top: TopBoxes

  constructor(maxBoxes: number) {
    this.top = new TopBoxes(maxBoxes)
  }

  /** Adds the outer rings of a tile's XOR result (doubled units) cut to `tile`. */
  add(rs: RingSet, tile: BBox): void {
    for (let i = 0; i < rs.count; i++) {
      const a = rs.ringArea2(i)
      if (a <= 0) continue
      const [l, b, r, t] = rs.ringBox(i)
      this.piece(l, b, r, t, tile)
    }
  }

  /** Adds the boxes (doubled units, 4 numbers each) of a tile's connected XOR pieces, cut to `tile`. */
  addBoxes(boxes: Float64Array, tile: BBox): void {
    for (let k = 0; k < boxes.length; k += 4) this.piece(boxes[k]!, boxes[k + 1]!, boxes[k + 2]!, boxes[k + 3]!, tile)
  }

  private piece(l: number, b: number, r: number, t: number, tile: BBox): void {
    const L = Math.floor(l / 2), B = Math.floor(b / 2), R = Math.ceil(r / 2), T = Math.ceil(t / 2)
    if (l <= tile[0] || b <= tile[1] || r >= tile[2] || t >= tile[3]) {
      if (4 * this.nBorder + 4 > this.border.length) {
        const n = new Float64Array(this.border.length * 2)
        n.set(this.border)
        this.border = n
      }
      this.border.set([L, B, R, T], 4 * this.nBorder++)
    } else {
      this.inner++
      this.top.offer(L, B, R, T)
    }
  }

  result(): Clusters {
    const n = this.nBorder
    let groups = 0
    if (n) {
      const d = this.border
      const idx = new Flatbush(n)
      for (let i = 0; i < n; i++) idx.add(d[4 * i]!, d[4 * i + 1]!, d[4 * i + 2]!, d[4 * i + 3]!)
      idx.finish()
      const parent = new Int32Array(n).map((_, i) => i)
      const find = (i: number): number => {
        while (parent[i] !== i) i = parent[i] = parent[parent[i]!]!
        return i
      }
      for (let i = 0; i < n; i++) {
        for (const j of idx.search(d[4 * i]!, d[4 * i + 1]!, d[4 * i + 2]!, d[4 * i + 3]!)) {
          const ri = find(i), rj = find(j)
          if (ri !== rj) parent[ri] = rj
        }
      }
      const box = new Map<number, number>()
      const acc: number[] = []
      for (let i = 0; i < n; i++) {
        const r = find(i)
        let k = box.get(r)
        if (k === undefined) {
          box.set(r, (k = acc.length))
          acc.push(d[4 * i]!, d[4 * i + 1]!, d[4 * i + 2]!, d[4 * i + 3]!)
        } else {
          acc[k] = Math.min(acc[k]!, d[4 * i]!)
          acc[k + 1] = Math.min(acc[k + 1]!, d[4 * i + 1]!)
          acc[k + 2] = Math.max(acc[k + 2]!, d[4 * i + 2]!)
          acc[k + 3] = Math.max(acc[k + 3]!, d[4 * i + 3]!)
        }
      }
      groups = acc.length / 4
      for (let k = 0; k < acc.length; k += 4) this.top.offer(acc[k]!, acc[k + 1]!, acc[k + 2]!, acc[k + 3]!)
    }
    return { count: this.inner + groups, boxes: this.top.sorted() }
  }
}

/** The `max` largest boxes offered (by area; ties: lower-left first), without keeping the others. */
class TopBoxes {
  private boxes: BBox[] = []
  private minSize = -1

  constructor(private readonly max: number) {}

  offer(l: number, b: number, r: number, t: number): void {
    const size = (r - l) * (t - b)
    if (this.boxes.length >= this.max && size <= this.minSize) return
    this.boxes.push([l, b, r, t])
    // amortised: prune back to max when twice as many have piled up
    if (this.boxes.length >= 2 * this.max + 16) this.prune()
  }

  private prune(): void {
    this.boxes = this.sorted()
    const last = this.boxes[this.boxes.length - 1]
    this.minSize = this.boxes.length >= this.max && last ? (last[2] - last[0]) * (last[3] - last[1]) : -1
  }

  sorted(): BBox[] {
    const size = (x: BBox): number => (x[2] - x[0]) * (x[3] - x[1])
    return this.boxes.sort((x, y) => size(y) - size(x) || x[0] - y[0] || x[1] - y[1]).slice(0, this.max)
  }
}
