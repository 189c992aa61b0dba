import { GdsError } from '../errors.js'
import { BlockInflater, type InflateAhead } from './inflate-ahead.js'
import { oasisRecordName } from './records.js'

/**
 * Reads the file from byte `position` on into buf, from buf[from] to its end (or less); returns the number of
 * bytes read, 0 at the end of the file.
 */
export type Refill = (buf: Uint8Array, from: number, position: number) => number

const INT32_MIN = -2147483648
const INT32_MAX = 2147483647
const MAX_SAFE = Number.MAX_SAFE_INTEGER

/**
 * The byte source of the OASIS parser: a window over the file (refilled as the parser moves on, so memory does
 * not grow with the file) or a whole buffer, plus the inflated data of the CBLOCK being read. Positions are
 * relative to `buf`; the file offset of the record being read is kept for messages (`mark`).
 *
 * The primitive decoders (unsigned / signed integers, reals, strings) read straight from `buf`; only a value
 * that runs past the end of `buf` (or one of more than 4 bytes) takes the byte-by-byte path, which refills.
 * No BigInt unless a value exceeds 2^53 (and then only where such a value may stand: property values).
 */
export class OasisInput {
  buf: Uint8Array
  pos = 0
  end = 0
  /** The file window (or the whole input), restored when a CBLOCK's data is used up. */
  private readonly win: Uint8Array
  private winPos = 0
  private winEnd = 0
  /** File offset of win[0]. */
  private base = 0
  private refill: Refill | null
  /** Reading a CBLOCK's inflated data: its record's file offset. */
  private inCblock = false
  private cblockAt = 0
  readonly file: string
  /** The record being read: id, and its file offset (or its offset in the CBLOCK's data). */
  recId = -1
  recLabel: string | null = null
  /**
   * Changes whenever buf's content at a position may have changed (another CBLOCK, the window moved or refilled):
   * a copy of buf's bytes made at one generation is valid while it lasts.
   */
  generation = 0
  private recAt = 0
  private recInCblock = false
  /** CBLOCKs entered from the file so far; the worker that inflates them ahead, and how to start it. */
  private cblocks = 0
  private ahead: InflateAhead | null = null
  private aheadStart: ((at: number) => InflateAhead | null) | null = null
  /** Inflates CBLOCKs in this thread (one zlib stream and one output buffer for all of them). */
  private inflater: BlockInflater | null = null
  private readonly scratch8 = new Uint8Array(8)
  /** takeTransient's buffer for data larger than the window. */
  private scratch = new Uint8Array(0)
  private readonly scratchView = new DataView(this.scratch8.buffer)

  /** The file's size when known (a skip past the window then checks it instead of reading). */
  private readonly size: number

  constructor(file: string, source: Uint8Array | { window: Uint8Array; refill: Refill; size?: number }) {
    this.file = file
    if (source instanceof Uint8Array) {
      this.win = this.buf = source
      this.end = source.length
      this.refill = null
      this.size = source.length
    } else {
      this.win = this.buf = source.window
      this.refill = source.refill
      this.size = source.size ?? -1
    }
  }

  /** Lets a worker inflate CBLOCKs ahead, started at the first CBLOCK (see inflate-ahead.ts). */
  inflateAhead(start: (at: number) => InflateAhead | null): void {
    this.aheadStart = start
  }

  /** Stops the worker, if any. */
  close(): void {
    this.ahead?.close()
    this.ahead = null
    this.inflater?.release()
    this.inflater = null
  }

  /** The file offset of the next byte (of the CBLOCK record while reading its data). */
  get offset(): number {
    return this.inCblock ? this.cblockAt : this.base + this.pos
  }

  /** The file offset of the record being read (of its CBLOCK record when it is compressed). */
  get recordOffset(): number {
    return this.recInCblock ? this.cblockAt : this.recAt
  }

  get inCompressed(): boolean {
    return this.inCblock
  }

  /** Marks the start of a record (for messages). */
  mark(): void {
    if (this.inCblock) {
      this.recAt = this.pos
      this.recInCblock = true
    } else {
      this.recAt = this.base + this.pos
      this.recInCblock = false
    }
    this.recLabel = null
  }

