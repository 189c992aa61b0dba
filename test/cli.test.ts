import { execFileSync, spawnSync } from 'node:child_process'
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { exampleFiles } from '../examples/ring.js'
import { FIXTURES, ROOT } from './helpers/corpus.js'

const BIN = join(ROOT, 'dist/cli/main.js')

function run(...args: string[]): { code: number; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [BIN, ...args], { cwd: ROOT, encoding: 'utf8' })
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr }
}

describe('laytest CLI (the built bin)', () => {
  it('is built (npm install runs the prepare script)', () => {
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

  it('npx laytest resolves to the bin', () => {
    const out = execFileSync('npx', ['--no-install', 'laytest', 'info', 'examples/ring.gds'], { cwd: ROOT, encoding: 'utf8' })
    expect(out).toContain('RING_CHIP')
  })

  it('the shipped examples are what examples/ring.ts generates (deterministic writer)', () => {
    for (const [name, bytes] of Object.entries(exampleFiles())) {
      expect(Buffer.from(readFileSync(join(ROOT, 'examples', name))).equals(Buffer.from(bytes)), `${name}: run npm run examples`).toBe(true)
    }
  })
})
