import { DEFAULT_MAX_ARRAY_MEMBERS, DEFAULT_MAX_VERTICES, arrayLimitText, verticesLimitText } from '../gds/limits.js'
import { showCycle, showName, showNames } from '../gds/names.js'
import type { GdsElementExtras } from '../gds/sink.js'
import { createFactory, FrozenCellError, makePort, type CellFactory, type FactoryCellInfo, type FactoryOptions, type FactoryParams, type ParamsOf, type Port, type PortSpec } from './factory.js'
import { IntBuf } from './intbuf.js'
import { compressRing } from './polygon.js'
import { toLayerKey, type LayerKey, type LayerSpec } from './layers.js'
import { LayerShapes } from './shapes.js'
import type { Placement } from './transform.js'

/** A regular array of placements: member (i, j) is displaced by i * col + j * row (parent coordinates). */
export interface ArraySpec {
  cols: number
  rows: number
  colX: number
  colY: number
  rowX: number
  rowY: number
}

export interface Instance {
  cell: Cell
  placement: Placement
  array: ArraySpec | null
  /** GDSII STRANS absolute-magnification / absolute-angle bits; kept for writing, treated as relative (as KLayout does). */
  absMag?: boolean
  absAngle?: boolean
  extras?: GdsElementExtras | null
}

export interface Text {
  layer: LayerKey
  text: string
  x: number
  y: number
  presentation: number
  /** Rotation / mirror / magnification of the text, if any. */
  placement: Omit<Placement, 'x' | 'y'> | null
  absMag?: boolean
  absAngle?: boolean
  width: number | null
  pathType: number | null
  extras?: GdsElementExtras | null
}

/** A GDSII NODE element: no geometry (KLayout ignores them), kept so that writing preserves the file's content. */
export interface NodeElement {
  layer: LayerKey
  coords: Int32Array
  extras?: GdsElementExtras | null
}

export interface PathOptions {
  /** GDSII PATHTYPE: 0 flush (default), 1 round, 2 square (half-width extension), 4 custom extensions. */
  type?: 0 | 1 | 2 | 4
  bgnExt?: number
  endExt?: number
}

export interface TextOptions {
  rotation?: number
  mirror?: boolean
  mag?: number
  presentation?: number
}

export interface PlaceOptions {
  x?: number
  y?: number
  rotation?: number
  mirror?: boolean
  mag?: number
}

export interface ArrayOptions extends PlaceOptions {
  cols: number
  rows: number
  /** Displacement from one column to the next, [dx, dy]. */
  colStep: [number, number]
  /** Displacement from one row to the next, [dx, dy]. */
  rowStep: [number, number]
}

type Points = ArrayLike<number> | ReadonlyArray<readonly [number, number]>

function flatPoints(pts: Points): ArrayLike<number> {
  if (pts.length > 0 && Array.isArray(pts[0])) {
    const out: number[] = []
    for (const p of pts as ReadonlyArray<readonly [number, number]>) out.push(p[0], p[1])
    return out
  }
  return pts as ArrayLike<number>
}

function checkCoords(what: string, xy: ArrayLike<number>): void {
  for (let i = 0; i < xy.length; i++) {
    const v = xy[i]!
    if (!Number.isInteger(v) || v < -2147483648 || v > 2147483647) {
      throw new RangeError(`${what}: coordinates must be 32-bit integers in database units (got ${v})`)
    }
  }
}

/**
 * A shape or array the reader would refuse (more vertices or array members than its limits, see
 * src/gds/limits.ts): the builder refuses it with the reader's words, so a layout that can be built can be
 * written and read back.
 */
export class LayoutLimitError extends RangeError {
  constructor(
    message: string,
    readonly limit: 'vertices' | 'array-members',
    readonly max: number,
    readonly found: number,
  ) {
    super(message)
    this.name = 'LayoutLimitError'
  }
}