  /** Throws the reader's one-line error: file, byte offset, record, what was expected. */
  fail(expected: string): never {
    const name = this.recLabel ?? (this.recId >= 0 ? oasisRecordName(this.recId) : undefined)
    if (this.recInCblock) {
      throw new GdsError({
        file: this.file, offset: this.cblockAt,
        record: `${name ?? 'record'} at byte ${this.recAt} of the CBLOCK's inflated data`, expected,
      })
    }
    throw new GdsError({ file: this.file, offset: this.recAt, record: name, expected })
  }

  /**
   * Makes buf[pos] readable: leaves a used-up CBLOCK (only between records: a CBLOCK holds whole records), or
   * reads the next part of the file. False at the end of the input.
   */
  private more(boundary = false): boolean {
    if (this.inCblock) {
      if (!boundary) this.fail('a record that ends within its CBLOCK (the CBLOCK\'s data ends inside this record)')
      this.inCblock = false
      this.buf = this.win
      this.generation++
      this.pos = this.winPos
      this.end = this.winEnd
      if (this.pos < this.end) return true
    }
    if (this.refill) {
      this.base += this.end
      this.generation++
      this.pos = 0
      this.end = 0
      const r = this.refill(this.win, 0, this.base)
      if (r > 0) {
        this.end = r
        return true
      }
      this.refill = null
    }
    return false
  }

  private truncated(): never {
    this.fail(`more bytes: the file ends at byte ${this.base + this.end} inside this record (truncated)`)
  }

  byte(): number {
    if (this.pos >= this.end && !this.more()) this.truncated()
    return this.buf[this.pos++]!
  }

  /** The next byte without consuming it (between records), or -1 at the end of the input. */
  peek(): number {
    if (this.pos >= this.end && !this.more(true)) return -1
    return this.buf[this.pos]!
  }

  /** An unsigned integer (at most 2^53 - 1; larger ones are an error naming `what`). */
  u(): number {
    const b = this.buf
    const p = this.pos
    if (p + 4 <= this.end) {
      let c = b[p]!
      if (c < 0x80) {
        this.pos = p + 1
        return c
      }
      let v = c & 0x7f
      c = b[p + 1]!
      if (c < 0x80) {
        this.pos = p + 2
        return v | (c << 7)
      }
      v |= (c & 0x7f) << 7
      c = b[p + 2]!
      if (c < 0x80) {
        this.pos = p + 3
        return v | (c << 14)
      }
      v |= (c & 0x7f) << 14
      c = b[p + 3]!
      if (c < 0x80) {
        this.pos = p + 4
        return v | (c << 21)
      }
    }
    return this.uSlow(false) as number
  }

  /** An unsigned integer of up to 64 bits: a number up to 2^53 - 1, a bigint beyond (for property values). */
  uBig(): number | bigint {
    return this.uSlow(true)
  }

  /** An unsigned integer where only its approximate value matters (parts of reals). */
  uApprox(): number {
    const v = this.uSlow(true)
    return typeof v === 'number' ? v : Number(v)
  }

  /**
   * The general unsigned-integer decoder: byte by byte (refilling), any number of continuation bytes (a
   * writer may pad with 0x80 bytes: the END record's padding string has a 250-byte length), an error when a
   * value needs more than 64 bits.
   */
  private uSlow(big: boolean): number | bigint {
    let v = 0
    let mul = 1
    let shift = 0
    let bv: bigint | null = null
    for (;;) {
      const c = this.byte()
      const d = c & 0x7f
      if (d !== 0) {
        if (shift >= 64 || (shift === 63 && d > 1)) this.fail('an unsigned integer of at most 64 bits (found a longer one)')
        if (bv !== null) {
          bv += BigInt(d) << BigInt(shift)
        } else if (v + d * mul > MAX_SAFE) {
          bv = BigInt(v) + (BigInt(d) << BigInt(shift))
        } else {
          v += d * mul
        }
      }
      if (c < 0x80) break
      shift += 7
      if (shift <= 63) mul *= 128
    }
    if (bv === null) return v
    if (!big) this.fail(`an integer below 2^53 (found ${bv})`)
    return bv
  }

  /** A signed integer (sign in the lowest bit of the unsigned encoding). */
  s(): number {
    const u = this.u()
    if (u < 0x80000000) return u & 1 ? 0 - (u >>> 1) : u >>> 1
    const h = Math.floor(u / 2)
    return u % 2 ? 0 - h : h
  }

