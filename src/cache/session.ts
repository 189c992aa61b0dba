import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { hostname } from 'node:os'
import { join, resolve, sep } from 'node:path'
import { gunzipSync, gzipSync } from 'node:zlib'
import {
  layoutsWithFactories, liveFactories, noteFactoryUse, setFactorySessionHooks,
  type CellFactory, type FactoryParams, type ParamValue, type Port,
} from '../layout/factory.js'
import { showName } from '../gds/names.js'
import { readLayout, writeFileAtomic, writeLayout } from '../layout/gdsio.js'
import { cellHash } from '../layout/hash.js'
import { datatypeOf, layerOf } from '../layout/layers.js'
import { Layout, type Cell } from '../layout/layout.js'
import { encodeSnapshot, readSnapshot, type Snapshot, type SnapshotCell } from '../layout/snapshot.js'
import { explainChange, factoryKey, type FactoryKey, type FactoryVersion } from './factory-keys.js'
import { defaultCacheDir, sha256 } from './store.js'

/*
 * Sessions for scripts, like kfactory's save_session / load_session, in two parts:
 *
 * - Factory cells (layout.factory, src/layout/factory.ts): `loadSession()` reads the index of every saved layout;
 *   a factory's call then restores the cell from the session instead of building it when the factory's key
 *   (factory-keys.ts: its build function, its module and every local module that imports, transitively,
 *   packages by version, laytest's version) and the cell keys of every factory cell its build used are those
 *   it was saved with. Anything else is built again, and says why. `saveSession()` writes the factory cells.
 *   Files, per layout: <dir>/factories/<layout>/index.json and cells-<sha>.ltsnap packs (docs/session.md).
 * - Whole layouts (`saveSession({ layouts })`): <dir>/layouts/<layout name>/cells.gds.gz with an index of their
 *   content hashes; `loadSession()` returns them by name.
 */

export interface SessionOptions {
  /** Default: the session cache folder (build/session/laytest, or LAYTEST_SESSION_DIR). */
  dir?: string
}

export interface SaveSessionOptions extends SessionOptions {
  /** Also save these layouts whole (read back by loadSession's result); their factory cells are saved either way. */
  layouts?: Layout[]
  /** Save only what this cell needs (it and the cells below it, and the factory cells their builds used: kfactory's save_session(c=...)). */
  only?: Cell
}

export interface LoadSessionOptions extends SessionOptions {
  /** Say so on stderr when there is no saved session (default false: a first run is silent). */
  warnMissingDir?: boolean
}

/** One factory cell of this process: restored from the session, or built (and why). */
export interface SessionCellRecord {
  layout: string
  factory: string
  cell: string
  outcome: 'restored' | 'built'
  reason?: string
}

export interface SessionReport {
  /** The session folder loaded, or null. */
  dir: string | null
  restored: number
  built: number
  cells: SessionCellRecord[]
}

// ---------------------------------------------------------------------------------------------------------------
// formats

const FACTORIES = 'factories'
const RUNS = 'runs'
const KEEP_RUNS = 20
/** Packs no index refers to are removed once they are this old (a process that read an older index may still want them). */
const PACK_GRACE_MS = 60_000
/** A lock older than this is taken over (its owner died without removing it). */
const LOCK_STALE_MS = 30_000
const LOCK_WAIT_MS = 15_000
const MAX_RECORDS = 100_000
/**
 * A pack of saved cells: a layout snapshot (src/layout/snapshot.ts: decoded without parsing, where a warm run's
 * fresh process spent most of its restoring time parsing gzipped GDSII), named by its content.
 */
const PACK_FILE = /^cells-[0-9a-f]{16}\.ltsnap$/
/** Files the garbage collector removes when no index refers to them: packs, and the `.gds.gz` packs of earlier versions. */
const OLD_OR_NEW_PACK = /^cells-[0-9a-f]{16}\.(ltsnap|gds\.gz)$/

interface PortRecord {
  name: string
  x: number
  y: number
  angle: number
  width: number
  layer: [number, number]
}

interface DepRecord {
  layout: string
  factory: string
  params: string
  cellKey: string
}

interface EntryRecord {
  factory: string
  /** Canonical parameters. */
  params: string
  /** Name the cell had when saved (a restored cell is named by this run's calls). */
  name: string
  /** The factory's key when the cell was built. */
  key: string
  cellKey: string
  deps: DepRecord[]
  ports: PortRecord[]
  pack: string
  /** The cell's name inside the pack. */
  cell: string
}

interface PackRecord {
  sha256: string
  cells: number
  bytes: number
}

interface SessionIndex {
  layout: string
  dbu: number
  metersPerDbu: number
  factories: Record<string, FactoryVersion>
  packs: Record<string, PackRecord>
  entries: EntryRecord[]
}

const isStr = (v: unknown): v is string => typeof v === 'string'

/** An entry as the index holds it (the index is checksummed; this guards against a format of another version). */
function validEntry(e: EntryRecord): boolean {
  return !!e && isStr(e.factory) && isStr(e.params) && isStr(e.name) && isStr(e.key) && isStr(e.cellKey) && isStr(e.pack) &&
    isStr(e.cell) && /^E\d+$/.test(e.cell) && Array.isArray(e.ports) && Array.isArray(e.deps) &&
    e.deps.every((d) => d && isStr(d.layout) && isStr(d.factory) && isStr(d.params) && isStr(d.cellKey)) &&
    e.ports.every((p) => p && isStr(p.name) && Array.isArray(p.layer) && p.layer.length === 2)
}

/*
 * index.json: a header line `laytest-factory-session v2 <sha256 of the body> <bytes>`, then the body, JSON. v2
 * writes entries as arrays and a dependency that is an entry of the same index by its position (a warm run reads
 * the index first thing, in a fresh process: v1's objects with a 64-hex key per dependency were 3x the bytes and
 * most of the garbage collected while restoring). v1 is still read.
 *
 * v2 body: { layout, dbu, metersPerDbu, factories, packs, keys: [factory key], packList: [pack file],
 *   entries: [[factory, params, name, key (keys index), cellKey, deps, ports, pack (packList index), cell]] }
 * a dependency: i (entry i of this index, with its cell key) | [i, cellKey] | [layout, factory, params, cellKey];
 * a port: [name, x, y, angle, width, layer, datatype].
 */
