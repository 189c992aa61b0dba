import { execFileSync } from 'node:child_process'
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { gunzipSync } from 'node:zlib'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { diffLayouts } from '../src/diff/index.js'
import { readLayout, writeLayout } from '../src/layout/gdsio.js'
import { layerName } from '../src/layout/layers.js'
import { Layout, type Cell, type Instance } from '../src/layout/layout.js'
import { readOasis, writeOasis, writeOasisFile, type WriteOasisOptions } from '../src/layout/oasisio.js'
import { cellHashes } from '../src/layout/hash.js'
import { summarize } from '../src/layout/stats.js'
import { allCorpusFiles, ROOT, sharedNotice, type OracleJson } from './helpers/corpus.js'

/*
 * Layouts written by laytest's OASIS writer read back equal: geometry (exact XOR per layer and top cell),
 * cell names, instance structure, texts, GDSII properties; the bytes are deterministic. KLayout reads the files
 * with the same figures as the corpus oracles (when installed).
 */

sharedNotice('the OASIS round trip of the corpus')
const KLAYOUT = existsSync('/usr/bin/klayout')
if (!KLAYOUT) console.warn('[laytest tests] KLayout not installed: the check that KLayout reads laytest\'s OASIS files is skipped')

const files = allCorpusFiles()
const VARIANTS: WriteOasisOptions[] = [
  {}, { cblocks: false }, { nameTables: false }, { explicitIds: true, offsetTable: 'start' }, { compressionLevel: 9 },
  { nameTables: false, cblocks: false, offsetTable: 'start' },
]

/** An instance as it must come back: a 1 x n array may come back n x 1 (the same members), angles mod 360. */
function instSig(i: Instance): string {
  let a = i.array
  if (a && a.cols * a.rows === 1) a = null
  if (a && a.cols === 1) a = { cols: a.rows, rows: 1, colX: a.rowX, colY: a.rowY, rowX: 0, rowY: 0 }
  if (a && a.rows === 1) a = { ...a, rowX: 0, rowY: 0 }
  const p = i.placement
  return JSON.stringify([i.cell.name, p.x, p.y, ((p.rotation % 360) + 360) % 360, p.mirror, p.mag, a, i.extras?.props ?? null])
}

function cellSig(c: Cell): unknown {
  const props: string[] = []
  for (const [k, s] of c.layers) for (const e of s.extras ?? []) if (e.extras.props) props.push(`${layerName(k)} ${JSON.stringify(e.extras.props)}`)
  return {
    ghost: c.ghost,
    insts: c.instances.map(instSig).sort(),
    // OASIS texts have a position and a string only
    texts: c.texts.map((t) => JSON.stringify([layerName(t.layer), t.text, t.x, t.y, t.extras?.props ?? null])).sort(),
    props: props.sort(),
    boxes: [...c.layers.values()].reduce((n, s) => n + s.boxCount, 0),
  }
}

async function expectSame(a: Layout, b: Layout, what: string): Promise<void> {
  expect([...b.cells.keys()].sort(), what).toEqual([...a.cells.keys()].sort())
  for (const c of a.cells.values()) expect(cellSig(b.getCell(c.name)!), `${what}: cell ${c.name}`).toEqual(cellSig(c))
  for (const top of a.topCells()) {
    const { result } = await diffLayouts(a, b, { topA: top.name, topB: top.name, workers: 0 })
    const differs = Object.values(result.layers).filter((l) => l.differs).map((l) => `${l.layer}: ${l.xorAreaExact}`)
    expect(differs, `${what}: ${top.name}`).toEqual([])
  }
}

describe('corpus layouts written as OASIS read back equal', () => {
  it.each(files.map((f, i) => [f.name, f, VARIANTS[i % VARIANTS.length]!] as const))('%s', async (_n, f, opts) => {
    const a = readLayout(f.path, { ghostCells: 'empty' })
    const bytes = writeOasis(a, opts)
    const b = readOasis(bytes, { ghostCells: 'empty' })
    await expectSame(a, b, `${f.name} ${JSON.stringify(opts)}`)
    // deterministic, and a fixed point: writing what was read gives the same bytes
    expect(Buffer.from(writeOasis(a, opts)).equals(Buffer.from(bytes))).toBe(true)
    expect(Buffer.from(writeOasis(b, opts)).equals(Buffer.from(bytes))).toBe(true)
  })
})

