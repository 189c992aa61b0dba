import { mkdtempSync, readFileSync, readdirSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { GlobalFonts } from '@napi-rs/canvas'
import { describe, expect, test } from 'vitest'
import { renderCommand } from '../src/cli/render.js'
import { diffLayouts } from '../src/diff/index.js'
import { diffMarks, figureInfo, writeDiffImages } from '../src/harness/artifacts.js'
import { Layout, layerKey, readLayout } from '../src/layout/index.js'
import { HEADER_H, MARK, PAD } from '../src/render/figure.js'
import {
  blankImage, chooseInsets, collectLabels, decodePng, drawLabels, encodePng, fitView, LayerStyles, paletteStyle, readPng,
  registerFonts, renderLayout, safeText, xorFigure, type Image, type View,
} from '../src/render/index.js'
import { lengthLabel, niceLength, viewCaption } from '../src/render/units.js'
import { FIXTURES, ROOT } from './helpers/corpus.js'

/*
 * Failure pictures people read: the canvas draws text, legend, scale bar and frames over laytest's own raster;
 * the same inputs give the same bytes; the composite is a 2x2 grid of readable panels.
 */

const ring = join(ROOT, 'examples/ring.gds'), ringV2 = join(ROOT, 'examples/ring-v2.gds')

function px(img: Image, i: number, j: number): [number, number, number] {
  const o = 4 * (j * img.width + i)
  return [img.data[o]!, img.data[o + 1]!, img.data[o + 2]!]
}

function count(img: Image, box: [number, number, number, number], pred: (c: [number, number, number]) => boolean): number {
  let n = 0
  for (let j = Math.max(0, box[1]); j < Math.min(img.height, box[3]); j++) {
    for (let i = Math.max(0, box[0]); i < Math.min(img.width, box[2]); i++) if (pred(px(img, i, j))) n++
  }
  return n
}

const isMark = (c: [number, number, number]): boolean => c[0] === MARK[0] && c[1] === MARK[1] && c[2] === MARK[2]

async function ringImages(dir: string, opts: Parameters<typeof writeDiffImages>[5] = {}): Promise<ReturnType<typeof writeDiffImages>> {
  const a = readLayout(ring), b = readLayout(ringV2)
  return writeDiffImages(dir, 'ring-v2', a, b, await diffLayouts(a, b), opts)
}

describe('fonts: shipped with the package, never the system', () => {
  test('DejaVu Sans from dejavu-fonts-ttf is registered under laytest names; other characters become ?', () => {
    registerFonts()
    const names = GlobalFonts.families.map((f) => f.family)
    expect(names).toContain('laytest-dejavu-sans')
    expect(names).toContain('laytest-dejavu-sans-bold')
    expect(safeText('µm² ± × ≤ pin_1 Ωé')).toBe('µm² ± × ≤ pin_1 Ωé')
    expect(safeText('端口 🙂')).toBe('?? ?')
  })
})

describe('the failure pictures', () => {
  test('composite: 2x2 grid, expected | actual over XOR | pixel diff, each panel its render pixel for pixel', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'laytest-pictures-'))
    const r = await ringImages(dir)
    const expected = readPng(r.files.expected), actual = readPng(r.files.actual), diff = readPng(r.files.diff)
    const comp = readPng(r.files.composite)
    // the default size: 1024 px on the long side, at least 512 on the short side
    expect(expected.width).toBe(1024)
    expect(expected.height).toBeGreaterThanOrEqual(512)
    const cw = expected.width, ch = expected.height
    expect(comp.width).toBeGreaterThan(2 * cw)
    expect(comp.height).toBeGreaterThan(2 * ch)
    const y0 = HEADER_H + 4 + 26, x1 = PAD + cw + 24, y1 = y0 + ch + 24 + 26
    // rows near the top of each panel (the scale bar sits at the bottom-left) are the renders' own pixels
    const same = (img: Image, x: number, y: number): boolean => {
      for (const j of [1, 40, Math.floor(ch / 3)]) {
        for (let i = 1; i < cw - 1; i++) if (px(img, i, j).join() !== px(comp, x + i, y + j).join()) return false
      }
      return true
    }
    expect(same(expected, PAD, y0)).toBe(true)
    expect(same(actual, x1, y0)).toBe(true)
    expect(same(diff, x1, y1)).toBe(true)
    // bottom-left: the XOR panel, with the magenta marks of the 10 nm shift
    expect(count(comp, [PAD, y1, PAD + cw, y1 + ch], isMark)).toBeGreaterThan(20)
    expect(count(comp, [PAD, y0, PAD + cw, y0 + ch], isMark)).toBe(0)
    // the legend, right of the grid: a swatch in each layer's colours
    for (const k of [layerKey(1, 0), layerKey(2, 0)]) {
      const frame = paletteStyle(k).frame
      expect(count(comp, [x1 + cw + 20, y0 - 30, comp.width, comp.height], (c) => c.join() === frame.join()), `swatch of ${k}`).toBeGreaterThan(20)
    }
    // the title is dark text in the header band; anti-aliased, so not only black and white
    const header: [number, number, number, number] = [0, 0, comp.width, HEADER_H]
    expect(count(comp, header, (c) => c[0] < 60 && c[1] < 60 && c[2] < 60)).toBeGreaterThan(300)
    expect(count(comp, header, (c) => c[0] > 60 && c[0] < 200 && c[0] === c[1])).toBeGreaterThan(50)
  })

  test('the same inputs give the same bytes, every picture; a different size gives others', async () => {
    const d1 = mkdtempSync(join(tmpdir(), 'laytest-pictures-')), d2 = mkdtempSync(join(tmpdir(), 'laytest-pictures-'))
    await ringImages(d1, { size: 400 })
    await ringImages(d2, { size: 400 })
    const files = readdirSync(d1).sort()
    expect(files).toEqual(['ring-v2-actual.png', 'ring-v2-composite.png', 'ring-v2-diff.png', 'ring-v2-expected.png', 'ring-v2-xor.png'])
    for (const f of files) expect(readFileSync(join(d1, f)).equals(readFileSync(join(d2, f))), f).toBe(true)
    const d3 = mkdtempSync(join(tmpdir(), 'laytest-pictures-'))
    await ringImages(d3, { size: 420 })
    expect(readFileSync(join(d3, 'ring-v2-composite.png')).equals(readFileSync(join(d1, 'ring-v2-composite.png')))).toBe(false)
  })

  test('title and legend: what differs, areas in µm², polygons, only-in side, .lyp names; labels that differ', async () => {
    const a = new Layout({ dbu: 0.001 }), b = new Layout({ dbu: 0.001 })
    a.newCell('TOP').addBox(1, 0, 0, 10000, 2000).addBox(3, 0, 5000, 1000, 6000).addText(10, 'in', 0, 1000)
    b.newCell('TOP').addBox(1, 0, 0, 10000, 2500).addBox(2, 20000, 0, 21000, 1000).addBox(3, 0, 5000, 1000, 6000).addText(10, 'in', 500, 1000)
    const outcome = await diffLayouts(a, b)
    const styles = new LayerStyles()
    styles.styles.set(layerKey(1, 0), { ...paletteStyle(layerKey(1, 0)), name: 'waveguide' })
    const info = figureInfo('chip', outcome, styles, a.dbu, { pixelDiff: 7 })
    expect(info.title).toBe('chip: layout differs: XOR 6 µm²')
    expect(info.subtitle).toContain('2 XOR polygons on 2 of 3 layers')
    expect(info.subtitle).toContain('labels: 1 only in expected, 1 only in actual')
    expect(info.subtitle).toContain('pixel diff 7 px')
    const byLayer = Object.fromEntries(info.legend.map((e) => [e.layer, e]))
    expect(byLayer['1/0']).toMatchObject({ name: 'waveguide', differs: true, xorAreaUm2: 5, polygons: 1, onlyIn: null })
    expect(byLayer['2/0']).toMatchObject({ differs: true, xorAreaUm2: 1, polygons: 1, onlyIn: 'b' })
    expect(byLayer['3/0']).toMatchObject({ differs: false })
    expect(info.labelNote).toBeTruthy()
    // the marks carry the moved label on both sides and each cluster's layer
    const marks = diffMarks(outcome, a.dbu)
    expect(marks.labels!.map((l) => [l.side, l.text, l.x])).toEqual([['a', 'in', 0], ['b', 'in', 500]])
    expect(marks.clusterLayers).toEqual([['1/0'], ['2/0'], ['label 10/0']]) // the moved label: one cluster, old to new anchor
    expect(marks.clusters[2]).toEqual([0, 1000, 500, 1000])
  })

  test('the XOR picture of a 1-dbu change in a large view: framed, numbered, zoomed so that it shows', async () => {
    const a = new Layout({ dbu: 0.001 }), b = new Layout({ dbu: 0.001 })
    const grid = (top: ReturnType<Layout['newCell']>): void => {
      for (let i = 0; i < 40; i++) for (let j = 0; j < 40; j++) top.addBox(1, i * 50000, j * 50000, i * 50000 + 20000, j * 50000 + 20000)
    }
    grid(a.newCell('TOP'))
    const tb = b.newCell('TOP')
    grid(tb)
    tb.addBox(1, 1020000, 1010000, 1020001, 1010100) // a 1 x 100 dbu bump on one box of 1600, 2 mm wide
    const outcome = await diffLayouts(a, b)
    const marks = diffMarks(outcome, a.dbu)
    const view = fitView([0, 0, 1970000, 1970000], { size: 800 })
    const [inset] = chooseInsets(marks, view, 3)
    // the inset window: 0.2 % of the view (4 µm), not 3 % (a 1-dbu change would be a speck in a 60 µm window)
    expect(inset!.window[2] - inset!.window[0]).toBeCloseTo(0.002 * (view.r - view.l), 6)
    const img = xorFigure(a, marks, { view, figure: figureInfo('big', outcome, new LayerStyles(), a.dbu) })
    const mainBottom = HEADER_H + 26 + view.height
    // marks on the main panel (grown to 3 px) and in the inset below it
    expect(count(img, [0, HEADER_H, view.width + PAD, mainBottom], isMark)).toBeGreaterThanOrEqual(9)
    expect(count(img, [0, mainBottom + 40, img.width, img.height], isMark)).toBeGreaterThan(30)
  })
})

