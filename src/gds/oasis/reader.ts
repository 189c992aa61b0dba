import { fstatSync } from 'node:fs'
import { ElementDecoder } from '../decoder.js'
import { GdsError } from '../errors.js'
import { withLayoutFile } from '../file.js'
import { DEFAULT_MAX_ARRAY_MEMBERS } from '../limits.js'
import { showName } from '../names.js'
import { gdsBytes } from '../reader.js'
import { InflateAhead } from './inflate-ahead.js'
import { INT32_MAX, INT32_MIN, OasisInput } from './input.js'
import { PointList, bb, bl, boundsOf, br, bt } from './pointlist.js'
import { OR, S_GDS_PROPERTY, isOasis } from './records.js'
import { Repetition } from './repetition.js'
import { OasisStringRef, type OasisNames, type OasisProperty, type OasisSink, type OasisValue } from './sink.js'

/*
 * The OASIS (SEMI P39) reader: the whole format as KLayout and gdstk write it.
 * - magic, START (version 1.0, unit, table offsets here or in END: read, validated, not needed), END (table
 *   offsets, padding, validation scheme 0-2: its signature is read, not checked), CBLOCK (raw DEFLATE, one
 *   CBLOCK's data holds whole records), PAD;
 * - every element: RECTANGLE, POLYGON, PATH (extension schemes), TRAPEZOID (23, 24, 25), CTRAPEZOID (26 types),
 *   CIRCLE, TEXT, PLACEMENT (17, and 18 with magnification and angle), XELEMENT / XGEOMETRY (skipped with
 *   their data), PROPERTY and its repetition (29), all 12 repetition types, the 6 point-list types, every modal
 *   variable (reset at CELL and at name records, as KLayout does), XYABSOLUTE / XYRELATIVE;
 * - name tables CELLNAME, TEXTSTRING, PROPNAME, PROPSTRING, LAYERNAME, XNAME with implicit or explicit
 *   reference numbers, anywhere in the file (forward references resolved at the end), strict-mode tables;
 * - reals of types 0-7; integers up to 64 bits (a bigint in property values beyond 2^53, an error elsewhere:
 *   counts and coordinates must be exact numbers; coordinates 32-bit).
 * Where the format leaves a choice, KLayout 0.28's reader is followed: a POLYGON of fewer than 3 points and a
 * PATH of fewer than 2 are left out, a circle of radius 0 too; repetition spacings of zero (two members at the
 * same place) are dropped, and a zero step makes its dimension one member; a magnification within 1e-6 of 1 is
 * 1, an angle within 1e-6 quarter turns of a multiple of 90 degrees is that multiple (0, 90, 180, 270).
 */

export interface OasisReadOptions {
  /** Name used in error messages (defaults to the path, or `<buffer>`). */
  file?: string
  /** Most members one repetition may have (default 2^24, as for GDSII arrays); a larger one is refused. */
  maxArrayMembers?: number
  /** Most points one POLYGON or PATH point list may have (default 2^24: OASIS has no limit of its own). */
  maxVertices?: number
  /** Most bytes a gzip stream, or one CBLOCK, may inflate to. */
  maxInflatedBytes?: number
  /** Bytes a file is read through at a time (default 1 MiB). */
  windowBytes?: number
  /**
   * Files of at least this many bytes (plain files, not gzip) have their CBLOCKs inflated ahead by a worker
   * thread while this one parses (see inflate-ahead.ts). Default: never (Infinity). Measured on the 2-core
   * benchmark machine at load 1.2-1.5, interleaved fresh processes: hierarchical file 172-189 ms without the
   * worker against 183-216 ms with it, flat 502-513 against 526-627 ms (the worker's start, its own heap's page
   * faults and the hand-over cost more than inflating in this thread, now that the parser's element work is
   * WebAssembly). Worth trying on a machine with idle cores and cheap page faults.
   */
  inflateAheadBytes?: number
}

/**
 * For tests: `enabled = false` reads every element through the general path (the fast element loop, see
 * OasisParser.fastElements, and the WebAssembly decoder before it, are checked against it:
 * test/oasis-fast-path.test.ts); `wasm = false` leaves out the WebAssembly decoder only. `wasmTook` counts the
 * decoder's calls that took elements (a test's guard that it ran).
 */
export const oasisFastPath = { enabled: true, wasm: true, wasmTook: 0 }

// the WebAssembly decoder's modal state words (decoder.as.ts, M_*)
const M_LAYER = 0, M_DATATYPE = 1, M_X = 2, M_Y = 3, M_W = 4, M_H = 5, M_HW = 6, M_SX = 7, M_EX = 8, M_SX_SET = 9
const M_EX_SET = 10, M_ABS = 11, M_POLY_N = 12, M_PATH_N = 13, M_POLY_AT = 14, M_PATH_AT = 15, M_STOP = 16
const M_POLY_NEW = 17, M_PATH_NEW = 18
/** Bytes copied into the decoder's window at a time (its size). */
const MAX_CHUNK = 1 << 20

/** A value the decoder holds as a 32-bit integer, else `unset` (then it does not use it, and it is kept here). */
function i32Or(v: number, unset: number): number {
  return Number.isInteger(v) && v >= INT32_MIN && v <= INT32_MAX ? v : unset
}

/** Points per point list by default: a guard against corrupt counts, far above real polygons. */
export const DEFAULT_OASIS_MAX_VERTICES = 1 << 24
const DEFAULT_MAX_INFLATED = 2 ** 31 - 1
const WINDOW_BYTES = 1 << 20
/** Largest layer / datatype number the layout model holds (16 bits, as in GDSII). */
const MAX_LAYER = 65535

/**
 * CTRAPEZOID types 0-25: the four corners of each, as coefficients (x = a*w + b*h, y = c*w + d*h) — the
 * shapes of the OASIS specification, in the corner order KLayout uses. A last corner equal to the first makes
 * a triangle.
 */
const CTRAP: ReadonlyArray<readonly number[]> = [
  [0, 0, 0, 0, 0, 0, 0, 1, 1, -1, 0, 1, 1, 0, 0, 0],
  [0, 0, 0, 0, 0, 0, 0, 1, 1, 0, 0, 1, 1, -1, 0, 0],
  [0, 0, 0, 0, 0, 1, 0, 1, 1, 0, 0, 1, 1, 0, 0, 0],
  [0, 1, 0, 0, 0, 0, 0, 1, 1, 0, 0, 1, 1, 0, 0, 0],
  [0, 0, 0, 0, 0, 1, 0, 1, 1, -1, 0, 1, 1, 0, 0, 0],
  [0, 1, 0, 0, 0, 0, 0, 1, 1, 0, 0, 1, 1, -1, 0, 0],
  [0, 0, 0, 0, 0, 1, 0, 1, 1, 0, 0, 1, 1, -1, 0, 0],
  [0, 1, 0, 0, 0, 0, 0, 1, 1, -1, 0, 1, 1, 0, 0, 0],
  [0, 0, 0, 0, 0, 0, 0, 1, 1, 0, -1, 1, 1, 0, 0, 0],
  [0, 0, 0, 0, 0, 0, -1, 1, 1, 0, 0, 1, 1, 0, 0, 0],
  [0, 0, 0, 0, 0, 0, 0, 1, 1, 0, 0, 1, 1, 0, 1, 0],
  [0, 0, 1, 0, 0, 0, 0, 1, 1, 0, 0, 1, 1, 0, 0, 0],
  [0, 0, 0, 0, 0, 0, 0, 1, 1, 0, -1, 1, 1, 0, 1, 0],
  [0, 0, 1, 0, 0, 0, -1, 1, 1, 0, 0, 1, 1, 0, 0, 0],
  [0, 0, 0, 0, 0, 0, -1, 1, 1, 0, 0, 1, 1, 0, 1, 0],
  [0, 0, 1, 0, 0, 0, 0, 1, 1, 0, -1, 1, 1, 0, 0, 0],
  [0, 0, 0, 0, 0, 0, 1, 0, 1, 0, 0, 0, 0, 0, 0, 0],
  [0, 0, 0, 0, 0, 0, 1, 0, 1, 0, 1, 0, 0, 0, 0, 0],
  [0, 0, 0, 0, 1, 0, 1, 0, 1, 0, 0, 0, 0, 0, 0, 0],
  [0, 0, 1, 0, 1, 0, 1, 0, 1, 0, 0, 0, 0, 0, 1, 0],
  [0, 0, 0, 0, 0, 1, 0, 1, 0, 2, 0, 0, 0, 0, 0, 0],
  [0, 0, 0, 1, 0, 2, 0, 1, 0, 1, 0, 0, 0, 0, 0, 1],
  [0, 0, 0, 0, 0, 0, 2, 0, 1, 0, 1, 0, 0, 0, 0, 0],
  [1, 0, 0, 0, 0, 0, 1, 0, 1, 0, 2, 0, 1, 0, 0, 0],
  [0, 0, 0, 0, 0, 0, 0, 1, 1, 0, 0, 1, 1, 0, 0, 0],
  [0, 0, 0, 0, 0, 0, 1, 0, 1, 0, 1, 0, 1, 0, 0, 0],
]

