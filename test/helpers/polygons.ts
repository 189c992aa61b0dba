/*
 * Simple polygons of every slope for property tests, and an exact oracle that is not the XOR engine: two simple
 * polygons cover the same point set iff their canonical vertex lists are equal (collinear vertices dropped,
 * counter-clockwise, least vertex first). All arithmetic here is BigInt.
 */

export type Poly = number[] // flat x0, y0, x1, y1, ...

const B = BigInt

function orient(ax: number, ay: number, bx: number, by: number, cx: number, cy: number): number {
  // exact in doubles while the products stay below 2^53 (coordinates below 2^25 in magnitude)
  const L = 2 ** 25
  if (Math.abs(ax) < L && Math.abs(ay) < L && Math.abs(bx) < L && Math.abs(by) < L && Math.abs(cx) < L && Math.abs(cy) < L) {
    const d = (bx - ax) * (cy - ay) - (by - ay) * (cx - ax)
    return d > 0 ? 1 : d < 0 ? -1 : 0
  }
  const v = (B(bx) - B(ax)) * (B(cy) - B(ay)) - (B(by) - B(ay)) * (B(cx) - B(ax))
  return v > 0n ? 1 : v < 0n ? -1 : 0
}

/** Twice the signed area (shoelace), exact. */
export function area2(p: Poly): bigint {
  const n = p.length / 2
  let s = 0n
  for (let i = 0; i < n; i++) {
    const j = (i + 1) % n
    s += B(p[2 * i]!) * B(p[2 * j + 1]!) - B(p[2 * j]!) * B(p[2 * i + 1]!)
  }
  return s
}

function onSegment(ax: number, ay: number, bx: number, by: number, cx: number, cy: number): boolean {
  return Math.min(ax, bx) <= cx && cx <= Math.max(ax, bx) && Math.min(ay, by) <= cy && cy <= Math.max(ay, by)
}

function segmentsMeet(p: Poly, i: number, j: number): boolean {
  const n = p.length / 2
  const [ax, ay, bx, by] = [p[2 * i]!, p[2 * i + 1]!, p[2 * ((i + 1) % n)]!, p[2 * ((i + 1) % n) + 1]!]
  const [cx, cy, dx, dy] = [p[2 * j]!, p[2 * j + 1]!, p[2 * ((j + 1) % n)]!, p[2 * ((j + 1) % n) + 1]!]
  const o1 = orient(ax, ay, bx, by, cx, cy), o2 = orient(ax, ay, bx, by, dx, dy)
  const o3 = orient(cx, cy, dx, dy, ax, ay), o4 = orient(cx, cy, dx, dy, bx, by)
  if (o1 !== o2 && o3 !== o4 && o1 !== 0 && o2 !== 0 && o3 !== 0 && o4 !== 0) return true
  if (o1 === 0 && onSegment(ax, ay, bx, by, cx, cy)) return true
  if (o2 === 0 && onSegment(ax, ay, bx, by, dx, dy)) return true
  if (o3 === 0 && onSegment(cx, cy, dx, dy, ax, ay)) return true
  if (o4 === 0 && onSegment(cx, cy, dx, dy, bx, by)) return true
  return false
}

/**
 * A simple polygon: at least 3 vertices, non-zero area, edges meet only at shared vertices of neighbouring
 * edges, and neighbouring edges do not fold back onto each other.
 */
export function isSimple(p: Poly): boolean {
  const n = p.length / 2
  if (n < 3 || area2(p) === 0n) return false
  for (let i = 0; i < n; i++) {
    const j = (i + 1) % n
    if (p[2 * i] === p[2 * j] && p[2 * i + 1] === p[2 * j + 1]) return false
  }
  for (let i = 0; i < n; i++) {
    // neighbours: only the shared vertex (no fold-back along the same line)
    const j = (i + 1) % n, k = (i + 2) % n
    const [ax, ay, bx, by, cx, cy] = [p[2 * i]!, p[2 * i + 1]!, p[2 * j]!, p[2 * j + 1]!, p[2 * k]!, p[2 * k + 1]!]
    if (orient(ax, ay, bx, by, cx, cy) === 0) {
      const dot = (B(bx) - B(ax)) * (B(cx) - B(bx)) + (B(by) - B(ay)) * (B(cy) - B(by))
      if (dot < 0n) return false
    }
    for (let m = i + 2; m < n; m++) {
      if (i === 0 && m === n - 1) continue
      if (segmentsMeet(p, i, m)) return false
    }
  }
  return true
}

