import { describe, expect, test } from 'vitest'
import { cellBBox, memo } from '../src/layout/extent.js'
import { Layout, layerKey, type Cell } from '../src/layout/index.js'
import { cellIndex, PackedTree, prepareIndexes } from '../src/render/cell-index.js'
import { collectLabels, decodePng, encodePng, encodePngFast, fitView, LayerStyles, renderLayout, type View } from '../src/render/index.js'
import type { Mask } from '../src/render/raster.js'
import { rasterizeCell } from '../src/render/render.js'
import { rng, runs, SEED } from './helpers/seed.js'

/*
 * The spatial index (src/render/cell-index.ts) changes how much is visited, never the picture: on random
 * hierarchical layouts (boxes, polygons, paths, texts; rotated, mirrored, magnified and non-Manhattan placements;
 * regular, skewed and big arrays; cells with many instances; dense clusters of tiny shapes) and random windows from
 * the full view to deep zoom, the indexed render equals the plain walk pixel for pixel, layer by layer, labels
 * included. And below a pixel, cells and arrays are drawn as their extents.
 */

type R = () => number

function randomLayout(r: R): Layout {
  const int = (a: number, b: number): number => a + Math.floor(r() * (b - a + 1))
  const ly = new Layout({ name: 'RANDOM' })
  const shapes = (c: Cell, n: number, span: number, size: number, layers: number[]): void => {
    for (let i = 0; i < n; i++) {
      const layer = layers[int(0, layers.length - 1)]!
      const x = int(0, span), y = int(0, span), w = int(1, size), h = int(1, size)
      const k = r()
      if (k < 0.55) c.addBox(layer, x, y, x + w, y + h)
      else if (k < 0.8) c.addPolygon(layer, [x, y, x + w, y, x + w, y + Math.max(1, h >> 1), x + (w >> 1), y + h, x, y + h])
      else if (k < 0.9) c.addPolygon(layer, [x, y, x + w, y + int(0, h), x + int(0, w), y + h]) // any angle
      else c.addPath(layer, [[x, y], [x + w, y], [x + w, y + h]], int(0, 40), { type: ([0, 1, 2] as const)[int(0, 2)] })
    }
  }
  const leaves: Cell[] = []
  for (let i = 0; i < 4; i++) {
    const c = ly.newCell(`leaf${i}`)
    shapes(c, int(20, 260), int(200, 3000), int(5, 400), [1, 2, 3, 10 + i])
    for (let t = 0, nt = r() < 0.5 ? int(70, 120) : int(0, 5); t < nt; t++) c.addText(5, `t${i}_${t}`, int(0, 2000), int(0, 2000))
    leaves.push(c)
  }
  // a dense cluster: many tiny shapes in a few pixels at most zooms
  const dense = ly.newCell('dense')
  shapes(dense, int(300, 900), int(20, 80), 6, [1, 2])
  leaves.push(dense)
  const pick = (): Cell => leaves[int(0, leaves.length - 1)]!
  const placement = (): { rotation: number; mirror: boolean; mag: number } => ({
    rotation: r() < 0.1 ? int(1, 359) : 90 * int(0, 3),
    mirror: r() < 0.5,
    mag: r() < 0.15 ? [0.5, 1.5, 2, 0.37][int(0, 3)]! : 1,
  })
  // a cell with many instances (its instances are indexed)
  const many = ly.newCell('many')
  for (let i = 0, n = int(70, 300); i < n; i++) many.place(pick(), { x: int(-20000, 20000), y: int(-20000, 20000), ...placement() })
  shapes(many, int(0, 120), 40000, 2000, [1, 4])
  const top = ly.newCell('TOP')
  top.place(many, { x: 0, y: 0 })
  top.place(many, { x: int(10000, 60000), y: int(-5000, 5000), ...placement() })
  for (let i = 0; i < 4; i++) {
    const cols = int(1, 40), rows = int(1, 40)
    const skew = r() < 0.25
    top.placeArray(pick(), {
      x: int(-50000, 50000), y: int(-50000, 50000), ...placement(), cols, rows,
      colStep: [int(100, 4000), skew ? int(-500, 500) : 0], rowStep: [skew ? int(-500, 500) : 0, int(100, 4000)],
    })
  }
  // a big array of a small cell (its members go below a pixel long before the view is out)
  top.placeArray(r() < 0.5 ? dense : leaves[0]!, { x: int(-80000, 0), y: int(-80000, 0), cols: int(100, 300), rows: int(100, 300), colStep: [300, 0], rowStep: [0, 300] })
  shapes(top, int(50, 300), 100000, 20000, [1, 2, 7])
  for (let t = 0; t < int(0, 90); t++) top.addText(6, `top_${t}`, int(-60000, 60000), int(-60000, 60000))
  return ly
}

