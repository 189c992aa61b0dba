import { gzipSync } from 'node:zlib'
import { GdsError } from '../gds/errors.js'
import { layoutFileFormat, layoutFormatOf } from '../gds/format.js'
import { showCycle, showName } from '../gds/names.js'
import { readGds, readGdsFile, type GdsReadOptions } from '../gds/reader.js'
import { ShapeBatch, type GdsElementExtras, type GdsLibraryInfo, type GdsShapeBatch, type GdsSink, type GdsStrans } from '../gds/sink.js'
import { GdsStreamWriter, gdsTime } from '../gds/writer.js'
import { layerKey, layerOf, datatypeOf, type LayerKey } from './layers.js'
import { CycleError, Layout, copyCoords, type Cell, type Instance } from './layout.js'
import { IntSlab } from './intbuf.js'
import { LayerShapes, ShapeKind } from './shapes.js'
import { roundCoord } from './transform.js'
import { writeFileAtomic, writeFileAtomicStream } from './atomic.js'
import { ghostCellsMode, undefinedCellsExpected } from './ghosts.js'
import { readOasis, writeOasisFile, type ReadOasisOptions, type WriteOasisOptions } from './oasisio.js'

export { writeFileAtomic }

/** KLayout's meta-data structure: not a cell (KLayout does not show it; flattening it would duplicate geometry). */
export const CONTEXT_INFO_CELL = '$$$CONTEXT_INFO$$$'

export interface ReadLayoutOptions extends GdsReadOptions, Omit<ReadOasisOptions, keyof GdsReadOptions> {
  /**
   * Refuse what KLayout reads leniently: a cell that is referenced but never defined is an error (default: an
   * empty "ghost" cell, as KLayout reads it; `ghostWarning(layout)` says so in one line).
   */
  strict?: boolean
  /** A cell referenced but never defined: `'empty'` (the default unless `strict`) or `'error'`. */
  ghostCells?: 'error' | 'empty'
}

class LayoutBuilder implements GdsSink {
  layout: Layout | null = null
  private cur: Cell | null = null
  /**
   * Shapes of the structure being read, per layer, in reusable buffers: copied out compactly at ENDSTR, so
   * reading allocates one exact-size array per buffer instead of growing thousands of small ones.
   */
  private readonly scratch = new Map<LayerKey, LayerShapes>()
  private readonly slab = new IntSlab()
  private lastKey = -1
  private lastShapes: LayerShapes | null = null
  private skipping = false
  /**
   * Where a cell that was not defined yet was first referenced, and by which cell: for error messages about
   * undefined cells. (A cell is defined once its structure began: its `times` are set then, and only then.)
   */
  private readonly firstRef = new Map<Cell, { offset: number; by: string }>()
  constructor(private readonly file: string, private readonly opts: ReadLayoutOptions) {}

  library(info: GdsLibraryInfo): void {
    // dbu in micrometres, as KLayout derives it: metres per dbu * 1e6
    const l = new Layout({ name: info.name || 'LIB' })
    l.setUnits(info.metersPerDbu * 1e6, info.metersPerDbu)
    l.meta = {
      version: info.version, userUnitsPerDbu: info.userUnitsPerDbu, modified: info.modified, accessed: info.accessed,
      refLibs: info.refLibs, fonts: info.fonts, attrTable: info.attrTable, generations: info.generations, format: info.format,
    }
    this.layout = l
  }

  beginStructure(name: string, offset: number, times: number[]): void {
    if (name === CONTEXT_INFO_CELL) {
      this.skipping = true
      return
    }
    const l = this.layout!
    const c = l.cell(name)
    if (c.times !== null) {
      throw new GdsError({ file: this.file, offset, record: 'BGNSTR', expected: `a unique structure name (${showName(name)} is defined twice)`, cells: [name] })
    }
    c.times = allZero(times) ? ZERO_TIMES : times
    this.firstRef.delete(c) // only undefined cells need it
    this.cur = c
  }

  endStructure(): void {
    const c = this.cur
    if (c) {
      // an exact-size array (pushing leaves room for 16 more: 128 bytes per cell of a million-cell file)
      if (c.instances.length) (c as { instances: Instance[] }).instances = c.instances.slice()
      for (const [key, s] of this.scratch) {
        if (s.shapeCount === 0) continue
        c.layers.set(key, s.takeCompact(this.slab))
        s.clear()
      }
      this.layout!.touch()
    }
    this.cur = null
    this.skipping = false
  }

  private layerShapes(layer: number, datatype: number): LayerShapes {
    const key = layerKey(layer, datatype)
    if (key === this.lastKey) return this.lastShapes!
    let s = this.scratch.get(key)
    if (!s) this.scratch.set(key, (s = new LayerShapes()))
    this.lastKey = key
    this.lastShapes = s
    return s
  }