const INDEX_MAGIC = 'laytest-factory-session v2'
const INDEX_MAGIC_V1 = 'laytest-factory-session v1'

type DepV2 = number | [number, string] | [string, string, string, string]
type PortV2 = [string, number, number, number, number, number, number]
type EntryV2 = [string, string, string, number, string, DepV2[], PortV2[], number, string]

interface IndexBodyV2 extends Omit<SessionIndex, 'entries'> {
  keys: string[]
  packList: string[]
  entries: EntryV2[]
}

function encodeIndex(index: SessionIndex): string {
  const keys: string[] = [], packList: string[] = []
  const keyAt = new Map<string, number>(), packAt = new Map<string, number>()
  const intern = (s: string, list: string[], at: Map<string, number>): number => {
    let i = at.get(s)
    if (i === undefined) at.set(s, (i = list.push(s) - 1))
    return i
  }
  const position = new Map<string, number>()
  index.entries.forEach((e, i) => position.set(entryId(e.factory, e.params), i))
  const entries = index.entries.map((e): EntryV2 => {
    const deps = e.deps.map((d): DepV2 => {
      const i = d.layout === index.layout ? position.get(entryId(d.factory, d.params)) : undefined
      if (i === undefined) return [d.layout, d.factory, d.params, d.cellKey]
      return index.entries[i]!.cellKey === d.cellKey ? i : [i, d.cellKey]
    })
    const ports = e.ports.map((p): PortV2 => [p.name, p.x, p.y, p.angle, p.width, p.layer[0], p.layer[1]])
    return [e.factory, e.params, e.name, intern(e.key, keys, keyAt), e.cellKey, deps, ports, intern(e.pack, packList, packAt), e.cell]
  })
  const v2: IndexBodyV2 = { layout: index.layout, dbu: index.dbu, metersPerDbu: index.metersPerDbu, factories: index.factories, packs: index.packs, keys, packList, entries }
  const body = JSON.stringify(v2)
  return `${INDEX_MAGIC} ${sha256(body)} ${Buffer.byteLength(body)}\n${body}\n`
}

/** The index, or why it cannot be used (then nothing of that layout is restored, and a save replaces it). */
function decodeIndex(text: string): SessionIndex | string {
  const nl = text.indexOf('\n')
  const m = /^(.*) ([0-9a-f]{64}) (\d+)$/.exec(nl > 0 ? text.slice(0, nl) : '')
  if (!m) return 'index.json has no laytest header'
  if (m[1] !== INDEX_MAGIC && m[1] !== INDEX_MAGIC_V1) return `index.json is of another format (${m[1]!.slice(0, 40)})`
  const body = text.slice(nl + 1).replace(/\n$/, '')
  if (Buffer.byteLength(body) !== Number(m[3]) || sha256(body) !== m[2]) return 'index.json fails its checksum'
  let ix: SessionIndex | IndexBodyV2
  try {
    ix = JSON.parse(body) as SessionIndex | IndexBodyV2
  } catch {
    return 'index.json is not JSON'
  }
  if (!ix || !Array.isArray(ix.entries) || !ix.factories || typeof ix.factories !== 'object' || !ix.packs || typeof ix.packs !== 'object' || !isStr(ix.layout)) {
    return 'index.json is incomplete'
  }
  if (m[1] === INDEX_MAGIC_V1) {
    const v1 = ix as SessionIndex
    return { ...v1, entries: v1.entries.filter(validEntry) }
  }
  const v2 = ix as IndexBodyV2
  if (!Array.isArray(v2.keys) || !Array.isArray(v2.packList)) return 'index.json is incomplete'
  return { layout: v2.layout, dbu: v2.dbu, metersPerDbu: v2.metersPerDbu, factories: v2.factories, packs: v2.packs, entries: expandEntries(v2) }
}

/** The entries of a v2 body as records; one of another shape is left out (its cell is built). */
function expandEntries(v2: IndexBodyV2): EntryRecord[] {
  const raw = v2.entries
  const out: Array<EntryRecord | null> = new Array<EntryRecord | null>(raw.length).fill(null)
  // the entries themselves first: dependencies refer to them by position
  for (let i = 0; i < raw.length; i++) {
    const r = raw[i]
    if (!Array.isArray(r) || r.length !== 9) continue
    const key = v2.keys[r[3]], pack = v2.packList[r[7]]
    if (!isStr(r[0]) || !isStr(r[1]) || !isStr(r[2]) || !isStr(key) || !isStr(r[4]) || !Array.isArray(r[5]) || !Array.isArray(r[6]) || !isStr(pack) ||
      !isStr(r[8]) || !/^E\d+$/.test(r[8])) continue
    out[i] = { factory: r[0], params: r[1], name: r[2], key, cellKey: r[4], deps: [], ports: [], pack, cell: r[8] }
  }
  const kept: EntryRecord[] = []
  for (let i = 0; i < raw.length; i++) {
    const e = out[i]
    if (!e) continue
    const deps = raw[i]![5], ports = raw[i]![6]
    let ok = true
    for (let j = 0; j < deps.length && ok; j++) {
      const d = deps[j]!
      const at = typeof d === 'number' ? d : Array.isArray(d) && d.length === 2 && typeof d[0] === 'number' ? d[0] : -1
      if (at !== -1) {
        const t = out[at]
        const cellKey = typeof d === 'number' ? t?.cellKey : d[1]
        if (t && isStr(cellKey)) e.deps.push({ layout: v2.layout, factory: t.factory, params: t.params, cellKey })
        else ok = false
      } else if (Array.isArray(d) && d.length === 4 && d.every(isStr)) e.deps.push({ layout: d[0], factory: d[1], params: d[2], cellKey: d[3] as string })
      else ok = false
    }
    for (let j = 0; j < ports.length && ok; j++) {
      const p = ports[j]
      if (Array.isArray(p) && p.length === 7 && isStr(p[0])) e.ports.push({ name: p[0], x: p[1], y: p[2], angle: p[3], width: p[4], layer: [p[5], p[6]] })
      else ok = false
    }
    if (ok) kept.push(e)
  }
  return kept
}

