import { gzipSync } from 'node:zlib'
import { GdsError } from '../gds/errors.js'
import { showCycle, showName } from '../gds/names.js'
import { parseOasis, parseOasisFile, type OasisReadOptions } from '../gds/oasis/reader.js'
import { S_GDS_PROPERTY } from '../gds/oasis/records.js'
import { OasisStringRef, type OasisFileInfo, type OasisNames, type OasisProperty, type OasisSink } from '../gds/oasis/sink.js'
import { OasisStreamWriter, type OasisOutValue, type OasisRegularRepetition } from '../gds/oasis/writer.js'
import { ShapeBatch, type GdsElementExtras, type GdsProperty, type GdsShapeBatch } from '../gds/sink.js'
import { writeFileAtomic } from './atomic.js'
import { ghostCellsMode, undefinedCellsExpected } from './ghosts.js'
import { IntBuf, IntSlab } from './intbuf.js'
import { layerKey, layerOf, datatypeOf, type LayerKey } from './layers.js'
import { Cell, CycleError, Layout, type ArraySpec, type Instance, type Text } from './layout.js'
import { pathHull } from './path.js'
import { compressRing, ringAsBox } from './polygon.js'
import { LayerShapes, ShapeKind, type ShapeExtra } from './shapes.js'

/*
 * OASIS <-> the layout model.
 *
 * Reading (readOasis) follows KLayout 0.28's reader where the model has a choice:
 * - RECTANGLE is a box; POLYGON, TRAPEZOID and CTRAPEZOID are polygons (also when rectangular: KLayout keeps
 *   them as polygons, so its shape counts are matched); repeated, collinear points are dropped as for GDSII.
 * - PATH: width = 2 x half-width; extensions 0/0 are PATHTYPE 0, half-width/half-width PATHTYPE 2, anything
 *   else PATHTYPE 4 with the two extensions, so flattening makes KLayout's polygons.
 * - CIRCLE of radius r: a one-point round path (PATHTYPE 1) of width 2r, as KLayout's reader stores it (a
 *   db::Path with round ends and extensions r). Flattened, it is KLayout's polygon of that path:
 *   Path::hull(pts, db::num_circle_points() / 2) with num_circle_points() = 32, i.e. 32 points around the
 *   centre, at odd multiples of pi/32 from the x axis, each at r / cos(pi/32) so that the polygon circumscribes
 *   the circle (laytest's path.ts: ROUND_END_POINTS = 16). Checked against KLayout's merged areas
 *   (test/oasis-features.test.ts).
 * - a PLACEMENT with a regular repetition (types 1, 2, 3, 8, 9) is one array instance (split into arrays of at
 *   most 32767 columns and rows, the model's and GDSII's limit); other repetitions, and every repetition of a
 *   shape or text, become single elements.
 * - S_GDS_PROPERTY properties become GDSII properties of their element; other properties (and those of cells
 *   and of the file: S_TOP_CELL, S_BOUNDING_BOX, ...) are read and not kept.
 * - dbu = 1 / unit in microns, computed as KLayout computes it ((1e-6 / unit) * 1e6: 0.0009999999999999998
 *   for unit 1000).
 */

export interface ReadOasisOptions extends OasisReadOptions {
  /** Undefined cells are an error (default: empty "ghost" cells, as KLayout reads them). */
  strict?: boolean
  /** A cell referenced but never defined: `'empty'` (the default unless `strict`) or `'error'`. */
  ghostCells?: 'error' | 'empty'
}

/** Most columns or rows of one array instance (GDSII's COLROW limit, and placeArray's). */
const MAX_ARRAY_DIM = 32767

type PropFix =
  | { kind: 'shape'; ex: GdsElementExtras; props: OasisProperty[]; list: ShapeExtra[] }
  | { kind: 'inst'; ex: GdsElementExtras; props: OasisProperty[]; inst: Instance }
  | { kind: 'text'; ex: GdsElementExtras; props: OasisProperty[]; text: Text }

