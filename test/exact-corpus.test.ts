import { join } from 'node:path'
import { describe, expect, test } from 'vitest'
import { diffLayouts } from '../src/diff/index.js'
import { xorTable } from '../src/diff/exact.js'
import { ExactSum } from '../src/diff/exact-sum.js'
import { flatten, memberCount } from '../src/layout/flatten.js'
import { Layout, readLayout, type Cell } from '../src/layout/index.js'
import { corpusFiles, FIXTURES, hasGhostCells, HAVE_SHARED, SHARED, sharedNotice } from './helpers/corpus.js'
import { area2, canonical, isSimple, moved, type Poly } from './helpers/polygons.js'
import { rng, runs, SEED } from './helpers/seed.js'
import { oracleArea } from './helpers/slab-oracle.js'

/*
 * Real polygons, 1-dbu vertex moves:
 * - the two files of the issue where a moved vertex used to be reported EQUAL (copies in test/fixtures);
 * - a mutation campaign over the shared corpus: polygons of every file, each sampled vertex moved by 1 dbu in
 *   x and y: different unless the point set is provably unchanged (equal canonical vertex lists).
 * The expected area of a move comes from the brute-force slab oracle on the two triangles the move changes
 * (valid when no other edge of the polygon comes near them, which is checked).
 */

const TABLE = xorTable()

/** The stored polygon `index` of `cell` on `layer`, as a flat list. */
function storedPolygon(cell: Cell, layer: number, index: number): Poly {
  const s = cell.layers.get(layer)!
  const a = s.polyStarts.data[index]!, b = s.polyStarts.data[index + 1]!
  return Array.from(s.polyCoords.data.subarray(a, b))
}

/** Moves vertex v of a stored polygon in place. */
function moveStored(layout: Layout, cell: Cell, layer: number, index: number, v: number, dx: number, dy: number): void {
  const s = cell.layers.get(layer)!
  const a = s.polyStarts.data[index]!
  s.polyCoords.data[a + 2 * v]! += dx
  s.polyCoords.data[a + 2 * v + 1]! += dy
  layout.touch()
}

/**
 * The exact XOR area (dbu^2, rounded as laytest reports it) of moving vertex v of a simple polygon by (dx, dy).
 * As chains, P − P' = T − T' for the triangles T = (prev, v, next) and T' = (prev, v', next), so where P and P'
 * are simple with the same orientation, P xor P' = T xor T': the brute-force slab oracle on two triangles.
 * null when the move changes the orientation.
 */
function localMoveArea(p: Poly, v: number, dx: number, dy: number, times = 1n): string | null {
  const q = moved(p, v, dx, dy)
  if (area2(p) > 0n !== area2(q) > 0n) return null
  const n = p.length / 2
  const i0 = (v + n - 1) % n, i2 = (v + 1) % n
  const pt = (i: number): [number, number] => [p[2 * i]!, p[2 * i + 1]!]
  const [a, b, c] = [pt(i0), pt(v), pt(i2)]
  const t1: Poly = [...a, ...b, ...c], t2: Poly = [...a, b[0] + dx, b[1] + dy, ...c]
  const l = Math.min(a[0], b[0], c[0], b[0] + dx) - 1, r = Math.max(a[0], b[0], c[0], b[0] + dx) + 1
  const bt = Math.min(a[1], b[1], c[1], b[1] + dy) - 1, t = Math.max(a[1], b[1], c[1], b[1] + dy) + 1
  const fr = oracleArea([[t1], [t2], []], (m) => (TABLE[m]! & 1) === 1, [l, bt, r, t])
  const s = new ExactSum()
  s.addBig(fr[0] * times, fr[1])
  return String(Number(s.rounded(1000000n)) / 1e6)
}

/** How many times a cell occurs in the flat layout below the tops (array members counted). */
function occurrences(tops: Cell[], cell: Cell): bigint {
  const memo = new Map<Cell, bigint>()
  const below = (c: Cell): bigint => {
    if (c === cell) return 1n
    let n = memo.get(c)
    if (n !== undefined) return n
    n = 0n
    for (const i of c.instances) n += BigInt(memberCount(i)) * below(i.cell)
    memo.set(c, n)
    return n
  }
  return tops.reduce((s, t) => s + below(t), 0n)
}

