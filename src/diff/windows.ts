import Flatbush from 'flatbush'
import { bboxUnion as union, type BBox } from '../layout/bbox.js'
import { cellLayers, forEachCorner, layerShapesBBox, postOrder } from '../layout/extent.js'
import { forEachMember, memberCount } from '../layout/flatten.js'
import { cellHashes } from '../layout/hash.js'
import type { LayerKey } from '../layout/layers.js'
import { CycleError, type Cell, type Instance } from '../layout/layout.js'
import { matchShapes, PairMap, samePlacement, shapeBBox, SubtreeMatcher, type ShapeRef } from '../layout/match.js'
import type { Affine } from '../layout/transform.js'

/*
 * Dirty windows: the only places where two layouts can differ on a layer.
 *
 * A cell pair (a, b) placed at the same spot is compared on one layer like this:
 * - stored identically (SubtreeMatcher: typed-array compares, children recursively): no window;
 * - local shapes are matched exactly (layout/match.ts); each unmatched shape's box is a window;
 * - instances with the same placement at the same position in both lists are compared recursively (child pair),
 *   their windows mapped through every array member; the others are matched as multisets by (child's
 *   hierarchical layer hash, placement), identical ones cancel, leftovers with equal placements are again
 *   compared recursively, and any other instance contributes its whole extent on the layer.
 * Outside the windows both sides have the same shapes under the same transforms, hence the same flat geometry
 * after rounding. Boxes are mapped through transforms with outward rounding (floor/ceil), so a window always
 * contains the rounded flat shapes it stands for.
 */

/** Above this many windows from one array instance, its windows are replaced by their union's extent. */
const MAX_MEMBER_WINDOWS = 4096
/** Above this many unmatched shapes in a cell pair, they get one window instead of one each. */
const MAX_SHAPE_WINDOWS = 2000

/**
 * What a cell pair's windows are made of, in order: boxes, and instance pairs (same placement) whose children's
 * windows are mapped through the instance's members. The children's windows are found first (an explicit
 * stack, not recursion: a hierarchy can be a million levels deep), then the items are expanded.
 */
type PlanItem = BBox | [Instance, Instance]

export class DirtyWindowFinder {
  /** Per cell pair: its windows, or null while they are being found. */
  private readonly memo = new PairMap<BBox[] | null>()
  private readonly extents = new Map<Cell, BBox | null>()

  constructor(
    readonly layer: LayerKey,
    private readonly structure: SubtreeMatcher = new SubtreeMatcher(),
  ) {}

  private known(a: Cell, b: Cell): BBox[] | null | undefined {
    return this.memo.get(a, b)
  }

  private remember(a: Cell, b: Cell, w: BBox[] | null): void {
    this.memo.set(a, b, w)
  }

  /** Local windows (in the pair's common frame) where cells a and b may differ on the layer. */
  cellPair(a: Cell, b: Cell): BBox[] {
    const hit = this.known(a, b)
    if (hit) return hit
    const stack: Array<{ a: Cell; b: Cell; items: PlanItem[]; k: number }> = []
    const open = (x: Cell, y: Cell): void => {
      if (this.known(x, y) === null) {
        const path = stack.map((f) => f.a.name)
        throw new CycleError([...path.slice(stack.findIndex((f) => f.a === x)), x.name])
      }
      this.remember(x, y, null)
      stack.push({ a: x, b: y, items: this.plan(x, y), k: 0 })
    }
    open(a, b)
    while (stack.length) {
      const f = stack[stack.length - 1]!
      let descended = false
      while (f.k < f.items.length) {
        const item = f.items[f.k]!
        if (item.length === 2) {
          const [x, y] = item
          if (!this.known(x.cell, y.cell)) {
            open(x.cell, y.cell)
            descended = true
            break
          }
        }
        f.k++
      }
      if (descended) continue
      const out: BBox[] = []
      for (const item of f.items) {
        if (item.length === 2) this.addPairWindows(out, item[0], item[1])
        else out.push(item)
      }
      this.remember(f.a, f.b, out)
      stack.pop()
    }
    return this.known(a, b)!
  }

