import { createHash } from 'node:crypto'
import { existsSync, statSync } from 'node:fs'
import { dirname, isAbsolute, resolve, sep } from 'node:path'
import { fileURLToPath } from 'node:url'
import { showName } from '../gds/names.js'
import { toLayerKey, type LayerKey, type LayerSpec } from './layers.js'
import type { Cell, Instance, Layout, PlaceOptions } from './layout.js'
import { cosSinDeg, placementAffine, roundCoord, type Placement } from './transform.js'

/*
 * Cell factories, kfactory's `@cell` in TypeScript: `layout.factory(name, build, defaults)` returns a function of
 * parameters that builds each distinct parameter set once, names the cell from the factory name and the
 * abbreviated parameters (`wg_W0p5_L10`), and freezes it when the build returns. Cells carry ports.
 *
 * Persistence is not here: the session (src/cache/session.ts, a layer above) installs hooks that compute a
 * factory's key from its sources when it is first called and fill cells from a saved session instead of
 * building them. This module only records what a session needs: which factory cells each build used.
 */

/** A parameter value: what can be compared, named and saved exactly. */
export type ParamValue = number | string | boolean | null | readonly ParamValue[] | { readonly [key: string]: ParamValue }

/** Parameters of a factory: a plain object of parameter values. */
export type FactoryParams = { [key: string]: ParamValue }

/** Parameter types a factory accepts: plain objects whose properties are parameter values (interfaces too). */
export type ParamsOf<P> = { [K in keyof P]: ParamValue }

export interface FactoryOptions {
  /**
   * The module the factory is defined in (a path or a file URL, e.g. `import.meta.url`). Default: the module that
   * calls `layout.factory(...)`, found from the call stack. A session restores a factory's cells only when its
   * module is known (its key covers the module and everything it imports).
   */
  module?: string | URL
  /**
   * Values the build depends on besides its parameters and its modules' code — typically what the function that
   * defines the factory captured (a PDK's configuration object): JSON-like, as parameters. A session restores the
   * factory's cells only while it is the same (canonical JSON). The session cannot see captured values by itself.
   */
  key?: unknown
}

/** What a factory made a cell from: readable as `cell.factoryInfo`. */
export interface FactoryCellInfo {
  readonly factory: CellFactory<FactoryParams>
  /** The parameters after merging the defaults (deep-frozen). */
  readonly params: Readonly<FactoryParams>
  /** The parameters as canonical JSON (keys sorted): equal parameters, equal strings. */
  readonly canon: string
  /** The factory cells its build used, in first-use order: cells of factory calls made by the build, then placed ones. */
  readonly deps: readonly Cell[]
  /** Filled from a saved session instead of built. */
  readonly restored: boolean
}

/** A factory: call it with parameters (merged over the defaults) for the cell; equal parameters, same Cell. */
export interface CellFactory<P = FactoryParams> {
  (params?: Partial<P>): Cell
  readonly factoryName: string
  readonly layout: Layout
  readonly defaults: Readonly<P>
  /** The factory's build function. */
  readonly build: (cell: Cell, params: Readonly<P>) => void
  /** Absolute path of the module the factory was defined in, or null when it could not be located. */
  readonly module: string | null
  /** Why the module could not be located (then the session never restores this factory's cells), else null. */
  readonly moduleProblem: string | null
  /** How often the build function ran in this process. */
  readonly builds: number
  /** How many cells were filled from a saved session in this process. */
  readonly restores: number
  /** The `key` option as canonical JSON, or null without one. */
  readonly keyOption: string | null
  /** The cells made so far, in creation order. */
  cells(): Cell[]
  /** The cell this process made for parameters whose canonical JSON is `canon`, if any (nothing is built). */
  cellOf(canon: string): Cell | undefined
}

/** Thrown when a cell made by a factory is changed after the factory returned it. */
export class FrozenCellError extends Error {
  constructor(readonly cellName: string, readonly factoryName: string) {
    super(
      `cell ${showName(cellName)} is frozen: factory ${showName(factoryName)} made it and it cannot be changed after ` +
      'the factory returned (change it inside the build function, or build a new cell that places it)',
    )
    this.name = 'FrozenCellError'
  }
}

