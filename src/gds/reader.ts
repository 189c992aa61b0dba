import { gunzipSync } from 'node:zlib'
import { ElementDecoder } from './decoder.js'
import { GdsError } from './errors.js'
import { isGzip, withLayoutFile } from './file.js'
import { DEFAULT_MAX_ARRAY_MEMBERS, DEFAULT_MAX_VERTICES, arrayLimitText, verticesLimitText } from './limits.js'
import { decodeReal8 } from './real8.js'
import { DT, R, RECORD_DATA_TYPE, dataTypeName, recordName } from './records.js'
import type { GdsElementExtras, GdsLibraryInfo, GdsProperty, GdsSink, GdsStrans } from './sink.js'

export interface GdsReadOptions {
  /** Name used in error messages (defaults to the path, or `<buffer>`). */
  file?: string
  /**
   * Most vertices one BOUNDARY/PATH may have. GDSII allows 8191 points per XY record (8190 distinct + closing);
   * several XY records in one element (a KLayout extension) are concatenated up to this limit.
   */
  maxVertices?: number
  /** Most members (columns x rows) one AREF may have; a larger array is refused rather than flattened. */
  maxArrayMembers?: number
  /** Most bytes a gzip stream may inflate to. */
  maxInflatedBytes?: number
  /** Bytes a file is read through at a time (default 1 MiB, at least 65536: a record's longest length). */
  windowBytes?: number
}

export { DEFAULT_MAX_VERTICES, DEFAULT_MAX_ARRAY_MEMBERS }
const DEFAULT_MAX_INFLATED = 2 ** 31 - 1

const EL_NONE = 0
/** One bit per element type, so record placement checks need no allocation in the hot loop. */
const EL_BIT: number[] = []
EL_BIT[R.BOUNDARY] = 1
EL_BIT[R.PATH] = 2
EL_BIT[R.SREF] = 4
EL_BIT[R.AREF] = 8
EL_BIT[R.TEXT] = 16
EL_BIT[R.NODE] = 32
EL_BIT[R.BOX] = 64
const IN_SHAPES = 1 | 2 | 16 | 32 | 64 // BOUNDARY, PATH, TEXT, NODE, BOX
const IN_PATH_TEXT = 2 | 16
const IN_PATH = 2
const IN_REFS = 4 | 8
const IN_REFS_TEXT = 4 | 8 | 16
const IN_TEXT = 16
const IN_AREF = 8

/** True when the bytes start with the gzip magic number (detected from content, never from the name). */
export { isGzip }

/** Inflates gzip data (if it is gzip) and returns plain GDSII bytes. */
export function gdsBytes(bytes: Uint8Array, opts: GdsReadOptions = {}): Uint8Array {
  if (!isGzip(bytes)) return bytes
  try {
    return gunzipSync(bytes, { maxOutputLength: opts.maxInflatedBytes ?? DEFAULT_MAX_INFLATED })
  } catch (e) {
    throw new GdsError({
      file: opts.file ?? '<buffer>',
      offset: 0,
      record: 'gzip',
      expected: `a valid gzip stream (${(e as Error).message})`,
    })
  }
}

/**
 * The most bytes a plain BOUNDARY or PATH element can take: its header, LAYER, DATATYPE, PATHTYPE, WIDTH, BGNEXTN,
 * ENDEXTN, the longest XY record (8191 points) and ENDEL.
 */
const LONGEST_PLAIN_ELEMENT = 4 + 6 + 6 + 6 + 8 + 8 + 8 + (4 + 8 * 8191) + 4

/** Bytes the file reader keeps in memory at once (a record is at most 65535 bytes). */
const WINDOW_BYTES = 1 << 20

/**
 * Reads a GDSII file (plain or gzip) and reports its content to `sink`. A plain file is read through a
 * window of WINDOW_BYTES, never whole: no buffer the size of the file (allocating and faulting in one costs
 * about as much as parsing it), and memory stays flat however big the file is. Gzip is inflated whole.
 */