  /** A signed integer of up to 64 bits (bigint beyond 2^53). */
  sBig(): number | bigint {
    const u = this.uSlow(true)
    if (typeof u === 'number') {
      const h = Math.floor(u / 2)
      return u % 2 ? 0 - h : h
    }
    return u & 1n ? -(u >> 1n) : u >> 1n
  }

  /** A signed coordinate: a 32-bit integer. */
  coord(): number {
    const v = this.s()
    if (v < INT32_MIN || v > INT32_MAX) this.fail(`a coordinate within 32 bits (found ${v})`)
    return v
  }

  /** An unsigned coordinate (a width, height, radius, spacing) times `grid`: at most 2^31 - 1. */
  ucoord(grid = 1): number {
    const v = this.u() * grid
    if (v > INT32_MAX) this.fail(`a distance below 2^31 (found ${v})`)
    return v
  }

  /** An unsigned integer that must fit 32 bits (layer and datatype numbers, types). */
  u32(what: string): number {
    const v = this.u()
    if (v > 0xffffffff) this.fail(`${what} within 32 bits (found ${v})`)
    return v
  }

  /** A real of type 0-7 (integers, reciprocals, ratios, IEEE single and double, little-endian). */
  real(): number {
    const t = this.u()
    return this.realOfType(t)
  }

  realOfType(t: number): number {
    switch (t) {
      case 0: return this.uApprox()
      case 1: return -this.uApprox()
      case 2: return 1 / this.divisor()
      case 3: return -1 / this.divisor()
      case 4: {
        const n = this.uApprox()
        return n / this.divisor()
      }
      case 5: {
        const n = this.uApprox()
        return -n / this.divisor()
      }
      case 6: {
        this.raw(4)
        return this.scratchView.getFloat32(0, true)
      }
      case 7: {
        this.raw(8)
        return this.scratchView.getFloat64(0, true)
      }
      default:
        return this.fail(`a real of type 0 to 7 (found type ${t})`)
    }
  }

  private divisor(): number {
    const d = this.uApprox()
    if (d === 0) this.fail('a non-zero divisor in a real')
    return d
  }

  /** n (at most 8) raw bytes into the scratch buffer. */
  private raw(n: number): void {
    for (let i = 0; i < n; i++) this.scratch8[i] = this.byte()
  }

  /**
   * n contiguous bytes: a view of buf when they are there (no copy), else a copy: what the window holds, and
   * the rest read from the file straight into the copy (a CBLOCK's data can be far longer than the window).
   */
  take(n: number): Uint8Array {
    if (this.pos + n <= this.end) {
      const v = this.buf.subarray(this.pos, this.pos + n)
      this.pos += n
      return v
    }
    return this.copyInto(new Uint8Array(n))
  }

  /**
   * Fills `out` with the next out.length bytes: what the window holds, and the rest read from the file straight
   * into `out` (a CBLOCK's data can be far longer than the window).
   */
  private copyInto(out: Uint8Array): Uint8Array {
    const n = out.length
    let o = 0
    while (o < n) {
      if (this.pos >= this.end) {
        if (!this.inCblock && this.refill) {
          // the window is used up: read the rest directly
          this.base += this.end
          this.generation++
          this.pos = this.end = 0
          const r = this.refill(out, o, this.base)
          if (r <= 0) {
            this.refill = null
            this.truncated()
          }
          this.base += r
          o += r
          continue
        }
        if (!this.more()) this.truncated()
      }
      const k = Math.min(n - o, this.end - this.pos)
      out.set(this.buf.subarray(this.pos, this.pos + k), o)
      this.pos += k
      o += k
    }
    return out
  }

  /**
   * n contiguous bytes that are used at once (a CBLOCK's compressed data): valid only until the input is read
   * again. A view of the window when they are in it; in a file, when they fit the window, the rest of the window
   * is moved to its start and the window filled up, so that they are; else a copy in a buffer that the next call
   * reuses. (take() allocates an array for every CBLOCK that straddles the window's end: with KLayout's CBLOCKs
   * of ~800 KB and a 1 MiB window, most of them, 20 MB of allocations for the flat benchmark file.)
   */
  private takeTransient(n: number): Uint8Array {
    if (this.pos + n <= this.end) {
      const v = this.buf.subarray(this.pos, this.pos + n)
      this.pos += n
      return v
    }
    if (!this.inCblock && this.refill && n <= this.win.length) {
      const win = this.win
      const rest = this.end - this.pos
      win.copyWithin(0, this.pos, this.end)
      this.base += this.pos
      this.generation++
      this.pos = 0
      this.end = rest
      while (this.end < n) {
        const r = this.refill(win, this.end, this.base + this.end)
        if (r <= 0) {
          this.refill = null
          this.truncated()
        }
        this.end += r
      }
      this.pos = n
      return win.subarray(0, n)
    }
    if (this.scratch.length < n) this.scratch = new Uint8Array(Math.max(n, Math.min(2 * this.scratch.length, 1 << 30)))
    return this.copyInto(this.scratch.subarray(0, n))
  }

