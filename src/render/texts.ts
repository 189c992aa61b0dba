import { bboxTouches, type BBox } from '../layout/bbox.js'
import { cellBBox } from '../layout/extent.js'
import { MemberRanges, transformBBox } from '../layout/flatten.js'
import type { LayerKey } from '../layout/layers.js'
import type { Cell } from '../layout/layout.js'
import { flatTextCount } from '../layout/stats.js'
import { IDENTITY, compose, placementAffine, type Affine } from '../layout/transform.js'
import { drawOn, font, measuringContext, rgb, safeText, SANS } from './canvas.js'
import { cellIndex, localWindow, MIN_INDEXED, worthIndexing } from './cell-index.js'
import type { Image } from './render.js'
import type { LayerStyles, RGB } from './style.js'
import type { View } from './view.js'

/** A label placed on an image: anchor in pixels, font size in pixels, colour. */
export interface PlacedLabel {
  /** Anchor pixel. */
  i: number
  j: number
  text: string
  px: number
  color: RGB
  /** Drawn before others when labels collide (lower first); ties by position and text. */
  priority?: number
}

/** Font sizes of labels in pixels: a label's height follows the view (its GDS magnification in µm, 1 µm without), within these bounds. */
export const LABEL_MIN_PX = 10
export const LABEL_MAX_PX = 22
/** At most this many labels are collected from a layout for one image (the thinning keeps fewer). */
const MAX_LABELS = 20000
/** Labels are drawn up to this many pixels right of their anchor: cells further out of view are skipped. */
const REACH_PX = 300

/** One line of at most 40 characters: what a label shows of a multi-line or long string. */
export function labelLine(s: string): string {
  const first = s.split(/\r?\n/, 1)[0] ?? ''
  const more = first.length < s.length
  const cut = first.length > 40 ? `${first.slice(0, 39)}…` : more ? `${first}…` : first
  return safeText(cut)
}

/**
 * The TEXT elements of a cell, flattened, that can show in the view (anchors within reach of it), as labels in
 * their layer's frame colour. Members of arrays out of reach are never enumerated.
 */
export function collectLabels(
  top: Cell, view: View, dbu: number, styles: LayerStyles, want: (k: LayerKey) => boolean, opts: { index?: boolean } = {},
): PlacedLabel[] {
  const indexed = opts.index ?? true
  const out: PlacedLabel[] = []
  const reach: BBox = [view.l - REACH_PX / view.scale, view.b - 30 / view.scale, view.r + 30 / view.scale, view.t + 30 / view.scale]
  // what an index is asked for: reach and two pixels more (the anchors are then tested in pixels, as without it)
  const g = 2 / view.scale + 2
  const near: BBox = [reach[0] - g, reach[1] - g, reach[2] + g, reach[3] + g]
  const pxPerUm = view.scale / dbu
  const labels = (cell: Cell, t: Affine): void => {
    // a cell with many texts: only those within reach, from its index, in stored order
    let list: ArrayLike<number> | null = null
    if (indexed && cell.texts.length > MIN_INDEXED) {
      const win = localWindow(t, near)
      const ix = cellIndex(cell)
      if (win && (ix.textsBuilt || worthIndexing(win, cellBBox(cell)))) list = ix.texts()!.items(win)
    }
    const n = list ? list.length : cell.texts.length
    for (let q = 0; q < n; q++) {
      const tx = cell.texts[list ? list[q]! : q]!
      if (out.length >= MAX_LABELS) return
      const st = styles.get(tx.layer)
      if (!st.visible || !want(tx.layer)) continue
      const x = t.a * tx.x + t.b * tx.y + t.tx, y = t.c * tx.x + t.d * tx.y + t.ty
      const i = Math.floor((x - view.l) * view.scale), j = Math.floor((view.t - y) * view.scale)
      if (i < -REACH_PX || j < -30 || i > view.width + 30 || j > view.height + 30) continue
      const mag = (tx.placement?.mag ?? 1) * Math.hypot(t.a, t.c)
      const px = Math.min(LABEL_MAX_PX, Math.max(LABEL_MIN_PX, mag * pxPerUm))
      out.push({ i, j, text: tx.text, px, color: st.frame })
    }
  }
  // depth first in stored order with an explicit stack; members whose box (anchors included) is out of reach
  // are skipped, so a huge array costs what is in view
  const frames: Array<{ cell: Cell; t: Affine; k: number; members: Affine[]; m: number }> = []
  labels(top, IDENTITY)
  frames.push({ cell: top, t: IDENTITY, k: 0, members: [], m: 0 })
  while (frames.length && out.length < MAX_LABELS) {
    const f = frames[frames.length - 1]!
    if (f.m < f.members.length) {
      const inst = f.cell.instances[f.k - 1]!
      const ct = compose(f.t, f.members[f.m++]!)
      labels(inst.cell, ct)
      frames.push({ cell: inst.cell, t: ct, k: 0, members: [], m: 0 })
      continue
    }
    if (f.k >= f.cell.instances.length) {
      frames.pop()
      continue
    }
    const inst = f.cell.instances[f.k++]!
    f.members = []
    f.m = 0
    if (flatTextCount(inst.cell) === 0) continue
    const cb = cellBBox(inst.cell)!
    const base = placementAffine(inst.placement)
    const a = inst.array
    if (!a) {
      f.members.push(base)
      continue
    }
    const ranges = new MemberRanges(f.t, a, transformBBox(compose(f.t, base), cb), reach)
    for (let i = 0; i < a.cols; i++) {
      const [j0, j1] = ranges.rows(i, a.rows)
      for (let j = j0; j <= j1; j++) {
        const mt = { ...base, tx: base.tx + i * a.colX + j * a.rowX, ty: base.ty + i * a.colY + j * a.rowY }
        if (bboxTouches(transformBBox(compose(f.t, mt), cb), reach)) f.members.push(mt)
      }
    }
  }
  return out
}

