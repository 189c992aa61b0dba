import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, test } from 'vitest'
import { diffLayouts, xorLayout } from '../src/diff/index.js'
import { ItemRenderer, viewOf } from '../src/ipc/render-core.js'
import { Layout, readLayout, writeLayoutFile } from '../src/layout/index.js'
import { decodePng, LayerStyles, renderLayout, xorOverlay } from '../src/render/index.js'
import { rng, SEED } from './helpers/seed.js'

/*
 * The web viewer's tiles are the renderer's pictures: a view of a loaded layout is renderLayout's image for that
 * window, labels drawn in the shipped font (issue 19: the same drawing as the failure pictures), and an overlay
 * tile, which draws only the XOR polygons near the view, is xorOverlay's picture with all of them.
 */

function chip(shift: number): Layout {
  const r = rng(SEED + 71)
  const ly = new Layout({ name: 'CHIP' })
  const leaf = ly.newCell('LEAF')
  for (let i = 0; i < 300; i++) {
    const x = Math.floor(r() * 5000), y = Math.floor(r() * 5000)
    leaf.addBox(1 + (i % 3), x, y, x + 20 + Math.floor(r() * 300), y + 20 + Math.floor(r() * 300))
  }
  leaf.addText(4, 'VDD', 100, 100)
  leaf.addText(4, 'out_a', 4000, 2500)
  const top = ly.newCell('TOP')
  for (let i = 0; i < 80; i++) top.place(leaf, { x: (i % 10) * 6000 + (i === 33 ? shift : 0), y: Math.floor(i / 10) * 6000, rotation: 90 * (i % 4), mirror: i % 3 === 0 })
  for (let i = 0; i < 2000; i++) {
    const x = Math.floor(r() * 60000), y = Math.floor(r() * 48000)
    top.addPolygon(5, [x, y, x + 200, y, x + 100, y + 170 + (i === 7 ? shift : 0)])
  }
  return ly
}

const dir = mkdtempSync(join(tmpdir(), 'laytest-tiles-'))
const a = join(dir, 'a.gds'), b = join(dir, 'b.gds')
writeLayoutFile(chip(0), a)
writeLayoutFile(chip(40), b)

const windows: Array<[number, number, number, number] | undefined> = [undefined, [0, 0, 20000, 12000], [17000, 11000, 19500, 13000], [20990, 20, 21010, 35]]

describe('viewer tiles', () => {
  test('a loaded layout: renderLayout\'s picture of the window, labels included', async () => {
    const styles = new LayerStyles()
    const r = new ItemRenderer(styles)
    const item = { key: '1:1', kind: 'load' as const, title: 'a', files: { layout: a } }
    const info = await r.info(item)
    const ly = readLayout(a)
    for (const win of windows) {
      const view = viewOf(win ?? info.box, 320, 200)
      const tile = decodePng(await r.render(item, { which: 'reference', w: 320, h: 200, win }))
      const want = renderLayout(ly, { view, styles, texts: true }).image
      expect(Buffer.from(tile.data).equals(Buffer.from(want.data)), JSON.stringify(win)).toBe(true)
    }
    // labels are drawn (and can be turned off)
    const win: [number, number, number, number] = [0, 0, 6000, 4000]
    const on = decodePng(await r.render(item, { which: 'reference', w: 300, h: 200, win }))
    const off = decodePng(await r.render(item, { which: 'reference', w: 300, h: 200, win, texts: false }))
    expect(Buffer.from(on.data).equals(Buffer.from(off.data))).toBe(false)
    expect(Buffer.from(off.data).equals(Buffer.from(renderLayout(ly, { view: viewOf(win, 300, 200), styles }).image.data))).toBe(true)
  })

  test('a diff: the overlay tile is xorOverlay\'s picture with every XOR polygon', async () => {
    const styles = new LayerStyles()
    const r = new ItemRenderer(styles)
    const item = { key: '2:1', kind: 'diff' as const, title: 'a vs b', files: { reference: a, test: b } }
    const info = await r.info(item)
    expect(info.clusters.length).toBeGreaterThan(0)
    const ref = readLayout(a)
    const xor = await xorLayout(await diffLayouts(ref, readLayout(b), { maxBoxes: 50 }))
    const polygons: ArrayLike<number>[] = []
    for (const c of xor.cells.values()) {
      for (const s of c.layers.values()) {
        const d = s.boxes.data
        for (let i = 0; i < s.boxCount; i++) polygons.push([d[4 * i]!, d[4 * i + 1]!, d[4 * i + 2]!, d[4 * i + 1]!, d[4 * i + 2]!, d[4 * i + 3]!, d[4 * i]!, d[4 * i + 3]!])
        for (let i = 0; i < s.polygonCount; i++) polygons.push(s.polyCoords.data.subarray(s.polyStarts.data[i]!, s.polyStarts.data[i + 1]!))
      }
    }
    expect(polygons.length).toBeGreaterThan(0)
    for (const win of [...windows, info.clusters[0]!]) {
      const view = viewOf(win ?? info.box, 300, 240)
      const tile = decodePng(await r.render(item, { which: 'overlay', w: 300, h: 240, win }))
      const want = xorOverlay(ref, { polygons, clusters: [] }, { view, styles, insets: 0, texts: true })
      expect(Buffer.from(tile.data).equals(Buffer.from(want.data)), JSON.stringify(win)).toBe(true)
    }
  })
})
