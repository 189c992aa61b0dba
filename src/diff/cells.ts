import { cellLayers } from '../layout/extent.js'
import { cellHashes, forEachShapeHash, hashPlacement, ShapeHasher } from '../layout/hash.js'
import { layerName, type LayerKey } from '../layout/layers.js'
import type { Cell } from '../layout/layout.js'
import { matchShapes, SubtreeMatcher } from '../layout/match.js'
import { DirtyWindowFinder, placementKey } from './windows.js'

/*
 * The changed-cells report: which cells of the two hierarchies are identical, changed (on which layers, and
 * whether in their own content or only through children), only in A or B, or renamed. Cells are matched by
 * name first; a cell only in A whose content hash equals that of a cell only in B is "renamed".
 */

export interface ChangedCell {
  name: string
  /** Layers whose flat geometry below this cell differs ("L/D"). */
  layers: string[]
  /** The cell's own shapes or instance placements changed (false: only its children changed). */
  self: boolean
  /** Texts or properties changed (geometry may be the same). */
  texts: boolean
}

export interface ChangedCells {
  identical: string[]
  changed: ChangedCell[]
  onlyInA: string[]
  onlyInB: string[]
  renamed: Array<{ a: string; b: string }>
}

/** Cells reachable from the tops, by name. */
function reachable(tops: Cell[]): Map<string, Cell> {
  const out = new Map<string, Cell>()
  const stack = [...tops]
  while (stack.length) {
    const c = stack.pop()!
    if (out.has(c.name)) continue
    out.set(c.name, c)
    for (const i of c.instances) stack.push(i.cell)
  }
  return out
}

/** Names the layers on which a same-named pair of cells may differ. */
export type LayersOf = (a: Cell, b: Cell) => string[]

/** The layers the diff compared, for the report. */
export interface ReportLayers {
  /**
   * Every compared layer: its key and the source layers of A and of B that make it up (after map, include,
   * exclude), whether or not the XOR pruned it, and whether or not it exists on both sides.
   */
  plan: ReadonlyArray<{ key: LayerKey; srcA: readonly LayerKey[]; srcB: readonly LayerKey[] }>
  /** Dirty-window finders the XOR already built, by layer: reused (their results are memoised). */
  finders?: ReadonlyMap<LayerKey, DirtyWindowFinder>
}

/**
 * Which compared layers may differ below a pair of cells. A compared layer that is one source layer of the same
 * number on each side differs when the XOR's own dirty-window search (layout/windows.ts) finds a window in the
 * pair: a shape moved from 40/0 to 42/0 leaves a window on 40/0 (only in A) and one on 42/0 (only in B), so both
 * layers are named, as both differ in the XOR. Layers on one side only and layers the XOR did not prune
 * (pruning off) are searched here, with finders of their own. A layer made of other source layers (a map) is
 * compared by a hash of its merged sources below the cell that ignores layer numbers: equal hashes mean the same
 * shapes under the same placements; different ones may, rarely, still make the same flat geometry (the same
 * over-approximation as a dirty window), never the reverse.
 */
export function layersOfPlan(layers: ReportLayers): LayersOf {
  const structure = new SubtreeMatcher()
  const own = new Map<LayerKey, DirtyWindowFinder>()
  const finder = (k: LayerKey): DirtyWindowFinder => {
    let f = layers.finders?.get(k) ?? own.get(k)
    if (!f) own.set(k, (f = new DirtyWindowFinder(k, structure)))
    return f
  }
  const merged = layers.plan.map((p) => {
    const direct = p.srcA.every((k) => k === p.key) && p.srcB.every((k) => k === p.key)
    return direct ? null : { a: new MergedLayerHash(p.srcA), b: new MergedLayerHash(p.srcB) }
  })
  return (a, b) => {
    const out: string[] = []
    layers.plan.forEach((p, i) => {
      const m = merged[i]
      const differs = m ? !sameLanes(m.a.of(a), m.b.of(b)) : finder(p.key).cellPair(a, b).length > 0
      if (differs) out.push(layerName(p.key))
    })
    return out
  }
}

/**
 * Per cell, a hash of the shapes of a set of source layers at and below it, merged, whatever their layer
 * numbers: the lane-wise sum of the own shapes' hashes (layout/hash.ts) and of each instance's (child hash,
 * placement); null when the cell has no such shapes. Computed bottom-up with an explicit stack.
 */
class MergedLayerHash {
  private readonly table = new Map<Cell, Uint32Array | null>()
  private readonly keys: ReadonlySet<LayerKey>
  private readonly h = new ShapeHasher()

  constructor(keys: readonly LayerKey[]) {
    this.keys = new Set(keys)
  }