function folderName(name: string): string {
  const plain = name.replace(/[^A-Za-z0-9._-]+/g, '_').slice(0, 60) || 'layout'
  return plain === name ? name : `${plain}-${sha256(name).slice(0, 8)}`
}

function entryId(factory: string, params: string): string {
  return `${factory}\0${params}`
}

// ---------------------------------------------------------------------------------------------------------------
// in-process state

interface LoadedLayout {
  dir: string
  /** The index file's stat when it was read: a save reuses the parsed index while the file is unchanged. */
  identity: string | null
  index: SessionIndex | null
  problem: string | null
  entries: Map<string, EntryRecord>
  /** Packs decoded for this load, by file name (restore asks once per cell: no path joined each time). */
  decoded: Map<string, DecodedPack>
}

interface Loaded {
  root: string
  layouts: Map<string, LoadedLayout>
}

let active: Loaded | null = null
const keys = new WeakMap<CellFactory<FactoryParams>, FactoryKey>()
const cellKeys = new WeakMap<Cell, string | null>()
const unsavable = new WeakMap<Cell, string>()
const warned = new WeakSet<CellFactory<FactoryParams>>()
let records: SessionCellRecord[] = []
let restoredCount = 0
let builtCount = 0

interface DecodedPack {
  sha: string
  cells: Map<string, SnapshotCell>
  taken: Set<string>
}
const packs = new Map<string, DecodedPack>()
/** Packs found damaged or missing in this process: the next save writes their cells again. */
const damagedPacks = new Set<string>()

function keyOf(f: CellFactory<FactoryParams>): FactoryKey {
  let k = keys.get(f)
  if (!k) {
    k = factoryKey(f)
    keys.set(f, k)
  }
  return k
}

function warnUnlocated(f: CellFactory<FactoryParams>, k: FactoryKey): void {
  if (k.key !== null || warned.has(f)) return
  warned.add(f)
  process.stderr.write(
    `laytest: factory ${f.factoryName} (layout ${f.layout.name}): ${k.problem}; its cells are built every run, never restored from the session. ` +
    (f.module ? 'Import local code by a path, a tsconfig path, a package.json import (#x) or a workspace package.\n' : 'Pass { module: import.meta.url } as the 4th argument of layout.factory.\n'),
  )
}

function record(r: SessionCellRecord): void {
  if (r.outcome === 'restored') restoredCount++
  else builtCount++
  if (records.length < MAX_RECORDS) records.push(r)
}

/**
 * The key of a factory cell's content: its factory's key, its parameters, the layout's units and the cell keys of
 * every factory cell its build used. Null when it cannot be saved (its factory's module is unknown, it places a
 * cell no factory made, or a dependency cannot be saved); `unsavable` says why.
 */
export function cellKeyOf(cell: Cell): string | null {
  const known = cellKeys.get(cell)
  if (known !== undefined) return known
  const info = cell.factoryInfo
  let key: string | null = null
  let why: string | null = null
  if (!info) why = `${cell.name} was not made by a factory`
  else {
    const fk = keyOf(info.factory)
    if (fk.key === null) why = `factory ${info.factory.factoryName} has no key: ${fk.problem}`
    const plain = cell.instances.find((i) => !i.cell.factoryInfo)
    if (!why && plain) why = `it places ${plain.cell.name}, which no factory made`
    const deps: Array<[string, string, string, string]> = []
    for (const d of why ? [] : info.deps) {
      const dk = cellKeyOf(d)
      if (dk === null) {
        why = `it uses ${d.name}, which cannot be saved (${unsavable.get(d) ?? '?'})`
        break
      }
      deps.push([d.layout.name, d.factoryInfo!.factory.factoryName, d.factoryInfo!.canon, dk])
    }
    if (!why) key = sha256(JSON.stringify(['laytest-cell', 1, fk.key, cell.layout.dbu, cell.layout.metersPerDbu, info.canon, deps]))
  }
  cellKeys.set(cell, key)
  if (why) unsavable.set(cell, why)
  return key
}

// ---------------------------------------------------------------------------------------------------------------
// restoring (the hooks the factories call)

function loadPack(ll: LoadedLayout, name: string, fresh: boolean): DecodedPack | string {
  const hit = fresh ? undefined : ll.decoded.get(name)
  if (hit) return hit
  const rec = ll.index!.packs[name]
  if (!rec || !PACK_FILE.test(name)) return `pack ${name} is not in the index`
  const path = join(ll.dir, name)
  const known = packs.get(path)
  if (known && known.sha === rec.sha256 && !fresh) {
    ll.decoded.set(name, known)
    return known
  }
  let bytes: Buffer
  try {
    bytes = readFileSync(path)
  } catch {
    damagedPacks.add(path)
    return `${name} is missing`
  }
  if (sha256(bytes) !== rec.sha256) {
    damagedPacks.add(path)
    return `${name} fails its checksum`
  }
  let snapshot: Snapshot
  try {
    snapshot = readSnapshot(bytes)
  } catch (e) {
    damagedPacks.add(path)
    return `${name} cannot be read (${e instanceof Error ? e.message.slice(0, 120) : String(e)})`
  }
  damagedPacks.delete(path)
  const p: DecodedPack = { sha: rec.sha256, cells: new Map(snapshot.cells.map((c) => [c.name, c])), taken: new Set() }
  packs.set(path, p)
  ll.decoded.set(name, p)
  return p
}

function portOfRecord(r: PortRecord): { name: string; x: number; y: number; angle: number; width: number; layer: [number, number] } {
  return { name: r.name, x: r.x, y: r.y, angle: r.angle, width: r.width, layer: [r.layer[0], r.layer[1]] }
}

