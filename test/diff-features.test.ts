import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, test } from 'vitest'
import { diffCommand } from '../src/cli/diff.js'
import { DiffError, diffLayouts, writeXorGds, xorLayout } from '../src/diff/index.js'
import { Layout, readLayout, writeLayout } from '../src/layout/index.js'
import { FIXTURES } from './helpers/corpus.js'

const pair = (name: string): [Layout, Layout] => [
  readLayout(join(FIXTURES, 'pairs', `${name}__a.gds`)),
  readLayout(join(FIXTURES, 'pairs', `${name}__b.gds`)),
]

async function diffError(p: Promise<unknown>): Promise<DiffError> {
  try {
    await p
  } catch (e) {
    expect(e).toBeInstanceOf(DiffError)
    return e as DiffError
  }
  throw new Error('expected a DiffError')
}

describe('changed-cells report', () => {
  test('a renamed cell is "renamed", its parent identical (hashes carry no names)', async () => {
    const { result } = await diffLayouts(...pair('cell_renamed'))
    expect(result.equal).toBe(true)
    expect(result.changedCells!.renamed).toEqual([{ a: 'INV2', b: 'INV2_RENAMED' }])
    expect(result.changedCells!.changed).toEqual([])
    expect(result.changedCells!.identical).toContain('RINGO')
  })

  test('a moved box: its cell changed in its own content on that layer', async () => {
    const { result } = await diffLayouts(...pair('box_moved_1dbu'))
    expect(result.changedCells!.changed).toEqual([{ name: 'RINGO', layers: ['6/0'], self: true, texts: false }])
    // two 1-dbu slivers: the left edge uncovered, the right edge newly covered
    expect(result.layers['6/0']!.bboxes).toEqual([[-1700, 1620, -1699, 1980], [-1340, 1620, -1339, 1980]])
    expect(result.layers['6/0']!.polygons).toBe(2)
  })

  test('a flattened hierarchy: equal geometry, subcells only in A', async () => {
    const { result } = await diffLayouts(...pair('hierarchy_flattened'))
    expect(result.equal).toBe(true)
    expect(result.changedCells!.onlyInA.length).toBeGreaterThan(0)
    expect(result.changedCells!.changed.map((c) => c.name)).toEqual(['RINGO'])
  })
})