  of(root: Cell): Uint32Array | null {
    if (this.table.has(root)) return this.table.get(root)!
    const stack: Array<{ cell: Cell; next: number }> = [{ cell: root, next: 0 }]
    const active = new Set<Cell>([root])
    while (stack.length) {
      const top = stack[stack.length - 1]!
      const insts = top.cell.instances
      if (top.next < insts.length) {
        const child = insts[top.next++]!.cell
        if (!this.table.has(child) && !active.has(child) && this.relevant(child)) {
          stack.push({ cell: child, next: 0 })
          active.add(child)
        }
        continue
      }
      stack.pop()
      active.delete(top.cell)
      this.table.set(top.cell, this.compute(top.cell))
    }
    return this.table.get(root)!
  }

  private relevant(c: Cell): boolean {
    for (const k of cellLayers(c)) if (this.keys.has(k)) return true
    return false
  }

  private compute(c: Cell): Uint32Array | null {
    const h = this.h
    const acc = new Uint32Array(4)
    let any = false
    for (const k of this.keys) {
      const s = c.layers.get(k)
      if (!s?.shapeCount) continue
      forEachShapeHash(s, h, () => h.finishInto(acc))
      any = true
    }
    for (const inst of c.instances) {
      const child = this.table.get(inst.cell)
      if (!child) continue
      h.reset()
      h.add(4)
      for (const v of child) h.add(v | 0)
      hashPlacement(h, inst)
      h.finishInto(acc)
      any = true
    }
    return any ? acc : null
  }
}

function sameLanes(x: Uint32Array | null, y: Uint32Array | null): boolean {
  if (!x || !y) return x === y
  return x[0] === y[0] && x[1] === y[1] && x[2] === y[2] && x[3] === y[3]
}

/**
 * `structure` must compare texts (stored-identical cells are identical without hashing); `layers` are the
 * compared layers (see ReportLayers), or a function naming the layers on which a same-named pair differs.
 */
export function changedCells(topsA: Cell[], topsB: Cell[], structure: SubtreeMatcher, layers: ReportLayers | LayersOf): ChangedCells {
  const layersOf = typeof layers === 'function' ? layers : layersOfPlan(layers)
  const A = reachable(topsA), B = reachable(topsB)
  const res: ChangedCells = { identical: [], changed: [], onlyInA: [], onlyInB: [], renamed: [] }
  for (const [name, a] of A) {
    const b = B.get(name)
    if (!b) continue
    if (structure.same(a, b)) {
      res.identical.push(name)
      continue
    }
    const layers = layersOf(a, b)
    const texts = textsDiffer(a, b)
    // reordered or re-encoded but equal content: identical after all
    if (!layers.length && !texts && !selfChanged(a, b) && cellHashes(a).full === cellHashes(b).full) {
      res.identical.push(name)
      continue
    }
    res.changed.push({ name, layers, self: selfChanged(a, b), texts })
  }
  const onlyA = [...A.keys()].filter((n) => !B.has(n))
  const onlyB = [...B.keys()].filter((n) => !A.has(n))
  if (!onlyA.length || !onlyB.length) {
    res.onlyInA = onlyA.sort()
    res.onlyInB = onlyB.sort()
    res.identical.sort()
    res.changed.sort((x, y) => (x.name < y.name ? -1 : x.name > y.name ? 1 : 0))
    return res
  }
  const byHash = new Map<string, string[]>()
  for (const n of onlyB) {
    const h = cellHashes(B.get(n)!).full
    byHash.set(h, [...(byHash.get(h) ?? []), n])
  }
  const renamedB = new Set<string>()
  for (const n of onlyA) {
    const twin = byHash.get(cellHashes(A.get(n)!).full)?.shift()
    if (twin !== undefined) {
      res.renamed.push({ a: n, b: twin })
      renamedB.add(twin)
    } else {
      res.onlyInA.push(n)
    }
  }
  res.onlyInB = onlyB.filter((n) => !renamedB.has(n))
  for (const list of [res.identical, res.onlyInA, res.onlyInB]) list.sort()
  res.changed.sort((x, y) => (x.name < y.name ? -1 : x.name > y.name ? 1 : 0))
  return res
}

/** Own shapes or the placements (child name, transform) of a cell differ. */
function selfChanged(a: Cell, b: Cell): boolean {
  for (const k of new Set([...a.layers.keys(), ...b.layers.keys()])) {
    const m = matchShapes(a.layers.get(k), b.layers.get(k))
    if (m.onlyA.length || m.onlyB.length) return true
  }
  const key = (c: Cell): string[] => c.instances.map((i) => `${i.cell.name}|${placementKey(i)}`).sort()
  const ka = key(a), kb = key(b)
  return ka.length !== kb.length || ka.some((k, i) => k !== kb[i])
}

function textsDiffer(a: Cell, b: Cell): boolean {
  const key = (c: Cell): string[] => c.texts.map((t) => `${t.layer}|${t.text}|${t.x}|${t.y}|${t.placement?.rotation ?? 0}|${t.placement?.mirror ?? false}|${t.placement?.mag ?? 1}`).sort()
  const ka = key(a), kb = key(b)
  return ka.length !== kb.length || ka.some((k, i) => k !== kb[i])
}