/** Canonical vertex list: collinear vertices dropped, counter-clockwise, lexicographically least vertex first. */
export function canonical(p: Poly): string {
  let pts: Array<[number, number]> = []
  for (let i = 0; i < p.length; i += 2) pts.push([p[i]!, p[i + 1]!])
  if (area2(p) < 0n) pts.reverse()
  let changed = true
  while (changed && pts.length > 2) {
    changed = false
    for (let i = 0; i < pts.length; i++) {
      const a = pts[(i + pts.length - 1) % pts.length]!, b = pts[i]!, c = pts[(i + 1) % pts.length]!
      if ((a[0] === b[0] && a[1] === b[1]) || orient(a[0], a[1], b[0], b[1], c[0], c[1]) === 0) {
        pts.splice(i, 1)
        changed = true
        break
      }
    }
  }
  let best = 0
  for (let i = 1; i < pts.length; i++) if (pts[i]![0] < pts[best]![0] || (pts[i]![0] === pts[best]![0] && pts[i]![1] < pts[best]![1])) best = i
  pts = [...pts.slice(best), ...pts.slice(0, best)]
  return pts.map((q) => q.join(',')).join(';')
}

/** The polygon with vertex i moved by (dx, dy). */
export function moved(p: Poly, i: number, dx: number, dy: number): Poly {
  const q = [...p]
  q[2 * i]! += dx
  q[2 * i + 1]! += dy
  return q
}

export type Kind = 'triangle' | 'trapezoid' | 'sliver' | 'star' | 'octagon45' | 'nearlyCollinear' | 'huge'
export const KINDS: Kind[] = ['triangle', 'trapezoid', 'sliver', 'star', 'octagon45', 'nearlyCollinear', 'huge']