class OasisLayoutBuilder implements OasisSink {
  layout: Layout | null = null
  private readonly cells: Cell[] = []
  private readonly names: Array<string | null> = []
  private readonly defined: boolean[] = []
  /** Where each cell was first mentioned, and by which cell (a handle; -1: by a CELL record). */
  private readonly firstRef: Array<{ offset: number; by: number }> = []
  private readonly mergedInto: number[] = []
  private cur: Cell | null = null
  private curHandle = -1
  /** Shapes of the cell being read, per layer, in reusable buffers (copied out compactly at the cell's end). */
  private readonly scratch = new Map<LayerKey, LayerShapes>()
  private readonly slab = new IntSlab()
  private lastKey = -1
  private lastShapes: LayerShapes | null = null
  /** Layers used by the cell being read. */
  private readonly touchedKeys: number[] = []
  private abs = new Int32Array(256)
  private readonly textFixes: Array<{ text: Text; id: number }> = []
  private readonly propFixes: PropFix[] = []

  constructor(private readonly file: string, private readonly opts: ReadOasisOptions) {}

  start(info: OasisFileInfo): void {
    // as KLayout: dbu = (1e-6 / unit) * 1e6 microns
    const meters = 1e-6 / info.unit
    const l = new Layout({ dbu: meters * 1e6 })
    l.setUnits(meters * 1e6, meters)
    this.layout = l
  }

  cell(handle: number, name: string | null, offset: number): void {
    this.cells[handle] = new Cell(this.layout!, name ?? `#${handle}`)
    this.names[handle] = name
    this.defined[handle] = false
    this.firstRef[handle] = { offset, by: this.cur ? this.curHandle : -1 }
  }

  nameCell(handle: number, name: string): void {
    this.names[handle] = name
  }

  mergeCells(from: number, into: number): void {
    const a = this.cells[from]!, b = this.cells[into]!
    this.mergedInto[from] = into
    this.defined[into] = this.defined[into]! || this.defined[from]!
    // (the parser refuses two definitions, so one of the two is empty)
    for (const [k, s] of a.layers) b.layers.set(k, s)
    a.layers.clear()
    b.texts.push(...a.texts)
    for (const inst of a.instances) b.addInstance(inst)
    ;(a as { instances: Instance[] }).instances = []
    // every placement of `a` now places `b`
    for (const c of this.cells) {
      if (c === undefined) continue
      for (const inst of c.instances) {
        if (inst.cell === a) {
          inst.cell = b
          bumpPlacements(b)
        }
      }
    }
    this.cells[from] = b
  }

  beginCell(handle: number): void {
    this.cur = this.cells[handle]!
    this.curHandle = handle
    this.defined[handle] = true
  }

  endCell(): void {
    const c = this.cur!
    if (c.instances.length) (c as { instances: Instance[] }).instances = c.instances.slice()
    // the layers this cell used (not every layer seen so far: a file can have 100k cells and 100 layers)
    const keys = this.touchedKeys
    for (let i = 0; i < keys.length; i++) {
      const key = keys[i]!
      const s = this.scratch.get(key)!
      if (s.shapeCount === 0) continue
      c.layers.set(key, s.takeCompact(this.slab))
      s.clear()
    }
    keys.length = 0
    this.lastKey = -1
    this.lastShapes = null
    this.layout!.touch()
    this.cur = null
    this.curHandle = -1
  }

  private layerShapes(layer: number, datatype: number): LayerShapes {
    const key = layer * 65536 + datatype
    if (key === this.lastKey) return this.lastShapes!
    let s = this.scratch.get(key)
    if (!s) this.scratch.set(key, (s = new LayerShapes()))
    // (a layer may be listed twice; the second visit finds it emptied)
    if (s.shapeCount === 0) this.touchedKeys.push(key)
    this.lastKey = key
    this.lastShapes = s
    return s
  }

