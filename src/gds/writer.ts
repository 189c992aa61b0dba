import { GdsError } from './errors.js'
import { showName } from './names.js'
import { encodeReal8 } from './real8.js'
import { DT, R } from './records.js'
import type { GdsElementExtras, GdsLibraryInfo, GdsStrans } from './sink.js'

const INT32_MIN = -2147483648
const INT32_MAX = 2147483647
/** Points per XY record: 8191 fit the 65535-byte record limit. */
const MAX_XY_POINTS = 8191
const LITTLE_ENDIAN = new Uint8Array(Int32Array.of(1).buffer)[0] === 1
/** Below this many bytes a loop is faster than Buffer#swap32 (which loops in JavaScript itself below 192). */
const SWAP_MIN_BYTES = 192

/**
 * A record-level GDSII writer. It writes deterministic bytes: timestamps are all zero unless the caller passes
 * them, so writing the same layout twice gives identical files.
 */
export class GdsStreamWriter {
  private buf: Uint8Array
  private view: DataView
  private pos = 0
  private readonly file: string

  /**
   * `sink`, when given, takes the bytes whenever the buffer is full (and at `finish()`): the writer then keeps a
   * buffer of `initialSize` bytes however big the output (fresh memory costs page faults; a file need not be whole
   * in memory). Without it, bytes() gives everything written.
   */
  constructor(file = '<output>', initialSize = 1 << 16, private readonly sink: ((bytes: Uint8Array) => void) | null = null) {
    this.buf = new Uint8Array(initialSize)
    this.view = new DataView(this.buf.buffer)
    this.file = file
  }

  private ensure(n: number): void {
    if (this.pos + n <= this.buf.length) return
    if (this.sink && this.pos > 0) {
      this.sink(this.buf.subarray(0, this.pos))
      this.pos = 0
      if (n <= this.buf.length) return
    }
    let size = this.buf.length * 2
    while (size < this.pos + n) size *= 2
    const next = new Uint8Array(size)
    next.set(this.buf.subarray(0, this.pos))
    this.buf = next
    this.view = new DataView(next.buffer)
  }

  /** Hands what is buffered to the sink (with a sink; else does nothing). */
  finish(): void {
    if (this.sink && this.pos > 0) this.sink(this.buf.subarray(0, this.pos))
    if (this.sink) this.pos = 0
  }

  private head(type: number, dt: number, bodyLen: number): void {
    const len = bodyLen + 4
    if (len > 0xffff) throw new GdsError({ file: this.file, record: type, expected: `a record of at most 65535 bytes (needs ${len})` })
    this.ensure(len)
    this.view.setUint16(this.pos, len)
    this.buf[this.pos + 2] = type
    this.buf[this.pos + 3] = dt
    this.pos += 4
  }

  empty(type: number): void {
    this.head(type, DT.NONE, 0)
  }

  int2(type: number, ...values: number[]): void {
    this.int2s(type, values)
  }

  /** One INT2 value (no rest array: this runs for every element's LAYER and DATATYPE, often unoptimised). */
  int2one(type: number, value: number): void {
    this.head(type, DT.INT2, 2)
    this.view.setInt16(this.pos, value)
    this.pos += 2
  }

  int2s(type: number, values: readonly number[]): void {
    this.head(type, DT.INT2, values.length * 2)
    for (let i = 0; i < values.length; i++) {
      this.view.setInt16(this.pos, values[i]!)
      this.pos += 2
    }
  }

  uint2(type: number, value: number): void {
    this.head(type, type === R.STRANS || type === R.PRESENTATION || type === R.ELFLAGS ? DT.BITARRAY : DT.INT2, 2)
    this.view.setUint16(this.pos, value)
    this.pos += 2
  }

  int4(type: number, value: number): void {
    this.checkInt32(type, value)
    this.head(type, DT.INT4, 4)
    this.view.setInt32(this.pos, value)
    this.pos += 4
  }

  real8(type: number, ...values: number[]): void {
    this.head(type, DT.REAL8, values.length * 8)
    for (const v of values) {
      encodeReal8(v, this.view, this.pos)
      this.pos += 8
    }
  }