/** A random simple polygon of the given kind (null when the draw was not simple; draw again). */
export function randomPolygon(r: () => number, kind: Kind): Poly | null {
  const int = (lo: number, hi: number): number => lo + Math.floor(r() * (hi - lo + 1))
  let p: Poly
  switch (kind) {
    case 'triangle':
      p = [int(-5000, 5000), int(-5000, 5000), int(-5000, 5000), int(-5000, 5000), int(-5000, 5000), int(-5000, 5000)]
      break
    case 'trapezoid': {
      // a taper: two vertical sides of different heights, or two horizontal ones
      const x0 = int(-2000, 2000), len = int(10, 20000), y0 = int(-2000, 2000), h1 = int(1, 3000), h2 = int(1, 3000), off = int(-1500, 1500)
      p = r() < 0.5 ? [x0, y0, x0 + len, y0 + off, x0 + len, y0 + off + h2, x0, y0 + h1] : [y0, x0, y0 + h1, x0, y0 + off + h2, x0 + len, y0 + off, x0 + len]
      break
    }
    case 'sliver': {
      // a long parallelogram or triangle 1-3 dbu wide
      const x0 = int(-3000, 3000), y0 = int(-3000, 3000), dx = int(-20000, 20000), dy = int(-20000, 20000), w = int(1, 3)
      const [nx, ny] = r() < 0.5 ? [w, 0] : [0, w]
      p = r() < 0.5 ? [x0, y0, x0 + dx, y0 + dy, x0 + dx + nx, y0 + dy + ny, x0 + nx, y0 + ny] : [x0, y0, x0 + dx, y0 + dy, x0 + nx, y0 + ny]
      break
    }
    case 'star': {
      // star-shaped around the origin: concave, any slope
      const n = int(5, 14), cx = int(-1000, 1000), cy = int(-1000, 1000)
      const angles = Array.from({ length: n }, () => r() * 2 * Math.PI).sort((a, b) => a - b)
      p = []
      for (const a of angles) {
        const rad = int(50, 8000)
        p.push(cx + Math.round(rad * Math.cos(a)), cy + Math.round(rad * Math.sin(a)))
      }
      break
    }
    case 'octagon45': {
      const x = int(-3000, 3000), y = int(-3000, 3000), s = int(1, 2000), c = int(1, 1500)
      p = [x + c, y, x + c + s, y, x + 2 * c + s, y + c, x + 2 * c + s, y + c + s, x + c + s, y + 2 * c + s, x + c, y + 2 * c + s, x, y + c + s, x, y + c]
      break
    }
    case 'nearlyCollinear': {
      // vertices along a line, each off it by at most one dbu, closed by a far vertex
      const n = int(3, 8), x0 = int(-2000, 2000), y0 = int(-2000, 2000), sx = int(1, 3000), sy = int(-3000, 3000)
      p = []
      for (let i = 0; i < n; i++) p.push(x0 + i * sx, y0 + i * sy + int(-1, 1))
      p.push(x0 + (n - 1) * sx + int(-500, 500), y0 + (n - 1) * sy + int(1000, 5000))
      break
    }
    case 'huge': {
      // coordinates up to +-2^30
      const M = 2 ** 30
      p = r() < 0.5
        ? [int(-M, M), int(-M, M), int(-M, M), int(-M, M), int(-M, M), int(-M, M)]
        : [int(-M, M - 4000), int(-M, M - 4000), 0, 0, 0, 0]
      if (p[2] === 0) {
        const x = p[0]!, y = p[1]!
        p = [x, y, x + int(1, 4000), y + int(-3, 3), x + int(1, 4000), y + int(1, 4000)]
      }
      break
    }
  }
  return isSimple(p) ? p : null
}

/** Rotations and reversal of the vertex list: the same polygon. */
export function reencoded(p: Poly, start: number, reverse: boolean): Poly {
  const n = p.length / 2
  const out: Poly = []
  for (let k = 0; k < n; k++) {
    const i = reverse ? (start - k + n) % n : (start + k) % n
    out.push(p[2 * i]!, p[2 * i + 1]!)
  }
  return out
}

const gcd = (a: number, b: number): number => {
  a = Math.abs(a)
  b = Math.abs(b)
  while (b) [a, b] = [b, a % b]
  return a
}

/** The polygon with a lattice point inserted on one of its edges (if an edge has one): the same polygon. */
export function withCollinearVertex(p: Poly): Poly | null {
  const n = p.length / 2
  for (let i = 0; i < n; i++) {
    const j = (i + 1) % n
    const dx = p[2 * j]! - p[2 * i]!, dy = p[2 * j + 1]! - p[2 * i + 1]!
    const g = gcd(dx, dy)
    if (g >= 2) {
      const q = [...p]
      q.splice(2 * i + 2, 0, p[2 * i]! + dx / g, p[2 * i + 1]! + dy / g)
      return q
    }
  }
  return null
}

/** The polygon cut in two along a diagonal from vertex 0 (when that diagonal lies inside): the same region. */
export function splitAlongDiagonal(p: Poly): [Poly, Poly] | null {
  const n = p.length / 2
  if (n < 4) return null
  for (let k = 2; k < n - 1; k++) {
    const a = p.slice(0, 2 * k + 2)
    const b = [p[0]!, p[1]!, ...p.slice(2 * k)]
    if (isSimple(a) && isSimple(b) && area2(a) + area2(b) === area2(p) && Math.sign(Number(area2(a))) === Math.sign(Number(area2(p))) && Math.sign(Number(area2(b))) === Math.sign(Number(area2(p)))) return [a, b]
  }
  return null
}
