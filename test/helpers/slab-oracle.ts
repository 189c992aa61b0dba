/*
 * An independent, slow, exact oracle for areas of boolean combinations of small polygon sets: every x where
 * anything can happen (vertex x's, pairwise crossings of edges) cuts the plane into slabs; in each slab, the edges
 * are sorted by their y at the slab's middle, and the status of each interval between consecutive edges is read
 * from the winding numbers. The area of a trapezoid between two edges over a slab is its width times its height
 * at the middle. Everything is a BigInt fraction. Quadratic and then some: for a few dozen edges only.
 */

export type Fr = [bigint, bigint] // num, den > 0

const gcd = (a: bigint, b: bigint): bigint => {
  a = a < 0n ? -a : a
  b = b < 0n ? -b : b
  while (b) [a, b] = [b, a % b]
  return a
}
export const fr = (n: bigint, d = 1n): Fr => {
  if (d < 0n) {
    n = -n
    d = -d
  }
  const g = gcd(n, d) || 1n
  return [n / g, d / g]
}
export const add = (a: Fr, b: Fr): Fr => fr(a[0] * b[1] + b[0] * a[1], a[1] * b[1])
export const sub = (a: Fr, b: Fr): Fr => fr(a[0] * b[1] - b[0] * a[1], a[1] * b[1])
export const mul = (a: Fr, b: Fr): Fr => fr(a[0] * b[0], a[1] * b[1])
export const cmp = (a: Fr, b: Fr): number => {
  const s = a[0] * b[1] - b[0] * a[1]
  return s < 0n ? -1 : s > 0n ? 1 : 0
}

interface OEdge {
  x1: bigint
  y1: bigint
  x2: bigint
  y2: bigint
  set: number
  w: number
}

/** Polygons: per set, a list of rings as flat [x0, y0, x1, y1, ...] (integers). */
export function oracleArea(sets: number[][][], status: (mask: number) => boolean, box?: [number, number, number, number]): Fr {
  const edges: OEdge[] = []
  sets.forEach((rings, s) => {
    for (const r of rings) {
      const n = r.length / 2
      for (let i = 0; i < n; i++) {
        const j = (i + 1) % n
        const ax = BigInt(r[2 * i]!), ay = BigInt(r[2 * i + 1]!), bx = BigInt(r[2 * j]!), by = BigInt(r[2 * j + 1]!)
        if (ax === bx) continue
        edges.push(ax < bx ? { x1: ax, y1: ay, x2: bx, y2: by, set: s, w: 1 } : { x1: bx, y1: by, x2: ax, y2: ay, set: s, w: -1 })
      }
    }
  })
  let boxSet = -1
  if (box) {
    boxSet = sets.length
    const [l, b, r, t] = box.map(BigInt) as [bigint, bigint, bigint, bigint]
    edges.push({ x1: l, y1: b, x2: r, y2: b, set: boxSet, w: 1 }, { x1: l, y1: t, x2: r, y2: t, set: boxSet, w: -1 })
  }
  const xs: Fr[] = []
  for (const e of edges) xs.push(fr(e.x1), fr(e.x2))
  for (let i = 0; i < edges.length; i++) {
    for (let j = i + 1; j < edges.length; j++) {
      const e = edges[i]!, f = edges[j]!
      const dxe = e.x2 - e.x1, dye = e.y2 - e.y1, dxf = f.x2 - f.x1, dyf = f.y2 - f.y1
      const den = dye * dxf - dyf * dxe
      if (den === 0n) continue
      // x where the lines meet
      const x = fr((f.y1 - e.y1) * dxe * dxf + e.x1 * dye * dxf - f.x1 * dyf * dxe, den)
      xs.push(x)
    }
  }
  xs.sort(cmp)
  const ux: Fr[] = []
  for (const x of xs) if (!ux.length || cmp(ux[ux.length - 1]!, x) !== 0) ux.push(x)
  let area: Fr = [0n, 1n]
  const yAt = (e: OEdge, x: Fr): Fr => add(fr(e.y1), mul(sub(x, fr(e.x1)), fr(e.y2 - e.y1, e.x2 - e.x1)))
  for (let k = 0; k + 1 < ux.length; k++) {
    const a = ux[k]!, b = ux[k + 1]!
    const m = mul(add(a, b), [1n, 2n])
    const act = edges.filter((e) => cmp(fr(e.x1), m) < 0 && cmp(fr(e.x2), m) > 0).map((e) => ({ e, y: yAt(e, m) }))
    act.sort((p, q) => cmp(p.y, q.y))
    const wind = new Array<number>(sets.length + 1).fill(0)
    const maskOf = (): number => {
      let mk = 0
      wind.forEach((w, i) => {
        if (w !== 0) mk |= 1 << i
      })
      return mk
    }
    for (let i = 0; i + 1 < act.length; i++) {
      wind[act[i]!.e.set]! += act[i]!.e.w
      let mk = maskOf()
      if (boxSet >= 0) {
        // the box's bit becomes bit 3 for the status function when there are fewer sets
        const inBox = (mk >> boxSet) & 1
        mk = (mk & ((1 << boxSet) - 1)) | (inBox << 3)
      }
      if (!status(mk)) continue
      const h = sub(act[i + 1]!.y, act[i]!.y)
      area = add(area, mul(h, sub(b, a)))
    }
  }
  return area
}
