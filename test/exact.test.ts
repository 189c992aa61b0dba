import { describe, expect, test } from 'vitest'
import { diffLayouts, xorLayout, type DiffOptions } from '../src/diff/index.js'
import { exactAreas, xorTable } from '../src/diff/exact.js'
import { ExactSum } from '../src/diff/exact-sum.js'
import { RingSet } from '../src/diff/rings.js'
import { Layout } from '../src/layout/index.js'
import { area2, canonical, isSimple, KINDS, moved, randomPolygon, reencoded, splitAlongDiagonal, withCollinearVertex, type Kind, type Poly } from './helpers/polygons.js'
import { oracleArea, type Fr } from './helpers/slab-oracle.js'
import { rng, runs, SEED } from './helpers/seed.js'

/*
 * The exact XOR (src/diff/exact.ts) against oracles that are not the engine:
 * - a brute-force slab decomposition in BigInt fractions (test/helpers/slab-oracle.ts) for areas;
 * - canonical vertex lists of simple polygons for verdicts (equal point sets iff equal canonical lists);
 * - shoelace areas where the XOR is known by construction.
 * KLayout is not used here: its XOR drops some 1-dbu edits of non-Manhattan polygons.
 * Seeded: LAYTEST_SEED / LAYTEST_RUNS (test/helpers/seed.ts) explore more.
 */

const TABLE = xorTable()

function raw(rings: Poly[]): RingSet {
  const rs = new RingSet()
  for (const r of rings) rs.addRaw(r, 0, r.length / 2)
  return rs
}

const sameFr = (got: [bigint, bigint], want: Fr): boolean => got[0] * want[1] === want[0] * got[1]

async function differs(a: Poly[], b: Poly[], opts: DiffOptions = {}): Promise<{ equal: boolean; area: string }> {
  const la = new Layout(), lb = new Layout()
  for (const [ly, ps] of [[la, a], [lb, b]] as const) {
    const top = ly.newCell('TOP')
    for (const p of ps) top.addPolygon(1, p)
  }
  const { result } = await diffLayouts(la, lb, opts)
  return { equal: result.equal, area: result.layers['1/0']?.xorAreaExact ?? '0' }
}

describe('exact sweep = brute-force slab oracle', () => {
  test('random self-intersecting polygons, collinear and coincident edges, three sets and a clip box: every status bit', () => {
    const r = rng(SEED)
    const n = runs(300)
    let checked = 0
    for (let it = 0; it < n; it++) {
      const mk = (): Poly[] => {
        const rings: Poly[] = []
        const k = 1 + Math.floor(r() * 3)
        for (let i = 0; i < k; i++) {
          const m = 3 + Math.floor(r() * 3)
          const ring: Poly = []
          for (let j = 0; j < m; j++) ring.push(Math.floor(r() * 21) - 10, Math.floor(r() * 21) - 10)
          rings.push(ring)
        }
        return rings
      }
      const A = mk(), B = mk(), C = r() < 0.3 ? mk() : []
      const box: [number, number, number, number] = r() < 0.5 ? [-12, -12, 12, 12] : [-5 + Math.floor(r() * 4), -6, 4 + Math.floor(r() * 4), 7]
      const res = exactAreas([raw(A), raw(B), raw(C)], { table: TABLE, bits: 3, box })
      for (let bit = 0; bit < 3; bit++) {
        const want = oracleArea([A, B, C], (m) => ((TABLE[m]! >> bit) & 1) === 1, box)
        const got = res.areas[bit]!.exact()
        expect(sameFr(got, want), JSON.stringify({ it, bit, A, B, C, box })).toBe(true)
        expect(res.nonEmpty[bit], JSON.stringify({ it, bit, A, B, C, box })).toBe(want[0] !== 0n)
        checked++
      }
    }
    expect(checked).toBe(3 * n)
  })

  test('coordinates up to 2^33 with 1-unit vertex moves (BigInt paths)', () => {
    const r = rng(SEED + 1)
    for (let it = 0; it < runs(160); it++) {
      const S = [2 ** 8, 2 ** 20, 2 ** 31, 2 ** 33][it % 4]!
      const c = (): number => Math.floor((r() * 2 - 1) * S)
      const base: Poly = []
      const m = 3 + Math.floor(r() * 5)
      for (let j = 0; j < m; j++) base.push(c(), c())
      const v = Math.floor(r() * m)
      const B = moved(base, v, r() < 0.5 ? (r() < 0.5 ? 1 : -1) : 0, 0)
      if (B.every((x, i) => x === base[i])) B[2 * v + 1]! += 1
      const other: Poly = [c(), c(), c(), c(), c(), c()]
      const As = [base, ...(r() < 0.5 ? [other] : [])], Bs = [B, ...(r() < 0.5 ? [other] : [])]
      const box: [number, number, number, number] = [-S - 2, -S - 2, S + 2, S + 2]
      const res = exactAreas([raw(As), raw(Bs), null], { table: TABLE, bits: 1, box })
      const want = oracleArea([As, Bs, []], (mk) => (TABLE[mk]! & 1) === 1, box)
      expect(sameFr(res.areas[0]!.exact(), want), JSON.stringify({ As, Bs })).toBe(true)
      expect(res.nonEmpty[0]).toBe(want[0] !== 0n)
    }
  })
})

