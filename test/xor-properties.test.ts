import fc from 'fast-check'
import { runs } from './helpers/seed.js'
import { describe, expect, test } from 'vitest'
import { booleanOps } from '../src/diff/clipper.js'
import { diffLayouts, type DiffOptions } from '../src/diff/index.js'
import { RingSet } from '../src/diff/rings.js'
import { Layout } from '../src/layout/index.js'

/*
 * Property tests of the XOR engine on random layouts:
 * - area(A xor B) = area(A) + area(B) - 2 area(A and B) (Manhattan shapes: exact);
 * - XOR is symmetric; a layout XOR a re-encoded copy of itself (boxes as polygons, other start vertex,
 *   reversed orientation, shuffled) is empty;
 * - dirty-window pruning and tiling never change the result: the pruned engine, a plain untiled full XOR and a
 *   full XOR in tiles of 2 shapes give the same per-layer areas, on hierarchical layouts with 90-degree
 *   rotations, mirrors and arrays, where B is A with random edits.
 */

type Shape = { kind: 'box'; layer: number; l: number; b: number; w: number; h: number } | { kind: 'poly'; layer: number; pts: number[] }

const coord = fc.integer({ min: -200, max: 200 })
const size = fc.integer({ min: 1, max: 120 })
const boxArb = fc.record({ kind: fc.constant('box' as const), layer: fc.integer({ min: 1, max: 2 }), l: coord, b: coord, w: size, h: size })
/** An L-shaped (Manhattan) polygon. */
const lArb = fc.tuple(fc.integer({ min: 1, max: 2 }), coord, coord, size, size, size, size).map(([layer, x, y, w, h, cw, ch]): Shape => {
  const cx = Math.min(cw, w - 1), cy = Math.min(ch, h - 1)
  return cx < 1 || cy < 1
    ? { kind: 'box', layer, l: x, b: y, w, h }
    : { kind: 'poly', layer, pts: [x, y, x + w, y, x + w, y + h - cy, x + w - cx, y + h - cy, x + w - cx, y + h, x, y + h] }
})
/** A triangle (non-Manhattan). */
const triArb = fc.tuple(fc.integer({ min: 1, max: 2 }), coord, coord, coord, coord, coord, coord).map(([layer, ...p]): Shape => ({ kind: 'poly', layer, pts: p }))
const manhattanSet = fc.array(fc.oneof(boxArb, lArb), { maxLength: 14 })
const anySet = fc.array(fc.oneof(boxArb, lArb, triArb), { maxLength: 14 })

function ringsOf(shapes: Shape[], layer: number): RingSet {
  const rs = new RingSet()
  for (const s of shapes) {
    if (s.layer !== layer) continue
    if (s.kind === 'box') rs.addBox(s.l, s.b, s.l + s.w, s.b + s.h)
    else rs.addPolygon(s.pts, s.pts.length / 2)
  }
  return rs
}

function area(rs: RingSet): bigint {
  let a = 0n
  for (let i = 0; i < rs.count; i++) a += BigInt(rs.ringArea2(i))
  return a
}

function layoutOf(shapes: Shape[], reencode = false): Layout {
  const ly = new Layout()
  const top = ly.newCell('TOP')
  const list = reencode ? [...shapes].reverse() : shapes
  for (const s of list) {
    if (s.kind === 'box') {
      if (!reencode || s.w < 2) top.addBox(s.layer, s.l, s.b, s.l + s.w, s.b + s.h)
      else {
        // the same area as two overlapping halves
        const m = s.l + Math.ceil(s.w / 2)
        top.addBox(s.layer, s.l, s.b, m, s.b + s.h)
        top.addBox(s.layer, m - 1, s.b, s.l + s.w, s.b + s.h)
      }
    } else {
      const n = s.pts.length / 2
      // another start vertex and the other orientation
      const pts: number[] = []
      for (let k = 0; k < n; k++) {
        const i = reencode ? (n + 2 - k) % n : k
        pts.push(s.pts[2 * i]!, s.pts[2 * i + 1]!)
      }
      top.addPolygon(s.layer, pts)
    }
  }
  return ly
}

const xorAreas = async (a: Layout, b: Layout, opts: DiffOptions = {}): Promise<Record<string, string>> => {
  const { result } = await diffLayouts(a, b, opts)
  return Object.fromEntries(Object.entries(result.layers).map(([k, v]) => [k, v.xorAreaExact]))
}