describe('insets', () => {
  test('one per region: clusters an earlier window shows add their layers to it; a label gets 3 % of the view', () => {
    const view = fitView([0, 0, 100000, 100000], { size: 500, margin: 0 })
    const insets = chooseInsets({
      polygons: [],
      clusters: [[1000, 1000, 3000, 2000], [1500, 1500, 1600, 1600], [50000, 50000, 50000, 50000], [90000, 10, 90010, 20]],
      clusterLayers: [['1/0'], ['2/0'], ['label 10/0'], ['3/0']],
    }, view, 2)
    expect(insets.map((i) => i.layers)).toEqual([['1/0', '2/0'], ['label 10/0']])
    expect(insets[0]!.window[2] - insets[0]!.window[0]).toBe(3000) // 1.5 x the cluster
    expect(insets[1]!.window[2] - insets[1]!.window[0]).toBeCloseTo(3000, 6) // 3 % of 100000
  })
})

describe('labels (TEXT elements) in the shipped font', () => {
  test('render --texts draws gdsfactory port names; repeat renders are byte-identical', () => {
    const dir = mkdtempSync(join(tmpdir(), 'laytest-pictures-'))
    const file = join(FIXTURES, 'gds/gdsfactory__mmi1x2.gds')
    renderCommand(file, join(dir, 'plain.png'), { size: 800 })
    renderCommand(file, join(dir, 't1.png'), { size: 800, texts: true })
    renderCommand(file, join(dir, 't2.png'), { size: 800, texts: true })
    const t1 = readFileSync(join(dir, 't1.png'))
    expect(t1.equals(readFileSync(join(dir, 't2.png')))).toBe(true)
    const plain = readPng(join(dir, 'plain.png')), texts = decodePng(t1)
    // W0 sits at the origin, the layout's left end: its string is drawn right of its anchor
    const ly = readLayout(file)
    const view = renderLayout(ly, { size: 800 }).view
    const i = Math.floor((0 - view.l) * view.scale), j = Math.floor((view.t - 0) * view.scale)
    let changed = 0
    for (let y = j - 8; y <= j + 8; y++) for (let x = i + 4; x < i + 40; x++) if (px(plain, x, y).join() !== px(texts, x, y).join()) changed++
    expect(changed).toBeGreaterThan(40)
  })

  test('sized with the view within 10..22 px; overlapping strings are thinned, anchors kept', () => {
    const ly = new Layout({ dbu: 0.001 })
    const top = ly.newCell('TOP').addBox(1, 0, 0, 100000, 100000)
    top.addText(5, 'A_PORT', 50000, 50000)
    top.addText(5, 'B_PORT', 50000, 50200) // 0.2 µm above: overlaps at this zoom
    top.addText(5, 'FAR', 10000, 90000)
    const view: View = fitView([0, 0, 100000, 100000], { size: 500 })
    const labels = collectLabels(ly.topCell(), view, ly.dbu, new LayerStyles(), () => true)
    expect(labels.map((l) => l.text).sort()).toEqual(['A_PORT', 'B_PORT', 'FAR'])
    expect(labels.every((l) => l.px === 10)).toBe(true) // 1 µm is 5 px here: the minimum
    const zoomed = collectLabels(ly.topCell(), fitView([49000, 49000, 51000, 51000], { size: 500, margin: 0 }), ly.dbu, new LayerStyles(), () => true)
    expect(zoomed.find((l) => l.text === 'A_PORT')!.px).toBe(22) // 250 px per µm: the maximum
    const img = renderLayout(ly, { view }).image
    const r = drawLabels(img, labels)
    expect(r.drawn).toBe(2)
    expect(r.thinned).toBe(1)
    const st = paletteStyle(layerKey(5, 0))
    for (const l of labels) expect(px(r.image, l.i, l.j)).toEqual(st.frame) // every anchor cross stays
  })
})