describe('single-vertex 1-dbu edits of simple polygons of every slope (canonical-polygon oracle)', () => {
  test('no false pass, no false failure: through diffLayouts', async () => {
    const r = rng(SEED + 2)
    const want = runs(1500)
    const counts = { checked: 0, different: 0, equal: 0, skippedNotSimple: 0 }
    const perKind: Record<string, number> = {}
    const dirs: Array<[number, number]> = [[1, 0], [-1, 0], [0, 1], [0, -1]]
    let k = 0
    while (counts.checked < want) {
      const kind = KINDS[k++ % KINDS.length] as Kind
      const p = randomPolygon(r, kind)
      if (!p) continue
      const v = Math.floor(r() * (p.length / 2))
      const [dx, dy] = dirs[Math.floor(r() * 4)]!
      const q = moved(p, v, dx, dy)
      if (!isSimple(q)) {
        counts.skippedNotSimple++
        continue
      }
      const same = canonical(p) === canonical(q)
      const got = await differs([p], [q])
      expect(got.equal, `${kind} ${JSON.stringify(p)} vertex ${v} by (${dx},${dy}): ${got.area}`).toBe(same)
      if (!same) expect(Number(got.area)).toBeGreaterThan(0)
      counts.checked++
      if (same) counts.equal++
      else counts.different++
      perKind[kind] = (perKind[kind] ?? 0) + 1
    }
    console.log(`[exact] ${counts.checked} single-vertex edits checked (${counts.different} different, ${counts.equal} equal point sets; ${counts.skippedNotSimple} moves not simple, skipped), per kind ${JSON.stringify(perKind)}, seed ${SEED}`)
    expect(counts.different).toBeGreaterThan(want / 2)
  })

  test('re-encodings stay equal: other start vertex, reversed, added collinear vertex, cut in two along a diagonal', async () => {
    const r = rng(SEED + 3)
    let n = 0, collinear = 0, split = 0
    while (n < runs(300)) {
      const p = randomPolygon(r, KINDS[n % KINDS.length] as Kind)
      if (!p) continue
      n++
      const m = p.length / 2
      const q = reencoded(p, Math.floor(r() * m), r() < 0.5)
      expect((await differs([p], [q])).equal).toBe(true)
      // below the layout model (which drops collinear vertices): the sweep itself, on raw rings
      const box: [number, number, number, number] = [-(2 ** 31), -(2 ** 31), 2 ** 31, 2 ** 31]
      const c = withCollinearVertex(p)
      if (c) {
        collinear++
        const ex = exactAreas([raw([p]), raw([c]), null], { table: TABLE, bits: 1, box })
        expect(ex.nonEmpty[0]).toBe(false)
        expect(ex.areas[0]!.exact()[0]).toBe(0n)
      }
      const s = splitAlongDiagonal(p)
      if (s) {
        split++
        const ex = exactAreas([raw([p]), raw(s), null], { table: TABLE, bits: 1, box })
        expect(ex.nonEmpty[0], JSON.stringify({ p, s })).toBe(false)
        expect((await differs([p], s)).equal).toBe(true)
      }
    }
    expect(collinear).toBeGreaterThan(10)
    expect(split).toBeGreaterThan(10)
  })

  test('areas by construction: a disjoint polygon adds exactly its shoelace area; a vertex move matches the slab oracle', async () => {
    const r = rng(SEED + 4)
    for (let i = 0; i < runs(150); i++) {
      const p = randomPolygon(r, KINDS[i % KINDS.length] as Kind)
      const q = randomPolygon(r, 'star')
      if (!p || !q || KINDS[i % KINDS.length] === 'huge') continue
      // q moved far away from p
      const far = q.map((v, k) => (k % 2 === 0 ? v + 100000 : v))
      const got = await differs([p], [p, far])
      const a2 = area2(far)
      const want = (a2 < 0n ? -a2 : a2)
      // xorAreaExact is dbu^2; the shoelace gives twice the area
      expect(got.area).toBe(want % 2n === 0n ? String(want / 2n) : `${want / 2n}.5`)
      // a vertex move: exact area from the oracle (small polygons only: it is slow)
      if (p.length / 2 <= 8) {
        const v = Math.floor(r() * (p.length / 2))
        const pm = moved(p, v, 0, 1)
        const box: [number, number, number, number] = [-(2 ** 31), -(2 ** 31), 2 ** 31, 2 ** 31]
        const wantFr = oracleArea([[p], [pm], []], (m) => (TABLE[m]! & 1) === 1, box)
        const ex = exactAreas([raw([p]), raw([pm]), null], { table: TABLE, bits: 1, box })
        expect(sameFr(ex.areas[0]!.exact(), wantFr)).toBe(true)
      }
    }
  })
})