/** A window around a random point of the layout, zoomed in 1 .. 2^12 times, of a random size in pixels. */
function randomView(r: R, box: [number, number, number, number]): View {
  const w = 40 + Math.floor(r() * 260), h = 30 + Math.floor(r() * 200)
  const zoom = 2 ** (r() * 12)
  const bw = (box[2] - box[0]) / zoom, bh = (box[3] - box[1]) / zoom
  const cx = box[0] + r() * (box[2] - box[0]), cy = box[1] + r() * (box[3] - box[1])
  // an arbitrary, not round, scale and origin
  const scale = Math.min(w / bw, h / bh) * (0.9 + 0.2 * r())
  const l = cx - w / scale / 2, t = cy + h / scale / 2
  return { l, b: t - h / scale, r: l + w / scale, t, width: w, height: h, scale }
}

function sameMasks(a: Map<number, Mask>, b: Map<number, Mask>): string | null {
  const keys = new Set([...a.keys(), ...b.keys()])
  for (const k of keys) {
    const ma = a.get(k), mb = b.get(k)
    if (!ma || !mb) {
      const m = (ma ?? mb)!
      if (m.data.some((v) => v)) return `layer ${k} drawn on one side only`
      continue
    }
    for (let o = 0; o < ma.data.length; o++) {
      if (ma.data[o] !== mb.data[o]) return `layer ${k}: pixel (${o % ma.width}, ${Math.floor(o / ma.width)}) indexed ${ma.data[o]} plain ${mb.data[o]}`
    }
  }
  return null
}

describe('the indexed render is the plain render', () => {
  test('random layouts and windows: the same masks, layer by layer', async () => {
    const r = rng(SEED + 17)
    let windows = 0
    for (let n = 0; n < runs(10); n++) {
      const ly = randomLayout(r)
      const top = ly.getCell('TOP')!
      // every other layout with all its indexes built first; the others build them as views need them
      if (n % 2) await prepareIndexes(ly, () => Promise.resolve(), 1)
      const full = fitView(cellBBox(top)!, { size: 200 })
      const box: [number, number, number, number] = [full.l, full.b, full.r, full.t]
      for (let w = 0; w < 9; w++) {
        const view = w === 0 || w === 8 ? full : randomView(r, box)
        const indexed = rasterizeCell(top, view, () => true)
        const plain = rasterizeCell(top, view, () => true, undefined, { index: false })
        expect(sameMasks(indexed, plain), `layout ${n}, window ${w}: ${JSON.stringify(view)}`).toBeNull()
        windows++
      }
    }
    expect(windows).toBeGreaterThan(0)
  })

  test('random layouts: the same pictures with labels, and the same labels collected', async () => {
    const r = rng(SEED + 29)
    const styles = new LayerStyles()
    for (let n = 0; n < runs(4); n++) {
      const ly = randomLayout(r)
      if (n % 2) await prepareIndexes(ly, () => Promise.resolve())
      const v0 = fitView(cellBBox(ly.getCell('TOP')!)!, { size: 240 })
      for (let w = 0; w < 4; w++) {
        const view = w === 0 ? v0 : randomView(r, [v0.l, v0.b, v0.r, v0.t])
        const a = renderLayout(ly, { view, cell: 'TOP', texts: true })
        const b = renderLayout(ly, { view, cell: 'TOP', texts: true, index: false })
        expect(Buffer.from(a.image.data).equals(Buffer.from(b.image.data)), `layout ${n}, window ${w}`).toBe(true)
        const top = ly.getCell('TOP')!
        expect(collectLabels(top, view, ly.dbu, styles, () => true)).toEqual(collectLabels(top, view, ly.dbu, styles, () => true, { index: false }))
      }
    }
  })

  test('a layer with only far-away shapes, an empty layout, windows outside everything', () => {
    const ly = new Layout()
    const top = ly.newCell('TOP')
    for (let i = 0; i < 200; i++) top.addBox(1, 1_000_000 + i * 10, 0, 1_000_005 + i * 10, 5)
    const c = ly.newCell('C')
    for (let i = 0; i < 100; i++) top.place(c, { x: i * 1000, y: 0 }) // an empty child, many times
    const views: View[] = [
      { l: 0, b: 0, r: 100, t: 100, width: 50, height: 50, scale: 0.5 },
      { l: 1_000_000, b: -3, r: 1_002_000, t: 7, width: 400, height: 2, scale: 0.2 },
      { l: -1e9, b: -1e9, r: 1e9, t: 1e9, width: 100, height: 100, scale: 100 / 2e9 },
    ]
    for (const view of views) expect(sameMasks(rasterizeCell(top, view, () => true), rasterizeCell(top, view, () => true, undefined, { index: false }))).toBeNull()
  })
})

