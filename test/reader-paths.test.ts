import fc from 'fast-check'
import { runs } from './helpers/seed.js'
import { describe, expect, it } from 'vitest'
import { GdsError, readLayout } from '../src/index.js'
import { dumpLayout } from './helpers/structural.js'
import { concat, i2, i4, library, rec, str, struct, T } from './helpers/rawgds.js'

/*
 * The reader takes a fast path for plain BOUNDARY and PATH elements whose records come in the standard order
 * (LAYER, DATATYPE, [PATHTYPE], [WIDTH], [BGNEXTN], [ENDEXTN], XY): a WebAssembly decoder that also normalises
 * polygons (src/gds/wasm/decoder.as.ts, a port of layout/polygon.ts compressRing and ringAsBox). The same
 * elements with DATATYPE before LAYER, which GDSII allows too, take the general path (JavaScript). Both must
 * give the same layout, for any points: closed or open rings, rectangles, degenerate, repeated and in-line
 * points, coordinates whose cross products exceed 2^53, every path type, negative widths, extensions; and in
 * any mix (fast and general elements of one layer interleaved keep their order).
 */

const BGNEXTN = 0x30
const ENDEXTN = 0x31

interface El {
  kind: 'boundary' | 'path' | 'text'
  layer: number
  dt: number
  xy: number[]
  pathtype?: number
  width?: number
  bgn?: number
  end?: number
}

function encode(e: El, standard: boolean): Uint8Array {
  const L = rec(T.LAYER, 2, i2(e.layer))
  const D = rec(e.kind === 'text' ? T.TEXTTYPE : T.DATATYPE, 2, i2(e.dt))
  const ld = standard ? [L, D] : [D, L]
  if (e.kind === 'text') return concat(rec(T.TEXT, 0), ...ld, rec(T.XY, 3, i4(e.xy[0]!, e.xy[1]!)), rec(T.STRING, 6, str('t')), rec(T.ENDEL, 0))
  const opt: Uint8Array[] = []
  if (e.pathtype !== undefined) opt.push(rec(T.PATHTYPE, 2, i2(e.pathtype)))
  if (e.width !== undefined) opt.push(rec(T.WIDTH, 3, i4(e.width)))
  if (e.bgn !== undefined) opt.push(rec(BGNEXTN, 3, i4(e.bgn)))
  if (e.end !== undefined) opt.push(rec(ENDEXTN, 3, i4(e.end)))
  return concat(rec(e.kind === 'path' ? T.PATH : T.BOUNDARY, 0), ...ld, ...opt, rec(T.XY, 3, i4(...e.xy)), rec(T.ENDEL, 0))
}

const coord = fc.oneof(
  { weight: 4, arbitrary: fc.integer({ min: -3, max: 3 }).map((v) => v * 1000) },
  // extremes: differences up to 2^32, products beyond 2^53 (where in-line tests round the same way or not at all)
  { weight: 1, arbitrary: fc.constantFrom(-(2 ** 31), -(2 ** 30) - 7, -1, 2 ** 30 + 3, 2 ** 31 - 1) },
)
const point = fc.tuple(coord, coord)
const rectangle = fc.tuple(coord, coord, coord, coord, fc.boolean()).map(([x0, y0, x1, y1, ccw]) =>
  ccw ? [x0, y0, x1, y0, x1, y1, x0, y1, x0, y0] : [x0, y0, x0, y1, x1, y1, x1, y0, x0, y0])
const ring = fc.oneof(
  rectangle,
  fc.array(point, { minLength: 1, maxLength: 9 }).chain((pts) => fc.boolean().map((close) => (close ? [...pts, pts[0]!] : pts).flat())),
)
const opt = <T>(a: fc.Arbitrary<T>): fc.Arbitrary<T | undefined> => fc.option(a, { nil: undefined })
const layer = fc.integer({ min: 0, max: 3 })
const element: fc.Arbitrary<El> = fc.oneof(
  fc.record({ kind: fc.constant('boundary' as const), layer, dt: fc.integer({ min: 0, max: 1 }), xy: ring }),
  fc.record({
    kind: fc.constant('path' as const), layer, dt: fc.integer({ min: 0, max: 1 }),
    xy: fc.array(point, { minLength: 1, maxLength: 5 }).map((p) => p.flat()),
    pathtype: opt(fc.constantFrom(0, 1, 2, 4)), width: opt(fc.integer({ min: -400, max: 400 })),
    bgn: opt(fc.integer({ min: -100, max: 300 })), end: opt(fc.integer({ min: -100, max: 300 })),
  }),
  fc.record({ kind: fc.constant('text' as const), layer, dt: fc.constant(0), xy: point.map((p) => [...p]) }),
)

describe('the fast path for plain elements equals the general path', () => {
  it('random BOUNDARY, PATH and TEXT sequences in two cells', () => {
    fc.assert(
      fc.property(fc.array(element, { maxLength: 30 }), fc.array(element, { maxLength: 10 }), (a, b) => {
        const file = (standard: boolean): Uint8Array =>
          library(struct('A', ...a.map((e) => encode(e, standard))), struct('B', ...b.map((e) => encode(e, standard))))
        expect(dumpLayout(readLayout(file(true)))).toEqual(dumpLayout(readLayout(file(false))))
      }),
      { numRuns: runs(400) },
    )
  })

  it('fast and general elements interleaved in one structure keep their order', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(element, fc.boolean()), { maxLength: 40 }), (els) => {
        const mixed = library(struct('A', ...els.map(([e, standard]) => encode(e, standard))))
        const general = library(struct('A', ...els.map(([e]) => encode(e, false))))
        expect(dumpLayout(readLayout(mixed))).toEqual(dumpLayout(readLayout(general)))
      }),
      { numRuns: runs(300) },
    )
  })

  it('an invalid PATHTYPE is refused either way', () => {
    for (const standard of [true, false]) {
      const bytes = library(struct('A', encode({ kind: 'path', layer: 1, dt: 0, xy: [0, 0, 10, 0], pathtype: 3, width: 10 }, standard)))
      expect(() => readLayout(bytes)).toThrow(GdsError)
      expect(() => readLayout(bytes)).toThrow(/PATHTYPE of 0, 1, 2 or 4 \(found 3\)/)
    }
  })
})
