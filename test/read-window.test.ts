import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import fc from 'fast-check'
import { runs } from './helpers/seed.js'
import { describe, expect, it } from 'vitest'
import { GdsError, Layout, cellHashes, layerKey, readLayout, writeLayout } from '../src/index.js'
import { IntBuf } from '../src/layout/intbuf.js'
import { compressRing } from '../src/layout/polygon.js'
import { allCorpusFiles, sharedNotice } from './helpers/corpus.js'
import { dumpLayout } from './helpers/structural.js'

/*
 * A file path is read through a moving window (1 MiB by default), a buffer is parsed whole. Both must give the
 * same layout and the same errors at the same file offsets, wherever records fall across window edges.
 * windowBytes: 65536 (the smallest window) makes every file bigger than that move its window many times.
 */

sharedNotice('the windowed-read test')
const dir = mkdtempSync(join(tmpdir(), 'laytest-window-'))
const SMALLEST = 1 << 16

function errorOf(fn: () => unknown): GdsError {
  try {
    fn()
  } catch (e) {
    expect(e).toBeInstanceOf(GdsError)
    return e as GdsError
  }
  throw new Error('expected a GdsError')
}

/** Every kind of element, records of many lengths (up to the largest XY record), 3 levels of hierarchy. */
function mixedLayout(): Layout {
  const l = new Layout({ name: 'MIX', dbu: 0.001 })
  const leaf = l.newCell('leaf')
  let s = 7
  const r = (n: number): number => {
    s = (Math.imul(s, 1103515245) + 12345) >>> 0
    return s % n
  }
  for (let i = 0; i < 3000; i++) {
    const x = r(100000), y = r(100000), layer = 1 + r(5)
    switch (r(5)) {
      case 0: leaf.addBox(layer, x, y, x + 1 + r(900), y + 1 + r(900)); break
      case 1: leaf.addPolygon(layer, [x, y, x + 500, y, x + 500, y + 300, x + 200, y + 700]); break
      case 2: leaf.addPath(layer, [[x, y], [x + 400, y], [x + 400, y + 400]], 20 + r(50), { type: ([0, 1, 2] as const)[r(3)] }); break
      case 3: leaf.addText(layer, `t${i}`, x, y); break
      default: {
        // a long ring: records of every length up to the GDSII maximum cross window edges
        const n = 4 + r(i % 97 === 0 ? 8000 : 200)
        const pts: number[] = []
        for (let k = 0; k < n; k++) {
          const a = (2 * Math.PI * k) / n
          pts.push(Math.round(x + 5000 * Math.cos(a)), Math.round(y + 5000 * Math.sin(a)))
        }
        leaf.addPolygon(layer, pts)
      }
    }
  }
  const mid = l.newCell('mid')
  mid.place(leaf, { x: 10, y: 20, rotation: 90 })
  mid.placeArray(leaf, { x: 0, y: 0, cols: 3, rows: 2, colStep: [200000, 0], rowStep: [0, 200000] })
  const top = l.newCell('top')
  for (let i = 0; i < 50; i++) top.place(mid, { x: i * 1000, y: 0, mirror: i % 2 === 0 })
  return l
}

const mixed = writeLayout(mixedLayout())
const mixedPath = join(dir, 'mixed.gds')
writeFileSync(mixedPath, mixed)

describe('reading a file through a window equals parsing its bytes whole', () => {
  it('a mixed layout bigger than many windows', () => {
    expect(mixed.length).toBeGreaterThan(10 * SMALLEST)
    const whole = readLayout(mixed)
    for (const windowBytes of [SMALLEST, SMALLEST + 2, 100_003 & ~1, undefined]) {
      const w = readLayout(mixedPath, { windowBytes })
      expect(dumpLayout(w)).toEqual(dumpLayout(whole))
      expect(cellHashes(w.getCell('top')!).full).toBe(cellHashes(whole.getCell('top')!).full)
    }
  })

  it('a window that ends exactly at a record boundary', () => {
    const ends = recordEnds(mixed).filter((e) => e > SMALLEST && e < mixed.length - SMALLEST)
    for (const windowBytes of [ends[0]!, ends[100]!, ends[ends.length >> 1]!]) {
      expect(dumpLayout(readLayout(mixedPath, { windowBytes }))).toEqual(dumpLayout(readLayout(mixed)))
    }
  })

  it.each(allCorpusFiles().map((f) => [f.name, f] as const))('corpus %s', (_name, f) => {
    const opts = { ghostCells: 'empty' as const }
    const whole = readLayout(readFileSync(f.path), opts)
    expect(dumpLayout(readLayout(f.path, { ...opts, windowBytes: SMALLEST }))).toEqual(dumpLayout(whole))
  })

  it('a truncated file fails with the same error and file offset either way', () => {
    const cuts = [SMALLEST - 3, SMALLEST, SMALLEST + 1, 3 * SMALLEST + 17, mixed.length - 5, mixed.length - 1]
    for (let i = 0; i < 12; i++) cuts.push(SMALLEST + Math.floor(((i * 7919) % 997) / 997 * (mixed.length - SMALLEST)))
    for (const cut of cuts) {
      const p = join(dir, `cut-${cut}.gds`)
      writeFileSync(p, mixed.subarray(0, cut))
      const a = errorOf(() => readLayout(mixed.subarray(0, cut), { file: p }))
      const b = errorOf(() => readLayout(p, { windowBytes: SMALLEST }))
      expect(b.message).toBe(a.message)
      expect(b.offset).toBe(a.offset)
      expect(b.offset).toBeGreaterThan(0)
    }
  })

  it('a bad record far into the file is reported at its file offset', () => {
    const bad = Uint8Array.from(mixed)
    // the first XY record after 5 windows: give it an odd length
    let pos = 0
    let at = -1
    while (pos < bad.length) {
      const len = (bad[pos]! << 8) | bad[pos + 1]!
      if (pos > 5 * SMALLEST && bad[pos + 2] === 0x10) {
        at = pos
        break
      }
      pos += len
    }
    expect(at).toBeGreaterThan(5 * SMALLEST)
    bad[at + 1]! |= 1
    const p = join(dir, 'odd.gds')
    writeFileSync(p, bad)
    const e = errorOf(() => readLayout(p, { windowBytes: SMALLEST }))
    expect(e.offset).toBe(at)
    expect(e.message).toContain(`byte ${at}`)
    expect(e.message).toMatch(/even record length/)
  })

  it('an element without ENDEL far into the file names where that element starts', () => {
    // take out the first ENDEL after 5 windows: the next element's header finds the element still open
    let pos = 0
    let start = -1
    let endel = -1
    while (pos < mixed.length) {
      const len = (mixed[pos]! << 8) | mixed[pos + 1]!
      const type = mixed[pos + 2]!
      if (pos > 5 * SMALLEST && (type === 0x08 || type === 0x09)) start = pos
      if (start >= 0 && type === 0x11) {
        endel = pos
        break
      }
      pos += len
    }
    const bad = new Uint8Array(mixed.length - 4)
    bad.set(mixed.subarray(0, endel))
    bad.set(mixed.subarray(endel + 4), endel)
    const p = join(dir, 'no-endel.gds')
    writeFileSync(p, bad)
    const a = errorOf(() => readLayout(bad, { file: p }))
    const b = errorOf(() => readLayout(p, { windowBytes: SMALLEST }))
    expect(b.message).toBe(a.message)
    expect(b.message).toContain(`starts at byte ${start}`)
    expect(b.offset).toBe(endel)
  })
})