/**
 * Reads an OASIS file and reports its content to `sink`. A plain file is read through a window of 1 MiB (memory
 * does not grow with the file); a gzip-compressed one (detected from its bytes) is inflated whole first.
 * Every malformation is a GdsError naming the file, the byte offset, the record and what was expected.
 */
export function parseOasisFile(path: string, sink: OasisSink, opts: OasisReadOptions = {}): void {
  const file = opts.file ?? path
  withLayoutFile(path, file, (fd, refill) => {
    const window = takeWindow(Math.max(1 << 12, opts.windowBytes ?? WINDOW_BYTES))
    let size = -1
    try {
      size = fstatSync(fd).size
    } catch {
      // no size: no worker, no skipping without reading
    }
    const input = new OasisInput(file, { window, refill, size })
    if (opts.inflateAheadBytes !== undefined && size >= opts.inflateAheadBytes) {
      input.inflateAhead((at) => InflateAhead.start(path, at, opts.maxInflatedBytes ?? DEFAULT_MAX_INFLATED))
    }
    try {
      new OasisParser(input, sink, opts).parse()
    } finally {
      input.close()
      giveWindow(window)
    }
  }, (whole) => parseOasis(whole, sink, { ...opts, file }))
}

/**
 * The file window of the last read, kept for the next one: a fresh MiB is 256 page faults, and a test run reads
 * many layouts in one process. (Nothing keeps a view of the window after a read: strings are copies, point
 * lists have their own arrays, CBLOCK data is inflated at once.)
 */
let spareWindow: Uint8Array | null = null

function takeWindow(n: number): Uint8Array {
  const w = spareWindow
  if (w && w.length === n) {
    spareWindow = null
    return w
  }
  return new Uint8Array(n)
}

function giveWindow(w: Uint8Array): void {
  if (w.length === WINDOW_BYTES) spareWindow = w
}

/** Parses OASIS bytes (gzip is inflated first) and reports every element to `sink`. */
export function parseOasis(input: Uint8Array, sink: OasisSink, opts: OasisReadOptions = {}): void {
  const file = opts.file ?? '<buffer>'
  const bytes = gdsBytes(input, { file, maxInflatedBytes: opts.maxInflatedBytes })
  const inp = new OasisInput(file, bytes)
  try {
    new OasisParser(inp, sink, opts).parse()
  } finally {
    inp.close()
  }
}

const UNSET = -1

/** The position after the last vu() (module scratch: no object per value). */
let vp = 0

/**
 * An unsigned integer of at most 4 bytes (28 bits) from b[p] (the caller made sure the bytes are there), its end
 * in vp; -1 when it is longer (the general decoder then reads it).
 */
function vu(b: Uint8Array, p: number): number {
  let c = b[p]!
  if (c < 0x80) {
    vp = p + 1
    return c
  }
  let v = c & 0x7f
  c = b[p + 1]!
  if (c < 0x80) {
    vp = p + 2
    return v | (c << 7)
  }
  v |= (c & 0x7f) << 7
  c = b[p + 2]!
  if (c < 0x80) {
    vp = p + 3
    return v | (c << 14)
  }
  v |= (c & 0x7f) << 14
  c = b[p + 3]!
  if (c < 0x80) {
    vp = p + 4
    return v | (c << 21)
  }
  return -1
}

class OasisParser implements OasisNames {
  private readonly maxMembers: number
  private readonly maxPoints: number
  private readonly maxInflated: number
  /** Elements through fastElements where they can be (see oasisFastPath). */
  private readonly fast = oasisFastPath.enabled
  /** Elements through the WebAssembly decoder first, where the sink takes batches (see wasmElements). */
  private readonly wasm: boolean
  private decoder: ElementDecoder | null = null
  private decoderState: Int32Array | null = null
  /** What the decoder's window holds: the bytes buf[mirrorFrom, mirrorTo) of inp.generation mirrorGen. */
  private mirrorGen = -1
  private mirrorFrom = 0
  private mirrorTo = 0
  /** The versions of the modal point lists when they were last copied from the decoder (it holds them then). */
  private polyVersion = -1
  private pathVersion = -1
  private offsetFlag = 0

  // modal variables (reset at CELL and at name records, as KLayout does)
  private readonly rep = new Repetition()
  private placementCell = UNSET
  private placementX = 0
  private placementY = 0
  private layer = UNSET
  private datatype = UNSET
  private textlayer = UNSET
  private texttype = UNSET
  private textX = 0
  private textY = 0
  private textSet = false
  private modalText: string | null = null
  private textStringId = UNSET
  private geomX = 0
  private geomY = 0
  private geomW = UNSET
  private geomH = UNSET
  private readonly polygonPoints = new PointList()
  private readonly pathPoints = new PointList()
  private halfWidth = UNSET
  private startExt = NaN
  private endExt = NaN
  private ctrapType = UNSET
  private radius = UNSET
  private lastNameSet = false
  private lastName: string | null = null
  private lastNameId = UNSET
  private lastStandard = false
  private lastValues: OasisValue[] | null = null
  private xyAbsolute = true
  private readonly trap = new Int32Array(8)

  // name tables: reference number -> string; for each, implicit (1) or explicit (2) numbering, and the next
  // implicit number
  private readonly cellNameById = new Map<number, string>()
  private readonly cellIdByName = new Map<string, number>()
  private readonly textStrings = new Map<number, string>()
  private readonly propNames = new Map<number, string>()
  private readonly propStrings = new Map<number, string>()
  private readonly tableMode = [0, 0, 0, 0, 0]
  private readonly tableNext = [0, 0, 0, 0, 0]

  // cell handles
  private handles = 0
  private readonly handleById = new Map<number, number>()
  private readonly handleByName = new Map<string, number>()
  private readonly handleName: Array<string | null> = []
  private readonly handleId: number[] = []
  private readonly handleFirstAt: number[] = []
  private readonly defined: boolean[] = []
  /** Handles merged into another one (CELLNAME linked a by-name and a by-number reference). */
  private readonly mergedInto: number[] = []

  /** Where elements go: the caller's sink, or (with the decoder) a FlushingSink in front of it. */
  private readonly sink: OasisSink
  private readonly flushing: FlushingSink | null = null

  constructor(private readonly inp: OasisInput, sink: OasisSink, opts: OasisReadOptions) {
    this.maxMembers = opts.maxArrayMembers ?? DEFAULT_MAX_ARRAY_MEMBERS
    this.maxPoints = opts.maxVertices ?? DEFAULT_OASIS_MAX_VERTICES
    this.maxInflated = opts.maxInflatedBytes ?? DEFAULT_MAX_INFLATED
    this.wasm = this.fast && oasisFastPath.wasm && typeof sink.shapes === 'function'
    this.sink = this.wasm ? (this.flushing = new FlushingSink(sink, () => this.flushDecoder(false))) : sink
  }

  /**
   * Hands the decoder's pending elements to the sink: before an element of the JavaScript paths (file order per
   * layer), when its tape is full, and at the end of a cell (`cellEnd`: then, when the batch holds all of the
   * cell's shapes, it says so, and the builder keeps its arrays without a scratch copy).
   */
  private flushDecoder(cellEnd: boolean): void {
    const dec = this.decoder
    if (!dec || !dec.pending()) return
    const f = this.flushing!
    const complete = cellEnd && !f.shapesInCell
    f.shapesInCell = true
    f.target.shapes!(dec.flush(complete))
  }

