import { count, oneLineMessage, showName, showNames } from '../gds/names.js'
import { CONTEXT_INFO_CELL } from '../layout/gdsio.js'
import type { BBox } from '../layout/bbox.js'
import { cellLayers } from '../layout/extent.js'
import { SubtreeMatcher } from '../layout/match.js'
import { layerName, toLayerKey, type LayerKey, type LayerSpec } from '../layout/layers.js'
import type { Cell, Layout } from '../layout/layout.js'
import { changedCells, type ChangedCells } from './cells.js'
import { booleanOps, type BooleanOps } from './clipper.js'
import { ClusterCollector } from './clusters.js'
import { TileRunner } from './parallel.js'
import { tileJobs, TILE_TARGET, type TileJob, type TileResult } from './engine.js'
import { gatherRings, sideOf } from './gather.js'
import { diffLabels, type LabelDiff } from './labels.js'
import { ExactSum, microDecimal } from './exact-sum.js'
import { AreaSum, RingSet } from './rings.js'
import { DirtyWindowFinder, mergeWindows } from './windows.js'

export interface LayerSelection {
  /** Compare only these layers (after mapping). */
  include?: LayerSpec[]
  /** Leave these layers out (after mapping). */
  exclude?: LayerSpec[]
  /** Source layer -> compared layer, e.g. {"1/1": "1/0"} compares 1/0 and 1/1 together as 1/0 (both sides). */
  map?: Record<string, string>
}

export interface DiffOptions {
  /**
   * Top cell(s) of A; several are flattened together. Default: every top cell, and when either layout has
   * several, same-named top cells are compared pairwise, as if each were its own file (a top cell on one side
   * only is a difference).
   */
  topA?: string | string[]
  topB?: string | string[]
  /** Differences narrower than this (micrometres) are dropped (an opening by tolerance/2, like `strmxor -t`). */
  tolerance?: number
  layers?: LayerSelection
  /**
   * When one dbu is not an integer multiple of the other, scale the coarser side onto the finer grid anyway and
   * round its vertices (what KLayout does). Default false: such layouts are an error, as rounding can create
   * differences that are not in the design.
   */
  dbuRounding?: boolean
  /**
   * Default false: labels (TEXT elements: string, layer, position) are compared too, as kfactory's and
   * gdsfactory's difftest do, and reported apart from the XOR; true ignores them.
   */
  ignoreLabels?: boolean
  /** A layer with geometry on one side only: compared against empty (default) or an error. */
  missingLayer?: 'empty' | 'error'
  /** Also compute each side's merged area per layer (compares every layer in full: slower). */
  areas?: boolean
  /** Keep the compared input shapes (for writing an overlay GDS). */
  keepInputs?: boolean
  /** Default true. False compares every layer in full: no hash skipping, no dirty windows (for cross-checks). */
  prune?: boolean
  /** Shapes per tile (both sides); 0 = never tile. */
  tileShapes?: number
  /** Worker threads for large jobs (default: every core when there are several, at most 4; 0 = none). */
  workers?: number
  /** At most this many cluster boxes per layer in the result (default 100). */
  maxBoxes?: number
  /** Called as each layer starts (for a progress display). */
  onProgress?: (done: number, total: number, layer: string) => void
}

export interface LayerDiff {
  /** "L/D" */
  layer: string
  /** The XOR is not empty: the layer differs (decided exactly, whatever its area). */
  differs: boolean
  /**
   * XOR area in dbu^2 of the comparison grid: the exact area (a rational where non-Manhattan edges cross),
   * rounded to the nearest multiple of 10^-6 dbu^2 (ties to even); an area below that is given to the first
   * significant digits instead (10^-12, 10^-18, ...), so a non-empty XOR never reports 0. Identical for A⊕B and
   * B⊕A, any tiling, worker count or run. Integers (and exact) for Manhattan geometry.
   */
  xorArea: number
  /** The same value as a decimal string (areas can exceed 2^53). */
  xorAreaExact: string
  /** Polygons of the XOR (difference clusters after stitching tile borders; a polygon with holes counts once). */
  polygons: number
  /** Merged area of A / B on the layer in dbu^2, rounded as xorArea (only with the `areas` option, else null). */
  aArea: number | null
  bArea: number | null
  /** The layer has geometry on one side only. */
  onlyIn: 'a' | 'b' | null
  /** Every difference is narrower than the tolerance. */
  sliverOnly: boolean
  /** Boxes of the difference clusters in dbu, largest first (at most maxBoxes). */
  bboxes: BBox[]
  /** How the layer was decided: identical content (no XOR needed), XOR in dirty windows, or a full XOR. */
  method: 'identical' | 'windows' | 'full'
  /** Windows / tiles computed exactly. */
  windows: number
  tiles: number
  /** Threads the tiles ran on (1: the calling thread). */
  threads: number
}

