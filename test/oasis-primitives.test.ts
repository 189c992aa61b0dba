import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { OasisBytes } from '../src/gds/oasis/bytes.js'
import { OasisInput } from '../src/gds/oasis/input.js'
import { isOasis } from '../src/gds/oasis/records.js'
import { gx, gy, read2delta, read3delta, readGdelta } from '../src/gds/oasis/repetition.js'
import { Layout } from '../src/layout/layout.js'
import { readOasis, writeOasis } from '../src/layout/oasisio.js'
import { summarize } from '../src/layout/stats.js'
import { ROOT } from './helpers/corpus.js'
import { dumpLayout } from './helpers/structural.js'

/** An input over bytes made by `fill`, each read through the fast path and through a 1-byte-at-a-time file window. */
function inputs(fill: (o: OasisBytes) => void): OasisInput[] {
  const o = new OasisBytes()
  fill(o)
  const bytes = o.view().slice()
  const windowed = new OasisInput('w', {
    window: new Uint8Array(1),
    refill: (buf, from, position) => {
      if (position >= bytes.length) return 0
      buf[from] = bytes[position]!
      return 1
    },
  })
  return [new OasisInput('m', bytes), windowed]
}

describe('OASIS integers', () => {
  const unsigned = [0, 1, 127, 128, 255, 16383, 16384, 2 ** 21 - 1, 2 ** 21, 2 ** 28 - 1, 2 ** 28, 2 ** 31, 2 ** 32 + 5, 2 ** 53 - 1]
  it.each(unsigned)('unsigned %d', (v) => {
    for (const inp of inputs((o) => o.u(v).u(7))) {
      expect(inp.u()).toBe(v)
      expect(inp.u()).toBe(7)
    }
  })

  const signed = [0, 1, -1, 63, -64, 64, -65, 2 ** 30, -(2 ** 30), 2 ** 31 - 1, -(2 ** 31), 2 ** 52 - 1, -(2 ** 52 - 1)]
  it.each(signed)('signed %d', (v) => {
    for (const inp of inputs((o) => o.s(v))) expect(Object.is(inp.s(), v)).toBe(true)
  })

  it('beyond 2^53: a bigint where it may stand (property values), an error elsewhere; 64 bits at most', () => {
    for (const v of [2n ** 53n, 2n ** 63n, 2n ** 64n - 1n]) {
      for (const inp of inputs((o) => o.u(v).u(v))) {
        expect(inp.uBig()).toBe(v)
        expect(() => inp.u()).toThrow(`an integer below 2^53 (found ${v})`)
      }
      for (const inp of inputs((o) => o.s(-(v >> 1n)).s(v >> 1n))) expect([inp.sBig(), inp.sBig()]).toEqual([-(v >> 1n), v >> 1n])
    }
    for (const inp of inputs((o) => o.u(2n ** 64n))) expect(() => inp.uBig()).toThrow('an unsigned integer of at most 64 bits')
  })

  it('reads non-minimal encodings (continuation bytes of zero), as writers pad with them', () => {
    for (const inp of inputs((o) => { for (let i = 0; i < 300; i++) o.byte(0x80); o.byte(0).byte(0x85).byte(0x80).byte(0x80).byte(0) })) {
      expect(inp.u()).toBe(0)
      expect(inp.u()).toBe(5)
    }
  })

  it('decodes the delta forms: 2-delta, 3-delta, both g-delta forms', () => {
    const vecs: Array<[number, number]> = [[5, 0], [0, 7], [-9, 0], [0, -3], [4, 4], [-6, 6], [-2, -2], [8, -8]]
    for (const inp of inputs((o) => {
      for (const [x, y] of vecs.slice(0, 4)) o.delta2(x, y)
      for (const [x, y] of vecs) o.delta3(x, y)
      for (const [x, y] of vecs) o.gdelta(x, y).gdelta(x, y, true)
      o.gdelta(123456789, -987654321).gdelta(-5, 3)
    })) {
      for (const [x, y] of vecs.slice(0, 4)) {
        read2delta(inp)
        expect([gx, gy]).toEqual([x, y])
      }
      for (const [x, y] of vecs) {
        read3delta(inp)
        expect([gx, gy]).toEqual([x, y])
      }
      for (const [x, y] of vecs) {
        readGdelta(inp, 1)
        expect([gx, gy]).toEqual([x, y])
        readGdelta(inp, 1)
        expect([gx, gy]).toEqual([x, y])
      }
      readGdelta(inp, 1)
      expect([gx, gy]).toEqual([123456789, -987654321])
      readGdelta(inp, 3)
      expect([gx, gy]).toEqual([-15, 9])
    }
  })
})