/** The factory of a saved dependency; of another layout: the latest layout of that name (the key decides). */
function depFactory(layout: Layout, d: DepRecord): CellFactory<FactoryParams> | undefined {
  return d.layout === layout.name ? layout.factories.get(d.factory) : liveFactories(d.layout, d.factory).at(-1)
}

/** Longest chain of saved dependencies followed by expectedCellKey (a longer one is rebuilt, not followed). */
const MAX_DEP_DEPTH = 1000

/**
 * The cell key calling `f` with the canonical parameters `canon` would give in this run, decided without calling
 * it where the session can tell: the cell's own when this process made it already, the saved entry's when that
 * entry would be restored; false when it is known to differ (its factory changed, or a dependency did); null when
 * only building can tell (no saved entry: e.g. its layout was not saved; the caller builds it to compare).
 */
function expectedCellKey(f: CellFactory<FactoryParams>, canon: string, depth: number): string | false | null {
  const made = f.cellOf(canon)
  if (made) return cellKeyOf(made)
  const known = expectedKeys.get(f)?.get(canon)
  if (known !== undefined) return known
  const k = expectedCellKeyOfEntry(f, canon, depth)
  if (typeof k === 'string') {
    let m = expectedKeys.get(f)
    if (!m) expectedKeys.set(f, (m = new Map()))
    m.set(canon, k)
  }
  return k
}

/**
 * expectedCellKey's answers that say the saved cell would be restored, per factory and canonical parameters, for
 * the session loaded: each cell's dependencies are checked once, not again at every level above it. (A cell that
 * is then built after all, from a damaged pack, gets the same cell key: the key is made of factory keys and
 * parameters, not of content; and restore compares every dependency's actual key before it uses a saved cell.)
 */
let expectedKeys = new WeakMap<CellFactory<FactoryParams>, Map<string, string>>()

function expectedCellKeyOfEntry(f: CellFactory<FactoryParams>, canon: string, depth: number): string | false | null {
  const fk = keyOf(f)
  const ll = active?.layouts.get(f.layout.name)
  if (fk.key === null) return false // never saved, so not what was saved
  if (!ll?.index || ll.problem || depth > MAX_DEP_DEPTH) return null
  if (ll.index.dbu !== f.layout.dbu || ll.index.metersPerDbu !== f.layout.metersPerDbu) return false
  const e = ll.entries.get(entryId(f.factoryName, canon))
  if (!e) return null
  if (e.key !== fk.key) return false
  let unknown = false
  for (const d of e.deps) {
    const dep = depFactory(f.layout, d)
    if (!dep) return false
    const k = expectedCellKey(dep, d.params, depth + 1)
    if (k === false || (k !== null && k !== d.cellKey)) return false
    if (k === null) unknown = true
  }
  return unknown ? null : e.cellKey
}

/** A dependency's cell name for messages: the saved one, else the factory's name with its parameters. */
function savedName(f: CellFactory<FactoryParams>, canon: string): string {
  return active?.layouts.get(f.layout.name)?.entries.get(entryId(f.factoryName, canon))?.name ?? `${f.factoryName}(${canon.slice(0, 60)})`
}

function restore(f: CellFactory<FactoryParams>, _params: Readonly<FactoryParams>, canon: string, cell: Cell): string | null {
  if (!active) return 'no session loaded'
  const fk = keyOf(f)
  if (fk.key === null) {
    warnUnlocated(f, fk)
    return `it has no key: ${fk.problem}`
  }
  const layout = f.layout
  const ll = active.layouts.get(layout.name)
  if (!ll) return 'not in the session'
  if (ll.problem || !ll.index) return `session index damaged (${ll.problem})`
  if (ll.index.dbu !== layout.dbu || ll.index.metersPerDbu !== layout.metersPerDbu) return `saved with another database unit (${ll.index.dbu})`
  const e = ll.entries.get(entryId(f.factoryName, canon))
  if (!e) return 'not in the session'
  if (e.key !== fk.key) {
    const old = ll.index.factories[e.key]
    return old ? explainChange(old, fk.version) : 'its factory changed'
  }
  // the calls its build made, made again (restored or built: they are cells of this run either way) — each only
  // once it is known to give the saved cell: a call made just to compare would leave a cell that nothing places
  // (an extra top cell in the output) whenever the dependency changed
  const live: Cell[] = []
  // indexed loops here: a warm run restores every cell once, in code not yet optimised (an iterator per loop)
  for (let i = 0; i < e.deps.length; i++) {
    const d = e.deps[i]!
    const dep = depFactory(layout, d)
    if (!dep) return `it uses factory ${d.factory}${d.layout === layout.name ? '' : ` of layout ${d.layout}`}, which is not defined (yet) in this run`
    const expected = expectedCellKey(dep, d.params, 0)
    if (expected === false || (expected !== null && expected !== d.cellKey)) return `it uses ${savedName(dep, d.params)} (factory ${d.factory}), which changed`
    // made already in this run: the cell a call would return (without parsing and merging its parameters again)
    let c = dep.cellOf(d.params)
    if (c) noteFactoryUse(c)
    else {
      let params: unknown
      try {
        params = JSON.parse(d.params)
      } catch {
        return 'entry damaged (parameters of a dependency)'
      }
      c = dep(params as Partial<FactoryParams>)
    }
    if (cellKeyOf(c) !== d.cellKey) return `it uses ${c.name} (factory ${d.factory}), which changed`
    live.push(c)
  }
  // the stored cell: everything checked before anything is moved into `cell`
  let pack = loadPack(ll, e.pack, false)
  if (typeof pack !== 'string' && pack.taken.has(e.cell)) pack = loadPack(ll, e.pack, true)
  if (typeof pack === 'string') return `entry damaged: ${pack}`
  const src = pack.cells.get(e.cell)
  if (!src) return `entry damaged: ${e.cell} is missing from ${e.pack}`
  const children: Cell[] = []
  for (let i = 0; i < src.instances.length; i++) {
    const inst = src.instances[i]!
    const child = live[inst.cell]
    if (!child || child.layout !== layout) return `entry damaged: ${e.cell} places dependency ${inst.cell}, which it does not have`
    children.push(child)
  }
  pack.taken.add(e.cell)
  for (let i = 0; i < src.layers.length; i++) cell.layers.set(src.layers[i]![0], src.layers[i]![1])
  src.layers.length = 0
  if (src.texts.length) cell.texts.push(...src.texts)
  if (src.nodes.length) cell.nodes.push(...src.nodes)
  layout.touch()
  for (let i = 0; i < src.instances.length; i++) cell.addInstance({ ...src.instances[i]!, cell: children[i]! })
  for (let i = 0; i < e.ports.length; i++) cell.addPort(portOfRecord(e.ports[i]!))
  // the cell key cellKeyOf would compute (a hash per cell, most of a warm run's hashing): the same factory key,
  // units and parameters, and its dependencies, in this order, are `live`, each with the cell key saved (checked above)
  cellKeys.set(cell, e.cellKey)
  record({ layout: layout.name, factory: f.factoryName, cell: cell.name, outcome: 'restored' })
  return null
}

