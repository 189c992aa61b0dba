/**
 * npm run bench:session — a PDK-like generator written as a user would write it (plain .mjs modules, one per
 * factory, importing 'laytest'), run as a real node process three times against one session folder:
 *   cold    (no session), every cell built;
 *   warm    (nothing changed), every factory cell restored;
 *   changed (one leaf factory's module edited: taper.mjs), its cells and their dependants rebuilt, the rest
 *           restored.
 * ≥ 500 parameterised cells in 13 factories, five hierarchy levels (leaf -> mmi/ring filter/pad array -> mzi ->
 * tile -> chip). Leaf builds sample their curves finely and check the minimum spacing of their vertices
 * (an O(n^2) check standing in for KLayout region operations), a few ms per cell as in a real PDK.
 * Cold and warm alternate BENCH_ROUNDS times (default 3; a fresh session folder each round) and the ratio is
 * taken of the medians. Prints wall times (whole process, and the script's own time from loadSession to saveSession, split into
 * loadSession, building the chip through the factories, writing chip.gds, saveSession), cells built and restored,
 * and checks that the changed run rebuilt exactly the changed factory's cells and everything that used them
 * (from the dependencies the cold run recorded; per factory), and that the warm run built nothing (exit code 1
 * otherwise). Also the floor every process pays before its first line: `node -e 0`, and node importing laytest.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs'
import { cpus, loadavg, tmpdir, totalmem } from 'node:os'
import { join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { execa } from 'execa'

const TILES = Number(process.env.BENCH_TILES ?? 80)
const ROUNDS = Math.max(1, Number(process.env.BENCH_ROUNDS ?? 3))
const ROOT = resolve(fileURLToPath(new URL('.', import.meta.url)), '../../..')
const dir = mkdtempSync(join(tmpdir(), 'laytest-bench-session-'))

const MODULES: Record<string, string> = {
  'layers.mjs': `export const WG = [1, 0], CLAD = [111, 0], SLAB = [2, 0], M1 = [41, 0], M2 = [45, 0], VIA = [44, 0], TXT = [66, 0]
export const um = 1000
`,
  'geometry.mjs': `import { um } from './layers.mjs'
/** An Euler bend of 90 degrees: curvature rising linearly to the middle and falling again, integrated finely. */
export function eulerPoints(radius, n) {
  const L = Math.PI * radius * um, kmax = Math.PI / L, sub = 40, ds = L / (n * sub)
  const pts = [[0, 0]]
  let x = 0, y = 0, th = 0
  for (let i = 0; i < n; i++) {
    for (let k = 0; k < sub; k++) {
      const s = (i * sub + k + 0.5) * ds
      th += (s < L / 2 ? kmax * s / (L / 2) : kmax * (L - s) / (L / 2)) * ds
      x += Math.cos(th) * ds
      y += Math.sin(th) * ds
    }
    pts.push([x, y])
  }
  return pts
}
/** A centre line widened into a polygon (offset along the normals). */
export function widen(pts, w) {
  const left = [], right = []
  for (let i = 0; i < pts.length; i++) {
    const [ax, ay] = pts[Math.max(0, i - 1)], [bx, by] = pts[Math.min(pts.length - 1, i + 1)]
    const dx = bx - ax, dy = by - ay, l = Math.hypot(dx, dy) || 1
    const nx = -dy / l, ny = dx / l
    left.push([Math.round(pts[i][0] + nx * w / 2), Math.round(pts[i][1] + ny * w / 2)])
    right.push([Math.round(pts[i][0] - nx * w / 2), Math.round(pts[i][1] - ny * w / 2)])
  }
  return [...left, ...right.reverse()]
}
/** Closest distance between non-adjacent vertices: a stand-in for the region checks a real PDK runs. */
export function minSpacing(poly) {
  let best = Infinity
  for (let i = 0; i < poly.length; i++) for (let j = i + 2; j < poly.length; j++) {
    const d = Math.hypot(poly[i][0] - poly[j][0], poly[i][1] - poly[j][1])
    if (d < best) best = d
  }
  return best
}
export function arc(r, a0, a1, n) {
  const pts = []
  for (let i = 0; i <= n; i++) {
    const a = a0 + (a1 - a0) * i / n
    pts.push([Math.round(r * Math.cos(a)), Math.round(r * Math.sin(a))])
  }
  return pts
}
`,
  'straight.mjs': `import { WG, CLAD, um } from './layers.mjs'
