import { describe, expect, test } from 'vitest'
import { spawnSync } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import {
  GdsError, Layout, cellBBox, layerKey, cellHashes, diffLayouts, flatLayers, flatten, readLayout, renderLayout, summarize, writeLayout,
  type BBox, type Cell,
} from '../src/index.js'
import { deepChainGds } from './helpers/deepchain.js'

/*
 * Hierarchies as deep as a file can make them (issue 14, item 5): a chain C0 -> C1 -> ... -> C(n-1) whose last
 * cell holds one box. Every traversal (reading, info figures, flattening, hashing, bounding boxes, cycle
 * checks, structural matching, dirty windows, rendering) must work without recursion: 100,000 levels used to
 * end in "RangeError: Maximum call stack size exceeded".
 */

const MILLION = 1_000_000
const L1 = layerKey(1, 0)
const BIN = join(dirname(fileURLToPath(import.meta.url)), '..', 'dist/main.js')

/** Every box a flattening of `top` gives (in top coordinates). */
function flatBoxes(top: Cell): BBox[] {
  const out: BBox[] = []
  flatten(top, {
    box: (_k, l, b, r, t) => void out.push([l, b, r, t]),
    polygon: () => {
      throw new Error('no polygons expected')
    },
  })
  return out
}

/** Pixels of an RGBA image that are not the white background. */
function inkedPixels(data: Uint8Array): number {
  let n = 0
  for (let i = 0; i < data.length; i += 4) if (data[i] !== 255 || data[i + 1] !== 255 || data[i + 2] !== 255) n++
  return n
}

describe('a 1,000,000-level SREF chain', () => {
  // One test for the million levels: a million cells are a million objects of each kind, and reading such a
  // file alone takes seconds (about 2 minutes for this test on a loaded 2-core machine, most of it in V8's
  // garbage collector; LAYTEST_TIMINGS=1 prints where). The 100,000-level tests below check the same paths
  // more cheaply, each on its own.
  test('reads, summarises, flattens, hashes, renders and diffs', async () => {
    // LAYTEST_DEEP_LEVELS=100000 makes it a quick local run
    const n = Number(process.env.LAYTEST_DEEP_LEVELS ?? MILLION)
    const leafX = n - 1 // every SREF is displaced by (1, 0)
    let t = performance.now()
    const lap = (what: string): void => {
      const now = performance.now()
      if (process.env.LAYTEST_TIMINGS) console.log(`${what}: ${Math.round(now - t)} ms, heap ${Math.round(process.memoryUsage().heapUsed / 2 ** 20)} MB`)
      t = now
    }
    const bytesA = deepChainGds({ depth: n })
    lap('generate')
    const a = readLayout(bytesA, { file: 'chain.gds' })
    lap('read')
    expect(a.cells.size).toBe(n)
    const top = a.topCell()
    expect(top.name).toBe('C0')

    // A against an identical copy (the copy is dropped afterwards: a million cells take hundreds of MB)
    {
      const same = await diffLayouts(a, readLayout(bytesA), { workers: 0 })
      expect(same.result.equal).toBe(true)
      expect(same.result.layers['1/0']!.method).toBe('identical')
      lap('read copy + diff')
    }
    // A against B: the deepest leaf's box moved by 1 dbu, two 1 x 10 slivers
    {
      const b = readLayout(deepChainGds({ depth: n, box: [1, 0, 11, 10] }))
      lap('read B')
      const d = await diffLayouts(a, b, { workers: 0 })
      lap('diff A B')
      expect(d.result.equal).toBe(false)
      expect(d.result.layers['1/0']!.xorArea).toBe(20)
      expect(d.result.layers['1/0']!.xorAreaExact).toBe('20')
      expect(d.result.layers['1/0']!.bboxes).toEqual([[leafX, 0, leafX + 1, 10], [leafX + 10, 0, leafX + 11, 10]])
      // every level is an ancestor of the changed leaf
      expect(d.result.changedCells!.changed.length).toBe(n)
    }

    // info's figures (a summary of a million cells is big: dropped after the checks)
    {
      const s = summarize(a)
      lap('summarize')
      expect(s.top_cells).toEqual(['C0'])
      expect(s.flat.C0).toEqual({ '1/0': { shapes: 1, bbox: [leafX, 0, leafX + 10, 10] } })
      expect(s.flat_bbox.C0).toEqual([leafX, 0, leafX + 10, 10])
      expect(s.texts_flat.C0).toBe(0)
      expect(s.cells[`C${n - 1}`]!.bbox).toEqual([0, 0, 10, 10])
      expect(s.cells.C0!.bbox).toEqual([leafX, 0, leafX + 10, 10])
    }

    // flattening
    expect(flatBoxes(top)).toEqual([[leafX, 0, leafX + 10, 10]])
    lap('flatten')

    // hashing: a content hash for every level, and the leaf's change reaches the top
    const h = cellHashes(top)
    lap('hashes')
    expect(h.geometry).toMatch(/^[0-9a-f]{32}$/)
    expect(h.layers.get(L1)).toMatch(/^[0-9a-f]{32}$/)
    const moved = new Layout()
    moved.newCell('X').addBox(1, leafX + 1, 0, leafX + 11, 10)
    expect(h.layers.get(L1)).not.toBe(cellHashes(moved.topCell()).layers.get(L1))

    // rendering: the box fills the view (fitted to the cell's box)
    const r = renderLayout(a, { size: 64 })
    lap('render')
    expect(r.layers).toEqual([L1])
    expect(inkedPixels(r.image.data)).toBeGreaterThan(32 * 32)
  }, 900_000)
})

