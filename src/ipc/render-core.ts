/*
 * What the web viewer draws, independent of the thread it runs on: an item's layouts read (from its registered
 * files, or its inline data), its XOR computed when none was sent, and PNG views of any window. Used in a worker
 * thread (render-worker.ts) so the IPC port stays responsive, or inline when no worker can be started.
 */
import { readFileSync } from 'node:fs'
import { diffLayouts, xorLayout } from '../diff/index.js'
import type { BBox } from '../layout/bbox.js'
import { cellBBox, cellLayers } from '../layout/extent.js'
import { layerName, toLayerKey, type LayerKey } from '../layout/layers.js'
import type { Layout } from '../layout/layout.js'
import { PackedTree, prepareIndexes } from '../render/cell-index.js'
import { encodePngFast, fitView, LayerStyles, pairView, renderLayout, xorOverlay, type View } from '../render/index.js'
import { layoutBytes } from './budget.js'
import { readLayoutBytes, readLayoutFile } from './files.js'

/** An item as the renderer needs it: its registered files (or inline data) under a key that changes with its content. */
export interface ItemSpec {
  /** `${seq}:${version}` */
  key: string
  kind: 'load' | 'diff'
  title: string
  files: Record<string, string>
  data?: Record<string, Uint8Array>
  /** Set when the inline data was left out (the worker has it already). */
  dataOmitted?: boolean
}

export interface ItemInfo {
  box: BBox
  clusters: BBox[]
  layers: Array<{ key: string; color: string; name?: string }>
  cells: string[]
  top: string
  /** Memory held for the item (bytes, estimated). */
  bytes: number
}

export interface RenderRequest {
  which: 'reference' | 'test' | 'overlay'
  w: number
  h: number
  /** Window in dbu; default the item's box. */
  win?: BBox
  layers?: string[] | null
  xorOnly?: boolean
  cell?: string
  /** Draw TEXT labels in the shipped font, as the failure pictures do (default true). */
  texts?: boolean
}

interface Loaded {
  reference: Layout
  test: Layout | null
  xor: Layout | null
  info: ItemInfo
  /** The XOR's polygons per layer, indexed by their boxes (made on the first overlay). */
  marks?: Map<LayerKey, { polygons: ArrayLike<number>[]; tree: PackedTree }>
}

/** Styles as sent between threads (structured clone of LayerStyles' fields). */
export interface StylesData {
  styles: Map<LayerKey, unknown>
  others: boolean
}

export function stylesData(s: LayerStyles | undefined): StylesData | undefined {
  return s ? { styles: s.styles as Map<LayerKey, unknown>, others: s.others } : undefined
}

export function stylesFrom(d: StylesData | undefined): LayerStyles {
  const s = new LayerStyles()
  if (d) {
    for (const [k, v] of d.styles) s.styles.set(k, v as never)
    s.others = d.others
  }
  return s
}

/** The reading, diffing and drawing of items, with a cache by item key. */
export class ItemRenderer {
  private readonly cache = new Map<string, Promise<Loaded>>()
  readonly styles: LayerStyles

  constructor(styles?: LayerStyles) {
    this.styles = styles ?? new LayerStyles()
  }

  has(key: string): boolean {
    return this.cache.has(key)
  }

  drop(key: string): void {
    this.cache.delete(key)
    this.prepared.delete(key)
  }

  private load(item: ItemSpec): Promise<Loaded> {
    let p = this.cache.get(item.key)
    if (!p) {
      p = this.read(item)
      this.cache.set(item.key, p)
      p.catch(() => this.cache.delete(item.key))
      // then the spatial indexes, between requests: the first view does not wait for them, the next ones use them
      p.then(() => this.prepare(item)).catch(() => {})
    }
    return p
  }

  private readonly prepared = new Map<string, Promise<void>>()

  /**
   * Builds the item's spatial indexes (render/cell-index.ts) a slice at a time, answering requests in between;
   * started when an item is read. Resolves when they are built (or the item was dropped meanwhile).
   */
  prepare(item: ItemSpec): Promise<void> {
    let p = this.prepared.get(item.key)
    if (!p) {
      const key = item.key
      const pause = (): Promise<void> => new Promise<void>((resolve, reject) => setImmediate(() => (this.cache.has(key) ? resolve() : reject(new Error('dropped')))))
      p = this.load(item).then(async (l) => {
        for (const ly of [l.reference, l.test]) if (ly) await prepareIndexes(ly, pause)
        xorMarks(l)
      }).catch(() => {})
      this.prepared.set(key, p)
    }
    return p
  }

  private async read(item: ItemSpec): Promise<Loaded> {
    const read = (k: string): Layout | null => {
      const d = item.data?.[k]
      if (d) return readLayoutBytes(d, `${item.title} (${k})`)
      const f = item.files[k]
      return f ? readLayoutFile(f) : null
    }
    // a load item with several layouts (lyipc mode 2) is shown as reference, test and XOR
    const slots = item.kind === 'load' ? ['layout', 'layout2', 'layout3'] : ['reference', 'test', 'xor']
    const reference = read(slots[0]!)!
    const test = read(slots[1]!)
    let xor = read(slots[2]!)
    let clusters: BBox[] = []
    if (test) {
      const outcome = await diffLayouts(reference, test, { maxBoxes: 50 })
      clusters = Object.values(outcome.result.layers).flatMap((x) => x.bboxes)
      clusters.sort((a, b) => (b[2] - b[0]) * (b[3] - b[1]) - (a[2] - a[0]) * (a[3] - a[1]))
      xor ??= await xorLayout(outcome)
    }
    const keys = new Set<LayerKey>()
    for (const ly of [reference, test]) {
      if (!ly) continue
      for (const k of cellLayers(ly.topCell())) keys.add(k)
      // layers holding only labels too: the page asks for the listed layers, and their labels are drawn
      for (const c of ly.cells.values()) for (const t of c.texts) keys.add(t.layer)
    }
    const layers = [...keys].sort((a, b) => a - b).map((k) => {
      const st = this.styles.get(k)
      return { key: layerName(k), name: st.name, color: '#' + st.fill.map((c) => c.toString(16).padStart(2, '0')).join('') }
    })
    const v = test ? pairView(reference, test) : fitView(cellBBox(reference.topCell()) ?? [0, 0, 1, 1])
    const bytes = [reference, test, xor].reduce((n, l) => n + (l ? layoutBytes(l) : 0), 0)
    const info: ItemInfo = { box: [v.l, v.b, v.r, v.t], clusters, layers, cells: [...reference.cells.keys()].sort(), top: reference.topCell().name, bytes }
    return { reference, test, xor, info }
  }

