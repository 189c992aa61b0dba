/**
 * Placement transforms, GDSII semantics: mirror at the x axis first, then magnify, then rotate counter-clockwise
 * by `rotation` degrees, then displace by (x, y).
 */
export interface Placement {
  x: number
  y: number
  /** Degrees counter-clockwise; any value, not only multiples of 90. */
  rotation: number
  mirror: boolean
  mag: number
}

/** An affine map x' = a x + b y + tx, y' = c x + d y + ty in doubles. */
export interface Affine {
  a: number
  b: number
  c: number
  d: number
  tx: number
  ty: number
}

export const IDENTITY: Affine = Object.freeze({ a: 1, b: 0, c: 0, d: 1, tx: 0, ty: 0 })

/** cos/sin of an angle in degrees, exact for multiples of 90 (Math.cos(Math.PI / 2) is not 0). */
export function cosSinDeg(deg: number): [number, number] {
  const r = ((deg % 360) + 360) % 360
  if (r === 0) return [1, 0]
  if (r === 90) return [0, 1]
  if (r === 180) return [-1, 0]
  if (r === 270) return [0, -1]
  const rad = (r * Math.PI) / 180
  return [Math.cos(rad), Math.sin(rad)]
}

export function placementAffine(p: Placement): Affine {
  const [cos, sin] = cosSinDeg(p.rotation)
  const m = p.mag
  const s = p.mirror ? -1 : 1
  // R * M * Fx, Fx = diag(1, -1)
  return { a: m * cos, b: -m * sin * s, c: m * sin, d: m * cos * s, tx: p.x, ty: p.y }
}

/** outer ∘ inner: first inner, then outer. */
export function compose(outer: Affine, inner: Affine): Affine {
  return {
    a: outer.a * inner.a + outer.b * inner.c,
    b: outer.a * inner.b + outer.b * inner.d,
    c: outer.c * inner.a + outer.d * inner.c,
    d: outer.c * inner.b + outer.d * inner.d,
    tx: outer.a * inner.tx + outer.b * inner.ty + outer.tx,
    ty: outer.c * inner.tx + outer.d * inner.ty + outer.ty,
  }
}

export function translate(t: Affine, dx: number, dy: number): Affine {
  return { a: t.a, b: t.b, c: t.c, d: t.d, tx: t.tx + t.a * dx + t.b * dy, ty: t.ty + t.c * dx + t.d * dy }
}

/** Rotation by a multiple of 90 degrees (possibly mirrored, any magnification): boxes stay boxes. */
export function isOrtho(t: Affine): boolean {
  return (t.b === 0 && t.c === 0) || (t.a === 0 && t.d === 0)
}

/** Ortho, unit magnification, integer displacement: integer coordinates map to integers without rounding. */
export function isExactInt(t: Affine): boolean {
  return isOrtho(t) && Math.abs(t.a + t.b) === 1 && Math.abs(t.c + t.d) === 1 && Number.isInteger(t.tx) && Number.isInteger(t.ty)
}

/** Rounds half away from zero, as KLayout rounds transformed coordinates to the database grid. */
export function roundCoord(v: number): number {
  return v >= 0 ? Math.floor(v + 0.5) : -Math.floor(-v + 0.5)
}

/** Determinant sign < 0: the transform mirrors (reverses polygon orientation). */
export function isMirroring(t: Affine): boolean {
  return t.a * t.d - t.b * t.c < 0
}
