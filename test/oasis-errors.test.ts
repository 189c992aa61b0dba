import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { deflateRawSync, gzipSync } from 'node:zlib'
import { describe, expect, it } from 'vitest'
import { GdsError } from '../src/gds/errors.js'
import { OasisBytes } from '../src/gds/oasis/bytes.js'
import { OASIS_MAGIC } from '../src/gds/oasis/records.js'
import { Layout } from '../src/layout/layout.js'
import { readOasis, writeOasis } from '../src/layout/oasisio.js'
import { ROOT } from './helpers/corpus.js'

/*
 * A truncated or corrupt OASIS file is the GDSII reader's typed error (GdsError): one line naming the file,
 * the byte offset, the record and what was expected. Never another exception, never a hang, never a huge
 * allocation because of a corrupt count.
 */

const FIX = join(ROOT, 'test/fixtures/oasis')

/** A small file with CBLOCKs, name tables, arrays, properties (laytest's writer). */
function sample(opts = {}): Uint8Array {
  const l = new Layout()
  const c = l.newCell('C').addBox(1, 0, 0, 100, 200).addPolygon(2, [[0, 0], [50, 0], [0, 70]]).addPath(3, [[0, 0], [100, 0], [100, 100]], 10)
  c.addText(4, 'label', 5, 5)
  const t = l.newCell('T')
  t.placeArray(c, { cols: 3, rows: 2, colStep: [500, 0], rowStep: [0, 500] })
  t.place(c, { x: 3, y: 4, rotation: 45, mag: 2 }).extras = { props: [{ attr: 1, value: 'p' }] }
  return writeOasis(l, opts)
}

/** Reads and returns the error (a GdsError, one line), or null when the bytes read. */
function errorOf(bytes: Uint8Array, file = 'x.oas'): GdsError | null {
  try {
    readOasis(bytes, { file, ghostCells: 'empty', maxArrayMembers: 10_000, maxVertices: 100_000 })
    return null
  } catch (e) {
    if (!(e instanceof GdsError)) throw new Error(`not a GdsError: ${(e as Error).stack}`)
    expect(e.message).not.toMatch(/[\n\r]/)
    expect(e.message.startsWith(`${file}: `)).toBe(true)
    return e
  }
}

/** Bytes from the magic on: START (unit 1000, offsets here), then `body`, then END. */
function file(body: (o: OasisBytes) => void): Uint8Array {
  const o = new OasisBytes()
  o.bytes(OASIS_MAGIC).byte(1).str('1.0').real(0, 1000).u(0)
  for (let i = 0; i < 12; i++) o.u(0)
  body(o)
  const end = o.pos
  o.byte(2)
  o.u(252)
  while (o.pos < end + 255) o.byte(0)
  o.u(0)
  return o.view().slice()
}

