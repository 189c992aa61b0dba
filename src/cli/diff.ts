import { diffLayouts, writeXorGds, type DiffOptions, type DiffResult } from '../diff/index.js'
import type { Layout } from '../layout/layout.js'
import { readLayouts } from '../layout/read-parallel.js'
import { basename } from 'node:path'
import { readLyp } from '../render/lyp.js'
import { writeDiffImages, type DiffImages } from './images.js'

export interface DiffCommandOptions extends DiffOptions {
  json: boolean
  /** Write the XOR as GDS here. */
  output?: string
  /** With output: also the compared A and B shapes on offset layers. */
  withInputs?: boolean
  /** Write expected / actual / diff / composite / xor PNGs here. */
  images?: string
  /** Base name of the images (default: B's file name without extension). */
  name?: string
  size?: number
  lyp?: string
}

export interface DiffCommandResult {
  text: string
  equal: boolean
}

/** `laytest diff A B`: the text (or JSON) to print and the verdict. */
export async function diffCommand(fileA: string, fileB: string, opts: DiffCommandOptions): Promise<DiffCommandResult> {
  const t0 = performance.now()
  const [a, b] = (await readLayouts([fileA, fileB])) as [Layout, Layout]
  const read = performance.now() - t0
  const outcome = await diffLayouts(a, b, { ...opts, keepInputs: !!(opts.output && opts.withInputs) })
  if (opts.output) await writeXorGds(outcome, opts.output, { inputs: !!opts.withInputs })
  let images: DiffImages | null = null
  if (opts.images) {
    const name = opts.name ?? basename(fileB).replace(/\.gds(\.gz)?$/i, '')
    images = writeDiffImages(opts.images, name, a, b, outcome, { size: opts.size, styles: opts.lyp ? readLyp(opts.lyp) : undefined })
  }
  const r = outcome.result
  const wall = performance.now() - t0
  if (opts.json) {
    const json = {
      a: fileA, b: fileB, ...r, timings: { read: round(read), ...r.timings, wall: round(wall) },
      ...(images ? { images: images.files, pixelDiff: { diffPixels: images.pixels.diffPixels, diffRatio: images.pixels.diffRatio } } : {}),
    }
    return { text: JSON.stringify(json, null, 1) + '\n', equal: r.equal }
  }
  let text = summaryText(fileA, fileB, r, opts.output, wall)
  if (images) text += `images: ${images.files.composite}, ${images.files.xor} (${images.pixels.diffPixels} pixels differ)\n`
  return { text, equal: r.equal }
}

const round = (v: number): number => Math.round(v * 10) / 10

function fmtArea(dbu2: number, dbu: number): string {
  const um2 = dbu2 * dbu * dbu
  return um2 === 0 ? '0' : Number(um2.toPrecision(6)).toString()
}

/** A strmxor-like summary: differing layers with XOR area, polygons and where a layer exists; changed cells. */
export function summaryText(fileA: string, fileB: string, r: DiffResult, output: string | undefined, wall: number): string {
  const lines: string[] = []
  lines.push(`A: ${fileA} (top ${r.topA.join(', ')})`)
  lines.push(`B: ${fileB} (top ${r.topB.join(', ')})`)
  lines.push(`grid: dbu ${r.dbu} um${r.tolerance ? `, tolerance ${r.tolerance} um` : ''}`)
  lines.push('')
  const all = Object.values(r.layers)
  const differing = all.filter((l) => l.xorAreaExact !== '0' || l.sliverOnly)
  if (differing.length === 0) {
    lines.push(`No differences found (${all.length} layer(s) compared, ${all.filter((l) => l.method === 'identical').length} with identical content, not XORed).`)
  } else {
    lines.push('Layer       XOR area (um^2)   Polygons  Only in  Largest difference (um)')
    lines.push('------------------------------------------------------------------------------------------')
    const um = (v: number): string => Number((v * r.dbu).toPrecision(10)).toString()
    for (const l of differing) {
      const b = l.bboxes[0]
      const where = b ? `(${um(b[0])}, ${um(b[1])}) .. (${um(b[2])}, ${um(b[3])})` : ''
      const note = [where, l.sliverOnly ? 'sliver only (within tolerance)' : ''].filter(Boolean).join('  ')
      lines.push(`${l.layer.padEnd(11)} ${fmtArea(l.xorArea, r.dbu).padStart(15)}   ${String(l.polygons).padStart(8)}  ${(l.onlyIn ? l.onlyIn.toUpperCase() : '-').padEnd(7)}  ${note}`)
    }
    const real = differing.filter((l) => !l.sliverOnly).length
    lines.push('')
    lines.push(`${real} of ${all.length} layer(s) differ${differing.length > real ? ` (${differing.length - real} more within tolerance)` : ''}.`)
  }
  if (r.labels && !r.labels.equal) {
    lines.push('')
    lines.push(`Labels differ: ${r.labels.countOnlyInA} only in A, ${r.labels.countOnlyInB} only in B`)
    for (const [side, list] of [['A', r.labels.onlyInA], ['B', r.labels.onlyInB]] as const) {
      for (const l of list.slice(0, 10)) lines.push(`  only in ${side}: "${l.text}" on ${l.layer} at (${l.x}, ${l.y})`)
    }
  }
  const cc = r.changedCells
  if (cc && (cc.changed.length || cc.onlyInA.length || cc.onlyInB.length || cc.renamed.length)) {
    lines.push('')
    lines.push(`Cells: ${cc.identical.length} identical, ${cc.changed.length} changed, ${cc.onlyInA.length} only in A, ${cc.onlyInB.length} only in B, ${cc.renamed.length} renamed`)
    for (const c of cc.changed) {
      const how = c.self ? 'own content' : 'through children'
      lines.push(`  changed  ${c.name}: ${c.layers.length ? `layers ${c.layers.join(' ')}` : 'no geometry change'} (${how}${c.texts ? ', texts/properties' : ''})`)
    }
    for (const n of cc.onlyInA) lines.push(`  only A   ${n}`)
    for (const n of cc.onlyInB) lines.push(`  only B   ${n}`)
    for (const p of cc.renamed) lines.push(`  renamed  ${p.a} -> ${p.b}`)
  }
  if (output) lines.push('', `XOR written to ${output}`)
  lines.push('', `${r.equal ? 'EQUAL' : 'DIFFERENT'} (${Math.round(wall)} ms)`)
  return lines.join('\n') + '\n'
}