describe('options', () => {
  test('a layer on one side only: "only in", or an error with missingLayer: error', async () => {
    const [a, b] = pair('layer_added')
    const { result } = await diffLayouts(a, b)
    expect(result.layers['100/0']!.onlyIn).toBe('b')
    expect(result.layers['100/0']!.xorArea).toBe(15000000)
    expect((await diffError(diffLayouts(a, b, { missingLayer: 'error' }))).code).toBe('missing-layer')
  })

  test('tolerance: a 1-dbu sliver is sliver-only at 2 dbu, a difference at 0.5 dbu', async () => {
    const [a, b] = pair('sliver_1dbu')
    const loose = await diffLayouts(a, b, { tolerance: 0.002 })
    expect(loose.result.equal).toBe(true)
    expect(loose.result.layers['2/0']!.sliverOnly).toBe(true)
    expect(loose.result.layers['2/0']!.xorArea).toBe(1280)
    const tight = await diffLayouts(a, b, { tolerance: 0.0005 })
    expect(tight.result.equal).toBe(false)
    expect(tight.result.layers['2/0']!.sliverOnly).toBe(false)
    // a real difference survives any small tolerance
    const moved = await diffLayouts(...pair('layer_added'), { tolerance: 0.01 })
    expect(moved.result.equal).toBe(false)
  })

  test('labels: compared by default (as kfactory\'s and gdsfactory\'s difftest), ignored on request', async () => {
    const [a, b] = pair('text_moved')
    expect((await diffLayouts(a, b, { ignoreLabels: true })).result.equal).toBe(true)
    const { result } = await diffLayouts(a, b)
    expect(result.equal).toBe(false)
    expect(result.labels!.onlyInA.map((l) => l.text)).toEqual(['OSC'])
    expect(result.labels!.onlyInB).toEqual([{ ...result.labels!.onlyInA[0]!, x: result.labels!.onlyInA[0]!.x + 100, y: result.labels!.onlyInA[0]!.y + 50 }])
  })

  test('layers: include, exclude and map', async () => {
    const [a, b] = pair('datatype_changed')
    expect(Object.keys((await diffLayouts(a, b, { layers: { include: ['8/0', '8/1'] } })).result.layers)).toEqual(['8/0', '8/1'])
    expect((await diffLayouts(a, b, { layers: { exclude: ['8/0', '8/1'] } })).result.equal).toBe(true)
    const mapped = await diffLayouts(a, b, { layers: { map: { '8/1': '8/0' } } })
    expect(mapped.result.equal).toBe(true)
    expect(mapped.result.layers['8/0']!.method).toBe('full')
  })

  test('dbu: integer multiples are scaled, others need dbuRounding', async () => {
    expect((await diffLayouts(...pair('dbu_differs'))).result.equal).toBe(true)
    const a = readLayout(join(FIXTURES, 'gds/klayout__t10.gds'))
    const b = readLayout(join(FIXTURES, 'gds/klayout__strmxor_in2.gds'))
    expect((await diffError(diffLayouts(a, b))).code).toBe('dbu')
    expect((await diffLayouts(a, b, { dbuRounding: true })).result.equal).toBe(false)
  })

  test('several top cells: compared pairwise by name, or as chosen', async () => {
    const [a, b] = pair('two_tops_second_differs')
    const { result } = await diffLayouts(a, b)
    expect(result.equal).toBe(false)
    expect(result.tops!.map((t) => [t.name, t.equal])).toEqual([['A', false], ['X', true]])
    const e = await diffError(diffLayouts(a, b, { topA: 'A' }))
    expect(e.code).toBe('top')
    expect(e.message).toMatch(/layout B has 2 top cells \(A, X\); name them with topB \(--top-b\) too/)
    expect((await diffLayouts(a, b, { topA: 'X', topB: 'X' })).result.equal).toBe(true)
    expect((await diffLayouts(a, b, { topA: 'A', topB: 'A' })).result.equal).toBe(false)
    expect((await diffError(diffLayouts(a, b, { topA: 'NOPE', topB: 'A' }))).message).toMatch(/no cell named NOPE/)
  })

  test('areas: each side\'s merged area', async () => {
    const { result } = await diffLayouts(...pair('huge_coordinates'), { areas: true })
    expect(result.layers['4/0']!.aArea).toBe(1e16)
    expect(result.layers['4/0']!.bArea).toBe(0)
    expect(result.layers['4/0']!.xorAreaExact).toBe('10000000000000000')
  })
})

describe('XOR as GDS', () => {
  test('the written XOR has the XOR area, and with inputs the A and B copies on offset layers', async () => {
    const outcome = await diffLayouts(...pair('box_moved_1dbu'), { keepInputs: true })
    const file = join(mkdtempSync(join(tmpdir(), 'laytest-')), 'xor.gds')
    await writeXorGds(outcome, file, { inputs: true })
    const back = readLayout(file)
    const layers = [...back.getCell('XOR')!.layers.keys()].map((k) => `${Math.floor(k / 65536)}/${k % 65536}`).sort()
    expect(layers).toEqual(['1006/0', '2006/0', '6/0'])
    // XOR of the XOR file's 6/0 against nothing has the XOR's area
    const empty = new Layout()
    empty.newCell('XOR')
    const again = await diffLayouts(back, empty, { layers: { include: ['6/0'] } })
    expect(again.result.layers['6/0']!.xorArea).toBe(720)
  })

  test('an XOR with a hole is written as cut polygons covering exactly the same region', async () => {
    const a = new Layout(), b = new Layout()
    const ta = a.newCell('T')
    b.newCell('T')
    // a frame: 100x100 minus the 60x60 middle, from four boxes
    ta.addBox(1, 0, 0, 100, 20).addBox(1, 0, 80, 100, 100).addBox(1, 0, 0, 20, 100).addBox(1, 80, 0, 100, 100)
    const outcome = await diffLayouts(a, b)
    expect(outcome.result.layers['1/0']!.xorArea).toBe(10000 - 3600)
    const written = await xorLayout(outcome)
    const cell = written.getCell('XOR')!
    expect(cell.shapeCount).toBeGreaterThan(1)
    // geometrically the same as A
    written.getCell('XOR')!.rename('T')
    expect((await diffLayouts(written, a)).result.equal).toBe(true)
  })
})

