import { layerOf, datatypeOf, type LayerKey } from '../layout/layers.js'

export type RGB = [number, number, number]

/** How one layer is drawn. */
export interface LayerStyle {
  name?: string
  fill: RGB
  frame: RGB
  /** Fill opacity 0..255 (the frame is opaque). */
  alpha: number
  /** 8 rows of 8 bits (bit i of row j set: pixel (i mod 8, j mod 8) filled); null: hollow (frame only). */
  pattern: Uint8Array | null
  visible: boolean
}

const row = (...r: number[]): Uint8Array => Uint8Array.from(r)

/** A few 8x8 fill patterns, named like KLayout's dither patterns they stand for. */
export const PATTERNS = {
  solid: row(0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff),
  dotted: row(0x88, 0x00, 0x22, 0x00, 0x88, 0x00, 0x22, 0x00),
  leftHatched: row(0x88, 0x44, 0x22, 0x11, 0x88, 0x44, 0x22, 0x11),
  rightHatched: row(0x11, 0x22, 0x44, 0x88, 0x11, 0x22, 0x44, 0x88),
  crossHatched: row(0x99, 0x66, 0x66, 0x99, 0x99, 0x66, 0x66, 0x99),
  checkerboard: row(0xcc, 0xcc, 0x33, 0x33, 0xcc, 0xcc, 0x33, 0x33),
  vertical: row(0x88, 0x88, 0x88, 0x88, 0x88, 0x88, 0x88, 0x88),
  horizontal: row(0xff, 0x00, 0x00, 0x00, 0xff, 0x00, 0x00, 0x00),
  grid: row(0xff, 0x88, 0x88, 0x88, 0xff, 0x88, 0x88, 0x88),
} as const

/**
 * KLayout's built-in dither pattern I<n> as one of ours: I0 solid, I1 hollow; the others by family (dotted,
 * left/right/cross hatched, checkerboard, vertical, horizontal, grid): the look, not the exact bits.
 */
export function ditherPattern(index: number): Uint8Array | null {
  if (index === 0) return PATTERNS.solid
  if (index === 1) return null
  if (index <= 3) return PATTERNS.dotted
  if (index <= 7) return PATTERNS.leftHatched
  if (index <= 11) return PATTERNS.rightHatched
  if (index === 14 || index === 16) return PATTERNS.checkerboard
  if (index <= 15) return PATTERNS.crossHatched
  if (index <= 31) return PATTERNS.dotted
  if (index <= 36) return PATTERNS.vertical
  if (index <= 41) return PATTERNS.horizontal
  return PATTERNS.grid
}

/** HSL (h in turns) to RGB bytes. */
function hsl(h: number, s: number, l: number): RGB {
  const f = (n: number): number => {
    const k = (n + h * 12) % 12
    const a = s * Math.min(l, 1 - l)
    return Math.round(255 * (l - a * Math.max(-1, Math.min(k - 3, 9 - k, 1))))
  }
  return [f(0), f(8), f(4)]
}

/**
 * The built-in colour of a layer: a function of layer and datatype only (the same layer has the same colour in
 * every image, whatever else is in the layout). Hues step by the golden angle so neighbouring layer numbers
 * differ strongly.
 */
export function paletteStyle(key: LayerKey): LayerStyle {
  const l = layerOf(key), d = datatypeOf(key)
  const h = (l * 0.381966 + d * 0.1213) % 1
  const light = d % 2 === 0 ? 0.45 : 0.6
  const c = hsl(h, 0.85, light)
  return { fill: c, frame: c, alpha: 110, pattern: d === 0 ? PATTERNS.solid : PATTERNS.leftHatched, visible: true }
}

/** Styles by layer: explicit ones (e.g. from a .lyp file) first, the palette for every other layer. */
export class LayerStyles {
  readonly styles = new Map<LayerKey, LayerStyle>()
  /** Layers without an explicit style: drawn with the palette (true) or hidden (false, as KLayout hides layers a .lyp does not list). */
  others = true

  get(key: LayerKey): LayerStyle {
    return this.styles.get(key) ?? (this.others ? paletteStyle(key) : { ...paletteStyle(key), visible: false })
  }

  /** Drawing order: explicit styles in their order, then the other layers by number. */
  order(keys: Iterable<LayerKey>): LayerKey[] {
    const listed = [...this.styles.keys()]
    const rest = [...keys].filter((k) => !this.styles.has(k)).sort((a, b) => a - b)
    return [...listed, ...rest]
  }
}

export function parseColor(s: string): RGB {
  const m = /^#?([0-9a-f]{6})$/i.exec(s.trim())
  if (!m) throw new RangeError(`colour "${s}" is not #rrggbb`)
  const v = parseInt(m[1]!, 16)
  return [(v >> 16) & 255, (v >> 8) & 255, v & 255]
}