setFactorySessionHooks({
  prepare(f) {
    keyOf(f)
  },
  restore,
  built(cell, reason) {
    const info = cell.factoryInfo!
    if (active) record({ layout: cell.layout.name, factory: info.factory.factoryName, cell: cell.name, outcome: 'built', reason })
    else builtCount++
  },
})

/** What this process's factories restored from the session and built (and why), since the last loadSession. */
export function sessionReport(): SessionReport {
  return { dir: active?.root ?? null, restored: restoredCount, built: builtCount, cells: [...records] }
}

// ---------------------------------------------------------------------------------------------------------------
// loading

function rootOf(opts: SessionOptions): string {
  return resolve(opts.dir ?? active?.root ?? defaultCacheDir())
}

function indexIdentity(dir: string): string | null {
  try {
    const st = statSync(join(dir, 'index.json'), { bigint: true })
    return `${st.size}:${st.mtimeNs}:${st.ctimeNs}:${st.ino}`
  } catch {
    return null
  }
}

function readIndexAt(dir: string): SessionIndex | string {
  let text: string
  try {
    text = readFileSync(join(dir, 'index.json'), 'utf8')
  } catch {
    return 'index.json is missing'
  }
  return decodeIndex(text)
}

/**
 * The index as it is now, for a save (under the lock): the one loadSession parsed when the file has not changed
 * since (same size, mtime, ctime, inode: every write replaces the file by a rename, which makes a new inode), else
 * read again.
 */
function currentIndex(dir: string): SessionIndex | string {
  const id = indexIdentity(dir)
  for (const ll of active?.layouts.values() ?? []) if (ll.dir === dir && ll.index && id !== null && ll.identity === id) return ll.index
  return readIndexAt(dir)
}

/**
 * Loads a saved session. Factory cells: the index of every saved layout is read now; a factory's call restores
 * its cell when nothing it depends on changed (the factories may be defined after this call). Returns the
 * layouts saved whole (`saveSession({ layouts })`) by name; a file that does not match its index is left out,
 * never half-read.
 */
export function loadSession(opts: LoadSessionOptions = {}): Map<string, Layout> {
  const root = resolve(opts.dir ?? defaultCacheDir())
  const out = new Map<string, Layout>()
  const whole = join(root, 'layouts')
  const fdir = join(root, FACTORIES)
  if (opts.warnMissingDir && !existsSync(whole) && !existsSync(fdir)) process.stderr.write(`laytest: no saved session in ${root}\n`)
  if (existsSync(whole)) {
    for (const d of readdirSync(whole)) {
      try {
        const index = JSON.parse(readFileSync(join(whole, d, 'index.json'), 'utf8')) as WholeIndex
        const gz = readFileSync(join(whole, d, 'cells.gds.gz'))
        if (sha256(gz) !== index.sha256) continue
        const layout = readLayout(gunzipSync(gz), { file: join(whole, d, 'cells.gds.gz') })
        layout.name = index.name
        out.set(index.name, layout)
      } catch {
        // an incomplete or damaged entry: not part of the session
      }
    }
  }
  const loaded: Loaded = { root, layouts: new Map() }
  let names: string[] = []
  try {
    names = readdirSync(fdir)
  } catch {
    // no factory session yet
  }
  for (const d of names) {
    const dir = join(fdir, d)
    const identity = indexIdentity(dir)
    const ix = readIndexAt(dir)
    if (typeof ix === 'string') {
      // damaged: the layout's name is unknown; by its folder name (the plain name for plain names)
      loaded.layouts.set(d, { dir, identity: null, index: null, problem: ix, entries: new Map(), decoded: new Map() })
      continue
    }
    const entries = new Map<string, EntryRecord>()
    for (const e of ix.entries) entries.set(entryId(e.factory, e.params), e)
    loaded.layouts.set(ix.layout, { dir, identity: identity === indexIdentity(dir) ? identity : null, index: ix, problem: null, entries, decoded: new Map() })
  }
  active = loaded
  expectedKeys = new WeakMap()
  records = []
  restoredCount = 0
  builtCount = 0
  return out
}

// ---------------------------------------------------------------------------------------------------------------
// saving

interface WholeIndex {
  name: string
  dbu: number
  sha256: string
  cells: Record<string, string>
}

function sleep(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms)
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM'
  }
}

function lockIsStale(lockDir: string): boolean {
  try {
    const [pid, host] = readFileSync(join(lockDir, 'owner'), 'utf8').split(' ')
    if (host === hostname() && Number(pid) > 0 && !alive(Number(pid))) return true
  } catch {
    // being created, or its owner died before writing it: decided by age
  }
  try {
    return Date.now() - statSync(lockDir).mtimeMs > LOCK_STALE_MS
  } catch {
    return false
  }
}

/**
 * A lock on a layout's session folder (a directory made with mkdir, which is atomic), so that parallel
 * processes merge their cells into the index one after another instead of overwriting each other's. A lock whose
 * owner died is taken over. After LOCK_WAIT_MS without it, the save goes ahead anyway: every file is written
 * atomically, so the folder stays consistent (entries of the other writer may be lost, and are built again).
 */