  ascii(type: number, s: string): void {
    const n = s.length + (s.length & 1)
    this.head(type, DT.ASCII, n)
    for (let i = 0; i < s.length; i++) {
      const c = s.charCodeAt(i)
      if (c > 0xff) throw new GdsError({ file: this.file, record: type, expected: `8-bit characters only (found U+${c.toString(16)} in ${showName(s)})` })
      this.buf[this.pos++] = c
    }
    if (s.length & 1) this.buf[this.pos++] = 0
  }

  private checkInt32(type: number, v: number): void {
    if (!Number.isInteger(v) || v < INT32_MIN || v > INT32_MAX) {
      throw new GdsError({ file: this.file, record: type, expected: `a 32-bit integer coordinate (found ${v})` })
    }
  }

  /**
   * Int32 values as big-endian bytes at the current position (room made by the caller): a copy and Node's native
   * byte swap for long runs. A fresh process runs a per-value loop unoptimised, and XY data is most of a file.
   */
  private ints(src: Int32Array, from: number, to: number): void {
    const bytes = (to - from) * 4
    if (LITTLE_ENDIAN && bytes >= SWAP_MIN_BYTES) {
      this.buf.set(new Uint8Array(src.buffer, src.byteOffset + from * 4, bytes), this.pos)
      Buffer.from(this.buf.buffer, this.buf.byteOffset + this.pos, bytes).swap32()
      this.pos += bytes
      return
    }
    for (let i = from; i < to; i++) {
      this.view.setInt32(this.pos, src[i]!)
      this.pos += 4
    }
  }

  /** XY record(s) from interleaved coordinates; more than 8191 points continue in further XY records. */
  xy(coords: ArrayLike<number>, n = coords.length >> 1): void {
    for (let start = 0; start < n || (start === 0 && n === 0); start += MAX_XY_POINTS) {
      const cnt = Math.min(MAX_XY_POINTS, n - start)
      this.head(R.XY, DT.INT4, cnt * 8)
      if (coords instanceof Int32Array) {
        // values of an Int32Array are 32-bit integers: nothing to check
        this.ints(coords, start * 2, (start + cnt) * 2)
      } else {
        for (let i = start * 2, e = (start + cnt) * 2; i < e; i++) {
          const v = coords[i]!
          this.checkInt32(R.XY, v)
          this.view.setInt32(this.pos, v)
          this.pos += 4
        }
      }
      if (n === 0) break
    }
  }

  /** The XY record(s) of a closed ring: the points coords[from .. to) and the first one again. */
  private ringXY(coords: Int32Array, from: number, to: number): void {
    const n = ((to - from) >> 1) + 1
    if (n > MAX_XY_POINTS) {
      const pts = new Int32Array(to - from + 2)
      pts.set(coords.subarray(from, to))
      pts[to - from] = coords[from]!
      pts[to - from + 1] = coords[from + 1]!
      this.xy(pts, n)
      return
    }
    this.head(R.XY, DT.INT4, n * 8)
    this.ints(coords, from, to)
    this.view.setInt32(this.pos, coords[from]!)
    this.view.setInt32(this.pos + 4, coords[from + 1]!)
    this.pos += 8
  }

  /** Room for about `bytes` more (saves the copies of growing by doubling when the caller knows the size). */
  reserve(bytes: number): void {
    this.ensure(bytes)
  }

  beginLibrary(info: GdsLibraryInfo): void {
    this.int2(R.HEADER, info.version || 600)
    const t = [...(info.modified ?? zeroTime()), ...(info.accessed ?? zeroTime())]
    this.int2(R.BGNLIB, ...t.slice(0, 12))
    if (info.refLibs) for (const r of info.refLibs) this.ascii(R.REFLIBS, r)
    this.ascii(R.LIBNAME, info.name || 'LIB')
    if (info.fonts) for (const f of info.fonts) this.ascii(R.FONTS, f)
    if (info.attrTable !== undefined) this.ascii(R.ATTRTABLE, info.attrTable)
    if (info.generations !== undefined) this.int2(R.GENERATIONS, info.generations)
    if (info.format !== undefined) this.int2(R.FORMAT, info.format)
    this.real8(R.UNITS, info.userUnitsPerDbu, info.metersPerDbu)
  }