  /** GDSII properties of an element (S_GDS_PROPERTY); undefined while a name or string is a forward reference. */
  private gdsProps(props: OasisProperty[], names: OasisNames | null): GdsProperty[] | undefined {
    const out: GdsProperty[] = []
    for (const p of props) {
      let name = p.name
      if (name === null) {
        if (!names) return undefined
        name = names.propName(p.nameId) ?? null
        if (name === null) {
          throw new GdsError({ file: this.file, record: 'PROPERTY', expected: `a PROPNAME for property name reference number ${p.nameId} (never defined)` })
        }
      }
      if (name !== S_GDS_PROPERTY) continue
      const [a, v] = p.values
      if (p.values.length !== 2 || typeof a === 'string' || a instanceof OasisStringRef || v === undefined) {
        throw new GdsError({ file: this.file, record: 'PROPERTY', expected: `an S_GDS_PROPERTY value list of an attribute number and a string (found ${p.values.length} value(s))` })
      }
      let value: string
      if (v instanceof OasisStringRef) {
        if (!names) return undefined
        const s = names.propString(v.id)
        if (s === undefined) throw new GdsError({ file: this.file, record: 'PROPERTY', expected: `a PROPSTRING for reference number ${v.id} (never defined)` })
        value = s
      } else {
        value = String(v)
      }
      const attr = Number(a)
      // a GDSII attribute is a 16-bit integer; others cannot be GDSII properties and are not kept
      if (Number.isInteger(attr) && attr >= -32768 && attr <= 32767) out.push({ attr, value })
    }
    return out
  }

  /** The extras of an element with properties: GDSII properties now, or an object filled in at the end. */
  private extras(props: OasisProperty[] | null): { ex: GdsElementExtras | null; pending: boolean } {
    if (!props) return NO_EXTRAS
    const gds = this.gdsProps(props, null)
    if (gds !== undefined) return { ex: gds.length ? { props: gds } : null, pending: false }
    return { ex: {}, pending: true }
  }

  /** Plain elements in bulk from the parser's WebAssembly decoder (see OasisSink.shapes). */
  shapes(batch: GdsShapeBatch): void {
    const w = batch.words
    if (batch.complete) {
      // the cell's shapes in one batch, as most cells come
      LayerShapes.keepWholeBatch(batch, this.slab, this.cur!.layers)
      return
    }
    for (let g = 0; g < batch.groups; g++) {
      const h = g * ShapeBatch.GROUP_WORDS
      this.layerShapes(w[h + ShapeBatch.LAYER]!, w[h + ShapeBatch.DATATYPE]!).appendBatch(w, h)
    }
  }

  box(layer: number, datatype: number, l: number, b: number, r: number, t: number, props: OasisProperty[] | null): void {
    const s = this.layerShapes(layer, datatype)
    if (!props) {
      const bx = s.boxes
      room(bx, 4)
      const d = bx.data, o = bx.length
      d[o] = l
      d[o + 1] = b
      d[o + 2] = r
      d[o + 3] = t
      bx.length = o + 4
      return
    }
    const { ex, pending } = this.extras(props)
    s.addBox(l, b, r, t, ex)
    if (pending) this.propFixes.push({ kind: 'shape', ex: ex!, props, list: s.extras! })
  }