/** Points a polygon is written with (its distinct vertices after normalisation, plus the closing point). */
function writtenPolygonPoints(xy: ArrayLike<number>, n: number): number {
  const open = n > 1 && xy[0] === xy[2 * n - 2] && xy[1] === xy[2 * n - 1] ? n - 1 : n
  if (open + 1 <= DEFAULT_MAX_VERTICES) return open + 1
  // dropped repeated and in-line points may bring it under the limit: count what would be stored
  const scratch = new IntBuf(2 * n)
  return compressRing(xy, n, scratch) + 1
}

function checkVertices(what: string, points: number): void {
  if (points > DEFAULT_MAX_VERTICES) {
    throw new LayoutLimitError(`${what}: ${verticesLimitText(DEFAULT_MAX_VERTICES, points)}`, 'vertices', DEFAULT_MAX_VERTICES, points)
  }
}

/** A cell (GDSII structure): shapes per layer, texts and instances of other cells. */
/** A frozen cell's layers: read as any Map; set, delete and clear throw (the shapes themselves refuse changes too). */
class FrozenLayerMap extends Map<LayerKey, LayerShapes> {
  private readonly refuse: () => Error
  constructor(from: Map<LayerKey, LayerShapes>, refuse: () => Error) {
    super()
    from.forEach((v, k) => super.set(k, v))
    this.refuse = refuse
  }

  override set(): this {
    throw this.refuse()
  }

  override delete(): boolean {
    throw this.refuse()
  }

  override clear(): void {
    throw this.refuse()
  }
}

export class Cell {
  readonly layout: Layout
  private _name: string
  readonly layers = new Map<LayerKey, LayerShapes>()
  readonly texts: Text[] = []
  readonly instances: Instance[] = []
  readonly nodes: NodeElement[] = []
  /** Referenced but never defined in the file it was read from (only with `ghostCells: 'empty'`). */
  ghost = false
  /**
   * Instances of this cell that were added through place/placeArray/addInstance (never decreases): while it is 0,
   * no cell holds this one, so placing anything in it cannot close a cycle (no search needed).
   */
  private _placements = 0
  /** @internal the state of this cell in the latest Layout.bottomUp walk (a mark of that walk, or older). */
  _walk = 0
  /** @internal the mark of the postOrder walk (extent.ts) that has this cell on its stack, else 0. */
  _post = 0
  /** BGNSTR time fields as read (written back only when timestamps are asked for). */
  times: number[] | null = null

  /** @internal position of the cell in its layout's creation order (0, 1, 2, ...): an index for flat tables. */
  readonly _index: number
  /** Set when a factory made the cell (see Layout.factory): it is frozen from then on. */
  private _factoryInfo: FactoryCellInfo | null = null
  private _frozenBy: string | null = null
  private _ports: Port[] = []

  constructor(layout: Layout, name: string) {
    this.layout = layout
    this._name = name
    this._index = layout._cellsCreated++
  }

  get name(): string {
    return this._name
  }

  /** Renames the cell (names must stay unique in the layout). */
  rename(name: string): void {
    this.layout.renameCell(this, name)
  }

  /** @internal used by Layout.renameCell */
  _setName(name: string): void {
    this._name = name
  }

  /** The shapes of a layer (by key, see layerKey()), created if missing. */
  shapes(key: LayerKey): LayerShapes {
    let s = this.layers.get(key)
    if (!s) {
      if (this._frozenBy !== null) this.touch()
      s = new LayerShapes()
      this.layers.set(key, s)
    }
    return s
  }

  /** Every change to the cell goes through here first: a cell frozen by its factory refuses it. */
  private touch(): void {
    if (this._frozenBy !== null) throw new FrozenCellError(this._name, this._frozenBy)
    this.layout.touch()
  }

  /** True once the factory that made this cell returned it: every change then throws FrozenCellError. */
  get frozen(): boolean {
    return this._frozenBy !== null
  }

  /** The factory and parameters this cell was made from, or null for a cell no factory made. */
  get factoryInfo(): FactoryCellInfo | null {
    return this._factoryInfo
  }

