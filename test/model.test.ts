import { describe, expect, it } from 'vitest'
import { cellBBox, flatten, layerKey, Layout, pathHull, readLayout, ROUND_END_POINTS, writeLayout, type Cell, type LayerKey } from '../src/index.js'
import { IntBuf } from '../src/layout/intbuf.js'
import { decodeReal8, encodeReal8 } from '../src/gds/real8.js'
import { concat, i2, i4, library, rec, str, struct, T } from './helpers/rawgds.js'
import { dumpLayout } from './helpers/structural.js'

/** Flattens a cell into a sorted list of integer vertex lists (boxes as 4 corners, CCW from lower left). */
function flat(cell: Cell, layer: LayerKey = layerKey(1, 0)): number[][] {
  const out: number[][] = []
  flatten(cell, {
    box(k, l, b, r, t) {
      if (k === layer) out.push([l, b, r, b, r, t, l, t])
    },
    polygon(k, xy, n) {
      if (k === layer) out.push([...xy.subarray(0, 2 * n)])
    },
  })
  return out.sort((a, b) => a[0]! - b[0]! || a[1]! - b[1]!)
}

function doubleArea(xy: number[]): number {
  let a = 0
  for (let i = 0; i < xy.length; i += 2) {
    const j = (i + 2) % xy.length
    a += xy[i]! * xy[j + 1]! - xy[j]! * xy[i + 1]!
  }
  return a
}

function setup(): { layout: Layout; child: Cell; top: Cell } {
  const layout = new Layout({ dbu: 0.001 })
  const child = layout.newCell('child').addBox(1, 0, 0, 10, 20)
  const top = layout.newCell('top')
  return { layout, child, top }
}

describe('layout model: transforms, arrays, bounding boxes (hand-computed)', () => {
  it('rotation by 90 about the origin, then displacement', () => {
    const { child, top } = setup()
    top.place(child, { x: 100, y: 0, rotation: 90 })
    // (x, y) -> (-y, x) + (100, 0): box (0,0)-(10,20) -> (-20,0)-(0,10) -> (80,0)-(100,10)
    expect(flat(top)).toEqual([[80, 0, 100, 0, 100, 10, 80, 10]])
    expect(cellBBox(top)).toEqual([80, 0, 100, 10])
  })

  it('mirror about the x axis comes before rotation (GDSII STRANS order)', () => {
    const { child, top } = setup()
    top.place(child, { mirror: true, rotation: 90 })
    // mirror: (x, y) -> (x, -y): (0,-20)-(10,0); rotate 90: (x, y) -> (-y, x): (0,0)-(20,10)
    expect(cellBBox(top)).toEqual([0, 0, 20, 10])
  })

  it('magnification and an arbitrary angle round vertices half away from zero', () => {
    const { layout, top } = setup()
    const tri = layout.newCell('tri').addPolygon(1, [[0, 0], [10, 0], [0, 10]])
    top.place(tri, { rotation: 45, mag: 2 })
    // (10,0) -> 2*(cos45*10, sin45*10) = (14.14, 14.14) -> (14, 14); (0,10) -> (-14.14, 14.14) -> (-14, 14)
    const [p] = flat(top)
    const pts = new Set<string>()
    for (let i = 0; i < p!.length; i += 2) pts.add(`${p![i]},${p![i + 1]}`)
    expect(pts).toEqual(new Set(['0,0', '14,14', '-14,14']))
  })

  it('regular and skewed arrays place cols x rows members at i*col + j*row', () => {
    const { layout, child, top } = setup()
    top.placeArray(child, { cols: 3, rows: 2, colStep: [20, 0], rowStep: [0, 30] })
    expect(flat(top).length).toBe(6)
    expect(cellBBox(top)).toEqual([0, 0, 50, 50])
    const dot = layout.newCell('dot').addBox(2, 0, 0, 1, 1)
    const skew = layout.newCell('skew')
    skew.placeArray(dot, { x: 5, y: 7, cols: 2, rows: 2, colStep: [10, 5], rowStep: [3, 20] })
    const corners = flat(skew, layerKey(2, 0)).map((p) => `${p[0]},${p[1]}`)
    expect(corners).toEqual(['5,7', '8,27', '15,12', '18,32'])
    // and the same through GDSII (AREF stores the lattice as 3 points) and back
    const again = readLayout(writeLayout(layout))
    expect(flat(again.getCell('skew')!, layerKey(2, 0)).map((p) => `${p[0]},${p[1]}`)).toEqual(corners)
  })

  it('nested placements compose (rotation inside a mirrored, displaced parent)', () => {
    const { layout, child } = setup()
    const mid = layout.newCell('mid')
    mid.place(child, { x: 5, y: 0, rotation: 180 }) // (0,0)-(10,20) -> (-10,-20)-(0,0) +5 -> (-5,-20)-(5,0)
    const top = layout.newCell('top2')
    top.place(mid, { x: 0, y: 100, mirror: true }) // (x,-y): (-5,0)-(5,20) + (0,100)
    expect(cellBBox(top)).toEqual([-5, 100, 5, 120])
    expect(flat(top)).toEqual([[-5, 100, 5, 100, 5, 120, -5, 120]])
  })

  it('a window reports only shapes whose box touches it', () => {
    const { child, top } = setup()
    top.placeArray(child, { cols: 10, rows: 1, colStep: [100, 0], rowStep: [0, 0] })
    const seen: number[] = []
    flatten(top, { box: (_k, l) => seen.push(l), polygon: () => {} }, { window: [250, 0, 410, 5] })
    expect(seen.sort((a, b) => a - b)).toEqual([300, 400])
  })

  it('the builder refuses non-integer coordinates and placements that would make a cycle', () => {
    const { layout, child, top } = setup()
    expect(() => child.addBox(1, 0, 0, 0.5, 1)).toThrow(RangeError)
    top.place(child)
    expect(() => child.place(top)).toThrow(/cycle/)
    expect(() => child.place(child)).toThrow(/cycle/)
    expect(layout.topCells().map((c) => c.name)).toEqual(['top'])
  })
})