/** A port of a cell: where and how something connects (kfactory's Port). Coordinates and width in dbu. */
export interface Port {
  readonly name: string
  readonly x: number
  readonly y: number
  /** Direction the port faces, out of the cell: degrees counter-clockwise from +x, in [0, 360). */
  readonly angle: number
  readonly width: number
  readonly layer: LayerKey
}

export interface PortSpec {
  name: string
  x: number
  y: number
  /** Degrees counter-clockwise from +x (default 0). */
  angle?: number
  width: number
  layer: LayerSpec
}

/** The hooks a session installs (src/cache/session.ts); without them factories only memoise. */
export interface FactorySessionHooks {
  /** At a factory's first call, before anything is built: take its key from the sources as they are now. */
  prepare(factory: CellFactory<FactoryParams>): void
  /**
   * Fill `cell` from a saved session, replaying the factory calls its build made (they become its deps); return
   * null when it was filled, else why not (then the build runs).
   */
  restore(factory: CellFactory<FactoryParams>, params: Readonly<FactoryParams>, canon: string, cell: Cell): string | null
  /** `cell` was built (the reason the session did not fill it). */
  built(cell: Cell, reason: string): void
}

let hooks: FactorySessionHooks | null = null

/** @internal installs the session's hooks (src/cache/session.ts does, when it is loaded). */
export function setFactorySessionHooks(h: FactorySessionHooks | null): void {
  hooks = h
}

/** kfactory's default max_cellname_length: longer names are cut and end in a hash. */
export const MAX_CELL_NAME = 99

// ---------------------------------------------------------------------------------------------------------------
// parameters

function plainObject(v: unknown): v is Record<string, unknown> {
  if (v === null || typeof v !== 'object') return false
  const proto = Object.getPrototypeOf(v) as unknown
  return proto === Object.prototype || proto === null
}

function describe(v: unknown): string {
  if (v === undefined) return 'undefined'
  if (typeof v === 'number') return String(v)
  if (typeof v === 'function') return 'a function'
  if (typeof v === 'bigint') return 'a bigint'
  if (typeof v === 'symbol') return 'a symbol'
  const ctor = (v as { constructor?: { name?: string } }).constructor?.name
  return ctor ? `a ${ctor}` : 'an object'
}

/**
 * A validated, normalised, deep-frozen copy of a parameter value: numbers finite (-0 is 0), arrays dense, objects
 * plain with keys in `order` first, then sorted (properties set to undefined are left out, as JSON does).
 */
function normalise(v: unknown, path: string): ParamValue {
  switch (typeof v) {
    case 'number':
      if (!Number.isFinite(v)) throw new TypeError(`parameter ${path}: ${v} is not a finite number`)
      return v === 0 ? 0 : v
    case 'string':
    case 'boolean':
      return v
    default:
  }
  if (v === null) return null
  if (Array.isArray(v)) {
    const out: ParamValue[] = []
    for (let i = 0; i < v.length; i++) {
      if (!(i in v)) throw new TypeError(`parameter ${path}[${i}]: arrays with holes are not parameters`)
      if (v[i] === undefined) throw new TypeError(`parameter ${path}[${i}]: undefined is not a parameter value (use null)`)
      out.push(normalise(v[i], `${path}[${i}]`))
    }
    return Object.freeze(out)
  }
  if (plainObject(v)) {
    const out: Record<string, ParamValue> = {}
    for (const k of Object.keys(v).sort()) if (v[k] !== undefined) out[k] = normalise(v[k], `${path}.${k}`)
    return Object.freeze(out)
  }
  throw new TypeError(
    `parameter ${path}: ${describe(v)} is not a parameter value (numbers, strings, booleans, null, arrays and plain objects are)`,
  )
}