  propName(id: number): string | undefined {
    return this.propNames.get(id)
  }

  propString(id: number): string | undefined {
    return this.propStrings.get(id)
  }

  textString(id: number): string | undefined {
    return this.textStrings.get(id)
  }

  /** The next record's id (consumed, and marked for messages); -1 at the end of the input. */
  private next(): number {
    const inp = this.inp
    const r = inp.peek()
    if (r < 0) return -1
    inp.mark()
    inp.pos++
    inp.recId = r
    return r
  }

  parse(): void {
    try {
      this.parseRecords()
    } finally {
      this.decoder?.release()
      this.decoder = null
    }
  }

  private parseRecords(): void {
    const inp = this.inp
    inp.mark()
    inp.recLabel = 'magic'
    const head = inp.peek() < 0 ? new Uint8Array(0) : inp.take(Math.min(13, inp.end - inp.pos))
    if (!isOasis(head)) {
      inp.fail(head.length === 0 ? 'the OASIS magic bytes %SEMI-OASIS<CR><LF> (the input is empty)'
        : 'the OASIS magic bytes %SEMI-OASIS<CR><LF> at the start (not an OASIS file?)')
    }
    if (this.next() !== OR.START) inp.fail('a START record after the magic bytes')
    this.readStart()
    for (;;) {
      const r = this.next()
      if (r < 0) {
        inp.mark()
        inp.recLabel = 'END'
        inp.fail('an END record before the end of the file (truncated)')
      }
      switch (r) {
        case OR.PAD:
          break
        case OR.END:
          this.readEnd()
          return
        case OR.CELLNAME:
        case OR.CELLNAME_REF: {
          const name = inp.str()
          const id = this.tableId(0, r === OR.CELLNAME_REF)
          this.defineCellName(name, id)
          this.resetModal()
          break
        }
        case OR.TEXTSTRING:
        case OR.TEXTSTRING_REF: {
          const s = inp.str()
          const id = this.tableId(1, r === OR.TEXTSTRING_REF)
          if (this.textStrings.has(id)) inp.fail(`one TEXTSTRING per reference number (${id} is defined twice)`)
          this.textStrings.set(id, s)
          this.resetModal()
          break
        }
        case OR.PROPNAME:
        case OR.PROPNAME_REF: {
          const s = inp.str()
          const id = this.tableId(2, r === OR.PROPNAME_REF)
          if (this.propNames.has(id)) inp.fail(`one PROPNAME per reference number (${id} is defined twice)`)
          this.propNames.set(id, s)
          this.resetModal()
          break
        }
        case OR.PROPSTRING:
        case OR.PROPSTRING_REF: {
          const s = inp.str()
          const id = this.tableId(3, r === OR.PROPSTRING_REF)
          if (this.propStrings.has(id)) inp.fail(`one PROPSTRING per reference number (${id} is defined twice)`)
          this.propStrings.set(id, s)
          this.resetModal()
          break
        }
        case OR.LAYERNAME:
        case OR.LAYERNAME_TEXT:
          inp.skipStr()
          this.interval()
          this.interval()
          this.resetModal()
          break
        case OR.XNAME:
        case OR.XNAME_REF:
          inp.u()
          inp.skipStr()
          if (r === OR.XNAME_REF) inp.u()
          this.resetModal()
          break
        case OR.PROPERTY:
        case OR.PROPERTY_REPEAT:
          // a property of the file or of the name record before it (S_TOP_CELL, S_BOUNDING_BOX, S_CELL_OFFSET,
          // ...): read (it sets the modal property variables) and not kept
          this.readProperty(r)
          break
        case OR.CELL_REF:
        case OR.CELL_NAME:
          this.readCell(r)
          break
        case OR.CBLOCK:
          inp.enterCblock(this.maxInflated)
          break
        case OR.START:
          inp.fail('one START record only')
          break
        default:
          inp.fail(r <= OR.CBLOCK ? 'a CELL record before this element (it is outside any cell)' : 'a known record type (0 to 34)')
      }
    }
  }

  private readStart(): void {
    const inp = this.inp
    const version = inp.str()
    if (version !== '1.0') inp.fail(`version "1.0" (found ${showName(version)})`)
    const unit = inp.real()
    if (!(unit >= 1e-6) || !Number.isFinite(unit)) inp.fail(`a positive unit (grid steps per micron; found ${unit})`)
    this.offsetFlag = inp.u()
    if (this.offsetFlag > 1) inp.fail(`an offset flag of 0 or 1 (found ${this.offsetFlag})`)
    if (this.offsetFlag === 0) this.offsetTable()
    this.sink.start({ version, unit, offsetFlag: this.offsetFlag })
  }

  /** The table-offsets: (flag, offset) for CELLNAME, TEXTSTRING, PROPNAME, PROPSTRING, LAYERNAME, XNAME. */
  private offsetTable(): void {
    for (let i = 0; i < 6; i++) {
      const strict = this.inp.u()
      if (strict > 1) this.inp.fail(`a table-offsets strict flag of 0 or 1 (found ${strict})`)
      this.inp.u()
    }
  }

  private readEnd(): void {
    const inp = this.inp
    if (this.offsetFlag === 1) this.offsetTable()
    inp.skipStr() // padding
    const scheme = inp.u()
    if (scheme > 2) inp.fail(`a validation scheme of 0, 1 or 2 (found ${scheme})`)
    if (scheme !== 0) inp.skip(4) // CRC32 or checksum: not checked
    for (let h = 0; h < this.handles; h++) {
      if (this.mergedInto[h] !== undefined || this.handleName[h] !== null) continue
      const id = this.handleId[h]!
      throw new GdsError({
        file: inp.file, offset: this.handleFirstAt[h], record: 'CELLNAME',
        expected: `a CELLNAME record for cell reference number ${id} (referenced here, never named)`,
      })
    }
    this.sink.endFile(this)
  }

  /** A name record's reference number: the next implicit one, or the explicit one that follows. */
  private tableId(table: number, explicit: boolean): number {
    const mode = explicit ? 2 : 1
    if (this.tableMode[table] !== 0 && this.tableMode[table] !== mode) {
      this.inp.fail('implicit and explicit reference numbers not mixed in one name table')
    }
    this.tableMode[table] = mode
    return explicit ? this.inp.u() : this.tableNext[table]!++
  }

  private interval(): void {
    const t = this.inp.u()
    if (t > 4) this.inp.fail(`an interval type of 0 to 4 (found ${t})`)
    if (t >= 1) this.inp.u()
    if (t === 4) this.inp.u()
  }

  private resetModal(): void {
    this.rep.reset()
    this.placementCell = UNSET
    this.placementX = this.placementY = 0
    this.layer = this.datatype = this.textlayer = this.texttype = UNSET
    this.textX = this.textY = 0
    this.textSet = false
    this.modalText = null
    this.textStringId = UNSET
    this.geomX = this.geomY = 0
    this.geomW = this.geomH = UNSET
    this.polygonPoints.reset()
    this.pathPoints.reset()
    this.halfWidth = UNSET
    this.startExt = this.endExt = NaN
    this.ctrapType = UNSET
    this.radius = UNSET
    this.lastNameSet = false
    this.lastName = null
    this.lastNameId = UNSET
    this.lastStandard = false
    this.lastValues = null
  }

  // ---------------------------------------------------------------- cells and their names

  private newHandle(name: string | null, id: number): number {
    const h = this.handles++
    this.handleName.push(name)
    this.handleId.push(id)
    this.handleFirstAt.push(this.inp.recordOffset)
    this.defined.push(false)
    this.sink.cell(h, name, this.inp.recordOffset)
    return h
  }

  private handleForId(id: number): number {
    let h = this.handleById.get(id)
    if (h !== undefined) return h
    const name = this.cellNameById.get(id)
    if (name !== undefined) {
      h = this.handleByName.get(name)
      if (h === undefined) {
        h = this.newHandle(name, id)
        this.handleByName.set(name, h)
      }
    } else {
      h = this.newHandle(null, id)
    }
    this.handleById.set(id, h)
    return h
  }