export const make = (ly) => ly.factory('straight', (c, { width, length }) => {
  const w = Math.round(width * um), l = Math.round(length * um)
  c.addBox(WG, 0, -w / 2, l, w / 2)
  c.addBox(CLAD, 0, -w / 2 - 2000, l, w / 2 + 2000)
  c.addPort({ name: 'o1', x: 0, y: 0, angle: 180, width: w, layer: WG })
  c.addPort({ name: 'o2', x: l, y: 0, angle: 0, width: w, layer: WG })
}, { width: 0.5, length: 10 })
`,
  'bend_euler.mjs': `import { WG, CLAD, um } from './layers.mjs'
import { eulerPoints, widen, minSpacing } from './geometry.mjs'
export const make = (ly) => ly.factory('bend_euler', (c, { width, radius }) => {
  const w = Math.round(width * um)
  const line = eulerPoints(radius, 600)
  const core = widen(line, w)
  if (minSpacing(core) < 1) throw new Error('bend too tight')
  c.addPolygon(WG, core)
  c.addPolygon(CLAD, widen(line, w + 4000))
  const [ex, ey] = line[line.length - 1]
  c.addPort({ name: 'o1', x: 0, y: 0, angle: 180, width: w, layer: WG })
  c.addPort({ name: 'o2', x: Math.round(ex), y: Math.round(ey), angle: 90, width: w, layer: WG })
}, { width: 0.5, radius: 10 })
`,
  'taper.mjs': `import { WG, CLAD, um } from './layers.mjs'
import { minSpacing } from './geometry.mjs'
const SAMPLES = 400
export const make = (ly) => ly.factory('taper', (c, { width1, width2, length }) => {
  const l = Math.round(length * um), top = [], bottom = []
  for (let i = 0; i <= SAMPLES; i++) {
    const t = i / SAMPLES, w = (width1 + (width2 - width1) * (3 * t * t - 2 * t * t * t)) * um
    top.push([Math.round(t * l), Math.round(w / 2)])
    bottom.push([Math.round(t * l), -Math.round(w / 2)])
  }
  const poly = [...top, ...bottom.reverse()]
  if (minSpacing(poly) < 1) throw new Error('taper too thin')
  c.addPolygon(WG, poly)
  c.addBox(CLAD, 0, -Math.round(Math.max(width1, width2) * um / 2) - 2000, l, Math.round(Math.max(width1, width2) * um / 2) + 2000)
  c.addPort({ name: 'o1', x: 0, y: 0, angle: 180, width: Math.round(width1 * um), layer: WG })
  c.addPort({ name: 'o2', x: l, y: 0, angle: 0, width: Math.round(width2 * um), layer: WG })
}, { width1: 0.5, width2: 1, length: 10 })
`,
  'ring.mjs': `import { WG, SLAB, um } from './layers.mjs'
import { arc, minSpacing } from './geometry.mjs'
export const make = (ly) => ly.factory('ring', (c, { radius, width }) => {
  const r = radius * um, w = width * um
  const outer = arc(r + w / 2, 0, 2 * Math.PI, 720), inner = arc(r - w / 2, 0, 2 * Math.PI, 720)
  const poly = [...outer, ...inner.reverse()]
  if (minSpacing(outer.slice(0, -1)) < 1) throw new Error('ring too small')
  c.addPolygon(WG, poly)
  c.addBox(SLAB, -r - 3000, -r - 3000, r + 3000, r + 3000)
}, { radius: 10, width: 0.5 })
`,
  'grating.mjs': `import { WG, CLAD, um } from './layers.mjs'
