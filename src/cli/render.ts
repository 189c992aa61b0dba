import { readLayout } from '../layout/gdsio.js'
import { readLyp } from '../render/lyp.js'
import { writePng } from '../render/png.js'
import { renderLayout } from '../render/render.js'

export interface RenderCommandOptions {
  cell?: string
  size?: number
  lyp?: string
  /** Micrometres. */
  window?: [number, number, number, number]
  background?: string
  texts?: boolean
  /** Keep referenced but undefined cells as empty cells (default: an error naming them). */
  ghostCells?: boolean
}

/** `laytest render FILE -o OUT.png`: one line saying what was drawn. */
export function renderCommand(file: string, out: string, opts: RenderCommandOptions): string {
  const layout = readLayout(file, { ghostCells: opts.ghostCells ? 'empty' : 'error' })
  const dbu = layout.dbu
  const styles = opts.lyp ? readLyp(opts.lyp) : undefined
  const window = opts.window ? (opts.window.map((v) => v / dbu) as [number, number, number, number]) : undefined
  const t0 = performance.now()
  const r = renderLayout(layout, { cell: opts.cell, size: opts.size, styles, window, texts: opts.texts, background: opts.background?.startsWith('#') || !opts.background ? opts.background : `#${opts.background}` })
  writePng(out, r.image)
  const ms = Math.round(performance.now() - t0)
  return `${out}: ${r.image.width} x ${r.image.height} px, ${r.layers.length} layer(s), ${Number((1 / r.view.scale * dbu).toPrecision(4))} um per pixel (${ms} ms)\n`
}
