import { describe, expect, test } from 'vitest'
import {
  DEFAULT_MAX_ARRAY_MEMBERS, DEFAULT_MAX_VERTICES, GdsError, Layout, LayoutLimitError, diffLayouts, layerKey, readLayout,
  fitView, renderLayout, summarize, writeLayout,
} from '../src/index.js'
import { rasterizeCell } from '../src/render/render.js'
import { T, concat, i2, i4, library, rec, str, struct } from './helpers/rawgds.js'

/*
 * The builder enforces the reader's limits with the reader's words (issue 14, item 5): what can be built can be
 * written and read back, and a layout at those limits is compared in time proportional to its size, not to its
 * number of flat array members.
 */

function thrown(f: () => unknown): Error {
  try {
    f()
  } catch (e) {
    return e as Error
  }
  throw new Error('expected an error')
}

/** The GdsError the reader gives for these bytes. */
function readerError(bytes: Uint8Array): GdsError {
  const e = thrown(() => readLayout(bytes, { file: 'limits.gds' }))
  expect(e).toBeInstanceOf(GdsError)
  return e as GdsError
}

/** A BOUNDARY of `points` (x, y pairs, the closing point included), XY records of at most 8191 points. */
function bigBoundary(points: number[]): Uint8Array {
  const xy: Uint8Array[] = []
  for (let k = 0; k < points.length; k += 2 * 8191) xy.push(rec(T.XY, 3, i4(...points.slice(k, k + 2 * 8191))))
  return concat(rec(T.BOUNDARY, 0), rec(T.LAYER, 2, i2(1)), rec(T.DATATYPE, 2, i2(0)), ...xy, rec(T.ENDEL, 0))
}

/** A star of n distinct vertices (alternating radii: no in-line vertex), flat x, y list, not closed. */
function star(n: number, cx = 0, cy = 0): number[] {
  const out: number[] = []
  for (let i = 0; i < n; i++) {
    const r = i % 2 ? 90_000 : 100_000
    out.push(cx + Math.round(r * Math.cos((2 * Math.PI * i) / n)), cy + Math.round(r * Math.sin((2 * Math.PI * i) / n)))
  }
  return out
}

