import { deflateRawSync } from 'node:zlib'
import { GdsError } from '../errors.js'
import { showName } from '../names.js'
import { OasisBytes } from './bytes.js'
import { OASIS_MAGIC, OR } from './records.js'

const INT32_MIN = -2147483648
const INT32_MAX = 2147483647

export interface OasisStreamOptions {
  /** Name used in error messages. */
  file?: string
  /** Cell contents (and name tables) in CBLOCKs, raw DEFLATE (default true). */
  cblocks?: boolean
  /** DEFLATE level 1-9 of the CBLOCKs (default 6). */
  compressionLevel?: number
}

/** A regular repetition: na x nb members at i * (ax, ay) + j * (bx, by) (na * nb > 1). */
export interface OasisRegularRepetition {
  na: number
  nb: number
  ax: number
  ay: number
  bx: number
  by: number
}

/** A property value as written: an integer, a real, a string or a PROPSTRING reference ({ ref }). */
export type OasisOutValue = number | string | { ref: number } | { real: number }

/**
 * A record-level OASIS writer. It keeps the modal variables and leaves out every field that equals them; every
 * element is written in absolute (XYABSOLUTE) mode. Deterministic: the same calls give the same bytes (no
 * timestamps; DEFLATE is deterministic for a given level and zlib).
 */
export class OasisStreamWriter {
  private readonly out = new OasisBytes()
  /** Where records go: the file, or the CBLOCK being collected. */
  private cur: OasisBytes
  private cblock: OasisBytes | null = null
  private readonly file: string
  private readonly level: number
  readonly cblocks: boolean

  // modal variables
  private layer = -1
  private datatype = -1
  private textlayer = -1
  private texttype = -1
  private geomX = 0
  private geomY = 0
  private geomW = -1
  private geomH = -1
  private placementX = 0
  private placementY = 0
  private placementCell: number | string | null = null
  private textX = 0
  private textY = 0
  private textString: number | string | null = null
  private halfWidth = -1
  private startExt: number | null = null
  private endExt: number | null = null
  private radius = -1

  constructor(opts: OasisStreamOptions = {}) {
    this.file = opts.file ?? '<output>'
    this.cblocks = opts.cblocks ?? true
    this.level = Math.min(9, Math.max(1, opts.compressionLevel ?? 6))
    this.cur = this.out
  }

  /** Bytes written to the file so far (the offset of the next record outside a CBLOCK). */
  get offset(): number {
    return this.out.pos
  }

  private fail(record: string, expected: string): never {
    throw new GdsError({ file: this.file, record, expected })
  }

  str(s: string, record: string): void {
    const c = this.cur
    c.u(s.length)
    for (let i = 0; i < s.length; i++) {
      const ch = s.charCodeAt(i)
      if (ch > 0xff) this.fail(record, `8-bit characters only (found U+${ch.toString(16)} in ${showName(s)})`)
      c.byte(ch)
    }
  }

  /** A real: an integer as type 0/1, a reciprocal of an integer as type 2/3, else an IEEE double (type 7). */
  real(v: number): void {
    const c = this.cur
    if (Number.isInteger(v) && Math.abs(v) <= Number.MAX_SAFE_INTEGER) {
      c.u(v < 0 ? 1 : 0)
      c.u(Math.abs(v))
      return
    }
    const k = 1 / v
    if (Number.isInteger(k) && Math.abs(k) <= Number.MAX_SAFE_INTEGER && 1 / k === v) {
      c.u(k < 0 ? 3 : 2)
      c.u(Math.abs(k))
      return
    }
    c.u(7)
    const b = new Uint8Array(8)
    new DataView(b.buffer).setFloat64(0, v, true)
    c.bytes(b)
  }

  private coord(v: number, record: string): void {
    if (!Number.isInteger(v) || v < INT32_MIN || v > INT32_MAX) this.fail(record, `32-bit integer coordinates (found ${v})`)
    this.cur.s(v)
  }

  private ucoord(v: number, record: string): void {
    if (!Number.isInteger(v) || v < 0 || v > INT32_MAX) this.fail(record, `a non-negative 32-bit distance (found ${v})`)
    this.cur.u(v)
  }

  // ------------------------------------------------------------------ file structure