/** A layout with what the model has: arrays, rotations, mirrors, magnifications, every path type, texts, properties. */
function builderLayout(): Layout {
  const l = new Layout({ dbu: 0.001, name: 'RT' })
  const leaf = l.newCell('leaf')
  leaf.addBox(1, 0, 0, 1000, 500).addBox([1, 3], -200, -200, -100, 700)
  leaf.addPolygon(2, [[0, 0], [800, 0], [800, 300], [400, 300], [400, 600], [0, 600]]) // Manhattan, alternating
  leaf.addPolygon(2, [[1000, 0], [1300, 0], [1300, 100], [1300, 100], [1200, 50], [1100, 300]]) // any angle
  leaf.addPolygon(2, [[2000, 0], [2100, 100], [2100, 300], [1900, 300], [1900, 100]]) // octangular
  leaf.addPolygon([2, 1], [[0, 1000], [100, 1000], [100, 1100], [200, 1100], [200, 1000], [300, 1000], [300, 1300], [0, 1300]])
  leaf.addPath(3, [[0, 0], [1000, 0], [1000, 1000]], 100) // flush
  leaf.addPath(3, [[0, 2000], [700, 2700], [1400, 2000]], 60, { type: 2 }) // half-width ends, 45 degrees
  leaf.addPath(3, [[0, 3000], [1000, 3150], [1500, 4000]], 80, { type: 4, bgnExt: 35, endExt: -10 })
  leaf.addPath(3, [[0, 5000], [500, 5000]], 50, { type: 4, bgnExt: 25, endExt: 25 }) // written as half-width
  leaf.addPath(4, [[0, 6000], [800, 6000], [800, 6500]], 120, { type: 1 }) // round: written as its polygon
  leaf.addPath(4, [[0, 7000], [600, 7100]], 51) // odd width: written as its polygon
  leaf.addPath(4, [[3000, 3000]], 40, { type: 2 }) // one point: its polygon
  leaf.addPath(5, [[0, 0], [100, 0]], 0) // zero width
  leaf.addText(10, 'leaf label', 100, 200).addText([10, 2], 'other', -5, 7).addText(10, 'leaf label', 300, 200)
  const mid = l.newCell('mid cell') // a name with a space (not an n-string; written as it is)
  mid.place(leaf, { x: 0, y: 0 })
  mid.place(leaf, { x: 5000, y: 0, rotation: 90 })
  mid.place(leaf, { x: 10000, y: 0, rotation: 180, mirror: true })
  mid.place(leaf, { x: 15000, y: 0, rotation: 270 })
  mid.place(leaf, { x: 20000, y: 0, rotation: 45, mag: 1.25 })
  mid.place(leaf, { x: 25000, y: 0, rotation: 30.5, mirror: true })
  mid.place(leaf, { x: 30000, y: 0, mag: 0.5 })
  mid.place(leaf, { x: 35000, y: 0, mag: 2, rotation: 90 })
  const top = l.newCell('TOP')
  top.placeArray(mid, { x: 0, y: 0, cols: 3, rows: 2, colStep: [50000, 0], rowStep: [0, 40000] }) // type 1
  top.placeArray(leaf, { x: 0, y: 100000, cols: 4, rows: 1, colStep: [3000, 0], rowStep: [0, 0] }) // type 2
  top.placeArray(leaf, { x: 0, y: 120000, cols: 1, rows: 5, colStep: [0, 0], rowStep: [0, 9000] }) // type 3
  top.placeArray(leaf, { x: 0, y: 200000, cols: 3, rows: 3, colStep: [4000, 1000], rowStep: [-1000, 9000], rotation: 90 }) // type 8
  top.placeArray(leaf, { x: 0, y: 300000, cols: 3, rows: 1, colStep: [-3000, 3000], rowStep: [0, 0], mirror: true }) // type 9
  top.placeArray(leaf, { x: 0, y: 400000, cols: 2, rows: 2, colStep: [-5000, 0], rowStep: [0, -9000] }) // negative steps
  top.placeArray(leaf, { x: 0, y: 500000, cols: 2, rows: 3, colStep: [6000, 0], rowStep: [0, 9000], rotation: 33, mag: 1.5 })
  top.placeArray(leaf, { x: 0, y: 600000, cols: 1, rows: 3, colStep: [0, 0], rowStep: [5000, 5000] }) // 1 x n, not vertical
  // GDSII properties on an instance, a text and shapes
  const inst = top.place(leaf, { x: 700000, y: 0 })
  inst.extras = { props: [{ attr: 1, value: 'instance prop' }, { attr: 7, value: '' }] }
  top.addText(10, 'top label', 0, -1000)
  top.texts[0]!.extras = { props: [{ attr: 2, value: 'text prop' }] }
  const s = top.shapes(1 * 65536)
  s.addBox(0, -5000, 100, -4000, { props: [{ attr: 3, value: 'box prop' }] })
  s.addPolygon([0, -3000, 100, -3000, 50, -2000], 3, { props: [{ attr: 4, value: 'polygon prop \u00e9' }] })
  s.addPath([0, -1000, 500, -1000], 2, 40, 0, 0, 0, { props: [{ attr: 5, value: 'path prop' }, { attr: 5, value: 'twice' }] })
  // a ghost cell: referenced, never defined
  l.cell('GHOST').ghost = true
  top.place(l.getCell('GHOST')!, { x: 1, y: 2 })
  return l
}

