import { describe, expect, it } from 'vitest'
import { readLayout, summarize } from '../src/index.js'
import { expectFlattenMatchesOracle } from './helpers/flat-oracle.js'
import { allCorpusFiles, hasGhostCells, sharedNotice } from './helpers/corpus.js'

sharedNotice('the KLayout-oracle comparison')
const files = allCorpusFiles()

describe('every corpus file matches its KLayout 0.28.5 oracle', () => {
  it('has files to check', () => expect(files.length).toBeGreaterThanOrEqual(10))

  it.each(files.map((f) => [f.name, f] as const))('%s', (_name, f) => {
    const layout = readLayout(f.path, { ghostCells: hasGhostCells(f) ? 'empty' : 'error' })
    const s = summarize(layout)
    const o = f.oracle
    expect(s.dbu).toBeCloseTo(o.dbu, 12)
    expect(Math.abs(s.dbu - o.dbu) / o.dbu).toBeLessThan(1e-9)
    expect(s.top_cells).toEqual(o.top_cells)
    expect(Object.keys(s.cells).sort()).toEqual(Object.keys(o.cells).sort())
    for (const [name, c] of Object.entries(o.cells)) {
      const mine = s.cells[name]!
      expect(mine.bbox, `bbox of ${name}`).toEqual(c.bbox)
      for (const k of ['polygons', 'boxes', 'paths', 'texts', 'instances', 'array_members', 'arrays']) {
        expect(mine.counts[k as keyof typeof mine.counts], `${name}.${k}`).toBe(c.counts[k])
      }
      expect(!!mine.ghost, `ghost ${name}`).toBe(!!c.ghost)
    }
    for (const [top, layers] of Object.entries(o.flat)) {
      const mine = s.flat[top]!
      expect(Object.keys(mine).sort()).toEqual(Object.keys(layers).sort())
      for (const [l, v] of Object.entries(layers)) {
        expect(mine[l]!.shapes, `${top} ${l} shapes`).toBe(v.shapes)
        expect(mine[l]!.bbox, `${top} ${l} bbox`).toEqual(v.bbox)
      }
      expect(s.texts_flat[top]).toBe(o.texts_flat[top])
      expect(s.flat_bbox[top]).toEqual(o.flat_bbox[top])
    }
  })

  // flatten() is what XOR and rendering use: check it independently of the bottom-up statistics
  it.each(files.map((f) => [f.name, f] as const))('flatten() reaches the oracle counts and boxes: %s', (_name, f) => {
    expectFlattenMatchesOracle(readLayout(f.path, { ghostCells: 'empty' }), f.oracle)
  })

})
