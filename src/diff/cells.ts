import { cellHashes } from '../layout/hash.js'
import type { Cell } from '../layout/layout.js'
import { matchShapes, type SubtreeMatcher } from '../layout/match.js'
import { placementKey } from './windows.js'

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

/**
 * `structure` must compare texts (stored-identical cells are identical without hashing); `layersOf(a, b)` names
 * the layers on which a same-named pair differs (from the XOR's dirty-window search).
 */
export function changedCells(topsA: Cell[], topsB: Cell[], structure: SubtreeMatcher, layersOf: (a: Cell, b: Cell) => string[]): ChangedCells {
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