describe('what is compared', () => {
  test('one changed leaf: only that leaf and its ancestors are compared', async () => {
    const build = (w: number): Layout => {
      const ly = new Layout()
      const leafA = ly.newCell('leafA').addBox(1, 0, 0, w, 100)
      const leafB = ly.newCell('leafB').addBox(1, 0, 0, 50, 50).addBox(2, 0, 0, 10, 10)
      const mid = ly.newCell('mid')
      mid.place(leafA, { x: 0, y: 0 })
      mid.place(leafB, { x: 500, y: 0 })
      const other = ly.newCell('other')
      other.place(leafB, { x: 0, y: 0, rotation: 90 })
      const top = ly.newCell('TOP')
      top.place(mid, { x: 0, y: 0 })
      top.placeArray(other, { x: 0, y: 1000, cols: 3, rows: 1, colStep: [300, 0], rowStep: [0, 0] })
      return ly
    }
    const same = await diffLayouts(build(100), build(100))
    expect(same.result.comparedCells).toEqual([])
    const { result } = await diffLayouts(build(100), build(101))
    expect(result.comparedCells).toEqual(['TOP', 'leafA', 'mid'])
    expect(result.layers['1/0']!.xorArea).toBe(100)
    expect(result.layers['2/0']!.method).toBe('identical')
  })
})

