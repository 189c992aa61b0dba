import { spawn, spawnSync } from 'node:child_process'
import { createHash } from 'node:crypto'
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, truncateSync, writeFileSync } from 'node:fs'
import { hostname, tmpdir } from 'node:os'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { afterEach, describe, expect, test } from 'vitest'
import { Layout, layerKey, loadSession, readLayout, saveSession, sessionReport, writeLayout, type Cell, type CellFactory } from '../src/index.js'
import { runCli, type ViewerCommands } from '../src/cli/run.js'
import { ROOT } from './helpers/corpus.js'

/*
 * Factory sessions across processes (src/cache/session.ts, factory-keys.ts): the acceptance project of issue 18
 * (plain .mjs files importing laytest's dist/, run as separate node processes), damaged session folders,
 * concurrent saves, `only:`, and `laytest session stats|list|clear`.
 */

const BIN = join(ROOT, 'dist/main.js')
const DIST = pathToFileURL(join(ROOT, 'dist/index.js')).href
const tmp = (): string => mkdtempSync(join(tmpdir(), 'laytest-session-'))
const same = (a: Uint8Array, b: Uint8Array): boolean => Buffer.from(a).equals(Buffer.from(b))

interface RunResult {
  leaf: number
  block: number
  pad: number
  restored: number
  built: number
  reasons: Record<string, string>
  names: string[]
  ports: unknown
}

/**
 * The user's project: `leaf` (imports constants.mjs), `block` (places leaf cells; its module does not import
 * leaf's: main.mjs hands the factory in), `pad` (its own module, never edited). Each counts its builds.
 */
function writeProject(dir: string): void {
  writeFileSync(join(dir, 'package.json'), '{"type":"module"}\n')
  writeFileSync(join(dir, 'constants.mjs'), 'export const WIDTH = 500\n')
  writeFileSync(join(dir, 'leaf.mjs'), `import { WIDTH } from './constants.mjs'
export const counts = { leaf: 0 }
export function leafFactory(layout) {
  return layout.factory('leaf', (c, { length }) => {
    counts.leaf++
    c.addBox(1, 0, -WIDTH / 2, length, WIDTH / 2)
    c.addPort({ name: 'o1', x: 0, y: 0, angle: 180, width: WIDTH, layer: 1 })
    c.addPort({ name: 'o2', x: length, y: 0, angle: 0, width: WIDTH, layer: [1, 0] })
  }, { length: 10000 })
}
`)
  writeFileSync(join(dir, 'block.mjs'), `export const counts = { block: 0 }
export function blockFactory(layout, leaf) {
  return layout.factory('block', (c, { n }) => {
    counts.block++
    for (let i = 0; i < n; i++) c.place(leaf({ length: 1000 * (i + 1) }), { y: 2000 * i, rotation: 90 * i })
    c.addText(66, 'block ' + n, 0, -1000)
    c.addPath(2, [[0, 0], [0, 5000], [3000, 5000]], 200)
  }, { n: 2 })
}
`)
  writeFileSync(join(dir, 'pad.mjs'), `export const counts = { pad: 0 }
export function padFactory(layout) {
  return layout.factory('pad', (c, { size }) => {
    counts.pad++
    c.addBox(41, -size, -size, size, size)
  }, { size: 40000 })
}
`)
  writeFileSync(join(dir, 'main.mjs'), `import { Layout, loadSession, saveSession, sessionReport, writeLayoutFile } from '${DIST}'
import { leafFactory, counts as lc } from './leaf.mjs'
import { blockFactory, counts as bc } from './block.mjs'
import { padFactory, counts as pc } from './pad.mjs'
loadSession({ dir: 'session' })
const ly = new Layout({ name: 'PDK' })
const leaf = leafFactory(ly)
const block = blockFactory(ly, leaf)
const pad = padFactory(ly)
const top = ly.newCell('TOP')
top.place(block({ n: 2 }))
top.place(block({ n: 3 }), { x: 50000 })
top.place(pad(), { x: -100000 })
writeLayoutFile(ly, process.argv[2])
saveSession()
const r = sessionReport()
console.log(JSON.stringify({
  leaf: lc.leaf, block: bc.block, pad: pc.pad, restored: r.restored, built: r.built,
  reasons: Object.fromEntries(r.cells.filter((c) => c.outcome === 'built').map((c) => [c.cell, c.reason])),
  names: [...ly.cells.keys()], ports: leaf({ length: 2000 }).ports,
}))
`)
}

