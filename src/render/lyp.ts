import { readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { oneLineMessage, showName } from '../gds/names.js'
import { layerKey } from '../layout/layers.js'
import { ditherPattern, LayerStyles, parseColor, type RGB } from './style.js'

/** A .lyp file that cannot be used: names the file and what was expected. */
export class LypError extends Error {
  constructor(
    readonly file: string,
    what: string,
  ) {
    super(oneLineMessage(`${file}: ${what}`))
    this.name = 'LypError'
  }
}

interface LypProperties {
  'frame-color'?: string
  'fill-color'?: string
  'frame-brightness'?: number | string
  'fill-brightness'?: number | string
  'dither-pattern'?: string
  visible?: boolean | string
  transparent?: boolean | string
  name?: string
  source?: string
  'group-members'?: unknown
  [k: string]: unknown
}

// loaded at the first .lyp file: importing fast-xml-parser costs ~0.1 s, which every `import 'laytest'` would pay
let XMLParserClass: typeof import('fast-xml-parser').XMLParser | null = null
function xmlParser(): typeof import('fast-xml-parser').XMLParser {
  XMLParserClass ??= (createRequire(import.meta.url)('fast-xml-parser') as typeof import('fast-xml-parser')).XMLParser
  return XMLParserClass
}

/**
 * Reads a KLayout layer-properties file (.lyp): per layer the fill and frame colours (with KLayout's
 * brightness adjustment), the dither pattern (I0 solid, I1 hollow, others approximated, see ditherPattern),
 * visibility and name. Layers the file does not list are hidden, as in KLayout. Group entries (nested
 * `group-members`) are flattened. Sources other than "L/D" or "L/D@n" (names, wildcards) are skipped.
 */
export function readLyp(file: string, contents?: string): LayerStyles {
  let text: string
  try {
    text = contents ?? readFileSync(file, 'utf8')
  } catch (e) {
    throw new LypError(file, `a readable KLayout layer-properties file (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`)
  }
  let doc: { 'layer-properties'?: { properties?: LypProperties | LypProperties[] } }
  try {
    doc = new (xmlParser())({ parseTagValue: false, trimValues: true }).parse(text, true) as typeof doc
  } catch (e) {
    throw new LypError(file, `not well-formed XML (${(e as Error).message.split('\n')[0]})`)
  }
  const root = doc['layer-properties']
  if (!root || typeof root !== 'object') throw new LypError(file, 'expected a <layer-properties> document')
  const styles = new LayerStyles()
  styles.others = false
  const visit = (list: LypProperties | LypProperties[] | undefined, parentVisible: boolean): void => {
    for (const p of Array.isArray(list) ? list : list ? [list] : []) {
      const visible = parentVisible && String(p.visible ?? 'true') !== 'false'
      if (p['group-members']) visit(p['group-members'] as LypProperties | LypProperties[], visible)
      const m = /^\s*(\d+)\s*\/\s*(\d+)\s*(@\d+)?\s*$/.exec(String(p.source ?? ''))
      if (!m) continue
      const fill = color(file, p['fill-color'], Number(p['fill-brightness'] ?? 0))
      const frame = color(file, p['frame-color'], Number(p['frame-brightness'] ?? 0)) ?? fill
      const dp = /^I(\d+)$/.exec(String(p['dither-pattern'] ?? 'I0'))
      styles.styles.set(layerKey(Number(m[1]), Number(m[2])), {
        name: typeof p.name === 'string' && p.name ? p.name : undefined,
        fill: fill ?? [128, 128, 128], frame: frame ?? [128, 128, 128],
        alpha: String(p.transparent) === 'true' ? 60 : 110,
        pattern: dp ? ditherPattern(Number(dp[1])) : ditherPattern(0),
        visible,
      })
    }
  }
  visit(root.properties, true)
  return styles
}

/** A lyp colour with KLayout's brightness (-255..255: towards black or white). */
function color(file: string, s: string | undefined, brightness: number): RGB | null {
  if (!s) return null
  let c: RGB
  try {
    c = parseColor(s)
  } catch {
    const shown = showName(s, 60) // escaped, one line; always in quotes here
    throw new LypError(file, `colour ${shown.startsWith('"') ? shown : `"${shown}"`} is not #rrggbb`)
  }
  if (!brightness) return c
  const f = Math.max(-255, Math.min(255, brightness)) / 255
  return c.map((v) => Math.round(f > 0 ? v + (255 - v) * f : v * (1 + f))) as RGB
}
