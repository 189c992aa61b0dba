import { INT32_MAX, INT32_MIN, type OasisInput } from './input.js'

/**
 * The modal repetition of the OASIS parser. All 12 types (type 0 reuses the previous one) are read into one of
 * two forms, as KLayout reads them:
 * - regular: `na` x `nb` members at i * a + j * b (types 1, 2, 3, 8 and 9; a zero step collapses its
 *   dimension to one member, as in KLayout);
 * - irregular: the origin plus a list of displacements (types 4-7, 10, 11). Spacings of zero (two members at
 *   the same place) are dropped, as KLayout drops them.
 * `members()` gives every member's displacement (the origin first) for elements that are expanded.
 */
export class Repetition {
  /** A repetition has been read (type 0 may reuse it). */
  defined = false
  regular = true
  na = 1
  nb = 1
  ax = 0
  ay = 0
  bx = 0
  by = 0
  /** Irregular: displacements (x, y pairs), the origin first; `count` members. */
  pts = new Int32Array(64)
  count = 1
  /** Members materialised in `pts` for the current regular repetition. */
  private expanded = false

  reset(): void {
    this.defined = false
  }

  /** Number of members. */
  get size(): number {
    return this.regular ? this.na * this.nb : this.count
  }

  /** Reads a repetition (after the element's other fields). `maxMembers` bounds the member count. */
  read(inp: OasisInput, maxMembers: number): void {
    const type = inp.u()
    if (type === 0) {
      if (!this.defined) inp.fail('a previous repetition for repetition type 0 (the modal repetition is not set)')
      return
    }
    this.expanded = false
    switch (type) {
      case 1: {
        const nx = inp.u() + 2
        const ny = inp.u() + 2
        const dx = inp.ucoord()
        const dy = inp.ucoord()
        this.setRegular(inp, maxMembers, dx, 0, 0, dy, dx === 0 ? 1 : nx, dy === 0 ? 1 : ny)
        break
      }
      case 2: {
        const nx = inp.u() + 2
        const dx = inp.ucoord()
        this.setRegular(inp, maxMembers, dx, 0, 0, 0, dx === 0 ? 1 : nx, 1)
        break
      }
      case 3: {
        const ny = inp.u() + 2
        const dy = inp.ucoord()
        this.setRegular(inp, maxMembers, 0, 0, 0, dy, 1, dy === 0 ? 1 : ny)
        break
      }
      case 4:
      case 5:
      case 6:
      case 7: {
        const n = inp.u() + 2
        const grid = type === 5 || type === 7 ? inp.ucoord() : 1
        this.startIrregular(inp, maxMembers, n)
        const vertical = type >= 6
        let c = 0
        for (let i = 1; i < n; i++) {
          const d = inp.ucoord(grid)
          if (d === 0) continue
          c += d
          if (c > INT32_MAX) inp.fail(`repetition positions within 32 bits (found ${c})`)
          this.push(vertical ? 0 : c, vertical ? c : 0)
        }
        break
      }
      case 8: {
        const n = inp.u() + 2
        const m = inp.u() + 2
        readGdelta(inp, 1)
        const ax = gx, ay = gy
        readGdelta(inp, 1)
        const bx = gx, by = gy
        this.setRegular(inp, maxMembers, ax, ay, bx, by, ax === 0 && ay === 0 ? 1 : n, bx === 0 && by === 0 ? 1 : m)
        break
      }
      case 9: {
        const n = inp.u() + 2
        readGdelta(inp, 1)
        this.setRegular(inp, maxMembers, gx, gy, 0, 0, gx === 0 && gy === 0 ? 1 : n, 1)
        break
      }
      case 10:
      case 11: {
        const n = inp.u() + 2
        const grid = type === 11 ? inp.ucoord() : 1
        this.startIrregular(inp, maxMembers, n)
        let x = 0, y = 0
        for (let i = 1; i < n; i++) {
          readGdelta(inp, grid)
          if (gx === 0 && gy === 0) continue
          x += gx
          y += gy
          if (x < INT32_MIN || x > INT32_MAX || y < INT32_MIN || y > INT32_MAX) inp.fail(`repetition positions within 32 bits (found ${x}, ${y})`)
          this.push(x, y)
        }
        break
      }
      default:
        inp.fail(`a repetition type of 0 to 11 (found ${type})`)
    }
    this.defined = true
  }

