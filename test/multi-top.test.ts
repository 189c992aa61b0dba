import { describe, expect, test } from 'vitest'
import { DiffError, diffLayouts, xorLayout } from '../src/diff/index.js'
import { Layout } from '../src/layout/index.js'

/*
 * Layouts with several top cells (PDK libraries): by default the same-named top cells are compared pairwise, as
 * if each were its own file, and a top cell on one side only is a difference.
 */

function library(tops: Record<string, Array<[number, number, number, number, number]>>): Layout {
  const ly = new Layout()
  for (const [name, boxes] of Object.entries(tops)) {
    const c = ly.newCell(name)
    for (const [layer, l, b, r, t] of boxes) c.addBox(layer, l, b, r, t)
  }
  return ly
}

describe('several top cells', () => {
  test('compared pairwise by name; a top cell on one side only is a difference of all its geometry', async () => {
    const a = library({ T1: [[1, 0, 0, 100, 100]], T2: [[1, 0, 0, 50, 50], [2, 0, 0, 10, 10]] })
    const b = library({ T1: [[1, 0, 0, 100, 101]], T3: [[1, 0, 0, 20, 20]] })
    const { result } = await diffLayouts(a, b)
    expect(result.equal).toBe(false)
    expect(result.tops!.map((t) => [t.name, t.onlyIn, t.equal])).toEqual([['T1', null, false], ['T2', 'a', false], ['T3', 'b', false]])
    const [t1, t2, t3] = result.tops!
    expect(t1!.layers['1/0']!.xorAreaExact).toBe('100')
    expect(t2!.layers['1/0']).toMatchObject({ xorAreaExact: '2500', onlyIn: 'a' })
    expect(t2!.layers['2/0']).toMatchObject({ xorAreaExact: '100', onlyIn: 'a' })
    expect(t3!.layers['1/0']).toMatchObject({ xorAreaExact: '400', onlyIn: 'b' })
    // totals: all three pairs on 1/0 (T1, T2 and T3 overlap at the origin: pairwise, not flattened together)
    expect(result.layers['1/0']!.xorAreaExact).toBe('3000')
    expect(result.layers['2/0']).toMatchObject({ xorAreaExact: '100', onlyIn: 'a' })
  })

  test('the same library in another cell order is equal, per top cell', async () => {
    const a = library({ T1: [[1, 0, 0, 100, 100]], T2: [[1, 0, 0, 50, 50]] })
    const b = library({ T2: [[1, 0, 0, 50, 50]], T1: [[1, 0, 0, 100, 100]] })
    const { result } = await diffLayouts(a, b)
    expect(result.equal).toBe(true)
    expect(result.tops!.every((t) => t.equal && t.onlyIn === null)).toBe(true)
  })

  test('one top cell each: compared whatever their names, as before', async () => {
    const { result } = await diffLayouts(library({ TOP: [[1, 0, 0, 10, 10]] }), library({ CHIP: [[1, 0, 0, 10, 10]] }))
    expect(result.equal).toBe(true)
    expect(result.tops).toBeNull()
  })

  test('naming the top cells of one side only: a one-line error with the real flags', async () => {
    const a = library({ T1: [[1, 0, 0, 1, 1]] })
    const b = library({ T1: [[1, 0, 0, 1, 1]], T2: [[1, 0, 0, 1, 1]] })
    const e = (await diffLayouts(a, b, { topA: 'T1' }).catch((x: unknown) => x)) as Error
    expect(e).toBeInstanceOf(DiffError)
    expect(e.message).toContain('--top-b')
    expect(e.message).not.toContain('\n')
    // naming both still selects explicitly
    const { result } = await diffLayouts(a, b, { topA: 'T1', topB: 'T2' })
    expect(result.equal).toBe(true)
  })

  test('the XOR layout has one cell per top cell pair', async () => {
    const a = library({ T1: [[1, 0, 0, 100, 100]], T2: [[1, 0, 0, 50, 50]] })
    const b = library({ T1: [[1, 0, 0, 100, 101]], T2: [[1, 0, 0, 50, 50]] })
    const xl = await xorLayout(await diffLayouts(a, b))
    expect(xl.topCells().map((c) => c.name).sort()).toEqual(['XOR_T1', 'XOR_T2'])
    expect(xl.getCell('XOR_T1')!.layers.get(1 << 16)!.polygonCount + xl.getCell('XOR_T1')!.layers.get(1 << 16)!.boxCount).toBe(1)
    expect(xl.getCell('XOR_T2')!.layers.size).toBe(0)
  })
})