function lock(dir: string): () => void {
  const p = join(dir, '.lock')
  const deadline = Date.now() + LOCK_WAIT_MS
  for (let wait = 2; ; wait = Math.min(2 * wait, 100)) {
    try {
      mkdirSync(p)
      try {
        writeFileSync(join(p, 'owner'), `${process.pid} ${hostname()} ${Date.now()}`)
      } catch {
        // the age of the folder decides staleness then
      }
      return () => rmSync(p, { recursive: true, force: true })
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e
    }
    if (lockIsStale(p)) {
      const gone = `${p}.stale.${process.pid}.${Math.random().toString(36).slice(2)}`
      try {
        renameSync(p, gone)
        rmSync(gone, { recursive: true, force: true })
      } catch {
        // another process took it over first
      }
      continue
    }
    if (Date.now() > deadline) {
      process.stderr.write(`laytest: ${p} is held by another process; saving without the lock\n`)
      return () => {}
    }
    sleep(wait)
  }
}

function portRecord(p: Port): PortRecord {
  return { name: p.name, x: p.x, y: p.y, angle: p.angle, width: p.width, layer: [layerOf(p.layer), datatypeOf(p.layer)] }
}

/** The factory cells `only` needs: below it, and (transitively) the cells their builds used, in any layout. */
function closure(only: Cell): Cell[] {
  const out: Cell[] = []
  const seen = new Set<Cell>()
  const stack = [only]
  while (stack.length) {
    const c = stack.pop()!
    if (seen.has(c)) continue
    seen.add(c)
    if (c.factoryInfo) out.push(c)
    for (const i of c.instances) stack.push(i.cell)
    for (const d of c.factoryInfo?.deps ?? []) stack.push(d)
  }
  return out
}

/** Cells already reported as not savable (said once per process, not at every save). */
const toldUnsavable = new WeakSet<Cell>()

/**
 * One stderr line for the cells a save leaves out (unless only because their factory's module is unknown, which
 * warnUnlocated says): they are built in every run, and the report would only say "not in the session".
 */
function warnUnsavable(layout: Layout, cells: Cell[]): void {
  const out: Cell[] = []
  for (const c of cells) {
    if (cellKeyOf(c) !== null || toldUnsavable.has(c) || keyOf(c.factoryInfo!.factory).key === null) continue
    toldUnsavable.add(c)
    out.push(c)
  }
  if (!out.length) return
  const first = out[0]!
  process.stderr.write(
    `laytest: ${out.length} factory cell${out.length === 1 ? '' : 's'} of layout ${showName(layout.name)} cannot be saved in the session and ` +
    `${out.length === 1 ? 'is' : 'are'} built every run: ${showName(first.name)} (${unsavable.get(first) ?? '?'})` +
    `${out.length > 1 ? ` and ${out.length - 1} more` : ''}\n`,
  )
}

/** Writes one layout's factory cells into its folder (merged into what is there), under the folder's lock. */
function saveFactoryLayout(root: string, layout: Layout, cells: Cell[], written: string[]): void {
  const dir = join(root, FACTORIES, folderName(layout.name))
  // nothing to write (no lock taken, no folder made: a read-only session works): the index is as it was read, and
  // holds every one of these cells as it is now, in packs that were not found damaged
  const ll = active?.layouts.get(layout.name)
  if (ll && ll.dir === dir && ll.identity !== null && indexIdentity(dir) === ll.identity && ![...damagedPacks].some((p) => p.startsWith(dir + sep))) {
    const saved = (c: Cell): boolean => {
      const e = ll.entries.get(entryId(c.factoryInfo!.factory.factoryName, c.factoryInfo!.canon))
      return !!e && e.key === keyOf(c.factoryInfo!.factory).key && e.cellKey === cellKeyOf(c) && ll.index!.packs[e.pack] !== undefined
    }
    if (cells.every(saved)) return
  }
  mkdirSync(dir, { recursive: true })
  const release = lock(dir)
  try {
    const cur = currentIndex(dir)
    let base: SessionIndex | null = typeof cur === 'string' ? null : cur
    if (base && (base.layout !== layout.name || base.dbu !== layout.dbu || base.metersPerDbu !== layout.metersPerDbu)) base = null
    const entries = new Map<string, EntryRecord>()
    let dirty = base === null
    for (const e of base?.entries ?? []) entries.set(entryId(e.factory, e.params), e)
    // entries of factories this process has with another key can never be restored by this code: dropped
    for (const [id, e] of entries) {
      const f = layout.factories.get(e.factory)
      const k = f ? keyOf(f).key : null
      if (k !== null && k !== e.key) {
        entries.delete(id)
        dirty = true
      }
    }
    const packsOf = base?.packs ?? {}
    // one look per pack, not per entry: a session holds hundreds of entries in a few packs
    const packThere = new Map<string, boolean>()
    const onDisk = (pack: string): boolean => {
      let ok = packThere.get(pack)
      if (ok === undefined) packThere.set(pack, (ok = existsSync(join(dir, pack))))
      return ok
    }
    const present = (e: EntryRecord): boolean => packsOf[e.pack] !== undefined && onDisk(e.pack) && !damagedPacks.has(join(dir, e.pack))
    const ours = new Map<string, Cell>()
    for (const c of cells) {
      if (cellKeyOf(c) !== null) ours.set(entryId(c.factoryInfo!.factory.factoryName, c.factoryInfo!.canon), c)
    }
    // packs mostly superseded are compacted: their live cells this process has go into the new pack
    const live = new Map<string, number>()
    for (const e of entries.values()) live.set(e.pack, (live.get(e.pack) ?? 0) + 1)
    const toPack: Cell[] = []
    for (const [id, c] of ours) {
      const e = entries.get(id)
      const sparse = e ? (live.get(e.pack) ?? 0) * 2 < (packsOf[e.pack]?.cells ?? 0) : false
      if (e && e.cellKey === cellKeyOf(c) && present(e) && !sparse) continue
      toPack.push(c)
    }
    const factories: Record<string, FactoryVersion> = {}
    const packRecords: Record<string, PackRecord> = {}
    if (toPack.length) {
      // instances place dependencies: an instance's cell number is the index of the cell in the entry's deps
      const pack: Snapshot = { name: layout.name, dbu: layout.dbu, metersPerDbu: layout.metersPerDbu, userUnitsPerDbu: layout.meta.userUnitsPerDbu, cells: [] }
      const recs: EntryRecord[] = []
      toPack.forEach((c, n) => {
        const info = c.factoryInfo!
        const name = `E${n}`
        pack.cells.push({
          name, layers: [...c.layers], texts: c.texts, nodes: c.nodes,
          instances: c.instances.map((inst) => ({ ...inst, cell: info.deps.indexOf(inst.cell) })),
        })
        recs.push({
          factory: info.factory.factoryName, params: info.canon, name: c.name, key: keyOf(info.factory).key!, cellKey: cellKeyOf(c)!,
          deps: info.deps.map((d) => ({ layout: d.layout.name, factory: d.factoryInfo!.factory.factoryName, params: d.factoryInfo!.canon, cellKey: cellKeyOf(d)! })),
          ports: c.ports.map(portRecord), pack: '', cell: name,
        })
      })
      const bytes = encodeSnapshot(pack)
      const sha = sha256(bytes)
      const file = `cells-${sha.slice(0, 16)}.ltsnap`
      writeFileAtomic(join(dir, file), bytes)
      written.push(join(dir, file))
      packRecords[file] = { sha256: sha, cells: recs.length, bytes: bytes.length }
      for (const r of recs) {
        r.pack = file
        entries.set(entryId(r.factory, r.params), r)
      }
      dirty = true
    }
    // what the entries refer to; entries whose pack is gone are dropped
    const kept: EntryRecord[] = []
    for (const e of entries.values()) {
      const pr = packRecords[e.pack] ?? packsOf[e.pack]
      if (!pr || !(packRecords[e.pack] || onDisk(e.pack)) || (!packRecords[e.pack] && damagedPacks.has(join(dir, e.pack)))) {
        dirty = true
        continue
      }
      packRecords[e.pack] = pr
      kept.push(e)
    }
    for (const e of kept) {
      if (factories[e.key]) continue
      const f = layout.factories.get(e.factory)
      const k = f ? keyOf(f) : null
      const v = k?.key === e.key ? k.version : base?.factories[e.key]
      if (v) factories[e.key] = v
    }
    if (dirty || (base && Object.keys(base.packs).length !== Object.keys(packRecords).length)) {
      const index: SessionIndex = { layout: layout.name, dbu: layout.dbu, metersPerDbu: layout.metersPerDbu, factories, packs: packRecords, entries: kept }
      writeFileAtomic(join(dir, 'index.json'), encodeIndex(index))
      written.push(join(dir, 'index.json'))
    }
    collectGarbage(dir, new Set(Object.keys(packRecords)))
  } finally {
    release()
  }
}