describe('below a pixel, cells and arrays are drawn as their extents', () => {
  test('an instance smaller than a pixel marks its pixel on each of its layers, its shapes unvisited', () => {
    const ly = new Layout()
    const top = ly.newCell('TOP')
    const tiny = ly.newCell('TINY')
    for (let i = 0; i < 1000; i++) tiny.addBox(1 + (i % 2), i % 30, (i * 7) % 30, (i % 30) + 3, ((i * 7) % 30) + 3)
    top.place(tiny, { x: 5_000, y: 5_000 })
    // 100 dbu per pixel: the cell (33 x 33 dbu) is a third of a pixel
    const view: View = { l: 0, b: 0, r: 10_000, t: 10_000, width: 100, height: 100, scale: 0.01 }
    const masks = rasterizeCell(top, view, () => true)
    for (const k of [layerKey(1), layerKey(2)]) {
      const set = [...masks.get(k)!.data.keys()].filter((o) => masks.get(k)!.data[o])
      expect(set).toEqual([49 * 100 + 50]) // column 50, row 49 (y in (5000, 5100])
    }
    // the cell was never descended into: its shapes were not even indexed
    expect(memo(ly, 'renderIndex', () => new Map<Cell, unknown>()).has(tiny)).toBe(false)
  })

  test('an array of a million members below a pixel is its block of pixels', () => {
    const ly = new Layout()
    const top = ly.newCell('TOP')
    const via = ly.newCell('VIA').addBox(3, 0, 0, 10, 10)
    top.placeArray(via, { x: 1000, y: 2000, cols: 1000, rows: 1000, colStep: [20, 0], rowStep: [0, 20] })
    // 100 dbu per pixel: members are a tenth of a pixel, the array 200 x 200 pixels
    const view: View = { l: 0, b: 0, r: 30_000, t: 30_000, width: 300, height: 300, scale: 0.01 }
    const m = rasterizeCell(top, view, () => true).get(layerKey(3))!
    let x0 = Infinity, y0 = Infinity, x1 = -Infinity, y1 = -Infinity, n = 0
    for (let o = 0; o < m.data.length; o++) {
      if (!m.data[o]) continue
      const i = o % 300, j = Math.floor(o / 300)
      x0 = Math.min(x0, i); x1 = Math.max(x1, i); y0 = Math.min(y0, j); y1 = Math.max(y1, j)
      n++
    }
    // x in [1000, 21000) -> columns 10..209; y in [2000, 22000) -> rows 80..279; every pixel of the block
    expect([x0, y0, x1, y1]).toEqual([10, 80, 209, 279])
    expect(n).toBe(200 * 200)
  })

  test('a dense cluster of shapes in a few pixels: the pixels its shapes mark, nothing more', () => {
    const ly = new Layout()
    const top = ly.newCell('TOP')
    const r = rng(SEED + 5)
    for (let i = 0; i < 20000; i++) {
      const x = Math.floor(r() * 300), y = Math.floor(r() * 300)
      top.addBox(1, x, y, x + 1 + Math.floor(r() * 20), y + 1 + Math.floor(r() * 20))
    }
    const view: View = { l: -50, b: -50, r: 450, t: 450, width: 10, height: 10, scale: 0.02 }
    cellIndex(top).layer(layerKey(1), top.layers.get(layerKey(1))!) // a full view uses an index once it is built
    const a = rasterizeCell(top, view, () => true), b = rasterizeCell(top, view, () => true, undefined, { index: false })
    expect(sameMasks(a, b)).toBeNull()
    expect(a.get(layerKey(1))!.data.some((v) => v)).toBe(true)
  })
})