import { arc, minSpacing } from './geometry.mjs'
export const make = (ly) => ly.factory('grating', (c, { period, fill, teeth }) => {
  for (let i = 0; i < teeth; i++) {
    const r0 = (15 + i * period) * um, r1 = r0 + period * fill * um
    const tooth = [...arc(r0, -0.35, 0.35, 60), ...arc(r1, -0.35, 0.35, 60).reverse()]
    if (minSpacing(tooth) < 1) throw new Error('tooth too thin')
    c.addPolygon(WG, tooth)
  }
  c.addPolygon(WG, [[0, -250], [15 * um, -Math.round(15 * um * Math.sin(0.35))], [15 * um, Math.round(15 * um * Math.sin(0.35))], [0, 250]])
  c.addBox(CLAD, 0, -12000, Math.round((16 + teeth * period) * um), 12000)
  c.addPort({ name: 'o1', x: 0, y: 0, angle: 180, width: 500, layer: WG })
}, { period: 0.63, fill: 0.5, teeth: 24 })
`,
  'via.mjs': `import { M1, M2, VIA } from './layers.mjs'
export const make = (ly) => ly.factory('via', (c, { size }) => {
  const s = size * 1000
  c.addBox(M1, -s, -s, s, s).addBox(M2, -s, -s, s, s)
  for (let x = -s + 1000; x < s - 1000; x += 2000) for (let y = -s + 1000; y < s - 1000; y += 2000) c.addBox(VIA, x, y, x + 1000, y + 1000)
}, { size: 10 })
`,
  'pad.mjs': `import { M2, TXT } from './layers.mjs'
export const make = (ly) => ly.factory('pad', (c, { size }) => {
  const s = size * 500
  c.addBox(M2, -s, -s, s, s).addText(TXT, 'pad', 0, 0)
  c.addPort({ name: 'e1', x: 0, y: s, angle: 90, width: 2 * s, layer: M2 })
}, { size: 80 })
`,
  'mmi.mjs': `import { WG, um } from './layers.mjs'
import { connectTo } from 'laytest'
export const make = (ly, { taper }) => ly.factory('mmi', (c, { width, length }) => {
  const w = Math.round(width * um), l = Math.round(length * um), off = Math.round(w / 4)
  c.addBox(WG, 0, -w / 2, l, w / 2)
  const t = taper({ width1: 0.5, width2: width / 2 - 0.1, length: 10 })
  for (const [x, y, rot] of [[0, off, 180], [0, -off, 180], [l, off, 0], [l, -off, 0]]) {
    c.place(t, connectTo(t.port('o2'), { name: '', x, y, angle: rot, width: 1, layer: 0 }))
  }
  c.addPort({ name: 'o1', x: -10 * um, y: off, angle: 180, width: 500, layer: WG })
  c.addPort({ name: 'o2', x: -10 * um, y: -off, angle: 180, width: 500, layer: WG })
  c.addPort({ name: 'o3', x: l + 10 * um, y: off, angle: 0, width: 500, layer: WG })
  c.addPort({ name: 'o4', x: l + 10 * um, y: -off, angle: 0, width: 500, layer: WG })
}, { width: 3, length: 30 })
`,
  'ring_filter.mjs': `import { um } from './layers.mjs'
export const make = (ly, { ring, straight }) => ly.factory('ring_filter', (c, { radius, gap }) => {
  c.place(ring({ radius }))
  const bus = straight({ length: 2 * radius + 10 })
  const y = Math.round((radius + 0.5 + gap) * um)
  c.place(bus, { x: -Math.round((radius + 5) * um), y: -y })
  c.place(bus, { x: -Math.round((radius + 5) * um), y })
}, { radius: 10, gap: 0.2 })
`,
  'mzi.mjs': `import { portOf, connectTo } from 'laytest'