  private handleForName(name: string): number {
    let h = this.handleByName.get(name)
    if (h !== undefined) return h
    const id = this.cellIdByName.get(name)
    if (id !== undefined) {
      h = this.handleById.get(id)
      if (h !== undefined) {
        this.handleByName.set(name, h)
        return h
      }
    }
    h = this.newHandle(name, id ?? UNSET)
    this.handleByName.set(name, h)
    if (id !== undefined) this.handleById.set(id, h)
    return h
  }

  private defineCellName(name: string, id: number): void {
    const inp = this.inp
    if (this.cellNameById.has(id)) inp.fail(`one CELLNAME per reference number (${id} is named twice)`)
    const other = this.cellIdByName.get(name)
    if (other !== undefined) inp.fail(`unique cell names (${showName(name)} names reference numbers ${other} and ${id})`)
    this.cellNameById.set(id, name)
    this.cellIdByName.set(name, id)
    const h1 = this.handleById.get(id)
    const h2 = this.handleByName.get(name)
    if (h1 !== undefined && h2 !== undefined && h1 !== h2) {
      if (this.defined[h1] && this.defined[h2]) inp.fail(`one definition of cell ${showName(name)} (it is defined by name and by reference number ${id})`)
      this.defined[h2] = this.defined[h2]! || this.defined[h1]!
      this.mergedInto[h1] = h2
      this.handleById.set(id, h2)
      this.handleId[h2] = id
      if (this.placementCell === h1) this.placementCell = h2
      this.sink.mergeCells(h1, h2)
    } else if (h1 !== undefined) {
      this.handleName[h1] = name
      this.handleByName.set(name, h1)
      this.sink.nameCell(h1, name)
    } else if (h2 !== undefined) {
      this.handleById.set(id, h2)
      this.handleId[h2] = id
    }
  }

  private readCell(r: number): void {
    const inp = this.inp
    const at = inp.recordOffset
    let h: number
    let label: string
    if (r === OR.CELL_REF) {
      const id = inp.u()
      h = this.handleForId(id)
      label = `reference number ${id}`
    } else {
      const name = inp.str()
      h = this.handleForName(name)
      label = showName(name)
    }
    if (this.defined[h]) inp.fail(`one definition per cell (cell ${this.handleName[h] !== null ? showName(this.handleName[h]!) : label} is defined twice)`)
    this.defined[h] = true
    this.resetModal()
    this.xyAbsolute = true
    this.sink.beginCell(h, at)
    for (;;) {
      const c = inp.peek()
      if (c < 0) break
      if (c >= OR.RECTANGLE && c <= OR.PATH && this.fast && ((this.wasm && this.wasmElements()) || this.fastElements())) continue
      if (c > OR.CBLOCK || c === OR.XNAME || c === OR.XNAME_REF || (c >= OR.START && c <= OR.CELL_NAME)) break
      this.next()
      switch (c) {
        case OR.PAD:
          break
        case OR.XYABSOLUTE:
          this.xyAbsolute = true
          break
        case OR.XYRELATIVE:
          this.xyAbsolute = false
          break
        case OR.PLACEMENT:
        case OR.PLACEMENT_X:
          this.readPlacement(c)
          break
        case OR.TEXT:
          this.readText()
          break
        case OR.RECTANGLE:
          this.readRectangle()
          break
        case OR.POLYGON:
          this.readPolygon()
          break
        case OR.PATH:
          this.readPath()
          break
        case OR.TRAPEZOID:
        case OR.TRAPEZOID_A:
        case OR.TRAPEZOID_B:
          this.readTrapezoid(c)
          break
        case OR.CTRAPEZOID:
          this.readCtrapezoid()
          break
        case OR.CIRCLE:
          this.readCircle()
          break
        case OR.PROPERTY:
        case OR.PROPERTY_REPEAT:
          // a property of the cell (not attached to an element): read, not kept
          this.readProperty(c)
          break
        case OR.XELEMENT:
          inp.u()
          inp.skipStr()
          this.elementProperties()
          break
        case OR.XGEOMETRY:
          this.readXGeometry()
          break
        case OR.CBLOCK:
          inp.enterCblock(this.maxInflated)
          break
      }
    }
    if (this.decoder) this.flushDecoder(true)
    this.sink.endCell()
  }

  /**
   * RECTANGLE, POLYGON and PATH records through the WebAssembly decoder (decoder.as.ts, decodeOasis): the same
   * rules as fastElements, record for record, and the shapes handed to the sink per call in one batch (the
   * element loop and the builder's per-element work were most of a first read in a fresh process, as they were
   * for GDSII before its decoder). The bytes from inp.pos are copied into the decoder's window, a chunk at a
   * time; the modal variables go in and come back. Returns whether it took any element; what it stops at is
   * read by fastElements or the general path.
   */
  private wasmElements(): boolean {
    const inp = this.inp
    // coordinates it cannot hold: the JavaScript paths go on
    if (i32Or(this.geomX, NaN) !== this.geomX || i32Or(this.geomY, NaN) !== this.geomY) return false
    let dec = this.decoder
    if (!dec) {
      dec = this.decoder = ElementDecoder.acquire(MAX_CHUNK)
      this.decoderState = dec.oasisState()
      this.polyVersion = this.pathVersion = -1
    }
    const st = this.decoderState!
    const pp = this.polygonPoints, qp = this.pathPoints
    let any = false
    for (;;) {
      const avail = inp.end - inp.pos
      if (avail < 48) break
      // the window holds buf[mirrorFrom, mirrorTo) of generation mirrorGen: copied once, read by several calls
      if (this.mirrorGen !== inp.generation || inp.pos < this.mirrorFrom || inp.pos >= this.mirrorTo) {
        const len = Math.min(avail, MAX_CHUNK)
        dec.window.set(inp.buf.subarray(inp.pos, inp.pos + len))
        this.mirrorGen = inp.generation
        this.mirrorFrom = inp.pos
        this.mirrorTo = inp.pos + len
      }
      const off = inp.pos - this.mirrorFrom, lim = this.mirrorTo - this.mirrorFrom
      const layer = this.layer <= 65535 ? this.layer : UNSET
      const datatype = this.datatype <= 65535 ? this.datatype : UNSET
      const w = i32Or(this.geomW, UNSET), h = i32Or(this.geomH, UNSET), hw = i32Or(this.halfWidth, UNSET)
      const sx = i32Or(this.startExt, NaN), ex = i32Or(this.endExt, NaN)
      st[M_LAYER] = layer
      st[M_DATATYPE] = datatype
      st[M_X] = this.geomX
      st[M_Y] = this.geomY
      st[M_W] = w
      st[M_H] = h
      st[M_HW] = hw
      st[M_SX] = Number.isNaN(sx) ? 0 : sx
      st[M_EX] = Number.isNaN(ex) ? 0 : ex
      st[M_SX_SET] = Number.isNaN(sx) ? 0 : 1
      st[M_EX_SET] = Number.isNaN(ex) ? 0 : 1
      st[M_ABS] = this.xyAbsolute ? 1 : 0
      // the decoder's modal point lists are the modal ones while nothing here has read another since
      st[M_POLY_N] = pp.version === this.polyVersion ? pp.n : -1
      st[M_PATH_N] = qp.version === this.pathVersion ? qp.n : -1
      // at the end of a CBLOCK's data the next record is the file's next byte: with it the decoder takes the
      // CBLOCK's last elements too (else the JavaScript paths would, and the cell's shapes would not come whole)
      const nextAfter = this.mirrorTo === inp.end ? inp.byteAfterBuffer() : -1
      const used = dec.decodeOasis(off, lim, this.maxPoints, nextAfter) - off
      const stop = st[M_STOP]!
      if (used > 0) {
        any = true
        oasisFastPath.wasmTook++
        inp.pos += used
        // the modal variables the decoder changed (a value it could not hold stays as it was here)
        if (st[M_LAYER] !== layer) this.layer = st[M_LAYER]!
        if (st[M_DATATYPE] !== datatype) this.datatype = st[M_DATATYPE]!
        this.geomX = st[M_X]!
        this.geomY = st[M_Y]!
        if (st[M_W] !== w) this.geomW = st[M_W]!
        if (st[M_H] !== h) this.geomH = st[M_H]!
        if (st[M_HW] !== hw) this.halfWidth = st[M_HW]!
        if (st[M_SX_SET] && (Number.isNaN(sx) || st[M_SX] !== sx)) this.startExt = st[M_SX]!
        if (st[M_EX_SET] && (Number.isNaN(ex) || st[M_EX] !== ex)) this.endExt = st[M_EX]!
        if (st[M_POLY_NEW]) {
          pp.setFrom(dec.points(st[M_POLY_AT]!, st[M_POLY_N]!), st[M_POLY_N]!)
          this.polyVersion = pp.version
        }
        if (st[M_PATH_NEW]) {
          qp.setFrom(dec.points(st[M_PATH_AT]!, st[M_PATH_N]!), st[M_PATH_N]!)
          this.pathVersion = qp.version
        }
      }
      if (stop === 2) {
        // the tape (or the decoder's layer table) is full: handed over, go on
        this.flushDecoder(false)
        continue
      }
      if (stop === 1 && this.mirrorTo < inp.end) {
        // it ran out of the bytes copied, and buf has more: copy again from here (unless that was done already)
        if (used === 0 && off === 0 && lim === Math.min(avail, MAX_CHUNK)) break
        this.mirrorGen = -1
        continue
      }
      break
    }
    return any
  }