  private setRegular(inp: OasisInput, max: number, ax: number, ay: number, bx: number, by: number, na: number, nb: number): void {
    if (na * nb > max) inp.fail(`at most ${max} repetition members (found ${na} x ${nb} = ${na * nb})`)
    // the last member must stay within 32 bits
    const ex = (na - 1) * ax + (nb - 1) * bx, ey = (na - 1) * ay + (nb - 1) * by
    if (Math.abs(ex) > INT32_MAX || Math.abs(ey) > INT32_MAX || Math.abs((na - 1) * ax) > INT32_MAX || Math.abs((nb - 1) * by) > INT32_MAX) {
      inp.fail(`repetition positions within 32 bits (${na} x ${nb} members)`)
    }
    this.regular = true
    this.ax = ax
    this.ay = ay
    this.bx = bx
    this.by = by
    this.na = na
    this.nb = nb
  }

  private startIrregular(inp: OasisInput, max: number, n: number): void {
    if (n > max) inp.fail(`at most ${max} repetition members (found ${n})`)
    this.regular = false
    this.count = 0
    this.push(0, 0)
  }

  private push(x: number, y: number): void {
    if (2 * this.count + 2 > this.pts.length) {
      const g = new Int32Array(this.pts.length * 2)
      g.set(this.pts)
      this.pts = g
    }
    this.pts[2 * this.count] = x
    this.pts[2 * this.count + 1] = y
    this.count++
  }

  /** Every member's displacement (x, y pairs in `pts`, origin first); returns the member count. */
  members(): number {
    if (!this.regular) return this.count
    if (!this.expanded) {
      const na = this.na, nb = this.nb
      this.count = 0
      if (this.pts.length < 2 * na * nb) this.pts = new Int32Array(2 * na * nb)
      for (let j = 0; j < nb; j++) {
        for (let i = 0; i < na; i++) this.push(i * this.ax + j * this.bx, i * this.ay + j * this.by)
      }
      this.expanded = true
    }
    return this.count
  }
}

/** The result of readGdelta (module scratch: no object per delta). */
export let gx = 0
export let gy = 0

/** Octangular directions of 3-deltas and g-deltas: east, north, west, south, NE, NW, SW, SE. */
const DIR_X = [1, 0, -1, 0, 1, -1, -1, 1]
const DIR_Y = [0, 1, 0, -1, 1, 1, -1, -1]

/**
 * A g-delta (times `grid`) into gx, gy: form 1 is one integer (magnitude and an octangular direction), form 2 two
 * (x with its sign in bit 1, then y as a signed integer).
 */
export function readGdelta(inp: OasisInput, grid: number): void {
  const u = inp.u()
  if (u % 2 === 0) {
    const m = (u < 0x80000000 ? u >>> 4 : Math.floor(u / 16)) * grid
    const d = (u >>> 1) & 7
    if (m > INT32_MAX) inp.fail(`a delta within 32 bits (found ${m})`)
    gx = DIR_X[d]! * m + 0
    gy = DIR_Y[d]! * m + 0
  } else {
    const m = (u < 0x80000000 ? u >>> 2 : Math.floor(u / 4)) * grid
    const x = (u & 2) !== 0 ? 0 - m : m
    const y = inp.s() * grid
    if (Math.abs(x) > INT32_MAX || y < INT32_MIN || y > INT32_MAX) inp.fail(`a delta within 32 bits (found ${x}, ${y})`)
    gx = x
    gy = y
  }
}

/** A 2-delta (east, north, west, south) into gx, gy. */
export function read2delta(inp: OasisInput): void {
  const u = inp.u()
  const m = u < 0x80000000 ? u >>> 2 : Math.floor(u / 4)
  if (m > INT32_MAX) inp.fail(`a delta within 32 bits (found ${m})`)
  const d = u & 3
  gx = DIR_X[d]! * m + 0
  gy = DIR_Y[d]! * m + 0
}

/** A 3-delta (octangular) into gx, gy. */
export function read3delta(inp: OasisInput): void {
  const u = inp.u()
  const m = u < 0x80000000 ? u >>> 3 : Math.floor(u / 8)
  if (m > INT32_MAX) inp.fail(`a delta within 32 bits (found ${m})`)
  const d = u & 7
  gx = DIR_X[d]! * m + 0
  gy = DIR_Y[d]! * m + 0
}
