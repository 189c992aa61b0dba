/**
 * Hand-assembled GDSII records for tests. Deliberately independent of src/gds/writer.ts so that tests of the
 * reader do not share the writer's mistakes, and so that malformed streams can be built byte by byte.
 */
export type Rec = Uint8Array

export function rec(type: number, dtype: number, payload: Uint8Array = new Uint8Array(0), lengthOverride?: number): Rec {
  const out = new Uint8Array(4 + payload.length)
  const v = new DataView(out.buffer)
  v.setUint16(0, lengthOverride ?? out.length)
  v.setUint8(2, type)
  v.setUint8(3, dtype)
  out.set(payload, 4)
  return out
}

export function i2(...vals: number[]): Uint8Array {
  const out = new Uint8Array(2 * vals.length)
  const v = new DataView(out.buffer)
  vals.forEach((x, i) => v.setInt16(2 * i, x))
  return out
}

export function i4(...vals: number[]): Uint8Array {
  const out = new Uint8Array(4 * vals.length)
  const v = new DataView(out.buffer)
  vals.forEach((x, i) => v.setInt32(4 * i, x))
  return out
}

export function str(s: string): Uint8Array {
  const n = s.length + (s.length & 1)
  const out = new Uint8Array(n)
  for (let i = 0; i < s.length; i++) out[i] = s.charCodeAt(i)
  return out
}

/** 8-byte excess-64 real, for the few exact values tests need (powers of ten are approximated like every writer). */
export function real8(x: number): Uint8Array {
  const out = new Uint8Array(8)
  if (x === 0) return out
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
  out[0] = sign | exp
  let m = x
  for (let i = 1; i < 8; i++) {
    m *= 256
    const d = Math.floor(m)
    out[i] = d
    m -= d
  }
  return out
}

export function concat(...parts: Uint8Array[]): Uint8Array {
  const n = parts.reduce((a, p) => a + p.length, 0)
  const out = new Uint8Array(n)
  let o = 0
  for (const p of parts) {
    out.set(p, o)
    o += p.length
  }
  return out
}

export const T = {
  HEADER: 0x00, BGNLIB: 0x01, LIBNAME: 0x02, UNITS: 0x03, ENDLIB: 0x04, BGNSTR: 0x05, STRNAME: 0x06, ENDSTR: 0x07,
  BOUNDARY: 0x08, PATH: 0x09, SREF: 0x0a, AREF: 0x0b, TEXT: 0x0c, LAYER: 0x0d, DATATYPE: 0x0e, WIDTH: 0x0f,
  XY: 0x10, ENDEL: 0x11, SNAME: 0x12, COLROW: 0x13, STRING: 0x19, STRANS: 0x1a, MAG: 0x1b, ANGLE: 0x1c,
  TEXTTYPE: 0x16, PATHTYPE: 0x21, BOX: 0x2d, BOXTYPE: 0x2e,
} as const

/** Library header records (HEADER .. UNITS) with dbu 0.001 µm. */
export function libHead(): Uint8Array {
  return concat(
    rec(T.HEADER, 2, i2(600)),
    rec(T.BGNLIB, 2, i2(0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)),
    rec(T.LIBNAME, 6, str('LIB')),
    rec(T.UNITS, 5, concat(real8(0.001), real8(1e-9))),
  )
}

export function struct(name: string, ...elements: Uint8Array[]): Uint8Array {
  return concat(rec(T.BGNSTR, 2, i2(0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)), rec(T.STRNAME, 6, str(name)), ...elements, rec(T.ENDSTR, 0))
}

export function boundary(layer: number, dt: number, xy: number[]): Uint8Array {
  return concat(rec(T.BOUNDARY, 0), rec(T.LAYER, 2, i2(layer)), rec(T.DATATYPE, 2, i2(dt)), rec(T.XY, 3, i4(...xy)), rec(T.ENDEL, 0))
}

export function sref(name: string, x: number, y: number): Uint8Array {
  return concat(rec(T.SREF, 0), rec(T.SNAME, 6, str(name)), rec(T.XY, 3, i4(x, y)), rec(T.ENDEL, 0))
}

export function library(...structs: Uint8Array[]): Uint8Array {
  return concat(libHead(), ...structs, rec(T.ENDLIB, 0))
}

/** A closed square ring of side `s` at (x, y), as BOUNDARY coordinates. */
export function square(x: number, y: number, s: number): number[] {
  return [x, y, x + s, y, x + s, y + s, x, y + s, x, y]
}