/** JSON with object keys sorted: the canonical text of a parameter value. */
export function canonicalJson(v: ParamValue): string {
  // indexed loops and no sort when the keys are in order already (mergeParams mostly gives them so): a warm
  // session's process runs this for every factory call, unoptimised
  if (v === null || typeof v !== 'object') return JSON.stringify(v)
  if (Array.isArray(v)) {
    const a = v as readonly ParamValue[]
    let s = '['
    for (let i = 0; i < a.length; i++) s += (i ? ',' : '') + canonicalJson(a[i]!)
    return s + ']'
  }
  const o = v as { readonly [key: string]: ParamValue }
  const keys = Object.keys(o)
  // insertion sort for the usual few keys: Array#sort allocates a work array on every call
  if (keys.length > 16) keys.sort()
  else for (let i = 1; i < keys.length; i++) {
    const k = keys[i]!
    let j = i - 1
    for (; j >= 0 && keys[j]! > k; j--) keys[j + 1] = keys[j]!
    keys[j + 1] = k
  }
  let s = '{'
  for (let i = 0; i < keys.length; i++) s += (i ? ',' : '') + JSON.stringify(keys[i]) + ':' + canonicalJson(o[keys[i]!]!)
  return s + '}'
}

/**
 * Parameters merged over defaults (a property given as undefined takes the default), validated and deep-frozen;
 * keys in the defaults' order, then the others sorted (the order names are made in).
 */
export function mergeParams(defaults: Readonly<FactoryParams>, params: unknown, factory: string): Readonly<FactoryParams> {
  if (params !== undefined && !plainObject(params)) {
    throw new TypeError(`factory ${showName(factory)} takes a plain object of parameters (got ${describe(params)})`)
  }
  const out: Record<string, ParamValue> = {}
  const defKeys = Object.keys(defaults)
  const given = params ? Object.keys(params) : []
  for (let i = 0; i < defKeys.length; i++) {
    const k = defKeys[i]!
    const v = params && Object.prototype.hasOwnProperty.call(params, k) && params[k] !== undefined ? params[k] : defaults[k]
    if (v !== undefined) out[k] = normalise(v, k)
  }
  let extra: string[] | null = null
  for (let i = 0; i < given.length; i++) {
    const k = given[i]!
    if (params![k] !== undefined && !Object.prototype.hasOwnProperty.call(defaults, k)) (extra ??= []).push(k)
  }
  if (extra) {
    extra.sort()
    for (let i = 0; i < extra.length; i++) out[extra[i]!] = normalise(params![extra[i]!], extra[i]!)
  }
  return Object.freeze(out)
}

// ---------------------------------------------------------------------------------------------------------------
// names (kfactory's scheme: factory name, then per parameter the first letters of its words in capitals and the
// value, `.` as `p` and `-` as `m`: straight(width: 0.5, length: 10) is straight_W0p5_L10)

/** First letters of the words of a parameter name, in capitals: taper_length and taperLength are TL. */
export function abbreviate(key: string): string {
  let a = abbreviations.get(key)
  if (a === undefined) {
    if (abbreviations.size >= 10_000) abbreviations.clear()
    abbreviations.set(key, (a = abbreviateWords(key)))
  }
  return a
}

/** abbreviate's answers (a factory's parameter names are few, and every call of it names a cell with them). */
const abbreviations = new Map<string, string>()

function abbreviateWords(key: string): string {
  const words = key.replace(/([a-z0-9])([A-Z])/g, '$1_$2').split(/[_\W]+/).filter(Boolean)
  const s = words.map((w) => w[0]!).join('').toUpperCase()
  return s || key
}

/** Characters kept in names as they are; others are mapped (`.` p, `-` m, separators _) or dropped. */
function cleanName(s: string): string {
  // one pass (it names every factory cell, and a warm run names hundreds in unoptimised code): the same as
  // s.replace(/-/g, 'm').replace(/\./g, 'p').replace(/[\s,:;/\\|]+/g, '_').replace(/[^A-Za-z0-9_$]/g, '')
  let out = ''
  let from = 0
  let inSeparators = false
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i)
    const plain = (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || (c >= 48 && c <= 57) || c === 95 || c === 36
    if (plain) {
      inSeparators = false
      continue
    }
    out += s.slice(from, i)
    from = i + 1
    if (c === 45) out += 'm'
    else if (c === 46) out += 'p'
    else if (c === 44 || c === 58 || c === 59 || c === 47 || c === 92 || c === 124 || SPACE.test(s[i]!)) {
      if (!inSeparators) out += '_'
      inSeparators = true
      continue
    }
    inSeparators = false
  }
  return from === 0 ? s : out + s.slice(from)
}

