import { spawnSync } from 'node:child_process'
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { basename, join } from 'node:path'
import { PNG } from 'pngjs'
import { afterAll, describe, expect, test } from 'vitest'
import { readLayout, writeLayoutFile } from '../src/layout/gdsio.js'
import { readOasis } from '../src/layout/oasisio.js'
import { Layout } from '../src/layout/layout.js'
import { HAVE_SHARED, ROOT, SHARED, sharedNotice, type OracleJson } from './helpers/corpus.js'
import { project, vitest } from './helpers/project.js'

/*
 * Real-world files everywhere laytest takes a layout (issue 15): OASIS next to GDSII in `info`, `diff` (in any
 * mix), `render` and the matcher; files with several top cells and with undefined (ghost) cells in every command;
 * references stored as OASIS. Checked against KLayout's oracles and the pair oracle's per-top XOR.
 */

sharedNotice('the real-file checks of info, diff, render and the matcher')

const BIN = join(ROOT, 'dist/main.js')
const FIX = join(ROOT, 'test/fixtures')
const tmp = mkdtempSync(join(tmpdir(), 'laytest-real-'))
afterAll(() => rmSync(tmp, { recursive: true, force: true }))

function run(...args: string[]): { code: number; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [BIN, ...args], { cwd: tmp, encoding: 'utf8', env: { ...process.env, LAYTEST_CACHE: '0' } })
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr }
}

interface RealFile {
  name: string
  path: string
  oracle: OracleJson
}

function filesIn(base: string, sub: string): RealFile[] {
  const dir = join(base, sub)
  if (!existsSync(dir)) return []
  return readdirSync(dir).sort().map((name) => ({
    name, path: join(dir, name), oracle: JSON.parse(readFileSync(join(base, 'oracle', `${name}.json`), 'utf8')) as OracleJson,
  }))
}

/** Shared files first, then the fixture copies the shared corpus does not have (the project runs without it). */
function union(...lists: RealFile[][]): RealFile[] {
  const seen = new Set<string>()
  const out: RealFile[] = []
  for (const l of lists) for (const f of l) if (!seen.has(f.name)) { seen.add(f.name); out.push(f) }
  return out
}

const oasisFiles = union(HAVE_SHARED ? filesIn(SHARED, 'oasis') : [], filesIn(join(FIX, 'oasis/corpus'), 'oasis'))
const gdsFiles = union(HAVE_SHARED ? filesIn(SHARED, 'gds') : [], filesIn(join(FIX, 'corpus'), 'gds'))
const isOdd = (f: RealFile): boolean => f.oracle.top_cells.length > 1 || Object.values(f.oracle.cells).some((c) => c.ghost)
/** Every file with several top cells or undefined cells, GDSII and OASIS. */
const oddFiles = [...gdsFiles, ...oasisFiles].filter(isOdd)

describe('laytest info --json on OASIS files gives KLayout\'s figures', () => {
  test('has files', () => {
    expect(oasisFiles.length).toBeGreaterThanOrEqual(4)
    if (HAVE_SHARED) expect(oasisFiles.length).toBe(6)
  })
  test.each(oasisFiles.map((f) => [f.name, f] as const))('%s', (_n, f) => {
    const r = run('info', '--json', f.path)
    expect(r.code, r.stderr).toBe(0)
    const s = JSON.parse(r.stdout) as OracleJson
    const o = f.oracle
    expect(s.dbu).toBe(o.dbu)
    expect(s.top_cells).toEqual(o.top_cells)
    expect(Object.keys(s.cells).sort()).toEqual(Object.keys(o.cells).sort())
    for (const [name, c] of Object.entries(o.cells)) {
      const mine = s.cells[name]!
      expect(!!mine.ghost, name).toBe(!!c.ghost)
      for (const k of ['polygons', 'boxes', 'paths', 'texts', 'instances']) expect(mine.counts[k], `${name} ${k}`).toBe(c.counts[k])
    }
    for (const [top, layers] of Object.entries(o.flat)) {
      for (const [layer, v] of Object.entries(layers)) {
        expect(s.flat[top]![layer]!.shapes, `${top} ${layer}`).toBe(v.shapes)
        expect(s.flat[top]![layer]!.bbox, `${top} ${layer}`).toEqual(v.bbox)
      }
    }
    expect(s.texts_flat).toEqual(o.texts_flat)
    // undefined cells: read as KLayout reads them, said once on stderr (stdout stays JSON)
    const ghosts = Object.values(o.cells).filter((c) => c.ghost).length
    if (ghosts) expect(r.stderr).toMatch(new RegExp(`^laytest: warning: .*${ghosts > 1 ? `${ghosts} cells are` : 'a cell is'} referenced but not defined`))
    else expect(r.stderr).toBe('')
  })
})