  /**
   * RECTANGLE, POLYGON and PATH records as most files have them, one after the other straight from the buffer, in
   * one loop: every field there and of at most 4 bytes, no repetition, no property after the element (the next
   * record is neither PROPERTY nor PAD nor CBLOCK), the modal variables it needs set, coordinates within range.
   * It stops before the first record that is anything else (or that comes near the end of the buffer), and the
   * general path reads that one (and reports what is wrong with it). Returns whether it read any.
   *
   * Why one loop: a fresh process runs JavaScript unoptimised at first, and V8 optimises a function when it has
   * run enough bytecode of its own. Spread over a dozen small functions per element (the general path), the
   * loop that drives them got optimised only after ~10 cells of the hierarchical benchmark file (a third of its
   * read); this loop does the work itself and is optimised within the first cell. The general path stays the
   * reference: this one reads exactly what it reads, and leaves anything else to it.
   */
  private fastElements(): boolean {
    const inp = this.inp
    const b = inp.buf
    const end = inp.end
    const sink = this.sink
    const abs = this.xyAbsolute
    let p = inp.pos
    let layer = this.layer, datatype = this.datatype
    let w = this.geomW, h = this.geomH, x = this.geomX, y = this.geomY
    let hw = this.halfWidth, sx = this.startExt, ex = this.endExt
    let n = 0
    let v = 0, c = 0
    for (;;) {
      // room for every fixed field (at most 4 bytes each) and the next record's id
      if (end - p < 48) break
      const r = b[p]!
      if (r < OR.RECTANGLE || r > OR.PATH) break
      let q = p + 1
      const info = b[q++]!
      if (info & 0x01) {
        if ((v = b[q]!) < 0x80) q++
        else if ((v = vu(b, q)) >= 0 && v <= MAX_LAYER) q = vp
        else break
        layer = v
      }
      if (info & 0x02) {
        if ((v = b[q]!) < 0x80) q++
        else if ((v = vu(b, q)) >= 0 && v <= MAX_LAYER) q = vp
        else break
        datatype = v
      }
      if (layer < 0 || datatype < 0) break
      let kind = 0
      let pl: PointList | null = null
      if (r === OR.RECTANGLE) {
        if ((info & 0xa4) === 0xa0 || (info & 0x04) !== 0) break
        if (info & 0x40) {
          if ((v = b[q]!) < 0x80) q++
          else if ((c = b[q + 1]!) < 0x80) {
            v = (v & 0x7f) | (c << 7)
            q += 2
          } else if ((v = vu(b, q)) >= 0) q = vp
          else break
          w = v
        }
        if (info & 0x80) {
          h = w
        } else if (info & 0x20) {
          if ((v = b[q]!) < 0x80) q++
          else if ((c = b[q + 1]!) < 0x80) {
            v = (v & 0x7f) | (c << 7)
            q += 2
          } else if ((v = vu(b, q)) >= 0) q = vp
          else break
          h = v
        }
        if (w < 0 || h < 0) break
      } else if (r === OR.POLYGON) {
        if (info & 0xc4) break
        if (info & 0x20) {
          inp.pos = q
          if (!this.polygonPoints.readFast(inp, true, this.maxPoints)) break
          q = inp.pos
          if (end - q < 12) break
        }
        pl = this.polygonPoints
        if (pl.n < 0) break
        kind = 1
      } else {
        if (info & 0x04) break
        if (info & 0x40) {
          if ((v = b[q]!) < 0x80) q++
          else if ((v = vu(b, q)) >= 0) q = vp
          else break
          hw = v
        }
        if (info & 0x80) {
          const scheme = b[q++]!
          if (scheme > 15) break
          const s = scheme >>> 2, e = scheme & 3
          if (s === 3 || e === 3) break
          if ((s === 2 || e === 2) && hw < 0) break
          if (s !== 0) sx = s === 1 ? 0 : hw
          if (e !== 0) ex = e === 1 ? 0 : hw
        }
        if (info & 0x20) {
          inp.pos = q
          if (!this.pathPoints.readFast(inp, false, this.maxPoints)) break
          q = inp.pos
          if (end - q < 12) break
        }
        pl = this.pathPoints
        if (pl.n < 0 || hw < 0 || Number.isNaN(sx) || Number.isNaN(ex)) break
        kind = 2
      }
      if (info & 0x10) {
        if ((v = b[q]!) < 0x80) q++
        else if ((c = b[q + 1]!) < 0x80) {
          v = (v & 0x7f) | (c << 7)
          q += 2
        } else if ((v = vu(b, q)) >= 0) q = vp
        else break
        const d = v & 1 ? 0 - (v >>> 1) : v >>> 1
        const nx = abs ? d : x + d
        if (nx < INT32_MIN || nx > INT32_MAX) break
        x = nx
      }
      if (info & 0x08) {
        if ((v = b[q]!) < 0x80) q++
        else if ((c = b[q + 1]!) < 0x80) {
          v = (v & 0x7f) | (c << 7)
          q += 2
        } else if ((v = vu(b, q)) >= 0) q = vp
        else break
        const d = v & 1 ? 0 - (v >>> 1) : v >>> 1
        const ny = abs ? d : y + d
        if (ny < INT32_MIN || ny > INT32_MAX) break
        y = ny
      }
      // a property (or a PAD or CBLOCK before one) may follow: the general path reads the element then
      if (q >= end) break
      const next = b[q]!
      if (next === OR.PROPERTY || next === OR.PROPERTY_REPEAT || next === OR.PAD || next === OR.CBLOCK) break
      if (kind === 0) {
        if (x + w > INT32_MAX || y + h > INT32_MAX) break
        sink.box(layer, datatype, x, y, x + w, y + h, null)
      } else if (kind === 1) {
        // as KLayout: a polygon of fewer than 3 points is left out
        if (pl!.n >= 3) {
          pl!.bounds()
          if (bl + x < INT32_MIN || br + x > INT32_MAX || bb + y < INT32_MIN || bt + y > INT32_MAX) break
          sink.polygon(layer, datatype, pl!.xy, pl!.n, x, y, null)
        }
      } else if (pl!.n >= 2) {
        pl!.bounds()
        if (bl + x < INT32_MIN || br + x > INT32_MAX || bb + y < INT32_MIN || bt + y > INT32_MAX) break
        sink.path(layer, datatype, pl!.xy, pl!.n, x, y, hw, sx, ex, null)
      }
      // the element is read: its modal variables are the parser's now
      this.layer = layer
      this.datatype = datatype
      this.geomX = x
      this.geomY = y
      if (kind === 0) {
        this.geomW = w
        this.geomH = h
      } else if (kind === 2) {
        this.halfWidth = hw
        this.startExt = sx
        this.endExt = ex
      }
      p = q
      n++
    }
    inp.pos = p
    return n > 0
  }

  // ---------------------------------------------------------------- properties