  polygon(layer: number, datatype: number, xy: Int32Array, n: number, dx: number, dy: number, props: OasisProperty[] | null): void {
    const s = this.layerShapes(layer, datatype)
    const pc = s.polyCoords
    if (!props && appendCleanRing(xy, n, dx, dy, pc)) {
      room(s.polyStarts, 1)
      s.polyStarts.push(pc.length)
      return
    }
    const { ex, pending } = this.extras(props)
    // a polygon stays a polygon (also when it is a rectangle), as KLayout keeps OASIS polygons; repeated and
    // in-line points are dropped as for GDSII (a ring left with fewer than 3 points is stored as GDSII's are)
    const start = pc.length
    const cnt = compressRing(this.absolute(xy, n, dx, dy), n, pc)
    const box = cnt < 3 ? ringAsBox(pc.data, start, cnt) : null
    if (box) {
      pc.length = start
      s.addBox(box[0], box[1], box[2], box[3], ex)
    } else {
      if (ex) s.addExtras(ShapeKind.Polygon, s.polygonCount, ex)
      s.polyStarts.push(pc.length)
    }
    if (pending) this.propFixes.push({ kind: 'shape', ex: ex!, props: props!, list: s.extras! })
  }

  path(
    layer: number, datatype: number, xy: Int32Array, n: number, dx: number, dy: number, halfWidth: number,
    startExt: number, endExt: number, props: OasisProperty[] | null,
  ): void {
    const s = this.layerShapes(layer, datatype)
    let type = 4
    if (startExt === 0 && endExt === 0) type = 0
    else if (startExt === halfWidth && endExt === halfWidth) type = 2
    if (props) {
      const { ex, pending } = this.extras(props)
      s.addPath(this.absolute(xy, n, dx, dy), n, 2 * halfWidth, type, startExt, endExt, ex)
      if (pending) this.propFixes.push({ kind: 'shape', ex: ex!, props, list: s.extras! })
      return
    }
    // the common case without a copy: the points go straight into the layer's arrays
    const pc = s.pathCoords
    room(pc, 2 * n)
    room(s.pathStarts, 1)
    room(s.pathParams, 4)
    const d = pc.data
    let o = pc.length
    for (let i = 0; i < 2 * n; i += 2) {
      d[o++] = xy[i]! + dx
      d[o++] = xy[i + 1]! + dy
    }
    pc.length = o
    s.pathStarts.push(o)
    s.pathParams.push4(2 * halfWidth, type, type === 4 ? startExt : 0, type === 4 ? endExt : 0)
  }

  circle(layer: number, datatype: number, x: number, y: number, radius: number, props: OasisProperty[] | null): void {
    const s = this.layerShapes(layer, datatype)
    const { ex, pending } = this.extras(props)
    const abs = this.abs
    abs[0] = x
    abs[1] = y
    s.addPath(abs, 1, 2 * radius, 1, 0, 0, ex)
    if (pending) this.propFixes.push({ kind: 'shape', ex: ex!, props: props!, list: s.extras! })
  }

  text(textlayer: number, texttype: number, x: number, y: number, string: string | null, stringId: number, props: OasisProperty[] | null): void {
    const { ex, pending } = this.extras(props)
    const t: Text = {
      layer: layerKey(textlayer, texttype), text: string ?? '', x, y, presentation: 0, placement: null,
      width: null, pathType: null, extras: ex,
    }
    this.cur!.texts.push(t)
    if (string === null) this.textFixes.push({ text: t, id: stringId })
    if (pending) this.propFixes.push({ kind: 'text', ex: ex!, props: props!, text: t })
  }

  placement(
    cell: number, x: number, y: number, rotation: number, mirror: boolean, mag: number,
    na: number, nb: number, ax: number, ay: number, bx: number, by: number, props: OasisProperty[] | null,
  ): void {
    const child = this.cells[cell]!
    const c = this.cur!
    if (na * nb === 1 && !props) {
      c.addInstance({ cell: child, placement: { x, y, rotation, mirror, mag }, array: null })
      return
    }
    const { ex, pending } = this.extras(props)
    // arrays of more than 32767 columns or rows are split into several
    for (let i0 = 0; i0 < na; i0 += MAX_ARRAY_DIM) {
      for (let j0 = 0; j0 < nb; j0 += MAX_ARRAY_DIM) {
        const cols = Math.min(MAX_ARRAY_DIM, na - i0), rows = Math.min(MAX_ARRAY_DIM, nb - j0)
        const inst: Instance = {
          cell: child, placement: { x: x + i0 * ax + j0 * bx, y: y + i0 * ay + j0 * by, rotation, mirror, mag },
          array: cols * rows === 1 ? null : { cols, rows, colX: ax, colY: ay, rowX: bx, rowY: by },
        }
        if (ex) inst.extras = ex
        c.addInstance(inst)
        if (pending) this.propFixes.push({ kind: 'inst', ex: ex!, props: props!, inst })
      }
    }
  }

