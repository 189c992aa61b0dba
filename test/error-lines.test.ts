import { describe, expect, test } from 'vitest'
import { spawnSync } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { CycleError, DiffError, diffLayouts, GdsError, Layout, oneLineMessage, readLayout, showCycle, showList, showName, showNames } from '../src/index.js'
import { boundary, libHead, library, sref, square, struct } from './helpers/rawgds.js'

/*
 * Every error is one line (issue 14, item 6): names from files are escaped (control bytes, newlines, binary),
 * long names are cut, long lists end with a count, and the line still names the file, says what was expected
 * and how to go on.
 */

const BIN = join(dirname(fileURLToPath(import.meta.url)), '..', 'dist/main.js')
/** A name as a file can hold it: a newline, a NUL, control and binary bytes. */
const NASTY = 'BAD\nNAME\x00\x07\xff\xe9'

function gdsError(bytes: Uint8Array, file = 'chip.gds'): GdsError {
  try {
    readLayout(bytes, { file, strict: true })
  } catch (e) {
    expect(e).toBeInstanceOf(GdsError)
    return e as GdsError
  }
  throw new Error('expected a GdsError')
}

/** One line of printable ASCII. */
function expectOneLine(message: string, max = 300): void {
  for (let i = 0; i < message.length; i++) {
    const c = message.charCodeAt(i)
    if (c < 0x20 || c > 0x7e) throw new Error(`character ${c} at ${i} in: ${JSON.stringify(message)}`)
  }
  expect(message.length).toBeLessThan(max)
}

describe('names from files in messages', () => {
  test('showName: plain names as they are; others quoted and escaped; long ones cut', () => {
    expect(showName('TOP')).toBe('TOP')
    expect(showName('ring_10$1.a')).toBe('ring_10$1.a')
    expect(showName('my cell')).toBe('"my cell"')
    expect(showName('a,b')).toBe('"a,b"')
    expect(showName('')).toBe('""')
    expect(showName(NASTY)).toBe('"BAD\\nNAME\\x00\\x07\\xff\\xe9"')
    expect(showName('say "hi"\\')).toBe('"say \\"hi\\"\\\\"')
    expect(showName('\u2603')).toBe('"\\u2603"')
    const long = showName('X'.repeat(60_000))
    expect(long).toBe(`${'X'.repeat(37)}...`)
    const longNasty = showName('\x01'.repeat(1000))
    expect(longNasty.length).toBeLessThanOrEqual(43)
    expect(longNasty).toMatch(/^"(\\x01)+"\.\.\.$/)
  })

  test('showList / showNames: the first few, then a count', () => {
    expect(showList([])).toBe('(none)')
    expect(showList(['A'])).toBe('A')
    expect(showList(['A', 'B', 'C'])).toBe('A, B, C')
    expect(showList(['A', 'B', 'C', 'D', 'E'])).toBe('A, B, C and 2 more')
    const names = Array.from({ length: 4130 }, (_, i) => `CELL_${i}`)
    expect(showNames(names)).toBe('CELL_0, CELL_1, CELL_2 and 4,127 more')
    // a character budget as well as a count
    expect(showNames(['A'.repeat(50), 'B'.repeat(50), 'C'.repeat(50), 'D'], { chars: 60 })).toBe(`${'A'.repeat(37)}... and 3 more`)
  })

  test('showCycle: short cycles in full, long ones with a count', () => {
    expect(showCycle(['A', 'B', 'A'])).toBe('A -> B -> A')
    const long = Array.from({ length: 12_000 }, (_, i) => `C${i}`)
    expect(showCycle([...long, 'C0'])).toBe('a cycle of 12,000 cells: C0 -> C1 -> ... -> C11999 -> C0')
  })

  test('oneLineMessage: a last guard', () => {
    expect(oneLineMessage('a\nb\r\tc\x1b[31m')).toBe('a\\nb\\r\\tc\\x1b[31m')
    expect(oneLineMessage('x'.repeat(10_000)).length).toBe(600)
  })
})

describe('reader errors are one line', () => {
  test('an undefined cell whose name holds a newline and binary bytes', () => {
    const e = gdsError(library(struct('TOP', sref(NASTY, 0, 0))))
    expect(e.message).toBe(
      `chip.gds: byte ${e.offset}: SNAME: a definition of every referenced cell (strict mode); undefined: "BAD\\nNAME\\x00\\x07\\xff\\xe9" ` +
        '(referenced by TOP); without strict (--strict) it is read as an empty cell, as KLayout does',
    )
    // the offset is where the reference is (the SREF element: TOP's structure without its ENDSTR)
    expect(e.offset).toBe(libHead().length + struct('TOP').length - 4)
    expectOneLine(e.message)
    // the raw names stay available to programs
    expect(e.cells).toEqual(['TOP', NASTY])
  })

  test('5,000 undefined cells: the first few, then a count', () => {
    const refs = Array.from({ length: 5000 }, (_, i) => sref(`MISSING_CELL_${i}`, 0, 0))
    const e = gdsError(library(struct('TOP', boundary(1, 0, square(0, 0, 1)), ...refs)), '/tmp/some/dir/chip.gds')
    expectOneLine(e.message)
    expect(e.message).toMatch(/^\/tmp\/some\/dir\/chip\.gds: byte \d+: SNAME: a definition of every referenced cell \(strict mode\); 5,000 are undefined: MISSING_CELL_0 \(referenced by TOP\), MISSING_CELL_1 \(referenced by TOP\) and 4,998 more; without strict \(--strict\) they are read as empty cells, as KLayout does$/)
    expect(e.cells).toHaveLength(5001)
  })

  test('a 60,000-character undefined name is cut', () => {
    const name = 'N'.repeat(60_000)
    const e = gdsError(library(struct('TOP', sref(name, 0, 0))))
    expectOneLine(e.message)
    expect(e.message).toContain(`undefined: ${'N'.repeat(29)}... (referenced by TOP)`)
  })

  test('a cycle and a duplicate definition with such names', () => {
    const cycle = gdsError(library(struct(NASTY, sref('B\tB', 0, 0)), struct('B\tB', sref(NASTY, 0, 0))))
    expectOneLine(cycle.message)
    expect(cycle.message).toContain('no reference cycle; found "BAD\\nNAME\\x00\\x07\\xff\\xe9" -> "B\\tB" -> "BAD\\nNAME\\x00\\x07\\xff\\xe9"')
    const twice = gdsError(library(struct(NASTY), struct(NASTY)))
    expectOneLine(twice.message)
    expect(twice.message).toContain('a unique structure name ("BAD\\nNAME\\x00\\x07\\xff\\xe9" is defined twice)')
  })
})

