/**
 * kfactory's demo with laytest: two waveguide factories with ports (a straight and a circular bend), four
 * cells, and the session, so that a second run restores every factory cell instead of building it.
 *
 *   npm run build && node examples/factories.mjs [out.gds]      # run it twice: the second run builds nothing
 *   npx laytest session list                                      # what the session holds
 *
 * The session folder is build/session/laytest (or LAYTEST_SESSION_DIR). Edit a factory below, or anything this
 * file imports, and its cells and the cells that use them are built again; the others are restored.
 */
/* global process, console */
import { mkdirSync } from 'node:fs'
import { dirname } from 'node:path'
import { Layout, connectTo, loadSession, portOf, saveSession, sessionReport, writeLayoutFile } from 'laytest'

// before the factories exist: restored cells wait for their factory's first call
loadSession()

const um = 1000 // dbu = 1 nm
const WG = { layer: 1, datatype: 0 }
const layout = new Layout({ name: 'DEMO', dbu: 0.001 })

/** A straight waveguide, ports o1 (west) and o2 (east). Width and length in µm. */
export const straight = layout.factory('straight', (c, { width, length }) => {
  const w = Math.round(width * um), l = Math.round(length * um)
  c.addBox(WG, 0, -w / 2, l, w / 2)
  c.addPort({ name: 'o1', x: 0, y: 0, angle: 180, width: w, layer: WG })
  c.addPort({ name: 'o2', x: l, y: 0, angle: 0, width: w, layer: WG })
}, { width: 0.5, length: 10 })

/** A 90-degree circular bend to the left: o1 faces west at the origin, o2 faces north at (radius, radius). */
export const bend = layout.factory('bend_circular', (c, { width, radius, points }) => {
  const w = Math.round(width * um), r = Math.round(radius * um)
  const outer = [], inner = []
  for (let i = 0; i <= points; i++) {
    const a = -Math.PI / 2 + (Math.PI / 2) * (i / points)
    outer.push([Math.round((r + w / 2) * Math.cos(a)), Math.round(r + (r + w / 2) * Math.sin(a))])
    inner.push([Math.round((r - w / 2) * Math.cos(a)), Math.round(r + (r - w / 2) * Math.sin(a))])
  }
  c.addPolygon(WG, [...outer, ...inner.reverse()])
  c.addPort({ name: 'o1', x: 0, y: 0, angle: 180, width: w, layer: WG })
  c.addPort({ name: 'o2', x: r, y: r, angle: 90, width: w, layer: WG })
}, { width: 0.5, radius: 10, points: 64 })

// the fourth cell: a route made of the three factory cells, each placed onto the previous one's port
const top = layout.newCell('TOP')
const s1 = top.place(straight())
const b = top.place(bend(), connectTo(bend().port('o1'), portOf(s1, 'o2')))
top.place(straight({ length: 20 }), connectTo(straight({ length: 20 }).port('o1'), portOf(b, 'o2')))

const out = process.argv[2] ?? 'build/examples/factories.gds'
mkdirSync(dirname(out), { recursive: true })
writeLayoutFile(layout, out)
saveSession()

const report = sessionReport()
for (const c of layout.cells.values()) {
  console.log(`${c.name.padEnd(28)} ${c.ports.map((p) => `${p.name}@(${p.x / um}, ${p.y / um}) ${p.angle}°`).join('  ')}`)
}
console.log(`wrote ${out}; factory cells: ${report.restored} restored from the session, ${report.built} built`)
for (const r of report.cells) if (r.outcome === 'built') console.log(`  built ${r.cell}: ${r.reason}`)