describe('OASIS reals and strings', () => {
  it('reads real types 0-7', () => {
    for (const inp of inputs((o) => o.real(0, 12).real(1, 12).real(2, 8).real(3, 8).real(4, 3, 8).real(5, 3, 8).real(6, 0.1).real(7, 0.1))) {
      expect([inp.real(), inp.real(), inp.real(), inp.real(), inp.real(), inp.real()]).toEqual([12, -12, 0.125, -0.125, 0.375, -0.375])
      expect(inp.real()).toBe(Math.fround(0.1))
      expect(inp.real()).toBe(0.1)
    }
  })

  it('strings are bytes, one character each (latin-1), short and long', () => {
    const long = 'x\u00e9'.repeat(100)
    for (const inp of inputs((o) => o.str('').str('A B\u00ff').str(long))) {
      expect([inp.str(), inp.str(), inp.str()]).toEqual(['', 'A B\u00ff', long])
    }
  })

  it('detects the format from the magic bytes', () => {
    const l = new Layout()
    l.newCell('A').addBox(1, 0, 0, 1, 1)
    expect(isOasis(writeOasis(l))).toBe(true)
    expect(isOasis(new TextEncoder().encode('%SEMI-OASIS\r'))).toBe(false)
    expect(isOasis(Uint8Array.of(0, 6, 0, 2, 0, 3))).toBe(false)
  })
})

describe('reading through the file window', () => {
  it('CBLOCKs inflated ahead by a worker: the same layout, the same errors, also where the worker gives up', () => {
    const dir = mkdtempSync(join(tmpdir(), 'laytest-oasis-ahead-'))
    try {
      // many CBLOCKs (one per cell), a cell body that goes on after its CBLOCK (the worker's scan stops there)
      const l = new Layout()
      for (let i = 0; i < 50; i++) {
        const c = l.newCell(`c${i}`).addText(2, `t${i}`, i, 1)
        for (let j = 0; j < 40; j++) c.addBox(1, i + 100 * j, 0, i + 100 * j + 10 + j, 10)
      }
      const bytes = writeOasis(l)
      const features = readFileSync(join(ROOT, 'test/fixtures/oasis/features.oas'))
      for (const [name, b] of [['cells.oas', bytes], ['features.oas', features]] as const) {
        writeFileSync(join(dir, name), b)
        const alone = readOasis(join(dir, name), { inflateAheadBytes: Infinity })
        for (let k = 0; k < 3; k++) expect(dumpLayout(readOasis(join(dir, name), { inflateAheadBytes: 0 }))).toEqual(dumpLayout(alone))
      }
      // a CBLOCK that does not inflate: the parser's message, with or without the worker
      const bad = Uint8Array.from(bytes)
      let at = -1
      for (let i = bad.length >> 1; i < bad.length; i++) if (bad[i] === 34 && bad[i + 1] === 0) { at = i; break }
      for (let i = at + 8; i < at + 14; i++) bad[i] = 0xff
      writeFileSync(join(dir, 'bad.oas'), bad)
      let m1 = '', m2 = ''
      try { readOasis(join(dir, 'bad.oas'), { inflateAheadBytes: Infinity }) } catch (e) { m1 = (e as Error).message }
      try { readOasis(join(dir, 'bad.oas'), { inflateAheadBytes: 0 }) } catch (e) { m2 = (e as Error).message }
      expect(m1, m1).toMatch(/CBLOCK/)
      expect(m2).toBe(m1)
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  })

  it('a file with CBLOCKs longer than the window reads as from memory', () => {
    let s = 7
    const r = (n: number): number => ((s = (Math.imul(s, 48271) + 11) >>> 0) % n)
    const l = new Layout()
    const c = l.newCell('BIG')
    for (let i = 0; i < 5000; i++) {
      const x = r(1e6), y = r(1e6)
      if (i % 3) c.addBox(1 + r(3), x, y, x + 1 + r(500), y + 1 + r(500))
      else c.addPolygon(5, [[x, y], [x + 1 + r(900), y + r(30)], [x + r(100), y + 1 + r(900)]])
    }
    for (let i = 0; i < 200; i++) c.addText(9, `t${r(50)}`, r(1000), r(1000))
    l.newCell('TOP').placeArray(c, { cols: 2, rows: 2, colStep: [2e6, 0], rowStep: [0, 2e6] })
    const bytes = writeOasis(l)
    const dir = mkdtempSync(join(tmpdir(), 'laytest-oasis-win-'))
    try {
      writeFileSync(join(dir, 'big.oas'), bytes)
      const mem = readOasis(bytes)
      for (const w of [4096, 5000, 65536]) {
        const f = readOasis(join(dir, 'big.oas'), { windowBytes: w, inflateAheadBytes: Infinity })
        expect(dumpLayout(f)).toEqual(dumpLayout(mem))
        // the same with the CBLOCKs inflated ahead by a worker thread
        const g = readOasis(join(dir, 'big.oas'), { windowBytes: w, inflateAheadBytes: 0 })
        expect(dumpLayout(g)).toEqual(dumpLayout(mem))
      }
      expect(summarize(mem).flat.TOP!['1/0']!.shapes).toBe(4 * c.layers.get(65536)!.shapeCount)
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  })
})
