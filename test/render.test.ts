import { join } from 'node:path'
import { describe, expect, test } from 'vitest'
import { Layout, layerKey } from '../src/layout/index.js'
import {
  blankImage, comparePixels, encodePng, decodePng, LypError, paletteStyle, readLyp, renderLayout, type Image, type View,
} from '../src/render/index.js'
import { ROOT } from './helpers/corpus.js'

/*
 * Golden-pixel tests: shapes land on the pixels their coordinates and transforms say, with the colours their
 * style says; sub-pixel shapes stay visible; equal inputs give equal bytes; .lyp colours; pixelmatch options.
 */

/** 1 dbu per pixel, 100 x 100 pixels, (0, 0) at the bottom-left corner. */
const VIEW: View = { l: 0, b: 0, r: 100, t: 100, width: 100, height: 100, scale: 1 }

function px(img: Image, i: number, j: number): [number, number, number] {
  const o = 4 * (j * img.width + i)
  return [img.data[o]!, img.data[o + 1]!, img.data[o + 2]!]
}

/** The box of pixels that are not white. */
function inkBox(img: Image): [number, number, number, number] | null {
  let x0 = Infinity, y0 = Infinity, x1 = -Infinity, y1 = -Infinity
  for (let j = 0; j < img.height; j++) {
    for (let i = 0; i < img.width; i++) {
      const [r, g, b] = px(img, i, j)
      if (r === 255 && g === 255 && b === 255) continue
      x0 = Math.min(x0, i); y0 = Math.min(y0, j); x1 = Math.max(x1, i); y1 = Math.max(y1, j)
    }
  }
  return x0 > x1 ? null : [x0, y0, x1, y1]
}

const blend = (bg: number, fg: number, a: number): number => ((bg * (255 - a) + fg * a + 127) / 255) | 0

function single(build: (top: ReturnType<Layout['newCell']>, ly: Layout) => void): Image {
  const ly = new Layout()
  const top = ly.newCell('TOP')
  build(top, ly)
  return renderLayout(ly, { view: VIEW, cell: 'TOP' }).image
}