/** The comparison of one pair of same-named top cells (or a top cell on one side only). */
export interface TopDiff {
  /** The top cell's name (A's, when the names of an explicit pair differ). */
  name: string
  topA: string | null
  topB: string | null
  /** The top cell exists on one side only: all its geometry is a difference. */
  onlyIn: 'a' | 'b' | null
  equal: boolean
  layers: Record<string, LayerDiff>
}

export interface DiffResult {
  equal: boolean
  /** Database unit of the comparison grid in micrometres (the finer of the two). */
  dbu: number
  topA: string[]
  topB: string[]
  /**
   * Per compared layer, keyed "L/D"; every layer with geometry on either side. With several top cells compared
   * pairwise, the totals over the pairs.
   */
  layers: Record<string, LayerDiff>
  /**
   * When layouts with several top cells are compared pairwise (the default), one entry per top cell name,
   * sorted; null when one pair was compared.
   */
  tops: TopDiff[] | null
  /** null when the two dbus differ (content hashes are per dbu). */
  changedCells: ChangedCells | null
  /**
   * Cells of A that had to be compared (their pair with B is not stored identically): with one leaf changed,
   * that leaf and its ancestors. Every other cell was skipped without flattening or hashing.
   */
  comparedCells: string[]
  /** Unless labels are ignored. */
  labels: LabelDiff | null
  tolerance: number
  /** Milliseconds: finding windows, collecting their shapes, XOR, areas and clusters, changed-cells report, all. */
  timings: { windows: number; gather: number; xor: number; summary: number; cells: number; total: number }
}

/** The XOR geometry per layer (doubled units, outer rings counter-clockwise, holes clockwise). */
export interface DiffOutcome {
  result: DiffResult
  /** Per layer, the XOR of each tile (tiles share only edges); with several top cells, of every pair. */
  xor: Map<LayerKey, RingSet[]>
  /** With several top cells compared pairwise: each pair's XOR (same order as result.tops). */
  topXor: Array<Map<LayerKey, RingSet[]>> | null
  /** With keepInputs: the compared shapes of each side (doubled units). */
  inputs: Map<LayerKey, { a: RingSet; b: RingSet }> | null
  /** Database unit of the comparison grid. */
  dbu: number
}

/** A comparison that cannot be made (ambiguous top cell, incompatible dbu, missing layer...). */
export class DiffError extends Error {
  constructor(
    message: string,
    readonly code: 'top' | 'dbu' | 'missing-layer' | 'option',
  ) {
    super(oneLineMessage(message))
    this.name = 'DiffError'
  }
}

function namedTops(layout: Layout, want: string | string[], side: 'A' | 'B'): Cell[] {
  const names = typeof want === 'string' ? [want] : want
  if (names.length === 0) throw new DiffError(`top${side} is an empty list`, 'option')
  return names.map((n) => {
    const c = layout.getCell(n)
    if (!c) throw new DiffError(`layout ${side} has no cell named ${showName(n)}`, 'top')
    return c
  })
}

function topCellsOf(layout: Layout): Cell[] {
  return layout.topCells().filter((c) => c.name !== CONTEXT_INFO_CELL)
}

interface TopPair {
  name: string
  a: Cell[]
  b: Cell[]
}

/**
 * The pairs of top cells to compare: the named ones; else, when each layout has one top cell, those two; else
 * the same-named top cells of both, each pair on its own, and each top cell of one side only against nothing.
 */
function pickPairs(a: Layout, b: Layout, opts: DiffOptions): TopPair[] {
  if (opts.topA !== undefined || opts.topB !== undefined) {
    const ta = opts.topA !== undefined ? namedTops(a, opts.topA, 'A') : soleTop(a, 'A')
    const tb = opts.topB !== undefined ? namedTops(b, opts.topB, 'B') : soleTop(b, 'B')
    return [{ name: ta.map((c) => c.name).join('+'), a: ta, b: tb }]
  }
  const ta = topCellsOf(a), tb = topCellsOf(b)
  if (ta.length === 0 && tb.length === 0) throw new DiffError('neither layout has a top cell', 'top')
  if (ta.length === 1 && tb.length === 1) return [{ name: ta[0]!.name, a: ta, b: tb }]
  const names = [...new Set([...ta, ...tb].map((c) => c.name))].sort()
  return names.map((n) => {
    const ca = ta.find((c) => c.name === n), cb = tb.find((c) => c.name === n)
    return { name: n, a: ca ? [ca] : [], b: cb ? [cb] : [] }
  })
}