  /** Magic and START: version 1.0, the unit (grid steps per micron), the offset flag (0: table follows, zeros). */
  start(unit: number, offsetsAtEnd: boolean): void {
    this.out.bytes(OASIS_MAGIC)
    const c = this.cur
    c.byte(OR.START)
    this.str('1.0', 'START')
    this.real(unit)
    c.u(offsetsAtEnd ? 1 : 0)
    if (!offsetsAtEnd) for (let i = 0; i < 12; i++) c.u(0)
  }

  /**
   * END: the table offsets when they were announced for the end ([strict flag, offset] for CELLNAME,
   * TEXTSTRING, PROPNAME, PROPSTRING, LAYERNAME, XNAME), a padding string that makes the record 256 bytes long,
   * and validation scheme 0 (none).
   */
  end(offsets: Array<[number, number]> | null): void {
    this.flushCblock()
    const o = this.out
    const at = o.pos
    o.byte(OR.END)
    if (offsets) {
      for (const [flag, off] of offsets) {
        o.u(flag)
        o.u(off)
      }
    }
    // padding: a b-string filling the record up to 255 bytes (its length always in two bytes, so that any
    // count fits), then the 1-byte validation scheme
    const len = 255 - (o.pos - at) - 2
    o.byte((len & 0x7f) | 0x80)
    o.byte(len >>> 7)
    for (let i = 0; i < len; i++) o.byte(0)
    o.u(0)
  }

  /** Starts a name table or a cell body: in a CBLOCK when compressing. */
  beginBlock(): void {
    if (this.cblocks && !this.cblock) {
      this.cblock = new OasisBytes()
      this.cur = this.cblock
    }
  }

  /** Ends the block: compressed into a CBLOCK record when that is smaller. */
  endBlock(): void {
    this.flushCblock()
  }

  private flushCblock(): void {
    const cb = this.cblock
    if (!cb) return
    this.cblock = null
    this.cur = this.out
    const raw = cb.view()
    if (raw.length === 0) return
    const comp = deflateRawSync(raw, { level: this.level })
    const o = this.out
    // as KLayout: a CBLOCK only when it saves more than its own header
    if (raw.length > comp.length + 4) {
      o.byte(OR.CBLOCK)
      o.u(0)
      o.u(raw.length)
      o.u(comp.length)
      o.bytes(comp)
    } else {
      o.bytes(raw)
    }
  }

  /** A name record: CELLNAME / TEXTSTRING / PROPNAME / PROPSTRING (implicit id, or explicit when `id` is given). */
  name(kind: 'CELLNAME' | 'TEXTSTRING' | 'PROPNAME' | 'PROPSTRING', s: string, id?: number): void {
    const base = { CELLNAME: OR.CELLNAME, TEXTSTRING: OR.TEXTSTRING, PROPNAME: OR.PROPNAME, PROPSTRING: OR.PROPSTRING }[kind]
    this.cur.byte(id === undefined ? base : base + 1)
    this.str(s, kind)
    if (id !== undefined) this.cur.u(id)
  }

  /** CELL by reference number or by name; resets the modal variables. The body goes into a CBLOCK. */
  beginCell(ref: number | string): void {
    this.flushCblock()
    const o = this.out
    if (typeof ref === 'number') {
      o.byte(OR.CELL_REF)
      o.u(ref)
    } else {
      o.byte(OR.CELL_NAME)
      this.str(ref, 'CELL')
    }
    this.resetModal()
    this.beginBlock()
  }

  endCell(): void {
    this.flushCblock()
  }

  private resetModal(): void {
    this.layer = this.datatype = this.textlayer = this.texttype = -1
    this.geomX = this.geomY = 0
    this.geomW = this.geomH = -1
    this.placementX = this.placementY = 0
    this.placementCell = null
    this.textX = this.textY = 0
    this.textString = null
    this.halfWidth = -1
    this.startExt = this.endExt = null
    this.radius = -1
  }

  // ------------------------------------------------------------------ elements

  private layerBits(layer: number, datatype: number): number {
    return (this.layer !== layer ? 0x01 : 0) | (this.datatype !== datatype ? 0x02 : 0)
  }