const SPACE = /\s/

function valueLabel(v: ParamValue): string {
  if (v === null) return 'None'
  if (typeof v === 'boolean') return v ? 'True' : 'False'
  if (typeof v === 'number') return cleanName(String(v))
  if (typeof v === 'string') return cleanName(v)
  if (Array.isArray(v)) return (v as readonly ParamValue[]).map(valueLabel).join('_')
  return paramsLabel(v as Readonly<FactoryParams>)
}

function paramsLabel(p: Readonly<FactoryParams>): string {
  return Object.keys(p).map((k) => `${abbreviate(k)}${valueLabel(p[k]!)}`).join('_')
}

/**
 * The name kfactory would give: `factory` alone without parameters, else `factory_<abbreviated parameters>`,
 * cut to MAX_CELL_NAME characters (the cut ones end in 8 hex digits of the full name's hash).
 */
export function factoryCellName(factory: string, params: Readonly<FactoryParams>): string {
  const label = paramsLabel(params)
  const name = label ? `${factory}_${label}` : factory
  if (name.length <= MAX_CELL_NAME) return name
  return `${name.slice(0, MAX_CELL_NAME - 9)}_${sha256Hex(name).slice(0, 8)}`
}

function sha256Hex(s: string): string {
  return createHash('sha256').update(s).digest('hex')
}

/**
 * A free name for a factory cell: the kfactory name; when a cell of that name exists (another parameter set
 * whose name came out equal, or any other cell), the name plus `_` and 8 hex digits of the hash of factory name
 * and canonical parameters (so the same parameters always get the same suffix); then `$2`, `$3`...
 */
function freeName(layout: Layout, factory: string, params: Readonly<FactoryParams>, canon: string): string {
  const base = factoryCellName(factory, params)
  if (!layout.cells.has(base)) return base
  const hashed = `${base.length > MAX_CELL_NAME - 9 ? base.slice(0, MAX_CELL_NAME - 9) : base}_${sha256Hex(`${factory}\0${canon}`).slice(0, 8)}`
  if (!layout.cells.has(hashed)) return hashed
  for (let i = 2; ; i++) if (!layout.cells.has(`${hashed}$${i}`)) return `${hashed}$${i}`
}

// ---------------------------------------------------------------------------------------------------------------
// where a factory is defined

/** laytest's own code folder (src/, dist/ or a bench build's src/): frames in it are not the user's. */
const LAYTEST_CODE = dirname(dirname(fileURLToPath(import.meta.url))) + sep

/**
 * The file a call site runs, or null (eval, new Function, REPL, native, node internals). A file URL or an
 * absolute path, as V8 has it: the file that actually ran, not where a source map points.
 */
function siteFile(site: NodeJS.CallSite): string | null {
  if (site.isEval()) return null
  const loc = site.getFileName()
  if (!loc) return null
  if (loc.startsWith('file://')) {
    try {
      return fileURLToPath(loc)
    } catch {
      return null
    }
  }
  return isAbsolute(loc) ? loc : null
}

/**
 * The call sites of the caller's stack, unformatted. Formatted stack text is not used: source maps rewrite it
 * (vitest does for every stack, Node with --enable-source-maps), and a frame of laytest's dist/ then reads as
 * laytest's src/*.ts, which is not laytest's running code — taken for the user's module, the factory's key would
 * miss the user's edits.
 */
function callSites(): NodeJS.CallSite[] {
  const prepare = Error.prepareStackTrace
  const limit = Error.stackTraceLimit
  try {
    Error.stackTraceLimit = 64
    Error.prepareStackTrace = (_e, sites) => sites
    const holder: { stack?: unknown } = {}
    Error.captureStackTrace(holder, callSites)
    const sites = holder.stack
    return Array.isArray(sites) ? (sites as NodeJS.CallSite[]) : []
  } finally {
    Error.prepareStackTrace = prepare
    Error.stackTraceLimit = limit
  }
}