/** The single top cell of a layout whose other side was named explicitly. */
function soleTop(layout: Layout, side: 'A' | 'B'): Cell[] {
  const tops = topCellsOf(layout)
  if (tops.length === 1) return tops
  if (tops.length === 0) throw new DiffError(`layout ${side} has no top cell`, 'top')
  throw new DiffError(`layout ${side} has ${count(tops.length)} top cells (${showNames(tops.map((c) => c.name))}); name them with top${side} (--top-${side.toLowerCase()}) too, or give neither to compare same-named top cells pairwise`, 'top')
}

/** Scales that bring both dbus onto the finer one (integers unless rounding is allowed). */
function scales(dbuA: number, dbuB: number, rounding: boolean): [number, number, number] {
  const close = (x: number, y: number): boolean => Math.abs(x - y) <= 1e-9 * Math.max(Math.abs(x), Math.abs(y))
  if (close(dbuA, dbuB)) return [1, 1, Math.min(dbuA, dbuB)]
  const r = dbuA > dbuB ? dbuA / dbuB : dbuB / dbuA
  let k = Math.round(r)
  if (!close(r, k)) {
    if (!rounding) {
      throw new DiffError(`database units ${dbuA} um (A) and ${dbuB} um (B) are not integer multiples of each other: no exact common grid (allow rounding onto the finer grid with dbuRounding / --dbu-rounding)`, 'dbu')
    }
    k = r
  }
  return dbuA > dbuB ? [k, 1, dbuB] : [1, k, dbuA]
}

const now = (): number => performance.now()

/** More raw windows than this on a layer are replaced by their union (tiling takes it from there). */
const MAX_WINDOWS = 50000

function unionBox(boxes: BBox[]): BBox {
  const u: BBox = [Infinity, Infinity, -Infinity, -Infinity]
  for (const b of boxes) {
    if (b[0] < u[0]) u[0] = b[0]
    if (b[1] < u[1]) u[1] = b[1]
    if (b[2] > u[2]) u[2] = b[2]
    if (b[3] > u[3]) u[3] = b[3]
  }
  return u
}

