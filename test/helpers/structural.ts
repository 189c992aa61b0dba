import type { Layout } from '../../src/index.js'
import { layerName } from '../../src/index.js'

/**
 * A plain-data dump of everything a layout holds (cells by name; per layer the shape buffers; texts; instances
 * by child name; nodes; extras), independent of the content hashes, for structural equality in tests.
 */
export function dumpLayout(l: Layout): unknown {
  const cells: Record<string, unknown> = {}
  for (const c of [...l.cells.values()].sort((a, b) => (a.name < b.name ? -1 : 1))) {
    const layers: Record<string, unknown> = {}
    for (const k of [...c.layers.keys()].sort((a, b) => a - b)) {
      const s = c.layers.get(k)!
      if (s.shapeCount === 0) continue
      layers[layerName(k)] = {
        boxes: [...s.boxes.view()],
        polys: [...s.polyCoords.view()],
        polyStarts: [...s.polyStarts.view()],
        paths: [...s.pathCoords.view()],
        pathStarts: [...s.pathStarts.view()],
        pathParams: [...s.pathParams.view()],
        extras: (s.extras ?? []).map((e) => ({ ...e })).sort((a, b) => a.kind - b.kind || a.index - b.index),
      }
    }
    cells[c.name] = {
      ghost: c.ghost,
      layers,
      texts: c.texts.map((t) => ({ ...t, placement: t.placement ?? undefined, absMag: !!t.absMag, absAngle: !!t.absAngle, extras: t.extras ?? null })),
      instances: c.instances.map((i) => ({ cell: i.cell.name, placement: i.placement, array: i.array, absMag: !!i.absMag, absAngle: !!i.absAngle, extras: i.extras ?? null })),
      nodes: c.nodes.map((n) => ({ layer: n.layer, coords: [...n.coords], extras: n.extras ?? null })),
    }
  }
  return { name: l.name, dbu: l.dbu, cells }
}
