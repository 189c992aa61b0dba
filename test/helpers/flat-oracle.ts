import { expect } from 'vitest'
import { flatten, layerName, type Layout, type LayerKey } from '../../src/index.js'
import { BBoxAcc } from '../../src/layout/bbox.js'
import { ringArea2 } from '../../src/layout/polygon.js'
import type { OracleJson } from './corpus.js'

/**
 * flatten() (what XOR and rendering use) reaches the oracle's flat shape count and box per top cell and layer:
 * checked independently of the bottom-up statistics. Shared by the GDSII and OASIS oracle tests.
 */
export function expectFlattenMatchesOracle(layout: Layout, oracle: OracleJson): void {
  for (const [top, layers] of Object.entries(oracle.flat)) {
    const counts = new Map<LayerKey, number>()
    const boxes = new Map<LayerKey, BBoxAcc>()
    const acc = (k: LayerKey): BBoxAcc => {
      let a = boxes.get(k)
      if (!a) boxes.set(k, (a = new BBoxAcc()))
      counts.set(k, (counts.get(k) ?? 0) + 1)
      return a
    }
    flatten(layout.getCell(top)!, {
      box: (k, l, b, r, t) => {
        const a = acc(k)
        if (l < r && b < t) a.addBox(l, b, r, t)
      },
      polygon: (k, xy, n) => {
        const a = acc(k)
        if (ringArea2(xy, 0, n) === 0n) return
        for (let i = 0; i < n; i++) a.addPoint(xy[2 * i]!, xy[2 * i + 1]!)
      },
    })
    for (const [l, v] of Object.entries(layers)) {
      const key = [...counts.keys()].find((k) => layerName(k) === l)!
      expect(counts.get(key), `${top} ${l}`).toBe(v.shapes)
      expect(boxes.get(key)!.result(), `${top} ${l} bbox`).toEqual(v.bbox)
    }
  }
}