  private readProperty(r: number): OasisProperty {
    const inp = this.inp
    if (r === OR.PROPERTY_REPEAT) {
      if (!this.lastNameSet || this.lastValues === null) inp.fail('a previous PROPERTY record to repeat (the modal property is not set)')
      return { name: this.lastName, nameId: this.lastNameId, standard: this.lastStandard, values: this.lastValues! }
    }
    const info = inp.byte()
    if (info & 0x04) {
      if (info & 0x02) {
        const id = inp.u()
        this.lastName = this.propNames.get(id) ?? null
        this.lastNameId = id
      } else {
        this.lastName = inp.str()
        this.lastNameId = UNSET
      }
      this.lastNameSet = true
    } else if (!this.lastNameSet) {
      inp.fail('a property name (the modal property name is not set)')
    }
    this.lastStandard = (info & 0x01) !== 0
    if (info & 0x08) {
      if (this.lastValues === null) inp.fail('a previous value list to reuse (the modal value list is not set)')
    } else {
      let n = info >>> 4
      if (n === 15) n = inp.u()
      const values: OasisValue[] = []
      for (let i = 0; i < n; i++) values.push(this.readValue())
      this.lastValues = values
    }
    const p: OasisProperty = { name: this.lastName, nameId: this.lastNameId, standard: this.lastStandard, values: this.lastValues! }
    if (p.name === S_GDS_PROPERTY) this.checkGdsProperty(p)
    return p
  }

  /** S_GDS_PROPERTY carries a GDSII property: exactly two values, an attribute number and a string. */
  private checkGdsProperty(p: OasisProperty): void {
    const v = p.values
    if (v.length !== 2 || typeof v[0] === 'string' || v[0] instanceof OasisStringRef) {
      this.inp.fail(`an S_GDS_PROPERTY value list of an attribute number and a string (found ${v.length} value(s))`)
    }
  }

  private readValue(): OasisValue {
    const inp = this.inp
    const t = inp.u()
    if (t <= 7) return inp.realOfType(t)
    switch (t) {
      case 8: return inp.uBig()
      case 9: return inp.sBig()
      case 10:
      case 11:
      case 12: return inp.str()
      case 13:
      case 14:
      case 15: {
        const id = inp.u()
        return this.propStrings.get(id) ?? new OasisStringRef(id)
      }
      default:
        return inp.fail(`a property value type of 0 to 15 (found ${t})`)
    }
  }

  /** PROPERTY records after an element (PAD and CBLOCK may come between): the element's properties. */
  private elementProperties(): OasisProperty[] | null {
    const inp = this.inp
    let props: OasisProperty[] | null = null
    for (;;) {
      const c = inp.peek()
      if (c === OR.PROPERTY || c === OR.PROPERTY_REPEAT) {
        this.next()
        ;(props ??= []).push(this.readProperty(c))
      } else if (c === OR.PAD) {
        inp.pos++
      } else if (c === OR.CBLOCK) {
        this.next()
        inp.enterCblock(this.maxInflated)
      } else {
        return props
      }
    }
  }

  // ---------------------------------------------------------------- elements

  private layerNumber(what: string): number {
    const v = this.inp.u()
    if (v > MAX_LAYER) this.inp.fail(`a ${what} number of at most ${MAX_LAYER} (found ${v})`)
    return v
  }

  private needLayer(): void {
    if (this.layer === UNSET) this.inp.fail('a layer number (the modal layer is not set)')
    if (this.datatype === UNSET) this.inp.fail('a datatype number (the modal datatype is not set)')
  }

  /** A coordinate field: absolute, or relative to the modal value in XYRELATIVE mode. */
  private place(v: number, cur: number): number {
    if (this.xyAbsolute) return v
    const s = cur + v
    if (s < INT32_MIN || s > INT32_MAX) this.inp.fail(`a coordinate within 32 bits (found ${s})`)
    return s
  }

  private readGeomXY(info: number): void {
    if (info & 0x10) this.geomX = this.place(this.inp.coord(), this.geomX)
    if (info & 0x08) this.geomY = this.place(this.inp.coord(), this.geomY)
  }

  /** Reads the repetition when the element has one; true when it has more than one member. */
  private repetition(has: number): boolean {
    if (!has) return false
    this.rep.read(this.inp, this.maxMembers)
    return this.rep.size > 1
  }

  private checkRange(v: number): void {
    if (v < INT32_MIN || v > INT32_MAX) this.inp.fail(`element coordinates within 32 bits (found ${v})`)
  }

  private readPlacement(r: number): void {
    const inp = this.inp
    const info = inp.byte()
    if (info & 0x80) {
      this.placementCell = info & 0x40 ? this.handleForId(inp.u()) : this.handleForName(inp.str())
    } else if (this.placementCell === UNSET) {
      inp.fail('a cell reference (the modal placement-cell is not set)')
    }
    const cell = this.placementCell
    let mag = 1
    let rotation = 0
    if (r === OR.PLACEMENT_X) {
      if (info & 0x04) {
        mag = inp.real()
        if (!(mag > 0) || !Number.isFinite(mag)) inp.fail(`a positive magnification (found ${mag})`)
        // as KLayout: a magnification within 1e-6 of 1 is 1
        if (Math.abs(mag - 1) <= 1e-6) mag = 1
      }
      if (info & 0x02) {
        const deg = inp.real()
        if (!Number.isFinite(deg)) inp.fail(`a finite angle (found ${deg})`)
        // a multiple of 90 degrees (within 1e-6 quarter turns) is normalised to 0, 90, 180 or 270, as KLayout does
        const a = deg / 90
        const q = a < 0 ? Math.ceil(a - 0.5) : Math.floor(a + 0.5)
        rotation = Math.abs(q - a) > 1e-6 ? deg : (((q % 4) + 4) % 4) * 90
      }
    } else {
      rotation = ((info >>> 1) & 3) * 90
    }
    const mirror = (info & 0x01) !== 0
    if (info & 0x20) this.placementX = this.place(inp.coord(), this.placementX)
    if (info & 0x10) this.placementY = this.place(inp.coord(), this.placementY)
    const x = this.placementX, y = this.placementY
    const repeated = this.repetition(info & 0x08)
    const props = this.elementProperties()
    const rep = this.rep
    if (!repeated) {
      this.sink.placement(cell, x, y, rotation, mirror, mag, 1, 1, 0, 0, 0, 0, props)
    } else if (rep.regular) {
      this.checkRange(x + (rep.na - 1) * rep.ax + (rep.nb - 1) * rep.bx)
      this.checkRange(y + (rep.na - 1) * rep.ay + (rep.nb - 1) * rep.by)
      this.sink.placement(cell, x, y, rotation, mirror, mag, rep.na, rep.nb, rep.ax, rep.ay, rep.bx, rep.by, props)
    } else {
      const n = rep.members()
      const d = rep.pts
      for (let k = 0; k < n; k++) {
        const mx = x + d[2 * k]!, my = y + d[2 * k + 1]!
        this.checkRange(mx)
        this.checkRange(my)
        this.sink.placement(cell, mx, my, rotation, mirror, mag, 1, 1, 0, 0, 0, 0, props)
      }
    }
  }

  private readText(): void {
    const inp = this.inp
    const info = inp.byte()
    if (info & 0x40) {
      if (info & 0x20) {
        const id = inp.u()
        this.modalText = this.textStrings.get(id) ?? null
        this.textStringId = id
      } else {
        this.modalText = inp.str()
        this.textStringId = UNSET
      }
      this.textSet = true
    } else if (!this.textSet) {
      inp.fail('a text string (the modal text-string is not set)')
    }
    if (info & 0x01) this.textlayer = this.layerNumber('text layer')
    if (info & 0x02) this.texttype = this.layerNumber('text type')
    if (this.textlayer === UNSET) inp.fail('a text layer number (the modal textlayer is not set)')
    if (this.texttype === UNSET) inp.fail('a text type number (the modal texttype is not set)')
    if (info & 0x10) this.textX = this.place(inp.coord(), this.textX)
    if (info & 0x08) this.textY = this.place(inp.coord(), this.textY)
    const repeated = this.repetition(info & 0x04)
    const props = this.elementProperties()
    const x = this.textX, y = this.textY, s = this.modalText, id = this.textStringId
    if (!repeated) {
      this.sink.text(this.textlayer, this.texttype, x, y, s, id, props)
      return
    }
    const n = this.rep.members()
    const d = this.rep.pts
    for (let k = 0; k < n; k++) {
      const mx = x + d[2 * k]!, my = y + d[2 * k + 1]!
      this.checkRange(mx)
      this.checkRange(my)
      this.sink.text(this.textlayer, this.texttype, mx, my, s, id, props)
    }
  }