describe('paths become polygons like KLayout makes them', () => {
  const hull = (pts: number[], w: number, type: number, bgn = 0, end = 0): number[] => {
    const out = new IntBuf()
    pathHull(pts, 0, pts.length >> 1, w, type, bgn, end, out)
    return [...out.view()]
  }
  const bbox = (xy: number[]): number[] => {
    const xs = xy.filter((_, i) => i % 2 === 0), ys = xy.filter((_, i) => i % 2 === 1)
    return [Math.min(...xs), Math.min(...ys), Math.max(...xs), Math.max(...ys)]
  }

  it('flush, half-width and custom extensions', () => {
    expect(bbox(hull([0, 0, 100, 0], 10, 0))).toEqual([0, -5, 100, 5])
    expect(Math.abs(doubleArea(hull([0, 0, 100, 0], 10, 0)))).toBe(2 * 1000)
    expect(bbox(hull([0, 0, 100, 0], 10, 2))).toEqual([-5, -5, 105, 5])
    expect(bbox(hull([0, 0, 100, 0], 10, 4, 3, 7))).toEqual([-3, -5, 107, 5])
  })

  it('an L-shaped path is the union of its two legs (area by hand)', () => {
    // (0,0) -> (100,0) -> (100,50), width 10, flush: 100x10 + 10x50 - overlap (5x5 outside + ...)
    // legs: x in [0,105] y in [-5,5] (1050) plus x in [95,105] y in [5,50] (450) = 1500
    expect(Math.abs(doubleArea(hull([0, 0, 100, 0, 100, 50], 10, 0)))).toBe(2 * 1500)
  })

  it(`round ends: ${ROUND_END_POINTS} points per half circle, circumscribing the circle`, () => {
    const r = 1000
    const h = hull([0, 0, 10000, 0], 2 * r, 1)
    expect(h.length / 2).toBe(2 * ROUND_END_POINTS)
    const area = Math.abs(doubleArea(h)) / 2
    // a circumscribed regular 2n-gon has area 2n r^2 tan(pi / 2n): above the circle, within 0.5 %
    const n2 = 2 * ROUND_END_POINTS
    expect(area).toBeGreaterThan(10000 * 2 * r + Math.PI * r * r)
    expect(Math.abs(area - (10000 * 2 * r + n2 * r * r * Math.tan(Math.PI / n2)))).toBeLessThan(2 * n2 * r) // vertex rounding
  })

  it('a negative WIDTH (absolute width) has the same outline', () => {
    const file = (w: number): Uint8Array => library(struct('P', concat(rec(T.PATH, 0), rec(T.LAYER, 2, i2(1)), rec(T.DATATYPE, 2, i2(0)),
      rec(T.PATHTYPE, 2, i2(2)), rec(T.WIDTH, 3, i4(w)), rec(T.XY, 3, i4(0, 0, 100, 0)), rec(T.ENDEL, 0))))
    expect(flat(readLayout(file(-10)).getCell('P')!)).toEqual(flat(readLayout(file(10)).getCell('P')!))
    expect(cellBBox(readLayout(file(-10)).getCell('P')!)).toEqual([-5, -5, 105, 5])
  })
})

