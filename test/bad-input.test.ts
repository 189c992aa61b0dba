import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { gzipSync } from 'node:zlib'
import { describe, expect, it } from 'vitest'
import { GdsError, readLayout } from '../src/index.js'
import { boundary, concat, i2, i4, libHead, library, rec, sref, square, str, struct, T } from './helpers/rawgds.js'

/** Reads and returns the GdsError thrown (fails the test if something else, or nothing, is thrown). */
function gdsError(bytes: Uint8Array, opts: Parameters<typeof readLayout>[1] = {}): GdsError {
  try {
    readLayout(bytes, { file: 'bad.gds', ...opts })
  } catch (e) {
    expect(e).toBeInstanceOf(GdsError)
    return e as GdsError
  }
  throw new Error('expected a GdsError, but the file was read')
}

const ok = library(struct('A', boundary(1, 0, square(0, 0, 10))))

describe('bad input is a GdsError naming file, byte offset, record and expectation', () => {
  it('the well-formed baseline reads', () => {
    expect(readLayout(ok).cells.get('A')!.shapeCount).toBe(1)
  })

  it('truncated file: every proper prefix of a valid stream', () => {
    for (let n = 0; n < ok.length; n++) {
      const e = gdsError(ok.subarray(0, n))
      expect(e.file).toBe('bad.gds')
      expect(e.offset).toBeGreaterThanOrEqual(0)
      expect(e.offset).toBeLessThanOrEqual(n)
    }
    const e = gdsError(ok.subarray(0, ok.length - 6)) // cut inside the ENDSTR/ENDLIB tail
    expect(e.message).toMatch(/^bad\.gds: byte \d+: /)
  })

  it('truncated inside a record: offset of that record and its declared length', () => {
    const cut = libHead().length + 10 // inside BGNSTR (28 bytes)
    const e = gdsError(ok.subarray(0, cut))
    expect(e.offset).toBe(libHead().length)
    expect(e.record).toBe('BGNSTR')
    expect(e.message).toContain('28')
  })

  it('record length below 4', () => {
    const at = libHead().length
    const e = gdsError(concat(libHead(), rec(T.BGNSTR, 2, i2(0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0), 2), rec(T.ENDLIB, 0)))
    expect(e.offset).toBe(at)
    expect(e.message).toMatch(/length/)
    expect(e.message).toContain('2')
  })

  it('record length that is odd', () => {
    const at = libHead().length
    const bytes = concat(libHead(), rec(T.BGNSTR, 2, i2(0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0), 27), new Uint8Array(1), rec(T.ENDLIB, 0))
    const e = gdsError(bytes)
    expect(e.offset).toBe(at)
    expect(e.message).toMatch(/even|odd/)
  })

  it('wrong data type for a record', () => {
    const head = concat(libHead(), rec(T.BGNSTR, 2, i2(0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)), rec(T.STRNAME, 6, str('A')), rec(T.BOUNDARY, 0))
    const bytes = concat(head, rec(T.LAYER, 3, i4(1)), rec(T.DATATYPE, 2, i2(0)), rec(T.XY, 3, i4(...square(0, 0, 1))), rec(T.ENDEL, 0), rec(T.ENDSTR, 0), rec(T.ENDLIB, 0))
    const e = gdsError(bytes)
    expect(e.offset).toBe(head.length)
    expect(e.record).toBe('LAYER')
    expect(e.message).toContain('2-byte integer')
    expect(e.message).toContain('4-byte integer')
  })

  it('element without ENDEL', () => {
    const el = concat(rec(T.BOUNDARY, 0), rec(T.LAYER, 2, i2(1)), rec(T.DATATYPE, 2, i2(0)), rec(T.XY, 3, i4(...square(0, 0, 1))))
    const s = concat(rec(T.BGNSTR, 2, i2(0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)), rec(T.STRNAME, 6, str('A')))
    const e = gdsError(concat(libHead(), s, el, rec(T.ENDSTR, 0), rec(T.ENDLIB, 0)))
    expect(e.record).toBe('ENDSTR')
    expect(e.message).toContain('ENDEL')
    expect(e.message).toContain(`byte ${libHead().length + s.length}`) // where the unclosed BOUNDARY starts
    // and a second element starting before the first one ended
    const e2 = gdsError(concat(libHead(), s, el, boundary(1, 0, square(0, 0, 1)), rec(T.ENDSTR, 0), rec(T.ENDLIB, 0)))
    expect(e2.record).toBe('BOUNDARY')
    expect(e2.message).toContain('ENDEL')
  })

  it('reference to a missing cell names both cells', () => {
    // strict: an error naming both cells
    const e = gdsError(library(struct('TOP', sref('MISSING', 0, 0))), { strict: true })
    expect(e.cells).toEqual(['TOP', 'MISSING'])
    expect(e.message).toContain('MISSING')
    expect(e.message).toContain('TOP')
    // by default KLayout's behaviour: an empty ghost cell
    const l = readLayout(library(struct('TOP', sref('MISSING', 0, 0))))
    expect(l.getCell('MISSING')!.shapeCount).toBe(0)
    expect(l.getCell('MISSING')!.ghost).toBe(true)
  })

  it('cell reference cycle names the cells of the cycle', () => {
    const bytes = library(struct('A', sref('B', 0, 0)), struct('B', sref('C', 0, 0)), struct('C', sref('A', 0, 0)), struct('D', boundary(1, 0, square(0, 0, 1))))
    const e = gdsError(bytes)
    expect(e.message).toMatch(/cycle/)
    expect(new Set(e.cells)).toEqual(new Set(['A', 'B', 'C']))
    // a cell placing itself
    const self = gdsError(library(struct('S', sref('S', 0, 0))))
    expect(self.cells).toContain('S')
  })

  it('AREF 65535 x 65535 is refused, not flattened', () => {
    const aref = concat(rec(T.AREF, 0), rec(T.SNAME, 6, str('A')), rec(T.COLROW, 2, new Uint8Array([0xff, 0xff, 0xff, 0xff])),
      rec(T.XY, 3, i4(0, 0, 65535 * 10, 0, 0, 65535 * 10)), rec(T.ENDEL, 0))
    const top = struct('TOP', aref)
    const bytes = library(struct('A', boundary(1, 0, square(0, 0, 1))), top)
    const e = gdsError(bytes)
    expect(e.record).toBe('COLROW')
    expect(e.message).toContain('65535')
    // zero columns is malformed too
    const zero = concat(rec(T.AREF, 0), rec(T.SNAME, 6, str('A')), rec(T.COLROW, 2, i2(0, 3)), rec(T.XY, 3, i4(0, 0, 0, 0, 0, 30)), rec(T.ENDEL, 0))
    expect(gdsError(library(struct('A', boundary(1, 0, square(0, 0, 1))), struct('TOP', zero))).record).toBe('COLROW')
  })

  it('vertex limit: 8191 points pass, more (even across two XY records) are refused', () => {
    const ring = (n: number): number[] => {
      const xy: number[] = []
      for (let i = 0; i < n - 1; i++) xy.push(i, i % 2) // zig-zag so no point is collinear
      xy.push(0, 0)
      return xy
    }
    const el = (xys: number[][]): Uint8Array => concat(rec(T.BOUNDARY, 0), rec(T.LAYER, 2, i2(1)), rec(T.DATATYPE, 2, i2(0)),
      ...xys.map((xy) => rec(T.XY, 3, i4(...xy))), rec(T.ENDEL, 0))
    expect(readLayout(library(struct('A', el([ring(8191)])))).cells.get('A')!.shapeCount).toBe(1)
    const big = ring(9000)
    const e = gdsError(library(struct('A', el([big.slice(0, 16000), big.slice(16000)]))))
    expect(e.record).toBe('XY')
    expect(e.message).toContain('8191')
    // the limit is an option, for files written by tools that ignore it
    expect(readLayout(library(struct('A', el([big.slice(0, 16000), big.slice(16000)]))), { maxVertices: 10000 }).cells.get('A')!.shapeCount).toBe(1)
  })

  it('corrupt gzip, empty file, and a file that is not GDSII', () => {
    const gz = gzipSync(ok)
    const bad = gz.slice(0, gz.length - 12)
    expect(gdsError(bad).record).toBe('gzip')
    expect(readLayout(gz).cells.get('A')!.shapeCount).toBe(1)
    expect(gdsError(new Uint8Array(0)).message).toMatch(/HEADER/)
    const e = gdsError(new TextEncoder().encode('%PDF-1.4 this is not a layout\n'))
    expect(e.offset).toBe(0)
  })

  it('a missing file is a GdsError naming the path', () => {
    const dir = mkdtempSync(join(tmpdir(), 'laytest-'))
    const p = join(dir, 'nope.gds')
    expect(() => readLayout(p)).toThrow(GdsError)
    expect(() => readLayout(p)).toThrow(/nope\.gds.*ENOENT/)
    writeFileSync(p, ok)
    expect(readLayout(p).cells.size).toBe(1)
  })

  it('random corruption only ever yields a GdsError (fuzz, fixed seed)', () => {
    let seed = 12345
    const rnd = (n: number): number => {
      seed = (Math.imul(seed, 1103515245) + 12345) >>> 0
      return seed % n
    }
    const base = library(
      struct('A', boundary(1, 0, square(0, 0, 10)), boundary(2, 0, square(5, 5, 10))),
      struct('TOP', sref('A', 0, 0), concat(rec(T.AREF, 0), rec(T.SNAME, 6, str('A')), rec(T.COLROW, 2, i2(3, 2)), rec(T.XY, 3, i4(0, 0, 60, 0, 0, 40)), rec(T.ENDEL, 0))),
    )
    let errors = 0
    for (let k = 0; k < 3000; k++) {
      const b = base.slice()
      const flips = 1 + rnd(4)
      for (let f = 0; f < flips; f++) b[rnd(b.length)] = rnd(256)
      const cut = rnd(8) === 0 ? rnd(b.length) : b.length
      try {
        readLayout(b.subarray(0, cut))
      } catch (e) {
        if (!(e instanceof GdsError)) throw new Error(`case ${k}: ${String(e)}`)
        errors++
      }
    }
    expect(errors).toBeGreaterThan(100)
  })
})