describe('laytest diff: GDSII against its OASIS conversion (strm2oas), and the same with a change', () => {
  const dir = join(FIX, 'oasis/strm2oas')
  const manifest = JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8')) as Array<{ gds: string; oas: string; args: string[] }>
  // --permissive conversions are left out: KLayout rounds odd path widths there (test/oasis-strm2oas.test.ts)
  // and the kfactory files whose only top cell is a library proxy, which KLayout does not write (an empty file)
  const PROXY_TOP = ['kfactory__BendEuler_W1_R10_LWG_EWGSTD_A90_R150.gds', 'kfactory__Straight_W500_L1000_LWG_EWGSTD.gds']
  const exact = manifest.filter((c) => !c.args.includes('--permissive') && !PROXY_TOP.includes(c.gds))
  test.each(exact.map((c) => [`${c.gds} (${c.args.join(' ') || 'no options'})`, c] as const))('%s', (_n, c) => {
    const gds = join(FIX, 'corpus/gds', c.gds), oas = join(dir, c.oas)
    const r = run('diff', '--ignore-labels', gds, oas)
    expect(r.code, r.stdout + r.stderr).toBe(0)
    expect(r.stdout).toMatch(/EQUAL/)
    expect(run('diff', '--ignore-labels', oas, gds).code).toBe(0)
    // labels too, unless KLayout's writer changed them: it writes text strings as a-strings, every character
    // outside 0x20-0x7e made '*' (gdsfactory's multi-line settings labels)
    const mangled = [...readLayout(gds).cells.values()].some((cell) => cell.texts.some((t) => /[^\x20-\x7e]/.test(t.text)))
    const withLabels = run('diff', gds, oas)
    expect(withLabels.code, withLabels.stdout).toBe(mangled ? 1 : 0)
    if (mangled) expect(withLabels.stdout).toMatch(/No differences found[^]*Labels differ/)
  })
  test('one box moved in the OASIS file: different, on that layer only', () => {
    const src = join(FIX, 'corpus/gds/klayout__t10.gds'), oas = join(dir, 'klayout__t10.oas')
    const l = readOasis(oas)
    const cell = [...l.cells.values()].find((c) => [...c.layers.values()].some((s) => s.boxCount > 0))!
    const [key, s] = [...cell.layers.entries()].find(([, s]) => s.boxCount > 0)!
    s.boxes.data[0]! += 1 // left edge 1 dbu to the right
    l.touch()
    const moved = join(tmp, 'moved.oas')
    writeLayoutFile(l, moved)
    expect(readFileSync(moved).subarray(0, 13).toString('latin1')).toBe('%SEMI-OASIS\r\n')
    const r = run('diff', '--json', src, moved)
    expect(r.code, r.stderr).toBe(1)
    const res = JSON.parse(r.stdout) as { layers: Record<string, { differs: boolean }> }
    expect(Object.entries(res.layers).filter(([, v]) => v.differs).map(([k]) => k)).toEqual([`${Math.floor(key / 65536)}/${key % 65536}`])
  })
  test('a file that is neither GDSII nor OASIS says so, in one line', () => {
    const junk = join(tmp, 'notes.oas')
    writeFileSync(junk, 'hello, this is not a layout\n')
    for (const args of [['info', junk], ['diff', junk, junk], ['render', junk, '-o', join(tmp, 'j.png')]]) {
      const r = run(...args)
      expect(r.code).toBe(2)
      expect(r.stderr).toMatch(/^laytest: \S+notes\.oas: byte 0: a GDSII file \(a HEADER record\) or an OASIS file \("%SEMI-OASIS"\), plain or gzip-compressed; found "hello, this "\.\.\.\n$/)
    }
    // a truncated OASIS file: the OASIS reader's error (file, byte offset, record)
    const cut = join(tmp, 'cut.oas')
    writeFileSync(cut, readFileSync(join(dir, 'klayout__t10.oas')).subarray(0, 200))
    const r = run('info', cut)
    expect(r.code).toBe(2)
    expect(r.stderr).toMatch(/^laytest: \S+cut\.oas: byte \d+: .+\n$/)
  })
})