  private readRectangle(): void {
    if (!this.fastRectangle()) this.readRectangleFields()
    const info = this.info
    const repeated = this.repetition(info & 0x04)
    const props = this.elementProperties()
    const l = this.geomX, b = this.geomY, w = this.geomW, h = this.geomH
    const L = this.layer, D = this.datatype
    if (!repeated) {
      this.checkRange(l + w)
      this.checkRange(b + h)
      this.sink.box(L, D, l, b, l + w, b + h, props)
      return
    }
    const n = this.rep.members()
    const d = this.rep.pts
    for (let k = 0; k < n; k++) {
      const x = l + d[2 * k]!, y = b + d[2 * k + 1]!
      this.checkRange(x)
      this.checkRange(y)
      this.checkRange(x + w)
      this.checkRange(y + h)
      this.sink.box(L, D, x, y, x + w, y + h, props)
    }
  }

  /** The info byte of the element being read (set by the field readers). */
  private info = 0

  /** RECTANGLE's fields up to the repetition, in the modal variables (the general path). */
  private readRectangleFields(): void {
    const inp = this.inp
    const info = (this.info = inp.byte())
    if (info & 0x01) this.layer = this.layerNumber('layer')
    if (info & 0x02) this.datatype = this.layerNumber('datatype')
    if (info & 0x40) this.geomW = inp.ucoord()
    if (info & 0x80) {
      if (info & 0x20) inp.fail('no height in a square RECTANGLE (S and H both set)')
      this.geomH = this.geomW
    } else if (info & 0x20) {
      this.geomH = inp.ucoord()
    }
    this.readGeomXY(info)
    this.needLayer()
    if (this.geomW === UNSET) inp.fail('a width (the modal geometry-w is not set)')
    if (this.geomH === UNSET) inp.fail('a height (the modal geometry-h is not set)')
  }

  /**
   * RECTANGLE's fields straight from the buffer, as most rectangles are: every field there, of at most 4 bytes,
   * the modal variables it needs set. Returns false (nothing read) for anything else: the general path then
   * reads the record (and reports what is wrong with it).
   */
  private fastRectangle(): boolean {
    const inp = this.inp
    let p = inp.pos
    if (inp.end - p < 32) return false
    const b = inp.buf
    const info = b[p++]!
    if ((info & 0xa0) === 0xa0) return false
    let layer = this.layer, datatype = this.datatype, w = this.geomW, h = this.geomH, x = this.geomX, y = this.geomY
    let v: number
    if (info & 0x01) {
      if ((v = vu(b, p)) < 0 || v > MAX_LAYER) return false
      layer = v
      p = vp
    }
    if (info & 0x02) {
      if ((v = vu(b, p)) < 0 || v > MAX_LAYER) return false
      datatype = v
      p = vp
    }
    if (info & 0x40) {
      if ((v = vu(b, p)) < 0) return false
      w = v
      p = vp
    }
    if (info & 0x80) {
      h = w
    } else if (info & 0x20) {
      if ((v = vu(b, p)) < 0) return false
      h = v
      p = vp
    }
    if (info & 0x10) {
      if ((v = vu(b, p)) < 0) return false
      const d = v & 1 ? 0 - (v >>> 1) : v >>> 1
      x = this.xyAbsolute ? d : x + d
      p = vp
    }
    if (info & 0x08) {
      if ((v = vu(b, p)) < 0) return false
      const d = v & 1 ? 0 - (v >>> 1) : v >>> 1
      y = this.xyAbsolute ? d : y + d
      p = vp
    }
    if (layer < 0 || datatype < 0 || w < 0 || h < 0 || x < INT32_MIN || x > INT32_MAX || y < INT32_MIN || y > INT32_MAX) return false
    this.info = info
    this.layer = layer
    this.datatype = datatype
    this.geomW = w
    this.geomH = h
    this.geomX = x
    this.geomY = y
    inp.pos = p
    return true
  }

  private readPolygon(): void {
    const inp = this.inp
    const info = inp.byte()
    if (info & 0x01) this.layer = this.layerNumber('layer')
    if (info & 0x02) this.datatype = this.layerNumber('datatype')
    if (info & 0x20) this.polygonPoints.read(inp, true, this.maxPoints)
    this.readGeomXY(info)
    this.needLayer()
    if (this.polygonPoints.n < 0) inp.fail('a point list (the modal polygon-point-list is not set)')
    const repeated = this.repetition(info & 0x04)
    const props = this.elementProperties()
    const pl = this.polygonPoints
    // as KLayout: a polygon of fewer than 3 points (the implicit first one included) is left out
    if (pl.n < 3) return
    this.emitPolygon(pl.xy, pl.n, repeated, props, pl)
  }

  private emitPolygon(xy: Int32Array, n: number, repeated: boolean, props: OasisProperty[] | null, pl: PointList | null = null): void {
    const x = this.geomX, y = this.geomY
    // the points' box, once (of a modal point list: once for all the elements that use it)
    if (pl) pl.bounds()
    else boundsOf(xy, n)
    this.checkBox(x, y)
    if (!repeated) {
      this.sink.polygon(this.layer, this.datatype, xy, n, x, y, props)
      return
    }
    const m = this.rep.members()
    const d = this.rep.pts
    for (let k = 0; k < m; k++) {
      const dx = x + d[2 * k]!, dy = y + d[2 * k + 1]!
      this.checkBox(dx, dy)
      this.sink.polygon(this.layer, this.datatype, xy, n, dx, dy, props)
    }
  }

  /** The points' box (in bl, bb, br, bt, see boundsOf) displaced by (dx, dy) stays within 32 bits. */
  private checkBox(dx: number, dy: number): void {
    if (bl + dx < INT32_MIN || br + dx > INT32_MAX || bb + dy < INT32_MIN || bt + dy > INT32_MAX) {
      this.inp.fail(`element coordinates within 32 bits (found ${Math.max(Math.abs(bl + dx), Math.abs(br + dx), Math.abs(bb + dy), Math.abs(bt + dy))})`)
    }
  }

  private readPath(): void {
    const inp = this.inp
    const info = inp.byte()
    if (info & 0x01) this.layer = this.layerNumber('layer')
    if (info & 0x02) this.datatype = this.layerNumber('datatype')
    if (info & 0x40) this.halfWidth = inp.ucoord()
    if (info & 0x80) {
      const scheme = inp.u()
      if (scheme > 15) inp.fail(`an extension scheme of 0 to 15 (found ${scheme})`)
      this.startExt = this.extension((scheme >>> 2) & 3, this.startExt)
      this.endExt = this.extension(scheme & 3, this.endExt)
    }
    if (info & 0x20) this.pathPoints.read(inp, false, this.maxPoints)
    this.readGeomXY(info)
    this.needLayer()
    if (this.halfWidth === UNSET) inp.fail('a half-width (the modal path-halfwidth is not set)')
    if (Number.isNaN(this.startExt)) inp.fail('a start extension (the modal path-start-extension is not set)')
    if (Number.isNaN(this.endExt)) inp.fail('an end extension (the modal path-end-extension is not set)')
    if (this.pathPoints.n < 0) inp.fail('a point list (the modal path-point-list is not set)')
    const repeated = this.repetition(info & 0x04)
    const props = this.elementProperties()
    const pl = this.pathPoints
    // as KLayout: a path of fewer than 2 points is left out
    if (pl.n < 2) return
    const x = this.geomX, y = this.geomY
    pl.bounds()
    this.checkBox(x, y)
    if (!repeated) {
      this.sink.path(this.layer, this.datatype, pl.xy, pl.n, x, y, this.halfWidth, this.startExt, this.endExt, props)
      return
    }
    const m = this.rep.members()
    const d = this.rep.pts
    for (let k = 0; k < m; k++) {
      const dx = x + d[2 * k]!, dy = y + d[2 * k + 1]!
      this.checkBox(dx, dy)
      this.sink.path(this.layer, this.datatype, pl.xy, pl.n, dx, dy, this.halfWidth, this.startExt, this.endExt, props)
    }
  }