  /** The points displaced by (dx, dy), in a scratch array. */
  private absolute(xy: Int32Array, n: number, dx: number, dy: number): Int32Array {
    if (this.abs.length < 2 * n) this.abs = new Int32Array(Math.max(2 * n, this.abs.length * 2))
    const abs = this.abs
    for (let i = 0; i < 2 * n; i += 2) {
      abs[i] = xy[i]! + dx
      abs[i + 1] = xy[i + 1]! + dy
    }
    return abs
  }

  endFile(names: OasisNames): void {
    const l = this.layout!
    // the cells, named at last, in order of first mention (as KLayout creates them)
    for (let h = 0; h < this.cells.length; h++) {
      if (this.mergedInto[h] !== undefined) continue
      const c = this.cells[h]!
      const name = this.names[h]!
      if (name === '') throw new GdsError({ file: this.file, offset: this.firstRef[h]!.offset, record: 'CELLNAME', expected: 'a non-empty cell name' })
      if (l.cells.has(name)) throw new GdsError({ file: this.file, offset: this.firstRef[h]!.offset, record: 'CELLNAME', expected: `unique cell names (${showName(name)} twice)` })
      c._setName(name)
      l.cells.set(name, c)
    }
    for (const f of this.textFixes) {
      const s = names.textString(f.id)
      if (s === undefined) throw new GdsError({ file: this.file, record: 'TEXT', expected: `a TEXTSTRING for reference number ${f.id} (never defined)` })
      f.text.text = s
    }
    for (const f of this.propFixes) {
      const props = this.gdsProps(f.props, names)!
      if (props.length) {
        f.ex.props = props
      } else if (f.kind === 'shape') {
        const i = f.list.findIndex((e) => e.extras === f.ex)
        if (i >= 0) f.list.splice(i, 1)
      } else if (f.kind === 'inst') {
        delete f.inst.extras
      } else {
        f.text.extras = null
      }
    }
    this.undefinedCells()
    l.touch()
    try {
      l.bottomUp()
    } catch (e) {
      if (e instanceof CycleError) {
        throw new GdsError({ file: this.file, record: 'PLACEMENT', expected: `no reference cycle; found ${showCycle(e.cycle)}`, cells: e.cycle })
      }
      throw e
    }
  }

  private undefinedCells(): void {
    const missing: number[] = []
    for (let h = 0; h < this.cells.length; h++) if (this.mergedInto[h] === undefined && !this.defined[h]) missing.push(h)
    if (!missing.length) return
    if (ghostCellsMode(this.opts) === 'error') {
      const name = (h: number): string => this.names[h]!
      const byName = (h: number): string => {
        let b = this.firstRef[h]!.by
        while (b >= 0 && this.mergedInto[b] !== undefined) b = this.mergedInto[b]!
        return b >= 0 ? this.names[b]! : ''
      }
      throw new GdsError({
        file: this.file, offset: this.firstRef[missing[0]!]!.offset, record: 'PLACEMENT',
        expected: undefinedCellsExpected(missing.map((h) => ({ name: name(h), by: byName(h) }))),
        cells: [...new Set(missing.flatMap((h) => [byName(h), name(h)]).filter(Boolean))],
      })
    }
    for (const h of missing) this.cells[h]!.ghost = true
  }
}

const NO_EXTRAS = { ex: null, pending: false } as const