/** Removes packs no index refers to (after the grace period) and temporary files of crashed writers. */
function collectGarbage(dir: string, referenced: Set<string>): void {
  const now = Date.now()
  for (const f of readdirSync(dir)) {
    const pack = OLD_OR_NEW_PACK.test(f)
    const tmp = f.startsWith('.') && f.endsWith('.tmp')
    if (!(pack && !referenced.has(f)) && !tmp) continue
    try {
      if (now - statSync(join(dir, f)).mtimeMs > PACK_GRACE_MS) rmSync(join(dir, f), { force: true })
    } catch {
      // removed by another process meanwhile
    }
  }
}

function writeRunRecord(root: string): void {
  const dir = join(root, RUNS)
  mkdirSync(dir, { recursive: true })
  const name = `${String(Date.now()).padStart(15, '0')}-${process.pid}-${Math.random().toString(36).slice(2, 8)}.json`
  writeFileAtomic(join(dir, name), JSON.stringify({ pid: process.pid, time: new Date().toISOString(), ...sessionReport() }) + '\n')
  const all = readdirSync(dir).filter((f) => f.endsWith('.json')).sort()
  for (const f of all.slice(0, Math.max(0, all.length - KEEP_RUNS))) rmSync(join(dir, f), { force: true })
}

function ensureGitignore(root: string): void {
  mkdirSync(root, { recursive: true })
  if (!existsSync(join(root, '.gitignore'))) writeFileAtomic(join(root, '.gitignore'), '*\n')
}

/**
 * Saves the session: the factory cells of every layout that has factories (or of `layouts`; with `only: cell`,
 * what that cell needs), merged into what the folder holds, and the layouts of `layouts` whole. Returns the files
 * written. Cells that cannot be saved (a factory whose module is unknown, a cell placing cells no factory made)
 * are left out and built again next time.
 */
export function saveSession(opts: SaveSessionOptions = {}): string[] {
  const root = rootOf(opts)
  const written: string[] = []
  let warned = false
  // the factory cells are a cache: a folder that cannot be written (read-only, full) costs builds next time, not
  // this run (the layouts of `layouts` are asked for by name: their errors are thrown)
  const orWarn = (fn: () => void): void => {
    try {
      fn()
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code
      if (typeof code !== 'string' || !/^E[A-Z]+$/.test(code)) throw e
      if (!warned) process.stderr.write(`laytest: cannot write to the factory session in ${root} (${code}): cells built in this run are not saved\n`)
      warned = true
    }
  }
  orWarn(() => ensureGitignore(root))
  for (const layout of opts.layouts ?? []) {
    let toSave = layout
    if (opts.only) {
      if (opts.only.layout !== layout) continue
      toSave = subset(layout, opts.only)
    }
    const dir = join(root, 'layouts', folderName(layout.name))
    mkdirSync(dir, { recursive: true })
    const gz = gzipSync(writeLayout(toSave))
    const cells: Record<string, string> = {}
    for (const c of toSave.cells.values()) cells[c.name] = cellHash(c)
    const file = join(dir, 'cells.gds.gz')
    writeFileAtomic(file, gz)
    const index: WholeIndex = { name: layout.name, dbu: layout.dbu, sha256: sha256(gz), cells }
    writeFileAtomic(join(dir, 'index.json'), JSON.stringify(index, null, 1) + '\n')
    written.push(file)
  }
  const byLayout = new Map<Layout, Cell[]>()
  if (opts.only) {
    for (const c of closure(opts.only)) {
      const list = byLayout.get(c.layout) ?? []
      list.push(c)
      byLayout.set(c.layout, list)
    }
  } else {
    for (const layout of opts.layouts ?? layoutsWithFactories()) {
      const list: Cell[] = []
      for (const f of layout.factories.values()) for (const c of f.cells()) if (layout.cells.get(c.name) === c) list.push(c)
      if (list.length) byLayout.set(layout, list)
    }
  }
  for (const [layout, cells] of byLayout) {
    for (const f of layout.factories.values()) warnUnlocated(f, keyOf(f))
    warnUnsavable(layout, cells)
    orWarn(() => saveFactoryLayout(root, layout, cells, written))
  }
  if (byLayout.size || active) orWarn(() => writeRunRecord(root))
  return written
}