function isFile(p: string): boolean {
  try {
    return statSync(p).isFile()
  } catch {
    return false
  }
}

/** The module that called into laytest, from the call stack: the first frame outside laytest's code. */
function callerModule(): { module: string | null; problem: string | null } {
  for (const site of callSites()) {
    const file = siteFile(site)
    if (file && file.startsWith(LAYTEST_CODE)) continue
    if (!file) {
      const frame = String(site)
      return { module: null, problem: `it is defined in code without a source file (${frame.length > 77 ? `${frame.slice(0, 76)}…` : frame}; eval, new Function or a REPL?)` }
    }
    if (!isFile(file)) return { module: null, problem: `its caller's file ${file} does not exist` }
    return { module: file, problem: null }
  }
  return { module: null, problem: 'no caller outside laytest in the call stack' }
}

function moduleFromOption(m: string | URL): { module: string | null; problem: string | null } {
  let file: string
  try {
    file = m instanceof URL || m.startsWith('file:') ? fileURLToPath(m) : resolve(m)
  } catch {
    return { module: null, problem: `option module ${String(m)} is not a file path or file URL` }
  }
  return existsSync(file) && isFile(file) ? { module: file, problem: null } : { module: null, problem: `option module: ${file} does not exist` }
}

// ---------------------------------------------------------------------------------------------------------------
// factories

interface Frame {
  cell: Cell
  deps: Cell[]
  seen: Set<Cell>
}

/** Builds and restores in progress (across layouts: a build may call another layout's factories). */
const frames: Frame[] = []

/** @internal records that the build or restore in progress used `cell` (as a call of its factory does). */
export function noteFactoryUse(cell: Cell): void {
  noteUse(cell)
}

function noteUse(cell: Cell): void {
  const f = frames[frames.length - 1]
  if (!f || f.cell === cell || f.seen.has(cell)) return
  f.seen.add(cell)
  f.deps.push(cell)
}

/** Every live factory by layout name and factory name (weakly: a dropped layout's factories are not kept). */
const registry = new Map<string, Array<WeakRef<CellFactory<FactoryParams>>>>()

function registryKey(layoutName: string, factory: string): string {
  return `${layoutName}\0${factory}`
}

/** @internal the live factories of that layout name and factory name (several when several layouts share a name). */
export function liveFactories(layoutName: string, factory: string): Array<CellFactory<FactoryParams>> {
  const refs = registry.get(registryKey(layoutName, factory))
  if (!refs) return []
  const out: Array<CellFactory<FactoryParams>> = []
  for (const r of refs) {
    const f = r.deref()
    if (f && f.layout.name === layoutName) out.push(f)
  }
  return out
}

const factoryLayouts: Array<WeakRef<Layout>> = []

/** @internal layouts (still alive) that have factories, in the order their first factory was made. */
export function layoutsWithFactories(): Layout[] {
  const out: Layout[] = []
  for (let i = 0; i < factoryLayouts.length; i++) {
    const l = factoryLayouts[i]!.deref()
    if (l) out.push(l)
    else factoryLayouts.splice(i--, 1)
  }
  return out
}