describe('writeLayoutFile picks the format and compression by the name', () => {
  test('.gds plain, .gds.gz and .GDS.GZ gzip, .oas OASIS, .OAS.GZ gzip OASIS; all read back equal', () => {
    const dir = mkdtempSync(join(tmpdir(), 'laytest-ext-'))
    const ly = new Layout({ name: 'L' })
    ly.newCell('TOP').addBox([1, 0], 0, 0, 1000, 500).addPolygon([2, 0], [[0, 0], [700, 0], [0, 300]])
    const head = (f: string): string => readFileSync(join(dir, f)).subarray(0, 11).toString('hex')
    const GDS = '00060002', GZIP = '1f8b', OAS = Buffer.from('%SEMI-OASIS').toString('hex')
    const expected: Record<string, string> = { 'a.gds': GDS, 'a.gds.gz': GZIP, 'b.GDS.GZ': GZIP, 'a.oas': OAS, 'b.OAS.GZ': GZIP }
    for (const [f, magic] of Object.entries(expected)) {
      writeLayoutFile(ly, join(dir, f))
      expect(head(f).startsWith(magic), `${f}: ${head(f)}`).toBe(true)
      const back = readLayout(join(dir, f))
      expect([...back.cells.keys()], f).toEqual(['TOP'])
      expect(back.cells.get('TOP')!.shapeCount, f).toBe(2)
    }
    expect(readLayout(join(dir, 'b.OAS.GZ')).cells.get('TOP')!.layers.size).toBe(2)
  })
})