describe('shapes land where their coordinates say', () => {
  test('a box on 1/0: its pixel rectangle, frame and fill colours', () => {
    const img = single((top) => top.addBox(1, 10, 20, 30, 50))
    // columns 10..29 (x in [10, 30)), rows 50..79 (y in (20, 50], row 0 at the top)
    expect(inkBox(img)).toEqual([10, 50, 29, 79])
    const s = paletteStyle(layerKey(1, 0))
    expect(px(img, 10, 60)).toEqual(s.frame) // left edge
    expect(px(img, 29, 79)).toEqual(s.frame) // corner
    expect(px(img, 20, 65)).toEqual(s.fill.map((c) => blend(255, c, s.alpha))) // inside, solid pattern on datatype 0
    expect(px(img, 9, 60)).toEqual([255, 255, 255])
  })

  test('rotated, mirrored, magnified and arrayed instances', () => {
    const place = (opts: Parameters<ReturnType<Layout['newCell']>['place']>[1]): [number, number, number, number] | null =>
      inkBox(single((top, ly) => top.place(ly.newCell('C').addBox(1, 0, 0, 10, 20), opts)))
    // R90 at (50, 50): x in [30, 50), y in [50, 60)  ->  columns 30..49, rows 40..49
    expect(place({ x: 50, y: 50, rotation: 90 })).toEqual([30, 40, 49, 49])
    // mirrored at the x axis: y in [30, 50)  ->  rows 50..69
    expect(place({ x: 50, y: 50, mirror: true })).toEqual([50, 50, 59, 69])
    // magnification 2: x in [50, 70), y in [50, 90)  ->  rows 10..49
    expect(place({ x: 50, y: 50, mag: 2 })).toEqual([50, 10, 69, 49])
    // 3 x 2 array, steps (20, 0) and (0, 30): x in [10, 60), y in [10, 60)
    const arr = single((top, ly) => top.placeArray(ly.newCell('C').addBox(1, 0, 0, 10, 20), { x: 10, y: 10, cols: 3, rows: 2, colStep: [20, 0], rowStep: [0, 30] }))
    expect(inkBox(arr)).toEqual([10, 40, 59, 89])
    expect(px(arr, 25, 80)).toEqual([255, 255, 255]) // the gap between columns
  })

  test('a shape smaller than a pixel still colours one pixel; a 1-dbu sliver at 1/8 scale is a line', () => {
    const ly = new Layout()
    const top = ly.newCell('TOP')
    top.addBox(1, 400, 400, 401, 401) // 0.125 px at scale 1/8
    top.addBox(1, 100, 100, 101, 700) // 1 dbu wide, 75 px tall
    const view: View = { ...VIEW, r: 800, t: 800, scale: 1 / 8 }
    const img = renderLayout(ly, { view, cell: 'TOP' }).image
    expect(px(img, 50, 49)).toEqual(paletteStyle(layerKey(1, 0)).frame)
    let sliver = 0
    for (let j = 0; j < 100; j++) if (px(img, 12, j)[0] !== 255 || px(img, 12, j)[1] !== 255) sliver++
    expect(sliver).toBe(75)
  })

  test('a diagonal polygon: pixel centres inside are filled, its outline drawn inside', () => {
    const img = single((top) => top.addPolygon(1, [10, 10, 90, 10, 10, 90])) // right triangle
    const s = paletteStyle(layerKey(1, 0))
    expect(px(img, 20, 80)).not.toEqual([255, 255, 255]) // (20.5, 19.5) inside
    expect(px(img, 80, 20)).toEqual([255, 255, 255]) // (80.5, 79.5) outside the hypotenuse
    expect(px(img, 49, 50)).toEqual(s.frame) // on the hypotenuse x + y = 100
  })

  test('the same layout renders to the same PNG bytes, with no time chunk', () => {
    const ly = new Layout()
    const top = ly.newCell('TOP')
    top.addBox(1, 0, 0, 500, 300).addPolygon(2, [0, 0, 400, 100, 200, 400]).addPath(3, [[0, 0], [300, 300]], 20)
    const a = encodePng(renderLayout(ly, { size: 256 }).image)
    const b = encodePng(renderLayout(ly, { size: 256 }).image)
    expect(Buffer.compare(a, b)).toBe(0)
    expect(a.includes(Buffer.from('tIME'))).toBe(false)
    const back = decodePng(a)
    expect(back.width).toBe(256)
  })

  test('texts: off by default; drawn with the shipped font on request, deterministically', () => {
    const ly = new Layout()
    ly.newCell('TOP').addBox(1, 0, 0, 10, 10).addText(66, 'OSC', 30, 50)
    const off = renderLayout(ly, { view: VIEW, cell: 'TOP' }).image
    const on = renderLayout(ly, { view: VIEW, cell: 'TOP', texts: true }).image
    const ink = (img: Image): number => { let n = 0; for (let j = 0; j < 100; j++) for (let i = 25; i < 60; i++) if (px(img, i, j).join() !== '255,255,255') n++; return n }
    expect(ink(off)).toBe(0)
    expect(ink(on)).toBeGreaterThan(20)
    expect(px(on, 30, 50)).toEqual(paletteStyle(layerKey(66, 0)).frame) // the anchor cross
    expect(Buffer.compare(encodePng(on), encodePng(renderLayout(ly, { view: VIEW, cell: 'TOP', texts: true }).image))).toBe(0)
  })

  test('palette colours depend on the layer only', () => {
    const one = single((top) => top.addBox(7, 10, 10, 50, 50))
    const two = single((top) => top.addBox(3, 60, 60, 90, 90).addBox(7, 10, 10, 50, 50))
    expect(px(two, 30, 70)).toEqual(px(one, 30, 70))
    expect(paletteStyle(layerKey(1, 0)).fill).not.toEqual(paletteStyle(layerKey(2, 0)).fill)
  })
})

