import { fileURLToPath } from 'node:url'
import { describe, expect, test } from 'vitest'
import {
  Layout, FrozenCellError, abbreviate, canonicalJson, connectTo, factoryCellName, layerKey, portOf, writeLayout,
  type Cell, type FactoryParams,
} from '../src/index.js'
import { rng, runs } from './helpers/seed.js'

/*
 * Cell factories (src/layout/factory.ts): memoisation by canonical parameters, kfactory-style names, frozen cells,
 * ports, and where a factory is defined. Persistence across processes: test/session-factories.test.ts.
 */

const THIS_FILE = fileURLToPath(import.meta.url)

describe('layout.factory: memoised by canonical parameters', () => {
  test('equal parameters (after defaults, key order, -0) give the same Cell; the build runs once per parameter set', () => {
    const ly = new Layout({ name: 'PDK' })
    const seen: Array<Readonly<FactoryParams>> = []
    const wg = ly.factory('wg', (c, p) => {
      seen.push(p)
      c.addBox(1, 0, -p.width / 2, p.length, p.width / 2)
    }, { width: 500, length: 10000 })
    const a = wg()
    expect(wg({})).toBe(a)
    expect(wg({ width: 500 })).toBe(a)
    expect(wg({ length: 10000, width: 500 })).toBe(a)
    expect(wg({ width: undefined })).toBe(a)
    const b = wg({ length: 20000 })
    expect(b).not.toBe(a)
    expect(wg({ length: 20000, width: 500 })).toBe(b)
    expect(wg.builds).toBe(2)
    expect(seen).toEqual([{ width: 500, length: 10000 }, { width: 500, length: 20000 }])
    expect(Object.isFrozen(seen[0])).toBe(true)
    expect(wg.cells()).toEqual([a, b])
    expect(ly.factories.get('wg')).toBe(wg)
    expect(a.factoryInfo).toMatchObject({ factory: wg, canon: '{"length":10000,"width":500}', restored: false, deps: [] })

    // nested arrays and objects: canonical, order of object keys does not matter, arrays' order does
    const n = ly.factory('nested', (c) => void c.addBox(1, 0, 0, 1, 1), { opts: { a: 1, b: [1, 2] } as FactoryParams })
    const x = n({ opts: { b: [1, 2], a: 1 } })
    expect(n()).toBe(x)
    expect(n({ opts: { a: 1, b: [2, 1] } })).not.toBe(x)
    expect(n({ opts: { a: -0, b: [1, 2] } })).toBe(n({ opts: { a: 0, b: [1, 2] } }))
    expect(canonicalJson({ b: [1, { d: true, c: null }], a: 'x' })).toBe('{"a":"x","b":[1,{"c":null,"d":true}]}')
  })

  test('parameters that cannot be compared exactly are refused, naming the parameter', () => {
    const ly = new Layout()
    const f = ly.factory('f', () => {}, { w: 1 } as FactoryParams)
    expect(() => f({ w: NaN })).toThrow(/parameter w: NaN is not a finite number/)
    expect(() => f({ w: [1, undefined as unknown as number] })).toThrow(/parameter w\[1\]: undefined/)
    expect(() => f({ w: { c: ly.newCell('x') } as unknown as number })).toThrow(/parameter w\.c: a Cell is not a parameter value/)
    expect(() => f({ w: (() => 1) as unknown as number })).toThrow(/parameter w: a function/)
    expect(() => f(new Map() as unknown as FactoryParams)).toThrow(/takes a plain object of parameters \(got a Map\)/)
    expect(() => ly.factory('f', () => {})).toThrow(/has a factory named f already/)
    expect(() => ly.factory('', () => {})).toThrow(/needs a name/)
    expect(() => ly.factory('g', {} as unknown as () => void)).toThrow(/build must be a function/)
  })
})

