import { describe, expect, it } from 'vitest'
import { GdsError, Layout, readLayout, writeLayout } from '../src/index.js'
import { dumpLayout } from './helpers/structural.js'
import { concat, i2, i4, library, rec, struct, T } from './helpers/rawgds.js'

/*
 * The WebAssembly decoder's own limits: its tape (about 2 MB of decoded elements) and its table of layer/datatype
 * pairs (2048 per batch) fill up and are handed over mid-structure; a decoder is reused after a read that
 * failed. Each case is compared with the general path (DATATYPE before LAYER, which the fast path does not take).
 */

function el(layer: number, dt: number, xy: number[], standard: boolean): Uint8Array {
  const L = rec(T.LAYER, 2, i2(layer))
  const D = rec(T.DATATYPE, 2, i2(dt))
  return concat(rec(T.BOUNDARY, 0), ...(standard ? [L, D] : [D, L]), rec(T.XY, 3, i4(...xy)), rec(T.ENDEL, 0))
}

/** concat for many parts (no spread of 200,000 arguments) */
function join(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0))
  let o = 0
  for (const p of parts) {
    out.set(p, o)
    o += p.length
  }
  return out
}

function rectangle(x: number, y: number): number[] {
  return [x, y, x + 10, y, x + 10, y + 20, x, y + 20, x, y]
}

function pentagon(x: number, y: number): number[] {
  return [x, y, x + 10, y, x + 10, y + 20, x + 5, y + 30, x, y + 20, x, y]
}

describe('the element decoder', () => {
  it('hands over a full tape mid-structure: a cell of 200,000 shapes reads as on the general path', () => {
    const shapes = (standard: boolean): Uint8Array[] =>
      Array.from({ length: 200_000 }, (_, i) => el(1 + (i % 3), 0, i % 4 === 3 ? pentagon(i, -i) : rectangle(i, 2 * i), standard))
    const fast = readLayout(library(struct('BIG', join(shapes(true)))))
    const general = readLayout(library(struct('BIG', join(shapes(false)))))
    expect(fast.cells.get('BIG')!.shapeCount).toBe(200_000)
    expect(fast.cells.get('BIG')!.layers.get(65536)!.polygonCount).toBe(16_667)
    expect(dumpLayout(fast)).toEqual(dumpLayout(general))
  })

  it('hands over a full table of layers: 3,000 layer/datatype pairs in one structure', () => {
    const shapes = (standard: boolean): Uint8Array[] =>
      Array.from({ length: 6000 }, (_, i) => el(i % 1500, Math.floor(i / 1500) % 2, i % 2 ? pentagon(i, i) : rectangle(i, i), standard))
    const fast = readLayout(library(struct('MANY', ...shapes(true))))
    expect(fast.cells.get('MANY')!.layers.size).toBe(3000)
    expect(dumpLayout(fast)).toEqual(dumpLayout(readLayout(library(struct('MANY', ...shapes(false))))))
  })

  it('is reused after a read that failed half-way, with nothing left over from it', () => {
    const good = library(struct('A', el(1, 0, rectangle(0, 0), true), el(2, 0, pentagon(5, 5), true)))
    const expected = dumpLayout(readLayout(good))
    // a structure whose shapes are decoded, then a truncated record before ENDSTR
    const whole = library(struct('B', ...Array.from({ length: 50 }, (_, i) => el(7, 0, rectangle(i, i), true))))
    const cut = whole.subarray(0, whole.length - 100)
    for (let i = 0; i < 3; i++) {
      expect(() => readLayout(cut)).toThrow(GdsError)
      expect(dumpLayout(readLayout(good))).toEqual(expected)
    }
  })

  it('reads layouts from the builder back exactly, however the file is windowed', () => {
    const l = new Layout({ name: 'W' })
    const c = l.newCell('C')
    for (let i = 0; i < 5000; i++) {
      if (i % 3 === 0) c.addPolygon(1 + (i % 5), [0, 0, 10 + i, 0, 10 + i, 7, 3, 7 + i % 11, 0, 7].map((v) => v + i))
      else if (i % 3 === 1) c.addBox(2, i, i, i + 5, i + 9)
      else c.addPath(3, [[i, 0], [i + 100, 50]], 10, { type: i % 2 ? 2 : 0 })
    }
    const bytes = writeLayout(l)
    const whole = dumpLayout(readLayout(bytes))
    expect(whole).toEqual(dumpLayout(l))
    for (const windowBytes of [65536, 65536 + 6, 100_000]) expect(dumpLayout(readLayout(bytes, { windowBytes }))).toEqual(whole)
  })
})