describe('the index', () => {
  test('a query returns every item whose box touches the window', () => {
    const r = rng(SEED + 41)
    for (let n = 0; n < runs(30); n++) {
      const count = 1 + Math.floor(r() * 3000)
      const boxes = new Int32Array(4 * count)
      for (let i = 0; i < count; i++) {
        const x = Math.floor(r() * 10000) - 5000, y = Math.floor(r() * 10000) - 5000
        const s = r() < 0.05 ? 5000 : 100
        boxes.set([x, y, x + Math.floor(r() * s), y + Math.floor(r() * s)], 4 * i)
      }
      const tree = new PackedTree(boxes, count)
      for (let q = 0; q < 10; q++) {
        const x = Math.floor(r() * 12000) - 6000, y = Math.floor(r() * 12000) - 6000
        const win: [number, number, number, number] = [x, y, x + Math.floor(r() * 3000), y + Math.floor(r() * 3000)]
        const got = new Set(tree.items(win))
        for (let i = 0; i < count; i++) {
          const touches = boxes[4 * i]! <= win[2] && win[0] <= boxes[4 * i + 2]! && boxes[4 * i + 1]! <= win[3] && win[1] <= boxes[4 * i + 3]!
          if (touches) expect(got.has(i)).toBe(true)
        }
      }
    }
  })

  test('a full view does not build indexes; a zoomed one builds those it needs; prepareIndexes builds all', async () => {
    const ly = new Layout()
    const top = ly.newCell('TOP')
    for (let i = 0; i < 1000; i++) top.addBox(1, (i % 40) * 250, Math.floor(i / 40) * 400, (i % 40) * 250 + 100, Math.floor(i / 40) * 400 + 100)
    const k = layerKey(1)
    rasterizeCell(top, { l: 0, b: 0, r: 10000, t: 10000, width: 100, height: 100, scale: 0.01 }, () => true)
    expect(cellIndex(top).builtLayer(k)).toBeUndefined()
    rasterizeCell(top, { l: 0, b: 0, r: 1000, t: 1000, width: 100, height: 100, scale: 0.1 }, () => true)
    expect(cellIndex(top).builtLayer(k)).toBeTruthy()
    const big = randomLayout(rng(SEED + 9))
    let pauses = 0
    await prepareIndexes(big, async () => { pauses++ }, 0)
    expect(pauses).toBeGreaterThan(0)
    for (const c of big.cells.values()) {
      for (const [key, s] of c.layers) if (s.shapeCount > 64) expect(cellIndex(c).builtLayer(key)).toBeTruthy()
      expect(cellIndex(c).instancesBuilt && cellIndex(c).textsBuilt).toBe(true)
    }
  })

  test('built once per cell, rebuilt after a change', () => {
    const ly = new Layout()
    const top = ly.newCell('TOP')
    for (let i = 0; i < 100; i++) top.addBox(1, i, 0, i + 1, 1)
    const a = cellIndex(top)
    expect(cellIndex(top)).toBe(a)
    top.addBox(1, 500, 0, 600, 100)
    const b = cellIndex(top)
    expect(b).not.toBe(a)
    expect(b.layer(layerKey(1), top.layers.get(layerKey(1))!)!.tree.n).toBe(101)
  })
})

describe('tiles', () => {
  test('encodePngFast: the same pixels as encodePng, the same bytes every time', () => {
    const ly = randomLayout(rng(SEED + 3))
    const img = renderLayout(ly, { size: 300, cell: 'TOP', texts: true }).image
    const fast = encodePngFast(img)
    expect(Buffer.from(decodePng(fast).data).equals(Buffer.from(decodePng(encodePng(img)).data))).toBe(true)
    expect(encodePngFast({ ...img, data: img.data.slice() }).equals(fast)).toBe(true)
  })
})
