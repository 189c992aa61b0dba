import { execFileSync, spawnSync } from 'node:child_process'
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { exampleFiles } from '../examples/ring.js'
import { FIXTURES, ROOT } from './helpers/corpus.js'
import { Layout, readLayout, writeLayout } from '../src/index.js'
import { dumpLayout } from './helpers/structural.js'

const BIN = join(ROOT, 'dist/main.js')

/** Runs the bin; the session cache is off unless a test turns it on (results must not depend on earlier runs). */
function run(...args: string[]): { code: number; stdout: string; stderr: string } {
  return runEnv({ LAYTEST_CACHE: '0' }, ...args)
}

function runEnv(env: Record<string, string>, ...args: string[]): { code: number; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [BIN, ...args], { cwd: ROOT, encoding: 'utf8', env: { ...process.env, ...env } })
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr }
}

describe('laytest CLI (the built bin)', () => {
  it('is built (npm test builds dist/ first)', () => {
    expect(existsSync(BIN)).toBe(true)
  })

  it('info --json prints exactly the KLayout oracle figures', () => {
    for (const name of ['klayout__t10', 'gdsfactory__mzi2x2', 'klayout__dss_sparse_array', 'klayout__texts']) {
      const r = run('info', join(FIXTURES, `gds/${name}.gds`), '--json')
      expect(r.code, r.stderr).toBe(0)
      const oracle = JSON.parse(readFileSync(join(FIXTURES, `oracle/${name}.gds.json`), 'utf8'))
      const ours = JSON.parse(r.stdout)
      for (const k of ['dbu', 'top_cells', 'texts_flat']) expect(ours[k], `${name} ${k}`).toEqual(oracle[k])
      expect(Object.keys(ours.cells).sort()).toEqual(Object.keys(oracle.cells).sort())
      for (const [c, v] of Object.entries<{ bbox: unknown; counts: unknown }>(oracle.cells)) {
        expect(ours.cells[c], `${name} ${c}`).toMatchObject({ bbox: v.bbox, counts: v.counts })
      }
      for (const [top, layers] of Object.entries<Record<string, { shapes: number; bbox: unknown }>>(oracle.flat)) {
        expect(Object.keys(ours.flat[top]).sort(), `${name} ${top}`).toEqual(Object.keys(layers).sort())
        for (const [l, v] of Object.entries(layers)) expect(ours.flat[top][l], `${name} ${top} ${l}`).toMatchObject({ shapes: v.shapes, bbox: v.bbox })
      }
    }
  })

  it('info prints a human summary of the README example', () => {
    const r = run('info', 'examples/ring.gds')
    expect(r.code).toBe(0)
    expect(r.stdout).toContain('top: TOP')
    expect(r.stdout).toMatch(/1\/0\s+6\s/) // 3 rings x (ring + bus) on the waveguide layer
    expect(r.stdout).toMatch(/41\/0\s+5\s/) // 4 pads + 1 metal path
  })

  it('bad input: exit code 2 and one line on stderr naming the file and byte', () => {
    const dir = mkdtempSync(join(tmpdir(), 'laytest-cli-'))
    const bad = join(dir, 'broken.gds')
    writeFileSync(bad, readFileSync(join(FIXTURES, 'gds/klayout__t10.gds')).subarray(0, 1000))
    const r = run('info', bad)
    expect(r.code).toBe(2)
    expect(r.stdout).toBe('')
    expect(r.stderr.trimEnd().split('\n')).toHaveLength(1)
    expect(r.stderr).toMatch(/^laytest: .*broken\.gds: byte \d+: /)
    expect(run('info', join(dir, 'missing.gds')).code).toBe(2)
    expect(run('info').code).toBe(2)
    expect(run('info', bad, '--nope').stderr).toMatch(/^laytest: .*--nope/)
    expect(run('frobnicate').code).toBe(2)
    expect(run('help').code).toBe(0)
  })

  it('COMMAND --help and help COMMAND print that command\'s part of the usage, exit 0; an unknown one is an error', () => {
    for (const args of [['diff', '--help'], ['diff', 'a.gds', '-h'], ['help', 'diff']]) {
      const r = run(...args)
      expect(r.code, args.join(' ')).toBe(0)
      expect(r.stdout).toMatch(/^usage:\n {2}diff A B \[options\]/)
      expect(r.stdout).toContain('--tolerance T')
      expect(r.stdout).not.toContain('render FILE')
    }
    const serve = run('serve', '--help').stdout
    expect(serve).toContain('--max-connections N')
    expect(serve).toContain('serve --stop')
    // after `--`, --help is an argument
    expect(run('info', '--', '--help').stderr).toMatch(/--help/)
    const r = run('help', 'frobnicate')
    expect(r.code).toBe(2)
    expect(r.stderr).toMatch(/^laytest: unknown command "frobnicate"/)
  })

  it('serve with a layer-properties file it cannot use: one line naming it, exit 2, nothing left listening', () => {
    for (const lyp of [join(ROOT, 'missing.lyp'), ROOT]) {
      const r = spawnSync(process.execPath, [BIN, 'serve', '--port', '0', '--lyp', lyp], { cwd: ROOT, encoding: 'utf8', timeout: 20_000 })
      expect(r.signal, 'still running after 20 s').toBe(null)
      expect(r.status).toBe(2)
      expect(r.stderr.trimEnd().split('\n')).toHaveLength(1)
      expect(r.stderr).toContain(lyp)
    }
  })

  it('errors about outputs name the file asked for, never a temporary file or an error class', () => {
    const dir = mkdtempSync(join(tmpdir(), 'laytest-cli-out-'))
    mkdirSync(join(dir, 'adir.gds'))
    const cases: Array<[string[], RegExp]> = [
      [['render', 'examples/ring.gds', '-o', join(dir, 'no/such/x.png')], /cannot write .*no\/such\/x\.png: its folder does not exist/],
      [['diff', 'examples/ring.gds', 'examples/ring-v2.gds', '-o', join(dir, 'adir.gds')], /cannot write .*adir\.gds: it is a folder/],
      [['render', 'examples/ring.gds', '-o', join(dir, 'x.png'), '--cell', 'NOPE'], /^laytest: examples\/ring\.gds has no cell named NOPE \(top cells: TOP\)$/m],
    ]
    for (const [args, want] of cases) {
      const r = run(...args)
      expect(r.code, args.join(' ')).toBe(2)
      expect(r.stderr).toMatch(want)
      expect(r.stderr).not.toMatch(/\.tmp|Error:/)
      expect(r.stderr.trimEnd().split('\n')).toHaveLength(1)
    }
    expect(readdirSync(dir)).toEqual(['adir.gds'])
    // open-diff with a file that is no run summary (checked before any viewer is contacted)
    for (const [name, text] of [['empty.json', '{}'], ['bad.json', '{"assertions": ['], ['list.json', '{"assertions": [1]}']]) {
      writeFileSync(join(dir, name!), text!)
      const r = run('open-diff', join(dir, name!), '--port', '1')
      expect(r.code, name).toBe(2)
      expect(r.stderr, name).toMatch(new RegExp(`^laytest: .*${name!.replace('.', '\\.')}: not a laytest run summary`))
      expect(r.stderr.trimEnd().split('\n')).toHaveLength(1)
    }
  })

  it('npx laytest resolves to the bin', () => {
    const out = execFileSync('npx', ['--no-install', 'laytest', 'info', 'examples/ring.gds'], { cwd: ROOT, encoding: 'utf8' })
    expect(out).toContain('RING_CHIP')
  })

  it('the shipped examples are what examples/ring.ts generates (deterministic writer)', () => {
    for (const [name, bytes] of Object.entries(exampleFiles())) {
      expect(Buffer.from(readFileSync(join(ROOT, 'examples', name))).equals(Buffer.from(bytes)), `${name}: run npm run examples`).toBe(true)
    }
  })

  it('diff: exit 0 equal, 1 different, 2 error; a strmxor-like summary', () => {
    const P = (n: string): string => join(FIXTURES, 'pairs', n)
    const same = run('diff', P('cell_renamed__a.gds'), P('cell_renamed__b.gds'))
    expect(same.code, same.stderr).toBe(0)
    expect(same.stdout).toMatch(/No differences found/)
    expect(same.stdout).toMatch(/renamed\s+INV2 -> INV2_RENAMED/)
    const moved = run('diff', P('box_moved_1dbu__a.gds'), P('box_moved_1dbu__b.gds'))
    expect(moved.code, moved.stderr).toBe(1)
    expect(moved.stdout).toMatch(/^6\/0\s+0\.00072\s+2\s+-/m) // 720 dbu^2 = 0.00072 um^2, two slivers
    expect(moved.stdout).toMatch(/changed\s+RINGO: layers 6\/0 \(own content\)/)
    // several top cells: compared pairwise by name without any flag (only A's box moved)
    const pairwise = run('diff', P('two_tops_second_differs__a.gds'), P('two_tops_second_differs__b.gds'))
    expect(pairwise.code, pairwise.stderr).toBe(1)
    expect(pairwise.stdout).toMatch(/^1\/0\s+0\.04\s/m) // 40000 dbu^2 in top cell A, 0 in X
    const chosen = run('diff', P('two_tops_second_differs__a.gds'), P('two_tops_second_differs__b.gds'), '--top-a', 'X', '--top-b', 'X')
    expect(chosen.code).toBe(0)
    expect(run('diff', P('box_moved_1dbu__a.gds')).code).toBe(2)
    expect(run('diff', P('box_moved_1dbu__a.gds'), join(FIXTURES, 'nope.gds')).code).toBe(2)
    expect(run('diff', P('sliver_1dbu__a.gds'), P('sliver_1dbu__b.gds'), '--tolerance', 'x').code).toBe(2)
    expect(run('diff', P('sliver_1dbu__a.gds'), P('sliver_1dbu__b.gds'), '--tolerance', '0.002').code).toBe(0)
  })

  it('diff --json: the result object, areas keyed "L/D" in dbu^2; -o writes the XOR', () => {
    const P = (n: string): string => join(FIXTURES, 'pairs', n)
    const out = join(mkdtempSync(join(tmpdir(), 'laytest-cli-')), 'x.gds')
    const r = run('diff', P('huge_coordinates__a.gds'), P('huge_coordinates__b.gds'), '--json', '-o', out)
    expect(r.code, r.stderr).toBe(1)
    const j = JSON.parse(r.stdout)
    expect(j.equal).toBe(false)
    expect(j.layers['1/0']).toMatchObject({ layer: '1/0', xorArea: 100000000, polygons: 1, onlyIn: null, sliverOnly: false })
    expect(j.layers['4/0'].xorAreaExact).toBe('10000000000000000')
    expect(j.layers['2/0'].xorArea).toBe(0)
    expect(Object.keys(j.timings)).toEqual(expect.arrayContaining(['read', 'xor', 'total', 'wall']))
    const back = run('info', out, '--json')
    expect(Object.keys(JSON.parse(back.stdout).flat.XOR).sort()).toEqual(['1/0', '4/0'])
  })

  it('diff in worker threads gives the same result as in one thread (the built worker script)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'laytest-cli-'))
    // 50k boxes and L-shapes on one layer, B with every shape 1 dbu to the right: enough for the thread pool
    for (const [name, shift] of [['a.gds', 0], ['b.gds', 1]] as const) {
      const ly = new Layout()
      const top = ly.newCell('TOP')
      let s = 7
      const r = (n: number): number => ((s = (Math.imul(s, 1103515245) + 12345) >>> 0) % n)
      for (let i = 0; i < 50000; i++) {
        const x = r(400000) + shift, y = r(400000), w = 50 + r(900), h = 50 + r(900)
        if (i % 3) top.addBox(1, x, y, x + w, y + h)
        else top.addPolygon(1, [x, y, x + w, y, x + w, y + h, x + w / 2, y + h, x + w / 2, y + 2 * h, x, y + 2 * h].map(Math.round))
      }
      writeFileSync(join(dir, name), writeLayout(ly))
    }
    const one = run('diff', join(dir, 'a.gds'), join(dir, 'b.gds'), '--json', '--workers', '0')
    const two = run('diff', join(dir, 'a.gds'), join(dir, 'b.gds'), '--json', '--workers', '2')
    expect(one.code, one.stderr).toBe(1)
    expect(two.code, two.stderr).toBe(1)
    const j1 = JSON.parse(one.stdout), j2 = JSON.parse(two.stdout)
    expect(j1.layers['1/0'].threads).toBe(1)
    expect(j2.layers['1/0'].threads).toBe(2)
    expect({ ...j2.layers['1/0'], threads: 0 }).toEqual({ ...j1.layers['1/0'], threads: 0 })
    expect(JSON.parse(two.stdout).layers['1/0'].tiles).toBeGreaterThan(10)
    expect(run('diff', join(dir, 'a.gds'), join(dir, 'b.gds'), '--workers', 'many').code).toBe(2)
  })

  it('readLayouts reads in worker threads exactly what readLayout reads, errors included (the built worker)', async () => {
    const dist = (await import(join(ROOT, 'dist/index.js'))) as typeof import('../src/index.js')
    for (const name of ['synth__record_zoo.gds', 'klayout__t10.gds', 'klayout__issue-1126.gds.gz']) {
      const f = join(FIXTURES, 'gds', name)
      const [, inWorker] = await dist.readLayouts([f, f], {}, 0)
      expect(dumpLayout(inWorker!), name).toEqual(dumpLayout(readLayout(f)))
    }
    const dir = mkdtempSync(join(tmpdir(), 'laytest-cli-'))
    const bad = join(dir, 'broken.gds')
    writeFileSync(bad, readFileSync(join(FIXTURES, 'gds/klayout__t10.gds')).subarray(0, 1000))
    const direct = (() => {
      try {
        readLayout(bad)
      } catch (e) {
        return (e as Error).message
      }
    })()
    await expect(dist.readLayouts([join(FIXTURES, 'gds/klayout__t10.gds'), bad], {}, 0)).rejects.toThrow(direct)
    await expect(dist.readLayouts([join(FIXTURES, 'gds/klayout__t10.gds'), bad], {}, 0)).rejects.toMatchObject({ name: 'GdsError' })
  })

  it('render: a PNG of the given size, the same bytes twice; bad options exit 2', () => {
    const dir = mkdtempSync(join(tmpdir(), 'laytest-cli-'))
    const out1 = join(dir, 'a.png'), out2 = join(dir, 'b.png')
    const r = run('render', 'examples/ring.gds', '-o', out1, '--size', '300')
    expect(r.code, r.stderr).toBe(0)
    expect(r.stdout).toMatch(/300 x \d+ px, 3 layer\(s\)/)
    run('render', 'examples/ring.gds', '-o', out2, '--size', '300')
    expect(readFileSync(out1).equals(readFileSync(out2))).toBe(true)
    const lyp = join(FIXTURES, '../render/klayout-written.lyp')
    expect(run('render', 'examples/ring.gds', '-o', out1, '--lyp', lyp, '--window=-20,-20,20,20').code).toBe(0)
    expect(run('render', 'examples/ring.gds', '-o', out1, '--window', '-20,-20,20,20').stderr).toMatch(/--window=-XYZ/)
    expect(run('render', 'examples/ring.gds', '-o', out1, '--window', '1,2,3').stderr).toMatch(/^laytest: --window wants l,b,r,t/)
    expect(run('render', 'examples/ring.gds', '-o', out1, '--size', '0').code).toBe(2)
    expect(run('render', 'examples/ring.gds').code).toBe(2)
    expect(run('render', 'examples/ring.gds', '-o', out1, '--cell', 'NOPE').stderr).toMatch(/no cell named NOPE/)
    writeFileSync(join(dir, 'bad.lyp'), '<layer-properties><properties><fill-color>red</fill-color><source>1/0</source></properties></layer-properties>')
    expect(run('render', 'examples/ring.gds', '-o', out1, '--lyp', join(dir, 'bad.lyp')).stderr).toMatch(/bad\.lyp: colour "red"/)
  })

  it('diff --images writes expected, actual, diff, composite and xor PNGs', () => {
    const dir = mkdtempSync(join(tmpdir(), 'laytest-cli-'))
    const r = run('diff', 'examples/ring.gds', 'examples/ring-v2.gds', '--images', dir, '--size', '400', '--json')
    expect(r.code, r.stderr).toBe(1)
    const j = JSON.parse(r.stdout)
    for (const k of ['expected', 'actual', 'diff', 'composite', 'xor']) {
      expect(j.images[k]).toBe(join(dir, `ring-v2-${k}.png`))
      expect(existsSync(j.images[k])).toBe(true)
    }
    // a 10 nm shift is below one pixel at 400 px: the pixel diff sees nothing, the XOR image does
    expect(j.pixelDiff.diffPixels).toBe(0)
  })

  it('diff --out DIR writes the images, xor.gds and report.json', () => {
    const dir = join(mkdtempSync(join(tmpdir(), 'laytest-cli-')), 'out')
    expect(run('diff', 'examples/ring.gds', 'examples/ring-v2.gds', '--out', dir, '--size', '200').code).toBe(1)
    for (const f of ['ring-v2-composite.png', 'ring-v2-xor.png', 'xor.gds', 'report.json']) expect(existsSync(join(dir, f)), f).toBe(true)
    expect(JSON.parse(readFileSync(join(dir, 'report.json'), 'utf8')).equal).toBe(false)
  })

  it('the images in docs/ are what the documented command writes, byte for byte', () => {
    const dir = mkdtempSync(join(tmpdir(), 'laytest-cli-'))
    run('diff', 'examples/ring.gds', 'examples/ring-v2.gds', '--images', dir, '--size', '500')
    for (const k of ['composite', 'xor']) {
      const f = `ring-v2-${k}.png`
      expect(readFileSync(join(dir, f)).equals(readFileSync(join(ROOT, 'docs/images', f))), `${f}: re-run the command in docs/render.md`).toBe(true)
    }
  })

  it('diff answers from the session cache when both files are unchanged; a changed file is compared again', () => {
    const dir = mkdtempSync(join(tmpdir(), 'laytest-cli-'))
    const env = { LAYTEST_SESSION_DIR: join(dir, 'cache') }
    const b = join(dir, 'b.gds')
    writeFileSync(b, readFileSync(join(ROOT, 'examples/ring-v2.gds')))
    const first = runEnv(env, 'diff', 'examples/ring.gds', b, '--json')
    expect(first.code).toBe(1)
    expect(JSON.parse(first.stdout).cached).toBeUndefined()
    const second = runEnv(env, 'diff', 'examples/ring.gds', b, '--json')
    expect(second.code).toBe(1)
    expect(JSON.parse(second.stdout)).toMatchObject({ cached: true, equal: false, layers: JSON.parse(first.stdout).layers })
    // now b is the reference itself: another content, another key
    writeFileSync(b, readFileSync(join(ROOT, 'examples/ring.gds')))
    const third = runEnv(env, 'diff', 'examples/ring.gds', b)
    expect(third.code).toBe(0)
    expect(third.stdout).not.toMatch(/session cache/)
    expect(runEnv(env, 'diff', 'examples/ring.gds', b).stdout).toMatch(/from the session cache/)
    expect(JSON.parse(runEnv(env, 'cache', 'stats', '--json').stdout).hits).toBeGreaterThan(0)
  })

  it('the README diff example runs on the shipped files', () => {
    const r = run('diff', 'examples/ring.gds', 'examples/ring-v2.gds')
    expect(r.code).toBe(1)
    expect(r.stdout).toMatch(/DIFFERENT/)
  })
})
