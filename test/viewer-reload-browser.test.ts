/// <reference lib="dom" />
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { connect } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { execa } from 'execa'
import { PNG } from 'pngjs'
import { chromium, type Browser, type Page } from 'playwright-core'
import { afterAll, describe, expect, test } from 'vitest'
import { connectViewer } from '../src/ipc/index.js'
import { Layout, writeLayoutFile } from '../src/layout/index.js'
import { ROOT } from './helpers/corpus.js'

/*
 * Live reload in the web viewer (headless Debian chromium): a generator's file is loaded with lyipc's reload→load
 * fallback, zoomed into, a layer hidden; the file changes on disk; `reload view` redraws the new content keeping
 * pan, zoom and layer choices; cellview shows a cell; JSON focus and reload do the same. Screenshots are kept in
 * laytest-results/.
 */

const CHROMIUM = '/usr/bin/chromium'
const have = existsSync(CHROMIUM)
if (!have) console.warn('[laytest tests] /usr/bin/chromium not found: the live-reload browser test is skipped (apt-get install chromium)')

interface State { view: number[]; version: number; cell: string | null; hidden: string[]; loads: number; updates: number; detail: { layers: Array<{ key: string }> } | null }

function lyipc(port: number, line: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = connect({ host: '127.0.0.1', port })
    let out = ''
    s.on('connect', () => s.write(line + '\r\n'))
    s.on('data', (d) => (out += d))
    s.on('close', () => resolve(out))
    s.on('error', reject)
  })
}

/** A generator's output: a ring of boxes on 1/0, a marker on 2/0, and a big block on 3/0 once `grown`. */
function generate(file: string, grown: boolean): void {
  const ly = new Layout({ name: 'GEN' })
  const sub = ly.newCell('SUB').addBox(4, 0, 0, 400, 400)
  const top = ly.newCell('TOP')
  for (let i = 0; i < 8; i++) top.addBox(1, i * 1000, 0, i * 1000 + 500, 500)
  top.addBox(2, 0, 2000, 8000, 2200)
  if (grown) top.addBox(3, 2000, -1000, 6000, 3000)
  top.place(sub, { x: 0, y: 4000 })
  writeLayoutFile(ly, file)
}

describe.skipIf(!have)('live reload in chromium', () => {
  let browser: Browser | null = null
  const kill: number[] = []
  afterAll(async () => {
    await browser?.close()
    for (const pid of kill) try { process.kill(pid, 'SIGKILL') } catch { /* gone */ }
  })

  test('reload view after the file changed shows the new content, keeping pan, zoom and layers; cellview and focus', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'laytest-live-'))
    const env = { ...process.env, LAYTEST_VIEWER_TOKEN_FILE: join(dir, 'token') }
    generate(join(dir, 'gen.gds'), false)
    const serve = execa(process.execPath, [join(ROOT, 'dist/main.js'), 'serve', '--port', '0'], { reject: false, cwd: dir, env })
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
    const page: Page = await browser.newPage({ viewport: { width: 1200, height: 700 } })
    await page.goto(url)
    await page.waitForSelector('text=nothing yet')
    const state = (): Promise<State> => page.evaluate(() => {
      const s = (window as unknown as { __laytest: State & { hidden: Set<string> } }).__laytest
      return { view: s.view, version: s.version, cell: s.cell, hidden: [...s.hidden], loads: s.loads, updates: s.updates, detail: s.detail }
    })
    const drawn = async (version: number): Promise<void> => {
      await page.waitForFunction((v) => {
        const s = (window as unknown as { __laytest: State }).__laytest
        const a = document.getElementById('a') as HTMLImageElement
        return s.version === v && a.complete && a.naturalWidth > 0 && a.src.includes('&v=' + v)
      }, version, { timeout: 15000 })
      await page.waitForTimeout(300)
    }
    const shot = async (name: string): Promise<Buffer> => {
      const b = await page.locator('#view').screenshot()
      mkdirSync(join(ROOT, 'laytest-results'), { recursive: true })
      writeFileSync(join(ROOT, 'laytest-results', `viewer-live-${name}.png`), b)
      return b
    }

    // lyipc's reload fallback (kqp, lyipc_reload FILE): reload first, load after the "needs a layout" error
    expect(await lyipc(port, 'reload view')).toMatch(/^ERR '.*needs a layout/)
    expect(await lyipc(port, 'load gen.gds')).toBe('ACK None')
    await page.waitForSelector('.item >> text=gen.gds', { timeout: 10000 })
    await drawn(1)
    // zoom in (mouse wheel over the view) and hide layer 2/0
    const box = (await page.locator('#view').boundingBox())!
    await page.mouse.move(box.x + 450, box.y + 380)
    for (let i = 0; i < 3; i++) { await page.mouse.wheel(0, -100); await page.waitForTimeout(80) }
    await page.locator('input[data-layer="2/0"]').uncheck()
    await page.waitForTimeout(400)
    await drawn(1)
    const before = await state()
    const beforeShot = await shot('before')

    // the generator writes a new version; lyipc's reload view
    generate(join(dir, 'gen.gds'), true)
    expect(await lyipc(port, 'reload view')).toBe('ACK None')
    await drawn(2)
    const after = await state()
    expect(after.view).toEqual(before.view) // pan and zoom kept
    expect(after.hidden).toEqual(['2/0']) // layer choice kept
    expect(after.detail!.layers.map((l) => l.key)).toContain('3/0') // the new content
    const afterShot = await shot('after-reload')
    expect(Buffer.compare(beforeShot, afterShot)).not.toBe(0)
    // the new block (3/0) now covers the middle of the view
    const png = PNG.sync.read(afterShot), pb = PNG.sync.read(beforeShot)
    const o = 4 * (Math.floor(png.height / 2) * png.width + Math.floor(png.width / 2))
    expect([png.data[o], png.data[o + 1], png.data[o + 2]]).not.toEqual([pb.data[o], pb.data[o + 1], pb.data[o + 2]])

    // cellview: the cell, fitted
    expect(await lyipc(port, 'cellview SUB')).toBe('ACK None')
    await page.waitForFunction(() => (window as unknown as { __laytest: State }).__laytest.cell === 'SUB')
    await page.waitForTimeout(300)
    const cv = await state()
    expect(cv.view[0]).toBeLessThan(1)
    expect(cv.view[2]).toBeGreaterThan(399)
    expect(cv.view[2]! - cv.view[0]!).toBeLessThan(2000) // SUB is 400 dbu wide: fitted to it, not to TOP
    await shot('cellview')

    // JSON focus on a window, then a JSON reload: the window stays
    const authed = await connectViewer({ port, launch: false, token: readFileSync(join(dir, 'token'), 'utf8').trim() })
    await authed.request({ cmd: 'focus', cell: 'TOP', window: [0, 0, 3000, 2000] })
    await page.waitForFunction(() => { const s = (window as unknown as { __laytest: State }).__laytest; return s.cell === 'TOP' && s.view[2] === 3000 })
    await authed.request({ cmd: 'reload' })
    await drawn(3)
    expect((await state()).view).toEqual([0, 0, 3000, 2000])
    await authed.request({ cmd: 'shutdown' })
  }, 90_000)
})