  beginStructure(name: string, times?: number[]): void {
    const t = times && times.length >= 12 ? times.slice(0, 12) : ZERO_TIMES
    this.int2s(R.BGNSTR, t)
    this.ascii(R.STRNAME, name)
  }

  endStructure(): void {
    this.empty(R.ENDSTR)
  }

  private extras(x: GdsElementExtras | null | undefined, part: 'head' | 'props'): void {
    if (!x) return
    if (part === 'head') {
      if (x.elflags !== undefined) this.uint2(R.ELFLAGS, x.elflags)
      if (x.plex !== undefined) this.int4(R.PLEX, x.plex)
    } else if (x.props) {
      for (const p of x.props) {
        this.int2(R.PROPATTR, p.attr)
        this.ascii(R.PROPVALUE, p.value)
      }
    }
  }

  private endElement(x: GdsElementExtras | null | undefined): void {
    this.extras(x, 'props')
    this.empty(R.ENDEL)
  }

  boundary(layer: number, datatype: number, coords: ArrayLike<number>, n: number, x?: GdsElementExtras | null): void {
    this.empty(R.BOUNDARY)
    this.extras(x, 'head')
    this.int2one(R.LAYER, layer)
    this.int2one(R.DATATYPE, datatype)
    this.xy(coords, n)
    this.endElement(x)
  }

  /** A BOUNDARY of the ring coords[from .. to) (int32 x, y pairs, not closed: the closing point is written here). */
  boundaryRing(layer: number, datatype: number, coords: Int32Array, from: number, to: number, x?: GdsElementExtras | null): void {
    this.empty(R.BOUNDARY)
    this.extras(x, 'head')
    this.int2one(R.LAYER, layer)
    this.int2one(R.DATATYPE, datatype)
    this.ringXY(coords, from, to)
    this.endElement(x)
  }

  /** A rectangular BOUNDARY (five points, counter-clockwise from the lower left: the order KLayout writes). */
  boundaryBox(layer: number, datatype: number, l: number, b: number, r: number, t: number, x?: GdsElementExtras | null): void {
    this.empty(R.BOUNDARY)
    this.extras(x, 'head')
    this.int2one(R.LAYER, layer)
    this.int2one(R.DATATYPE, datatype)
    this.checkInt32(R.XY, l)
    this.checkInt32(R.XY, b)
    this.checkInt32(R.XY, r)
    this.checkInt32(R.XY, t)
    this.head(R.XY, DT.INT4, 40)
    const v = this.view, p = this.pos
    v.setInt32(p, l)
    v.setInt32(p + 4, b)
    v.setInt32(p + 8, r)
    v.setInt32(p + 12, b)
    v.setInt32(p + 16, r)
    v.setInt32(p + 20, t)
    v.setInt32(p + 24, l)
    v.setInt32(p + 28, t)
    v.setInt32(p + 32, l)
    v.setInt32(p + 36, b)
    this.pos = p + 40
    this.endElement(x)
  }

  path(
    layer: number, datatype: number, coords: ArrayLike<number>, n: number, width: number, pathtype: number,
    bgnExt: number, endExt: number, x?: GdsElementExtras | null,
  ): void {
    this.empty(R.PATH)
    this.extras(x, 'head')
    this.int2one(R.LAYER, layer)
    this.int2one(R.DATATYPE, datatype)
    if (pathtype !== 0) this.int2(R.PATHTYPE, pathtype)
    this.int4(R.WIDTH, width)
    if (pathtype === 4) {
      this.int4(R.BGNEXTN, bgnExt)
      this.int4(R.ENDEXTN, endExt)
    }
    this.xy(coords, n)
    this.endElement(x)
  }