export function readGdsFile(path: string, sink: GdsSink, opts: GdsReadOptions = {}): void {
  const file = opts.file ?? path
  withLayoutFile(path, file, (_fd, read) => {
    let at = 0
    parseGds((buf, from) => {
      const r = read(buf, from, at)
      at += r
      return r
    }, sink, opts, file)
  }, (whole) => parseGds(bufferSource(gdsBytes(whole, { ...opts, file })), sink, opts, file))
}

/**
 * Parses GDSII bytes (gzip is inflated first) and reports every element to `sink`.
 * Every malformation is a GdsError naming the file, the byte offset, the record and what was expected.
 */
export function readGds(input: Uint8Array, sink: GdsSink, opts: GdsReadOptions = {}): void {
  const file = opts.file ?? '<buffer>'
  parseGds(bufferSource(gdsBytes(input, opts)), sink, opts, file)
}

/** Reads more of the input into buf from `from` on; returns the number of bytes read, 0 at the end. */
type Refill = (buf: Uint8Array, from: number) => number

/** Bytes in memory, handed to the parser's window piece by piece like a file's. */
function bufferSource(bytes: Uint8Array): Refill {
  let at = 0
  return (buf, from) => {
    const n = Math.min(buf.length - from, bytes.length - at)
    buf.set(bytes.subarray(at, at + n), from)
    at += n
    return n
  }
}

/**
 * The parser. The input is read through a window (the element decoder's memory) that `refill` fills as the
 * parser moves on: positions are window-relative, `base` is the input offset of the window's first byte, and
 * every offset reported is base + position.
 */
function parseGds(source: Refill, sink: GdsSink, opts: GdsReadOptions, file: string): void {
  const dec = ElementDecoder.acquire(Math.max(1 << 16, opts.windowBytes ?? WINDOW_BYTES))
  try {
    parseWindowed(dec, source, sink, opts, file)
  } finally {
    dec.release()
  }
}