  /** One half of an extension scheme: 0 keep the modal value, 1 flush, 2 half the width, 3 explicit. */
  private extension(code: number, cur: number): number {
    switch (code) {
      case 1: return 0
      case 2:
        if (this.halfWidth === UNSET) this.inp.fail('a half-width for a half-width extension (the modal path-halfwidth is not set)')
        return this.halfWidth
      case 3: return this.inp.coord()
      default: return cur
    }
  }

  private readTrapezoid(r: number): void {
    const inp = this.inp
    const info = inp.byte()
    if (info & 0x01) this.layer = this.layerNumber('layer')
    if (info & 0x02) this.datatype = this.layerNumber('datatype')
    if (info & 0x40) this.geomW = inp.ucoord()
    if (info & 0x20) this.geomH = inp.ucoord()
    const da = r === OR.TRAPEZOID || r === OR.TRAPEZOID_A ? inp.coord() : 0
    const db = r === OR.TRAPEZOID || r === OR.TRAPEZOID_B ? inp.coord() : 0
    this.readGeomXY(info)
    this.needLayer()
    if (this.geomW === UNSET) inp.fail('a width (the modal geometry-w is not set)')
    if (this.geomH === UNSET) inp.fail('a height (the modal geometry-h is not set)')
    const w = this.geomW, h = this.geomH
    const p = this.trap
    if (info & 0x80) {
      // vertical: the left and right edges are vertical, delta-a / delta-b shift the bottom / top corners
      p[0] = 0; p[1] = Math.max(da, 0)
      p[2] = 0; p[3] = h + Math.min(db, 0)
      p[4] = w; p[5] = h - Math.max(db, 0)
      p[6] = w; p[7] = -Math.min(da, 0)
    } else {
      // horizontal: the top and bottom edges are horizontal, delta-a / delta-b shift the left / right corners
      p[0] = Math.max(da, 0); p[1] = h
      p[2] = w + Math.min(db, 0); p[3] = h
      p[4] = w - Math.max(db, 0); p[5] = 0
      p[6] = -Math.min(da, 0); p[7] = 0
    }
    const repeated = this.repetition(info & 0x04)
    const props = this.elementProperties()
    this.emitPolygon(p, 4, repeated, props)
  }

  private readCtrapezoid(): void {
    const inp = this.inp
    const info = inp.byte()
    if (info & 0x01) this.layer = this.layerNumber('layer')
    if (info & 0x02) this.datatype = this.layerNumber('datatype')
    if (info & 0x80) this.ctrapType = inp.u()
    if (info & 0x40) this.geomW = inp.ucoord()
    if (info & 0x20) this.geomH = inp.ucoord()
    this.readGeomXY(info)
    this.needLayer()
    if (this.ctrapType === UNSET) inp.fail('a CTRAPEZOID type (the modal ctrapezoid-type is not set)')
    const c = CTRAP[this.ctrapType]
    if (!c) inp.fail(`a CTRAPEZOID type of 0 to 25 (found ${this.ctrapType})`)
    let usesW = false, usesH = false
    for (let i = 0; i < 16; i += 2) {
      if (c[i] !== 0) usesW = true
      if (c[i + 1] !== 0) usesH = true
    }
    if (usesW && this.geomW === UNSET) inp.fail('a width (the modal geometry-w is not set)')
    if (usesH && this.geomH === UNSET) inp.fail('a height (the modal geometry-h is not set)')
    const w = this.geomW, h = this.geomH
    const p = this.trap
    let mw = 0, mh = 0
    for (let i = 0; i < 4; i++) {
      const px = c[4 * i]! * w + c[4 * i + 1]! * h
      const py = c[4 * i + 2]! * w + c[4 * i + 3]! * h
      if (px > INT32_MAX || py > INT32_MAX) inp.fail(`CTRAPEZOID corners within 32 bits (found ${px}, ${py})`)
      p[2 * i] = px
      p[2 * i + 1] = py
      if (px > mw) mw = px
      if (py > mh) mh = py
    }
    // as KLayout: the modal width and height become the shape's box
    this.geomW = mw
    this.geomH = mh
    const n = p[6] === p[0] && p[7] === p[1] ? 3 : 4
    const repeated = this.repetition(info & 0x04)
    const props = this.elementProperties()
    this.emitPolygon(p, n, repeated, props)
  }

  private readCircle(): void {
    const inp = this.inp
    const info = inp.byte()
    if (info & 0x01) this.layer = this.layerNumber('layer')
    if (info & 0x02) this.datatype = this.layerNumber('datatype')
    if (info & 0x20) this.radius = inp.ucoord()
    this.readGeomXY(info)
    this.needLayer()
    if (this.radius === UNSET) inp.fail('a radius (the modal circle-radius is not set)')
    const repeated = this.repetition(info & 0x04)
    const props = this.elementProperties()
    const r = this.radius
    // as KLayout: a circle of radius 0 is left out
    if (r <= 0) return
    const x = this.geomX, y = this.geomY
    if (!repeated) {
      this.checkRange(x - r)
      this.checkRange(x + r)
      this.checkRange(y - r)
      this.checkRange(y + r)
      this.sink.circle(this.layer, this.datatype, x, y, r, props)
      return
    }
    const m = this.rep.members()
    const d = this.rep.pts
    for (let k = 0; k < m; k++) {
      const cx = x + d[2 * k]!, cy = y + d[2 * k + 1]!
      this.checkRange(cx - r)
      this.checkRange(cx + r)
      this.checkRange(cy - r)
      this.checkRange(cy + r)
      this.sink.circle(this.layer, this.datatype, cx, cy, r, props)
    }
  }

  /** XGEOMETRY: skipped with its data; its layer, datatype, position and repetition still set the modal variables. */
  private readXGeometry(): void {
    const inp = this.inp
    const info = inp.byte()
    inp.u()
    if (info & 0x01) this.layer = this.layerNumber('layer')
    if (info & 0x02) this.datatype = this.layerNumber('datatype')
    inp.skipStr()
    this.readGeomXY(info)
    this.repetition(info & 0x04)
    this.elementProperties()
  }
}

/**
 * The parser's sink while the WebAssembly decoder runs: elements of the JavaScript paths first hand over what the
 * decoder holds (shapes stay in file order per layer); and it notes whether the current cell got shapes other than
 * in one final batch.
 */
class FlushingSink implements OasisSink {
  /** True once the current cell got a shape from the JavaScript paths or a batch before its end. */
  shapesInCell = false

  constructor(readonly target: OasisSink, private readonly flush: () => void) {}

  private before(): void {
    this.flush()
    this.shapesInCell = true
  }

  start(info: Parameters<OasisSink['start']>[0]): void {
    this.target.start(info)
  }
  cell(handle: number, name: string | null, offset: number): void {
    this.target.cell(handle, name, offset)
  }
  nameCell(handle: number, name: string): void {
    this.target.nameCell(handle, name)
  }
  mergeCells(from: number, into: number): void {
    this.target.mergeCells(from, into)
  }
  beginCell(handle: number, offset: number): void {
    this.shapesInCell = false
    this.target.beginCell(handle, offset)
  }
  endCell(): void {
    this.target.endCell()
  }
  shapes(batch: Parameters<NonNullable<OasisSink['shapes']>>[0]): void {
    this.target.shapes!(batch)
  }
  box(...a: Parameters<OasisSink['box']>): void {
    this.before()
    this.target.box(...a)
  }
  polygon(...a: Parameters<OasisSink['polygon']>): void {
    this.before()
    this.target.polygon(...a)
  }
  path(...a: Parameters<OasisSink['path']>): void {
    this.before()
    this.target.path(...a)
  }
  circle(...a: Parameters<OasisSink['circle']>): void {
    this.before()
    this.target.circle(...a)
  }
  text(...a: Parameters<OasisSink['text']>): void {
    this.target.text(...a)
  }
  placement(...a: Parameters<OasisSink['placement']>): void {
    this.target.placement(...a)
  }
  endFile(names: OasisNames): void {
    this.target.endFile(names)
  }
}