/** A copy of the layout with only `top` and the cells below it. */
function subset(layout: Layout, top: Cell): Layout {
  const keep = new Set<string>()
  const stack = [top]
  while (stack.length) {
    const c = stack.pop()!
    if (keep.has(c.name)) continue
    keep.add(c.name)
    for (const i of c.instances) stack.push(i.cell)
  }
  // through GDS bytes: the simplest exact copy, then drop what is not needed
  const copy = readLayout(writeLayout(layout))
  for (const name of [...copy.cells.keys()]) if (!keep.has(name)) copy.cells.delete(name)
  copy.touch()
  return copy
}

// ---------------------------------------------------------------------------------------------------------------
// inspecting (laytest session stats|list|clear)

export interface SessionCellInfo {
  name: string
  params: ParamValue
  ports: string[]
  deps: number
  pack: string
}

export interface SessionFactoryInfo {
  name: string
  module: string | null
  cells: SessionCellInfo[]
}

export interface SessionLayoutInfo {
  layout: string
  folder: string
  dbu: number | null
  /** Why the index cannot be used, else null. */
  problem: string | null
  factories: SessionFactoryInfo[]
  cells: number
  packs: number
  bytes: number
}

export interface SessionLastRun {
  file: string
  pid: number
  time: string
  restored: number
  built: number
  cells: SessionCellRecord[]
}

export interface SessionInfo {
  dir: string
  layouts: SessionLayoutInfo[]
  /** Layouts saved whole (saveSession({ layouts })). */
  wholeLayouts: string[]
  factories: number
  cells: number
  bytes: number
  lastRun: SessionLastRun | null
}

function dirBytes(dir: string): number {
  let n = 0
  try {
    for (const f of readdirSync(dir, { withFileTypes: true })) {
      const p = join(dir, f.name)
      n += f.isDirectory() ? dirBytes(p) : statSync(p).size
    }
  } catch {
    // removed meanwhile
  }
  return n
}

/** What a session folder holds, and the record of the last run that saved into it. */
export function sessionInfo(opts: SessionOptions = {}): SessionInfo {
  const root = resolve(opts.dir ?? defaultCacheDir())
  const layouts: SessionLayoutInfo[] = []
  const fdir = join(root, FACTORIES)
  let names: string[] = []
  try {
    names = readdirSync(fdir).sort()
  } catch {
    // none
  }
  for (const d of names) {
    const dir = join(fdir, d)
    const ix = readIndexAt(dir)
    const bytes = dirBytes(dir)
    if (typeof ix === 'string') {
      layouts.push({ layout: d, folder: dir, dbu: null, problem: ix, factories: [], cells: 0, packs: 0, bytes })
      continue
    }
    const byFactory = new Map<string, SessionFactoryInfo>()
    for (const e of ix.entries) {
      let fi = byFactory.get(e.factory)
      if (!fi) byFactory.set(e.factory, (fi = { name: e.factory, module: ix.factories[e.key]?.module ?? null, cells: [] }))
      let params: ParamValue = null
      try {
        params = JSON.parse(e.params) as ParamValue
      } catch {
        // shown as null
      }
      fi.cells.push({ name: e.name, params, ports: (e.ports ?? []).map((p) => p.name), deps: (e.deps ?? []).length, pack: e.pack })
    }
    const factories = [...byFactory.values()].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
    for (const f of factories) f.cells.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
    layouts.push({ layout: ix.layout, folder: dir, dbu: ix.dbu, problem: null, factories, cells: ix.entries.length, packs: Object.keys(ix.packs).length, bytes })
  }
  let wholeLayouts: string[] = []
  try {
    wholeLayouts = readdirSync(join(root, 'layouts')).sort()
  } catch {
    // none
  }
  let lastRun: SessionLastRun | null = null
  try {
    const runs = readdirSync(join(root, RUNS)).filter((f) => f.endsWith('.json')).sort()
    for (let i = runs.length - 1; i >= 0 && !lastRun; i--) {
      try {
        const r = JSON.parse(readFileSync(join(root, RUNS, runs[i]!), 'utf8')) as SessionLastRun
        lastRun = { file: join(root, RUNS, runs[i]!), pid: r.pid, time: r.time, restored: r.restored, built: r.built, cells: r.cells ?? [] }
      } catch {
        // being written or damaged: the one before
      }
    }
  } catch {
    // no run saved yet
  }
  return {
    dir: root, layouts, wholeLayouts,
    factories: layouts.reduce((n, l) => n + l.factories.length, 0),
    cells: layouts.reduce((n, l) => n + l.cells, 0),
    bytes: layouts.reduce((n, l) => n + l.bytes, 0) + dirBytes(join(root, 'layouts')),
    lastRun,
  }
}

/** Removes the saved session (factory cells, layouts saved whole, run records); the verdict cache stays. */
export function clearSession(opts: SessionOptions = {}): string {
  const root = resolve(opts.dir ?? defaultCacheDir())
  for (const d of [FACTORIES, 'layouts', RUNS]) rmSync(join(root, d), { recursive: true, force: true })
  return root
}