function runProject(dir: string, out: string): RunResult {
  const r = spawnSync(process.execPath, ['main.mjs', out], { cwd: dir, encoding: 'utf8' })
  expect(r.status, r.stderr).toBe(0)
  return JSON.parse(r.stdout) as RunResult
}

/** The command line in this process (the viewer is not needed by `session`). */
async function inProcess(...args: string[]): Promise<{ code: number; stdout: string }> {
  let stdout = ''
  const io = { stdout: { write: (s: string) => (stdout += s) }, stderr: { write: (s: string) => (stdout += s) } }
  const code = await runCli(args, io, {} as ViewerCommands)
  return { code, stdout }
}

function cli(dir: string, ...args: string[]): { code: number; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [BIN, ...args], { cwd: dir, encoding: 'utf8', env: { ...process.env, LAYTEST_SESSION_DIR: join(dir, 'session') } })
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr }
}

describe('the scripted user project (separate node processes, laytest from dist/)', () => {
  test('run 1 builds all; run 2 builds nothing, same bytes; leaf edits and constants edits rebuild leaf and block only', async () => {
    expect(existsSync(BIN), 'npm run build first').toBe(true)
    const dir = tmp()
    writeProject(dir)
    const out = (n: number): string => join(dir, `out${n}.gds`)

    const r1 = runProject(dir, out(1))
    expect(r1).toMatchObject({ leaf: 3, block: 2, pad: 1, restored: 0, built: 6 })
    expect(r1.names).toEqual(['TOP', 'block_N2', 'leaf_L1000', 'leaf_L2000', 'block_N3', 'leaf_L3000', 'pad_S40000'])

    const r2 = runProject(dir, out(2))
    expect(r2).toMatchObject({ leaf: 0, block: 0, pad: 0, restored: 6, built: 0 })
    expect(r2.names).toEqual(r1.names)
    expect(r2.ports).toEqual(r1.ports)
    expect(r2.ports).toEqual([
      { name: 'o1', x: 0, y: 0, angle: 180, width: 500, layer: layerKey(1, 0) },
      { name: 'o2', x: 2000, y: 0, angle: 0, width: 500, layer: layerKey(1, 0) },
    ])
    expect(readFileSync(out(2)).equals(readFileSync(out(1)))).toBe(true)

    // a file no factory imports changes nothing
    writeFileSync(join(dir, 'main.mjs'), readFileSync(join(dir, 'main.mjs'), 'utf8') + '// edited\n')
    expect(runProject(dir, out(3))).toMatchObject({ leaf: 0, block: 0, pad: 0, restored: 6 })

    // leaf's own source
    writeFileSync(join(dir, 'leaf.mjs'), readFileSync(join(dir, 'leaf.mjs'), 'utf8').replace('counts.leaf++', 'counts.leaf += 1'))
    const r4 = runProject(dir, out(4))
    expect(r4).toMatchObject({ leaf: 3, block: 2, pad: 0, restored: 1, built: 5 })
    expect(r4.reasons.leaf_L1000).toBe('leaf.mjs changed')
    expect(r4.reasons.block_N2).toBe('it uses leaf_L1000 (factory leaf), which changed')
    expect(readFileSync(out(4)).equals(readFileSync(out(1)))).toBe(true)

    // a constants module only leaf's module imports: leaf and (through leaf's key) block
    writeFileSync(join(dir, 'constants.mjs'), 'export const WIDTH = 600\n')
    const r6 = runProject(dir, out(6))
    expect(r6).toMatchObject({ leaf: 3, block: 2, pad: 0, restored: 1, built: 5 })
    expect(r6.reasons.leaf_L3000).toBe('constants.mjs changed')
    expect(r6.reasons.block_N3).toMatch(/it uses leaf_L1000 \(factory leaf\), which changed/)
    expect((r6.ports as Array<{ width: number }>)[0]!.width).toBe(600)
    expect(readFileSync(out(6)).equals(readFileSync(out(1)))).toBe(false)
    const r7 = runProject(dir, out(7))
    expect(r7).toMatchObject({ leaf: 0, block: 0, pad: 0, restored: 6 })
    expect(readFileSync(out(7)).equals(readFileSync(out(6)))).toBe(true)

    // laytest session stats (the bin), list and clear (the same command line, in this process)
    const stats = cli(dir, 'session', 'stats')
    expect(stats.code, stats.stderr).toBe(0)
    expect(stats.stdout).toMatch(/1 layout, 3 factories, 6 cells/)
    expect(stats.stdout).toMatch(/PDK: 3 factories, 6 cells/)
    expect(stats.stdout).toMatch(/last run \(.*\): 6 restored, 0 built/)
    const sdir = ['--dir', join(dir, 'session')]
    const json = JSON.parse((await inProcess('session', 'stats', '--json', ...sdir)).stdout)
    expect(json).toMatchObject({ factories: 3, cells: 6, lastRun: { restored: 6, built: 0 } })
    expect(json.bytes).toBeGreaterThan(0)
    const list = (await inProcess('session', 'list', ...sdir)).stdout
    expect(list).toMatch(/leaf: 3 cells, .*leaf\.mjs/)
    expect(list).toMatch(/leaf_L2000 +\{"length":2000\} +ports o1 o2/)
    expect(list).toMatch(/block_N3 +\{"n":3\} +uses 3/)
    const listJson = JSON.parse((await inProcess('session', 'list', '--json', ...sdir)).stdout)
    expect(listJson.layouts[0].factories.map((f: { name: string }) => f.name)).toEqual(['block', 'leaf', 'pad'])
    // the record of run 6: what was rebuilt, and why
    const built6 = JSON.parse(readFileSync(join(dir, 'session/runs', readdirSync(join(dir, 'session/runs')).sort().at(-2)!), 'utf8'))
    expect(built6).toMatchObject({ restored: 1, built: 5 })
    expect((await inProcess('session', 'clear', ...sdir)).stdout).toMatch(/session cleared/)
    expect(JSON.parse((await inProcess('session', 'stats', '--json', ...sdir)).stdout)).toMatchObject({ cells: 0, lastRun: null })
    expect((await inProcess('session', 'nope')).code).toBe(2)
    expect(JSON.parse((await inProcess('session', 'clear', '--json', ...sdir)).stdout)).toEqual({ dir: join(dir, 'session'), cleared: true })
    const notDir = await inProcess('session', 'stats', '--dir', join(dir, 'main.mjs'))
    expect(notDir.code).toBe(2)
    expect(notDir.stdout).toMatch(/main\.mjs: a folder \(the session folder\), not a file/)
  })

  test('a dependency whose defaults changed: the parent is rebuilt and no cell is made just to find that out', () => {
    // block calls leaf() with leaf's defaults; block's module does not import leaf's (the registry hands it over)
    const write = (dir: string, w: number): void => {
      writeFileSync(join(dir, 'package.json'), '{"type":"module"}\n')
      writeFileSync(join(dir, 'reg.mjs'), 'export const reg = {}\n')
      writeFileSync(join(dir, 'leaf.mjs'), `import { reg } from './reg.mjs'
export function define(layout) { reg.leaf = layout.factory('leaf', (c, { w }) => { c.addBox(1, 0, 0, w, 500) }, { w: ${w} }) }
`)
      writeFileSync(join(dir, 'block.mjs'), `import { reg } from './reg.mjs'
export function define(layout) { reg.block = layout.factory('block', (c, { n }) => { for (let i = 0; i < n; i++) c.place(reg.leaf(), { y: 1000 * i }) }, { n: 3 }) }
`)
      writeFileSync(join(dir, 'main.mjs'), `import { Layout, loadSession, saveSession, sessionReport, writeLayoutFile } from '${DIST}'
import { reg } from './reg.mjs'
import * as leaf from './leaf.mjs'
import * as block from './block.mjs'
loadSession({ dir: 'session' })
const ly = new Layout({ name: 'PDK' })
leaf.define(ly); block.define(ly)
ly.newCell('TOP').place(reg.block())
writeLayoutFile(ly, 'out.gds')
saveSession()
const r = sessionReport()
console.log(JSON.stringify({ restored: r.restored, built: r.built, names: [...ly.cells.keys()], reasons: Object.fromEntries(r.cells.filter((c) => c.outcome === 'built').map((c) => [c.cell, c.reason])) }))
`)
    }
    const go = (dir: string): { restored: number; built: number; names: string[]; reasons: Record<string, string> } => {
      const r = spawnSync(process.execPath, ['main.mjs'], { cwd: dir, encoding: 'utf8' })
      expect(r.status, r.stderr).toBe(0)
      return JSON.parse(r.stdout)
    }
    const dir = tmp()
    write(dir, 1000)
    expect(go(dir)).toMatchObject({ built: 2, names: ['TOP', 'block_N3', 'leaf_W1000'] })
    expect(go(dir)).toMatchObject({ restored: 2, built: 0 })
    write(dir, 2000)
    const r3 = go(dir)
    expect(r3.names).toEqual(['TOP', 'block_N3', 'leaf_W2000'])
    expect(r3.reasons.block_N3).toBe('it uses leaf_W1000 (factory leaf), which changed')
    // the same bytes as a build without any session
    const fresh = tmp()
    write(fresh, 2000)
    go(fresh)
    expect(readFileSync(join(dir, 'out.gds')).equals(readFileSync(join(fresh, 'out.gds')))).toBe(true)
  })

  test('values a factory captures from the code that defines it are seen through its key option', () => {
    const dir = tmp()
    writeFileSync(join(dir, 'package.json'), '{"type":"module"}\n')
    writeFileSync(join(dir, 'pdk.mjs'), `export function makePdk(layout, cfg) {
  return layout.factory('straight', (c, { length }) => { c.addBox(cfg.layer, 0, -cfg.width / 2, length, cfg.width / 2) }, { length: 10000 }, { key: cfg })
}
`)
    writeFileSync(join(dir, 'main.mjs'), `import { Layout, loadSession, saveSession, sessionReport, writeLayoutFile } from '${DIST}'
import { makePdk } from './pdk.mjs'
loadSession({ dir: 'session' })
const ly = new Layout({ name: 'PDK' })
const straight = makePdk(ly, JSON.parse(process.argv[2]))
ly.newCell('TOP').place(straight())
writeLayoutFile(ly, process.argv[3])
saveSession()
const r = sessionReport()
console.log(JSON.stringify({ restored: r.restored, built: r.built, reasons: r.cells.map((c) => c.reason ?? null) }))
`)
    const go = (cfg: object, out: string): { restored: number; built: number; reasons: Array<string | null> } => {
      const r = spawnSync(process.execPath, ['main.mjs', JSON.stringify(cfg), out], { cwd: dir, encoding: 'utf8' })
      expect(r.status, r.stderr).toBe(0)
      return JSON.parse(r.stdout)
    }
    expect(go({ layer: [1, 0], width: 500 }, 'a.gds')).toMatchObject({ built: 1 })
    expect(go({ layer: [1, 0], width: 500 }, 'b.gds')).toMatchObject({ restored: 1, built: 0 })
    // main.mjs is the same file; only the value handed to makePdk changed
    expect(go({ layer: [2, 0], width: 800 }, 'c.gds')).toMatchObject({ restored: 0, built: 1, reasons: ['its key option changed'] })
    const c = readLayout(join(dir, 'c.gds')).getCell('straight_L10000')!
    expect([...c.layers.keys()]).toEqual([layerKey(2, 0)])
    expect(readFileSync(join(dir, 'b.gds')).equals(readFileSync(join(dir, 'a.gds')))).toBe(true)
  })

  test('three processes saving the same folder at the same time leave a session with both their cells', async () => {
    const dir = tmp()
    writeProject(dir)
    // each process builds its own blocks, then waits for the other before saving
    writeFileSync(join(dir, 'race.mjs'), `import { existsSync, writeFileSync } from 'node:fs'
import { Layout, loadSession, saveSession, sessionReport } from '${DIST}'
import { leafFactory } from './leaf.mjs'
import { blockFactory } from './block.mjs'
const [me, ...ns] = process.argv.slice(2)
loadSession({ dir: 'session' })
const ly = new Layout({ name: 'PDK' })
const leaf = leafFactory(ly)
const block = blockFactory(ly, leaf)
for (const n of ns) block({ n: Number(n) })
writeFileSync('ready-' + me, '')
while (!existsSync('go')) Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 2)
saveSession()
console.log(JSON.stringify(sessionReport()))
`)
    const start = (me: string, ns: number[]): Promise<{ code: number | null; out: string; err: string }> => new Promise((done) => {
      const p = spawn(process.execPath, ['race.mjs', me, ...ns.map(String)], { cwd: dir })
      let out = '', err = ''
      p.stdout.on('data', (d: Buffer) => (out += d))
      p.stderr.on('data', (d: Buffer) => (err += d))
      p.on('close', (code) => done({ code, out, err }))
    })
    const runs = [start('a', [1, 2, 3]), start('b', [4, 5]), start('c', [6, 7, 8, 9])]
    while (!['a', 'b', 'c'].every((me) => existsSync(join(dir, `ready-${me}`)))) await new Promise((r) => setTimeout(r, 5))
    writeFileSync(join(dir, 'go'), '')
    for (const r of await Promise.all(runs)) expect(r.code, r.err).toBe(0)
    // a fourth process restores every block of the three
    writeFileSync(join(dir, 'check.mjs'), `import { Layout, loadSession, sessionReport } from '${DIST}'
import { leafFactory, counts as lc } from './leaf.mjs'
import { blockFactory, counts as bc } from './block.mjs'
loadSession({ dir: 'session' })
const ly = new Layout({ name: 'PDK' })
const block = blockFactory(ly, leafFactory(ly))
for (let n = 1; n <= 9; n++) block({ n })
console.log(JSON.stringify({ leaf: lc.leaf, block: bc.block, ...sessionReport(), cells: undefined }))
`)
    const r = spawnSync(process.execPath, ['check.mjs'], { cwd: dir, encoding: 'utf8' })
    expect(r.status, r.stderr).toBe(0)
    expect(JSON.parse(r.stdout)).toMatchObject({ leaf: 0, block: 0, built: 0 })
    expect(readdirSync(join(dir, 'session/factories/PDK')).filter((f) => f.startsWith('.'))).toEqual([]) // no lock or temporary file left
  })

  test("kfactory's demo in examples/factories.mjs: the second run restores its factory cells", () => {
    const dir = tmp()
    const env = { ...process.env, LAYTEST_SESSION_DIR: join(dir, 'session') }
    const run = (out: string): string => {
      const r = spawnSync(process.execPath, [join(ROOT, 'examples/factories.mjs'), join(dir, out)], { cwd: ROOT, encoding: 'utf8', env })
      expect(r.status, r.stderr).toBe(0)
      return r.stdout
    }
    expect(run('a.gds')).toMatch(/factory cells: 0 restored from the session, 3 built/)
    const second = run('b.gds')
    expect(second).toMatch(/factory cells: 3 restored from the session, 0 built/)
    expect(second).toMatch(/bend_circular_W0p5_R10_P64 +o1@\(0, 0\) 180° +o2@\(10, 10\) 90°/)
    expect(readFileSync(join(dir, 'b.gds')).equals(readFileSync(join(dir, 'a.gds')))).toBe(true)
  })
})