describe('XOR identities (fast-check)', () => {
  test('area(A xor B) = area(A) + area(B) - 2 area(A and B) on Manhattan shapes', async () => {
    const ops = await booleanOps()
    await fc.assert(
      fc.asyncProperty(manhattanSet, manhattanSet, async (sa, sb) => {
        const A = ringsOf(sa, 1), B = ringsOf(sb, 1)
        const x = area(ops.xor(A, B))
        const identity = area(ops.union(A)) + area(ops.union(B)) - 2n * area(ops.intersect(A, B))
        expect(x).toBe(identity)
        // and through the whole engine
        const got = (await xorAreas(layoutOf(sa), layoutOf(sb)))['1/0'] ?? '0'
        expect(BigInt(Math.round(Number(got) * 8))).toBe(x)
      }),
      { numRuns: runs(150) },
    )
  })

  test('XOR is symmetric', async () => {
    await fc.assert(
      fc.asyncProperty(anySet, anySet, async (sa, sb) => {
        expect(await xorAreas(layoutOf(sa), layoutOf(sb))).toEqual(await xorAreas(layoutOf(sb), layoutOf(sa)))
      }),
      { numRuns: runs(100) },
    )
  })

  test('a layout XOR a re-encoded copy of itself is empty', async () => {
    await fc.assert(
      fc.asyncProperty(anySet, async (s) => {
        const { result } = await diffLayouts(layoutOf(s), layoutOf(s, true), { prune: false })
        for (const l of Object.values(result.layers)) expect(l.xorAreaExact, l.layer).toBe('0')
        expect(result.equal).toBe(true)
      }),
      { numRuns: runs(150) },
    )
  })
})

/** A small hierarchical layout from a seed list of shapes; `edits` turn it into a variant. */
interface HierSpec {
  leaves: Shape[][]
  placements: Array<{ leaf: number; x: number; y: number; rot: number; mirror: boolean; array: [number, number] | null }>
  top: Shape[]
}

const hierArb: fc.Arbitrary<HierSpec> = fc.record({
  leaves: fc.array(fc.array(fc.oneof(boxArb, lArb), { minLength: 1, maxLength: 5 }), { minLength: 1, maxLength: 3 }),
  placements: fc.array(
    fc.record({
      leaf: fc.nat(), x: fc.integer({ min: -500, max: 500 }), y: fc.integer({ min: -500, max: 500 }),
      rot: fc.constantFrom(0, 90, 180, 270), mirror: fc.boolean(),
      array: fc.option(fc.tuple(fc.integer({ min: 1, max: 3 }), fc.integer({ min: 1, max: 3 })), { nil: null }),
    }),
    { maxLength: 5 },
  ),
  top: fc.array(boxArb, { maxLength: 4 }),
})

function buildHier(spec: HierSpec): Layout {
  const ly = new Layout()
  const leaves = spec.leaves.map((shapes, i) => {
    const c = ly.newCell(`leaf${i}`)
    for (const s of shapes) {
      if (s.kind === 'box') c.addBox(s.layer, s.l, s.b, s.l + s.w, s.b + s.h)
      else c.addPolygon(s.layer, s.pts)
    }
    return c
  })
  const top = ly.newCell('TOP')
  for (const s of spec.top) if (s.kind === 'box') top.addBox(s.layer, s.l, s.b, s.l + s.w, s.b + s.h)
  for (const p of spec.placements) {
    const leaf = leaves[p.leaf % leaves.length]!
    if (p.array) top.placeArray(leaf, { x: p.x, y: p.y, rotation: p.rot, mirror: p.mirror, cols: p.array[0], rows: p.array[1], colStep: [150, 0], rowStep: [0, 170] })
    else top.place(leaf, { x: p.x, y: p.y, rotation: p.rot, mirror: p.mirror })
  }
  return ly
}

const editArb = fc.record({
  kind: fc.constantFrom('move-leaf-shape', 'move-placement', 'drop-top-shape', 'rotate-placement', 'nothing'),
  i: fc.nat(), d: fc.integer({ min: 1, max: 40 }),
})

function edit(spec: HierSpec, e: { kind: string; i: number; d: number }): HierSpec {
  const s: HierSpec = structuredClone(spec)
  switch (e.kind) {
    case 'move-leaf-shape': {
      const leaf = s.leaves[e.i % s.leaves.length]!
      const sh = leaf[e.i % leaf.length]!
      if (sh.kind === 'box') sh.l += e.d
      else sh.pts = sh.pts.map((v, k) => (k % 2 === 0 ? v + e.d : v))
      break
    }
    case 'move-placement':
      if (s.placements.length) s.placements[e.i % s.placements.length]!.y += e.d
      break
    case 'rotate-placement':
      if (s.placements.length) s.placements[e.i % s.placements.length]!.rot = (s.placements[e.i % s.placements.length]!.rot + 90) % 360
      break
    case 'drop-top-shape':
      if (s.top.length) s.top.splice(e.i % s.top.length, 1)
      break
  }
  return s
}

describe('pruning and tiling never change the result (fast-check)', () => {
  test('pruned = plain untiled = tiled, on hierarchical layouts with random edits', async () => {
    await fc.assert(
      fc.asyncProperty(hierArb, fc.array(editArb, { minLength: 1, maxLength: 3 }), async (spec, edits) => {
        const a = buildHier(spec)
        const b = buildHier(edits.reduce(edit, spec))
        const t = { topA: 'TOP', topB: 'TOP' }
        const pruned = await xorAreas(a, b, t)
        const plain = await xorAreas(a, b, { ...t, prune: false, tileShapes: 0 })
        const tiled = await xorAreas(a, b, { ...t, prune: false, tileShapes: 2 })
        expect(pruned).toEqual(plain)
        expect(tiled).toEqual(plain)
      }),
      { numRuns: runs(200) },
    )
  })
})