describe('every file with several top cells or undefined cells works in info, diff and render', () => {
  test('has files', () => {
    expect(oddFiles.length).toBeGreaterThanOrEqual(2)
    if (HAVE_SHARED) expect(oddFiles.length).toBeGreaterThanOrEqual(15)
  })
  test.each(oddFiles.map((f) => [f.name, f] as const))('%s', (_n, f) => {
    const o = f.oracle
    const ghosts = Object.values(o.cells).filter((c) => c.ghost).length
    const info = run('info', f.path)
    expect(info.code, info.stderr).toBe(0)
    expect(info.stdout).toContain(`top: ${o.top_cells.join(', ')}`)
    expect(info.stdout.includes('referenced but not defined')).toBe(ghosts > 0)
    // strict: an error naming --strict exactly when there are undefined cells
    expect(run('info', '--strict', f.path).code).toBe(ghosts ? 2 : 0)
    const diff = run('diff', f.path, f.path)
    expect(diff.code, diff.stdout + diff.stderr).toBe(0)
    if (o.top_cells.length > 1) expect(diff.stdout).toContain(`Top cells, compared pairwise by name: all ${o.top_cells.length} equal`)
    const png = join(tmp, `${basename(f.path)}.png`)
    const r = run('render', f.path, '-o', png, '--size', '256')
    expect(r.code, r.stderr).toBe(0)
    expect(PNG.sync.read(readFileSync(png)).width).toBeGreaterThan(0)
  })
  test('render draws every top cell by default, --cell one', () => {
    const ly = new Layout()
    ly.newCell('LEFT').addBox(1, 0, 0, 3000, 1000)
    ly.newCell('RIGHT').addBox(1, 7000, 0, 10000, 1000)
    const f = join(tmp, 'two-tops.oas')
    writeLayoutFile(ly, f)
    const all = join(tmp, 'all.png'), one = join(tmp, 'one.png')
    expect(run('render', f, '-o', all, '--size', '200').code).toBe(0)
    expect(run('render', f, '--cell', 'LEFT', '-o', one, '--size', '200').code).toBe(0)
    // the whole library spans 10 um, one cell 3 um: each fills the width of its image
    const a = PNG.sync.read(readFileSync(all)), b = PNG.sync.read(readFileSync(one))
    // a column of the picture's middle (annotations, if any, are at its edges)
    const inked = (p: PNG, x: number): boolean => {
      for (let y = Math.round(p.height * 0.4); y < Math.round(p.height * 0.6); y++) {
        const i = (y * p.width + x) * 4
        if (p.data[i] !== 255 || p.data[i + 1] !== 255 || p.data[i + 2] !== 255) return true
      }
      return false
    }
    // all: ink at both ends, nothing in the middle (the gap between the two cells)
    expect(inked(a, Math.round(a.width * 0.2))).toBe(true)
    expect(inked(a, Math.round(a.width * 0.8))).toBe(true)
    expect(inked(a, Math.round(a.width * 0.5))).toBe(false)
    expect(inked(b, Math.round(b.width * 0.5))).toBe(true)
  })
})

describe.runIf(existsSync(join(FIX, 'corpus/pairs/two_tops_second_differs.json')))('the pair two_tops_second_differs', () => {
  const pair = JSON.parse(readFileSync(join(FIX, 'corpus/pairs/two_tops_second_differs.json'), 'utf8')) as {
    xor_per_top: Record<string, Record<string, { area_dbu2: number }>>
  }
  const a = join(FIX, 'corpus/pairs/two_tops_second_differs__a.gds'), b = join(FIX, 'corpus/pairs/two_tops_second_differs__b.gds')
  test('is different without any flag; per-top results as the oracle\'s xor_per_top, also as OASIS', () => {
    const oasA = join(tmp, 'tt-a.oas'), oasB = join(tmp, 'tt-b.oas.gz')
    writeLayoutFile(readLayout(a), oasA)
    writeLayoutFile(readLayout(b), oasB)
    for (const [x, y] of [[a, b], [oasA, oasB], [a, oasB]] as const) {
      const r = run('diff', '--json', x, y)
      expect(r.code, r.stderr).toBe(1)
      const res = JSON.parse(r.stdout) as { tops: Array<{ name: string; layers: Record<string, { xorAreaExact: string }> }> }
      const got = Object.fromEntries(res.tops.map((t) => [t.name, Object.fromEntries(Object.entries(t.layers).map(([k, v]) => [k, Number(v.xorAreaExact)]))]))
      const want = Object.fromEntries(Object.entries(pair.xor_per_top).map(([t, ls]) => [t, Object.fromEntries(Object.entries(ls).map(([k, v]) => [k, v.area_dbu2]))]))
      expect(got).toEqual(want)
    }
    const text = run('diff', a, b).stdout
    expect(text).toMatch(/Top cells, compared pairwise by name: 1 of 2 differ\n {2}A {2}different: 1\/0 0\.04 um\^2\n {2}X {2}equal/)
  })
})