describe('names: kfactory scheme, deterministic, collisions resolved', () => {
  test('factory name + abbreviated parameters, . as p and - as m', () => {
    expect(abbreviate('width')).toBe('W')
    expect(abbreviate('taper_length')).toBe('TL')
    expect(abbreviate('taperLength')).toBe('TL')
    expect(factoryCellName('wg_straight', { width: 0.5, length: 10 })).toBe('wg_straight_W0p5_L10')
    expect(factoryCellName('bend', { radius: -2.25, enabled: true, layer: [1, 0], xs: 'strip.wg', none: null })).toBe('bend_Rm2p25_ETrue_L1_0_Xstrippwg_NNone')
    expect(factoryCellName('pad', {})).toBe('pad')
    const long = factoryCellName('grating', { periods: Array.from({ length: 60 }, (_, i) => i) })
    expect(long.length).toBe(99)
    expect(long).toMatch(/^grating_P0_1_2_.*_[0-9a-f]{8}$/)

    const ly = new Layout()
    const wg = ly.factory('wg_straight', () => {}, { width: 0.5, length: 10 })
    expect(wg().name).toBe('wg_straight_W0p5_L10')
    // parameters not in the defaults come after them, sorted
    expect(wg({ zeta: 1, alpha: 2 } as FactoryParams).name).toBe('wg_straight_W0p5_L10_A2_Z1')
  })

  test('a value in a name: - as m, . as p, a run of separators as one _, other characters dropped (any characters, seeded)', () => {
    // the definition, as regular expressions (the names code does it in one pass)
    const label = (s: string): string => s.replace(/-/g, 'm').replace(/\./g, 'p').replace(/[\s,:;/\\|]+/g, '_').replace(/[^A-Za-z0-9_$]/g, '')
    const chars = ['a', 'Z', '0', '9', '_', '$', '-', '.', ' ', '\t', '\n', ',', ':', ';', '/', '\\', '|', 'é', '\u00a0', '\u3000', '\u2028', '+', '(', '"', '😀']
    const next = rng()
    for (let n = 0; n < runs(3000); n++) {
      let s = ''
      for (let i = Math.floor(next() * 12); i > 0; i--) s += chars[Math.floor(next() * chars.length)]!
      expect(factoryCellName('f', { v: s }), JSON.stringify(s)).toBe(`f_V${label(s)}`)
    }
    expect(factoryCellName('f', { v: 'a , b' })).toBe('f_Va_b')
    expect(factoryCellName('f', { v: 1e21, w: -1e-7 })).toBe('f_V1e21_Wm1em7')
  })

  test('equal names of different parameters: the later one gets a hash of its parameters; an ad-hoc cell keeps its name', () => {
    const build = (ly: Layout): string[] => {
      ly.newCell('f_V1')
      const f = ly.factory('f', (c) => void c.addBox(1, 0, 0, 1, 1), { v: 1 as number | string })
      return [f({ v: 'a-b' }).name, f({ v: 'amb' }).name, f().name, f({ v: -1 }).name, f({ v: 'm1' }).name]
    }
    const names = build(new Layout())
    expect(names[0]).toBe('f_Vamb')
    expect(names[1]).toMatch(/^f_Vamb_[0-9a-f]{8}$/)
    expect(names[2]).toMatch(/^f_V1_[0-9a-f]{8}$/)
    expect(names[3]).toBe('f_Vm1')
    expect(names[4]).toMatch(/^f_Vm1_[0-9a-f]{8}$/)
    expect(new Set(names).size).toBe(5)
    expect(build(new Layout())).toEqual(names) // the same calls, the same names
  })
})