describe('layout errors are one line', () => {
  test('many top cells, duplicate names, cycles', () => {
    const l = new Layout()
    for (let i = 0; i < 5000; i++) l.newCell(`TOP_${i}`)
    const tops = (() => {
      try {
        l.topCell()
      } catch (e) {
        return (e as Error).message
      }
      return ''
    })()
    expect(tops).toBe('layout has 5000 top cells (TOP_0, TOP_1, TOP_2 and 4,997 more); name one')
    l.newCell(NASTY)
    expect(() => l.newCell(NASTY)).toThrow('a cell named "BAD\\nNAME\\x00\\x07\\xff\\xe9" exists already')
    const cyc = new CycleError([NASTY, 'X', NASTY])
    expectOneLine(cyc.message)
  })
})

describe('laytest prints one line, with the flag to go on', () => {
  test('info, diff and render on files with undefined cells', () => {
    const dir = mkdtempSync(join(tmpdir(), 'laytest-lines-'))
    try {
      const nasty = join(dir, 'nasty.gds'), many = join(dir, 'many.gds')
      writeFileSync(nasty, library(struct('TOP', boundary(1, 0, square(0, 0, 10)), sref(NASTY, 0, 0))))
      writeFileSync(many, library(struct('TOP', boundary(1, 0, square(0, 0, 10)), ...Array.from({ length: 5000 }, (_, i) => sref(`U${i}`, 0, 0)))))
      const run = (...args: string[]): { status: number | null; stdout: string; stderr: string } =>
        spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', env: { ...process.env, LAYTEST_CACHE: '0' } })
      // by default: read as KLayout reads them (empty cells), said in one warning line naming them and --strict
      for (const args of [['info', nasty], ['info', many], ['diff', nasty, many], ['render', many, '-o', join(dir, 'x.png')]]) {
        const r = run(...args)
        expect(r.status, args.join(' ')).toBe(0) // diff: the same geometry
        const warnings = r.stdout.split('\n').filter((l) => l.includes('warning:'))
        expect(warnings.length, args.join(' ')).toBeGreaterThanOrEqual(1)
        for (const w of warnings) {
          expectOneLine(w)
          expect(w.length).toBeLessThan(400)
          expect(w).toMatch(/warning: \S+\.gds: (5,000 cells are|a cell is) referenced but not defined, read as empty .*--strict/)
        }
      }
      expect(run('info', many).stdout).toContain('U0, U1, U2 and 4,997 more')
      expect(run('info', nasty).stdout).toContain('"BAD\\nNAME\\x00\\x07\\xff\\xe9"')
      // --json keeps stdout JSON; the warning goes to stderr
      const json = run('info', '--json', many)
      expect(JSON.parse(json.stdout).top_cells).toEqual(['TOP'])
      expectOneLine(json.stderr.slice(0, -1))
      expect(json.stderr).toMatch(/^laytest: warning: .*5,000 cells/)
      // --strict: one error line naming the cells and the flag
      for (const args of [['info', nasty], ['info', many], ['diff', nasty, many], ['render', many, '-o', join(dir, 'x.png')]]) {
        const r = run(args[0]!, '--strict', ...args.slice(1))
        expect(r.status).toBe(2)
        expect(r.stderr.endsWith('\n')).toBe(true)
        const line = r.stderr.slice(0, -1)
        expectOneLine(line)
        expect(line).toMatch(/^laytest: \S+\.gds: byte \d+: SNAME: a definition of every referenced cell \(strict mode\); .*undefined: .*\(--strict\)/)
      }
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  })
})

test('DiffError: 5,000 top cells in one line', async () => {
  const a = new Layout(), b = new Layout()
  for (let i = 0; i < 5000; i++) a.newCell(`T${i}\n`).addBox(1, 0, 0, 1, 1)
  b.newCell('B').addBox(1, 0, 0, 1, 1)
  const e = (await diffLayouts(a, b, { topB: 'B' }).catch((x: unknown) => x)) as Error
  expect(e).toBeInstanceOf(DiffError)
  expect(e.message).toBe('layout A has 5,000 top cells ("T0\\n", "T1\\n", "T2\\n" and 4,997 more); name them with topA (--top-a) too, or give neither to compare same-named top cells pairwise')
  const n = (await diffLayouts(a, b, { topA: 'NO\nPE', topB: 'B' }).catch((x: unknown) => x)) as Error
  expect(n.message).toBe('layout A has no cell named "NO\\nPE"')
})