describe('truncated files', () => {
  const cases: Array<[string, Uint8Array]> = [
    ['laytest writer, CBLOCKs and tables', sample()],
    ['laytest writer, no CBLOCKs, names inline', sample({ cblocks: false, nameTables: false })],
    ['KLayout-written (bug_121a.oas)', new Uint8Array(readFileSync(join(FIX, 'corpus/oasis/klayout__bug_121a.oas')))],
    ['crafted: every record variant', new Uint8Array(readFileSync(join(FIX, 'features.oas')))],
  ]
  it.each(cases)('%s: every prefix is a one-line GdsError', (_n, bytes) => {
    expect(errorOf(bytes)).toBeNull()
    for (let n = 0; n < bytes.length; n++) {
      const e = errorOf(bytes.subarray(0, n))
      expect(e, `prefix of ${n} bytes`).not.toBeNull()
      expect(e!.message).toMatch(/byte \d+/)
    }
    expect(errorOf(new Uint8Array(0))!.message).toBe('x.oas: byte 0: magic: the OASIS magic bytes %SEMI-OASIS<CR><LF> (the input is empty)')
  })

  it('names the record and says truncated', () => {
    const bytes = sample({ cblocks: false })
    const e = errorOf(bytes.subarray(0, bytes.length - 300))!
    expect(e.message).toMatch(/^x\.oas: byte \d+: [A-Z]+: .*\(truncated\)$/)
  })

  it('a truncated file on disk (read through the window) gives the same error as in memory', () => {
    const dir = mkdtempSync(join(tmpdir(), 'laytest-oasis-trunc-'))
    try {
      const bytes = sample({ cblocks: false }).subarray(0, 200)
      const p = join(dir, 't.oas')
      writeFileSync(p, bytes)
      let fromFile = ''
      try {
        readOasis(p, { windowBytes: 4096 })
      } catch (e) {
        fromFile = (e as Error).message
      }
      expect(fromFile).toBe(errorOf(bytes, p)!.message)
      // gzip-compressed and truncated: the gzip stream is the error
      writeFileSync(p, gzipSync(sample()).subarray(0, 100))
      expect(() => readOasis(p)).toThrow(/byte 0: gzip: a valid gzip stream/)
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  })
})

describe('corrupt files', () => {
  it('random byte changes give a GdsError or a layout, nothing else (2000 mutations)', () => {
    let seed = 12345
    const rnd = (): number => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 2 ** 32)
    const bases = [sample(), sample({ cblocks: false, nameTables: false }), new Uint8Array(readFileSync(join(FIX, 'features.oas')))]
    let errors = 0
    for (let k = 0; k < 2000; k++) {
      const b = bases[k % bases.length]!.slice()
      const changes = 1 + Math.floor(rnd() * 3)
      for (let c = 0; c < changes; c++) b[13 + Math.floor(rnd() * (b.length - 13))] = Math.floor(rnd() * 256)
      if (errorOf(b)) errors++
    }
    expect(errors).toBeGreaterThan(500)
  })

  const cases: Array<[string, Uint8Array, RegExp]> = [
    ['not OASIS', new TextEncoder().encode('this is not a layout at all'), /^x\.oas: byte 0: magic: the OASIS magic bytes .* \(not an OASIS file\?\)$/],
    ['GDSII', Uint8Array.of(0, 6, 0, 2, 0, 3, 0, 28, 1, 2), /byte 0: magic: .*not an OASIS file/],
    ['no START', (() => { const o = new OasisBytes().bytes(OASIS_MAGIC).byte(2); return o.view() })(), /byte 13: END: a START record after the magic bytes/],
    ['version 2.0', (() => { const o = new OasisBytes().bytes(OASIS_MAGIC).byte(1).str('2.0'); return o.view() })(), /START: version "1\.0" \(found 2\.0\)/],
    ['unit 0', (() => { const o = new OasisBytes().bytes(OASIS_MAGIC).byte(1).str('1.0').real(0, 0); return o.view() })(), /START: a positive unit/],
    ['unknown record', file((o) => o.byte(99)), /byte \d+: record 99: a known record type \(0 to 34\)$/],
    ['an element outside a cell', file((o) => o.byte(20).byte(0x7b).u(1).u(0).u(1).u(1).s(0).s(0)), /RECTANGLE: a CELL record before this element/],
    ['a modal variable not set', file((o) => o.byte(13).u(0).byte(20).byte(0x78).u(1).u(1).s(0).s(0)), /RECTANGLE: a layer number \(the modal layer is not set\)/],
    ['placement without a cell', file((o) => o.byte(13).u(0).byte(17).byte(0x30).s(0).s(0)), /PLACEMENT: a cell reference \(the modal placement-cell is not set\)/],
    ['repetition type 12', file((o) => o.byte(13).u(0).byte(20).byte(0x7f).u(1).u(0).u(1).u(1).s(0).s(0).u(12)), /RECTANGLE: a repetition type of 0 to 11 \(found 12\)/],
    ['repetition type 0 first', file((o) => o.byte(13).u(0).byte(20).byte(0x7f).u(1).u(0).u(1).u(1).s(0).s(0).u(0)), /a previous repetition for repetition type 0/],
    ['a huge repetition', file((o) => o.byte(13).u(0).byte(20).byte(0x7f).u(1).u(0).u(1).u(1).s(0).s(0).u(1).u(1e6).u(1e6).u(1).u(1)), /at most 10000 repetition members/],
    ['point list type 6', file((o) => o.byte(13).u(0).byte(21).byte(0x3b).u(1).u(0).u(6).u(1)), /POLYGON: a point list type of 0 to 5 \(found 6\)/],
    ['a huge point list', file((o) => o.byte(13).u(0).byte(21).byte(0x3b).u(1).u(0).u(4).u(2 ** 40)), /at most 100000 points per element/],
    ['real type 8', file((o) => o.byte(13).u(0).byte(18).byte(0xc4).u(0).u(8)), /PLACEMENT: a real of type 0 to 7 \(found type 8\)/],
    ['divisor 0', file((o) => o.byte(13).u(0).byte(18).byte(0xc4).u(0).u(2).u(0)), /a non-zero divisor in a real/],
    ['an integer of 70 bits', file((o) => o.byte(13).u(2n ** 70n)), /CELL: an unsigned integer of at most 64 bits/],
    ['a count above 2^53', file((o) => o.byte(13).u(2n ** 60n)), /CELL: an integer below 2\^53 \(found 1152921504606846976\)/],
    ['a coordinate beyond 32 bits', file((o) => o.byte(13).u(0).byte(20).byte(0x7b).u(1).u(0).u(1).u(1).s(2 ** 31).s(0)), /RECTANGLE: a coordinate within 32 bits \(found 2147483648\)/],
    ['a box beyond 32 bits', file((o) => o.byte(13).u(0).byte(20).byte(0x7b).u(1).u(0).u(10).u(1).s(2 ** 31 - 5).s(0)), /element coordinates within 32 bits/],
    ['layer 70000', file((o) => o.byte(13).u(0).byte(20).byte(0x7b).u(70000)), /a layer number of at most 65535 \(found 70000\)/],
    ['CBLOCK type 1', file((o) => o.byte(34).u(1)), /CBLOCK: compression type 0 \(DEFLATE\) \(found 1\)/],
    ['CBLOCK of garbage', file((o) => o.byte(34).u(0).u(10).u(5).bytes([1, 2, 3, 4, 5])), /CBLOCK: 5 bytes of DEFLATE data that inflate to 10 bytes/],
    ['CBLOCK of the wrong size', file((o) => { const d = deflateRawSync(Uint8Array.of(0, 0, 0)); o.byte(34).u(0).u(5).u(d.length).bytes(d) }), /CBLOCK: DEFLATE data that inflate to 5 bytes \(they inflate to 3\)/],
    ['CBLOCK claiming too much', file((o) => o.byte(34).u(0).u(1e9).u(5).bytes([1, 2, 3, 4, 5])), /an uncompressed size that 5 compressed bytes can hold/],
    ['CBLOCK in a CBLOCK', file((o) => { const inner = new OasisBytes().byte(34).u(0).u(0).u(0).view(); const d = deflateRawSync(inner); o.byte(34).u(0).u(inner.length).u(d.length).bytes(d) }), /CBLOCK at byte 0 of the CBLOCK's inflated data: no CBLOCK inside the data of another CBLOCK/],
    ['a record cut at the end of a CBLOCK', file((o) => { const inner = new OasisBytes().byte(13).view(); const d = deflateRawSync(inner); o.byte(34).u(0).u(1).u(d.length).bytes(d) }), /byte \d+: CELL at byte 0 of the CBLOCK's inflated data: a record that ends within its CBLOCK/],
    ['implicit and explicit CELLNAMEs', file((o) => o.byte(3).str('A').byte(4).str('B').u(5)), /CELLNAME: implicit and explicit reference numbers not mixed/],
    ['a CELLNAME number twice', file((o) => o.byte(4).str('A').u(1).byte(4).str('B').u(1)), /one CELLNAME per reference number \(1 is named twice\)/],
    ['a cell defined twice', file((o) => o.byte(14).str('A').byte(14).str('A')), /CELL: one definition per cell \(cell A is defined twice\)/],
    ['a cell number never named', file((o) => o.byte(13).u(7)), /CELLNAME: a CELLNAME record for cell reference number 7 \(referenced here, never named\)/],
    ['a TEXTSTRING never defined', file((o) => o.byte(14).str('A').byte(19).byte(0x7b).u(3).u(1).u(1).s(0).s(0)), /TEXT: a TEXTSTRING for reference number 3 \(never defined\)/],
    ['a PROPNAME never defined', file((o) => o.byte(14).str('A').byte(20).byte(0x7b).u(1).u(0).u(1).u(1).s(0).s(0).byte(28).byte(0x06).u(9)), /PROPERTY: a PROPNAME for property name reference number 9 \(never defined\)/],
    ['a PROPERTY repeat first', file((o) => o.byte(29)), /PROPERTY: a previous PROPERTY record to repeat/],
    ['a bad S_GDS_PROPERTY', file((o) => o.byte(14).str('A').byte(20).byte(0x7b).u(1).u(0).u(1).u(1).s(0).s(0).byte(28).byte(0x15).str('S_GDS_PROPERTY').u(10).str('x')), /an S_GDS_PROPERTY value list of an attribute number and a string \(found 1 value\(s\)\)/],
    ['a reference cycle', file((o) => o.byte(14).str('A').byte(17).byte(0xb0).str('B').s(0).s(0).byte(14).str('B').byte(17).byte(0xb0).str('A').s(0).s(0)), /PLACEMENT: no reference cycle; found (A -> B -> A|B -> A -> B)/],
    ['validation scheme 3', (() => { const o = new OasisBytes().bytes(OASIS_MAGIC).byte(1).str('1.0').real(0, 1000).u(1).byte(2); for (let i = 0; i < 6; i++) o.u(0).u(0); o.u(0).u(3); return o.view() })(), /END: a validation scheme of 0, 1 or 2 \(found 3\)/],
  ]
  it.each(cases)('%s', (_n, bytes, message) => {
    const e = errorOf(bytes)
    expect(e, 'an error').not.toBeNull()
    expect(e!.message).toMatch(message)
  })

  it('undefined cells: ghost cells, or in strict mode an error naming them (and the option)', () => {
    const bytes = file((o) => o.byte(14).str('TOP').byte(17).byte(0xb0).str('missing one').s(0).s(0).byte(17).byte(0xb0).str('M2').s(0).s(0))
    expect(() => readOasis(bytes, { file: 'g.oas', strict: true })).toThrow(
      /^g\.oas: byte \d+: PLACEMENT: a definition of every referenced cell \(strict mode\); 2 are undefined: "missing one" \(referenced by TOP\), M2 \(referenced by TOP\); without strict \(--strict\) they are read as empty cells, as KLayout does$/)
    const l = readOasis(bytes)
    expect([...l.cells.values()].map((c) => [c.name, c.ghost])).toEqual([['TOP', false], ['missing one', true], ['M2', true]])
  })
})
