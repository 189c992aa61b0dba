import { describe, expect, it } from 'vitest'
import { Layout, readLayout, writeLayout, cellHashes, cellHash, type Cell } from '../src/index.js'
import { FIXTURES } from './helpers/corpus.js'
import { join } from 'node:path'

/** TOP -> (A -> LEAF, B -> LEAF2), built fresh each time so that variants can be compared. */
function build(opts: { rename?: boolean; shuffle?: boolean; moveVertex?: boolean } = {}): Layout {
  const l = new Layout()
  const leaf = l.newCell(opts.rename ? 'LEAF_RENAMED' : 'LEAF')
  const leaf2 = l.newCell('LEAF2')
  const a = l.newCell('A')
  const b = l.newCell('B')
  const top = l.newCell('TOP')
  const leafShapes: Array<(c: Cell) => void> = [
    (c) => c.addBox(1, 0, 0, 100, 50),
    (c) => c.addPolygon([2, 0], [[0, 0], [40, 0], [opts.moveVertex ? 61 : 60, 30], [0, 30]]),
    (c) => c.addPath(3, [[0, 0], [100, 0], [100, 100]], 10, { type: 2 }),
    (c) => c.addText(4, 'pin', 5, 5),
  ]
  for (const f of opts.shuffle ? [...leafShapes].reverse() : leafShapes) f(leaf)
  leaf2.addBox(1, 0, 0, 10, 10).addBox(1, 20, 0, 30, 10)
  const insts: Array<() => void> = [
    () => a.place(leaf, { x: 100, y: 0, rotation: 90 }),
    () => a.placeArray(leaf, { x: 0, y: 500, cols: 3, rows: 2, colStep: [200, 0], rowStep: [0, 100] }),
  ]
  for (const f of opts.shuffle ? [...insts].reverse() : insts) f()
  b.place(leaf2, { mirror: true })
  top.place(a)
  top.place(b, { x: 1000, y: 0 })
  return l
}

const h = (l: Layout, name: string): string => cellHash(l.getCell(name)!)