  /** Skips n bytes (in a file: past the window without reading them). */
  skip(n: number): void {
    if (!this.inCblock && this.refill && this.size >= 0 && n > this.end - this.pos) {
      const to = this.base + this.pos + n
      if (to > this.size) this.fail(`more bytes: the file ends at byte ${this.size} inside this record (truncated)`)
      this.base = to
      this.generation++
      this.pos = this.end = 0
      return
    }
    while (n > 0) {
      if (this.pos >= this.end && !this.more()) this.truncated()
      const k = Math.min(n, this.end - this.pos)
      this.pos += k
      n -= k
    }
  }

  /** A string (a-, b- or n-string: a length and that many bytes), each byte one character (latin-1). */
  str(): string {
    const n = this.u()
    const p = this.pos
    if (p + n <= this.end) {
      this.pos = p + n
      const b = this.buf
      if (n > 64) return Buffer.from(b.buffer, b.byteOffset + p, n).toString('latin1')
      let s = ''
      for (let i = p; i < p + n; i++) s += String.fromCharCode(b[i]!)
      return s
    }
    let s = ''
    for (let i = 0; i < n; i++) s += String.fromCharCode(this.byte())
    return s
  }

  /** Skips a string. */
  skipStr(): void {
    this.skip(this.u())
  }

  /**
   * The byte that follows buf's end when it is known without reading anything: in a CBLOCK's data, the file's
   * next byte if the window holds it (the record after the CBLOCK); else -1.
   */
  byteAfterBuffer(): number {
    return this.inCblock && this.winPos < this.winEnd ? this.win[this.winPos]! : -1
  }

  /**
   * The CBLOCK record's fields (after its id): compression type 0 (DEFLATE, RFC 1951), uncompressed and
   * compressed byte counts, then the compressed bytes; reading goes on in the inflated data, and back in the
   * file when that is used up.
   */
  enterCblock(maxInflated: number): void {
    if (this.inCblock) this.fail('no CBLOCK inside the data of another CBLOCK')
    const at = this.recAt
    const type = this.u()
    if (type !== 0) this.fail(`compression type 0 (DEFLATE) (found ${type})`)
    const uncomp = this.u()
    const comp = this.u()
    if (uncomp > maxInflated) this.fail(`at most ${maxInflated} inflated bytes per CBLOCK (found ${uncomp})`)
    // DEFLATE shrinks data at most 1032 times: a larger count is corrupt (and must not make a huge buffer)
    if (uncomp > comp * 1032 + 64) this.fail(`an uncompressed size that ${comp} compressed bytes can hold (found ${uncomp})`)
    if (this.aheadStart) {
      this.ahead = this.aheadStart(at)
      this.aheadStart = null
    }
    let out = this.ahead ? this.ahead.take(this.cblocks, at) : null
    this.cblocks++
    if (out) {
      this.skip(comp)
    } else {
      const data = this.takeTransient(comp)
      try {
        // (the inflater's buffer is reused by the next CBLOCK: this one's data is used up by then, and nothing
        // keeps a view of it: take() is never called inside a CBLOCK)
        out = (this.inflater ??= BlockInflater.acquire()).inflate(data, uncomp)
      } catch (e) {
        this.fail(`${comp} bytes of DEFLATE data that inflate to ${uncomp} bytes (${(e as Error).message})`)
      }
    }
    if (out.length !== uncomp) this.fail(`DEFLATE data that inflate to ${uncomp} bytes (they inflate to ${out.length})`)
    this.winPos = this.pos
    this.winEnd = this.end
    this.buf = out
    this.generation++
    this.pos = 0
    this.end = out.length
    this.inCblock = true
    this.cblockAt = at
  }
}

export { INT32_MAX, INT32_MIN }