describe('the builder refuses what the reader refuses, in the same words', () => {
  test('array members: 32767 x 32767 is refused like the reader refuses it', () => {
    const l = new Layout()
    const m = l.newCell('M').addBox(1, 0, 0, 5, 5)
    const top = l.newCell('TOP')
    const e = thrown(() => top.placeArray(m, { cols: 32767, rows: 32767, colStep: [10, 0], rowStep: [0, 10] }))
    expect(e).toBeInstanceOf(LayoutLimitError)
    expect(e).toBeInstanceOf(RangeError)
    expect(e.message).toBe('array in TOP: at most 16777216 array members (found 32767 x 32767 = 1073676289)')
    expect((e as LayoutLimitError).limit).toBe('array-members')
    expect((e as LayoutLimitError).max).toBe(DEFAULT_MAX_ARRAY_MEMBERS)
    expect(top.instances).toHaveLength(0)
    // the reader, on a file holding that array
    const aref = concat(rec(T.AREF, 0), rec(T.SNAME, 6, str('M')), rec(T.COLROW, 2, i2(32767, 32767)),
      rec(T.XY, 3, i4(0, 0, 327670, 0, 0, 327670)), rec(T.ENDEL, 0))
    const g = readerError(library(struct('M'), struct('TOP', aref)))
    expect(g.record).toBe('COLROW')
    expect(e.message.endsWith(`: ${g.expected}`)).toBe(true)
    // at the limit: accepted, written and read back
    top.placeArray(m, { cols: 4096, rows: 4096, colStep: [10, 0], rowStep: [0, 10] })
    expect(() => top.placeArray(m, { cols: 4097, rows: 4096, colStep: [10, 0], rowStep: [0, 10] })).toThrow(LayoutLimitError)
    expect(readLayout(writeLayout(l)).getCell('TOP')!.instances[0]!.array).toMatchObject({ cols: 4096, rows: 4096 })
  })

  test('vertices: a 1,000,000-vertex polygon is refused like the reader refuses it', () => {
    const l = new Layout()
    const c = l.newCell('TOP')
    const e = thrown(() => c.addPolygon(1, star(1_000_000)))
    expect(e).toBeInstanceOf(LayoutLimitError)
    expect(e.message).toBe('polygon in TOP: at most 8191 vertices per element (found 1000001; the GDSII limit is 8191)')
    expect((e as LayoutLimitError).max).toBe(DEFAULT_MAX_VERTICES)
    expect(c.shapeCount).toBe(0)
    // the reader, on a file with a 9000-point boundary (8999 vertices and the closing point)
    const pts = star(8999)
    const g = readerError(library(struct('TOP', bigBoundary([...pts, pts[0]!, pts[1]!]))))
    expect(g.record).toBe('XY')
    expect(thrown(() => c.addPolygon(1, pts)).message).toBe(`polygon in TOP: ${g.expected}`)
  })

  test('vertices: the limit counts what is written (distinct vertices and the closing point)', () => {
    const l = new Layout()
    const c = l.newCell('TOP')
    c.addPolygon(1, star(8190)) // written as 8191 points
    expect(c.layers.get(layerKey(1))!.polyCoords.length).toBe(2 * 8190)
    const closed = star(8190)
    c.addPolygon(2, [...closed, closed[0]!, closed[1]!]) // closed by the caller: the same
    expect(() => c.addPolygon(3, star(8191))).toThrow(/at most 8191 vertices per element \(found 8192;/)
    // points that normalisation drops do not count: 10,000 points along a square's edges are a box
    const square: number[] = []
    for (let i = 0; i < 9997; i++) square.push(i, 0)
    square.push(9997, 0, 9997, 9997, 0, 9997)
    c.addPolygon(4, square)
    expect(c.layers.get(layerKey(4))!.boxCount).toBe(1)
    // paths: 8191 points, not one more
    const line = (n: number): number[] => Array.from({ length: 2 * n }, (_, k) => (k % 2 ? (k >> 1) % 2 : k >> 1))
    c.addPath(5, line(8191), 2)
    expect(() => c.addPath(6, line(8192), 2)).toThrow(/^path in TOP: at most 8191 vertices per element \(found 8192;/)
    // everything accepted is written and read back unchanged
    const back = readLayout(writeLayout(l)).getCell('TOP')!
    expect(back.layers.get(layerKey(1))!.polyCoords.length).toBe(2 * 8190)
    expect(back.layers.get(layerKey(5))!.pathCoords.length).toBe(2 * 8191)
  })
})

describe('a layout at the reader limits is compared in time proportional to its size', () => {
  /**
   * A 4096 x 4096 array (the most members the reader accepts), the same on a skewed lattice, an array of such
   * arrays (2^48 flat members), an 8190-vertex polygon, and a small box between two rows of the first array
   * (moved by `dx` in B), on three layers. Nothing else differs: only the box's window is compared, and the
   * arrays are walked only where they meet it (walking every member took minutes).
   */
  function atLimits(dx: number): Layout {
    const l = new Layout()
    const m = l.newCell('M').addBox(1, 0, 0, 5, 5).addBox(2, 0, 0, 5, 5).addBox(3, 0, 0, 5, 5)
    const arr = l.newCell('ARR')
    arr.placeArray(m, { cols: 4096, rows: 4096, colStep: [10, 0], rowStep: [0, 10] })
    const top = l.newCell('TOP')
    top.placeArray(m, { cols: 4096, rows: 4096, colStep: [10, 0], rowStep: [0, 10] })
    top.placeArray(m, { cols: 4096, rows: 4096, colStep: [10, 3], rowStep: [-3, 10] })
    top.placeArray(arr, { cols: 4096, rows: 4096, colStep: [50_000, 0], rowStep: [0, 50_000] })
    top.addPolygon(1, star(8190, 0, -500_000))
    for (const layer of [1, 2, 3]) top.addBox(layer, 1 + dx, 6, 4 + dx, 9) // in the gap between rows 0 and 1 of column 0
    return l
  }

  test('the diff finds the one-dbu move of the small box, exactly', async () => {
    const a = atLimits(0), b = atLimits(1)
    const same = await diffLayouts(a, atLimits(0), { workers: 0 })
    expect(same.result.equal).toBe(true)
    const d = await diffLayouts(a, b, { workers: 0 })
    expect(d.result.equal).toBe(false)
    for (const layer of ['1/0', '2/0', '3/0']) {
      const l1 = d.result.layers[layer]!
      expect(l1.xorArea).toBe(6) // two 1 x 3 slivers
      expect(l1.bboxes).toEqual([[1, 6, 2, 9], [4, 6, 5, 9]])
    }
    expect(d.result.changedCells!.changed.map((c) => c.name)).toEqual(['TOP'])
    // and the same through a file: the reader accepts every part of it
    const fromFile = await diffLayouts(readLayout(writeLayout(a)), readLayout(writeLayout(b)), { workers: 0 })
    expect(fromFile.result.layers['1/0']!.xorArea).toBe(6)
  })

  test('info figures and a rendering', () => {
    const a = atLimits(0)
    const s = summarize(a)
    // 2^24 + 2^24 + 2^48 array members, the polygon and the box
    expect(s.flat.TOP!['1/0']!.shapes).toBe(2 ** 48 + 2 ** 25 + 2)
    expect(s.flat.TOP!['2/0']!.shapes).toBe(2 ** 48 + 2 ** 25 + 1)
    const p = star(8190, 0, -500_000)
    const ys = p.filter((_, k) => k % 2 === 1), xs = p.filter((_, k) => k % 2 === 0)
    const far = 4095 * 50_000 + 40_955 // the last member of the array of arrays
    expect(s.flat.TOP!['1/0']!.bbox).toEqual([Math.min(...xs), Math.min(...ys), far, far])
    const r = renderLayout(a, { size: 128 })
    expect(r.layers).toEqual([layerKey(1), layerKey(2), layerKey(3)])
    let inked = 0
    for (let i = 0; i < r.image.data.length; i += 4) if (r.image.data[i] !== 255) inked++
    // the array of arrays covers most of the picture (each of its members is smaller than a pixel)
    expect(inked).toBeGreaterThan(100 * 100)
    // zoomed in at the origin (as the XOR picture's insets are), one dbu per pixel: the members there are drawn
    // one by one, and only they are visited
    const view = fitView([0, 0, 40, 40], { size: 40, margin: 0 })
    for (const texts of [false, true]) {
      const z = renderLayout(a, { view, texts })
      expect([z.image.width, z.image.height]).toEqual([40, 40])
      const mask = rasterizeCell(a.topCell(), view, (k) => k === layerKey(1)).get(layerKey(1))!
      const ink = (x: number, y: number): boolean => mask.data[(39 - Math.floor(y)) * 40 + Math.floor(x)] === 1
      expect(ink(2.5, 2.5)).toBe(true) // member (0, 0)
      expect(ink(7.5, 2.5)).toBe(false) // between columns 0 and 1
      expect(ink(2.5, 7.5)).toBe(true) // the small box between rows 0 and 1
      expect(ink(12.5, 12.5)).toBe(true) // member (1, 1)
    }
  })
})