// ---------------------------------------------------------------------------------------------------------------
// in this process: fresh layouts stand for later runs (the factories' module is this file, unchanged meanwhile)

interface Pdk {
  ly: Layout
  leaf: CellFactory<{ w: number }>
  block: CellFactory<{ n: number }>
  builds: () => { leaf: number; block: number }
}

function pdk(name = 'PDK', leafKey?: string): Pdk {
  const ly = new Layout({ name })
  const leaf = ly.factory('leaf', (c, { w }) => {
    c.addBox(1, 0, 0, w, w)
    c.addPort({ name: 'p', x: w, y: w / 2, angle: 0, width: w, layer: 1 })
  }, { w: 100 }, leafKey === undefined ? {} : { key: leafKey })
  const block = ly.factory('block', (c, { n }) => {
    for (let i = 1; i <= n; i++) c.place(leaf({ w: 100 * i }), { x: 1000 * i })
  }, { n: 2 })
  return { ly, leaf, block, builds: () => ({ leaf: leaf.builds, block: block.builds }) }
}

function build(p: Pdk): Cell {
  const top = p.ly.newCell('TOP')
  top.place(p.block({ n: 2 }))
  top.place(p.block({ n: 3 }), { y: 5000 })
  return top
}

const dirs: string[] = []
afterEach(() => {
  // no session stays loaded for other tests of this worker
  const empty = tmp()
  loadSession({ dir: empty })
  dirs.push(empty)
})