describe('frozen cells', () => {
  test('a factory cell cannot be changed after its factory returned; placing it elsewhere is fine', () => {
    const ly = new Layout({ name: 'PDK' })
    let inside: Cell | null = null
    const leaf = ly.factory('leaf', (c) => {
      inside = c
      expect(c.frozen).toBe(false)
      c.addBox(1, 0, 0, 10, 10).addPort({ name: 'o1', x: 0, y: 5, angle: 180, width: 10, layer: 1 })
    })
    const c = leaf()
    expect(c).toBe(inside)
    expect(c.frozen).toBe(true)
    const other = ly.newCell('other')
    const before = writeLayout(ly)
    const changes: Array<[string, () => unknown]> = [
      ['addBox', () => c.addBox(1, 0, 0, 1, 1)],
      ['addPolygon', () => c.addPolygon(1, [[0, 0], [5, 0], [0, 5]])],
      ['addPath', () => c.addPath(1, [[0, 0], [5, 0]], 2)],
      ['addText', () => c.addText(66, 'x', 0, 0)],
      ['place', () => c.place(other)],
      ['placeArray', () => c.placeArray(other, { cols: 2, rows: 1, colStep: [10, 0], rowStep: [0, 0] })],
      ['addPort', () => c.addPort({ name: 'o2', x: 10, y: 5, angle: 0, width: 10, layer: 1 })],
      ['rename', () => c.rename('renamed')],
      ['shapes of a new layer', () => c.shapes(layerKey(7, 0))],
      ['addBoxKey', () => c.addBoxKey(layerKey(1, 0), 0, 0, 1, 1)],
      // the layer map and the shapes in it, reached directly
      ['layers.get(k).addBox', () => c.layers.get(layerKey(1, 0))!.addBox(0, 0, 99, 99, null)],
      ['layers.get(k).addPolygon', () => c.layers.get(layerKey(1, 0))!.addPolygon([0, 0, 5, 0, 0, 5], 3, null)],
      ['layers.get(k).addPath', () => c.layers.get(layerKey(1, 0))!.addPath([0, 0, 5, 0], 2, 2, 0, 0, 0, null)],
      ['layers.get(k).clear', () => c.layers.get(layerKey(1, 0))!.clear()],
      ['layers.set', () => c.layers.set(layerKey(9, 0), c.layers.get(layerKey(1, 0))!)],
      ['layers.delete', () => c.layers.delete(layerKey(1, 0))],
      ['layers.clear', () => c.layers.clear()],
    ]
    for (const [what, change] of changes) {
      expect(change, what).toThrow(FrozenCellError)
      expect(change, what).toThrow(/cell leaf is frozen: factory leaf made it and it cannot be changed after the factory returned/)
    }
    expect(() => (c.instances as unknown[]).push({})).toThrow(TypeError)
    expect(() => (c.texts as unknown[]).push({})).toThrow(TypeError)
    expect(writeLayout(ly)).toEqual(before) // nothing half-applied
    expect(c.ports).toHaveLength(1)
    other.place(c, { x: 100 })
    expect(other.instances).toHaveLength(1)
    expect(ly.getCell('leaf')).toBe(c)
  })

  test('a build that throws leaves no cell behind and is retried on the next call; a self-call is an error', () => {
    const ly = new Layout()
    let fail = true
    const f = ly.factory('flaky', (c) => {
      c.addBox(1, 0, 0, 1, 1)
      if (fail) throw new Error('boom')
    })
    expect(() => f()).toThrow('boom')
    expect(ly.getCell('flaky')).toBeUndefined()
    fail = false
    expect(f().frozen).toBe(true)
    expect(f.builds).toBe(2)

    const loop: ReturnType<typeof ly.factory> = ly.factory('loop', () => void loop())
    expect(() => loop()).toThrow(/factory loop called itself with the same parameters \(loop\)/)
    const ren = ly.factory('ren', (c) => c.rename('elsewhere'))
    expect(() => ren()).toThrow(/renamed or removed its cell ren/)
  })
})