  /** @internal set by the factory (src/layout/factory.ts). */
  _setFactoryInfo(info: FactoryCellInfo): void {
    this._factoryInfo = info
  }

  /** @internal freezes the cell (its factory returned it). */
  _freeze(by: string): void {
    this._frozenBy = by
    const refuse = (): Error => new FrozenCellError(this._name, by)
    for (const s of this.layers.values()) s.frozen = refuse
    ;(this as { layers: Map<LayerKey, LayerShapes> }).layers = new FrozenLayerMap(this.layers, refuse)
    // what the methods above cannot guard: direct pushes onto the public arrays then fail too
    Object.freeze(this._ports)
    Object.freeze(this.texts)
    Object.freeze(this.instances)
    Object.freeze(this.nodes)
  }

  /** The cell's ports, in the order they were added. */
  get ports(): readonly Port[] {
    return this._ports
  }

  /** The port of that name; throws when the cell has none of that name. */
  port(name: string): Port {
    const p = this._ports.find((q) => q.name === name)
    if (!p) throw new Error(`cell ${showName(this._name)} has no port ${showName(name)}${this._ports.length ? ` (ports: ${this._ports.map((q) => q.name).join(', ')})` : ''}`)
    return p
  }

  /** Adds a port: name (unique in the cell), position and width in dbu, angle in degrees, layer. */
  addPort(spec: PortSpec): Port {
    const p = makePort(spec, this._name)
    if (this._ports.some((q) => q.name === p.name)) throw new Error(`cell ${showName(this._name)} has a port ${showName(p.name)} already`)
    this.touch()
    this._ports.push(p)
    return p
  }

  /** Adds an axis-parallel box (corners in any order). */
  addBox(layer: LayerSpec, l: number, b: number, r: number, t: number): this {
    checkCoords(`box in ${this._name}`, [l, b, r, t])
    this.touch()
    this.shapes(toLayerKey(layer)).boxes.push4(Math.min(l, r), Math.min(b, t), Math.max(l, r), Math.max(b, t))
    return this
  }

  /** Adds a box on a layer key (no layer parsing); used by readers. */
  addBoxKey(key: LayerKey, l: number, b: number, r: number, t: number, extras?: GdsElementExtras | null): void {
    this.touch()
    this.shapes(key).addBox(l, b, r, t, extras)
  }

  /**
   * Adds a polygon from [x, y] pairs or a flat x, y list. Like KLayout, a closing point, repeated and in-line
   * points are dropped, and a polygon that is an axis-parallel rectangle is stored as a box.
   */
  addPolygon(layer: LayerSpec, points: Points): this {
    const xy = flatPoints(points)
    checkCoords(`polygon in ${this._name}`, xy)
    this.addPolygonKey(toLayerKey(layer), xy, xy.length >> 1, null)
    return this
  }

  addPolygonKey(key: LayerKey, xy: ArrayLike<number>, n: number, extras: GdsElementExtras | null): void {
    this.touch()
    checkVertices(`polygon in ${showName(this._name)}`, writtenPolygonPoints(xy, n))
    this.shapes(key).addPolygon(xy, n, extras)
  }

  /** Adds a path (centre line, width in dbu). */
  addPath(layer: LayerSpec, points: Points, width: number, opts: PathOptions = {}): this {
    const xy = flatPoints(points)
    checkCoords(`path in ${this._name}`, xy)
    const type = opts.type ?? 0
    if (![0, 1, 2, 4].includes(type)) throw new RangeError(`path type must be 0, 1, 2 or 4 (got ${type})`)
    this.addPathKey(toLayerKey(layer), xy, xy.length >> 1, width, type, opts.bgnExt ?? 0, opts.endExt ?? 0, null)
    return this
  }

  addPathKey(
    key: LayerKey, xy: ArrayLike<number>, n: number, width: number, pathtype: number, bgn: number, end: number,
    extras: GdsElementExtras | null,
  ): void {
    this.touch()
    checkVertices(`path in ${showName(this._name)}`, n)
    this.shapes(key).addPath(xy, n, width, pathtype, bgn, end, extras)
  }

