import type { DiffResult, TopDiff } from '../diff/index.js'
import { showName } from '../gds/names.js'
import { showMicrons } from '../layout/units.js'

/** An area in dbu^2 as um^2, 6 significant digits. */
export function fmtArea(dbu2: number, dbu: number): string {
  const um2 = dbu2 * dbu * dbu
  return um2 === 0 ? '0' : Number(um2.toPrecision(6)).toString()
}

/** A strmxor-like summary: differing layers with XOR area, polygons and where a layer exists; changed cells. */
export function summaryText(fileA: string, fileB: string, r: DiffResult, output: string | undefined, wall?: number): string {
  const lines: string[] = []
  lines.push(`A: ${fileA} (top ${r.topA.join(', ')})`)
  lines.push(`B: ${fileB} (top ${r.topB.join(', ')})`)
  lines.push(`grid: dbu ${showMicrons(r.dbu)} um${r.tolerance ? `, tolerance ${r.tolerance} um` : ''}`)
  lines.push('')
  if (r.tops) lines.push(...topLines(r.tops, r.dbu), '')
  const all = Object.values(r.layers)
  const um = (v: number): string => Number((v * r.dbu).toPrecision(10)).toString()
  const differing = all.filter((l) => l.differs || l.sliverOnly)
  if (differing.length === 0) {
    lines.push(`No differences found (${all.length} layer(s) compared, ${all.filter((l) => l.method === 'identical').length} with identical content, not XORed).`)
  } else {
    if (r.tops) lines.push('All top cells together:')
    lines.push('Layer       XOR area (um^2)   Polygons  Only in  Largest difference (um)')
    lines.push('------------------------------------------------------------------------------------------')
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
      // one line per label however long it is or whatever it holds (gdsfactory's settings labels span lines)
      for (const l of list.slice(0, 10)) lines.push(`  only in ${side}: ${quoted(l.text)} on ${l.layer} at (${um(l.x)}, ${um(l.y)}) um`)
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
  if (wall !== undefined) lines.push('', `${r.equal ? 'EQUAL' : 'DIFFERENT'} (${Math.round(wall)} ms)`)
  return lines.join('\n') + '\n'
}

/** Several top cells compared pairwise: one line per top cell name, what differs in it. */
function topLines(tops: TopDiff[], dbu: number): string[] {
  const differ = tops.filter((t) => !t.equal).length
  const out = [`Top cells, compared pairwise by name: ${differ ? `${differ} of ${tops.length} differ` : `all ${tops.length} equal`}`]
  const w = Math.min(32, Math.max(...tops.map((t) => t.name.length)))
  for (const t of tops) {
    let what: string
    if (t.onlyIn) what = `top cell only in ${t.onlyIn.toUpperCase()}`
    else if (t.equal) what = 'equal'
    else {
      const layers = Object.values(t.layers).filter((l) => l.differs)
      const shown = layers.slice(0, 6).map((l) => `${l.layer} ${fmtArea(l.xorArea, dbu)} um^2`)
      what = layers.length ? `different: ${shown.join(', ')}${layers.length > shown.length ? `, ${layers.length - shown.length} more layer(s)` : ''}` : 'different (labels)'
    }
    const name = showName(t.topA && t.topB && t.topA !== t.topB ? `${t.topA} / ${t.topB}` : t.name, 48)
    out.push(`  ${name.padEnd(w)}  ${what}`)
  }
  return out
}

/** A label's text for one line: quoted, escaped where it holds control or non-ASCII characters, cut at 60. */
function quoted(text: string): string {
  const s = showName(text, 60)
  return s.startsWith('"') ? s : `"${s}"`
}