  boundary(layer: number, datatype: number, xy: Int32Array, n: number, extras: GdsElementExtras | null): void {
    if (this.skipping) return
    this.layerShapes(layer, datatype).addPolygon(xy, n, extras)
  }

  shapes(batch: GdsShapeBatch): void {
    if (this.skipping) return
    const w = batch.words
    if (batch.complete) {
      // the cell's shapes in one batch, as most cells come
      LayerShapes.keepWholeBatch(batch, this.slab, this.cur!.layers)
      return
    }
    for (let g = 0, h = 0; g < batch.groups; g++, h += ShapeBatch.GROUP_WORDS) {
      this.layerShapes(w[h + ShapeBatch.LAYER]!, w[h + ShapeBatch.DATATYPE]!).appendBatch(w, h)
    }
  }

  box(layer: number, boxtype: number, xy: Int32Array, n: number, extras: GdsElementExtras | null): void {
    if (this.skipping) return
    let l = Infinity, b = Infinity, r = -Infinity, t = -Infinity
    for (let i = 0; i < n; i++) {
      const x = xy[2 * i]!, y = xy[2 * i + 1]!
      if (x < l) l = x
      if (x > r) r = x
      if (y < b) b = y
      if (y > t) t = y
    }
    this.layerShapes(layer, boxtype).addBox(l, b, r, t, extras)
  }

  path(layer: number, datatype: number, xy: Int32Array, n: number, width: number, pathtype: number, bgn: number, end: number, extras: GdsElementExtras | null): void {
    if (this.skipping) return
    this.layerShapes(layer, datatype).addPath(xy, n, width, pathtype, bgn, end, extras)
  }

  text(layer: number, texttype: number, x: number, y: number, string: string, presentation: number, strans: GdsStrans | null, width: number | null, pathtype: number | null, extras: GdsElementExtras | null): void {
    if (this.skipping) return
    this.cur!.texts.push({
      layer: layerKey(layer, texttype), text: string, x, y, presentation,
      placement: strans ? { rotation: strans.angle, mirror: strans.reflect, mag: strans.mag } : null,
      absMag: strans?.absMag || undefined, absAngle: strans?.absAngle || undefined,
      width, pathType: pathtype, extras,
    })
    this.layout!.touch()
  }

  node(layer: number, nodetype: number, xy: Int32Array, n: number, extras: GdsElementExtras | null): void {
    if (this.skipping) return
    this.cur!.nodes.push({ layer: layerKey(layer, nodetype), coords: copyCoords(xy, n), extras })
  }

  private refCell(name: string, offset: number): Cell {
    const c = this.layout!.cell(name)
    if (c.times === null && !this.firstRef.has(c)) this.firstRef.set(c, { offset, by: this.cur!.name })
    return c
  }

  sref(name: string, x: number, y: number, strans: GdsStrans | null, extras: GdsElementExtras | null, offset: number): void {
    if (this.skipping) return
    this.cur!.addInstance(instanceOf(this.refCell(name, offset), x, y, strans, null, extras))
  }

  aref(name: string, cols: number, rows: number, xy: Int32Array, strans: GdsStrans | null, extras: GdsElementExtras | null, offset: number): void {
    if (this.skipping) return
    const x = xy[0]!, y = xy[1]!
    // lattice vectors per column / row, rounded to the grid as KLayout does
    const array = {
      cols, rows,
      colX: roundCoord((xy[2]! - x) / cols), colY: roundCoord((xy[3]! - y) / cols),
      rowX: roundCoord((xy[4]! - x) / rows), rowY: roundCoord((xy[5]! - y) / rows),
    }
    this.cur!.addInstance(instanceOf(this.refCell(name, offset), x, y, strans, array, extras))
  }

  endLibrary(): void {
    const l = this.layout!
    const missing = [...l.cells.values()].filter((c) => c.times === null)
    if (missing.length) {
      if (ghostCellsMode(this.opts) === 'error') {
        const first = this.firstRef.get(missing[0]!)
        const by = (c: Cell): string => this.firstRef.get(c)?.by ?? ''
        throw new GdsError({
          file: this.file, offset: first?.offset, record: 'SNAME',
          expected: undefinedCellsExpected(missing.map((c) => ({ name: c.name, by: by(c) }))),
          cells: [...new Set(missing.flatMap((c) => [by(c), c.name]).filter(Boolean))],
        })
      }
      for (const c of missing) c.ghost = true
    }
    try {
      l.bottomUp()
    } catch (e) {
      if (e instanceof CycleError) {
        throw new GdsError({ file: this.file, record: 'SREF', expected: `no reference cycle; found ${showCycle(e.cycle)}`, cells: e.cycle })
      }
      throw e
    }
  }
}

