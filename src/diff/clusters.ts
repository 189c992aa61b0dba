import Flatbush from 'flatbush'
import type { BBox } from '../layout/bbox.js'
import type { RingSet } from './rings.js'

/*
 * Difference clusters: the XOR's polygons after stitching the pieces that tile and window borders cut apart.
 * Within one tile Clipper already returns merged polygons (outer rings; holes are not counted, as KLayout counts
 * a polygon with holes once). A piece touching its tile's border is joined with every other border piece whose
 * box touches its box: exact for Manhattan results, and for others it can only join too much, never split.
 */

export interface Clusters {
  count: number
  /** Cluster boxes in dbu (outward-rounded), largest first. */
  boxes: BBox[]
}

interface Piece {
  box: BBox
  border: boolean
}

export class ClusterCollector {
  private pieces: Piece[] = []

  /** Adds the outer rings of a tile's XOR result (doubled units) cut to `tile`. */
  add(rs: RingSet, tile: BBox): void {
    for (let i = 0; i < rs.count; i++) {
      const a = rs.ringArea2(i)
      if (a <= 0) continue
      const [l, b, r, t] = rs.ringBox(i)
      const border = l <= tile[0] || b <= tile[1] || r >= tile[2] || t >= tile[3]
      this.pieces.push({ box: [Math.floor(l / 2), Math.floor(b / 2), Math.ceil(r / 2), Math.ceil(t / 2)], border })
    }
  }

  result(maxBoxes: number): Clusters {
    const border = this.pieces.filter((p) => p.border)
    const boxes: BBox[] = this.pieces.filter((p) => !p.border).map((p) => p.box)
    if (border.length) {
      const idx = new Flatbush(border.length)
      for (const p of border) idx.add(p.box[0], p.box[1], p.box[2], p.box[3])
      idx.finish()
      const parent = Int32Array.from(border, (_, i) => i)
      const find = (i: number): number => {
        while (parent[i] !== i) i = parent[i] = parent[parent[i]!]!
        return i
      }
      border.forEach((p, i) => {
        for (const j of idx.search(p.box[0], p.box[1], p.box[2], p.box[3])) {
          const ri = find(i), rj = find(j)
          if (ri !== rj) parent[ri] = rj
        }
      })
      const groups = new Map<number, BBox>()
      border.forEach((p, i) => {
        const r = find(i)
        const g = groups.get(r)
        if (!g) groups.set(r, [...p.box])
        else {
          g[0] = Math.min(g[0], p.box[0])
          g[1] = Math.min(g[1], p.box[1])
          g[2] = Math.max(g[2], p.box[2])
          g[3] = Math.max(g[3], p.box[3])
        }
      })
      for (const g of groups.values()) boxes.push(g)
    }
    const size = (b: BBox): number => (b[2] - b[0]) * (b[3] - b[1])
    const count = boxes.length
    if (count > maxBoxes) {
      // partial selection would do; a full sort of a few million boxes still takes well under a second
      boxes.sort((x, y) => size(y) - size(x))
      boxes.length = maxBoxes
    } else {
      boxes.sort((x, y) => size(y) - size(x) || x[0] - y[0] || x[1] - y[1])
    }
    return { count, boxes }
  }
}