  private writeLayer(info: number, layer: number, datatype: number): void {
    if (info & 0x01) {
      this.cur.u(layer)
      this.layer = layer
    }
    if (info & 0x02) {
      this.cur.u(datatype)
      this.datatype = datatype
    }
  }

  private writeXY(info: number, x: number, y: number, record: string): void {
    if (info & 0x10) {
      this.coord(x, record)
      this.geomX = x
    }
    if (info & 0x08) {
      this.coord(y, record)
      this.geomY = y
    }
  }

  rectangle(layer: number, datatype: number, x: number, y: number, w: number, h: number): void {
    let info = this.layerBits(layer, datatype)
    if (w === h) {
      info |= 0x80
      if (this.geomW !== w) info |= 0x40
    } else {
      if (this.geomW !== w) info |= 0x40
      if (this.geomH !== h) info |= 0x20
    }
    if (this.geomX !== x) info |= 0x10
    if (this.geomY !== y) info |= 0x08
    const c = this.cur
    c.byte(OR.RECTANGLE)
    c.byte(info)
    this.writeLayer(info, layer, datatype)
    if (info & 0x40) this.ucoord(w, 'RECTANGLE')
    if (info & 0x20) this.ucoord(h, 'RECTANGLE')
    this.geomW = w
    this.geomH = h
    this.writeXY(info, x, y, 'RECTANGLE')
  }

  /** POLYGON of n >= 3 absolute points xy[start ..]. */
  polygon(layer: number, datatype: number, xy: ArrayLike<number>, start: number, n: number): void {
    const x = xy[start]!, y = xy[start + 1]!
    let info = this.layerBits(layer, datatype) | 0x20
    if (this.geomX !== x) info |= 0x10
    if (this.geomY !== y) info |= 0x08
    const c = this.cur
    c.byte(OR.POLYGON)
    c.byte(info)
    this.writeLayer(info, layer, datatype)
    this.pointList(xy, start, n, true, 'POLYGON')
    this.writeXY(info, x, y, 'POLYGON')
  }

  /** PATH of n >= 2 absolute points, half-width and extensions (signed). */
  path(layer: number, datatype: number, xy: ArrayLike<number>, start: number, n: number, halfWidth: number, startExt: number, endExt: number): void {
    const x = xy[start]!, y = xy[start + 1]!
    let info = this.layerBits(layer, datatype) | 0x20
    if (this.halfWidth !== halfWidth) info |= 0x40
    if (this.startExt !== startExt || this.endExt !== endExt) info |= 0x80
    if (this.geomX !== x) info |= 0x10
    if (this.geomY !== y) info |= 0x08
    const c = this.cur
    c.byte(OR.PATH)
    c.byte(info)
    this.writeLayer(info, layer, datatype)
    if (info & 0x40) {
      this.ucoord(halfWidth, 'PATH')
      this.halfWidth = halfWidth
    }
    if (info & 0x80) {
      const code = (e: number, cur: number | null): number => (cur === e ? 0 : e === 0 ? 1 : e === halfWidth ? 2 : 3)
      const sc = code(startExt, this.startExt), ec = code(endExt, this.endExt)
      c.u((sc << 2) | ec)
      if (sc === 3) this.coord(startExt, 'PATH')
      if (ec === 3) this.coord(endExt, 'PATH')
      this.startExt = startExt
      this.endExt = endExt
    }
    this.pointList(xy, start, n, false, 'PATH')
    this.writeXY(info, x, y, 'PATH')
  }

  circle(layer: number, datatype: number, x: number, y: number, r: number): void {
    let info = this.layerBits(layer, datatype)
    if (this.radius !== r) info |= 0x20
    if (this.geomX !== x) info |= 0x10
    if (this.geomY !== y) info |= 0x08
    const c = this.cur
    c.byte(OR.CIRCLE)
    c.byte(info)
    this.writeLayer(info, layer, datatype)
    if (info & 0x20) {
      this.ucoord(r, 'CIRCLE')
      this.radius = r
    }
    this.writeXY(info, x, y, 'CIRCLE')
  }