  /** Extent of the layer's flat geometry below a cell (local coordinates, outward-rounded). */
  extent(cell: Cell): BBox | null {
    if (this.extents.has(cell)) return this.extents.get(cell)!
    postOrder(cell, (c) => this.extents.has(c), (c) => {
      let box: BBox | null = null
      const s = c.layers.get(this.layer)
      if (s) box = layerShapesBBox(s)
      for (const inst of c.instances) box = union(box, this.instanceExtent(inst))
      this.extents.set(c, box)
    }, (inst) => cellLayers(inst.cell).has(this.layer))
    return this.extents.get(cell)!
  }

  private instanceExtent(inst: Instance): BBox | null {
    const cb = cellLayers(inst.cell).has(this.layer) ? this.extent(inst.cell) : null
    if (!cb) return null
    let box: BBox | null = null
    forEachCorner(inst, (t) => (box = union(box, outerBox(t, cb))))
    return box
  }

  /** Cells of A whose pair with B needed a comparison on this layer (not stored identically). */
  readonly compared = new Set<string>()

  /** The pair's windows as boxes and child pairs (whose windows are found before the items are expanded). */
  private plan(a: Cell, b: Cell): PlanItem[] {
    // stored identically (the common case for unchanged cells): no hashing needed
    if (this.structure.same(a, b)) return []
    this.compared.add(a.name)
    const hasA = cellLayers(a).has(this.layer), hasB = cellLayers(b).has(this.layer)
    if (!hasA && !hasB) return []
    const out: PlanItem[] = []
    const m = matchShapes(a.layers.get(this.layer), b.layers.get(this.layer))
    if (m.onlyA.length + m.onlyB.length > MAX_SHAPE_WINDOWS) {
      // most shapes differ: one window around both layers' shapes (tiling takes it from there)
      const sa = a.layers.get(this.layer), sb = b.layers.get(this.layer)
      addBox(out, union(sa ? layerShapesBBox(sa) : null, sb ? layerShapesBBox(sb) : null))
    } else {
      addShapeBoxes(out, a, this.layer, m.onlyA)
      addShapeBoxes(out, b, this.layer, m.onlyB)
    }

    const relevant = (i: Instance): boolean => cellLayers(i.cell).has(this.layer)
    const ia = a.instances.filter(relevant), ib = b.instances.filter(relevant)
    // 1. positional: same placement at the same index (children equal, or compared as a pair)
    const restA: Instance[] = [], restB: Instance[] = []
    const n = Math.min(ia.length, ib.length)
    for (let i = 0; i < n; i++) {
      const x = ia[i]!, y = ib[i]!
      if (samePlacement(x, y)) out.push([x, y])
      else {
        restA.push(x)
        restB.push(y)
      }
    }
    for (let i = n; i < ia.length; i++) restA.push(ia[i]!)
    for (let i = n; i < ib.length; i++) restB.push(ib[i]!)
    if (!restA.length && !restB.length) return out
    // 2. the rest as multisets of (child layer hash, placement); 3. same placement, other child: a pair
    const key = (i: Instance): string => `${this.layerHash(i.cell)}|${placementKey(i)}`
    const pending = new Map<string, Instance[]>()
    for (const i of restB) push(pending, key(i), i)
    const onlyA: Instance[] = []
    for (const i of restA) {
      const list = pending.get(key(i))
      if (list && list.length) list.pop()
      else onlyA.push(i)
    }
    const byPlacement = new Map<string, Instance[]>()
    for (const list of pending.values()) for (const i of list) push(byPlacement, placementKey(i), i)
    for (const x of onlyA) {
      const y = byPlacement.get(placementKey(x))?.pop()
      if (y) out.push([x, y])
      else addBox(out, this.instanceExtent(x))
    }
    for (const list of byPlacement.values()) for (const y of list) addBox(out, this.instanceExtent(y))
    return out
  }

  private layerHash(c: Cell): string | undefined {
    return cellHashes(c).layers.get(this.layer)
  }

