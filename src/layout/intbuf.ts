const EMPTY = new Int32Array(0)

/** A growable Int32Array: the layout keeps its coordinates in these, never one JS object per vertex. */
export class IntBuf {
  data: Int32Array
  length = 0

  /** An empty buffer with room for `capacity` ints, or a full buffer wrapping `data` (not copied). */
  constructor(capacity: number | Int32Array = 16) {
    if (typeof capacity === 'number') {
      this.data = capacity > 0 ? new Int32Array(capacity) : EMPTY
    } else {
      this.data = capacity
      this.length = capacity.length
    }
  }

  private grow(min: number): void {
    let cap = Math.max(16, this.data.length * 2)
    while (cap < min) cap *= 2
    const next = new Int32Array(cap)
    next.set(this.data.subarray(0, this.length))
    this.data = next
  }

  /** Makes room for `n` more ints, so that writes to data[length .. length + n) need no checks. */
  reserve(n: number): void {
    if (this.length + n > this.data.length) this.grow(this.length + n)
  }

  push(v: number): void {
    if (this.length === this.data.length) this.grow(this.length + 1)
    this.data[this.length++] = v
  }

  push4(a: number, b: number, c: number, d: number): void {
    if (this.length + 4 > this.data.length) this.grow(this.length + 4)
    const d_ = this.data
    const n = this.length
    d_[n] = a
    d_[n + 1] = b
    d_[n + 2] = c
    d_[n + 3] = d
    this.length = n + 4
  }

  /** Appends src[start .. end), each plus `add` (an Int32Array without `add` is copied in one go). */
  append(src: ArrayLike<number>, start = 0, end = src.length, add = 0): void {
    const n = end - start
    this.reserve(n)
    if (add === 0 && src instanceof Int32Array) {
      this.data.set(src.subarray(start, end), this.length)
    } else {
      const d = this.data
      for (let i = 0, o = this.length; i < n; i++) d[o + i] = src[start + i]! + add
    }
    this.length += n
  }

  view(): Int32Array {
    return this.data.subarray(0, this.length)
  }
}

/**
 * Gives readers exact-size arrays for what they collected in reusable IntBufs. Small arrays are copied into
 * large shared chunks: a reader that keeps thousands of them (one per cell, layer and kind) allocates a few
 * chunks instead of one ArrayBuffer each, which saves allocation and garbage-collector time. Big arrays are
 * moved instead of copied: the view keeps the buffer's spare capacity, which was never written and so costs
 * address space, not memory. Views never overlap; growing an IntBuf that wraps one copies it out first
 * (IntBuf.grow), so no view is ever written past its end.
 */
export class IntSlab {
  private chunk = EMPTY
  private used = 0
  constructor(private readonly chunkInts = 1 << 20) {}

  /** A kept copy of src[start .. start + n) (carved from a chunk, or its own array when big). */
  place(src: Int32Array, start: number, n: number): Int32Array {
    if (n > this.chunkInts >> 3) return src.slice(start, start + n)
    if (this.used + n > this.chunk.length) {
      this.chunk = new Int32Array(this.chunkInts)
      this.used = 0
    }
    const v = this.chunk.subarray(this.used, this.used + n)
    v.set(src.subarray(start, start + n))
    this.used += n
    return v
  }

  /** An IntBuf with exactly the contents of `src`; `src` may be left empty (when its array was moved). */
  keep(src: IntBuf): IntBuf {
    const n = src.length
    if (n === 0) return new IntBuf(EMPTY)
    if (n > this.chunkInts >> 3) {
      const v = new IntBuf(new Int32Array(src.data.buffer, src.data.byteOffset, n))
      src.data = EMPTY
      src.length = 0
      return v
    }
    return new IntBuf(this.place(src.data, 0, n))
  }
}
