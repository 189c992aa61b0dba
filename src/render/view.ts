import type { BBox } from '../layout/bbox.js'

/**
 * What part of the layout an image shows: the window in dbu and the image size. Pixel (i, j) covers
 * x in [l + i / scale, l + (i + 1) / scale) and y in (t - (j + 1) / scale, t - j / scale]: row 0 is the top.
 */
export interface View {
  l: number
  b: number
  r: number
  t: number
  width: number
  height: number
  /** Pixels per dbu. */
  scale: number
}

export interface FitOptions {
  /** Pixels on the long side (default 1024). */
  size?: number
  /** Margin around the box, as a fraction of its long side (default 0.05). */
  margin?: number
  /**
   * The short side of the image is at least this many pixels (at most `size`; default none): the window is widened
   * around the box's centre at the same scale, so an elongated layout still gets a panel people can read.
   */
  minShort?: number
}

/** A view showing `box` (dbu) with a margin, `size` pixels on the long side, square pixels. */
export function fitView(box: BBox, opts: FitOptions = {}): View {
  const size = opts.size ?? 1024
  if (!Number.isInteger(size) || size < 1 || size > 16384) throw new RangeError(`image size must be 1..16384 pixels (got ${size})`)
  const margin = opts.margin ?? 0.05
  let w = box[2] - box[0], h = box[3] - box[1]
  const long = Math.max(w, h, 1)
  const m = long * margin
  const l = box[0] - m, b = box[1] - m
  w = Math.max(w, 0) + 2 * m
  h = Math.max(h, 0) + 2 * m
  const scale = size / Math.max(w, h, 1)
  let width = Math.max(1, Math.round(w * scale)), height = Math.max(1, Math.round(h * scale))
  let wl = l, wb = b
  const min = Math.min(opts.minShort ?? 0, size)
  if (width < min) {
    wl -= (min - width) / 2 / scale
    width = min
  }
  if (height < min) {
    wb -= (min - height) / 2 / scale
    height = min
  }
  return { l: wl, b: wb, r: wl + width / scale, t: wb + height / scale, width, height, scale }
}