/** Compares two layouts: per-layer exact XOR, changed cells, optionally labels. */
export async function diffLayouts(a: Layout, b: Layout, opts: DiffOptions = {}): Promise<DiffOutcome> {
  const t0 = now()
  const timings = { windows: 0, gather: 0, xor: 0, summary: 0, cells: 0, total: 0 }
  const pairs = pickPairs(a, b, opts)
  const [sa, sb, dbu] = scales(a.dbu, b.dbu, !!opts.dbuRounding)
  const tol = opts.tolerance ?? 0
  if (!(tol >= 0) || !Number.isFinite(tol)) throw new DiffError(`tolerance must be a non-negative number of micrometres (got ${opts.tolerance})`, 'option')
  const topsA = pairs.flatMap((p) => p.a), topsB = pairs.flatMap((p) => p.b)
  const ctx: CompareContext = {
    opts, timings, scaleA: sa, scaleB: sb, tolDbu: tol / dbu, maxBoxes: opts.maxBoxes ?? 100,
    structure: new SubtreeMatcher(), finders: new Map(),
    plan: planLayers(topsA, topsB, opts.layers ?? {}), ops: await booleanOps(),
    inputs: opts.keepInputs ? new Map() : null,
  }
  const runner = new TileRunner(ctx.ops, opts.workers)
  const perPair: PairOutcome[] = []
  try {
    for (const pair of pairs) perPair.push(await comparePair(pair, ctx, runner))
  } finally {
    await runner.close()
  }

  // totals over the pairs
  const layers: Record<string, LayerDiff> = {}
  const xor = new Map<LayerKey, RingSet[]>()
  for (const { key } of ctx.plan) {
    const name = layerName(key)
    const parts = perPair.map((p) => p.layers.get(name)).filter((x): x is LayerAcc => x !== undefined)
    if (parts.length) layers[name] = totalOf(parts, ctx)
  }
  for (const p of perPair) for (const [k, list] of p.xor) xor.set(k, [...(xor.get(k) ?? []), ...list])
  let equal = Object.values(layers).every((l) => !l.differs || l.sliverOnly)

  const textStructure = new SubtreeMatcher(true)
  const A = sideOf(topsA, sa), B = sideOf(topsB, sb)
  let labels: LabelDiff | null = null
  if (opts.ignoreLabels !== true) {
    labels = diffLabels(A, B, textStructure)
    if (!labels.equal) equal = false
  }
  let t = now()
  const cells = sa === 1 && sb === 1
    ? changedCells(topsA, topsB, textStructure, { plan: ctx.plan, finders: ctx.finders })
    : null
  timings.cells = now() - t
  const tops: TopDiff[] | null = pairs.length > 1
    ? perPair.map((p, i) => {
      const pair = pairs[i]!
      const ls = Object.fromEntries([...p.layers].map(([n, acc]) => [n, totalOf([acc], ctx)]))
      return {
        name: pair.name, topA: pair.a[0]?.name ?? null, topB: pair.b[0]?.name ?? null,
        onlyIn: pair.b.length === 0 ? 'a' : pair.a.length === 0 ? 'b' : null,
        equal: Object.values(ls).every((l) => !l.differs || l.sliverOnly), layers: ls,
      }
    })
    : null
  t = now()
  timings.total = t - t0
  const result: DiffResult = {
    equal, dbu, topA: topsA.map((c) => c.name), topB: topsB.map((c) => c.name), layers, tops,
    changedCells: cells,
    comparedCells: [...new Set([...ctx.finders.values()].flatMap((f) => [...f.compared]))].sort(),
    labels, tolerance: tol, timings,
  }
  for (const k of Object.keys(timings) as Array<keyof typeof timings>) timings[k] = Math.round(timings[k] * 10) / 10
  return { result, xor, topXor: pairs.length > 1 ? perPair.map((p) => p.xor) : null, inputs: ctx.inputs, dbu }
}

/** What every pair's comparison shares. */
interface CompareContext {
  opts: DiffOptions
  timings: DiffResult['timings']
  scaleA: number
  scaleB: number
  tolDbu: number
  maxBoxes: number
  structure: SubtreeMatcher
  /** Dirty-window finders per layer (shared by the pairs: their memo is per cell pair). */
  finders: Map<LayerKey, DirtyWindowFinder>
  plan: LayerPlan[]
  ops: BooleanOps
  inputs: Map<LayerKey, { a: RingSet; b: RingSet }> | null
}

/** One layer of one pair, with its exact sums (totals over pairs add them before rounding). */
interface LayerAcc {
  entry: LayerDiff
  inA: boolean
  inB: boolean
  summary: Summary | null
}

interface PairOutcome {
  layers: Map<string, LayerAcc>
  xor: Map<LayerKey, RingSet[]>
}