describe('100,000-level chains', () => {
  const n = 100_000

  test('labels of a 100,000-level chain are compared without recursion', async () => {
    const l = new Layout(), m = new Layout()
    for (const x of [l, m]) {
      let c = x.newCell('L0')
      for (let i = 1; i < n; i++) {
        const d = x.newCell(`L${i}`)
        c.place(d, { x: 1 })
        c = d
      }
      c.addBox(1, 0, 0, 5, 5).addText(2, x === l ? 'a' : 'b', 1, 1)
    }
    const r = await diffLayouts(l, m, { ignoreLabels: false, workers: 0 })
    expect(r.result.labels!.onlyInA).toEqual([{ layer: '2/0', text: 'a', x: n, y: 1 }])
  })

  test('read leaf first, rotated by 90 degrees at every level: figures agree with flattening', () => {
    const l = readLayout(deepChainGds({ depth: n, angle: 90, step: [3, 1], leafFirst: true }))
    const top = l.topCell()
    const boxes = flatBoxes(top)
    expect(boxes).toHaveLength(1)
    expect(flatLayers(top).get(L1)).toEqual({ shapes: 1, bbox: boxes[0] })
    expect(cellBBox(top)).toEqual(boxes[0])
  })

  test('rotated by 45 degrees at every level: the info figures stay linear in the depth', () => {
    // flatLayers flattens a rotated child for an exact box; it must not do so again for every ancestor
    const l = readLayout(deepChainGds({ depth: n, angle: 45 }))
    const top = l.topCell()
    let polys = 0
    const acc: BBox = [Infinity, Infinity, -Infinity, -Infinity]
    flatten(top, {
      box: (_k, lo, b, r, t) => {
        polys++
        acc[0] = Math.min(acc[0], lo); acc[1] = Math.min(acc[1], b); acc[2] = Math.max(acc[2], r); acc[3] = Math.max(acc[3], t)
      },
      polygon: (_k, xy, m) => {
        polys++
        for (let i = 0; i < m; i++) {
          acc[0] = Math.min(acc[0], xy[2 * i]!); acc[2] = Math.max(acc[2], xy[2 * i]!)
          acc[1] = Math.min(acc[1], xy[2 * i + 1]!); acc[3] = Math.max(acc[3], xy[2 * i + 1]!)
        }
      },
    })
    expect(polys).toBe(1)
    expect(summarize(l).flat.C0).toEqual({ '1/0': { shapes: 1, bbox: acc } })
  })

  test('a reference cycle through every level is a one-line GdsError naming the file', () => {
    let e: unknown
    try {
      readLayout(deepChainGds({ depth: n, cycle: true }), { file: 'cycle.gds' })
    } catch (err) {
      e = err
    }
    expect(e).toBeInstanceOf(GdsError)
    const g = e as GdsError
    expect(g.message).toMatch(/^cycle\.gds: SREF: no reference cycle; found a cycle of 100,000 cells: C\d+ -> C\d+ -> \.\.\. -> C\d+ -> C\d+$/)
    expect(g.message.length).toBeLessThan(200)
    expect(g.cells).toHaveLength(n + 1)
  })

  test('built bottom-up and top-down with the builder, written, read back and compared', async () => {
    // placing a cell that nothing holds cannot close a cycle: no search below the child (linear, not quadratic)
    const up = new Layout()
    let child = up.newCell(`L${n - 1}`).addBox(1, 0, 0, 10, 10)
    for (let i = n - 2; i >= 0; i--) {
      const c = up.newCell(`L${i}`)
      c.place(child, { x: 1 })
      child = c
    }
    const down = new Layout()
    let parent = down.newCell('L0')
    for (let i = 1; i < n; i++) {
      const c = down.newCell(`L${i}`)
      parent.place(c, { x: 1 })
      parent = c
    }
    parent.addBox(1, 0, 0, 10, 10)
    expect(flatBoxes(up.topCell())).toEqual([[n - 1, 0, n + 9, 10]])
    expect(cellHashes(up.topCell()).geometry).toBe(cellHashes(down.topCell()).geometry)
    const back = readLayout(writeLayout(up))
    expect((await diffLayouts(back, down, { workers: 0 })).result.equal).toBe(true)
    // and a cycle is still refused, however deep
    expect(() => up.getCell(`L${n - 1}`)!.place(up.getCell('L0')!)).toThrow(/would create a reference cycle/)
  })

  test('laytest info, diff and render', () => {
    const dir = mkdtempSync(join(tmpdir(), 'laytest-deep-'))
    try {
      const fa = join(dir, 'a.gds'), fb = join(dir, 'b.gds')
      writeFileSync(fa, deepChainGds({ depth: n }))
      writeFileSync(fb, deepChainGds({ depth: n, box: [1, 0, 11, 10] }))
      const run = (...args: string[]): { status: number | null; stdout: string; stderr: string } =>
        spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', maxBuffer: 1 << 28, env: { ...process.env, LAYTEST_CACHE: '0' } })
      const info = run('info', '--json', fa)
      expect(info.stderr).toBe('')
      expect(JSON.parse(info.stdout).flat.C0).toEqual({ '1/0': { shapes: 1, bbox: [n - 1, 0, n + 9, 10] } })
      const diff = run('diff', '--json', '--workers', '0', fa, fb)
      expect(diff.stderr).toBe('')
      expect(diff.status).toBe(1)
      expect(JSON.parse(diff.stdout).layers['1/0'].xorArea).toBe(20)
      const png = join(dir, 'a.png')
      const render = run('render', fa, '-o', png, '--size', '64')
      expect(render.stderr).toBe('')
      expect(render.status).toBe(0)
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  }, 300_000)
})
