import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { deflateRawSync } from 'node:zlib'
import fc from 'fast-check'
import { afterAll, describe, expect, it } from 'vitest'
import { GdsError } from '../src/gds/errors.js'
import { oasisFastPath } from '../src/gds/oasis/reader.js'
import { OasisBytes } from '../src/gds/oasis/bytes.js'
import { OASIS_MAGIC } from '../src/gds/oasis/records.js'
import { readLayout } from '../src/layout/gdsio.js'
import { layerKey } from '../src/layout/layers.js'
import { Layout } from '../src/layout/layout.js'
import { readOasis, writeOasis, type ReadOasisOptions, type WriteOasisOptions } from '../src/layout/oasisio.js'
import { allCorpusFiles, HAVE_SHARED, ROOT, SHARED } from './helpers/corpus.js'
import { runs, SEED } from './helpers/seed.js'

/*
 * The OASIS parser reads RECTANGLE, POLYGON and PATH records as most files have them through one fast loop
 * (OasisParser.fastElements) and everything else through the general path. The fast loop must read exactly
 * what the general path reads: the same shapes in the same order (the model's arrays compared as they are), the
 * same modal state for the records after them, the same errors. Checked on every OASIS fixture (KLayout's and
 * gdstk-style files, the crafted file with every record type, the strm2oas conversions), on the corpus written
 * by laytest's writer with and without CBLOCKs, on random layouts, and on truncated files; each read also
 * through a 4 KiB window, so that records meet the window's end everywhere.
 */

const tmp = mkdtempSync(join(tmpdir(), 'laytest-oasis-fast-'))
afterAll(() => rmSync(tmp, { recursive: true, force: true }))

/** Everything a read produced, exactly (arrays as they are stored, in order). */
function dump(l: Layout): unknown {
  const cells: unknown[] = []
  for (const c of l.cells.values()) {
    const layers: unknown[] = []
    for (const [k, s] of c.layers) {
      layers.push([
        k, [...s.boxes.view()], [...s.polyCoords.view()], [...s.polyStarts.view()],
        [...s.pathCoords.view()], [...s.pathStarts.view()], [...s.pathParams.view()], JSON.stringify(s.extras ?? null),
      ])
    }
    cells.push({
      name: c.name, ghost: c.ghost, layers,
      insts: c.instances.map((i) => JSON.stringify([i.cell.name, i.placement, i.array, i.extras ?? null])),
      texts: c.texts.map((t) => JSON.stringify(t)),
    })
  }
  return { dbu: l.dbu, cells }
}

/** The read's dump, or its error message. */
function readBoth(read: () => Layout): [unknown, unknown] {
  const once = (): unknown => {
    try {
      return dump(read())
    } catch (e) {
      if (!(e instanceof GdsError)) throw e
      return `error: ${e.message}`
    }
  }
  // three ways: the WebAssembly decoder first (the default), the JavaScript fast loop alone, the general path
  const fast = once()
  oasisFastPath.wasm = false
  let jsFast: unknown
  try {
    jsFast = once()
  } finally {
    oasisFastPath.wasm = true
  }
  oasisFastPath.enabled = false
  try {
    const general = once()
    expect(jsFast, 'the JavaScript fast loop alone').toEqual(general)
    return [fast, general]
  } finally {
    oasisFastPath.enabled = true
  }
}

function expectSameFile(path: string, what: string, opts: ReadOasisOptions = {}): void {
  for (const windowBytes of [undefined, 4096]) {
    const [fast, general] = readBoth(() => readOasis(path, { ...opts, windowBytes, inflateAheadBytes: Infinity }))
    expect(fast, `${what} (window ${windowBytes ?? 'default'})`).toEqual(general)
  }
}

function oasisFiles(dir: string): string[] {
  if (!existsSync(dir)) return []
  const out: string[] = []
  for (const name of readdirSync(dir).sort()) {
    const p = join(dir, name)
    if (statSync(p).isDirectory()) out.push(...oasisFiles(p))
    else if (/\.oas(\.gz)?$/.test(name)) out.push(p)
  }
  return out
}

