import type { IntBuf } from './intbuf.js'

/**
 * Normalises a GDSII point list the way KLayout stores polygons: drops the closing point, repeated points and
 * collinear in-line vertices (a vertex between two edges of the same direction). Spikes (edges that reverse)
 * are kept. Writes the result to `out` and returns the number of points.
 */
export function compressRing(xy: ArrayLike<number>, n: number, out: IntBuf): number {
  const open = n > 1 && xy[0] === xy[2 * n - 2] && xy[1] === xy[2 * n - 1] ? n - 1 : n
  if (open >= 3 && copyCleanRing(xy, open, out)) return open
  // copy without consecutive duplicates (cyclically)
  const start = out.length
  out.reserve(2 * n)
  const o = out.data
  let m = start
  for (let i = 0; i < n; i++) {
    const x = xy[2 * i]!
    const y = xy[2 * i + 1]!
    if (m > start && o[m - 2] === x && o[m - 1] === y) continue
    o[m++] = x
    o[m++] = y
  }
  out.length = m
  let cnt = (out.length - start) >> 1
  while (cnt > 1 && out.data[start] === out.data[start + 2 * cnt - 2] && out.data[start + 1] === out.data[start + 2 * cnt - 1]) {
    cnt--
  }
  out.length = start + 2 * cnt
  if (cnt < 3) return cnt
  const d = out.data
  if (!hasInLine(d, start, cnt)) return cnt
  // remove in-line vertices until none is left (a stack pass, then a wrap-around pass)
  let changed = true
  while (changed && cnt >= 3) {
    changed = false
    let w = 0
    for (let i = 0; i < cnt; i++) {
      const pi = start + 2 * ((i + cnt - 1) % cnt)
      const ci = start + 2 * i
      const ni = start + 2 * ((i + 1) % cnt)
      // previous point is the last written (w > 0) or the cyclic predecessor
      const px = w > 0 ? d[start + 2 * (w - 1)]! : d[pi]!
      const py = w > 0 ? d[start + 2 * (w - 1) + 1]! : d[pi + 1]!
      const cx = d[ci]!
      const cy = d[ci + 1]!
      const nx = d[ni]!
      const ny = d[ni + 1]!
      if (inLine(px, py, cx, cy, nx, ny)) {
        changed = true
        continue
      }
      d[start + 2 * w] = cx
      d[start + 2 * w + 1] = cy
      w++
    }
    cnt = w
  }
  out.length = start + 2 * cnt
  return cnt
}

/**
 * The common case in one pass: copies the m points of a ring that has no repeated point and no in-line
 * vertex (cyclically) to `out` and returns true; returns false (out unchanged) as soon as one is found.
 */
function copyCleanRing(xy: ArrayLike<number>, m: number, out: IntBuf): boolean {
  out.reserve(2 * m)
  const o = out.data
  let w = out.length
  let px = xy[2 * m - 2]!, py = xy[2 * m - 1]!
  let cx = xy[0]!, cy = xy[1]!
  for (let i = 0; i < m; i++) {
    const j = i + 1 === m ? 0 : 2 * (i + 1)
    const nx = xy[j]!, ny = xy[j + 1]!
    const ax = cx - px, ay = cy - py
    if (ax === 0 && ay === 0) return false
    const bx = nx - cx, by = ny - cy
    if (ax * by - ay * bx === 0 && ax * bx + ay * by > 0) return false
    o[w++] = cx
    o[w++] = cy
    px = cx
    py = cy
    cx = nx
    cy = ny
  }
  out.length = w
  return true
}

/** True if some vertex of the ring lies in line between its neighbours (the common case is false). */
function hasInLine(d: Int32Array, start: number, cnt: number): boolean {
  let px = d[start + 2 * cnt - 2]!, py = d[start + 2 * cnt - 1]!
  let cx = d[start]!, cy = d[start + 1]!
  for (let i = 1; i <= cnt; i++) {
    const k = i === cnt ? start : start + 2 * i
    const nx = d[k]!, ny = d[k + 1]!
    if (inLine(px, py, cx, cy, nx, ny)) return true
    px = cx
    py = cy
    cx = nx
    cy = ny
  }
  return false
}

/** c lies on the segment p..n strictly continuing in the same direction (not a spike). */
function inLine(px: number, py: number, cx: number, cy: number, nx: number, ny: number): boolean {
  const ax = cx - px
  const ay = cy - py
  const bx = nx - cx
  const by = ny - cy
  if (ax * by - ay * bx !== 0) return false
  return ax * bx + ay * by > 0
}

/**
 * If the ring (already compressed) is an axis-parallel rectangle, returns [l, b, r, t], else null.
 * KLayout stores such BOUNDARY elements as boxes.
 */
export function ringAsBox(d: ArrayLike<number>, start: number, n: number): [number, number, number, number] | null {
  if (n === 1 || n === 2) {
    // a degenerate ring (KLayout stores an axis-parallel one as an empty-area box)
    const x0 = d[start]!, y0 = d[start + 1]!, x1 = d[start + 2 * n - 2]!, y1 = d[start + 2 * n - 1]!
    if (x0 !== x1 && y0 !== y1) return null
    return [Math.min(x0, x1), Math.min(y0, y1), Math.max(x0, x1), Math.max(y0, y1)]
  }
  if (n !== 4) return null
  const x0 = d[start]!, y0 = d[start + 1]!, x1 = d[start + 2]!, y1 = d[start + 3]!
  const x2 = d[start + 4]!, y2 = d[start + 5]!, x3 = d[start + 6]!, y3 = d[start + 7]!
  const h = x0 === x1 && y1 === y2 && x2 === x3 && y3 === y0
  const v = y0 === y1 && x1 === x2 && y2 === y3 && x3 === x0
  if (!h && !v) return null
  return [Math.min(x0, x2), Math.min(y0, y2), Math.max(x0, x2), Math.max(y0, y2)]
}

/** Twice the signed area of a ring (positive = counter-clockwise), exact as a BigInt. */
export function ringArea2(d: ArrayLike<number>, start: number, n: number): bigint {
  let sum = 0
  let safe = true
  for (let i = 0; i < n; i++) {
    const j = i + 1 === n ? 0 : i + 1
    const xi = d[start + 2 * i]!, yi = d[start + 2 * i + 1]!
    const xj = d[start + 2 * j]!, yj = d[start + 2 * j + 1]!
    const term = xi * yj - xj * yi
    if (!Number.isSafeInteger(xi * yj) || !Number.isSafeInteger(xj * yi)) {
      safe = false
      break
    }
    sum += term
  }
  if (safe && Number.isSafeInteger(sum)) return BigInt(sum)
  let big = 0n
  for (let i = 0; i < n; i++) {
    const j = i + 1 === n ? 0 : i + 1
    big += BigInt(d[start + 2 * i]!) * BigInt(d[start + 2 * j + 1]!) - BigInt(d[start + 2 * j]!) * BigInt(d[start + 2 * i + 1]!)
  }
  return big
}