  /** TEXT with a TEXTSTRING reference number or the string itself. */
  text(textlayer: number, texttype: number, x: number, y: number, string: number | string): void {
    let info = 0
    if (this.textString !== string) info |= 0x40 | (typeof string === 'number' ? 0x20 : 0)
    if (this.textlayer !== textlayer) info |= 0x01
    if (this.texttype !== texttype) info |= 0x02
    if (this.textX !== x) info |= 0x10
    if (this.textY !== y) info |= 0x08
    const c = this.cur
    c.byte(OR.TEXT)
    c.byte(info)
    if (info & 0x40) {
      if (typeof string === 'number') c.u(string)
      else this.str(string, 'TEXT')
      this.textString = string
    }
    if (info & 0x01) {
      c.u(textlayer)
      this.textlayer = textlayer
    }
    if (info & 0x02) {
      c.u(texttype)
      this.texttype = texttype
    }
    if (info & 0x10) {
      this.coord(x, 'TEXT')
      this.textX = x
    }
    if (info & 0x08) {
      this.coord(y, 'TEXT')
      this.textY = y
    }
  }

  /**
   * PLACEMENT of a cell (reference number or name): mirrored at the x axis first, then magnified and rotated
   * (degrees); a regular array as a repetition. PLACEMENT 17 (no magnification, multiples of 90 degrees) where
   * possible, else 18 with real magnification and angle.
   */
  placement(cell: number | string, x: number, y: number, mirror: boolean, rotation: number, mag: number, rep: OasisRegularRepetition | null): void {
    const r = ((rotation % 360) + 360) % 360
    const simple = mag === 1 && r % 90 === 0
    let info = mirror ? 0x01 : 0
    if (this.placementCell !== cell) info |= 0x80 | (typeof cell === 'number' ? 0x40 : 0)
    if (this.placementX !== x) info |= 0x20
    if (this.placementY !== y) info |= 0x10
    if (rep) info |= 0x08
    // (an angle that is a multiple of 90 degrees is written as 0, 90, 180 or 270)
    const angle = r % 90 === 0 ? r : rotation
    if (simple) info |= (r / 90) << 1
    else info |= (mag !== 1 ? 0x04 : 0) | (angle !== 0 ? 0x02 : 0)
    const c = this.cur
    c.byte(simple ? OR.PLACEMENT : OR.PLACEMENT_X)
    c.byte(info)
    if (info & 0x80) {
      if (typeof cell === 'number') c.u(cell)
      else this.str(cell, 'PLACEMENT')
      this.placementCell = cell
    }
    if (!simple) {
      if (info & 0x04) this.real(mag)
      if (info & 0x02) this.real(angle)
    }
    if (info & 0x20) {
      this.coord(x, 'PLACEMENT')
      this.placementX = x
    }
    if (info & 0x10) {
      this.coord(y, 'PLACEMENT')
      this.placementY = y
    }
    if (rep) this.repetition(rep)
  }

  /**
   * A regular repetition: type 2 / 3 (one row or column along an axis), 9 (one line along another
   * direction), 1 (a grid along the axes), else 8 (any two lattice vectors).
   */
  private repetition(rep: OasisRegularRepetition): void {
    const c = this.cur
    let na = rep.na
    const { nb, ax, ay, bx, by } = rep
    if (na * nb < 2) this.fail('PLACEMENT', `a repetition of at least 2 members (found ${na} x ${nb})`)
    if (na === 1 || nb === 1) {
      // a reader makes type 2 and 9 one row (n x 1 along the vector), type 3 one column (1 x n): the type that
      // gives the array back as it is, where there is one (a 1 x n array along another direction than
      // north comes back as n x 1, the same members)
      let vx = ax, vy = ay
      const column = na === 1
      if (column) {
        vx = bx
        vy = by
        na = nb
      }
      if (column && vx === 0 && vy >= 0) {
        c.u(3)
        c.u(na - 2)
        this.ucoord(vy, 'PLACEMENT')
      } else if (!column && vy === 0 && vx >= 0) {
        c.u(2)
        c.u(na - 2)
        this.ucoord(vx, 'PLACEMENT')
      } else {
        c.u(9)
        c.u(na - 2)
        this.cur.gdelta(vx, vy)
      }
    } else if (ay === 0 && ax >= 0 && bx === 0 && by >= 0) {
      c.u(1)
      c.u(na - 2)
      c.u(nb - 2)
      this.ucoord(ax, 'PLACEMENT')
      this.ucoord(by, 'PLACEMENT')
    } else {
      c.u(8)
      c.u(na - 2)
      c.u(nb - 2)
      this.cur.gdelta(ax, ay)
      this.cur.gdelta(bx, by)
    }
  }

