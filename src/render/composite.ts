import { drawText, TEXT_HEIGHT } from './font.js'
import { blankImage, type Image } from './render.js'
import type { RGB } from './style.js'

/** Copies `src` into `dst` with its top-left corner at (x, y). */
export function blit(dst: Image, src: Image, x: number, y: number): void {
  for (let r = 0; r < src.height; r++) {
    const dy = y + r
    if (dy < 0 || dy >= dst.height) continue
    const x0 = Math.max(0, x), x1 = Math.min(dst.width, x + src.width)
    if (x1 <= x0) continue
    dst.data.set(src.data.subarray(4 * (r * src.width + (x0 - x)), 4 * (r * src.width + (x1 - x))), 4 * (dy * dst.width + x0))
  }
}

/** Nearest-neighbour scaling by an integer factor (insets: pixels stay crisp). */
export function scaleUp(src: Image, f: number): Image {
  const out = { width: src.width * f, height: src.height * f, data: new Uint8Array(src.width * f * src.height * f * 4) }
  for (let y = 0; y < out.height; y++) {
    for (let x = 0; x < out.width; x++) {
      const s = 4 * (Math.floor(y / f) * src.width + Math.floor(x / f))
      out.data.set(src.data.subarray(s, s + 4), 4 * (y * out.width + x))
    }
  }
  return out
}

/** A rectangle outline, `thickness` pixels wide, clipped. */
export function strokeRect(img: Image, x0: number, y0: number, x1: number, y1: number, color: RGB, thickness = 1): void {
  const put = (x: number, y: number): void => {
    if (x < 0 || y < 0 || x >= img.width || y >= img.height) return
    img.data.set([color[0], color[1], color[2], 255], 4 * (y * img.width + x))
  }
  for (let t = 0; t < thickness; t++) {
    for (let x = x0 - t; x <= x1 + t; x++) {
      put(x, y0 - t)
      put(x, y1 + t)
    }
    for (let y = y0 - t; y <= y1 + t; y++) {
      put(x0 - t, y)
      put(x1 + t, y)
    }
  }
}

const CAPTION: RGB = [40, 40, 40]

/**
 * Panels side by side with a caption above each (jest-image-snapshot's composite is the model): what people
 * look at in a CI artifact. Captions use the built-in bitmap font.
 */
export function sideBySide(panels: Array<{ image: Image; caption: string }>, opts: { gap?: number; background?: RGB } = {}): Image {
  const gap = opts.gap ?? 12
  const scale = Math.max(...panels.map((p) => p.image.width)) >= 600 ? 2 : 1
  const head = TEXT_HEIGHT * scale + 2 * gap
  const width = panels.reduce((w, p) => w + p.image.width, 0) + gap * (panels.length + 1)
  const height = Math.max(...panels.map((p) => p.image.height)) + head + gap
  const out = blankImage(width, height, opts.background ?? [236, 236, 236])
  let x = gap
  for (const p of panels) {
    drawText(out, x, gap, p.caption, CAPTION, scale)
    blit(out, p.image, x, head)
    strokeRect(out, x - 1, head - 1, x + p.image.width, head + p.image.height, [160, 160, 160])
    x += p.image.width + gap
  }
  return out
}
