import { describe, expect, test } from 'vitest'
import { diffLayouts } from '../src/diff/index.js'
import { cellLayers, flatten, layerName, readLayout, type Cell, type Layout } from '../src/layout/index.js'
import { allCorpusFiles, hasGhostCells, sharedNotice } from './helpers/corpus.js'

/*
 * Every corpus file against itself (equal, decided by hashes alone) and against a copy with one shape moved by
 * 1 dbu: not equal, the XOR on exactly that layer, the changed-cells report naming that cell as changed in its own
 * content (its ancestors only "through children"), and the pruned engine agreeing with a plain full XOR.
 */

sharedNotice('the corpus self-comparison test')
const files = allCorpusFiles()

const read = (path: string, ghosts: boolean): Layout => readLayout(path, { ghostCells: ghosts ? 'empty' : 'error' })

function reachable(tops: Cell[]): Cell[] {
  const seen = new Set<Cell>()
  const stack = [...tops]
  while (stack.length) {
    const c = stack.pop()!
    if (seen.has(c)) continue
    seen.add(c)
    for (const i of c.instances) stack.push(i.cell)
  }
  return [...seen].sort((a, b) => (a.name < b.name ? -1 : 1))
}

/** How often a cell is placed below the tops (array members counted). */
function placements(layout: Layout, tops: string[], name: string): number {
  const memo = new Map<Cell, number>()
  const count = (c: Cell): number => {
    if (c.name === name) return 1
    if (memo.has(c)) return memo.get(c)!
    let n = 0
    for (const i of c.instances) n += count(i.cell) * (i.array ? i.array.cols * i.array.rows : 1)
    memo.set(c, n)
    return n
  }
  return tops.reduce((n, t) => n + count(layout.getCell(t)!), 0)
}

interface Move {
  cell: string
  layer: number
  kind: 'box' | 'polygon'
  index: number
}

/** Candidate shapes to move: boxes and polygons with area, deepest-looking cells first (names sorted). */
function candidates(layout: Layout): Move[] {
  const out: Move[] = []
  for (const c of reachable(layout.topCells())) {
    for (const [layer, s] of c.layers) {
      const d = s.boxes.data
      let best = -1, bestArea = 0
      for (let i = 0; i < s.boxCount; i++) {
        const area = (d[4 * i + 2]! - d[4 * i]!) * (d[4 * i + 3]! - d[4 * i + 1]!)
        if (area > bestArea) {
          best = i
          bestArea = area
        }
      }
      if (best >= 0) out.push({ cell: c.name, layer, kind: 'box', index: best })
      if (s.polygonCount) out.push({ cell: c.name, layer, kind: 'polygon', index: 0 })
    }
  }
  // cells without children first: the difference then has to be found through the hierarchy
  const leaf = (m: Move): number => (layout.getCell(m.cell)!.instances.length ? 1 : 0)
  return out.sort((a, b) => leaf(a) - leaf(b))
}

/** Every flat edge of the layer is axis-parallel. */
function manhattan(layout: Layout, tops: string[], layer: number): boolean {
  let ok = true
  const sink = {
    box(): void {},
    polygon(_l: number, xy: Float64Array, n: number): void {
      for (let i = 0; i < n && ok; i++) {
        const j = (i + 1) % n
        if (xy[2 * i] !== xy[2 * j] && xy[2 * i + 1] !== xy[2 * j + 1]) ok = false
      }
    },
  }
  for (const t of tops) flatten(layout.getCell(t)!, sink, { layers: new Set([layer]) })
  return ok
}

/** Height of the moved shape times 2: a 1-dbu move in x changes at most that much area. */
function moveBound(layout: Layout, m: Move): number {
  const s = layout.getCell(m.cell)!.layers.get(m.layer)!
  let lo = Infinity, hi = -Infinity
  if (m.kind === 'box') {
    lo = s.boxes.data[4 * m.index + 1]!
    hi = s.boxes.data[4 * m.index + 3]!
  } else {
    const st = s.polyStarts.data
    for (let k = st[m.index]!; k < st[m.index + 1]!; k += 2) {
      lo = Math.min(lo, s.polyCoords.data[k + 1]!)
      hi = Math.max(hi, s.polyCoords.data[k + 1]!)
    }
  }
  return 2 * (hi - lo)
}

function applyMove(layout: Layout, m: Move): void {
  const s = layout.getCell(m.cell)!.layers.get(m.layer)!
  if (m.kind === 'box') {
    s.boxes.data[4 * m.index]! += 1
    s.boxes.data[4 * m.index + 2]! += 1
  } else {
    const st = s.polyStarts.data
    for (let k = st[m.index]!; k < st[m.index + 1]!; k += 2) s.polyCoords.data[k]! += 1
  }
  layout.touch()
}

describe.each(files.map((f) => [f.name, f] as const))('%s', (_name, f) => {
  const ghosts = hasGhostCells(f)
  const tops = f.oracle.top_cells

  test('equals itself, without any XOR', async () => {
    const { result } = await diffLayouts(read(f.path, ghosts), read(f.path, ghosts), { topA: tops, topB: tops })
    expect(result.equal).toBe(true)
    for (const l of Object.values(result.layers)) expect(l.method).toBe('identical')
    expect(result.changedCells!.changed).toEqual([])
  })

  test('one shape moved by 1 dbu: that cell and layer, and the same areas as a full XOR', async () => {
    const a = read(f.path, ghosts)
    let tried = 0
    for (const m of candidates(a)) {
      if (tried++ >= 12) break
      const b = read(f.path, ghosts)
      applyMove(b, m)
      const { result } = await diffLayouts(a, b, { topA: tops, topB: tops })
      // a moved shape can be covered by others on its layer: then nothing changed, try the next one
      if (result.equal) continue
      const differing = Object.values(result.layers).filter((l) => l.differs).map((l) => l.layer)
      expect(differing).toEqual([layerName(m.layer)])
      const area = Number(result.layers[layerName(m.layer)]!.xorAreaExact)
      expect(area).toBeGreaterThan(0)
      // each placement of the cell contributes at most the bound (magnified placements aside)
      expect(area).toBeLessThanOrEqual(moveBound(a, m) * placements(a, tops, m.cell) * 4)
      if (manhattan(a, tops, m.layer)) {
        // Clipper is exact on Manhattan geometry: the pruned result equals a plain full XOR
        const full = await diffLayouts(a, b, { topA: tops, topB: tops, prune: false })
        for (const [k, l] of Object.entries(result.layers)) expect(l.xorAreaExact, k).toBe(full.result.layers[k]!.xorAreaExact)
      }
      const changed = result.changedCells!.changed
      const self = changed.filter((c) => c.self)
      expect(self.map((c) => c.name)).toEqual([m.cell])
      expect(self[0]!.layers).toEqual([layerName(m.layer)])
      // everything else reported changed contains the moved cell
      for (const c of changed) {
        if (c.self) continue
        const cell = a.getCell(c.name)!
        expect(cellLayers(cell).has(m.layer)).toBe(true)
        expect(reachable([cell]).some((x) => x.name === m.cell), `${c.name} is an ancestor of ${m.cell}`).toBe(true)
      }
      return
    }
    // only a file without any flat geometry (KLayout's oracle) may have no shape whose move shows
    const geometry = Object.values(f.oracle.flat).some((layers) => Object.keys(layers).length > 0)
    expect(geometry, 'no moved shape changed the geometry').toBe(false)
  })
})
