/**
 * The layouts shipped in `examples/`: a small ring-resonator test chip written with laytest's builder API.
 *
 *   npm run examples      # rewrites examples/ring.gds and examples/ring-v2.gds
 *
 * `ring-v2.gds` is the same chip with a 10 nm smaller coupling gap in one ring and a moved label, which is
 * what a regression test should catch.
 */
import { Layout, writeLayout, type Cell } from '../src/index.js'

export interface RingChipOptions {
  /** Ring radius in µm. */
  radius?: number
  /** Gap between bus and ring in µm. */
  gap?: number
  /** Gap of the second ring in µm (defaults to `gap`). */
  gap2?: number
  /** Label position x in µm. */
  labelX?: number
}

const WG = { layer: 1, datatype: 0 }
const SLAB = { layer: 2, datatype: 0 }
const METAL = { layer: 41, datatype: 0 }
const LABEL = { layer: 66, datatype: 0 }

/** Points of an annulus approximated by `n` segments, as one polygon (outer CCW, inner CW, joined by a cut). */
function annulus(r: number, w: number, n: number): [number, number][] {
  const outer: [number, number][] = []
  const inner: [number, number][] = []
  for (let i = 0; i <= n; i++) {
    const a = (2 * Math.PI * i) / n
    outer.push([Math.round((r + w / 2) * Math.cos(a)), Math.round((r + w / 2) * Math.sin(a))])
    inner.push([Math.round((r - w / 2) * Math.cos(a)), Math.round((r - w / 2) * Math.sin(a))])
  }
  return [...outer, ...inner.reverse()]
}

function ring(layout: Layout, name: string, radiusDbu: number, gapDbu: number): Cell {
  const w = 500
  const c = layout.newCell(name)
  c.addPolygon(WG, annulus(radiusDbu, w, 128))
  const y = -(radiusDbu + w + gapDbu)
  c.addPath(WG, [[-radiusDbu - 5000, y], [radiusDbu + 5000, y]], w)
  c.addBox(SLAB, -radiusDbu - 3000, y - 3000, radiusDbu + 3000, radiusDbu + 3000)
  return c
}

export function ringChip(opts: RingChipOptions = {}): Layout {
  const um = 1000 // dbu = 1 nm
  const radius = Math.round((opts.radius ?? 10) * um)
  const gap = Math.round((opts.gap ?? 0.2) * um)
  const gap2 = Math.round((opts.gap2 ?? opts.gap ?? 0.2) * um)
  const layout = new Layout({ name: 'RING_CHIP', dbu: 0.001 })
  const pad = layout.newCell('pad')
  pad.addBox(METAL, -40 * um, -40 * um, 40 * um, 40 * um)
  const r1 = ring(layout, 'ring_a', radius, gap)
  const r2 = gap2 === gap ? r1 : ring(layout, 'ring_b', radius, gap2)
  const top = layout.newCell('TOP')
  top.place(r1, { x: 0, y: 0 })
  top.place(r2, { x: 60 * um, y: 0, rotation: 90 })
  top.place(r1, { x: 120 * um, y: 0, mirror: true })
  top.placeArray(pad, { x: -50 * um, y: 80 * um, cols: 4, rows: 1, colStep: [100 * um, 0], rowStep: [0, 0] })
  // a bend on the metal layer, routed as a path with square ends
  top.addPath(METAL, [[-50 * um, 40 * um], [-50 * um, 20 * um], [0, 20 * um]], 5 * um, { type: 2 })
  top.addText(LABEL, 'ring chip', Math.round((opts.labelX ?? 0) * um), -30 * um)
  return layout
}

export function exampleFiles(): Record<string, Uint8Array> {
  return {
    'ring.gds': writeLayout(ringChip()),
    'ring-v2.gds': writeLayout(ringChip({ gap2: 0.19, labelX: 5 })),
  }
}