function parseWindowed(dec: ElementDecoder, source: Refill, sink: GdsSink, opts: GdsReadOptions, file: string): void {
  let refill: Refill | null = source
  const bytes = dec.window
  const maxVertices = opts.maxVertices ?? DEFAULT_MAX_VERTICES
  const maxArray = opts.maxArrayMembers ?? DEFAULT_MAX_ARRAY_MEMBERS
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  let end = 0
  let base = 0

  const fail = (offset: number, record: number | string | undefined, expected: string): never => {
    throw new GdsError({ file, offset: base + offset, record, expected })
  }

  const ascii = (pos: number, len: number): string => {
    let e = pos + len
    while (e > pos && bytes[e - 1] === 0) e-- // NUL padding
    let s = ''
    for (let i = pos; i < e; i++) s += String.fromCharCode(bytes[i]!)
    return s
  }

  // scratch buffer for XY data, grown on demand
  let xy = new Int32Array(1024)
  let nxy = 0 // number of ints in xy

  let pos = 0

  /**
   * Makes the n bytes from pos available if the file has them: moves the unread rest to the window's start
   * and reads more behind it. False when the file ends first (or the input is a whole buffer).
   */
  const more = (n: number): boolean => {
    if (!refill) return false
    if (pos > 0) {
      bytes.copyWithin(0, pos, end)
      end -= pos
      base += pos
      pos = 0
    }
    while (end < n) {
      const r = refill(bytes, end)
      if (r <= 0) {
        refill = null
        return false
      }
      end += r
    }
    return true
  }

  let state: 'start' | 'lib' | 'libhead' | 'struct' | 'done' = 'start'
  let lib: GdsLibraryInfo | null = null
  let sawUnits = false

  // element state
  let el = EL_NONE
  let elStart = 0
  let layer = -1
  let dtype = 0
  let width = 0
  let pathtype = 0
  let bgnExt = 0
  let endExt = 0
  let hasWidth = false
  let hasPathtype = false
  let strans: GdsStrans | null = null
  let sname: string | null = null
  let cols = 0
  let rows = 0
  let text: string | null = null
  let presentation = 0
  let extras: GdsElementExtras | null = null
  let xyRecords = 0
  let inStruct = false
  /** True once this structure's BOUNDARY, PATH or BOX elements have been reported (batch or callback). */
  let shapesReported = false
  let lastPropAttr: number | null = null

  const beginElement = (type: number, at: number): void => {
    if (!inStruct) fail(at, type, 'BGNSTR before an element')
    if (el !== EL_NONE) fail(at, type, `ENDEL to close the ${recordName(el)} that starts at byte ${elStart}`)
    el = type
    elStart = base + at
    layer = -1
    dtype = 0
    width = 0
    pathtype = 0
    bgnExt = 0
    endExt = 0
    hasWidth = false
    hasPathtype = false
    strans = null
    sname = null
    cols = 0
    rows = 0
    text = null
    presentation = 0
    extras = null
    nxy = 0
    xyRecords = 0
    lastPropAttr = null
  }

  const needInElement = (at: number, type: number, allowed: number): void => {
    if (el === EL_NONE) fail(at, type, 'an element (BOUNDARY, PATH, SREF, AREF, TEXT, NODE or BOX) before this record')
    if (!(EL_BIT[el]! & allowed)) fail(at, type, `no ${recordName(type)} inside a ${recordName(el)} element`)
  }

  const needPoints = (at: number, count: number | [number, number]): void => {
    const n = nxy >> 1
    if (xyRecords === 0) fail(at, R.ENDEL, `an XY record in the ${recordName(el)} that starts at byte ${elStart}`)
    if (typeof count === 'number') {
      if (n !== count) fail(at, R.XY, `${count} point(s) for ${recordName(el)} (found ${n})`)
    } else if (n < count[0] || n > count[1]) {
      fail(at, R.XY, `${count[0]} to ${count[1]} points for ${recordName(el)} (found ${n})`)
    }
  }

  const needLayer = (at: number): void => {
    if (layer < 0) fail(at, R.ENDEL, `a LAYER record in the ${recordName(el)} that starts at byte ${elStart}`)
  }

  const endElement = (at: number): void => {
    switch (el) {
      case R.BOUNDARY:
        needLayer(at)
        needPoints(at, [1, maxVertices])
        flushShapes()
        shapesReported = true
        sink.boundary(layer, dtype, xy, nxy >> 1, extras)
        break
      case R.PATH:
        needLayer(at)
        needPoints(at, [1, maxVertices])
        flushShapes()
        shapesReported = true
        sink.path(layer, dtype, xy, nxy >> 1, width, pathtype, bgnExt, endExt, extras)
        break
      case R.BOX:
        needLayer(at)
        needPoints(at, [1, 5])
        flushShapes()
        shapesReported = true
        sink.box(layer, dtype, xy, nxy >> 1, extras)
        break
      case R.NODE:
        needLayer(at)
        needPoints(at, [1, 50])
        sink.node(layer, dtype, xy, nxy >> 1, extras)
        break
      case R.TEXT:
        needLayer(at)
        needPoints(at, 1)
        if (text === null) fail(at, R.ENDEL, `a STRING record in the TEXT that starts at byte ${elStart}`)
        sink.text(layer, dtype, xy[0]!, xy[1]!, text!, presentation, strans, hasWidth ? width : null,
          hasPathtype ? pathtype : null, extras)
        break
      case R.SREF:
        if (sname === null) fail(at, R.ENDEL, `an SNAME record in the SREF that starts at byte ${elStart}`)
        needPoints(at, 1)
        sink.sref(sname!, xy[0]!, xy[1]!, strans, extras, elStart)
        break
      case R.AREF:
        if (sname === null) fail(at, R.ENDEL, `an SNAME record in the AREF that starts at byte ${elStart}`)
        if (cols === 0) fail(at, R.ENDEL, `a COLROW record in the AREF that starts at byte ${elStart}`)
        needPoints(at, 3)
        sink.aref(sname!, cols, rows, xy, strans, extras, elStart)
        break
      default:
        fail(at, R.ENDEL, 'an element to end')
    }
    el = EL_NONE
  }

  /**
   * Hands the elements the decoder has collected to the sink (before anything that must come after them);
   * `last` at the end of a structure.
   */
  const flushShapes = (last = false): void => {
    if (!dec.pending()) return
    const complete = last && !shapesReported
    shapesReported = true
    sink.shapes(dec.flush(complete))
  }

  /**
   * The fast path: plain BOUNDARY and PATH elements from the element header at `at` on go to the decoder, which
   * stops at the first element that is not plain (anything unusual, including every error, takes the general
   * path). When the decoder stops because the next element runs past the window, the window moves on (so that
   * a structure's elements reach the sink in one batch, not split at window ends). Returns -1 when it took
   * elements (pos is then after the last one), else the header's position (the window may have moved) with pos
   * after the header, for the general path.
   */
  const fastElements = (at: number): number => {
    if (!inStruct || el !== EL_NONE) return at
    const hdr = pos - at
    let p = at
    let took = false
    for (;;) {
      const q = dec.decode(p, end, maxVertices)
      if (q !== p) {
        took = true
        p = q
      }
      if (dec.full()) {
        flushShapes()
        continue
      }
      const avail = end - p
      // (at the window's start, the window cannot move: the element is longer than the window)
      if (avail >= LONGEST_PLAIN_ELEMENT || refill === null || p === 0) break
      pos = p
      more(avail + 1)
      p = pos
      if (end - p <= avail) break
    }
    pos = took ? p : p + hdr
    return took ? -1 : p
  }

  while (pos < end || more(1)) {
    if (state === 'done') break
    if (pos + 4 > end && !more(4)) fail(pos, undefined, `a 4-byte record header, found ${end - pos} byte(s) at the end of the file (truncated)`)
    const len = view.getUint16(pos)
    const type = bytes[pos + 2]!
    const dt = bytes[pos + 3]!
    if (len < 4) {
      if (len === 0 && state === 'start' && pos === 0) fail(pos, undefined, 'a GDSII HEADER record (not a GDSII file?)')
      fail(pos, type, `a record length of at least 4 (found ${len})`)
    }
    if (len & 1) fail(pos, type, `an even record length (found ${len})`)
    if (pos + len > end && !more(len)) fail(pos, type, `${len} bytes of record, but the file ends after ${end - pos} (truncated)`)
    const expectDt = RECORD_DATA_TYPE[type]
    if (expectDt !== undefined && dt !== expectDt && !(expectDt === DT.NONE && len === 4)) {
      fail(pos, type, `data type ${dataTypeName(expectDt)}, found ${dataTypeName(dt)}`)
    }
    const body = pos + 4
    const blen = len - 4
    const at = pos
    pos += len

    if (state === 'start') {
      if (type !== R.HEADER) fail(at, type, 'a HEADER record at the start of a GDSII stream (not a GDSII file?)')
      if (blen < 2) fail(at, type, 'a 2-byte version number')
      lib = { version: view.getInt16(body), name: '', userUnitsPerDbu: 0, metersPerDbu: 0, modified: null, accessed: null }
      state = 'libhead'
      continue
    }

    if (state === 'libhead') {
      switch (type) {
        case R.BGNLIB: {
          const t: number[] = []
          for (let i = 0; i + 1 < blen; i += 2) t.push(view.getInt16(body + i))
          lib!.modified = t.slice(0, 6)
          lib!.accessed = t.slice(6, 12)
          continue
        }
        case R.LIBNAME: lib!.name = ascii(body, blen); continue
        case R.REFLIBS: (lib!.refLibs ??= []).push(ascii(body, blen)); continue
        case R.FONTS: (lib!.fonts ??= []).push(ascii(body, blen)); continue
        case R.ATTRTABLE: lib!.attrTable = ascii(body, blen); continue
        case R.GENERATIONS: if (blen >= 2) lib!.generations = view.getInt16(body); continue
        case R.FORMAT: if (blen >= 2) lib!.format = view.getInt16(body); continue
        case R.UNITS: {
          if (blen < 16) fail(at, type, `two 8-byte reals (found ${blen} bytes)`)
          lib!.userUnitsPerDbu = decodeReal8(view, body)
          lib!.metersPerDbu = decodeReal8(view, body + 8)
          if (!(lib!.metersPerDbu > 0) || !(lib!.userUnitsPerDbu > 0)) {
            fail(at, type, `positive database units (found ${lib!.userUnitsPerDbu} user units, ${lib!.metersPerDbu} m)`)
          }
          sawUnits = true
          continue
        }
        case R.BGNSTR:
        case R.ENDLIB:
          if (!sawUnits) fail(at, type, 'a UNITS record before the first structure')
          sink.library(lib!)
          state = 'lib'
          break // fall through to the library state below
        default:
          continue // MASK, ENDMASKS, LIBDIRSIZE, SRFNAME, LIBSECUR, unknown: skipped by their length
      }
    }

    switch (type) {
      case R.BGNSTR: {
        if (inStruct) fail(at, type, 'ENDSTR before the next BGNSTR')
        const t: number[] = []
        for (let i = 0; i + 1 < blen; i += 2) t.push(view.getInt16(body + i))
        // the STRNAME record must follow
        const atFile = base + at // the window may move while the STRNAME record is read
        if (pos + 4 > end && !more(4)) fail(pos, R.STRNAME, 'a STRNAME record after BGNSTR (truncated)')
        const nlen = view.getUint16(pos)
        if (bytes[pos + 2] !== R.STRNAME) fail(pos, bytes[pos + 2]!, 'a STRNAME record after BGNSTR')
        if (pos + nlen > end) more(nlen)
        if (nlen < 4 || nlen & 1 || pos + nlen > end) fail(pos, R.STRNAME, 'a complete STRNAME record (truncated or bad length)')
        const name = ascii(pos + 4, nlen - 4)
        if (name === '') fail(pos, R.STRNAME, 'a non-empty structure name')
        pos += nlen
        inStruct = true
        shapesReported = false
        sink.beginStructure(name, atFile, t)
        break
      }
      case R.ENDSTR:
        if (!inStruct) fail(at, type, 'BGNSTR before ENDSTR')
        if (el !== EL_NONE) fail(at, type, `ENDEL to close the ${recordName(el)} that starts at byte ${elStart}`)
        inStruct = false
        flushShapes(true)
        sink.endStructure()
        break
      case R.ENDLIB:
        if (inStruct) fail(at, type, 'ENDSTR before ENDLIB')
        sink.endLibrary()
        state = 'done'
        break
      case R.STRCLASS:
        break
      case R.BOUNDARY:
      case R.PATH: {
        // plain elements take the fast path; the first unusual one comes back here
        const first = fastElements(at)
        if (first >= 0) beginElement(type, first)
        break
      }
      case R.SREF:
      case R.AREF:
      case R.TEXT:
      case R.NODE:
      case R.BOX:
        beginElement(type, at)
        break
      case R.ENDEL:
        if (el === EL_NONE) fail(at, type, 'an element to end')
        endElement(at)
        break
      case R.LAYER:
        needInElement(at, type, IN_SHAPES)
        layer = view.getUint16(body)
        break
      case R.DATATYPE:
      case R.TEXTTYPE:
      case R.NODETYPE:
      case R.BOXTYPE:
        needInElement(at, type, IN_SHAPES)
        dtype = view.getUint16(body)
        break
      case R.WIDTH:
        needInElement(at, type, IN_PATH_TEXT)
        width = view.getInt32(body)
        hasWidth = true
        break
      case R.PATHTYPE:
        needInElement(at, type, IN_PATH_TEXT)
        pathtype = view.getInt16(body)
        hasPathtype = true
        if (el === R.PATH && pathtype !== 0 && pathtype !== 1 && pathtype !== 2 && pathtype !== 4) {
          fail(at, type, `a PATHTYPE of 0, 1, 2 or 4 (found ${pathtype})`)
        }
        break
      case R.BGNEXTN:
        needInElement(at, type, IN_PATH)
        bgnExt = view.getInt32(body)
        break
      case R.ENDEXTN:
        needInElement(at, type, IN_PATH)
        endExt = view.getInt32(body)
        break
      case R.XY: {
        if (el === EL_NONE) fail(at, type, 'an element before the XY record')
        const nInts = blen >> 2
        if (blen & 7) fail(at, type, `whole (x, y) pairs of 4-byte integers (found ${blen} bytes)`)
        if ((nxy + nInts) >> 1 > maxVertices) {
          fail(at, type, verticesLimitText(maxVertices, (nxy + nInts) >> 1))
        }
        if (nxy + nInts > xy.length) {
          const grown = new Int32Array(Math.max(xy.length * 2, nxy + nInts))
          grown.set(xy.subarray(0, nxy))
          xy = grown
        }
        for (let i = 0, p = body; i < nInts; i++, p += 4) xy[nxy + i] = view.getInt32(p)
        nxy += nInts
        xyRecords++
        break
      }
      case R.SNAME:
        needInElement(at, type, IN_REFS)
        sname = ascii(body, blen)
        if (sname === '') fail(at, type, 'a non-empty structure name')
        break
      case R.COLROW: {
        needInElement(at, type, IN_AREF)
        if (blen < 4) fail(at, type, 'two 2-byte integers (columns, rows)')
        // read unsigned: some writers go past 32767; the member limit below guards against absurd arrays
        cols = view.getUint16(body)
        rows = view.getUint16(body + 2)
        if (cols === 0 || rows === 0) fail(at, type, `positive column and row counts (found ${cols} x ${rows})`)
        if (cols * rows > maxArray) {
          fail(at, type, arrayLimitText(maxArray, cols, rows))
        }
        break
      }
      case R.STRANS: {
        needInElement(at, type, IN_REFS_TEXT)
        const bits = view.getUint16(body)
        strans = { reflect: (bits & 0x8000) !== 0, absMag: (bits & 0x0004) !== 0, absAngle: (bits & 0x0002) !== 0, mag: 1, angle: 0 }
        break
      }
      case R.MAG: {
        needInElement(at, type, IN_REFS_TEXT)
        if (blen < 8) fail(at, type, 'an 8-byte real')
        const m = decodeReal8(view, body)
        if (!(m > 0) || !Number.isFinite(m)) fail(at, type, `a positive magnification (found ${m})`)
        strans ??= { reflect: false, absMag: false, absAngle: false, mag: 1, angle: 0 }
        strans.mag = m
        break
      }
      case R.ANGLE: {
        needInElement(at, type, IN_REFS_TEXT)
        if (blen < 8) fail(at, type, 'an 8-byte real')
        const a = decodeReal8(view, body)
        if (!Number.isFinite(a)) fail(at, type, `a finite angle (found ${a})`)
        strans ??= { reflect: false, absMag: false, absAngle: false, mag: 1, angle: 0 }
        strans.angle = a
        break
      }
      case R.PRESENTATION:
        needInElement(at, type, IN_TEXT)
        presentation = view.getUint16(body)
        break
      case R.STRING:
        needInElement(at, type, IN_TEXT)
        text = ascii(body, blen)
        break
      case R.ELFLAGS:
        if (el === EL_NONE) fail(at, type, 'an element before ELFLAGS')
        ;(extras ??= {}).elflags = view.getUint16(body)
        break
      case R.PLEX:
        if (el === EL_NONE) fail(at, type, 'an element before PLEX')
        ;(extras ??= {}).plex = view.getInt32(body)
        break
      case R.PROPATTR:
        if (el === EL_NONE) fail(at, type, 'an element before PROPATTR')
        lastPropAttr = view.getInt16(body)
        break
      case R.PROPVALUE: {
        if (el === EL_NONE) fail(at, type, 'an element before PROPVALUE')
        if (lastPropAttr === null) fail(at, type, 'a PROPATTR record before PROPVALUE')
        const prop: GdsProperty = { attr: lastPropAttr!, value: ascii(body, blen) }
        ;((extras ??= {}).props ??= []).push(prop)
        lastPropAttr = null
        break
      }
      case R.HEADER:
      case R.BGNLIB:
      case R.LIBNAME:
      case R.UNITS:
        fail(at, type, 'this library header record only once, before the first structure')
        break
      default:
        // TEXTNODE, SPACING, UINTEGER, USTRING, STYPTABLE, STRTYPE, ELKEY, LINKTYPE, LINKKEYS, TAPENUM, ...
        // and record types this reader does not know: skipped safely by their length.
        break
    }
  }

  if (state !== 'done') {
    if (state === 'start') fail(0, undefined, 'a GDSII HEADER record (the input is empty)')
    fail(end, el !== EL_NONE ? el : inStruct ? R.ENDSTR : R.ENDLIB,
      `${el !== EL_NONE ? 'ENDEL' : inStruct ? 'ENDSTR' : 'ENDLIB'} before the end of the file (truncated)`)
  }
}