describe('builder-made layouts written as OASIS read back equal', () => {
  const a = builderLayout()
  it.each(VARIANTS.map((o) => [JSON.stringify(o), o] as const))('%s', async (_n, opts) => {
    const bytes = writeOasis(a, opts)
    const b = readOasis(bytes, { ghostCells: 'empty' })
    await expectSame(a, b, JSON.stringify(opts))
    expect(b.getCell('GHOST')!.ghost).toBe(true)
    expect(() => readOasis(bytes, { strict: true })).toThrow(/GHOST \(referenced by TOP\)/)
    expect(Buffer.from(writeOasis(a, opts)).equals(Buffer.from(bytes))).toBe(true)
  })

  it('keeps paths as paths where OASIS can (types 0, 2, 4 of even width), polygons where it cannot', () => {
    const b = readOasis(writeOasis(a), { ghostCells: 'empty' })
    const leaf = b.getCell('leaf')!
    const p3 = leaf.layers.get(3 * 65536)!
    expect(p3.pathCount).toBe(4)
    expect([...p3.pathParams.view()]).toEqual([100, 0, 0, 0, 60, 2, 0, 0, 80, 4, 35, -10, 50, 2, 0, 0])
    const p4 = leaf.layers.get(4 * 65536)!
    expect([p4.pathCount, p4.polygonCount]).toEqual([0, 3])
  })

  it('round-ended and odd-width paths, written as polygons, compare equal also placed at an angle or magnified', async () => {
    // a thin round path's end points round onto one line: the polygon drops them; flattening the path must too
    for (const width of [3, 5, 11, 20]) {
      for (const spine of [[[0, 0], [10000, 0], [10000, 7000]], [[0, 0], [7001, 3003]], [[5, 5]]] as Array<Array<[number, number]>>) {
        const ly = new Layout({ name: 'L' })
        const c = ly.newCell('thin').addPath([1, 0], spine, width, { type: 1 }).addPath([2, 0], spine.length > 1 ? spine : [[0, 0], [900, 0]], width | 1)
        const top = ly.newCell('TOP')
        top.place(c, { x: 100, y: 7, rotation: 45 })
        top.place(c, { x: 50000, y: 0, rotation: 30, mag: 1.5 })
        const back = readOasis(writeOasis(ly))
        const d = await diffLayouts(ly, back)
        expect(d.result.equal, `width ${width}, spine ${JSON.stringify(spine)}: ${JSON.stringify(Object.values(d.result.layers).map((l) => l.xorArea))}`).toBe(true)
      }
    }
  })

  it('gives the same content hashes where the shapes are stored the same way', () => {
    const l = new Layout()
    const c = l.newCell('C').addBox(1, 0, 0, 10, 20).addPolygon(2, [[0, 0], [5, 0], [0, 5]]).addPath(3, [[0, 0], [10, 0]], 4, { type: 2 })
    c.addText(4, 'x', 1, 2)
    l.newCell('T').placeArray(c, { cols: 2, rows: 3, colStep: [100, 0], rowStep: [0, 100] })
    const b = readOasis(writeOasis(l))
    for (const n of ['C', 'T']) expect(cellHashes(b.getCell(n)!).full).toBe(cellHashes(l.getCell(n)!).full)
  })

  it('is smaller than GDSII', () => {
    expect(writeOasis(a).length * 2).toBeLessThan(writeLayout(a).length)
  })

  it('writes and reads .oas.gz (gzip detected from the content)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'laytest-oasis-gz-'))
    try {
      const p = join(dir, 'x.oas.gz')
      writeOasisFile(a, p)
      const raw = readFileSync(p)
      expect([raw[0], raw[1]]).toEqual([0x1f, 0x8b])
      expect(Buffer.from(gunzipSync(raw)).equals(Buffer.from(writeOasis(a)))).toBe(true)
      const b = readOasis(p, { ghostCells: 'empty' })
      expect(summarize(b)).toEqual(summarize(readOasis(writeOasis(a), { ghostCells: 'empty' })))
      // and a plain one through the file window, with a window smaller than a CBLOCK
      writeOasisFile(a, join(dir, 'y.oas'))
      const c = readOasis(join(dir, 'y.oas'), { ghostCells: 'empty', windowBytes: 4096 })
      expect(summarize(c)).toEqual(summarize(b))
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  })
})