describe('sessions in one process', () => {
  test('a damaged session folder never breaks a run: the damaged entries are rebuilt, the rest restored, the next save repairs it', () => {
    const damages: Array<[string, (d: string) => void, { leaf: number; block: number }]> = [
      ['truncated pack', (d) => { for (const f of packs(d)) truncateSync(join(d, f), 30) }, { leaf: 3, block: 2 }],
      ['missing pack', (d) => { for (const f of packs(d)) rmSync(join(d, f)) }, { leaf: 3, block: 2 }],
      ['garbage index', (d) => writeFileSync(join(d, 'index.json'), 'garbage\n{"entries": 5}'), { leaf: 3, block: 2 }],
      ['truncated index', (d) => truncateSync(join(d, 'index.json'), 200), { leaf: 3, block: 2 }],
      ['missing index', (d) => rmSync(join(d, 'index.json')), { leaf: 3, block: 2 }],
      ['empty folder', (d) => { rmSync(d, { recursive: true }); mkdirSync(d) }, { leaf: 3, block: 2 }],
      ['index of another format version', (d) => writeFileSync(join(d, 'index.json'), readFileSync(join(d, 'index.json'), 'utf8').replace(/session v\d+/, 'session v9')), { leaf: 3, block: 2 }],
      ['stale lock of a dead process', (d) => { mkdirSync(join(d, '.lock')); writeFileSync(join(d, '.lock/owner'), `999999999 ${hostname()} 0`) }, { leaf: 0, block: 0 }],
    ]
    const packs = (d: string): string[] => readdirSync(d).filter((f) => f.endsWith('.ltsnap'))
    for (const [what, damage, rebuilt] of damages) {
      const dir = tmp()
      dirs.push(dir)
      loadSession({ dir })
      const p1 = pdk()
      const ref = writeLayout((build(p1), p1.ly))
      saveSession()
      damage(join(dir, 'factories/PDK'))
      loadSession({ dir })
      const p2 = pdk()
      build(p2)
      expect(p2.builds(), what).toEqual(rebuilt)
      expect(same(writeLayout(p2.ly), ref), what).toBe(true)
      saveSession()
      loadSession({ dir })
      const p3 = pdk()
      build(p3)
      expect(p3.builds(), `${what}, after the repairing save`).toEqual({ leaf: 0, block: 0 })
      expect(same(writeLayout(p3.ly), ref), what).toBe(true)
    }
  })

  test('a run that restored everything writes no cell data; a folder that cannot be written is one warning line, no error', () => {
    const dir = tmp()
    dirs.push(dir)
    loadSession({ dir })
    build(pdk())
    saveSession()
    const fdir = join(dir, 'factories/PDK')
    const folderTime = statSync(fdir).mtimeMs, indexTime = statSync(join(fdir, 'index.json')).mtimeMs
    loadSession({ dir })
    const p2 = pdk()
    build(p2)
    expect(p2.builds()).toEqual({ leaf: 0, block: 0 })
    saveSession()
    // no lock folder was made and removed, no index rewritten (a read-only session folder works)
    expect(statSync(fdir).mtimeMs).toBe(folderTime)
    expect(statSync(join(fdir, 'index.json')).mtimeMs).toBe(indexTime)

    const notAFolder = join(dir, 'not-a-folder')
    writeFileSync(notAFolder, 'x')
    const errors: string[] = []
    const orig = process.stderr.write.bind(process.stderr)
    process.stderr.write = ((t: string) => (errors.push(String(t)), true)) as typeof process.stderr.write
    try {
      loadSession({ dir: notAFolder })
      build(pdk())
      expect(saveSession()).toEqual([])
    } finally {
      process.stderr.write = orig
    }
    expect(errors.join('')).toMatch(/^laytest: cannot write to the factory session in .*not-a-folder \(E[A-Z]+\): cells built in this run are not saved\n$/)
  })

  test('only: saves what one cell needs (its subtree and the cells its builds used), merged into the folder', () => {
    const dir = tmp()
    dirs.push(dir)
    loadSession({ dir })
    const p1 = pdk()
    const b2 = p1.block({ n: 2 })
    p1.block({ n: 3 })
    p1.leaf({ w: 8 })
    saveSession({ only: b2 })
    loadSession({ dir })
    const p2 = pdk()
    p2.block({ n: 2 })
    expect(p2.builds()).toEqual({ leaf: 0, block: 0 })
    p2.block({ n: 3 })
    p2.leaf({ w: 8 })
    expect(p2.builds()).toEqual({ leaf: 2, block: 1 }) // leaf_W300 and leaf_W8 were not saved, nor block_N3
    saveSession({ only: p2.leaf({ w: 8 }) })
    loadSession({ dir })
    const p3 = pdk()
    p3.leaf({ w: 8 })
    p3.block({ n: 2 })
    expect(p3.builds()).toEqual({ leaf: 0, block: 0 }) // the earlier save's cells are still there
    expect(sessionReport()).toMatchObject({ dir, restored: 4, built: 0 })
  })

  test('what is never saved: cells placing ad-hoc cells, factories whose module is unknown (said on stderr); a dbu change rebuilds', () => {
    const dir = tmp()
    dirs.push(dir)
    const errors: string[] = []
    const orig = process.stderr.write.bind(process.stderr)
    process.stderr.write = ((s: string) => (errors.push(String(s)), true)) as typeof process.stderr.write
    try {
      const make = (dbu = 0.001): { ly: Layout; adhoc: CellFactory; anon: CellFactory; count: () => number } => {
        const ly = new Layout({ name: 'X', dbu })
        let n = 0
        const adhoc = ly.factory('adhoc', (c) => {
          n++
          c.place(ly.getCell('helper') ?? ly.newCell('helper').addBox(1, 0, 0, 1, 1))
        })
        const anon = ly.factory('anon', (c) => void (n++, c.addBox(1, 0, 0, 2, 2)), {}, { module: '/nonexistent/pdk.mjs' })
        const plain = ly.factory('plain', (c) => void (n++, c.addBox(1, 0, 0, 3, 3)))
        plain()
        return { ly, adhoc, anon, count: () => n }
      }
      loadSession({ dir })
      const a = make()
      a.adhoc()
      a.anon()
      saveSession()
      expect(errors.join('')).toMatch(/factory anon \(layout X\): cannot locate its source module \(option module: \/nonexistent\/pdk\.mjs does not exist\); its cells are built every run/)
      // the cell placing an ad-hoc cell: said once, with the reason (the report of the next run can only say "not in the session")
      expect(errors.filter((e) => /cannot be saved in the session/.test(e))).toEqual([
        'laytest: 1 factory cell of layout X cannot be saved in the session and is built every run: adhoc (it places helper, which no factory made)\n',
      ])
      saveSession()
      expect(errors.filter((e) => /cannot be saved in the session/.test(e))).toHaveLength(1)
      loadSession({ dir })
      const b = make()
      b.adhoc()
      b.anon()
      expect(b.count()).toBe(2) // plain restored, the other two built
      expect(sessionReport().cells.filter((c) => c.outcome === 'built').map((c) => [c.cell, c.reason])).toEqual([
        ['adhoc', 'not in the session'],
        ['anon', 'it has no key: cannot locate its source module (option module: /nonexistent/pdk.mjs does not exist)'],
      ])
      loadSession({ dir })
      const c = make(0.0005)
      expect(c.count()).toBe(1)
      expect(sessionReport().cells[0]).toMatchObject({ cell: 'plain', reason: 'saved with another database unit (0.001)' })
    } finally {
      process.stderr.write = orig
    }
  })

  test('index.json v2: dependencies by position, or with the older cell key they were saved with; a v1 index is still read', () => {
    const dir = tmp()
    dirs.push(dir)
    const fdir = join(dir, 'factories/PDK')
    type Dep = number | [number, string] | [string, string, string, string]
    type Entry = [string, string, string, number, string, Dep[], unknown[], number, string]
    const body = (): { keys: string[]; packList: string[]; entries: Entry[] } & Record<string, unknown> => {
      const text = readFileSync(join(fdir, 'index.json'), 'utf8')
      expect(text.slice(0, text.indexOf(' ', 26))).toBe('laytest-factory-session v2')
      return JSON.parse(text.slice(text.indexOf('\n') + 1)) as ReturnType<typeof body>
    }
    loadSession({ dir })
    const p1 = pdk()
    const ref = writeLayout((build(p1), p1.ly))
    saveSession()
    const b1 = body()
    const named = (e: Entry): string => e[2]
    const blocks = b1.entries.filter((e) => e[0] === 'block')
    expect(blocks.map(named).sort()).toEqual(['block_N2', 'block_N3'])
    // block_N3 used leaf w 100, 200, 300: three positions in the same index, each an entry of factory leaf
    const n3 = blocks.find((e) => e[2] === 'block_N3')!
    expect(n3[5].map((d) => (typeof d === 'number' ? named(b1.entries[d]!) : d))).toEqual(['leaf_W100', 'leaf_W200', 'leaf_W300'])

    // a v1 index (objects, every dependency with its layout, factory, parameters and cell key) of the same session
    const v1Entries = b1.entries.map((e) => ({
      factory: e[0], params: e[1], name: e[2], key: b1.keys[e[3]], cellKey: e[4],
      deps: e[5].map((d) => {
        const t = b1.entries[(d as number)]!
        return { layout: 'PDK', factory: t[0], params: t[1], cellKey: t[4] }
      }),
      ports: (e[6] as Array<[string, number, number, number, number, number, number]>).map((q) => ({ name: q[0], x: q[1], y: q[2], angle: q[3], width: q[4], layer: [q[5], q[6]] })),
      pack: b1.packList[e[7]], cell: e[8],
    }))
    const v1 = JSON.stringify({ layout: 'PDK', dbu: b1.dbu, metersPerDbu: b1.metersPerDbu, factories: b1.factories, packs: b1.packs, entries: v1Entries })
    writeFileSync(join(fdir, 'index.json'), `laytest-factory-session v1 ${createHash('sha256').update(v1).digest('hex')} ${Buffer.byteLength(v1)}\n${v1}\n`)
    loadSession({ dir })
    const p2 = pdk()
    expect(same(writeLayout((build(p2), p2.ly)), ref)).toBe(true)
    expect(p2.builds()).toEqual({ leaf: 0, block: 0 })
    expect(p2.ly.cells.get('leaf_W300')!.port('p')).toEqual({ name: 'p', x: 300, y: 150, angle: 0, width: 300, layer: layerKey(1, 0) })

    // leaf changes and only leaf cells are made: block's entries stay, naming the leaf cells they were built with
    saveSession() // (nothing changed: the v1 index stays as it is)
    loadSession({ dir })
    const p3 = pdk('PDK', 'v2')
    for (const w of [100, 200, 300]) p3.leaf({ w })
    saveSession()
    const b3 = body()
    const n3now = b3.entries.find((e) => e[2] === 'block_N3')!
    expect(n3now[5].map((d) => (Array.isArray(d) && d.length === 2 ? [named(b3.entries[d[0]]!), b3.entries[d[0]]![4] === d[1]] : d)))
      .toEqual([['leaf_W100', false], ['leaf_W200', false], ['leaf_W300', false]])
    loadSession({ dir })
    const p4 = pdk('PDK', 'v2')
    expect(same(writeLayout((build(p4), p4.ly)), ref)).toBe(true)
    expect(p4.builds()).toEqual({ leaf: 0, block: 2 })
    expect(sessionReport().cells.find((c) => c.cell === 'block_N3')!.reason).toMatch(/uses leaf_W100 \(factory leaf\), which changed/)
  })

  test('a factory of another layout used by a build is a dependency too; the whole-layout `layouts` option still works', () => {
    const dir = tmp()
    dirs.push(dir)
    const make = (): { lib: Layout; chip: Layout; uses: CellFactory<{ w: number }>; builds: () => number[] } => {
      const lib = new Layout({ name: 'LIB' })
      const chip = new Layout({ name: 'CHIP' })
      const part = lib.factory('part', (c, { w }) => void c.addBox(1, 0, 0, w, w).addPort({ name: 'e', x: w, y: 0, width: 10, layer: 1 }), { w: 50 })
      // reads a port of the other layout's cell: placing is not possible across layouts, using is
      const uses = chip.factory('uses', (c, { w }) => void c.addBox(2, 0, 0, part({ w }).port('e').x, 5), { w: 50 })
      return { lib, chip, uses, builds: () => [part.builds, uses.builds] }
    }
    loadSession({ dir })
    const a = make()
    a.uses({ w: 60 })
    saveSession({ layouts: [a.chip] })
    const whole = loadSession({ dir })
    expect([...whole.keys()]).toEqual(['CHIP'])
    const b = make()
    b.uses({ w: 60 })
    // LIB's cells were not saved (only those of `layouts`): part is built again, with the key it had, so the
    // cell that used it is restored
    expect(b.builds()).toEqual([1, 0])
    expect(sessionReport().cells.map((c) => [c.cell, c.outcome, c.reason])).toEqual([['part_W60', 'built', 'not in the session'], ['uses_W60', 'restored', undefined]])
    saveSession()
    loadSession({ dir })
    const c = make()
    c.uses({ w: 60 })
    expect(c.builds()).toEqual([0, 0])
  })
})