describe('regressions', () => {
  test('a trapezoid with one vertex moved 1 dbu: not equal, exact area 24999625/40001 dbu^2', async () => {
    const a: Poly = [0, 0, 0, 1000, 10000, 750, 10000, 250]
    const got = await differs([a], [moved(a, 1, 1, 0)])
    expect(got.equal).toBe(false)
    // the oracle, in dbu (the engine works on doubled coordinates)
    const box: [number, number, number, number] = [-10, -10, 10010, 1010]
    expect(oracleArea([[a], [moved(a, 1, 1, 0)], []], (m) => (TABLE[m]! & 1) === 1, box)).toEqual([24999625n, 40001n])
    expect(got.area).toBe('624.975001')
    // a Manhattan top edge: exactly half a dbu by 1000
    const m: Poly = [0, 0, 0, 1000, 10000, 1000, 10000, 250]
    expect(await differs([m], [moved(m, 1, 1, 0)])).toEqual({ equal: false, area: '500' })
  })

  test('the edit KLayout 0.28.5 misses: (10000,10000) -> (10000,10001)', async () => {
    const a: Poly = [0, 0, 0, 10000, 4235, 3333, 10000, 10000, 10000, 0]
    const b = moved(a, 3, 0, 1)
    const got = await differs([a], [b])
    expect(got.equal).toBe(false)
    const want = oracleArea([[a], [b], []], (m) => (TABLE[m]! & 1) === 1, [-1, -1, 10001, 10002])
    const s = new ExactSum()
    s.addBig(want[0], want[1])
    expect(got.area).toBe(String(Number(s.rounded(1000000n)) / 1e6))
    // both polygons' areas differ by 2882 dbu^2: the XOR cannot be smaller
    const abs = (v: bigint): bigint => (v < 0n ? -v : v)
    expect((abs(area2(b)) - abs(area2(a))) / 2n).toBe(2882n)
    expect(Number(got.area)).toBeGreaterThanOrEqual(2882)
  })

  test('A xor B = B xor A exactly (the 8609.5 / 8609.75 case: a triangle and a 1-dbu-wide box)', async () => {
    const r = rng(SEED + 5)
    for (let i = 0; i < runs(100); i++) {
      const t = randomPolygon(r, 'triangle')
      if (!t) continue
      const x = Math.floor(r() * 4000) - 2000, y = Math.floor(r() * 4000) - 2000, h = 1 + Math.floor(r() * 3000)
      const box: Poly = [x, y, x + 1, y, x + 1, y + h, x, y + h]
      const ab = await differs([t], [box]), ba = await differs([box], [t])
      expect(ab).toEqual(ba)
    }
  })
})