export const make = (ly, { mmi, bend, straight }) => ly.factory('mzi', (c, { dl, mmiWidth, radius }) => {
  const m = mmi({ width: mmiWidth })
  const a = c.place(m)
  const b1 = bend({ radius })
  const up = c.place(b1, connectTo(b1.port('o1'), portOf(a, 'o3')))
  const arm = straight({ length: dl })
  const s = c.place(arm, connectTo(arm.port('o1'), portOf(up, 'o2')))
  const down = c.place(b1, connectTo(b1.port('o2'), portOf(s, 'o2')))
  const lower = straight({ length: 20 })
  const s2 = c.place(lower, connectTo(lower.port('o1'), portOf(a, 'o4')))
  c.place(m, connectTo(m.port('o2'), portOf(s2, 'o2')))
  void down
}, { dl: 10, mmiWidth: 3, radius: 10 })
`,
  'pad_array.mjs': `export const make = (ly, { pad, via }) => ly.factory('pad_array', (c, { n, pitch }) => {
  const p = pad(), v = via()
  c.placeArray(p, { cols: n, rows: 1, colStep: [pitch * 1000, 0], rowStep: [0, 0] })
  c.placeArray(v, { cols: n, rows: 1, colStep: [pitch * 1000, 0], rowStep: [0, 0], y: 60000 })
}, { n: 4, pitch: 100 })
`,
  'tile.mjs': `export const make = (ly, f) => ly.factory('tile', (c, { i }) => {
  c.place(f.mzi({ dl: 10 + 5 * i, mmiWidth: 2 + (i % 3) * 0.5, radius: 10 + 2 * (i % 4) }))
  c.place(f.ring_filter({ radius: 5 + 0.25 * i, gap: 0.2 + 0.01 * (i % 5) }), { x: 0, y: 200000 })
  const g = f.grating({ period: 0.5 + 0.01 * (i % 20) })
  c.place(g, { x: -100000, y: 0, rotation: 180 })
  c.place(g, { x: -100000, y: 100000, rotation: 180 })
  c.place(f.pad_array({ n: 2 + (i % 6) }), { x: 0, y: 400000 })
  c.addText([66, 0], 'tile ' + i, 0, -50000)
}, { i: 0 })
`,
  'chip.mjs': `export const make = (ly, { tile }) => ly.factory('chip', (c, { tiles }) => {
  for (let i = 0; i < tiles; i++) c.place(tile({ i }), { x: (i % 10) * 1200000, y: Math.floor(i / 10) * 800000 })
}, { tiles: 10 })
`,
  'main.mjs': `import { Layout, loadSession, saveSession, sessionReport, writeLayoutFile } from 'laytest'
