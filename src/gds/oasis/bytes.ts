/**
 * A growable byte buffer with OASIS's primitive encodings (unsigned and signed integers, reals, strings,
 * 2-, 3- and g-deltas). The writer's output buffer; also a way to put together OASIS bytes record by record
 * (tests build files with records the writer never makes).
 */
export class OasisBytes {
  buf = new Uint8Array(1 << 16)
  pos = 0

  private grow(n: number): void {
    let cap = this.buf.length * 2
    while (cap < this.pos + n) cap *= 2
    const g = new Uint8Array(cap)
    g.set(this.buf.subarray(0, this.pos))
    this.buf = g
  }

  byte(b: number): this {
    if (this.pos >= this.buf.length) this.grow(1)
    this.buf[this.pos++] = b
    return this
  }

  /** An unsigned integer (a number up to 2^53 - 1, or a bigint up to 2^64 - 1): 7 bits per byte, lowest first. */
  u(v: number | bigint): this {
    if (typeof v === 'bigint') {
      while (v >= 0x80n) {
        this.byte(Number(v & 0x7fn) | 0x80)
        v >>= 7n
      }
      return this.byte(Number(v))
    }
    if (this.pos + 8 > this.buf.length) this.grow(8)
    const b = this.buf
    while (v >= 0x80) {
      b[this.pos++] = (v % 0x80) | 0x80
      v = Math.floor(v / 0x80)
    }
    b[this.pos++] = v
    return this
  }

  /** A signed integer: magnitude * 2, plus 1 when negative. */
  s(v: number | bigint): this {
    if (typeof v === 'bigint') return this.u(v < 0n ? -v * 2n + 1n : v * 2n)
    return this.u(v < 0 ? -v * 2 + 1 : v * 2)
  }

  /** A string: its length, then one byte per character (8-bit characters only). */
  str(s: string): this {
    this.u(s.length)
    for (let i = 0; i < s.length; i++) this.byte(s.charCodeAt(i) & 0xff)
    return this
  }

  bytes(src: ArrayLike<number>): this {
    if (this.pos + src.length > this.buf.length) this.grow(src.length)
    this.buf.set(src, this.pos)
    this.pos += src.length
    return this
  }

  /** A real of the given type (0-7): integers (0, 1), reciprocals (2, 3), ratios (4, 5), IEEE single / double. */
  real(type: number, a: number, b = 1): this {
    this.u(type)
    switch (type) {
      case 0: case 1: case 2: case 3: return this.u(a)
      case 4: case 5: return this.u(a).u(b)
      case 6: {
        const x = new Uint8Array(4)
        new DataView(x.buffer).setFloat32(0, a, true)
        return this.bytes(x)
      }
      default: {
        const x = new Uint8Array(8)
        new DataView(x.buffer).setFloat64(0, a, true)
        return this.bytes(x)
      }
    }
  }

  /** A g-delta in form 1 (octangular: magnitude and direction) when possible and `form2` is not asked for, else form 2. */
  gdelta(dx: number, dy: number, form2 = false): this {
    const ax = Math.abs(dx), ay = Math.abs(dy)
    if (!form2 && (dx === 0 || dy === 0 || ax === ay)) {
      const dir = dy === 0 ? (dx >= 0 ? 0 : 2) : dx === 0 ? (dy > 0 ? 1 : 3) : dx > 0 ? (dy > 0 ? 4 : 7) : dy > 0 ? 5 : 6
      return this.u(Math.max(ax, ay) * 16 + dir * 2)
    }
    return this.u(ax * 4 + (dx < 0 ? 2 : 0) + 1).s(dy)
  }

  /** A 2-delta (one axis-parallel step). */
  delta2(dx: number, dy: number): this {
    return this.u(dy === 0 ? Math.abs(dx) * 4 + (dx >= 0 ? 0 : 2) : Math.abs(dy) * 4 + (dy > 0 ? 1 : 3))
  }

  /** A 3-delta (one octangular step). */
  delta3(dx: number, dy: number): this {
    const m = Math.max(Math.abs(dx), Math.abs(dy))
    const dir = dy === 0 ? (dx >= 0 ? 0 : 2) : dx === 0 ? (dy > 0 ? 1 : 3) : dx > 0 ? (dy > 0 ? 4 : 7) : dy > 0 ? 5 : 6
    return this.u(m * 8 + dir)
  }

  view(): Uint8Array {
    return this.buf.subarray(0, this.pos)
  }
}