describe('scale bar and coordinates', () => {
  test('a 1-2-5 length that fits, in nm / µm / mm', () => {
    expect(niceLength(73)).toBe(50)
    expect(niceLength(19.9)).toBe(10)
    expect(niceLength(0.3)).toBeCloseTo(0.2, 12)
    expect(niceLength(2500)).toBe(2000)
    expect(lengthLabel(50)).toBe('50 µm')
    expect(lengthLabel(0.2)).toBe('200 nm')
    expect(lengthLabel(2000)).toBe('2 mm')
  })

  test('view coordinates to about a pixel', () => {
    const v: View = { l: -109012, b: -59409.2, r: 309000, t: 149591, width: 1024, height: 512, scale: 1024 / 418012 }
    expect(viewCaption(v, 0.001)).toBe('x -109 … 309 µm, y -59.4 … 149.6 µm, 0.408 µm/px')
  })

  test('fitView with minShort: an elongated box gets a panel at least that high, same scale, centred', () => {
    const plain = fitView([0, 0, 10000, 1000], { size: 1000, margin: 0 })
    const tall = fitView([0, 0, 10000, 1000], { size: 1000, margin: 0, minShort: 500 })
    expect([plain.width, plain.height]).toEqual([1000, 100])
    expect([tall.width, tall.height]).toEqual([1000, 500])
    expect(tall.scale).toBe(plain.scale)
    expect((tall.b + tall.t) / 2).toBeCloseTo(500, 9)
  })
})