import * as straight from './straight.mjs'
import * as bend from './bend_euler.mjs'
import * as taper from './taper.mjs'
import * as ring from './ring.mjs'
import * as grating from './grating.mjs'
import * as via from './via.mjs'
import * as pad from './pad.mjs'
import * as mmi from './mmi.mjs'
import * as ringFilter from './ring_filter.mjs'
import * as mzi from './mzi.mjs'
import * as padArray from './pad_array.mjs'
import * as tile from './tile.mjs'
import * as chip from './chip.mjs'
const t0 = performance.now()
loadSession({ dir: 'session' })
const tl = performance.now()
const ly = new Layout({ name: 'PDK' })
const f = {}
f.straight = straight.make(ly); f.bend = bend.make(ly); f.taper = taper.make(ly); f.ring = ring.make(ly)
f.grating = grating.make(ly); f.via = via.make(ly); f.pad = pad.make(ly)
f.mmi = mmi.make(ly, f); f.ring_filter = ringFilter.make(ly, f); f.mzi = mzi.make(ly, f); f.pad_array = padArray.make(ly, f)
f.tile = tile.make(ly, f); f.chip = chip.make(ly, f)
const top = f.chip({ tiles: Number(process.argv[2]) })
const t1 = performance.now()
writeLayoutFile(ly, 'chip.gds')
const tw = performance.now()
saveSession()
const t2 = performance.now()
const r = sessionReport()
const cells = [...ly.cells.values()].map((c) => ({ name: c.name, factory: c.factoryInfo?.factory.factoryName, deps: (c.factoryInfo?.deps ?? []).map((d) => d.name) }))
const builtCells = r.cells.filter((c) => c.outcome === 'built').map((c) => c.cell)
const reasons = [...new Set(r.cells.filter((c) => c.outcome === 'built').map((c) => c.reason ?? ''))].slice(0, 3)
console.log(JSON.stringify({
  ms: t2 - t0, loadMs: tl - t0, buildMs: t1 - tl, writeMs: tw - t1, saveMs: t2 - tw,
  restored: r.restored, built: r.built, builtCells, reasons, factories: ly.factories.size, top: top.name, cells,
}))
`,
}

interface Run {
  wall: number
  ms: number
  loadMs: number
  buildMs: number
  writeMs: number
  saveMs: number
  restored: number
  built: number
  builtCells: string[]
  reasons: string[]
  factories: number
  cells: Array<{ name: string; factory?: string; deps: string[] }>
  gds: Buffer
}

async function run(): Promise<Run> {
  const t = performance.now()
  const r = await execa(process.execPath, ['main.mjs', String(TILES)], { cwd: dir })
  const wall = performance.now() - t
  return { wall, ...(JSON.parse(r.stdout) as Omit<Run, 'wall' | 'gds'>), gds: readFileSync(join(dir, 'chip.gds')) }
}

/** The run of median script time (its other figures with it). */
function median(runs: Run[]): Run {
  return [...runs].sort((a, b) => a.ms - b.ms)[runs.length >> 1]!
}

/** The cells of `factory` and, transitively, every cell that used one of them. */
function affected(cells: Run['cells'], factory: string): Set<string> {
  const hit = new Set(cells.filter((c) => c.factory === factory).map((c) => c.name))
  for (let grew = true; grew; ) {
    grew = false
    for (const c of cells) {
      if (c.factory && !hit.has(c.name) && c.deps.some((d) => hit.has(d))) {
        hit.add(c.name)
        grew = true
      }
    }
  }
  return hit
}

/** Cells per factory, as "taper 12, mmi 6, ...". */
function perFactory(cells: Run['cells'], names: Iterable<string>): string {
  const factoryOf = new Map(cells.map((c) => [c.name, c.factory ?? '?']))
  const n = new Map<string, number>()
  for (const name of names) n.set(factoryOf.get(name) ?? '?', (n.get(factoryOf.get(name) ?? '?') ?? 0) + 1)
  return [...n].map(([k, v]) => `${k} ${v}`).join(', ')
}

try {
  mkdirSync(join(dir, 'node_modules'))
  symlinkSync(ROOT, join(dir, 'node_modules/laytest'), 'dir')
  writeFileSync(join(dir, 'package.json'), '{"type":"module"}\n')
  for (const [name, text] of Object.entries(MODULES)) writeFileSync(join(dir, name), text)
  // cold and warm alternate, ROUNDS times (a fresh session folder each round): one run of each is ±20 % on a
  // shared machine; the ratio is taken of the medians
  const colds: Run[] = [], warms: Run[] = []
  for (let i = 0; i < ROUNDS; i++) {
    rmSync(join(dir, 'session'), { recursive: true, force: true })
    colds.push(await run())
    warms.push(await run())
  }
  const cold = median(colds), warm = median(warms)
  // what any process pays before the script's first line: Node's start-up, and importing laytest (medians of 3)
  const floor = async (args: string[]): Promise<number> => {
    const t: number[] = []
    for (let i = 0; i < 3; i++) {
      const t0 = performance.now()
      await execa(process.execPath, args, { cwd: dir })
      t.push(performance.now() - t0)
    }
    return t.sort((a, b) => a - b)[1]!
  }
  const nodeOnly = await floor(['-e', '0'])
  const withImport = await floor(['--input-type=module', '-e', "await import('laytest')"])
  writeFileSync(join(dir, 'taper.mjs'), MODULES['taper.mjs']!.replace('const SAMPLES = 400', 'const SAMPLES = 401'))
  const changed = await run()
  const factoryCells = cold.cells.filter((c) => c.factory).length
  const expected = affected(cold.cells, 'taper')
  const rebuilt = new Set(changed.builtCells)
  const same = rebuilt.size === expected.size && [...expected].every((c) => rebuilt.has(c))
  const f = (ms: number): string => (ms / 1000).toFixed(2)
  console.log(`# factory session: ${factoryCells} factory cells in ${cold.factories} factories, ${TILES} tiles; one leaf factory changed: taper.mjs`)
  console.log(`# ${new Date().toISOString().slice(0, 10)}, ${cpus().length} x ${cpus()[0]?.model ?? '?'}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB, Node ${process.version}; load ${loadavg().map((x) => x.toFixed(2)).join(' ')}`)
  console.log('| run | process wall s | / cold | script s (load, build, write, save) | / cold | load | build | write | save | cells built | restored |')
  console.log('|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|')
  const rows: Array<[string, Run]> = []
  colds.forEach((c, i) => rows.push([`round ${i + 1}: cold (no session)`, c], [`round ${i + 1}: warm, unchanged`, warms[i]!]))
  rows.push(['median cold', cold], ['median warm', warm], ['taper.mjs changed (after the last warm run)', changed])
  for (const [name, r] of rows) {
    console.log(`| ${name} | ${f(r.wall)} | ${(r.wall / cold.wall).toFixed(3)} | ${f(r.ms)} | ${(r.ms / cold.ms).toFixed(3)} | ` +
      `${f(r.loadMs)} | ${f(r.buildMs)} | ${f(r.writeMs)} | ${f(r.saveMs)} | ${r.built} | ${r.restored} |`)
  }
  const sameBytes = warms.every((w, i) => w.gds.equals(colds[i]!.gds))
  const wallMedian = (rs: Run[]): number => [...rs].map((r) => r.wall).sort((a, b) => a - b)[rs.length >> 1]!
  console.log(`warm/cold, medians of ${ROUNDS}: ${(warm.ms / cold.ms).toFixed(3)} (script), ${(wallMedian(warms) / wallMedian(colds)).toFixed(3)} (process); ` +
    `warm output ${sameBytes ? 'byte-identical to' : 'DIFFERS from'} cold in every round; warm runs built ${warms.map((w) => w.built).join(', ')} cells`)
  console.log(`process floor: node -e 0 ${f(nodeOnly)} s (${(nodeOnly / wallMedian(colds)).toFixed(3)} of cold), ` +
    `node + import 'laytest' ${f(withImport)} s (${(withImport / wallMedian(colds)).toFixed(3)}): the warm process minus these is ` +
    `${f(wallMedian(warms) - withImport)} s (${((wallMedian(warms) - withImport) / (wallMedian(colds) - withImport)).toFixed(3)} of cold minus these)`)
  console.log(`changed run: ${changed.built} rebuilt (${perFactory(cold.cells, rebuilt)}), expected ${expected.size}: taper's cells and every cell ` +
    `that used them (${perFactory(cold.cells, expected)}); ${same ? 'exactly those cells' : 'NOT the same cells — MISMATCH'}; ` +
    `output ${changed.gds.equals(cold.gds) ? 'identical to cold (the edit changed no geometry)' : 'changed'}`)
  if (changed.reasons.length) console.log(`why: ${changed.reasons.join(' | ')}`)
  if (!same || !sameBytes || warms.some((w) => w.built !== 0)) process.exitCode = 1
} finally {
  if (!process.env.BENCH_KEEP) rmSync(dir, { recursive: true, force: true })
  else console.log(dir)
}