describe('what is drawn and counted', () => {
  const layoutOf = (ps: Poly[]): Layout => {
    const ly = new Layout()
    const top = ly.newCell('TOP')
    for (const p of ps) top.addPolygon(1, p)
    return ly
  }

  test('a sliver thinner than a dbu is drawn, written and counted', async () => {
    const a: Poly = [0, 0, 0, 1000, 10000, 750, 10000, 250]
    const outcome = await diffLayouts(layoutOf([a]), layoutOf([moved(a, 1, 1, 0)]))
    const l = outcome.result.layers['1/0']!
    expect(l.polygons).toBe(1)
    // one connected difference: a thin triangle along the left side (0,0)-(0,1000)-(1,1000) and a sliver along
    // the top edge to (10000,750); its box, rounded outwards by at most a dbu
    const [bl, bb, br, bt] = l.bboxes[0]!
    expect([bl, bb]).toEqual([0, 0])
    expect(br).toBeGreaterThanOrEqual(10000)
    expect(br).toBeLessThanOrEqual(10001)
    expect(bt).toBe(1000)
    // drawn: polygons with area, and written to GDS on layer 1/0
    const rings = outcome.xor.get(1 << 16)!
    let drawn = 0
    for (const rs of rings) for (let i = 0; i < rs.count; i++) drawn += Math.abs(Number(rs.ringArea2(i)))
    expect(drawn).toBeGreaterThan(0)
    const xl = await xorLayout(outcome)
    const shapes = xl.topCell().layers.get(1 << 16)!
    expect(shapes.polygonCount + shapes.boxCount).toBeGreaterThan(0)
  })

  test('separate differences are counted separately; an unchanged layout draws nothing', async () => {
    const a: Poly = [0, 0, 0, 1000, 10000, 750, 10000, 250]
    const far = a.map((v, k) => (k % 2 === 1 ? v + 50000 : v))
    const outcome = await diffLayouts(layoutOf([a, far]), layoutOf([moved(a, 1, 1, 0), moved(far, 3, 0, -1)]))
    expect(outcome.result.layers['1/0']!.polygons).toBe(2)
    const same = await diffLayouts(layoutOf([a, far]), layoutOf([reencoded(far, 2, true), reencoded(a, 1, false)]))
    expect(same.result.equal).toBe(true)
    expect(same.xor.get(1 << 16) ?? []).toEqual([])
  })
})

describe('the area does not depend on how the work is split', () => {
  test('operand order, tiling, pruning: identical exact areas on overlapping non-Manhattan layouts', async () => {
    const r = rng(SEED + 6)
    for (let i = 0; i < runs(25); i++) {
      const shapes: Poly[] = []
      for (let k = 0; k < 30; k++) {
        const p = randomPolygon(r, (['triangle', 'star', 'trapezoid', 'octagon45', 'sliver'] as Kind[])[k % 5]!)
        if (p) shapes.push(p.map((v, j) => v + (j % 2 === 0 ? Math.floor(r() * 8000) : Math.floor(r() * 8000))))
      }
      const edited = shapes.map((p) => (r() < 0.3 ? moved(p, Math.floor(r() * (p.length / 2)), r() < 0.5 ? 1 : -1, 0) : p))
      const areas = async (a: Poly[], b: Poly[], opts: DiffOptions): Promise<string> => (await differs(a, b, opts)).area
      const ref = await areas(shapes, edited, {})
      expect(await areas(edited, shapes, {})).toBe(ref)
      expect(await areas(shapes, edited, { prune: false, tileShapes: 0 })).toBe(ref)
      expect(await areas(shapes, edited, { prune: false, tileShapes: 2 })).toBe(ref)
      expect(await areas(shapes, edited, { prune: false, tileShapes: 7 })).toBe(ref)
      expect(await areas(edited, shapes, { prune: false, tileShapes: 3 })).toBe(ref)
    }
  })
})