  node(layer: number, nodetype: number, coords: ArrayLike<number>, n: number, x?: GdsElementExtras | null): void {
    this.empty(R.NODE)
    this.extras(x, 'head')
    this.int2one(R.LAYER, layer)
    this.int2(R.NODETYPE, nodetype)
    this.xy(coords, n)
    this.endElement(x)
  }

  private strans(s: GdsStrans | null | undefined): void {
    if (s) this.stransOf(s.reflect, s.mag, s.angle, s.absMag, s.absAngle)
  }

  private stransOf(reflect: boolean, mag: number, angle: number, absMag: boolean, absAngle: boolean): void {
    if (!reflect && !absMag && !absAngle && mag === 1 && angle === 0) return
    this.uint2(R.STRANS, (reflect ? 0x8000 : 0) | (absMag ? 0x0004 : 0) | (absAngle ? 0x0002 : 0))
    if (mag !== 1) this.real8(R.MAG, mag)
    if (angle !== 0) this.real8(R.ANGLE, angle)
  }

  /** One XY record of one point. */
  private point(x: number, y: number): void {
    this.checkInt32(R.XY, x)
    this.checkInt32(R.XY, y)
    this.head(R.XY, DT.INT4, 8)
    this.view.setInt32(this.pos, x)
    this.view.setInt32(this.pos + 4, y)
    this.pos += 8
  }

  text(
    layer: number, texttype: number, x: number, y: number, string: string, presentation: number,
    strans: GdsStrans | null, width: number | null, pathtype: number | null, ex?: GdsElementExtras | null,
  ): void {
    this.empty(R.TEXT)
    this.extras(ex, 'head')
    this.int2one(R.LAYER, layer)
    this.int2(R.TEXTTYPE, texttype)
    if (presentation !== 0) this.uint2(R.PRESENTATION, presentation)
    if (pathtype !== null) this.int2(R.PATHTYPE, pathtype)
    if (width !== null) this.int4(R.WIDTH, width)
    this.strans(strans)
    this.xy([x, y], 1)
    this.ascii(R.STRING, string)
    this.endElement(ex)
  }

  sref(name: string, x: number, y: number, strans: GdsStrans | null, ex?: GdsElementExtras | null): void {
    if (strans) this.srefAt(name, x, y, strans.reflect, strans.mag, strans.angle, strans.absMag, strans.absAngle, ex)
    else this.srefAt(name, x, y, false, 1, 0, false, false, ex)
  }

  /** sref with the transformation's parts as arguments (no object per instance: a layout has thousands). */
  srefAt(name: string, x: number, y: number, reflect: boolean, mag: number, angle: number, absMag: boolean, absAngle: boolean, ex?: GdsElementExtras | null): void {
    this.empty(R.SREF)
    this.extras(ex, 'head')
    this.ascii(R.SNAME, name)
    this.stransOf(reflect, mag, angle, absMag, absAngle)
    this.point(x, y)
    this.endElement(ex)
  }

  aref(name: string, cols: number, rows: number, pts: ArrayLike<number>, strans: GdsStrans | null, ex?: GdsElementExtras | null): void {
    this.empty(R.AREF)
    this.extras(ex, 'head')
    this.ascii(R.SNAME, name)
    this.strans(strans)
    this.int2(R.COLROW, cols, rows)
    this.xy(pts, 3)
    this.endElement(ex)
  }

  endLibrary(): void {
    this.empty(R.ENDLIB)
  }

  /** The bytes written so far (a copy-free view; with a sink, what it has not been given yet). */
  bytes(): Uint8Array {
    return this.buf.subarray(0, this.pos)
  }
}

/** BGNSTR's twelve time fields when none are asked for. */
const ZERO_TIMES: readonly number[] = Object.freeze(new Array<number>(12).fill(0))

function zeroTime(): number[] {
  return [0, 0, 0, 0, 0, 0]
}

/** BGNLIB/BGNSTR time fields (year, month, day, hour, minute, second) for a date. */
export function gdsTime(d: Date): number[] {
  return [d.getUTCFullYear(), d.getUTCMonth() + 1, d.getUTCDate(), d.getUTCHours(), d.getUTCMinutes(), d.getUTCSeconds()]
}
