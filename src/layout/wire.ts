import { IntBuf } from './intbuf.js'
import { Layout, type Instance, type NodeElement, type Text } from './layout.js'
import { LayerShapes, isSharedEmpty } from './shapes.js'

/*
 * A layout as plain data whose coordinate arrays can be transferred between threads without copying
 * (postMessage with a transfer list): class instances do not survive structured cloning, typed arrays do.
 */

type Arrays = [Int32Array, Int32Array, Int32Array, Int32Array, Int32Array, Int32Array]

export interface WireLayout {
  name: string
  dbu: number
  meters: number
  meta: Layout['meta']
  cells: Array<{
    name: string
    ghost: boolean
    times: number[] | null
    layers: Array<[number, Arrays, LayerShapes['extras']]>
    texts: Text[]
    nodes: NodeElement[]
    instances: Array<Omit<Instance, 'cell'> & { cell: number }>
  }>
}

export function layoutToWire(layout: Layout): { wire: WireLayout; transfer: ArrayBuffer[] } {
  const index = new Map([...layout.cells.values()].map((c, i) => [c, i]))
  const buffers = new Set<ArrayBuffer>()
  const arr = (b: IntBuf): Int32Array => {
    const v = b.data.length === b.length ? b.data : b.data.slice(0, b.length)
    // the shared empty sections (see shapes.ts) are cloned, not transferred: that would detach them here
    if (v.byteLength && !isSharedEmpty(b)) buffers.add(v.buffer as ArrayBuffer)
    return v
  }
  const wire: WireLayout = {
    name: layout.name, dbu: layout.dbu, meters: layout.metersPerDbu, meta: layout.meta,
    cells: [...layout.cells.values()].map((c) => ({
      name: c.name, ghost: c.ghost, times: c.times,
      layers: [...c.layers].map(([k, s]): [number, Arrays, LayerShapes['extras']] => [
        k, [arr(s.boxes), arr(s.polyCoords), arr(s.polyStarts), arr(s.pathCoords), arr(s.pathStarts), arr(s.pathParams)], s.extras,
      ]),
      texts: c.texts, nodes: c.nodes,
      instances: c.instances.map((i) => ({ ...i, cell: index.get(i.cell)! })),
    })),
  }
  return { wire, transfer: [...buffers] }
}

export function layoutFromWire(w: WireLayout): Layout {
  const layout = new Layout({ name: w.name })
  layout.setUnits(w.dbu, w.meters)
  layout.meta = w.meta
  const cells = w.cells.map((c) => layout.newCell(c.name))
  w.cells.forEach((c, i) => {
    const cell = cells[i]!
    cell.ghost = c.ghost
    cell.times = c.times
    for (const [k, a, extras] of c.layers) {
      const s = new LayerShapes(
        new IntBuf(a[0]), new IntBuf(a[1]), new IntBuf(a[2]), new IntBuf(a[3]), new IntBuf(a[4]), new IntBuf(a[5]),
      )
      s.extras = extras
      cell.layers.set(k, s)
    }
    cell.texts.push(...c.texts)
    cell.nodes.push(...c.nodes)
    for (const inst of c.instances) cell.addInstance({ ...inst, cell: cells[inst.cell]! })
  })
  layout.touch()
  return layout
}