  /** Adds a text label (texts carry no area: XOR ignores them unless labels are compared). */
  addText(layer: LayerSpec, text: string, x: number, y: number, opts: TextOptions = {}): this {
    checkCoords(`text in ${this._name}`, [x, y])
    const hasTrans = opts.rotation !== undefined || opts.mirror !== undefined || opts.mag !== undefined
    this.touch()
    this.texts.push({
      layer: toLayerKey(layer), text, x, y, presentation: opts.presentation ?? 0,
      placement: hasTrans ? { rotation: opts.rotation ?? 0, mirror: opts.mirror ?? false, mag: opts.mag ?? 1 } : null,
      width: null, pathType: null,
    })
    return this
  }

  /** Places `child` once. */
  place(child: Cell, opts: PlaceOptions = {}): Instance {
    const inst: Instance = { cell: this.checkChild(child), placement: placementOf(opts), array: null }
    this.addInstance(inst)
    return inst
  }

  /** Places `child` as a cols x rows array (a GDSII AREF). */
  placeArray(child: Cell, opts: ArrayOptions): Instance {
    if (!Number.isInteger(opts.cols) || !Number.isInteger(opts.rows) || opts.cols < 1 || opts.rows < 1 || opts.cols > 32767 || opts.rows > 32767) {
      throw new RangeError(`array size must be 1..32767 columns and rows (got ${opts.cols} x ${opts.rows})`)
    }
    if (opts.cols * opts.rows > DEFAULT_MAX_ARRAY_MEMBERS) {
      throw new LayoutLimitError(`array in ${showName(this._name)}: ${arrayLimitText(DEFAULT_MAX_ARRAY_MEMBERS, opts.cols, opts.rows)}`,
        'array-members', DEFAULT_MAX_ARRAY_MEMBERS, opts.cols * opts.rows)
    }
    checkCoords(`array in ${this._name}`, [...opts.colStep, ...opts.rowStep])
    const inst: Instance = {
      cell: this.checkChild(child), placement: placementOf(opts),
      array: { cols: opts.cols, rows: opts.rows, colX: opts.colStep[0], colY: opts.colStep[1], rowX: opts.rowStep[0], rowY: opts.rowStep[1] },
    }
    this.addInstance(inst)
    return inst
  }

  /** @internal adds an instance built by a reader (no checks). */
  addInstance(inst: Instance): void {
    this.touch()
    this.instances.push(inst)
    inst.cell._placements++
  }

  private checkChild(child: Cell): Cell {
    if (child.layout !== this.layout) throw new Error(`cell ${showName(child.name)} belongs to another layout`)
    // a cycle needs this cell below the child: impossible while nothing holds this cell (building bottom-up
    // stays linear, not quadratic, in the depth)
    if (child === this || (this._placements > 0 && this.layout.isAncestor(child, this))) {
      throw new Error(`placing ${showName(child.name)} in ${showName(this._name)} would create a reference cycle`)
    }
    return child
  }

  /** Number of shapes stored in this cell (not flattened), texts excluded. */
  get shapeCount(): number {
    let n = 0
    for (const s of this.layers.values()) n += s.shapeCount
    return n
  }
}

function placementOf(o: PlaceOptions): Placement {
  const p = { x: o.x ?? 0, y: o.y ?? 0, rotation: o.rotation ?? 0, mirror: o.mirror ?? false, mag: o.mag ?? 1 }
  checkCoords('placement', [p.x, p.y])
  if (!(p.mag > 0) || !Number.isFinite(p.mag)) throw new RangeError(`magnification must be positive (got ${p.mag})`)
  if (!Number.isFinite(p.rotation)) throw new RangeError(`rotation must be finite (got ${p.rotation})`)
  return p
}

export interface LayoutOptions {
  /** Database unit in micrometres (default 0.001, i.e. 1 nm). */
  dbu?: number
  /** Library name written to GDSII (default "LIB"). */
  name?: string
}