/** The BGNSTR times of most files (none written): one shared array instead of one per cell. */
const ZERO_TIMES: number[] = Object.freeze(new Array<number>(12).fill(0)) as number[]

function allZero(t: number[]): boolean {
  if (t.length !== 12) return false
  for (const v of t) if (v !== 0) return false
  return true
}

function instanceOf(cell: Cell, x: number, y: number, s: GdsStrans | null, array: Instance['array'], extras: GdsElementExtras | null): Instance {
  const inst: Instance = {
    cell, array,
    placement: { x, y, rotation: s?.angle ?? 0, mirror: s?.reflect ?? false, mag: s?.mag ?? 1 },
  }
  if (s?.absMag) inst.absMag = true
  if (s?.absAngle) inst.absAngle = true
  if (extras) inst.extras = extras
  return inst
}

/**
 * Reads a layout file or bytes into a Layout: GDSII or OASIS, plain or gzip-compressed, told apart by their
 * first bytes (never the file name). A file that is neither is a GdsError saying what was found.
 */
export function readLayout(source: string | Uint8Array, opts: ReadLayoutOptions = {}): Layout {
  const file = opts.file ?? (typeof source === 'string' ? source : '<buffer>')
  const format = typeof source === 'string' ? layoutFileFormat(source, file) : layoutFormatOf(source.subarray(0, 4096), file)
  if (format === 'oasis') return readOasis(source, { ...opts, file, ghostCells: ghostCellsMode(opts) })
  return readGdsLayout(source, { ...opts, file })
}

/** Reads GDSII (plain or gzip) into a Layout. */
export function readGdsLayout(source: string | Uint8Array, opts: ReadLayoutOptions = {}): Layout {
  const file = opts.file ?? (typeof source === 'string' ? source : '<buffer>')
  const b = new LayoutBuilder(file, opts)
  if (typeof source === 'string') readGdsFile(source, b, { ...opts, file })
  else readGds(source, b, { ...opts, file })
  if (!b.layout) throw new GdsError({ file, expected: 'a GDSII library' })
  return b.layout
}

export interface WriteLayoutOptions {
  /** Write these BGNLIB/BGNSTR times (default: none, all zero, so the bytes are reproducible). */
  timestamps?: Date
  /** Name used in error messages. */
  file?: string
}

/** Writes a layout as GDSII bytes. Cells are written children first; output is deterministic. */
export function writeLayout(layout: Layout, opts: WriteLayoutOptions = {}): Uint8Array {
  const w = new GdsStreamWriter(opts.file ?? '<output>', writtenSizeHint(layout))
  writeLibrary(w, layout, opts)
  return w.bytes()
}

function writeLibrary(w: GdsStreamWriter, layout: Layout, opts: WriteLayoutOptions): void {
  const t = opts.timestamps ? gdsTime(opts.timestamps) : null
  const m = layout.meta
  w.beginLibrary({
    version: m.version, name: layout.name, userUnitsPerDbu: m.userUnitsPerDbu, metersPerDbu: layout.metersPerDbu,
    modified: t, accessed: t, refLibs: m.refLibs, fonts: m.fonts, attrTable: m.attrTable, generations: m.generations, format: m.format,
  })
  for (const cell of layout.bottomUp()) {
    if (cell.ghost) continue
    w.beginStructure(cell.name, t ? [...t, ...t] : undefined)
    writeCell(w, cell)
    w.endStructure()
  }
  w.endLibrary()
  w.finish()
}

/** Buffer of a GDSII file written in pieces: (re)used memory, where a whole-file buffer would be all fresh pages. */
const FILE_CHUNK = 1 << 18

/** About the GDSII size of a layout (its shapes' XY data and record overhead): the writer's first buffer. */
function writtenSizeHint(layout: Layout): number {
  let bytes = 1024
  for (const cell of layout.cells.values()) {
    bytes += 64 + cell.name.length + 64 * (cell.texts.length + cell.instances.length + cell.nodes.length)
    for (const s of cell.layers.values()) {
      bytes += 60 * s.boxCount + 4 * (s.polyCoords.length + s.pathCoords.length) + 32 * (s.polygonCount + s.pathCount)
    }
  }
  return Math.min(bytes, 1 << 30)
}

const NO_EXTRAS: ReadonlyMap<number, GdsElementExtras> = new Map()