  /** Two instances with the same placement and different children: the children's windows, member by member. */
  private addPairWindows(out: BBox[], ia: Instance, ib: Instance): void {
    const sub = this.known(ia.cell, ib.cell)!
    if (!sub.length) return
    if (sub.length * memberCount(ia) > MAX_MEMBER_WINDOWS) {
      let u: BBox | null = null
      for (const w of sub) u = union(u, w)
      // the extent of the union box through all members
      let box: BBox | null = null
      forEachCorner(ia, (t) => (box = union(box, outerBox(t, u!))))
      addBox(out, box)
      return
    }
    forEachMember(ia, (t) => {
      for (const w of sub) out.push(outerBox(t, w))
    })
  }
}


function addShapeBoxes(out: PlanItem[], cell: Cell, layer: LayerKey, refs: ShapeRef[]): void {
  const s = cell.layers.get(layer)
  if (!s) return
  for (const r of refs) addBox(out, shapeBBox(s, r))
}

function addBox(out: PlanItem[], b: BBox | null): void {
  if (b) out.push(b)
}

function push<K, V>(m: Map<K, V[]>, k: K, v: V): void {
  const l = m.get(k)
  if (l) l.push(v)
  else m.set(k, [v])
}


/** Canonical text of an instance's placement (and array), for matching. */
export function placementKey(i: Instance): string {
  const p = i.placement
  const rot = ((p.rotation % 360) + 360) % 360
  const a = i.array
  const arr = !a || a.cols * a.rows === 1 ? '' : `|${a.cols},${a.cols > 1 ? `${a.colX},${a.colY}` : '0,0'},${a.rows},${a.rows > 1 ? `${a.rowX},${a.rowY}` : '0,0'}`
  return `${p.x},${p.y},${rot},${p.mirror ? 1 : 0},${p.mag}${arr}`
}

/** The box of a transformed box, rounded outwards to integers. */
export function outerBox(t: Affine, bb: BBox): BBox {
  let l = Infinity, b = Infinity, r = -Infinity, tp = -Infinity
  for (let k = 0; k < 4; k++) {
    const x = k & 1 ? bb[2] : bb[0]
    const y = k & 2 ? bb[3] : bb[1]
    const X = t.a * x + t.b * y + t.tx, Y = t.c * x + t.d * y + t.ty
    if (X < l) l = X
    if (X > r) r = X
    if (Y < b) b = Y
    if (Y > tp) tp = Y
  }
  return [Math.floor(l), Math.floor(b), Math.ceil(r), Math.ceil(tp)]
}

/**
 * Merges boxes whose interiors overlap until none do (boxes that only share an edge stay apart: their areas
 * add up exactly). The result covers the same points.
 */
export function mergeWindows(boxes: BBox[]): BBox[] {
  let cur = boxes.filter((b) => b[0] < b[2] && b[1] < b[3])
  for (;;) {
    if (cur.length < 2) return cur
    const idx = new Flatbush(cur.length)
    for (const b of cur) idx.add(b[0], b[1], b[2], b[3])
    idx.finish()
    const parent = new Int32Array(cur.length).map((_, i) => i)
    const find = (i: number): number => {
      while (parent[i] !== i) i = parent[i] = parent[parent[i]!]!
      return i
    }
    let merged = false
    for (let i = 0; i < cur.length; i++) {
      const b = cur[i]!
      for (const j of idx.search(b[0], b[1], b[2], b[3])) {
        if (j === i) continue
        const o = cur[j]!
        // interiors overlap (a zero-area box overlaps nothing)
        if (b[0] < o[2] && o[0] < b[2] && b[1] < o[3] && o[1] < b[3]) {
          const ri = find(i), rj = find(j)
          if (ri !== rj) {
            parent[ri] = rj
            merged = true
          }
        }
      }
    }
    if (!merged) return cur
    const groups = new Map<number, BBox>()
    for (let i = 0; i < cur.length; i++) {
      const r = find(i)
      groups.set(r, union(groups.get(r) ?? null, cur[i]!)!)
    }
    cur = [...groups.values()]
  }
}