/** @internal implementation of Layout.factory. */
export function createFactory<P extends ParamsOf<P>>(
  layout: Layout,
  name: string,
  build: (cell: Cell, params: Readonly<P>) => void,
  defaults: P | undefined,
  opts: FactoryOptions,
  registered: Map<string, CellFactory<FactoryParams>>,
): CellFactory<P> {
  if (typeof name !== 'string' || name === '') throw new TypeError('a factory needs a name (a non-empty string)')
  if (typeof build !== 'function') throw new TypeError(`factory ${showName(name)}: build must be a function (cell, params) => void`)
  if (registered.has(name)) throw new Error(`layout ${showName(layout.name)} has a factory named ${showName(name)} already`)
  if (defaults !== undefined && !plainObject(defaults)) throw new TypeError(`factory ${showName(name)}: defaults must be a plain object (got ${describe(defaults)})`)
  // the defaults' own order is the order of the name's parts (kfactory: the signature's order)
  const defs: Readonly<FactoryParams> = Object.freeze(Object.fromEntries(
    Object.entries(defaults ?? {}).filter(([, v]) => v !== undefined).map(([k, v]) => [k, normalise(v, k)]),
  ))
  const where = opts.module !== undefined ? moduleFromOption(opts.module) : callerModule()
  const keyOption = opts.key === undefined ? null : canonicalJson(normalise(opts.key, `${name} key`))
  const memo = new Map<string, Cell>()
  const made: Cell[] = []
  const inProgress = new Set<string>()
  let prepared = false
  let builds = 0
  let restores = 0

  const call = (params?: Partial<P>): Cell => {
    const merged = mergeParams(defs, params, name)
    const canon = canonicalJson(merged)
    const hit = memo.get(canon)
    if (hit) {
      noteUse(hit)
      return hit
    }
    if (inProgress.has(canon)) {
      throw new Error(`factory ${showName(name)} called itself with the same parameters (${factoryCellName(name, merged)}) while building that cell`)
    }
    if (!prepared) {
      prepared = true
      hooks?.prepare(factory as unknown as CellFactory<FactoryParams>)
    }
    const cellName = freeName(layout, name, merged, canon)
    const cell = layout.newCell(cellName)
    const frame: Frame = { cell, deps: [], seen: new Set() }
    frames.push(frame)
    inProgress.add(canon)
    let reason: string | null = 'no session loaded'
    try {
      if (hooks) reason = hooks.restore(factory as unknown as CellFactory<FactoryParams>, merged, canon, cell)
      if (reason !== null) {
        frame.deps.length = 0
        frame.seen.clear()
        builds++
        build(cell, merged as Readonly<P>)
      }
      if (cell.name !== cellName || layout.cells.get(cellName) !== cell) {
        throw new Error(`the build of factory ${showName(name)} renamed or removed its cell ${showName(cellName)} (factories name their cells)`)
      }
    } catch (e) {
      discard(layout, cell)
      throw e
    } finally {
      frames.pop()
      inProgress.delete(canon)
    }
    // factory cells placed without being called by this build (made earlier) are dependencies too
    for (const inst of cell.instances) {
      if (inst.cell.factoryInfo && !frame.seen.has(inst.cell)) {
        frame.seen.add(inst.cell)
        frame.deps.push(inst.cell)
      }
    }
    cell._setFactoryInfo({ factory: factory as unknown as CellFactory<FactoryParams>, params: merged, canon, deps: Object.freeze(frame.deps), restored: reason === null })
    cell._freeze(name)
    memo.set(canon, cell)
    made.push(cell)
    if (reason === null) restores++
    else hooks?.built(cell, reason)
    noteUse(cell)
    return cell
  }

  const factory = Object.defineProperties(call, {
    factoryName: { value: name, enumerable: true },
    layout: { value: layout, enumerable: true },
    defaults: { value: defs, enumerable: true },
    build: { value: build, enumerable: true },
    module: { value: where.module, enumerable: true },
    moduleProblem: { value: where.problem, enumerable: true },
    builds: { get: () => builds, enumerable: true },
    restores: { get: () => restores, enumerable: true },
    keyOption: { value: keyOption, enumerable: true },
    cells: { value: () => [...made] },
    cellOf: { value: (canon: string) => memo.get(canon) },
  }) as unknown as CellFactory<P>
  registered.set(name, factory as unknown as CellFactory<FactoryParams>)
  const key = registryKey(layout.name, name)
  const refs = registry.get(key) ?? []
  registry.set(key, refs.filter((r) => r.deref() !== undefined).concat(new WeakRef(factory as unknown as CellFactory<FactoryParams>)))
  if (registered.size === 1) factoryLayouts.push(new WeakRef(layout))
  return factory
}