/**
 * Room for n more ints, growing 4x at a time: a layer of a flat file grows to millions of shapes, and each
 * doubling copies; the spare tail of a big buffer is never written, so it costs address space, not memory.
 */
function room(b: IntBuf, n: number): void {
  if (b.length + n > b.data.length) b.reserve(Math.max(n, 3 * b.data.length))
}

/**
 * Appends the ring of n points xy displaced by (dx, dy) when it is already normalised (no repeated point, no
 * in-line vertex: what compressRing would leave unchanged), and returns true; else false, nothing appended.
 */
function appendCleanRing(xy: Int32Array, n: number, dx: number, dy: number, out: IntBuf): boolean {
  if (n < 3) return false
  room(out, 2 * n)
  const o = out.data
  let w = out.length
  let px = xy[2 * n - 2]!, py = xy[2 * n - 1]!
  let cx = xy[0]!, cy = xy[1]!
  for (let i = 0; i < n; i++) {
    const j = i + 1 === n ? 0 : 2 * i + 2
    const nx = xy[j]!, ny = xy[j + 1]!
    const ax = cx - px, ay = cy - py
    if (ax === 0 && ay === 0) return false
    const bx = nx - cx, by = ny - cy
    if (ax * by - ay * bx === 0 && ax * bx + ay * by > 0) return false
    o[w++] = cx + dx
    o[w++] = cy + dy
    px = cx
    py = cy
    cx = nx
    cy = ny
  }
  out.length = w
  return true
}

/** Cell._placements counts the instances of a cell (a guard of the cycle check); kept right when retargeting. */
function bumpPlacements(c: Cell): void {
  ;(c as unknown as { _placements: number })._placements++
}

/**
 * Reads an OASIS file (plain or gzip-compressed, detected from the bytes) into a Layout. A file is read
 * through a window (memory does not grow with the file's size beyond the layout); errors are GdsErrors with
 * the file, byte offset, record and what was expected, as for GDSII.
 */
export function readOasis(source: string | Uint8Array, opts: ReadOasisOptions = {}): Layout {
  const file = opts.file ?? (typeof source === 'string' ? source : '<buffer>')
  const b = new OasisLayoutBuilder(file, opts)
  if (typeof source === 'string') parseOasisFile(source, b, { ...opts, file })
  else parseOasis(source, b, { ...opts, file })
  if (!b.layout) throw new GdsError({ file, expected: 'an OASIS file' })
  return b.layout
}

// ------------------------------------------------------------------------------------------------ writing

export interface WriteOasisOptions {
  /** Name used in error messages. */
  file?: string
  /** Each cell's body and each name table in a CBLOCK (raw DEFLATE), when that is smaller (default true). */
  cblocks?: boolean
  /** DEFLATE level 1-9 (default 6). */
  compressionLevel?: number
  /**
   * Default true: cell names, text strings and property names/values in name tables (CELLNAME, TEXTSTRING,
   * PROPNAME, PROPSTRING, each one contiguous table before the cells), every reference by number: OASIS
   * "strict mode". False: every name written where it is used (CELL and PLACEMENT by name, TEXT strings and
   * property names inline), no tables.
   */
  nameTables?: boolean
  /** Name tables with explicit reference numbers (CELLNAME 4, TEXTSTRING 6, ...) instead of implicit ones. */
  explicitIds?: boolean
  /**
   * Where the table offsets go: 'end' (default: in the END record, with the strict flag set for every table
   * written) or 'start' (in the START record, all zero: "not given").
   */
  offsetTable?: 'start' | 'end'
  /** gzip the result (for `.oas.gz`). */
  gzip?: boolean
}

