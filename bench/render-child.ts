/**
 * Reads a GDS file and renders its top cell to a PNG with laytest in this fresh process; prints JSON timings.
 * With a 4th argument "annotated": the picture a failure gets, title, legend (one entry per layer), scale bar and
 * view coordinates drawn by @napi-rs/canvas around the rendered layout (which is reused, not drawn again).
 */
import { readLayout } from '../src/index.js'
import { LayerStyles, renderLayout, writePng, xorOverlay, type LegendEntry } from '../src/render/index.js'
import { layerName } from '../src/layout/layers.js'
import { peakRssMB } from './rss.js'

const [file, out, size, mode] = process.argv.slice(2) as [string, string, string, string | undefined]
const t0 = performance.now()
const layout = readLayout(file) // reading the file is timed, as KLayout's load_layout is
const t1 = performance.now()
const r = renderLayout(layout, { size: Number(size) })
let image = r.image
if (mode === 'annotated') {
  const styles = new LayerStyles()
  const legend: LegendEntry[] = r.layers.map((k) => ({ layer: layerName(k), style: styles.get(k), differs: false }))
  image = xorOverlay(layout, { polygons: [], clusters: [] }, {
    size: Number(size), view: r.view, base: r.image, insets: 0,
    figure: { title: `${file.split('/').pop()}: bench`, subtitle: `${r.layers.length} layers`, dbu: layout.dbu, legend },
  })
}
const t2 = performance.now()
writePng(out, image)
const t3 = performance.now()
console.log(JSON.stringify({ readMs: t1 - t0, renderMs: t2 - t1, pngMs: t3 - t2, totalMs: t3 - t0, rssMB: peakRssMB(), width: image.width, height: image.height }))
