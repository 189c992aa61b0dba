/// <reference lib="dom" />
import { existsSync, mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { execa } from 'execa'
import { PNG } from 'pngjs'
import { chromium, type Browser } from 'playwright-core'
import { afterAll, describe, expect, test } from 'vitest'
import { connectViewer } from '../src/ipc/index.js'
import { ROOT } from './helpers/corpus.js'

/*
 * The web viewer in a real browser (Debian chromium, headless): a diff sent over IPC appears without a reload,
 * toggling a layer changes the pixels, "zoom to next difference" centres the XOR. Screenshots are kept in
 * laytest-results/ as artifacts.
 */

const CHROMIUM = '/usr/bin/chromium'
const have = existsSync(CHROMIUM)
if (!have) console.warn('[laytest tests] /usr/bin/chromium not found: the browser test of the web viewer is skipped (apt-get install chromium)')

describe.skipIf(!have)('web viewer in chromium', () => {
  let browser: Browser | null = null
  const kill: number[] = []
  afterAll(async () => {
    await browser?.close()
    for (const pid of kill) try { process.kill(pid, 'SIGKILL') } catch { /* gone */ }
  })

  test('a diff arrives live, layers toggle, zoom to the difference', async () => {
    const serve = execa(process.execPath, [join(ROOT, 'dist/main.js'), 'serve', '--port', '0'], { reject: false })
    kill.push(serve.pid!)
    const line = await new Promise<string>((resolve, reject) => {
      let out = ''
      serve.stdout!.on('data', (d: Buffer) => {
        out += d.toString()
        if (out.includes('\n')) resolve(out)
      })
      setTimeout(() => reject(new Error(`laytest serve said nothing: ${out}`)), 10000)
    })
    const url = /web viewer (http:\S+)/.exec(line)![1]!
    const port = Number(/IPC on [\d.]+:(\d+)/.exec(line)![1])

    browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ['--headless', '--no-sandbox', '--disable-gpu'] })
    const page = await browser.newPage({ viewport: { width: 1200, height: 700 } })
    await page.goto(url)
    await page.waitForSelector('text=nothing yet')

    const v = await connectViewer({ port, launch: false })
    await v.diff({ reference: join(ROOT, 'examples/ring.gds'), test: join(ROOT, 'examples/ring-v2.gds'), title: 'ring chip v2' })
    await page.waitForSelector('.item >> text=ring chip v2', { timeout: 10000 })

    const loaded = async (): Promise<void> => {
      await page.waitForFunction(() => {
        const a = document.getElementById('a') as HTMLImageElement
        return a.complete && a.naturalWidth > 0 && (window as unknown as { __laytest: { loads: number } }).__laytest.loads > 0
      })
      await page.waitForTimeout(300)
    }
    await loaded()
    const shot = async (): Promise<Buffer> => page.locator('#view').screenshot()
    const before = await shot()
    await page.locator('input[data-layer="41/0"]').uncheck()
    await page.waitForTimeout(200)
    await loaded()
    const after = await shot()
    expect(Buffer.compare(before, after)).not.toBe(0)

    await page.click('#next')
    await page.waitForTimeout(200)
    await loaded()
    const state = await page.evaluate(() => (window as unknown as { __laytest: { view: number[]; detail: { clusters: number[][] } } }).__laytest)
    const c = state.detail.clusters[0]!, vw = state.view
    const cx = (vw[0]! + vw[2]!) / 2, cy = (vw[1]! + vw[3]!) / 2
    expect(cx).toBeCloseTo((c[0]! + c[2]!) / 2, 0)
    expect(cy).toBeCloseTo((c[1]! + c[3]!) / 2, 0)
    // and the XOR mark is drawn at the centre of the picture
    const zoomed = await shot()
    const png = PNG.sync.read(zoomed)
    let magenta = 0
    for (let y = png.height / 2 - 40; y < png.height / 2 + 40; y++) {
      for (let x = png.width / 2 - 40; x < png.width / 2 + 40; x++) {
        const o = 4 * (Math.floor(y) * png.width + Math.floor(x))
        if (png.data[o]! > 200 && png.data[o + 1]! < 60 && png.data[o + 2]! > 120) magenta++
      }
    }
    expect(magenta).toBeGreaterThan(20)
    const dir = join(ROOT, 'laytest-results')
    mkdirSync(dir, { recursive: true })
    writeFileSync(join(dir, 'viewer-browser-fit.png'), before)
    writeFileSync(join(dir, 'viewer-browser-zoomed.png'), zoomed)
    await v.request({ cmd: 'shutdown' })
  }, 60_000)
})