/** Library-level data read from GDSII that the model keeps for writing it back. */
export interface LibraryMeta {
  version: number
  userUnitsPerDbu: number
  modified: number[] | null
  accessed: number[] | null
  refLibs?: string[]
  fonts?: string[]
  attrTable?: string
  generations?: number
  format?: number
}

/** A layout (GDSII library): database unit and cells by name. */
export class Layout {
  name: string
  private _dbu: number
  private _meters: number
  meta: LibraryMeta
  readonly cells = new Map<string, Cell>()
  /** @internal cells created so far (Cell._index). */
  _cellsCreated = 0
  private readonly _factories = new Map<string, CellFactory<FactoryParams>>()
  /** Bumped on every change; caches (hashes, bounding boxes) compare it. */
  generation = 0

  constructor(opts: LayoutOptions = {}) {
    this.name = opts.name ?? 'LIB'
    const dbu = opts.dbu ?? 0.001
    if (!(dbu > 0)) throw new RangeError(`dbu must be positive (got ${dbu})`)
    this._dbu = dbu
    this._meters = dbu * 1e-6
    this.meta = { version: 600, userUnitsPerDbu: dbu, modified: null, accessed: null }
  }

  /** Database unit in micrometres. */
  get dbu(): number {
    return this._dbu
  }

  set dbu(v: number) {
    if (!(v > 0)) throw new RangeError(`dbu must be positive (got ${v})`)
    this._dbu = v
    this._meters = v * 1e-6
    this.touch()
  }

  /** Size of a database unit in metres (kept exactly as read, so that writing reproduces the UNITS record). */
  get metersPerDbu(): number {
    return this._meters
  }

  /** Sets both units as a GDSII UNITS record gives them. */
  setUnits(dbuMicrons: number, metersPerDbu: number): void {
    this._dbu = dbuMicrons
    this._meters = metersPerDbu
    this.touch()
  }

  touch(): void {
    this.generation++
  }

  /** The cell of that name, created if it does not exist yet. */
  cell(name: string): Cell {
    let c = this.cells.get(name)
    if (!c) {
      if (name === '') throw new RangeError('a cell name must not be empty')
      c = new Cell(this, name)
      this.cells.set(name, c)
      this.touch()
    }
    return c
  }

  /**
   * A cell factory (kfactory's `@cell`): `build(cell, params)` fills a fresh cell for each distinct parameter set
   * (merged over `defaults`); equal parameters return the same, frozen Cell, named from the factory name and the
   * abbreviated parameters (`wg_W0p5_L10`). With a session loaded (loadSession), unchanged cells are restored
   * instead of built. See docs/session.md.
   */
  factory<P extends ParamsOf<P> = FactoryParams>(
    name: string, build: (cell: Cell, params: Readonly<P>) => void, defaults?: P, opts: FactoryOptions = {},
  ): CellFactory<P> {
    return createFactory(this, name, build, defaults, opts, this._factories)
  }

  /** This layout's factories by name. */
  get factories(): ReadonlyMap<string, CellFactory<FactoryParams>> {
    return this._factories
  }

  /** A new cell; throws if the name is taken. */
  newCell(name: string): Cell {
    if (this.cells.has(name)) throw new Error(`a cell named ${showName(name)} exists already`)
    return this.cell(name)
  }

  getCell(name: string): Cell | undefined {
    return this.cells.get(name)
  }

  renameCell(cell: Cell, name: string): void {
    if (cell.layout !== this) throw new Error(`cell ${showName(cell.name)} belongs to another layout`)
    if (name === cell.name) return
    if (cell.factoryInfo) throw new FrozenCellError(cell.name, cell.factoryInfo.factory.factoryName)
    if (this.cells.has(name)) throw new Error(`a cell named ${showName(name)} exists already`)
    // keep insertion order stable: rebuild the map
    const entries = [...this.cells.entries()].map(([k, v]): [string, Cell] => (v === cell ? [name, v] : [k, v]))
    this.cells.clear()
    for (const [k, v] of entries) this.cells.set(k, v)
    cell._setName(name)
    this.touch()
  }

