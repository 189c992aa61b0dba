/**
 * A GDSII library whose cells form one chain of `depth` levels: C0 references C1 references C2 ... and the last
 * cell holds one box. Written straight into one buffer (no per-record arrays), so a 1,000,000-level chain
 * (about 75 MB) takes a fraction of a second. Independent of src/gds/writer.ts, like rawgds.ts.
 */
export interface ChainOptions {
  /** Levels (cells); at least 1. */
  depth: number
  /** The leaf's box [l, b, r, t] in its own coordinates (default [0, 0, 10, 10]). */
  box?: [number, number, number, number]
  /** Layer and datatype of the box (default 1/0). */
  layer?: [number, number]
  /** Displacement of every SREF (default [1, 0]). */
  step?: [number, number]
  /** Rotation of every SREF in degrees (default 0: no STRANS). */
  angle?: number
  /** Cell name of level i (default `C${i}`). */
  name?: (i: number) => string
  /** Structures leaf first (default: top first, so every reference is a forward reference). */
  leafFirst?: boolean
  /** The last cell references the first instead of holding a box: a reference cycle through every level. */
  cycle?: boolean
}

const BGNSTR = 0x05, STRNAME = 0x06, ENDSTR = 0x07, BOUNDARY = 0x08, SREF = 0x0a, LAYER = 0x0d, DATATYPE = 0x0e
const XY = 0x10, ENDEL = 0x11, SNAME = 0x12, STRANS = 0x1a, ANGLE = 0x1c, HEADER = 0x00, BGNLIB = 0x01
const LIBNAME = 0x02, UNITS = 0x03, ENDLIB = 0x04

export function deepChainGds(opts: ChainOptions): Uint8Array {
  const n = opts.depth
  if (!(n >= 1)) throw new RangeError('depth must be at least 1')
  const [l, b, r, t] = opts.box ?? [0, 0, 10, 10]
  const [layer, dt] = opts.layer ?? [1, 0]
  const [dx, dy] = opts.step ?? [1, 0]
  const angle = opts.angle ?? 0
  const nameOf = opts.name ?? ((i: number) => `C${i}`)
  const names: string[] = new Array(n)
  let nameBytes = 0
  for (let i = 0; i < n; i++) {
    const s = nameOf(i)
    names[i] = s
    nameBytes += 4 + s.length + (s.length & 1)
  }
  const strans = angle !== 0 ? 6 + 12 : 0
  const size = 6 + 28 + 8 + 20 + // HEADER, BGNLIB, LIBNAME "LIB", UNITS
    n * (28 + 4) + nameBytes + // BGNSTR, ENDSTR, STRNAME
    (n - 1) * (4 + strans + 12 + 4) + (nameBytes - (4 + names[0]!.length + (names[0]!.length & 1))) + // SREF .. ENDEL + SNAME
    (opts.cycle ? 4 + 12 + 4 + 4 + names[0]!.length + (names[0]!.length & 1) : 4 + 6 + 6 + 44 + 4) + 4 // leaf, ENDLIB
  const out = new Uint8Array(size)
  const v = new DataView(out.buffer)
  let p = 0
  const head = (type: number, dtype: number, len: number): void => {
    v.setUint16(p, len)
    out[p + 2] = type
    out[p + 3] = dtype
    p += 4
  }
  const text = (type: number, s: string): void => {
    const len = s.length + (s.length & 1)
    head(type, 6, 4 + len)
    for (let i = 0; i < s.length; i++) out[p + i] = s.charCodeAt(i) & 0xff
    p += len
  }
  const i2 = (type: number, x: number): void => {
    head(type, 2, 6)
    v.setInt16(p, x)
    p += 2
  }
  const real8 = (x: number): void => {
    // excess-64 base-16 real (exact for the values used here)
    if (x === 0) {
      p += 8
      return
    }
    let sign = 0
    if (x < 0) {
      sign = 0x80
      x = -x
    }
    let exp = 64
    while (x >= 1) {
      x /= 16
      exp++
    }
    while (x < 1 / 16) {
      x *= 16
      exp--
    }
    out[p] = sign | exp
    let m = x
    for (let i = 1; i < 8; i++) {
      m *= 256
      const d = Math.floor(m)
      out[p + i] = d
      m -= d
    }
    p += 8
  }
  i2(HEADER, 600)
  head(BGNLIB, 2, 28)
  p += 24
  text(LIBNAME, 'LIB')
  head(UNITS, 5, 20)
  real8(0.001)
  real8(1e-9)
  for (let k = 0; k < n; k++) {
    const i = opts.leafFirst ? n - 1 - k : k
    head(BGNSTR, 2, 28)
    p += 24
    text(STRNAME, names[i]!)
    if (i < n - 1 || opts.cycle) {
      head(SREF, 0, 4)
      text(SNAME, names[(i + 1) % n]!)
      if (angle !== 0 && i < n - 1) {
        head(STRANS, 1, 6) // a bit array
        v.setUint16(p, 0)
        p += 2
        head(ANGLE, 5, 12)
        real8(angle)
      }
      head(XY, 3, 12)
      v.setInt32(p, dx)
      v.setInt32(p + 4, dy)
      p += 8
      head(ENDEL, 0, 4)
    } else {
      head(BOUNDARY, 0, 4)
      i2(LAYER, layer)
      i2(DATATYPE, dt)
      head(XY, 3, 44)
      for (const c of [l, b, r, b, r, t, l, t, l, b]) {
        v.setInt32(p, c)
        p += 4
      }
      head(ENDEL, 0, 4)
    }
    head(ENDSTR, 0, 4)
  }
  head(ENDLIB, 0, 4)
  if (p !== size) throw new Error(`deepChainGds: wrote ${p} bytes, expected ${size}`)
  return out
}