function writeCell(w: GdsStreamWriter, cell: Cell): void {
  const keys = Array.from(cell.layers.keys())
  sortNumbers(keys)
  for (let k = 0; k < keys.length; k++) {
    const key = keys[k]!
    const s = cell.layers.get(key)!
    const L = layerOf(key), D = datatypeOf(key)
    let extra = NO_EXTRAS
    if (s.extras) {
      const m = new Map<number, GdsElementExtras>()
      for (const e of s.extras) m.set(e.kind * 2 ** 32 + e.index, e.extras)
      extra = m
    }
    const bx = s.boxes.data
    for (let i = 0; i < s.boxCount; i++) {
      w.boundaryBox(L, D, bx[4 * i]!, bx[4 * i + 1]!, bx[4 * i + 2]!, bx[4 * i + 3]!, extra.get(ShapeKind.Box * 2 ** 32 + i))
    }
    const pc = s.polyCoords.data, ps = s.polyStarts.data
    for (let i = 0; i < s.polygonCount; i++) w.boundaryRing(L, D, pc, ps[i]!, ps[i + 1]!, extra.get(ShapeKind.Polygon * 2 ** 32 + i))
    const qc = s.pathCoords.data, qs = s.pathStarts.data, qp = s.pathParams.data
    for (let i = 0; i < s.pathCount; i++) {
      const a = qs[i]!, e = qs[i + 1]!
      w.path(L, D, qc.subarray(a, e), (e - a) >> 1, qp[4 * i]!, qp[4 * i + 1]!, qp[4 * i + 2]!, qp[4 * i + 3]!, extra.get(ShapeKind.Path * 2 ** 32 + i))
    }
  }
  // indexed loops: this runs once per cell of a file, mostly before it is optimised (an iterator per loop)
  for (let i = 0; i < cell.nodes.length; i++) {
    const n = cell.nodes[i]!
    w.node(layerOf(n.layer), datatypeOf(n.layer), n.coords, n.coords.length >> 1, n.extras)
  }
  for (let i = 0; i < cell.texts.length; i++) {
    const t = cell.texts[i]!
    const p = t.placement
    const strans: GdsStrans | null = p || t.absMag || t.absAngle
      ? { reflect: p?.mirror ?? false, mag: p?.mag ?? 1, angle: p?.rotation ?? 0, absMag: !!t.absMag, absAngle: !!t.absAngle }
      : null
    w.text(layerOf(t.layer), datatypeOf(t.layer), t.x, t.y, t.text, t.presentation, strans, t.width, t.pathType, t.extras)
  }
  for (let i = 0; i < cell.instances.length; i++) {
    const inst = cell.instances[i]!
    const p = inst.placement
    if (inst.array) {
      const a = inst.array
      const strans: GdsStrans = { reflect: p.mirror, mag: p.mag, angle: p.rotation, absMag: !!inst.absMag, absAngle: !!inst.absAngle }
      w.aref(inst.cell.name, a.cols, a.rows, [p.x, p.y, p.x + a.cols * a.colX, p.y + a.cols * a.colY, p.x + a.rows * a.rowX, p.y + a.rows * a.rowY], strans, inst.extras)
    } else {
      w.srefAt(inst.cell.name, p.x, p.y, p.mirror, p.mag, p.rotation, !!inst.absMag, !!inst.absAngle, inst.extras)
    }
  }
}

/** Sorts numbers ascending in place (insertion sort: a cell has a few layers; Array#sort allocates per call). */
function sortNumbers(a: number[]): void {
  if (a.length > 32) {
    a.sort((x, y) => x - y)
    return
  }
  for (let i = 1; i < a.length; i++) {
    const v = a[i]!
    let j = i - 1
    for (; j >= 0 && a[j]! > v; j--) a[j + 1] = a[j]!
    a[j + 1] = v
  }
}

/** The format a file name asks for: OASIS for `.oas` / `.oas.gz` (any case), else GDSII. */
export function formatOfName(path: string): 'gds' | 'oasis' {
  return /\.oas(\.gz)?$/i.test(path) ? 'oasis' : 'gds'
}

/**
 * Writes a layout to a file atomically (a temporary file in the same folder, renamed over the target, so a reader
 * never sees a half-written file), in the format its name asks for: OASIS for `.oas` and `.oas.gz` (gzip-compressed),
 * else GDSII (gzip-compressed for `.gds.gz`; any case of the extensions).
 */
export function writeLayoutFile(layout: Layout, path: string, opts: WriteLayoutOptions & WriteOasisOptions = {}): void {
  if (formatOfName(path) === 'oasis') return writeOasisFile(layout, path, opts)
  const o = { ...opts, file: opts.file ?? path }
  // x.gds.gz is gzip-compressed, as its name says (zcat and other tools go by it; laytest reads either)
  if (/\.gz$/i.test(path)) writeFileAtomic(path, new Uint8Array(gzipSync(writeLayout(layout, o), { level: 6 })))
  else writeFileAtomicStream(path, (write) => writeLibrary(new GdsStreamWriter(o.file, FILE_CHUNK, write), layout, o))
}