describe('changed-cells report: geometry that moved to another layer differs on both layers', () => {
  /** TOP with a fixed box on 1/0 and a box on `layer`/0 (and, with `extra`, one more on 100/0). */
  const flat = (layer: number, extra = false): Layout => {
    const ly = new Layout()
    const top = ly.newCell('TOP').addBox(1, 0, 0, 5000, 5000).addBox({ layer, datatype: 0 }, 0, 0, 1000, 1000)
    if (extra) top.addBox({ layer: 100, datatype: 0 }, 2000, 2000, 3000, 3000)
    return ly
  }
  /** TOP places CHILD twice; CHILD's box is on `layer`/0; with `both`, another cell has 40/0 and 42/0 on both sides. */
  const hier = (layer: number, both: boolean, extra = false): Layout => {
    const ly = new Layout()
    const child = ly.newCell('CHILD').addBox(1, 0, 0, 100, 100).addBox({ layer, datatype: 0 }, 0, 0, 50, 50)
    if (extra) child.addBox({ layer: 100, datatype: 0 }, 60, 60, 90, 90)
    const top = ly.newCell('TOP')
    top.place(child, { x: 0, y: 0 })
    top.place(child, { x: 1000, y: 0, rotation: 90 })
    if (both) {
      const other = ly.newCell('OTHER').addBox({ layer: 40, datatype: 0 }, 0, 0, 10, 10).addBox({ layer: 42, datatype: 0 }, 0, 0, 10, 10)
      top.place(other, { x: 5000, y: 5000 })
    }
    return ly
  }
  const differing = (r: { layers: Record<string, { layer: string; xorAreaExact: string }> }): string[] =>
    Object.values(r.layers).filter((l) => l.xorAreaExact !== '0').map((l) => l.layer)

  test('a box moved from 40/0 to 42/0 in the top cell: TOP changed on 40/0 and 42/0, with any pruning option', async () => {
    for (const o of [{}, { areas: true }, { prune: false }, { tolerance: 0.0001 }]) {
      const { result } = await diffLayouts(flat(40), flat(42), o)
      expect(differing(result), JSON.stringify(o)).toEqual(['40/0', '42/0'])
      expect(result.changedCells!.changed, JSON.stringify(o)).toEqual([{ name: 'TOP', layers: ['40/0', '42/0'], self: true, texts: false }])
    }
  })

  test('the CLI says which layers changed, never "no geometry change", when geometry moved layer', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'laytest-layer-move-'))
    const files = (name: string, a: Layout, b: Layout): [string, string] => {
      const fa = join(dir, `${name}-a.gds`), fb = join(dir, `${name}-b.gds`)
      writeFileSync(fa, writeLayout(a))
      writeFileSync(fb, writeLayout(b))
      return [fa, fb]
    }
    const top = await diffCommand(...files('flat', flat(40), flat(42)), { json: false, cache: false })
    expect(top.equal).toBe(false)
    expect(top.text).not.toMatch(/no geometry change/)
    expect(top.text).toMatch(/changed +TOP: layers 40\/0 42\/0 \(own content\)/)
    const child = await diffCommand(...files('hier', hier(40, false), hier(42, false)), { json: false, cache: false })
    expect(child.text).not.toMatch(/no geometry change/)
    expect(child.text).toMatch(/changed +CHILD: layers 40\/0 42\/0 \(own content\)/)
    expect(child.text).toMatch(/changed +TOP: layers 40\/0 42\/0 \(through children\)/)
  })

  test('a shape moved to another layer inside a child cell: the child and its parent changed on both layers', async () => {
    // both: 40/0 and 42/0 exist on both sides (the XOR prunes them); else each is on one side only
    for (const both of [false, true]) {
      const { result } = await diffLayouts(hier(40, both), hier(42, both))
      expect(differing(result), `both=${both}`).toEqual(['40/0', '42/0'])
      expect(result.changedCells!.changed, `both=${both}`).toEqual([
        { name: 'CHILD', layers: ['40/0', '42/0'], self: true, texts: false },
        { name: 'TOP', layers: ['40/0', '42/0'], self: false, texts: false },
      ])
      expect(result.changedCells!.identical).toEqual(both ? ['OTHER'] : [])
    }
  })

  test('a layer only in B, or only in A: a geometry change on that layer', async () => {
    for (const [a, b] of [[flat(40), flat(40, true)], [flat(40, true), flat(40)]] as const) {
      const { result } = await diffLayouts(a, b)
      expect(differing(result)).toEqual(['100/0'])
      expect(result.changedCells!.changed).toEqual([{ name: 'TOP', layers: ['100/0'], self: true, texts: false }])
    }
    const { result } = await diffLayouts(hier(40, true), hier(40, true, true))
    expect(differing(result)).toEqual(['100/0'])
    expect(result.changedCells!.changed).toEqual([
      { name: 'CHILD', layers: ['100/0'], self: true, texts: false },
      { name: 'TOP', layers: ['100/0'], self: false, texts: false },
    ])
  })

  test('only compared layers are named: include, exclude and map', async () => {
    const report = async (o: Parameters<typeof diffLayouts>[2]): Promise<{ layers: string[]; differing: string[] }> => {
      const { result } = await diffLayouts(flat(40), flat(42), o)
      const changed = result.changedCells!.changed
      expect(changed.map((c) => c.name)).toEqual(['TOP'])
      return { layers: changed[0]!.layers, differing: differing(result) }
    }
    expect(await report({ layers: { exclude: ['42/0'] } })).toEqual({ layers: ['40/0'], differing: ['40/0'] })
    expect(await report({ layers: { include: ['1/0', '42/0'] } })).toEqual({ layers: ['42/0'], differing: ['42/0'] })
    // mapped onto one layer the geometry is the same: no layer differs, in the XOR or in the report
    expect(await report({ layers: { map: { '40/0': '42/0' } } })).toEqual({ layers: [], differing: [] })
    // mapped, but moved as well: the mapped layer differs
    const moved = flat(42)
    moved.getCell('TOP')!.addBox({ layer: 42, datatype: 0 }, 4000, 0, 4100, 100)
    const { result } = await diffLayouts(flat(40), moved, { layers: { map: { '40/0': '42/0' } } })
    expect(differing(result)).toEqual(['42/0'])
    expect(result.changedCells!.changed).toEqual([{ name: 'TOP', layers: ['42/0'], self: true, texts: false }])
  })
})
