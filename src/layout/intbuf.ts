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

  append(src: ArrayLike<number>, start = 0, end = src.length): void {
    const n = end - start
    if (this.length + n > this.data.length) this.grow(this.length + n)
    const d = this.data
    let o = this.length
    for (let i = start; i < end; i++) d[o++] = src[i]!
    this.length = o
  }

  view(): Int32Array {
    return this.data.subarray(0, this.length)
  }

  /** A copy holding exactly `length` ints (no spare capacity). */
  compact(): IntBuf {
    return new IntBuf(this.length ? this.data.slice(0, this.length) : EMPTY)
  }
}