  /**
   * PROPERTY: the name as a PROPNAME reference number or a string, standard flag, values (unsigned /
   * signed integers, reals, strings, PROPSTRING references).
   */
  property(name: number | string, standard: boolean, values: OasisOutValue[]): void {
    const c = this.cur
    c.byte(OR.PROPERTY)
    const n = values.length
    c.byte((n >= 15 ? 0xf0 : n << 4) | 0x04 | (typeof name === 'number' ? 0x02 : 0) | (standard ? 0x01 : 0))
    if (typeof name === 'number') c.u(name)
    else this.str(name, 'PROPERTY')
    if (n >= 15) c.u(n)
    for (const v of values) {
      if (typeof v === 'number') {
        if (Number.isInteger(v)) {
          c.u(v < 0 ? 9 : 8)
          if (v < 0) c.s(v)
          else c.u(v)
        } else {
          this.real(v)
        }
      } else if (typeof v === 'string') {
        c.u(11)
        this.str(v, 'PROPERTY')
      } else if ('ref' in v) {
        c.u(14)
        c.u(v.ref)
      } else {
        this.real(v.real)
      }
    }
  }

  /**
   * A point list from n absolute points xy[start ..] (relative to the first): type 0 / 1 for Manhattan lists
   * whose edges alternate between horizontal and vertical (for a polygon the last point is implied, so its
   * closing edge must alternate too), 2 for other Manhattan lists, 3 for octangular ones, 4 for any angle.
   */
  private pointList(xy: ArrayLike<number>, start: number, n: number, polygon: boolean, record: string): void {
    const c = this.cur
    // classify the edges
    let manhattan = true, octangular = true
    let alt0 = true, alt1 = true
    const edges = polygon ? n : n - 1
    for (let i = 0; i < edges; i++) {
      const a = start + 2 * i
      const b = i + 1 < n ? start + 2 * (i + 1) : start
      const dx = xy[b]! - xy[a]!, dy = xy[b + 1]! - xy[a + 1]!
      const h = dy === 0 && dx !== 0
      const v = dx === 0 && dy !== 0
      if (!h && !v) {
        manhattan = false
        alt0 = alt1 = false
        if (Math.abs(dx) !== Math.abs(dy)) octangular = false
      } else {
        // alt0: even edges horizontal, odd vertical; alt1 the other way round
        if ((i % 2 === 0) !== h) alt0 = false
        if ((i % 2 === 0) !== v) alt1 = false
      }
    }
    if (polygon && n % 2 !== 0) alt0 = alt1 = false
    if (alt0 || alt1) {
      // 1-deltas, alternating; for a polygon the last point is implied
      c.u(alt0 ? 0 : 1)
      const m = polygon ? n - 2 : n - 1
      c.u(m)
      for (let i = 1; i <= m; i++) {
        const a = start + 2 * i
        const d = (i % 2 === 1) === alt0 ? xy[a]! - xy[a - 2]! : xy[a + 1]! - xy[a - 1]!
        this.checkDelta(d, record)
        c.s(d)
      }
      return
    }
    c.u(manhattan ? 2 : octangular ? 3 : 4)
    c.u(n - 1)
    for (let i = 1; i < n; i++) {
      const a = start + 2 * i
      const dx = xy[a]! - xy[a - 2]!, dy = xy[a + 1]! - xy[a - 1]!
      this.checkDelta(dx, record)
      this.checkDelta(dy, record)
      if (manhattan) {
        c.delta2(dx, dy)
      } else if (octangular) {
        c.delta3(dx, dy)
      } else {
        this.cur.gdelta(dx, dy)
      }
    }
  }

  private checkDelta(d: number, record: string): void {
    if (!Number.isInteger(d) || Math.abs(d) > 0xffffffff) this.fail(record, `point coordinates within 32 bits (a delta of ${d})`)
  }

  /** The finished file. */
  bytes(): Uint8Array {
    this.flushCblock()
    return this.out.view()
  }
}
