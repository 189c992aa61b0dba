import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { diffLayouts } from '../src/diff/index.js'
import { summarize } from '../src/index.js'
import { readOasis } from '../src/layout/oasisio.js'
import { expectFlattenMatchesOracle } from './helpers/flat-oracle.js'
import { HAVE_SHARED, ROOT, SHARED, sharedNotice, type OracleJson } from './helpers/corpus.js'

/*
 * The OASIS files of the shared corpus (6, KLayout's own test data) against their KLayout 0.28.5 oracles, with
 * the checks test/oracle.test.ts makes for GDSII (dbu, top cells, every cell's box and shape / instance / array
 * counts, ghost cells, flat shape counts and boxes per layer, flat texts), plus the merged area of every layer
 * (exact: none of these files places anything at other angles than multiples of 90 degrees or magnified).
 * Four small ones are copied into test/fixtures/oasis/corpus/ so that this runs without ../shared.
 */

sharedNotice('the OASIS oracle comparison')

interface OasisCorpusFile {
  name: string
  path: string
  oracle: OracleJson
}

function oasisFiles(base: string): OasisCorpusFile[] {
  const dir = join(base, 'oasis')
  if (!existsSync(dir)) return []
  return readdirSync(dir).sort().map((name) => ({
    name, path: join(dir, name), oracle: JSON.parse(readFileSync(join(base, 'oracle', `${name}.json`), 'utf8')) as OracleJson,
  }))
}

const fixtures = oasisFiles(join(ROOT, 'test/fixtures/oasis/corpus'))
const shared = HAVE_SHARED ? oasisFiles(SHARED) : []
const files = [...shared, ...fixtures.filter((f) => !shared.some((s) => s.name === f.name))]
/**
 * Files with any-angle polygons that overlap: KLayout snaps the intersection points of merged polygons to the
 * grid, laytest's areas are exact (t166: 14282556154.5 dbu^2 exact, KLayout 14282556753, 4e-8 apart).
 */
const ANY_ANGLE: Record<string, number> = { 'klayout__t166.oas.gz': 1e-7 }
const ghosts = (f: OasisCorpusFile): boolean => Object.values(f.oracle.cells).some((c) => c.ghost)

describe('every OASIS corpus file matches its KLayout 0.28.5 oracle', () => {
  it('has files to check', () => {
    expect(fixtures.length).toBe(4)
    if (HAVE_SHARED) expect(shared.length).toBe(6)
  })

  it.each(files.map((f) => [f.name, f] as const))('%s', (_name, f) => {
    const layout = readOasis(f.path, { ghostCells: ghosts(f) ? 'empty' : 'error' })
    const s = summarize(layout)
    const o = f.oracle
    // KLayout's dbu from the unit, computed as KLayout does: 0.0009999999999999998 for 1000 per micron
    expect(s.dbu).toBe(o.dbu)
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
    // ghost cells are an error unless asked for
    if (ghosts(f)) expect(() => readOasis(f.path, { strict: true })).toThrow(/undefined: .*--strict/)
  })

  it.each(files.map((f) => [f.name, f] as const))('merged areas per layer equal KLayout\'s: %s', async (_name, f) => {
    const layout = readOasis(f.path, { ghostCells: 'empty' })
    for (const [top, layers] of Object.entries(f.oracle.flat)) {
      if (Object.keys(layers).length === 0) continue
      const { result } = await diffLayouts(layout, layout, { topA: top, topB: top, areas: true, prune: false })
      for (const [l, v] of Object.entries(layers)) {
        const mine = result.layers[l]!.aArea!
        const near = ANY_ANGLE[f.name]
        if (near === undefined) expect(mine, `${top} ${l}`).toBe(v.merged_area_dbu2)
        else expect(Math.abs(mine - v.merged_area_dbu2) / v.merged_area_dbu2, `${top} ${l}: ${mine} vs ${v.merged_area_dbu2}`).toBeLessThan(near)
      }
    }
  }, 120_000)

  // flatten() is what XOR and rendering use: check it independently of the bottom-up statistics
  it.each(files.map((f) => [f.name, f] as const))('flatten() reaches the oracle counts and boxes: %s', (_name, f) => {
    expectFlattenMatchesOracle(readOasis(f.path, { ghostCells: 'empty' }), f.oracle)
  })

})