describe('per-cell content hashes', () => {
  it('are the same for identical content built twice', () => {
    expect(h(build(), 'TOP')).toBe(h(build(), 'TOP'))
  })

  it('do not depend on cell names', () => {
    const base = build()
    const renamed = build({ rename: true })
    expect(h(renamed, 'LEAF_RENAMED')).toBe(h(base, 'LEAF'))
    expect(h(renamed, 'TOP')).toBe(h(base, 'TOP'))
    expect(cellHashes(renamed.getCell('TOP')!).full).toBe(cellHashes(base.getCell('TOP')!).full)
  })

  it('do not depend on element order', () => {
    const base = build()
    const shuffled = build({ shuffle: true })
    for (const n of ['LEAF', 'A', 'TOP']) expect(h(shuffled, n)).toBe(h(base, n))
    expect(cellHashes(shuffled.getCell('TOP')!).full).toBe(cellHashes(base.getCell('TOP')!).full)
  })

  it('change for the cell and all its ancestors when a vertex moves 1 dbu, not for siblings', () => {
    const base = build()
    const moved = build({ moveVertex: true })
    for (const n of ['LEAF', 'A', 'TOP']) expect(h(moved, n), n).not.toBe(h(base, n))
    for (const n of ['LEAF2', 'B']) expect(h(moved, n), n).toBe(h(base, n))
    // the per-layer hash says which layer changed
    const lb = cellHashes(base.getCell('TOP')!).layers
    const lm = cellHashes(moved.getCell('TOP')!).layers
    const changed = [...lb.keys()].filter((k) => lb.get(k) !== lm.get(k))
    expect(changed).toEqual([2 * 65536])
  })

  it('separate texts from geometry', () => {
    const a = new Layout()
    a.newCell('T').addBox(1, 0, 0, 10, 10).addText(1, 'x', 0, 0)
    const b = new Layout()
    b.newCell('T').addBox(1, 0, 0, 10, 10).addText(1, 'x', 5, 5)
    expect(h(a, 'T')).toBe(h(b, 'T'))
    expect(cellHashes(a.getCell('T')!).full).not.toBe(cellHashes(b.getCell('T')!).full)
  })

  it('treat a rectangle written as BOUNDARY and a box alike, and a polygon in either orientation alike', () => {
    const a = new Layout()
    a.newCell('T').addBox(1, 0, 0, 10, 10).addPolygon(2, [[0, 0], [10, 0], [5, 8]])
    const b = new Layout()
    b.newCell('T').addPolygon(1, [[0, 10], [10, 10], [10, 0], [0, 0], [0, 10]]).addPolygon(2, [[5, 8], [10, 0], [0, 0]])
    expect(h(a, 'T')).toBe(h(b, 'T'))
  })

  it('see a duplicated shape, a moved instance, a changed array pitch', () => {
    const mk = (f: (t: Cell, c: Cell) => void): string => {
      const l = new Layout()
      const c = l.newCell('C').addBox(1, 0, 0, 10, 10)
      const t = l.newCell('T')
      f(t, c)
      return h(l, 'T')
    }
    const base = mk((t, c) => t.placeArray(c, { cols: 2, rows: 2, colStep: [20, 0], rowStep: [0, 20] }))
    expect(mk((t, c) => t.placeArray(c, { cols: 2, rows: 2, colStep: [21, 0], rowStep: [0, 20] }))).not.toBe(base)
    expect(mk((t, c) => t.placeArray(c, { x: 1, cols: 2, rows: 2, colStep: [20, 0], rowStep: [0, 20] }))).not.toBe(base)
    expect(mk((t, c) => {
      t.placeArray(c, { cols: 2, rows: 2, colStep: [20, 0], rowStep: [0, 20] })
      t.addBox(1, 0, 0, 10, 10)
    })).not.toBe(base)
    const one = mk((t) => t.addBox(1, 0, 0, 10, 10))
    const two = mk((t) => t.addBox(1, 0, 0, 10, 10).addBox(1, 0, 0, 10, 10))
    expect(two).not.toBe(one)
  })

  it('survive a GDSII round trip and follow edits of a real layout (KLayout ringo t10)', () => {
    const file = join(FIXTURES, 'gds/klayout__t10.gds')
    const a = readLayout(file)
    const b = readLayout(writeLayout(a))
    for (const c of a.cells.values()) expect(cellHash(b.getCell(c.name)!)).toBe(cellHash(c))
    // move one vertex of a cell by 1 dbu
    const before = new Map([...a.cells.values()].map((c) => [c.name, cellHash(c)]))
    const parents = (c: Cell): Cell[] => [...a.cells.values()].filter((p) => p.instances.some((i) => i.cell === c))
    const ancestorsOf = (leaf: Cell): Set<Cell> => {
      const out = new Set<Cell>([leaf])
      const queue = [leaf]
      while (queue.length) {
        for (const p of parents(queue.pop()!)) {
          if (!out.has(p)) {
            out.add(p)
            queue.push(p)
          }
        }
      }
      return out
    }
    // a cell with shapes that not every cell depends on, so unaffected cells can be checked
    const leaf = [...a.cells.values()].find(
      (c) => c.shapeCount > 0 && ancestorsOf(c).size < a.cells.size,
    )!
    expect(leaf).toBeDefined()
    const affected = ancestorsOf(leaf)
    const s = [...leaf.layers.values()].find((x) => x.shapeCount > 0)!
    if (s.polygonCount > 0) s.polyCoords.data[0]! += 1
    else s.boxes.data[0]! -= 1
    a.touch()
    for (const c of a.cells.values()) {
      if (affected.has(c)) expect(cellHash(c), c.name).not.toBe(before.get(c.name))
      else expect(cellHash(c), c.name).toBe(before.get(c.name))
    }
    expect(affected.size).toBeGreaterThan(1)
    expect(a.cells.size).toBeGreaterThan(affected.size)
  })
})