/**
 * Draws labels on the image (in place): a cross at each anchor (exact pixels), and the string to its right in the
 * shipped font with a white halo. Where strings would overlap, the first in order (priority, then position, then
 * text) is kept and the others are left out (their anchor crosses stay). The canvas draws tile by tile, on the
 * region the tile's strings cover, so a big image never goes through it whole. Returns the image and how many
 * strings were drawn and left out.
 */
export function drawLabels(img: Image, labels: PlacedLabel[]): { image: Image; drawn: number; thinned: number } {
  if (labels.length === 0) return { image: img, drawn: 0, thinned: 0 }
  for (const l of labels) {
    for (let d = -2; d <= 2; d++) {
      setPixel(img, l.i + d, l.j, l.color)
      setPixel(img, l.i, l.j + d, l.color)
    }
  }
  const measure = measuringContext()
  const order = labels.map((l, k) => ({ l, k, s: labelLine(l.text) })).filter((o) => o.s.length > 0)
  order.sort((p, q) => (p.l.priority ?? 0) - (q.l.priority ?? 0) || p.l.j - q.l.j || p.l.i - q.l.i || (p.s < q.s ? -1 : p.s > q.s ? 1 : 0) || p.k - q.k)
  const taken = new BoxGrid(64)
  const tiles = new Map<number, Array<{ l: PlacedLabel; s: string; box: BBox }>>()
  let drawn = 0, thinned = 0
  let px = -1
  for (const { l, s } of order) {
    const x = l.i + 4, y = l.j
    // the box of an empty string lies inside the string's: where it is already out or taken, so is the string's
    // (decided without measuring: at a full view of a big layout most labels are thinned)
    const least: BBox = [x - 1, y - l.px * 0.6, x + 1, y + l.px * 0.6]
    if (least[0] > img.width || least[3] < 0 || least[1] > img.height || taken.hits(least)) {
      thinned++
      continue
    }
    if (l.px !== px) measure.font = font((px = l.px), SANS)
    const w = measure.measureText(s).width
    const box: BBox = [x - 1, y - l.px * 0.6, x + w + 1, y + l.px * 0.6]
    if (box[2] < 0 || box[0] > img.width || box[3] < 0 || box[1] > img.height || taken.hits(box)) {
      thinned++
      continue
    }
    taken.add(box)
    const key = Math.floor(Math.max(0, l.j) / TILE) * 65536 + Math.floor(Math.max(0, l.i) / TILE)
    const list = tiles.get(key)
    if (list) list.push({ l, s, box })
    else tiles.set(key, [{ l, s, box }])
    drawn++
  }
  for (const key of [...tiles.keys()].sort((p, q) => p - q)) {
    const list = tiles.get(key)!
    const x0 = Math.min(...list.map((e) => e.box[0])) - 3, y0 = Math.min(...list.map((e) => e.box[1])) - 3
    const x1 = Math.max(...list.map((e) => e.box[2])) + 3, y1 = Math.max(...list.map((e) => e.box[3])) + 3
    drawOn(img, x0, y0, x1 - x0, y1 - y0, (ctx) => {
      ctx.textBaseline = 'middle'
      ctx.lineJoin = 'round'
      ctx.lineWidth = 3
      for (const { l, s } of list) {
        ctx.font = font(l.px, SANS)
        ctx.strokeStyle = 'rgba(255,255,255,0.85)'
        ctx.strokeText(s, l.i + 4, l.j)
        ctx.fillStyle = rgb(readable(l.color))
        ctx.fillText(s, l.i + 4, l.j)
      }
    })
  }
  return { image: img, drawn, thinned }
}

/** Labels are drawn on the canvas in tiles of this many pixels (by anchor). */
const TILE = 512

/** The colour darkened until it reads on white (luma at most 110 of 255), hue kept. */
export function readable(c: RGB): RGB {
  const luma = 0.299 * c[0] + 0.587 * c[1] + 0.114 * c[2]
  if (luma <= 110) return c
  const f = 110 / luma
  return [Math.round(c[0] * f), Math.round(c[1] * f), Math.round(c[2] * f)]
}

/** Boxes in pixels, bucketed on a grid, for overlap tests. */
class BoxGrid {
  private readonly cells = new Map<number, BBox[]>()
  constructor(private readonly cell: number) {}

  private keys(b: BBox): number[] {
    const out: number[] = []
    const c = this.cell
    for (let gx = Math.floor(b[0] / c); gx <= Math.floor(b[2] / c); gx++) {
      for (let gy = Math.floor(b[1] / c); gy <= Math.floor(b[3] / c); gy++) out.push((gx + 0x8000) * 0x10000 + (gy + 0x8000))
    }
    return out
  }

  hits(b: BBox): boolean {
    for (const k of this.keys(b)) {
      for (const o of this.cells.get(k) ?? []) if (b[0] < o[2] && o[0] < b[2] && b[1] < o[3] && o[1] < b[3]) return true
    }
    return false
  }

  add(b: BBox): void {
    for (const k of this.keys(b)) {
      const l = this.cells.get(k)
      if (l) l.push(b)
      else this.cells.set(k, [b])
    }
  }
}

function setPixel(img: Image, i: number, j: number, c: RGB): void {
  if (i < 0 || j < 0 || i >= img.width || j >= img.height) return
  img.data.set([c[0], c[1], c[2], 255], 4 * (j * img.width + i))
}