describe('GDSII reals and the writer', () => {
  it('8-byte reals: known encodings decode exactly and every double round-trips', () => {
    const v = new DataView(new ArrayBuffer(8))
    // 1.0 = 0x41 10 00 00 00 00 00 00 (16^1 * 1/16); 0.5 = 0x40 80 ...; -2 = 0xC1 20 ...
    const known: [number[], number][] = [
      [[0x41, 0x10, 0, 0, 0, 0, 0, 0], 1], [[0x40, 0x80, 0, 0, 0, 0, 0, 0], 0.5], [[0xc1, 0x20, 0, 0, 0, 0, 0, 0], -2],
      [[0, 0, 0, 0, 0, 0, 0, 0], 0],
    ]
    for (const [bytes, value] of known) {
      bytes.forEach((b, i) => v.setUint8(i, b))
      expect(decodeReal8(v, 0)).toBe(value)
      encodeReal8(value, v, 0)
      expect([...new Uint8Array(v.buffer)]).toEqual(bytes)
    }
    for (const x of [0.001, 1e-9, 1e-3 * 1e-6, 123.456, -0.1, 90, 45.5, 1 / 3, 2 ** -200, 1e70]) {
      encodeReal8(x, v, 0)
      expect(decodeReal8(v, 0)).toBe(x)
    }
  })

  it('writes deterministic bytes: no timestamps, same layout -> same file', () => {
    const make = (): Uint8Array => {
      const { layout, child, top } = setup()
      top.place(child, { rotation: 30, mag: 1.5 })
      top.addText(3, 'hello', 1, 2)
      return writeLayout(layout)
    }
    const a = make()
    const b = make()
    expect(Buffer.from(a).equals(Buffer.from(b))).toBe(true)
    // BGNLIB's 12 date words are zero
    const bgnlib = Buffer.from(a).indexOf(Buffer.from([0x00, 0x1c, 0x01, 0x02]))
    expect(bgnlib).toBeGreaterThan(0)
    expect([...a.subarray(bgnlib + 4, bgnlib + 28)].every((x) => x === 0)).toBe(true)
  })

  it('a builder layout survives write -> read structurally', () => {
    const { layout, child, top } = setup()
    child.addPath(2, [[0, 0], [50, 0], [50, 50]], 6, { type: 4, bgnExt: 2, endExt: 3 })
    child.addPolygon(3, [[0, 0], [30, 0], [30, 10], [10, 10], [10, 30], [0, 30]])
    top.place(child, { x: 7, y: -3, rotation: 270, mirror: true, mag: 2 })
    top.placeArray(child, { cols: 4, rows: 3, colStep: [40, 1], rowStep: [-2, 50] })
    top.addText(5, 'label', 10, 10, { rotation: 90, mag: 0.5 })
    expect(dumpLayout(readLayout(writeLayout(layout)))).toEqual(dumpLayout(layout))
  })

  it('names longer than 32 characters and odd lengths survive', () => {
    const name = 'a_very_long_cell_name_that_klayout_writes_without_complaint_x'
    const bytes = library(struct(name, concat(rec(T.BOX, 0), rec(T.LAYER, 2, i2(1)), rec(T.BOXTYPE, 2, i2(0)),
      rec(T.XY, 3, i4(0, 0, 10, 0, 10, 10, 0, 10, 0, 0)), rec(T.ENDEL, 0))), struct('top', concat(rec(T.SREF, 0), rec(T.SNAME, 6, str(name)), rec(T.XY, 3, i4(0, 0)), rec(T.ENDEL, 0))))
    const l = readLayout(bytes)
    expect(l.getCell(name)!.shapeCount).toBe(1)
    expect(readLayout(writeLayout(l)).getCell(name)).toBeDefined()
  })
})
