import { readLayout } from '../layout/gdsio.js'
import { ghostWarning } from '../layout/ghosts.js'
import { showMicrons } from '../layout/units.js'
import { layerName } from '../layout/layers.js'
import { summarize } from '../layout/stats.js'
import type { BBox } from '../layout/bbox.js'

export interface InfoOptions {
  json: boolean
  /** Undefined cells are an error (default: empty cells and a warning line). */
  strict?: boolean
}

export interface InfoResult {
  text: string
  /** One-line warnings (undefined cells): printed on stderr with --json, else part of the text. */
  warnings: string[]
}

/** `laytest info FILE`: cells, layers, boxes and counts of a GDSII or OASIS file. */
export function infoCommand(file: string, opts: InfoOptions): InfoResult {
  const layout = readLayout(file, { strict: !!opts.strict })
  const warning = ghostWarning(layout, file)
  const warnings = warning ? [warning] : []
  const s = summarize(layout)
  if (opts.json) return { text: JSON.stringify(s, null, 1) + '\n', warnings }

  const um = (v: number): string => fmtNum(v * layout.dbu)
  const box = (b: BBox | null): string => (b ? `(${um(b[0])}, ${um(b[1])}) .. (${um(b[2])}, ${um(b[3])}) um` : 'empty')
  const lines: string[] = []
  lines.push(`${file}`)
  for (const w of warnings) lines.push(`  ${w}`)
  lines.push(`  library ${layout.name}, dbu ${showMicrons(layout.dbu)} um, ${layout.cells.size} cell(s), top: ${s.top_cells.join(', ') || '(none)'}`)
  for (const top of s.top_cells) {
    const flat = s.flat[top]!
    const total = Object.values(flat).reduce((n, v) => n + v.shapes, 0)
    lines.push('')
    lines.push(`top cell ${top}: bbox ${box(s.flat_bbox[top] ?? null)}, ${total} flat shape(s), ${s.texts_flat[top]} text(s)`)
    const rows = Object.entries(flat)
    if (rows.length) {
      lines.push(`  ${'layer'.padEnd(10)} ${'shapes'.padStart(10)}  bbox`)
      for (const [name, v] of rows) lines.push(`  ${name.padEnd(10)} ${String(v.shapes).padStart(10)}  ${box(v.bbox)}`)
    }
  }
  lines.push('')
  lines.push(`cells:`)
  lines.push(`  ${'name'.padEnd(32)} ${'boxes'.padStart(8)} ${'polygons'.padStart(8)} ${'paths'.padStart(8)} ${'texts'.padStart(6)} ${'insts'.padStart(6)}`)
  for (const [name, c] of Object.entries(s.cells)) {
    const k = c.counts
    lines.push(`  ${(name + (c.ghost ? ' (ghost)' : '')).padEnd(32)} ${String(k.boxes).padStart(8)} ${String(k.polygons).padStart(8)} ${String(k.paths).padStart(8)} ${String(k.texts).padStart(6)} ${String(k.instances).padStart(6)}`)
  }
  void layerName
  return { text: lines.join('\n') + '\n', warnings }
}

const fmtNum = showMicrons