describe('PNG bytes', () => {
  test('pngjs encodes (faster than the canvas encoder here): equal images, equal bytes; round trip exact', () => {
    const img = blankImage(64, 32, [10, 20, 30])
    img.data.set([200, 100, 50, 255], 4 * 100)
    const a = encodePng(img), b = encodePng({ ...img, data: img.data.slice() })
    expect(a.equals(b)).toBe(true)
    expect(Buffer.from(decodePng(a).data).equals(Buffer.from(img.data))).toBe(true)
  })
})

describe('pictures of comparisons without XOR marks', () => {
  test('equal layouts (a pixel-mode comparison, or labels only) still get all five pictures, the same bytes twice', async () => {
    const a = readLayout(join(ROOT, 'examples/ring.gds'))
    const outcome = await diffLayouts(a, a)
    expect(outcome.result.equal).toBe(true)
    const d1 = mkdtempSync(join(tmpdir(), 'laytest-nomarks-')), d2 = mkdtempSync(join(tmpdir(), 'laytest-nomarks-'))
    const one = writeDiffImages(d1, 'same', a, a, outcome, { size: 300 })
    const two = writeDiffImages(d2, 'same', a, a, outcome, { size: 300 })
    expect(one.pixels.diffPixels).toBe(0)
    expect(readdirSync(d1).sort()).toEqual(['same-actual.png', 'same-composite.png', 'same-diff.png', 'same-expected.png', 'same-xor.png'])
    for (const f of readdirSync(d1)) expect(readFileSync(join(d1, f)).equals(readFileSync(join(d2, f))), f).toBe(true)
    void two
  })
})