describe('ports', () => {
  test('addPort validates; ports are readable from the cell, through instances, and connect cells', () => {
    const ly = new Layout()
    const wg = ly.factory('wg', (c, p) => {
      c.addBox(1, 0, -p.width / 2, p.length, p.width / 2)
      c.addPort({ name: 'o1', x: 0, y: 0, angle: 180, width: p.width, layer: 1 })
      c.addPort({ name: 'o2', x: p.length, y: 0, angle: 0, width: p.width, layer: [1, 0] })
    }, { width: 500, length: 10000 })
    const c = wg()
    expect(c.ports.map((p) => p.name)).toEqual(['o1', 'o2'])
    expect(c.port('o2')).toEqual({ name: 'o2', x: 10000, y: 0, angle: 0, width: 500, layer: layerKey(1, 0) })
    expect(() => c.port('o3')).toThrow(/has no port o3 \(ports: o1, o2\)/)
    const t = ly.newCell('t')
    expect(() => t.addPort({ name: 'a', x: 0.5, y: 0, width: 1, layer: 1 })).toThrow(/x must be a 32-bit integer/)
    expect(() => t.addPort({ name: 'a', x: 0, y: 0, width: 0, layer: 1 })).toThrow(/width must be positive/)
    expect(() => t.addPort({ name: '', x: 0, y: 0, width: 1, layer: 1 })).toThrow(/needs a name/)
    expect(t.addPort({ name: 'a', x: 0, y: 0, angle: -90, width: 1, layer: 1 }).angle).toBe(270)
    expect(() => t.addPort({ name: 'a', x: 0, y: 0, width: 1, layer: 1 })).toThrow(/has a port a already/)

    // a chain: the second waveguide's o1 onto the first's o2, rotated 90 degrees
    const i1 = t.place(c, { x: 0, y: 0, rotation: 90 })
    expect(portOf(i1, 'o2')).toMatchObject({ x: 0, y: 10000, angle: 90 })
    const i2 = t.place(c, connectTo(c.port('o1'), portOf(i1, 'o2')))
    expect(i2.placement).toMatchObject({ x: 0, y: 10000, rotation: 90, mirror: false })
    expect(portOf(i2, 'o2')).toMatchObject({ x: 0, y: 20000, angle: 90 })
    const i3 = t.place(c, connectTo(c.port('o2'), portOf(i2, 'o2'), { mirror: true }))
    expect(portOf(i3, 'o2')).toMatchObject({ x: 0, y: 20000, angle: 270 })
    const arr = t.placeArray(c, { cols: 3, rows: 1, colStep: [20000, 0], rowStep: [0, 0], y: -5000 })
    expect(portOf(arr, 'o1', [2, 0])).toMatchObject({ x: 40000, y: -5000, angle: 180 })
  })
})

describe('where a factory is defined', () => {
  test('from the call stack (this test file); from the option; unknown for code without a file, said clearly', () => {
    const ly = new Layout()
    expect(ly.factory('here', () => {}).module).toBe(THIS_FILE)
    expect(ly.factory('here2', () => {}).moduleProblem).toBeNull()
    expect(ly.factory('opt', () => {}, {}, { module: new URL('./helpers/corpus.ts', import.meta.url) }).module)
      .toBe(fileURLToPath(new URL('./helpers/corpus.ts', import.meta.url)))
    const missing = ly.factory('gone', () => {}, {}, { module: '/nonexistent/pdk.ts' })
    expect(missing.module).toBeNull()
    expect(missing.moduleProblem).toMatch(/does not exist/)
    const viaEval = new Function('ly', "return ly.factory('evald', () => {})")(ly) as ReturnType<typeof ly.factory>
    expect(viaEval.module).toBeNull()
    expect(viaEval.moduleProblem).toMatch(/defined in code without a source file/)
  })

  test('builds record the factory cells they used (called or placed), in first-use order', () => {
    const ly = new Layout()
    const leaf = ly.factory('leaf', (c, p) => void c.addBox(1, 0, 0, p.w, p.w), { w: 1 })
    const early = leaf({ w: 9 })
    const block = ly.factory('block', (c, p) => {
      const a = leaf({ w: p.n })
      leaf({ w: p.n })
      c.place(leaf({ w: 2 }))
      c.place(a)
      c.place(early)
    }, { n: 3 })
    const b = block()
    expect(b.factoryInfo!.deps.map((d) => d.name)).toEqual(['leaf_W3', 'leaf_W2', 'leaf_W9'])
    expect(leaf.builds).toBe(3)
  })
})