/** A cell whose build failed: removed from its layout unless something places it already. */
function discard(layout: Layout, cell: Cell): void {
  for (const c of layout.cells.values()) for (const i of c.instances) if (i.cell === cell) return
  if (layout.cells.get(cell.name) === cell) {
    layout.cells.delete(cell.name)
    layout.touch()
  }
}

// ---------------------------------------------------------------------------------------------------------------
// ports

function checkInt(what: string, v: number): void {
  if (!Number.isInteger(v) || v < -2147483648 || v > 2147483647) throw new RangeError(`${what} must be a 32-bit integer in database units (got ${v})`)
}

function normAngle(a: number): number {
  const r = ((a % 360) + 360) % 360
  return r === 360 || Object.is(r, -0) ? 0 : r
}

/** @internal a validated port (Cell.addPort). */
export function makePort(spec: PortSpec, cellName: string): Port {
  if (!spec || typeof spec !== 'object') throw new TypeError(`port of ${showName(cellName)}: expected { name, x, y, angle, width, layer }`)
  if (typeof spec.name !== 'string' || spec.name === '') throw new TypeError(`port of ${showName(cellName)}: a port needs a name (a non-empty string)`)
  const what = `port ${showName(spec.name)} of ${showName(cellName)}`
  checkInt(`${what}: x`, spec.x)
  checkInt(`${what}: y`, spec.y)
  checkInt(`${what}: width`, spec.width)
  if (!(spec.width > 0)) throw new RangeError(`${what}: width must be positive (got ${spec.width})`)
  const angle = spec.angle ?? 0
  if (!Number.isFinite(angle)) throw new RangeError(`${what}: angle must be a finite number of degrees (got ${angle})`)
  return Object.freeze({ name: spec.name, x: spec.x, y: spec.y, angle: normAngle(angle), width: spec.width, layer: toLayerKey(spec.layer) })
}

/** A port moved by a placement (coordinates rounded to the grid, width scaled by the magnification). */
export function transformPort(port: Port, p: Placement): Port {
  const t = placementAffine(p)
  return Object.freeze({
    name: port.name,
    x: roundCoord(t.a * port.x + t.b * port.y + t.tx),
    y: roundCoord(t.c * port.x + t.d * port.y + t.ty),
    angle: normAngle((p.mirror ? -port.angle : port.angle) + p.rotation),
    width: roundCoord(port.width * p.mag),
    layer: port.layer,
  })
}

/**
 * A port of a placed cell in the parent's coordinates (kfactory's `instance.ports[name]`); for an array, of the
 * member [column, row] (default the first).
 */
export function portOf(inst: Instance, name: string, member: [number, number] = [0, 0]): Port {
  const port = inst.cell.port(name)
  const p = inst.placement
  if (!inst.array) return transformPort(port, p)
  const [i, j] = member
  const a = inst.array
  if (!(Number.isInteger(i) && Number.isInteger(j) && i >= 0 && j >= 0 && i < a.cols && j < a.rows)) {
    throw new RangeError(`member [${i}, ${j}] is outside the ${a.cols} x ${a.rows} array`)
  }
  return transformPort(port, { ...p, x: p.x + i * a.colX + j * a.rowX, y: p.y + i * a.colY + j * a.rowY })
}

/**
 * The placement that puts `port` (of the cell to place) onto `target` (in the parent), facing it: the placed
 * port's angle is the target's plus 180 degrees. Exact for multiples of 90 degrees; other angles round to the grid.
 *
 *   parent.place(bend, connectTo(bend.port('o1'), portOf(wg, 'o2')))
 */
export function connectTo(port: Port, target: Port, opts: { mirror?: boolean } = {}): PlaceOptions {
  const mirror = !!opts.mirror
  const rotation = normAngle(target.angle + 180 - (mirror ? -port.angle : port.angle))
  const [cos, sin] = cosSinDeg(rotation)
  const py = mirror ? -port.y : port.y
  return {
    x: roundCoord(target.x - (cos * port.x - sin * py)),
    y: roundCoord(target.y - (sin * port.x + cos * py)),
    rotation,
    mirror,
  }
}
