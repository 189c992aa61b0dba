import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { Layout, layerKey, readLayout, writeLayout, writeLayoutFile } from '../src/index.js'
import { decodeSnapshot, encodeLayoutSnapshot, readSnapshot, SnapshotError } from '../src/layout/snapshot.js'
import { allCorpusFiles, sharedNotice } from './helpers/corpus.js'
import { dumpLayout } from './helpers/structural.js'

// The factory session's packs are layout snapshots (src/layout/snapshot.ts): exact, and damage is an error.

sharedNotice('the snapshot round trip')
const files = allCorpusFiles()
const tmp = mkdtempSync(join(tmpdir(), 'laytest-snapshot-'))
afterAll(() => rmSync(tmp, { recursive: true, force: true }))

describe('decodeSnapshot(encodeLayoutSnapshot(x)) is x', () => {
  it.each(files.map((f) => [f.name, f] as const))('%s', (_name, f) => {
    const a = readLayout(f.path, { ghostCells: 'empty' })
    const bytes = encodeLayoutSnapshot(a)
    // a copy at an odd offset: the reader must not assume the blob is aligned in memory
    const odd = Buffer.alloc(bytes.length + 1)
    bytes.copy(odd, 1)
    for (const input of [bytes, odd.subarray(1)]) {
      const b = decodeSnapshot(input)
      expect(dumpLayout(b)).toEqual(dumpLayout(a))
      expect(b.metersPerDbu).toBe(a.metersPerDbu)
      expect(b.meta.userUnitsPerDbu).toBe(a.meta.userUnitsPerDbu)
      expect(Buffer.from(writeLayout(b)).equals(Buffer.from(writeLayout(a)))).toBe(true)
    }
    // deterministic
    expect(encodeLayoutSnapshot(decodeSnapshot(bytes)).equals(bytes)).toBe(true)
  })

  it('keeps what GDSII would round: non-integer magnifications and angles, absolute flags, extras, arrays', () => {
    const ly = new Layout({ name: 'SNAP' })
    const leaf = ly.newCell('leaf')
    leaf.addBox([1, 0], 0, 0, 10, 10).addPolygon([2, 3], [[0, 0], [7, 1], [3, 9]]).addPath([4, 0], [[0, 0], [100, 0], [100, 50]], 6, { type: 4, bgnExt: 2, endExt: 3 })
    leaf.addText([5, 0], 'label', 1, 2, { rotation: 33.3, mag: 1.7, mirror: true })
    const top = ly.newCell('top')
    top.place(leaf, { x: 5, y: -7, rotation: 12.345678901234567, mag: 0.1 + 0.2, mirror: true })
    top.placeArray(leaf, { cols: 3, rows: 2, colStep: [20, 1], rowStep: [-1, 30], x: 100 })
    top.instances[0]!.absMag = true
    top.instances[0]!.extras = { props: [{ attr: 7, value: 'p' }], elflags: 1 }
    const b = decodeSnapshot(encodeLayoutSnapshot(ly))
    expect(dumpLayout(b)).toEqual(dumpLayout(ly))
    expect(b.getCell('top')!.instances[0]!.placement.mag).toBe(0.1 + 0.2)
  })
})

describe('damaged snapshots are a SnapshotError, never a half-read layout', () => {
  const ly = new Layout({ name: 'D' })
  const c = ly.newCell('c')
  c.addBox([1, 0], 0, 0, 5, 5).addPolygon([1, 0], [[0, 0], [9, 1], [4, 8]])
  ly.newCell('top').place(c)
  const good = encodeLayoutSnapshot(ly)

  it.each([
    ['empty', Buffer.alloc(0)],
    ['another format', Buffer.from('%SEMI-OASIS\r\n and more')],
    ['cut in the header', good.subarray(0, 20)],
    ['cut in the data', good.subarray(0, good.length - 4)],
    ['longer than its data', Buffer.concat([good, Buffer.alloc(4)])],
  ])('%s', (_what, bytes) => {
    expect(() => readSnapshot(bytes)).toThrow(SnapshotError)
  })

  it('a section length changed so that the sections no longer fit', () => {
    const jsonLen = good.readUInt32LE(8)
    const blobAt = (12 + jsonLen + 3) & ~3
    const bad = Buffer.from(good)
    // the directory of cell 0: layer count, key, boxes, polygon coordinates ...: one polygon coordinate fewer
    bad.writeInt32LE(bad.readInt32LE(blobAt + 12) - 1, blobAt + 12)
    bad.writeInt32LE(bad.readInt32LE(blobAt + 8) + 1, blobAt + 8)
    expect(() => readSnapshot(bad)).toThrow(SnapshotError)
  })
})

describe('writeLayoutFile writes GDSII in pieces: the same bytes as writeLayout', () => {
  it('a file much larger than the writer buffer, with rings longer than one XY record', () => {
    const ly = new Layout({ name: 'BIG' })
    const cell = ly.newCell('many')
    for (let i = 0; i < 20000; i++) cell.addBox([1, 0], i * 10, 0, i * 10 + 5, 5 + (i % 7))
    for (let i = 0; i < 300; i++) cell.addPolygon([2, 0], Array.from({ length: 40 }, (_, k): [number, number] => [Math.round(1000 * Math.cos(k / 40 * 2 * Math.PI)) + i * 3000, Math.round(1000 * Math.sin(k / 40 * 2 * Math.PI))]))
    // the model stores at most 8191 points per element; a file read with a larger maxVertices may hold more:
    // 9000 distinct points, a ring written over two XY records (8191 points per record, closing point included)
    const n = 9000
    const ring = Array.from({ length: n }, (_, k) => [k < n / 2 ? k * 2 : (n - k) * 2, k < n / 2 ? (k % 2) * 3 : 40 + (k % 2) * 3]).flat()
    cell.shapes(layerKey(3, 0)).addPolygon(ring, n, null)
    expect(cell.layers.get(layerKey(3, 0))!.polyCoords.length).toBeGreaterThan(2 * 8191)
    cell.addPath([4, 0], Array.from({ length: 8191 }, (_, k): [number, number] => [k * 10, (k % 2) * 10]), 4)
    const bytes = Buffer.from(writeLayout(ly))
    expect(bytes.length).toBeGreaterThan(4 * (1 << 18))
    const path = join(tmp, 'big.gds')
    writeLayoutFile(ly, path)
    expect(readFileSync(path).equals(bytes)).toBe(true)
    const back = readLayout(path, { maxVertices: 20000 })
    expect(dumpLayout(back)).toEqual(dumpLayout(ly))
  })

  it('a layout that cannot be written leaves no file and no temporary file behind', () => {
    const ly = new Layout({ name: 'BAD' })
    ly.newCell('naïve \u4e00')
    const path = join(tmp, 'bad.gds')
    expect(() => writeLayoutFile(ly, path)).toThrow(/8-bit/)
    expect(() => readFileSync(path)).toThrow()
  })
})
