import { writeLayoutFile } from '../layout/gdsio.js'
import { datatypeOf, layerKey, layerOf, type LayerKey } from '../layout/layers.js'
import { Layout, type Cell } from '../layout/layout.js'
import { booleanOps, type BooleanOps } from './clipper.js'
import type { DiffOutcome } from './diff.js'
import { RingSet, signedArea2 } from './rings.js'

/*
 * The XOR result as a layout: one cell, the XOR of input layer L/D on L/D; optionally the compared shapes of A
 * and B on (L + offsetA)/D and (L + offsetB)/D, so the file opens in KLayout as an overlay. GDSII polygons cannot
 * have holes: a polygon with holes is cut by vertical lines through its holes into hole-free pieces ("cut
 * polygons"; together they cover exactly the same area). Vertices are snapped to the dbu grid.
 */

export interface XorLayoutOptions {
  /** Also write the compared shapes of A and B (needs diffLayouts(..., { keepInputs: true })). */
  inputs?: boolean
  /** Layer number offsets of the A and B copies (default 1000 and 2000, modulo 65536). */
  offsetA?: number
  offsetB?: number
  /** Name of the cell (default "XOR"). */
  cell?: string
}

export async function xorLayout(outcome: DiffOutcome, opts: XorLayoutOptions = {}): Promise<Layout> {
  const ops = await booleanOps()
  const layout = new Layout({ dbu: outcome.dbu, name: 'LAYTEST_XOR' })
  const several = !!(outcome.topXor && outcome.result.tops)
  const cell = several && !opts.inputs ? null : layout.newCell(opts.cell ?? 'XOR')
  const put = (key: LayerKey, rs: RingSet, into: Cell | null = cell): void => {
    const flat = withoutHoles(ops, rs)
    const xy: number[] = []
    for (let i = 0; i < flat.count; i++) {
      xy.length = 0
      for (let k = flat.starts[i]!, e = flat.starts[i + 1]!; k < e; k++) {
        const v = flat.xy[k]! / 2
        xy.push(v >= 0 ? Math.floor(v + 0.5) : -Math.floor(-v + 0.5))
      }
      if (xy.length >= 6) into!.addPolygonKey(key, xy, xy.length >> 1, null)
    }
  }
  const shifted = (key: LayerKey, offset: number): LayerKey => layerKey((layerOf(key) + offset) % 65536, datatypeOf(key))
  const tops = outcome.result.tops
  if (outcome.topXor && tops) {
    // several top cells compared pairwise: one XOR cell per pair (their geometry shares one coordinate space,
    // often the same origin), named after the top cell
    outcome.topXor.forEach((xor, i) => {
      const c = layout.newCell(`${opts.cell ?? 'XOR'}_${tops[i]!.name}`)
      for (const [key, tiles] of [...xor].sort((x, y) => x[0] - y[0])) for (const rs of tiles) put(key, rs, c)
    })
  } else {
    for (const [key, tiles] of [...outcome.xor].sort((x, y) => x[0] - y[0])) for (const rs of tiles) put(key, rs)
  }
  if (opts.inputs) {
    if (!outcome.inputs) throw new Error('the compared shapes were not kept: run diffLayouts with keepInputs: true')
    for (const [key, { a, b }] of outcome.inputs) {
      // the inputs overlap each other: merge them first so the copy shows the geometry, not the shape soup
      put(shifted(key, opts.offsetA ?? 1000), ops.union(a))
      put(shifted(key, opts.offsetB ?? 2000), ops.union(b))
    }
  }
  return layout
}

/** Writes the XOR layout to a GDS file (atomically: temp file, then rename). */
export async function writeXorGds(outcome: DiffOutcome, path: string, opts: XorLayoutOptions = {}): Promise<void> {
  writeLayoutFile(await xorLayout(outcome, opts), path)
}

/** Rings with holes cut into hole-free rings covering the same region. */
function withoutHoles(ops: BooleanOps, rs: RingSet): RingSet {
  const cuts: number[] = []
  for (let i = 0; i < rs.count; i++) {
    if (Number(signedArea2(rs.xy, rs.starts[i]!, rs.size(i))) < 0) {
      const b = rs.ringBox(i)
      // a line through the hole's interior opens it towards both sides; on an even (= dbu grid) position
      cuts.push(2 * Math.round((b[0] + b[2]) / 4))
    }
  }
  if (!cuts.length) return rs
  const xs = [...new Set(cuts)].sort((a, b) => a - b)
  let lo = Infinity, bt = Infinity, hi = -Infinity, tp = -Infinity
  for (let i = 0; i < rs.count; i++) {
    const b = rs.ringBox(i)
    lo = Math.min(lo, b[0])
    bt = Math.min(bt, b[1])
    hi = Math.max(hi, b[2])
    tp = Math.max(tp, b[3])
  }
  const edges = [lo, ...xs.filter((x) => x > lo && x < hi), hi]
  const out = new RingSet()
  for (let i = 0; i + 1 < edges.length; i++) ops.clipToBox(rs, edges[i]!, bt, edges[i + 1]!, tp, out)
  return out
}
