import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import type { Canvas, SKRSContext2D } from '@napi-rs/canvas'
import type { Image } from './render.js'

/*
 * The canvas (@napi-rs/canvas, Skia) draws what a person reads: text, legends, scale bars, frames. Geometry
 * stays with laytest's own rasteriser (render.ts), whose RGBA buffer is put on the canvas first.
 *
 * Text uses DejaVu Sans from the `dejavu-fonts-ttf` package, registered under names of our own, so no system
 * font is ever picked: `ctx.font` only names these families, `ctx.lang` is fixed, and strings are reduced to
 * characters the font has (safeText) — a missing glyph would otherwise come from an installed font.
 */

/** Font families registered by registerFonts(). */
export const SANS = 'laytest-dejavu-sans'
export const SANS_BOLD = 'laytest-dejavu-sans-bold'
export const MONO = 'laytest-dejavu-mono'

const require = createRequire(import.meta.url)
let napi: typeof import('@napi-rs/canvas') | null = null
let registered = false

/**
 * The canvas module, loaded on first use (its native library takes some 50 ms to load: a diff that draws nothing
 * does not pay it), with the shipped fonts registered once per process (throws if the font package is missing).
 */
function canvasModule(): typeof import('@napi-rs/canvas') {
  napi ??= require('@napi-rs/canvas') as typeof import('@napi-rs/canvas')
  if (!registered) {
    const dir = join(dirname(require.resolve('dejavu-fonts-ttf/package.json')), 'ttf')
    for (const [file, alias] of [['DejaVuSans.ttf', SANS], ['DejaVuSans-Bold.ttf', SANS_BOLD], ['DejaVuSansMono.ttf', MONO]] as const) {
      if (!napi.GlobalFonts.registerFromPath(join(dir, file), alias)) throw new Error(`cannot register the font ${join(dir, file)}`)
    }
    registered = true
  }
  return napi
}

/** Registers the shipped fonts (done on first use of the canvas anyway). */
export function registerFonts(): void {
  canvasModule()
}

/** A 1x1 canvas's context, to measure text with. */
export function measuringContext(): SKRSContext2D {
  const ctx = canvasModule().createCanvas(1, 1).getContext('2d')
  ctx.lang = 'en'
  return ctx
}

/** A CSS font string naming one of the shipped families. */
export function font(px: number, family: string = SANS): string {
  return `${Math.round(px * 10) / 10}px ${family}`
}

/**
 * Characters the shipped font is known to have (Latin, Greek, Cyrillic and common symbols); any other one
 * becomes '?', so that no glyph is taken from a font installed on the machine.
 */
export function safeText(s: string): string {
  let out = ''
  for (const ch of s) {
    const c = ch.codePointAt(0)!
    const ok = (c >= 0x20 && c <= 0x7e) || (c >= 0xa0 && c <= 0x24f) || (c >= 0x370 && c <= 0x4ff) ||
      (c >= 0x2010 && c <= 0x2027) || (c >= 0x2190 && c <= 0x2199) || c === 0x2212 || c === 0x2295 || c === 0x2248 ||
      c === 0x2264 || c === 0x2265 || c === 0x00d7 || c === 0x25a0 || c === 0x25cf
    out += ok ? ch : '?'
  }
  return out
}

/** A canvas holding a copy of the image (opaque pixels are copied exactly), with the fonts registered. */
export function canvasOf(img: Image): { canvas: Canvas; ctx: SKRSContext2D } {
  const canvas = canvasModule().createCanvas(img.width, img.height)
  const ctx = canvas.getContext('2d')
  ctx.lang = 'en'
  putImage(ctx, img, 0, 0)
  return { canvas, ctx }
}

/** A blank canvas of one colour, with the fonts registered. */
export function blankCanvas(width: number, height: number, background: string): { canvas: Canvas; ctx: SKRSContext2D } {
  const canvas = canvasModule().createCanvas(width, height)
  const ctx = canvas.getContext('2d')
  ctx.lang = 'en'
  ctx.fillStyle = background
  ctx.fillRect(0, 0, width, height)
  return { canvas, ctx }
}

/** Writes the image's pixels at (x, y), replacing what is there (no blending; of the transform, only its translation applies). */
export function putImage(ctx: SKRSContext2D, img: Image, x: number, y: number): void {
  const data = new Uint8ClampedArray(img.data.buffer, img.data.byteOffset, img.data.byteLength)
  const m = ctx.getTransform()
  ctx.putImageData(new (canvasModule().ImageData)(data, img.width, img.height), Math.round(x + m.e), Math.round(y + m.f))
}

/** The canvas's pixels as an image (RGBA, rows from the top). */
export function imageOf(canvas: Canvas): Image {
  const ctx = canvas.getContext('2d')
  const d = ctx.getImageData(0, 0, canvas.width, canvas.height).data
  return { width: canvas.width, height: canvas.height, data: new Uint8Array(d.buffer, d.byteOffset, d.byteLength) }
}

/**
 * Draws on a region of an image through a canvas of that region's size: the region's pixels are put on the
 * canvas, `draw` runs with the context translated so that it uses the image's coordinates, and the pixels come
 * back. What lies outside the region is not touched, and a big picture never goes through the canvas whole.
 */
export function drawOn(img: Image, x: number, y: number, w: number, h: number, draw: (ctx: SKRSContext2D) => void): void {
  const x0 = Math.max(0, Math.floor(x)), y0 = Math.max(0, Math.floor(y))
  const x1 = Math.min(img.width, Math.ceil(x + w)), y1 = Math.min(img.height, Math.ceil(y + h))
  if (!(x1 > x0 && y1 > y0)) return // empty, or not a number (a region with nothing in it)
  const rw = x1 - x0, rh = y1 - y0
  const sub = { width: rw, height: rh, data: new Uint8Array(rw * rh * 4) }
  for (let r = 0; r < rh; r++) sub.data.set(img.data.subarray(4 * ((y0 + r) * img.width + x0), 4 * ((y0 + r) * img.width + x1)), 4 * r * rw)
  const { canvas, ctx } = canvasOf(sub)
  ctx.translate(-x0, -y0)
  draw(ctx)
  const back = imageOf(canvas)
  for (let r = 0; r < rh; r++) img.data.set(back.data.subarray(4 * r * rw, 4 * (r + 1) * rw), 4 * ((y0 + r) * img.width + x0))
}

/** Text with a light halo, readable over any layout (stroke first, then fill). */
export function haloText(ctx: SKRSContext2D, text: string, x: number, y: number, color: string, halo = 'rgba(255,255,255,0.85)', width = 3): void {
  const t = safeText(text)
  ctx.lineJoin = 'round'
  ctx.lineWidth = width
  ctx.strokeStyle = halo
  ctx.strokeText(t, x, y)
  ctx.fillStyle = color
  ctx.fillText(t, x, y)
}

export function rgb(c: readonly [number, number, number]): string {
  return `rgb(${c[0]},${c[1]},${c[2]})`
}