describe('the fast element loop and the WebAssembly decoder read what the general path reads', () => {
  it('every OASIS fixture (KLayout, gdstk-style, crafted, strm2oas), and the shared corpus\'s', () => {
    const files = [...oasisFiles(join(ROOT, 'test/fixtures/oasis')), ...(HAVE_SHARED ? oasisFiles(join(SHARED, 'oasis')) : [])]
    expect(files.length).toBeGreaterThan(20)
    for (const f of files) expectSameFile(f, f, { ghostCells: 'empty' })
  }, 300_000)

  it('the corpus written by laytest\'s writer (with and without CBLOCKs, name tables, ...)', () => {
    const variants: WriteOasisOptions[] = [{}, { cblocks: false }, { cblocks: false, nameTables: false, offsetTable: 'start' }]
    const files = allCorpusFiles()
    // every file with the first variant; the others on every 5th file (the corpus is large)
    files.forEach((f, i) => {
      let layout: Layout
      try {
        layout = readLayout(f.path, { ghostCells: 'empty' })
      } catch {
        return
      }
      variants.forEach((v, k) => {
        if (k > 0 && i % 5 !== 0) return
        const out = join(tmp, `${f.name}.${k}.oas`)
        writeFileSync(out, writeOasis(layout, v))
        expectSameFile(out, `${f.name} ${JSON.stringify(v)}`, { ghostCells: 'empty' })
      })
    })
  }, 600_000)

  it('random layouts, every writer option', () => {
    const coord = fc.integer({ min: -2_000_000, max: 2_000_000 })
    const big = fc.integer({ min: -2_147_000_000, max: 2_147_000_000 })
    const shape = fc.oneof(
      fc.record({ k: fc.constant('box' as const), l: fc.integer({ min: 0, max: 300 }), x: fc.oneof(coord, big), y: coord, w: fc.integer({ min: 1, max: 300_000 }), h: fc.oneof(fc.integer({ min: 1, max: 300_000 }), fc.constant(-1)) }),
      fc.record({ k: fc.constant('poly' as const), l: fc.integer({ min: 0, max: 300 }), x: coord, y: coord, pts: fc.array(fc.tuple(fc.integer({ min: -100_000, max: 100_000 }), fc.integer({ min: -100_000, max: 100_000 })), { minLength: 3, maxLength: 40 }), manhattan: fc.boolean() }),
      fc.record({ k: fc.constant('path' as const), l: fc.integer({ min: 0, max: 300 }), x: coord, y: coord, pts: fc.array(fc.tuple(fc.integer({ min: -100_000, max: 100_000 }), fc.integer({ min: -100_000, max: 100_000 })), { minLength: 1, maxLength: 20 }), w: fc.integer({ min: 0, max: 5000 }), type: fc.constantFrom(0, 2, 4), ext: fc.integer({ min: -500, max: 500 }) }),
    )
    const opts = fc.record({
      cblocks: fc.boolean(), nameTables: fc.boolean(), explicitIds: fc.boolean(), offsetTable: fc.constantFrom('start' as const, 'end' as const),
    })
    let n = 0
    fc.assert(fc.property(fc.array(fc.array(shape, { maxLength: 300 }), { minLength: 1, maxLength: 4 }), opts, fc.boolean(), (cells, o, withProps) => {
      const l = new Layout()
      cells.forEach((shapes, ci) => {
        const c = l.newCell(`C${ci}`)
        shapes.forEach((s, si) => {
          const key = layerKey(s.l, si % 3)
          const ex = withProps && si % 7 === 3 ? { props: [{ attr: si % 5, value: `v${si}` }] } : null
          if (s.k === 'box') {
            c.addBoxKey(key, s.x, s.y, Math.min(2_147_483_647, s.x + s.w), s.y + (s.h < 0 ? s.w : s.h), ex)
          } else if (s.k === 'poly') {
            const xy: number[] = []
            let x = s.x, y = s.y
            for (const [dx, dy] of s.pts) {
              // Manhattan: a horizontal step, then a vertical one; else one step in any direction
              x += dx
              if (s.manhattan) xy.push(x, y)
              y += dy
              xy.push(x, y)
            }
            c.addPolygonKey(key, xy, xy.length >> 1, ex)
          } else {
            let x = s.x, y = s.y
            const xy = [x, y]
            for (const [dx, dy] of s.pts) xy.push((x += dx), (y += dy))
            c.addPathKey(key, xy, xy.length >> 1, 2 * s.w, s.type, s.type === 4 ? s.ext : 0, s.type === 4 ? -s.ext : 0, ex)
          }
        })
        if (ci > 0) c.place(l.getCell('C0')!, { x: ci * 1000, y: -ci * 77 })
      })
      const bytes = writeOasis(l, o)
      const file = join(tmp, `random-${n++ % 8}.oas`)
      writeFileSync(file, bytes)
      const [fast, general] = readBoth(() => readOasis(bytes))
      expect(fast).toEqual(general)
      expectSameFile(file, `random layout ${n}`)
    }), { seed: SEED, numRuns: runs(60) })
  }, 600_000)

  it('truncated and corrupted files: the same errors (or the same layouts)', () => {
    const l = new Layout()
    const c = l.newCell('A')
    for (let i = 0; i < 400; i++) {
      c.addBox(1 + (i % 3), i * 10, 0, i * 10 + 5 + i, 7 + i)
      c.addPolygon(2, [[i, 0], [i + 40, 3], [i + 5, 60 + i]])
      c.addPath(3, [[0, i], [100, i], [100 + i, 300]], 2 * (1 + (i % 9)))
    }
    for (const o of [{ cblocks: false }, {}] as WriteOasisOptions[]) {
      const bytes = writeOasis(l, o)
      for (let cut = 20; cut < bytes.length; cut += Math.max(1, Math.floor(bytes.length / 97))) {
        const part = bytes.subarray(0, cut)
        const file = join(tmp, 'cut.oas')
        writeFileSync(file, part)
        const [a, b] = readBoth(() => readOasis(part, { file: 'cut.oas' }))
        expect(a, `cut at ${cut}`).toEqual(b)
        expectSameFile(file, `cut at ${cut} (file)`)
      }
      let s = SEED >>> 0
      for (let k = 0; k < runs(300); k++) {
        s = (Math.imul(s ^ (s >>> 15), 0x2c1b3c6d) + 0x6d2b79f5) >>> 0
        const m = new Uint8Array(bytes)
        m[13 + (s % (m.length - 13))] = (s >>> 8) & 0xff
        const [a, b] = readBoth(() => readOasis(m, { file: 'm.oas', maxArrayMembers: 10_000, maxVertices: 100_000 }))
        expect(a, `mutation ${k}`).toEqual(b)
      }
    }
  }, 300_000)

  it('the fixtures read the same as they did before the fast loop (their content is what the other tests check)', () => {
    // a guard that this test compares something: the crafted file has elements the fast loop takes
    const bytes = readFileSync(join(ROOT, 'test/fixtures/oasis/features.oas'))
    expect(readOasis(bytes, { ghostCells: 'empty' }).cells.size).toBeGreaterThan(1)
  })

  it('modal point lists, widths and extensions carry over between the decoder\'s calls and the JavaScript paths', () => {
    // elements the decoder takes, each followed by a record it does not take (XYABSOLUTE / XYRELATIVE), so that
    // the next element, which reuses the modal variables, starts a new call
    const o = new OasisBytes()
    o.bytes(OASIS_MAGIC)
    o.byte(1).str('1.0').real(0, 1000).u(0)
    for (let i = 0; i < 12; i++) o.u(0)
    o.byte(14).str('M')
    o.byte(21).byte(0x3b).u(1).u(0).u(4).u(3).gdelta(100, 0).gdelta(0, 100).gdelta(-50, 50, true).s(1000).s(0)
    o.byte(15)
    o.byte(21).byte(0x18).s(3000).s(500) // the modal point list, layer and datatype
    o.byte(16) // relative coordinates from here
    o.byte(22).byte(0xfb).u(5).u(0).u(10).u(5).u(4).u(2).gdelta(300, 0).gdelta(0, 300).s(100).s(100) // flush ends
    o.byte(15)
    o.byte(22).byte(0x18).s(0).s(0) // the modal path list, half-width and extensions
    o.byte(20).byte(0x7b).u(7).u(0).u(40).u(30).s(5).s(5)
    o.byte(16)
    o.byte(20).byte(0x10).s(100) // modal layer, width, height, y; x relative
    o.byte(15)
    o.byte(21).byte(0x18).s(-7).s(-9) // the polygon list still, after paths and rectangles (on the rectangles' layer)
    const end = o.pos
    o.byte(2).str('x'.repeat(252)).u(0)
    expect(o.pos - end).toBe(256)
    const bytes = o.view().slice()
    const [fast, general] = readBoth(() => readOasis(bytes))
    expect(fast).toEqual(general)
    const m = readOasis(bytes).getCell('M')!
    const ring = (dx: number, dy: number): number[] => [1000, 0, 1100, 0, 1100, 100, 1050, 150].map((v, i) => v + (i & 1 ? dy : dx))
    const poly = m.layers.get(layerKey(1, 0))!
    expect([...poly.polyCoords.view()]).toEqual([...ring(0, 0), ...ring(2000, 500)])
    expect([...m.layers.get(layerKey(7, 0))!.polyCoords.view()]).toEqual(ring(-1007, -9))
    const path = m.layers.get(layerKey(5, 0))!
    expect([...path.pathCoords.view()]).toEqual([3100, 600, 3400, 600, 3400, 900, 0, 0, 300, 0, 300, 300])
    expect([...path.pathParams.view()]).toEqual([20, 0, 0, 0, 20, 0, 0, 0])
    expect([...m.layers.get(layerKey(7, 0))!.boxes.view()]).toEqual([5, 5, 45, 35, 105, 5, 145, 35])
  })

  it('the last element of a CBLOCK: taken with the record after the CBLOCK in view (a property there is its own)', () => {
    const file = (after: 'property' | 'rect'): Uint8Array => {
      const o = new OasisBytes()
      o.bytes(OASIS_MAGIC)
      o.byte(1).str('1.0').real(0, 1000).u(0)
      for (let i = 0; i < 12; i++) o.u(0)
      o.byte(14).str('C')
      const inner = new OasisBytes()
      for (let i = 0; i < 30; i++) inner.byte(20).byte(0x7b).u(3).u(0).u(10 + i).u(20).s(100 * i).s(0)
      const data = inner.view().slice()
      const z = deflateRawSync(data)
      o.byte(34).u(0).u(data.length).u(z.length).bytes(z)
      if (after === 'property') o.byte(28).byte(0x25).str('S_GDS_PROPERTY').u(8).u(7).u(10).str('last one')
      else o.byte(20).byte(0x10).s(5000)
      const end = o.pos
      o.byte(2).str('x'.repeat(252)).u(0)
      expect(o.pos - end).toBe(256)
      return o.view().slice()
    }
    for (const after of ['property', 'rect'] as const) {
      const bytes = file(after)
      const [fast, general] = readBoth(() => readOasis(bytes))
      expect(fast, after).toEqual(general)
      const s = readOasis(bytes).getCell('C')!.layers.get(layerKey(3, 0))!
      expect(s.boxCount).toBe(after === 'rect' ? 31 : 30)
      expect([...s.boxes.view().subarray(4 * 29, 4 * 30)]).toEqual([2900, 0, 2939, 20])
      if (after === 'property') expect(s.extras).toEqual([{ kind: 0, index: 29, extras: { props: [{ attr: 7, value: 'last one' }] } }])
      else expect(s.extras ?? null).toBe(null)
    }
  })

  it('the WebAssembly decoder takes the elements of files KLayout writes (so the comparisons above compare it)', () => {
    const files = oasisFiles(join(ROOT, 'test/fixtures/oasis'))
    const before = oasisFastPath.wasmTook
    let shapes = 0
    for (const f of files) {
      try {
        for (const c of readOasis(f, { ghostCells: 'empty' }).cells.values()) shapes += c.shapeCount
      } catch {
        // (some fixtures are malformed on purpose)
      }
    }
    expect(shapes).toBeGreaterThan(100)
    expect(oasisFastPath.wasmTook - before).toBeGreaterThan(files.length / 4)
  })
})