  async info(item: ItemSpec, cell?: string): Promise<ItemInfo> {
    const l = await this.load(item)
    if (cell === undefined || cell === l.info.top) return l.info
    const c = l.reference.getCell(cell)
    if (!c) throw new RangeError(`no cell named ${JSON.stringify(cell)}`)
    const v = fitView(cellBBox(c) ?? [0, 0, 1, 1])
    return { ...l.info, box: [v.l, v.b, v.r, v.t] }
  }

  async render(item: ItemSpec, r: RenderRequest): Promise<Buffer> {
    const l = await this.load(item)
    const win = r.win ?? l.info.box
    const view = viewOf(win, r.w, r.h)
    const layers = r.layers == null ? undefined : new Set(r.layers.filter(Boolean).map((s) => toLayerKey(s)))
    const cell = r.cell !== undefined && r.cell !== l.info.top ? r.cell : undefined
    const base = { view, styles: this.styles, layers: r.xorOnly ? new Set<LayerKey>() : layers, cell, texts: r.texts ?? true }
    if (r.which === 'reference') return encodePngFast(renderLayout(l.reference, base).image)
    if (r.which === 'test') {
      if (!l.test) throw new RangeError('no test layout')
      return encodePngFast(renderLayout(l.test, { ...base, cell: cell && l.test.getCell(cell) ? cell : undefined }).image)
    }
    // the XOR polygons that can touch the view (the others mark no pixel of it)
    const polygons: ArrayLike<number>[] = []
    const grow = 2 / view.scale + 2
    const near: BBox = [view.l - grow, view.b - grow, view.r + grow, view.t + grow]
    for (const [k, x] of xorMarks(l)) {
      if (layers && !layers.has(k)) continue
      x.tree.query(near, (s, e) => {
        for (let q = s; q < e; q++) polygons.push(x.polygons[x.tree.ids[q]!]!)
      })
    }
    return encodePngFast(xorOverlay(l.reference, { polygons, clusters: [] }, { ...base, insets: 0 }))
  }
}

/** The XOR layout's polygons (boxes as rings) per layer, with a tree over their boxes; made once per item. */
function xorMarks(l: Loaded): Map<LayerKey, { polygons: ArrayLike<number>[]; tree: PackedTree }> {
  if (l.marks) return l.marks
  const byLayer = new Map<LayerKey, ArrayLike<number>[]>()
  if (l.xor) {
    for (const c of l.xor.cells.values()) {
      for (const [k, s] of c.layers) {
        let list = byLayer.get(k)
        if (!list) byLayer.set(k, (list = []))
        const d = s.boxes.data
        for (let i = 0; i < s.boxCount; i++) list.push([d[4 * i]!, d[4 * i + 1]!, d[4 * i + 2]!, d[4 * i + 1]!, d[4 * i + 2]!, d[4 * i + 3]!, d[4 * i]!, d[4 * i + 3]!])
        const pc = s.polyCoords.data, ps = s.polyStarts.data
        for (let i = 0; i < s.polygonCount; i++) list.push(pc.subarray(ps[i]!, ps[i + 1]!))
      }
    }
  }
  l.marks = new Map()
  for (const [k, polygons] of byLayer) {
    const boxes = new Int32Array(4 * polygons.length)
    polygons.forEach((p, i) => {
      let x0 = Infinity, y0 = Infinity, x1 = -Infinity, y1 = -Infinity
      for (let q = 0; q < p.length; q += 2) {
        x0 = Math.min(x0, p[q]!)
        x1 = Math.max(x1, p[q]!)
        y0 = Math.min(y0, p[q + 1]!)
        y1 = Math.max(y1, p[q + 1]!)
      }
      boxes.set([x0, y0, x1, y1], 4 * i)
    })
    l.marks.set(k, { polygons, tree: new PackedTree(boxes, polygons.length) })
  }
  return l.marks
}

/** A view of `win` (dbu) into w x h pixels, centred, square pixels. */
export function viewOf(win: BBox, w: number, h: number): View {
  const ww = Math.max(win[2] - win[0], 1e-9), wh = Math.max(win[3] - win[1], 1e-9)
  const scale = Math.min(w / ww, h / wh)
  const cx = (win[0] + win[2]) / 2, cy = (win[1] + win[3]) / 2
  const l = cx - w / scale / 2, t = cy + h / scale / 2
  return { l, b: t - h / scale, r: l + w / scale, t, width: w, height: h, scale }
}

/** Reads a file (for the inline backend's symmetry with the worker's). */
export const readBytes = (p: string): Buffer => readFileSync(p)