/**
 * Writes a layout as OASIS bytes (deterministic: the same layout gives the same bytes). What is written:
 * - boxes as RECTANGLE, polygons as POLYGON, paths as PATH (half-width; extension scheme flush, half-width
 *   or explicit from PATHTYPE 0, 2, 4); texts as TEXT (position and string: OASIS texts have no rotation,
 *   magnification or presentation); instances as PLACEMENT (17 for unit magnification and multiples of 90
 *   degrees, else 18 with real magnification and angle), arrays as regular repetitions (types 1, 2, 3, 8, 9);
 *   GDSII element properties as S_GDS_PROPERTY.
 * - OASIS cannot hold these as they are, so they are written as the polygon laytest flattens them to (the
 *   geometry stays exactly the same): round paths (PATHTYPE 1; KLayout writes a flush path and two circles),
 *   paths of odd width (OASIS stores half-widths), one-point paths.
 * - Left out: NODE elements, ELFLAGS / PLEX, polygons of fewer than 3 points (no area), GDSII library data
 *   (library name, times, units other than the dbu).
 * - Cells bottom-up (children first); a ghost cell gets a CELLNAME but no CELL record.
 */
export function writeOasis(layout: Layout, opts: WriteOasisOptions = {}): Uint8Array {
  const tables = opts.nameTables ?? true
  const explicit = !!opts.explicitIds
  const atEnd = (opts.offsetTable ?? 'end') === 'end'
  const w = new OasisStreamWriter({ file: opts.file, cblocks: opts.cblocks, compressionLevel: opts.compressionLevel })
  const cells = layout.bottomUp()

  // unit: grid steps per micron, an integer where the dbu is the reciprocal of one
  const unitExact = 1e-6 / layout.metersPerDbu
  const rounded = Math.round(unitExact)
  const unit = rounded > 0 && Math.abs(unitExact - rounded) <= 1e-9 * rounded ? rounded : unitExact
  w.start(unit, atEnd)

  // the name tables: reference numbers in first-use order over the cells as written
  const cellId = new Map<Cell, number>()
  cells.forEach((c, i) => cellId.set(c, i))
  const textIds = new Map<string, number>()
  const propStrings = new Map<string, number>()
  let anyProps = false
  for (const c of cells) {
    for (const t of c.texts) if (!textIds.has(t.text)) textIds.set(t.text, textIds.size)
    const note = (ex: GdsElementExtras | null | undefined): void => {
      if (!ex?.props?.length) return
      anyProps = true
      for (const p of ex.props) if (!propStrings.has(p.value)) propStrings.set(p.value, propStrings.size)
    }
    for (const i of c.instances) note(i.extras)
    for (const t of c.texts) note(t.extras)
    for (const s of c.layers.values()) if (s.extras) for (const e of s.extras) note(e.extras)
  }

  const offsets: Array<[number, number]> = [[0, 0], [0, 0], [0, 0], [0, 0], [0, 0], [0, 0]]
  if (tables) {
    const table = (slot: number, kind: 'CELLNAME' | 'TEXTSTRING' | 'PROPNAME' | 'PROPSTRING', names: Iterable<string>): void => {
      let i = 0
      for (const s of names) {
        if (i === 0) {
          offsets[slot] = [1, w.offset]
          w.beginBlock()
        }
        w.name(kind, s, explicit ? i : undefined)
        i++
      }
      w.endBlock()
    }
    if (anyProps) {
      table(2, 'PROPNAME', [S_GDS_PROPERTY])
      table(3, 'PROPSTRING', propStrings.keys())
    }
    table(0, 'CELLNAME', cells.map((c) => c.name))
    table(1, 'TEXTSTRING', textIds.keys())
  }

  const props = (ex: GdsElementExtras | null | undefined): void => {
    if (!ex?.props) return
    for (const p of ex.props) {
      const values: OasisOutValue[] = [p.attr, tables ? { ref: propStrings.get(p.value)! } : p.value]
      w.property(tables ? 0 : S_GDS_PROPERTY, true, values)
    }
  }

  const hull = new IntBuf(64)
  for (const cell of cells) {
    if (cell.ghost) continue
    w.beginCell(tables ? cellId.get(cell)! : cell.name)
    for (const inst of cell.instances) {
      const p = inst.placement
      const ref = tables ? cellId.get(inst.cell)! : inst.cell.name
      w.placement(ref, p.x, p.y, p.mirror, p.rotation, p.mag, repetitionOf(inst.array))
      props(inst.extras)
    }
    const keys = [...cell.layers.keys()].sort((a, b) => a - b)
    for (const key of keys) {
      const s = cell.layers.get(key)!
      const L = layerOf(key), D = datatypeOf(key)
      const extra = new Map<number, GdsElementExtras>()
      if (s.extras) for (const e of s.extras) extra.set(e.kind * 2 ** 32 + e.index, e.extras)
      const bx = s.boxes.data
      for (let i = 0; i < s.boxCount; i++) {
        const l = bx[4 * i]!, b = bx[4 * i + 1]!, r = bx[4 * i + 2]!, t = bx[4 * i + 3]!
        w.rectangle(L, D, l, b, r - l, t - b)
        if (extra.size) props(extra.get(i))
      }
      const pc = s.polyCoords.data, ps = s.polyStarts.data
      for (let i = 0; i < s.polygonCount; i++) {
        const a = ps[i]!, n = (ps[i + 1]! - a) >> 1
        if (n < 3) continue
        w.polygon(L, D, pc, a, n)
        if (extra.size) props(extra.get(ShapeKind.Polygon * 2 ** 32 + i))
      }
      const qc = s.pathCoords.data, qs = s.pathStarts.data, qp = s.pathParams.data
      for (let i = 0; i < s.pathCount; i++) {
        const a = qs[i]!, n = (qs[i + 1]! - a) >> 1
        const width = Math.abs(qp[4 * i]!), type = qp[4 * i + 1]!
        if (n >= 2 && width % 2 === 0 && type !== 1) {
          const hw = width / 2
          const bgn = type === 2 ? hw : type === 4 ? qp[4 * i + 2]! : 0
          const end = type === 2 ? hw : type === 4 ? qp[4 * i + 3]! : 0
          w.path(L, D, qc, a, n, hw, bgn, end)
        } else {
          // not an OASIS path: the polygon laytest makes of it
          hull.length = 0
          const m = pathHull(qc, a, n, qp[4 * i]!, type, qp[4 * i + 2]!, qp[4 * i + 3]!, hull)
          const ring = new IntBuf(2 * m)
          const k = compressRing(hull.data, m, ring)
          if (k < 3) continue
          w.polygon(L, D, ring.data, 0, k)
        }
        if (extra.size) props(extra.get(ShapeKind.Path * 2 ** 32 + i))
      }
    }
    for (const t of cell.texts) {
      w.text(layerOf(t.layer), datatypeOf(t.layer), t.x, t.y, tables ? textIds.get(t.text)! : t.text)
      props(t.extras)
    }
    w.endCell()
  }
  w.end(atEnd ? offsets : null)
  const bytes = w.bytes()
  return opts.gzip ? new Uint8Array(gzipSync(bytes, { level: 9 })) : bytes
}

/** The repetition of an array instance (null for a single instance or a 1 x 1 array). */
function repetitionOf(a: ArraySpec | null): OasisRegularRepetition | null {
  if (!a || a.cols * a.rows < 2) return null
  return { na: a.cols, nb: a.rows, ax: a.colX, ay: a.colY, bx: a.rowX, by: a.rowY }
}

/**
 * Writes a layout to an OASIS file atomically (a temporary file in the same folder, renamed over the target);
 * gzip-compressed when the name ends in `.gz` (unless `opts.gzip` says otherwise).
 */
export function writeOasisFile(layout: Layout, path: string, opts: WriteOasisOptions = {}): void {
  writeFileAtomic(path, writeOasis(layout, { ...opts, file: opts.file ?? path, gzip: opts.gzip ?? /\.gz$/i.test(path) }))
}