/** File offsets where records end (where the next one starts). */
function recordEnds(b: Uint8Array): number[] {
  const out: number[] = []
  for (let pos = 0; pos < b.length; ) {
    pos += (b[pos]! << 8) | b[pos + 1]!
    out.push(pos)
  }
  return out
}

/** The definition: drop repeated points (cyclically), then in-line vertices one by one until none is left. */
function referenceRing(pts: Array<[number, number]>): Array<[number, number]> {
  let p = pts.filter((q, i) => i === 0 || q[0] !== pts[i - 1]![0] || q[1] !== pts[i - 1]![1])
  while (p.length > 1 && p[0]![0] === p[p.length - 1]![0] && p[0]![1] === p[p.length - 1]![1]) p = p.slice(0, -1)
  for (;;) {
    if (p.length < 3) return p
    const i = p.findIndex((c, k) => {
      const a = p[(k + p.length - 1) % p.length]!, b = p[(k + 1) % p.length]!
      const ax = c[0] - a[0], ay = c[1] - a[1], bx = b[0] - c[0], by = b[1] - c[1]
      return ax * by - ay * bx === 0 && ax * bx + ay * by > 0
    })
    if (i < 0) return p
    p = p.filter((_, k) => k !== i)
  }
}

describe('compressRing', () => {
  it('equals the definition on random rings with repeated, in-line and spike points', () => {
    const pt = fc.tuple(fc.integer({ min: 0, max: 4 }), fc.integer({ min: 0, max: 4 }))
    fc.assert(
      fc.property(fc.array(pt, { minLength: 1, maxLength: 12 }), fc.boolean(), (pts, closed) => {
        const ring = closed ? [...pts, pts[0]!] : pts
        const out = new IntBuf(0)
        out.append([9, 9]) // something before: the ring must be appended, not written over
        const n = compressRing(ring.flat(), ring.length, out)
        const got: Array<[number, number]> = []
        for (let i = 0; i < n; i++) got.push([out.data[2 + 2 * i]!, out.data[3 + 2 * i]!])
        expect(out.length).toBe(2 + 2 * n)
        expect([out.data[0], out.data[1]]).toEqual([9, 9])
        expect(got).toEqual(referenceRing(ring))
      }),
      { numRuns: runs(3000) },
    )
  })
})

describe('layers read from a file share empty sections safely', () => {
  it('adding polygons and paths to one read layer changes nothing else', () => {
    const l = new Layout({ name: 'L', dbu: 0.001 })
    for (const name of ['a', 'b']) {
      const c = l.newCell(name)
      c.addBox(1, 0, 0, 10, 10)
      c.addBox(2, 0, 0, 20, 20)
    }
    const read = readLayout(writeLayout(l))
    const a1 = read.getCell('a')!.layers.get(layerKey(1, 0))!
    const others = [read.getCell('a')!.layers.get(layerKey(2, 0))!, read.getCell('b')!.layers.get(layerKey(1, 0))!]
    read.getCell('a')!.addPolygon(1, [0, 0, 5, 0, 0, 5])
    read.getCell('a')!.addPath(1, [[0, 0], [100, 0]], 10)
    expect([a1.boxCount, a1.polygonCount, a1.pathCount]).toEqual([1, 1, 1])
    for (const s of others) {
      expect([s.boxCount, s.polygonCount, s.pathCount]).toEqual([1, 0, 0])
      expect([...s.polyStarts.view()]).toEqual([0])
      expect([...s.pathStarts.view()]).toEqual([0])
      expect(s.polyCoords.length + s.pathCoords.length + s.pathParams.length).toBe(0)
    }
    // and a fresh read is unaffected too
    const again = readLayout(writeLayout(l)).getCell('b')!.layers.get(layerKey(1, 0))!
    expect([again.boxCount, again.polygonCount, again.pathCount]).toEqual([1, 0, 0])
    expect(dumpLayout(readLayout(writeLayout(read)))).toEqual(dumpLayout(read))
  })
})