describe.runIf(KLAYOUT)('KLayout reads laytest\'s OASIS files with the oracle figures', () => {
  const dir = mkdtempSync(join(tmpdir(), 'laytest-oasis-k-'))
  afterAll(() => rmSync(dir, { recursive: true, force: true }))
  const results = new Map<string, OracleJson & { error?: string; flat_cells: Record<string, Record<string, { merged_area_dbu2: number }>> }>()

  beforeAll(() => {
    const list: Array<[string, string]> = []
    files.forEach((f, i) => {
      const a = readLayout(f.path, { ghostCells: 'empty' })
      const p = join(dir, `${i}.oas`)
      writeFileSync(p, writeOasis(a, VARIANTS[i % VARIANTS.length]))
      list.push([p, `${p}.json`])
    })
    writeFileSync(join(dir, 'list.json'), JSON.stringify(list))
    execFileSync('klayout', ['-b', '-rd', `list=${join(dir, 'list.json')}`, '-r', join(ROOT, 'test/fixtures/oasis/klayout-summary.py')], { stdio: 'pipe', timeout: 600_000 })
    files.forEach((f, i) => results.set(f.name, JSON.parse(readFileSync(join(dir, `${i}.oas.json`), 'utf8'))))
  }, 600_000)

  it.each(files.map((f) => [f.name, f] as const))('%s', (_n, f) => {
    const k = results.get(f.name)!
    expect(k.error, 'KLayout reads the file').toBeUndefined()
    const o = f.oracle
    expect(k.top_cells.slice().sort()).toEqual(o.top_cells.slice().sort())
    expect(Object.keys(k.cells).sort()).toEqual(Object.keys(o.cells).sort())
    for (const [name, c] of Object.entries(o.cells)) {
      const m = k.cells[name]!
      expect(m.bbox, `bbox of ${name}`).toEqual(c.bbox)
      for (const key of ['boxes', 'texts', 'instances', 'array_members', 'arrays']) expect(m.counts[key], `${name}.${key}`).toBe(c.counts[key])
      // round paths, odd-width and one-point paths are written as polygons
      expect(m.counts.polygons! + m.counts.paths!, `${name} polygons + paths`).toBe(c.counts.polygons! + c.counts.paths!)
    }
    for (const [top, layers] of Object.entries(o.flat)) {
      for (const [l, v] of Object.entries(layers)) {
        const m = k.flat[top]![l]!
        expect([m.shapes, m.bbox, m.merged_area_dbu2], `${top} ${l}`).toEqual([v.shapes, v.bbox, v.merged_area_dbu2])
      }
      expect(k.texts_flat[top]).toBe(o.texts_flat[top])
    }
  })
})