describe('the matcher with real files: OASIS in and out, several top cells, undefined cells', () => {
  test('first run writes, second passes, a change fails with per-top results; referenceFormat oas; mixed formats', async () => {
    const inputs = join(tmp, 'inputs')
    mkdirSync(inputs, { recursive: true })
    const named: Array<[string, string]> = []
    for (const f of oddFiles.slice(0, HAVE_SHARED ? 40 : 10)) {
      const p = join(inputs, f.name)
      copyFileSync(f.path, p)
      named.push([f.name, p])
    }
    const twoA = join(FIX, 'corpus/pairs/two_tops_second_differs__a.gds'), twoB = join(FIX, 'corpus/pairs/two_tops_second_differs__b.gds')
    const two = join(inputs, 'two.gds')
    copyFileSync(twoA, two)
    // an OASIS input compared with a GDSII reference, and an OASIS reference (referenceFormat) of a GDSII input
    const oasInput = join(inputs, 'two-as-oasis.oas')
    writeLayoutFile(readLayout(twoA), oasInput)
    const dir = project({
      'real.test.mjs': `
import { test, expect } from 'vitest'
const files = ${JSON.stringify(named)}
test.each(files)('%s', async (name, path) => { await expect(path).toMatchReference(name) })
test('two tops', async () => { await expect(${JSON.stringify(two)}).toMatchReference('two') })
test('as oasis', async () => { await expect(${JSON.stringify(oasInput)}).toMatchReference('as-oasis') })
test('stored as oasis', async () => { await expect(${JSON.stringify(two)}).toMatchReference('stored', { referenceFormat: 'oas' }) })
`,
    })
    try {
      const first = await vitest(dir)
      expect(first.code, first.out).toBe(0)
      const refs = join(dir, 'reference/real.test.mjs')
      const written = readdirSync(refs).sort()
      expect(written).toContain('stored.oas')
      expect(written).toContain('two.gds')
      expect(written.length).toBe(named.length + 3)
      expect(readFileSync(join(refs, 'stored.oas')).subarray(0, 13).toString('latin1')).toBe('%SEMI-OASIS\r\n')
      // every reference reads back equal to its input (OASIS references too)
      const second = await vitest(dir)
      expect(second.code, second.out).toBe(0)
      expect(second.out).not.toMatch(/wrote reference/)
      // the second top cell changes: the matcher fails, per top cell, for the GDSII and the OASIS reference alike
      copyFileSync(twoB, two)
      const third = await vitest(dir, ['-t', 'two tops|stored'])
      expect(third.code).toBe(1)
      const failures = third.out.split('laytest: layout differs from reference').length - 1
      expect(failures).toBe(2)
      expect(third.out).toMatch(/Top cells, compared pairwise by name: 1 of 2 differ/)
      const results = readdirSync(join(dir, 'laytest-results')).filter((n) => n.startsWith('real.test.mjs-'))
      expect(results.sort()).toEqual(['real.test.mjs-stored', 'real.test.mjs-two'])
      // the artifact of the OASIS reference holds it as GDSII, equal to the reference
      const expected = readLayout(join(dir, 'laytest-results/real.test.mjs-stored/expected.gds'))
      expect(readLayout(join(refs, 'stored.oas')).topCells().map((c) => c.name).sort()).toEqual(expected.topCells().map((c) => c.name).sort())
      // -u rewrites the OASIS reference as OASIS (never a second file beside it)
      const upd = await vitest(dir, ['-u', '-t', 'stored'])
      expect(upd.code, upd.out).toBe(0)
      expect(readdirSync(refs).filter((n) => n.startsWith('stored.'))).toEqual(['stored.oas'])
      expect(readFileSync(join(refs, 'stored.oas')).subarray(0, 13).toString('latin1')).toBe('%SEMI-OASIS\r\n')
      // a reference in both formats is a clear failure, never a guess
      copyFileSync(join(refs, 'two.gds'), join(refs, 'two.oas'))
      const both = await vitest(dir, ['-t', 'two tops'])
      expect(both.code).toBe(1)
      expect(both.out).toMatch(/two references for one assertion: reference\/real\.test\.mjs\/two\.gds and reference\/real\.test\.mjs\/two\.oas/)
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  }, 240_000)
})
