import { readFileSync } from 'node:fs'
import { PNG } from 'pngjs'
import { writeFileAtomic } from '../layout/gdsio.js'
import type { Image } from './render.js'

/** PNG bytes of an image: RGBA, no text or time chunks, so equal images give equal bytes. */
export function encodePng(img: Image): Buffer {
  const png = new PNG({ width: img.width, height: img.height, colorType: 6, inputHasAlpha: true })
  png.data = Buffer.from(img.data.buffer, img.data.byteOffset, img.data.byteLength)
  // a fixed row filter ("sub"): pngjs's adaptive filter choice is 4x slower for about the same size
  return PNG.sync.write(png, { colorType: 6, filterType: 1, deflateLevel: 6 })
}

/** Decodes PNG bytes to RGBA; a broken file is an error naming it. */
export function decodePng(bytes: Uint8Array, file = '<buffer>'): Image {
  try {
    const png = PNG.sync.read(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength))
    return { width: png.width, height: png.height, data: new Uint8Array(png.data.buffer, png.data.byteOffset, png.data.byteLength) }
  } catch (e) {
    throw new Error(`${file}: not a readable PNG (${(e as Error).message})`)
  }
}

export function readPng(file: string): Image {
  return decodePng(readFileSync(file), file)
}

/** Writes a PNG atomically (temp file, then rename). */
export function writePng(file: string, img: Image): void {
  writeFileAtomic(file, encodePng(img))
}
