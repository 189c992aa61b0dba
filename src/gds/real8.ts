/**
 * GDSII 8-byte reals: sign bit, 7-bit excess-64 base-16 exponent, 56-bit mantissa (value = m / 2^56 * 16^(e-64)).
 * Decoding rounds once (to the nearest double); encoding is exact for every double in GDSII's range because
 * a double's 53-bit mantissa fits in the 56-bit one whatever the 0..3 bit shift of the base-16 exponent.
 */
export function decodeReal8(view: DataView, offset: number): number {
  const hi = view.getUint32(offset)
  const lo = view.getUint32(offset + 4)
  const exp = ((hi >>> 24) & 0x7f) - 64
  const mant = (hi & 0x00ffffff) * 4294967296 + lo // rounded once to a double
  if (mant === 0) return 0
  const value = mant * Math.pow(2, 4 * exp - 56)
  return hi & 0x80000000 ? -value : value
}

export function encodeReal8(value: number, view: DataView, offset: number): void {
  if (!Number.isFinite(value)) throw new RangeError(`cannot encode ${value} as a GDSII real`)
  if (value === 0) {
    view.setUint32(offset, 0)
    view.setUint32(offset + 4, 0)
    return
  }
  const neg = value < 0
  let v = Math.abs(value)
  // find e with 1/16 <= v / 16^e < 1
  let e = 0
  while (v >= 1) {
    v /= 16
    e++
  }
  while (v < 1 / 16) {
    v *= 16
    e--
  }
  if (e + 64 < 0 || e + 64 > 127) throw new RangeError(`${value} is outside the GDSII real range`)
  // v in [1/16, 1): mantissa = v * 2^56, an integer below 2^56; split to stay exact
  const hiPart = Math.floor(v * 16777216) // top 24 bits
  const loPart = Math.round((v * 16777216 - hiPart) * 4294967296)
  let hi = hiPart
  let lo = loPart
  if (lo >= 4294967296) {
    lo -= 4294967296
    hi += 1
  }
  view.setUint32(offset, ((neg ? 0x80 : 0) | (e + 64)) * 16777216 + hi)
  view.setUint32(offset + 4, lo)
}