/** The per-layer XOR of one pair of top cell lists. */
async function comparePair(pair: TopPair, ctx: CompareContext, runner: TileRunner): Promise<PairOutcome> {
  const { opts, timings } = ctx
  const topsA = pair.a, topsB = pair.b
  const A = sideOf(topsA, ctx.scaleA), B = sideOf(topsB, ctx.scaleB)
  const prune = (opts.prune ?? true) && ctx.scaleA === 1 && ctx.scaleB === 1 && topsA.length === topsB.length && !opts.areas
  const out: PairOutcome = { layers: new Map(), xor: new Map() }
  let done = 0
  for (const { key, srcA, srcB } of ctx.plan) {
    opts.onProgress?.(done++, ctx.plan.length, layerName(key))
    const inA = srcA.some((k) => topsA.some((c) => cellLayers(c).has(k)))
    const inB = srcB.some((k) => topsB.some((c) => cellLayers(c).has(k)))
    if (!inA && !inB) continue
    const onlyIn = inA && !inB ? 'a' : inB && !inA ? 'b' : null
    if (onlyIn && opts.missingLayer === 'error') {
      throw new DiffError(`layer ${layerName(key)} has geometry only in ${onlyIn.toUpperCase()}`, 'missing-layer')
    }
    const entry: LayerDiff = {
      layer: layerName(key), differs: false, xorArea: 0, xorAreaExact: '0', polygons: 0, aArea: null, bArea: null, onlyIn,
      sliverOnly: false, bboxes: [], method: 'identical', windows: 0, tiles: 0, threads: 0,
    }
    const acc: LayerAcc = { entry, inA, inB, summary: null }
    out.layers.set(entry.layer, acc)
    const direct = prune && srcA.length === 1 && srcB.length === 1 && srcA[0] === key && srcB[0] === key

    // 1. windows
    let t = now()
    let windows: BBox[] | null
    if (direct) {
      let finder = ctx.finders.get(key)
      if (!finder) ctx.finders.set(key, (finder = new DirtyWindowFinder(key, ctx.structure)))
      const raw: BBox[] = []
      topsA.forEach((ta, i) => {
        for (const w of finder.cellPair(ta, topsB[i]!)) raw.push(w)
      })
      windows = mergeWindows(raw.length > MAX_WINDOWS ? [unionBox(raw)] : raw)
      entry.method = 'windows'
    } else {
      windows = null
      entry.method = 'full'
    }
    timings.windows += now() - t
    if (windows && windows.length === 0) {
      entry.method = 'identical'
      continue
    }

    // 2. shapes touching the windows
    t = now()
    const ringsA = gatherRings(A, new Set(srcA), windows)
    const ringsB = gatherRings(B, new Set(srcB), windows)
    timings.gather += now() - t
    if (!windows) {
      // full comparison: one window around everything
      const box = ringsBox(ringsA[0]!, ringsB[0]!)
      if (!box) continue
      windows = [box]
    }
    entry.windows = windows.length

    // 3. exact XOR, tiled
    t = now()
    const jobs: TileJob[] = []
    windows.forEach((w, i) => {
      for (const j of tileJobs(w, ringsA[i]!, ringsB[i]!, opts.tileShapes ?? TILE_TARGET)) jobs.push(j)
    })
    entry.tiles = jobs.length
    const results = await runner.run(jobs, { sideAreas: !!opts.areas, tolerance: ctx.tolDbu })
    entry.threads = runner.lastThreads
    timings.xor += now() - t
    t = now()
    acc.summary = summarize(results, ctx.maxBoxes)
    timings.summary += now() - t
    if (acc.summary.xor.length) out.xor.set(key, acc.summary.xor)
    if (ctx.inputs) {
      const both = ctx.inputs.get(key) ?? { a: new RingSet(), b: new RingSet() }
      for (const r of ringsA) both.a.addAll(r)
      for (const r of ringsB) both.b.addAll(r)
      ctx.inputs.set(key, both)
    }
  }
  return out
}

/** One layer's entry from one or more pairs' parts: exact sums added, then rounded once. */
function totalOf(parts: LayerAcc[], ctx: CompareContext): LayerDiff {
  const e: LayerDiff = { ...parts[0]!.entry, bboxes: [] }
  const inA = parts.some((p) => p.inA), inB = parts.some((p) => p.inB)
  e.onlyIn = inA && !inB ? 'a' : inB && !inA ? 'b' : null
  const methods = parts.map((p) => p.entry.method)
  e.method = methods.includes('full') ? 'full' : methods.includes('windows') ? 'windows' : 'identical'
  e.windows = parts.reduce((n, p) => n + p.entry.windows, 0)
  e.tiles = parts.reduce((n, p) => n + p.entry.tiles, 0)
  e.threads = Math.max(...parts.map((p) => p.entry.threads))
  const sums = parts.map((p) => p.summary).filter((x): x is Summary => x !== null)
  if (!sums.length) return e
  const area = new ExactSum(), aA = new ExactSum(), bA = new ExactSum()
  let nonEmpty = false, hard = false
  for (const s of sums) {
    area.addSum(s.area)
    aA.addSum(s.aArea)
    bA.addSum(s.bArea)
    if (s.nonEmpty) {
      nonEmpty = true
      // a difference wider than the tolerance somewhere
      if (!(ctx.tolDbu > 0 && s.afterTolerance8 === 0n)) hard = true
    }
  }
  e.differs = nonEmpty
  e.xorAreaExact = dbuArea(area, nonEmpty)
  e.xorArea = Number(e.xorAreaExact)
  e.polygons = sums.reduce((n, s) => n + s.polygons, 0)
  const size = (x: BBox): number => (x[2] - x[0]) * (x[3] - x[1])
  e.bboxes = sums.flatMap((s) => s.boxes).sort((x, y) => size(y) - size(x) || x[0] - y[0] || x[1] - y[1]).slice(0, ctx.maxBoxes)
  if (ctx.opts.areas) {
    e.aArea = Number(dbuArea(aA, true))
    e.bArea = Number(dbuArea(bA, true))
  }
  e.sliverOnly = nonEmpty && !hard
  return e
}

