import { forEachMember } from '../layout/flatten.js'
import { layerName } from '../layout/layers.js'
import { flatTextCount } from '../layout/stats.js'
import type { Cell } from '../layout/layout.js'
import type { SubtreeMatcher } from '../layout/match.js'
import { compose, roundCoord, type Affine } from '../layout/transform.js'
import type { Side } from './gather.js'

/** A flat label: layer "L/D", string and anchor position on the common grid (dbu). */
export interface FlatLabel {
  layer: string
  text: string
  x: number
  y: number
}

export interface LabelDiff {
  equal: boolean
  /** Labels of A with no twin (same layer, string and position) in B; at most `max` listed. */
  onlyInA: FlatLabel[]
  onlyInB: FlatLabel[]
  countOnlyInA: number
  countOnlyInB: number
}

/**
 * Compares the flat labels of two sides as multisets (orientation, size and font are not compared). `structure`
 * must compare texts: stored-identical tops are equal without flattening.
 */
export function diffLabels(a: Side, b: Side, structure: SubtreeMatcher, max = 100): LabelDiff {
  const sameTops = a.tops.length === b.tops.length && a.transform === b.transform &&
    a.tops.every((t, i) => structure.same(t, b.tops[i]!))
  if (sameTops) return { equal: true, onlyInA: [], onlyInB: [], countOnlyInA: 0, countOnlyInB: 0 }
  const count = new Map<string, number>()
  for (const l of flatLabels(a)) {
    const k = JSON.stringify([l.layer, l.text, l.x, l.y])
    count.set(k, (count.get(k) ?? 0) + 1)
  }
  const onlyB: FlatLabel[] = []
  for (const l of flatLabels(b)) {
    const k = JSON.stringify([l.layer, l.text, l.x, l.y])
    const c = count.get(k) ?? 0
    if (c > 0) count.set(k, c - 1)
    else onlyB.push(l)
  }
  const onlyA: FlatLabel[] = []
  for (const [k, c] of count) {
    const [layer, text, x, y] = JSON.parse(k) as [string, string, number, number]
    for (let i = 0; i < c; i++) onlyA.push({ layer, text, x, y })
  }
  return {
    equal: onlyA.length === 0 && onlyB.length === 0,
    onlyInA: onlyA.slice(0, max), onlyInB: onlyB.slice(0, max),
    countOnlyInA: onlyA.length, countOnlyInB: onlyB.length,
  }
}

function flatLabels(side: Side): FlatLabel[] {
  const out: FlatLabel[] = []
  const add = (cell: Cell, t: Affine): void => {
    for (const tx of cell.texts) {
      out.push({ layer: layerName(tx.layer), text: tx.text, x: roundCoord(t.a * tx.x + t.b * tx.y + t.tx), y: roundCoord(t.c * tx.x + t.d * tx.y + t.ty) })
    }
  }
  // depth first in stored order with an explicit stack (a hierarchy can be a million levels deep); cells
  // without texts below them are not entered (their array members are never enumerated)
  const frames: Array<{ cell: Cell; t: Affine; k: number; members: Affine[]; m: number }> = []
  for (const top of side.tops) {
    add(top, side.transform)
    frames.push({ cell: top, t: side.transform, k: 0, members: [], m: 0 })
    while (frames.length) {
      const f = frames[frames.length - 1]!
      if (f.m < f.members.length) {
        const child = f.cell.instances[f.k - 1]!.cell
        const ct = compose(f.t, f.members[f.m++]!)
        add(child, ct)
        frames.push({ cell: child, t: ct, k: 0, members: [], m: 0 })
        continue
      }
      if (f.k >= f.cell.instances.length) {
        frames.pop()
        continue
      }
      const inst = f.cell.instances[f.k++]!
      f.members = []
      f.m = 0
      if (flatTextCount(inst.cell) > 0) forEachMember(inst, (m) => f.members.push(m))
    }
  }
  return out
}