describe('KLayout layer properties', () => {
  const lyp = join(ROOT, 'test/fixtures/render/klayout-written.lyp') // written by KLayout, see make-lyp.py

  test('colours, hollow and hatched patterns and visibility from a .lyp written by KLayout', () => {
    const styles = readLyp(lyp)
    expect(styles.get(layerKey(1, 0)).name).toBe('metal1')
    const ly = new Layout()
    ly.newCell('TOP').addBox(1, 0, 0, 40, 40).addBox(2, 50, 0, 90, 40).addBox(3, 0, 50, 40, 90).addBox(5, 50, 50, 90, 90).addBox(9, 45, 45, 46, 46)
    const img = renderLayout(ly, { view: VIEW, cell: 'TOP', styles }).image
    // 1/0: #ff0000, solid
    expect(px(img, 0, 70)).toEqual([255, 0, 0])
    expect(px(img, 20, 80)).toEqual([255, blend(255, 0, 110), blend(255, 0, 110)])
    // 2/0: #0000ff, hollow (I1): frame only
    expect(px(img, 50, 80)).toEqual([0, 0, 255])
    expect(px(img, 70, 80)).toEqual([255, 255, 255])
    // 3/0: invisible
    expect(inkBox({ ...img, data: img.data.slice() })).not.toBeNull()
    for (const [i, j] of [[0, 20], [20, 30], [39, 10]]) expect(px(img, i!, j!)).toEqual([255, 255, 255])
    // 5/0: #ffa000, cross-hatched (I12): orange frame, inside both tinted and background pixels
    expect(px(img, 50, 20)).toEqual([255, 160, 0])
    const inside = new Set<string>()
    for (let i = 55; i < 85; i++) inside.add(px(img, i, 25).join())
    expect(inside.has('255,255,255')).toBe(true)
    expect(inside.has([255, blend(255, 160, 110), blend(255, 0, 110)].join())).toBe(true)
    // 9/0 is not in the file: hidden, as in KLayout
    expect(px(img, 45, 54)).toEqual([255, 255, 255])
  })

  test('a broken .lyp is an error naming the file', () => {
    expect(() => readLyp('bad.lyp', '<layer-properties><properties><fill-color>red</fill-color><source>1/0</source></properties></layer-properties>')).toThrow(LypError)
    expect(() => readLyp('bad.lyp', '<html/>')).toThrow(/bad\.lyp: expected a <layer-properties> document/)
  })
})

describe('pixel diff (pixelmatch, Playwright option names)', () => {
  const grey = (v: number): Image => {
    const img = blankImage(10, 10, [v, v, v])
    return img
  }
  // one pixel 20 grey levels darker: YIQ delta 0.5053 * 20^2; pixelmatch's limit is 35215 * threshold^2
  const a = grey(128)
  const b = grey(128)
  b.data.set([108, 108, 108], 4 * 55)
  const tEdge = Math.sqrt((0.5053 * 400) / 35215)

  test('threshold: a pixel differs just below its colour distance, not just above', () => {
    expect(comparePixels(a, b, { threshold: tEdge * 0.99 }).diffPixels).toBe(1)
    expect(comparePixels(a, b, { threshold: tEdge * 1.01 }).diffPixels).toBe(0)
    expect(comparePixels(a, b).diffPixels).toBe(0) // default 0.2 is well above
    expect(comparePixels(a, b, { threshold: 0 }).diffPixels).toBe(1)
  })

  test('maxDiffPixels and maxDiffPixelRatio: at, below and above; both given: the stricter', () => {
    const c = grey(128)
    for (const o of [3, 4, 5]) c.data.set([0, 0, 0], 4 * o) // 3 different pixels of 100
    expect(comparePixels(a, c).pass).toBe(false) // default: none allowed
    expect(comparePixels(a, c, { maxDiffPixels: 3 }).pass).toBe(true)
    expect(comparePixels(a, c, { maxDiffPixels: 2 }).pass).toBe(false)
    expect(comparePixels(a, c, { maxDiffPixelRatio: 0.03 }).pass).toBe(true)
    expect(comparePixels(a, c, { maxDiffPixelRatio: 0.029 }).pass).toBe(false)
    expect(comparePixels(a, c, { maxDiffPixels: 10, maxDiffPixelRatio: 0.02 }).pass).toBe(false)
    expect(comparePixels(a, c, { maxDiffPixels: 2, maxDiffPixelRatio: 0.5 }).pass).toBe(false)
    expect(comparePixels(a, c, { maxDiffPixels: 3, maxDiffPixelRatio: 0.5 }).allowed).toBe(3)
  })

  test('includeAA: an anti-aliasing-like pixel on an edge counts only when asked', () => {
    // black left half, white right half; in B one edge pixel is the mid grey an anti-aliased edge has
    const mk = (): Image => {
      const img = blankImage(10, 10, [255, 255, 255])
      for (let j = 0; j < 10; j++) for (let i = 0; i < 5; i++) img.data.set([0, 0, 0], 4 * (j * 10 + i))
      return img
    }
    const e = mk(), f = mk()
    f.data.set([128, 128, 128], 4 * (5 * 10 + 5))
    expect(comparePixels(e, f, { threshold: 0.1 }).diffPixels).toBe(0)
    expect(comparePixels(e, f, { threshold: 0.1, includeAA: true }).diffPixels).toBe(1)
  })

  test('different sizes: the padding counts as different', () => {
    const r = comparePixels(grey(128), blankImage(10, 12, [128, 128, 128]))
    expect(r.sizeMismatch).toBe(true)
    expect(r.diffPixels).toBe(20)
  })
})