describe('the issue\'s corpus cases (test/fixtures copies)', () => {
  test('gdsfactory mmi1x2: vertex 1 of each taper moved x+1 is a difference of the right area', async () => {
    const file = join(FIXTURES, 'gds/gdsfactory__mmi1x2.gds')
    const a = readLayout(file)
    const cell = a.topCell()
    const layer = 1 << 16
    const count = cell.layers.get(layer)!.polygonCount
    expect(count).toBe(3)
    for (let i = 0; i < count; i++) {
      const b = readLayout(file)
      const p = storedPolygon(b.topCell(), layer, i)
      moveStored(b, b.topCell(), layer, i, 1, 1, 0)
      const { result } = await diffLayouts(a, b)
      expect(result.equal, `polygon ${i}`).toBe(false)
      expect(result.layers['1/0']!.differs).toBe(true)
      const want = localMoveArea(p, 1, 1, 0)
      expect(want).not.toBeNull()
      expect(result.layers['1/0']!.xorAreaExact, `polygon ${i}`).toBe(want)
    }
  })

  test('kfactory sbend routing: vertex 97 of each bend moved y-1 is a difference of the right area', async () => {
    const file = join(FIXTURES, 'gds/kfactory__test_sbend_routing.gds')
    const a = readLayout(file)
    let bends = 0, inContext = 0
    const cells = new Set<Cell>()
    const walk = (c: Cell): void => {
      if (cells.has(c)) return
      cells.add(c)
      for (const i of c.instances) walk(i.cell)
    }
    for (const top of a.topCells()) walk(top)
    for (const c of cells) {
      for (const [layer, s] of c.layers) {
        for (let i = 0; i < s.polygonCount; i++) {
          if (s.polyStarts.data[i + 1]! - s.polyStarts.data[i]! < 2 * 98) continue
          const p = storedPolygon(c, layer, i)
          const want = localMoveArea(p, 97, 0, -1)
          expect(want).not.toBeNull()
          // the polygon alone
          const la = new Layout(), lb = new Layout()
          la.newCell('TOP').addPolygon(1, p)
          lb.newCell('TOP').addPolygon(1, moved(p, 97, 0, -1))
          const alone = await diffLayouts(la, lb)
          expect(alone.result.equal, `${c.name} polygon ${i}`).toBe(false)
          expect(alone.result.layers['1/0']!.xorAreaExact).toBe(want)
          bends++
          // in the file: the waveguide cores (1/0) do not overlap each other, so the move shows there too (the
          // claddings on 1/1 overlap their neighbours', which can hide a move)
          if (layer !== 1 << 16) continue
          const b = readLayout(file)
          moveStored(b, b.getCell(c.name)!, layer, i, 97, 0, -1)
          const { result } = await diffLayouts(a, b)
          expect(result.equal, `${c.name} 1/0 polygon ${i}`).toBe(false)
          // placed k times (rotations by 90 degrees, no magnification): k times the area
          expect(result.layers['1/0']!.xorAreaExact, `${c.name}`).toBe(localMoveArea(p, 97, 0, -1, occurrences(a.topCells(), c)))
          inContext++
        }
      }
    }
    expect(bends).toBeGreaterThanOrEqual(10)
    expect(inContext).toBeGreaterThanOrEqual(5)
  })
})

describe('mutation campaign over the shared corpus', () => {
  test.skipIf(!HAVE_SHARED)('every sampled vertex moved by 1 dbu is a difference (unless the point set is provably the same)', async () => {
    const r = rng(SEED + 10)
    const perFile = runs(20)
    const counts = { files: 0, polygons: 0, checked: 0, different: 0, sameSet: 0, notSimple: 0, areaChecked: 0 }
    for (const f of corpusFiles(SHARED)) {
      if (hasGhostCells(f)) continue
      let layout: Layout
      try {
        layout = readLayout(f.path)
      } catch {
        continue
      }
      // flat polygons of the file, non-Manhattan ones first
      const polys: Array<{ layer: number; p: Poly }> = []
      for (const top of layout.topCells()) {
        flatten(top, {
          box() {},
          polygon(layer, xy, count) {
            if (count >= 3 && count <= 400 && polys.length < 5000) polys.push({ layer, p: Array.from(xy.subarray(0, 2 * count)) })
          },
        })
      }
      if (!polys.length) continue
      counts.files++
      const diagonal = (p: Poly): boolean => p.some((_, k) => k % 2 === 0 && p[k] !== p[(k + 2) % p.length] && p[k + 1] !== p[(k + 3) % p.length])
      const pool = [...polys.filter((x) => diagonal(x.p)), ...polys.filter((x) => !diagonal(x.p))]
      for (let s = 0; s < perFile && s < pool.length * 4; s++) {
        const { p } = pool[s < pool.length ? s : Math.floor(r() * pool.length)]!
        if (!isSimple(p)) continue
        counts.polygons++
        const v = Math.floor(r() * (p.length / 2))
        for (const [dx, dy] of [[1, 0], [0, -1]] as Array<[number, number]>) {
          const q = moved(p, v, dx, dy)
          if (!isSimple(q)) {
            counts.notSimple++
            continue
          }
          const la = new Layout(), lb = new Layout()
          la.newCell('TOP').addPolygon(1, p)
          lb.newCell('TOP').addPolygon(1, q)
          const { result } = await diffLayouts(la, lb)
          const same = canonical(p) === canonical(q)
          expect(result.equal, `${f.name}: ${JSON.stringify(p).slice(0, 200)} vertex ${v} by (${dx},${dy})`).toBe(same)
          if (!same) {
            counts.different++
            {
              const want = localMoveArea(p, v, dx, dy)
              if (want !== null) {
                expect(result.layers['1/0']!.xorAreaExact, `${f.name} vertex ${v}`).toBe(want)
                counts.areaChecked++
              }
            }
          } else counts.sameSet++
          counts.checked++
        }
      }
    }
    console.log(`[exact] corpus mutation campaign: ${counts.checked} moves checked on ${counts.polygons} polygons of ${counts.files} files (${counts.different} different, ${counts.sameSet} same point set, ${counts.notSimple} not simple after the move, skipped; ${counts.areaChecked} areas checked against the oracle), seed ${SEED}`)
    expect(counts.checked).toBeGreaterThan(500)
  })
  if (!HAVE_SHARED) sharedNotice('the mutation campaign')
})