  /** Cells that no other cell references, in creation order. */
  topCells(): Cell[] {
    const referenced = new Set<Cell>()
    for (const c of this.cells.values()) for (const i of c.instances) referenced.add(i.cell)
    return [...this.cells.values()].filter((c) => !referenced.has(c))
  }

  /**
   * The whole library as one cell, for drawing it as the file is: with one top cell that cell, else a cell
   * outside the layout (not in `cells`, never written, nothing placed in it counts as placed) that places every
   * top cell once, untransformed.
   */
  libraryView(): Cell {
    const tops = this.topCells()
    if (tops.length === 1) return tops[0]!
    const view = new Cell(this, `(${tops.length} top cells)`)
    for (const t of tops) view.instances.push({ cell: t, array: null, placement: { x: 0, y: 0, rotation: 0, mirror: false, mag: 1 } })
    return view
  }

  /** The single top cell; throws when there are none or several. */
  topCell(): Cell {
    const tops = this.topCells()
    if (tops.length !== 1) {
      throw new Error(`layout has ${tops.length} top cells${tops.length ? ` (${showNames(tops.map((c) => c.name))})` : ''}; name one`)
    }
    return tops[0]!
  }

  /** True when `a` is placed (directly or not) somewhere below `b`. */
  isAncestor(b: Cell, a: Cell): boolean {
    const seen = new Set<Cell>()
    const stack = [b]
    while (stack.length) {
      const c = stack.pop()!
      for (const i of c.instances) {
        if (i.cell === a) return true
        if (!seen.has(i.cell)) {
          seen.add(i.cell)
          stack.push(i.cell)
        }
      }
    }
    return false
  }

  /** Cells in bottom-up order (children before parents). Throws on a reference cycle. */
  bottomUp(): Cell[] {
    // an iterative depth-first search (a hierarchy can be a million levels deep); the visit state lives on the
    // cells (marks of this walk, see Cell._walk), not in a Map: a million cells cost a fraction of a second
    const visiting = ++walkMarks, done = ++walkMarks
    const order: Cell[] = []
    const cells: Cell[] = []
    const next: number[] = []
    for (const root of this.cells.values()) {
      if (root._walk === done) continue
      cells.push(root)
      next.push(0)
      root._walk = visiting
      while (cells.length) {
        const top = cells.length - 1
        const cell = cells[top]!
        const insts = cell.instances
        const i = next[top]!
        if (i < insts.length) {
          next[top] = i + 1
          const child = insts[i]!.cell
          const st = child._walk
          if (st === visiting) {
            const path = cells.map((c) => c.name)
            throw new CycleError([...path.slice(cells.indexOf(child)), child.name])
          }
          if (st !== done) {
            child._walk = visiting
            cells.push(child)
            next.push(0)
          }
        } else {
          cell._walk = done
          order.push(cell)
          cells.pop()
          next.pop()
        }
      }
    }
    return order
  }
}

/** Marks handed out to Layout.bottomUp walks (two per walk: visiting, done) and to postOrder walks. */
let walkMarks = 0

/** @internal a fresh mark for a walk that keeps its state on the cells. */
export function newWalkMark(): number {
  return ++walkMarks
}

/** A cell reference cycle: the names along the cycle, first repeated at the end. */
export class CycleError extends Error {
  readonly cycle: string[]
  constructor(cycle: string[]) {
    super(`cell reference cycle: ${showCycle(cycle)}`)
    this.name = 'CycleError'
    this.cycle = cycle
  }
}

/** Copies points into a fresh Int32Array (readers hand out views of a scratch buffer). */
export function copyCoords(xy: ArrayLike<number>, n: number): Int32Array {
  const out = new Int32Array(2 * n)
  for (let i = 0; i < 2 * n; i++) out[i] = xy[i]!
  return out
}

export { IntBuf }
