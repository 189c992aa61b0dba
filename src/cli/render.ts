import { showName, showNames } from '../gds/names.js'
import { readLayout } from '../layout/gdsio.js'
import { ghostWarning } from '../layout/ghosts.js'
import { readLyp } from '../render/lyp.js'
import { writePng } from '../render/png.js'
import { renderLayout } from '../render/render.js'
import { UsageError } from './errors.js'

export interface RenderCommandOptions {
  cell?: string
  size?: number
  lyp?: string
  /** Micrometres. */
  window?: [number, number, number, number]
  background?: string
  texts?: boolean
  /** Undefined cells are an error (default: empty cells, as KLayout reads them, and a warning line). */
  strict?: boolean
}

/** `laytest render FILE -o OUT.png`: one line saying what was drawn. */
export function renderCommand(file: string, out: string, opts: RenderCommandOptions): string {
  const layout = readLayout(file, { strict: !!opts.strict })
  if (opts.cell !== undefined && !layout.getCell(opts.cell)) {
    const tops = layout.topCells().map((c) => c.name)
    throw new UsageError(`${file} has no cell named ${showName(opts.cell)} (top cells: ${showNames(tops)})`)
  }
  const warning = ghostWarning(layout, file)
  const dbu = layout.dbu
  const styles = opts.lyp ? readLyp(opts.lyp) : undefined
  const window = opts.window ? (opts.window.map((v) => v / dbu) as [number, number, number, number]) : undefined
  const t0 = performance.now()
  const r = renderLayout(layout, { cell: opts.cell, size: opts.size, styles, window, texts: opts.texts, background: opts.background?.startsWith('#') || !opts.background ? opts.background : `#${opts.background}` })
  writePng(out, r.image)
  const ms = Math.round(performance.now() - t0)
  return `${warning ? `${warning}\n` : ''}${out}: ${r.image.width} x ${r.image.height} px, ${r.layers.length} layer(s), ${Number((1 / r.view.scale * dbu).toPrecision(4))} um per pixel (${ms} ms)\n`
}
