/** Axis-aligned box [left, bottom, right, top] in dbu; `null` means empty. */
export type BBox = [number, number, number, number]

export function bboxUnion(a: BBox | null, b: BBox | null): BBox | null {
  if (!a) return b ? [b[0], b[1], b[2], b[3]] : null
  if (!b) return [a[0], a[1], a[2], a[3]]
  return [Math.min(a[0], b[0]), Math.min(a[1], b[1]), Math.max(a[2], b[2]), Math.max(a[3], b[3])]
}

export function bboxTouches(a: BBox, b: BBox): boolean {
  return a[0] <= b[2] && b[0] <= a[2] && a[1] <= b[3] && b[1] <= a[3]
}

/** A mutable accumulator used in hot loops (avoids allocating a box per shape). */
export class BBoxAcc {
  l = Infinity
  b = Infinity
  r = -Infinity
  t = -Infinity

  addPoint(x: number, y: number): void {
    if (x < this.l) this.l = x
    if (x > this.r) this.r = x
    if (y < this.b) this.b = y
    if (y > this.t) this.t = y
  }

  addBox(l: number, b: number, r: number, t: number): void {
    if (l < this.l) this.l = l
    if (r > this.r) this.r = r
    if (b < this.b) this.b = b
    if (t > this.t) this.t = t
  }

  addBBox(bb: BBox | null): void {
    if (bb) this.addBox(bb[0], bb[1], bb[2], bb[3])
  }

  get empty(): boolean {
    return this.l > this.r
  }

  result(): BBox | null {
    return this.empty ? null : [this.l, this.b, this.r, this.t]
  }
}