interface LayerPlan {
  key: LayerKey
  srcA: LayerKey[]
  srcB: LayerKey[]
}

/** Which source layers of each side make up each compared layer (after map, include, exclude). */
function planLayers(topsA: Cell[], topsB: Cell[], sel: LayerSelection): LayerPlan[] {
  const map = new Map<LayerKey, LayerKey>()
  for (const [from, to] of Object.entries(sel.map ?? {})) map.set(parseLayer(from), parseLayer(to))
  const include = sel.include ? new Set(sel.include.map(parseLayer)) : null
  const exclude = new Set((sel.exclude ?? []).map(parseLayer))
  const plans = new Map<LayerKey, LayerPlan>()
  const add = (tops: Cell[], side: 'srcA' | 'srcB'): void => {
    const src = new Set<LayerKey>()
    for (const t of tops) for (const k of cellLayers(t)) src.add(k)
    for (const k of src) {
      const target = map.get(k) ?? k
      if ((include && !include.has(target)) || exclude.has(target)) continue
      let p = plans.get(target)
      if (!p) plans.set(target, (p = { key: target, srcA: [], srcB: [] }))
      p[side].push(k)
    }
  }
  add(topsA, 'srcA')
  add(topsB, 'srcB')
  return [...plans.values()].sort((x, y) => x.key - y.key)
}

function parseLayer(spec: LayerSpec): LayerKey {
  try {
    return toLayerKey(spec)
  } catch (e) {
    throw new DiffError((e as Error).message, 'option')
  }
}

function ringsBox(a: RingSet, b: RingSet): BBox | null {
  let l = Infinity, bt = Infinity, r = -Infinity, t = -Infinity
  for (const rs of [a, b]) {
    for (let k = 0; k < rs.length; k += 2) {
      const x = rs.xy[k]!, y = rs.xy[k + 1]!
      if (x < l) l = x
      if (x > r) r = x
      if (y < bt) bt = y
      if (y > t) t = y
    }
  }
  return l > r ? null : [Math.floor(l / 2), Math.floor(bt / 2), Math.ceil(r / 2), Math.ceil(t / 2)]
}

interface Summary {
  /** Exact areas in doubled units squared. */
  area: ExactSum
  nonEmpty: boolean
  /** Area x 8 after the tolerance opening (Clipper's, approximate near rounded crossings). */
  afterTolerance8: bigint
  aArea: ExactSum
  bArea: ExactSum
  polygons: number
  boxes: BBox[]
  xor: RingSet[]
}

function summarize(results: TileResult[], maxBoxes: number): Summary {
  const area = new ExactSum(), aA = new ExactSum(), bA = new ExactSum()
  const after = new AreaSum()
  let nonEmpty = false
  const clusters = new ClusterCollector(maxBoxes)
  const xor: RingSet[] = []
  for (const r of results) {
    area.addSum(r.area)
    if (r.nonEmpty) nonEmpty = true
    if (r.opened) for (let i = 0; i < r.opened.count; i++) after.add(r.opened.ringArea2(i))
    if (r.aArea) aA.addSum(r.aArea)
    if (r.bArea) bA.addSum(r.bArea)
    if (r.clusters) clusters.addBoxes(r.clusters, r.box)
    else clusters.add(r.xor, r.box)
    if (r.xor.count) xor.push(r.xor)
  }
  const c = clusters.result()
  return { area, nonEmpty, afterTolerance8: after.value, aArea: aA, bArea: bA, polygons: c.count, boxes: c.boxes, xor }
}

/**
 * An exact area in doubled units squared as a decimal string of dbu^2: rounded to 10^-6 (ties to even); when a
 * non-empty area rounds to 0 there, to the first 10^-12, 10^-18, ... that shows it.
 */
function dbuArea(sum: ExactSum, nonEmpty: boolean): string {
  const v = sum.rounded(1000000n, 4n)
  if (v !== 0n || !nonEmpty) return microDecimal(v)
  for (let digits = 12n; digits <= 96n; digits += 6n) {
    const unit = 10n ** digits
    const f = sum.rounded(unit, 4n)
    if (f !== 0n) {
      const s = f.toString().padStart(Number(digits) + 1, '0')
      return `${s.slice(0, -Number(digits))}.${s.slice(-Number(digits))}`.replace(/0+$/, '')
    }
  }
  return '0'
}
