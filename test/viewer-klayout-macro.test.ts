import { spawnSync } from 'node:child_process'
import { copyFileSync, existsSync, mkdirSync, mkdtempSync } from 'node:fs'
import { createServer, type AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { PNG } from 'pngjs'
import { readFileSync } from 'node:fs'
import { afterAll, describe, expect, test } from 'vitest'
import { xorFile } from '../src/ipc/commands.js'
import { connectViewer, exchange } from '../src/ipc/index.js'
import { ROOT } from './helpers/corpus.js'

/*
 * KLayout as the viewer (point 6 of issue 17), for real: Debian's KLayout 0.28.5 on Qt's offscreen platform with
 * laytest's macro. No modal dialog blocks it, errors are answered (never a timeout), the hierarchy is drawn, the
 * XOR sits on its own magenta hatched layers on top, shutdown ends KLayout, and a missing klayout is reported at
 * once. The screenshot of reference + test + XOR is kept in laytest-results/.
 */

const have = spawnSync('klayout', ['-b', '-v'], { encoding: 'utf8' }).status === 0
if (!have) console.warn('[laytest tests] klayout not found: the KLayout macro test is skipped (apt-get install klayout)')
const GDS = join(ROOT, 'examples/ring.gds'), GDS2 = join(ROOT, 'examples/ring-v2.gds')

async function freePort(): Promise<number> {
  const probe = createServer()
  await new Promise<void>((r) => probe.listen(0, '127.0.0.1', () => r()))
  const port = (probe.address() as AddressInfo).port
  await new Promise<void>((r) => probe.close(() => r()))
  return port
}

const alive = (pid: number): boolean => { try { process.kill(pid, 0); return true } catch { return false } }

describe('KLayout as the viewer', () => {
  test('klayout that cannot be started is reported at once, not after the launch timeout', async () => {
    const before = process.env.LAYTEST_KLAYOUT
    process.env.LAYTEST_KLAYOUT = '/nonexistent/klayout'
    const t0 = Date.now()
    try {
      await expect(connectViewer({ port: await freePort(), viewer: 'klayout', launchTimeout: 30000 })).rejects.toThrow(/cannot start "\/nonexistent\/klayout": not found/)
      expect(Date.now() - t0).toBeLessThan(3000)
    } finally {
      if (before === undefined) delete process.env.LAYTEST_KLAYOUT
      else process.env.LAYTEST_KLAYOUT = before
    }
  })

  const pids: number[] = []
  afterAll(() => { for (const p of pids) try { process.kill(p, 'SIGKILL') } catch { /* gone */ } })

  test.skipIf(!have)('no dialogs, errors answered, hierarchy drawn, a distinct XOR on top, a clean shutdown', async () => {
    process.env.QT_QPA_PLATFORM ??= 'offscreen'
    const port = await freePort()
    const v = await connectViewer({ port, viewer: 'klayout', launchTimeout: 45000 })
    const hello = await v.request({ cmd: 'hello' })
    const pid = hello.pid as number
    pids.push(pid)
    // lyipc lines: answered as lyipc answers them (no line end), errors included, quickly
    const dir = mkdtempSync(join(tmpdir(), 'laytest kl '))
    mkdirSync(join(dir, 'with space'))
    copyFileSync(GDS, join(dir, 'with space', 'ring.gds'))
    const t0 = Date.now()
    expect(await exchange('127.0.0.1', port, `load "${join(dir, 'with space', 'ring.gds')}" 1`, 3000)).toBe('ACK None')
    const missing = await exchange('127.0.0.1', port, `load "${join(dir, 'missing.gds')}"`, 3000)
    expect(missing).toMatch(/^ERR 'Traceback \(most recent call last\):.*RuntimeError: Unable to open file: .*missing\.gds \(errno=2\)/)
    expect(await exchange('127.0.0.1', port, 'load "one quote.gds', 3000)).toMatch(/^ERR .*ValueError: Malformed filename with only one quote/)
    expect(await exchange('127.0.0.1', port, 'load x.gds nomode', 3000)).toMatch(/^ERR .*ValueError: invalid literal for int\(\) with base 10: \\'nomode\\'/)
    expect(await exchange('127.0.0.1', port, 'frobnicate', 3000)).toBe('ACK None')
    expect(await exchange('127.0.0.1', port, 'reload view', 3000)).toBe('ACK None')
    expect(Date.now() - t0).toBeLessThan(10000)
    // a diff: reference, test and the XOR laytest computes, in one view
    const xor = await xorFile(GDS, GDS2)
    const r = await v.request({ cmd: 'diff', reference: GDS, test: GDS2, xor })
    expect(r.cellviews).toBe(3)
    const hier = r.hier as number[]
    expect(hier[1]).toBeGreaterThan(0) // child cells drawn
    const out = join(ROOT, 'laytest-results')
    mkdirSync(out, { recursive: true })
    const shot = join(out, 'klayout-viewer-diff.png')
    const s = await v.request({ cmd: 'screenshot', path: shot, width: 900, height: 600 })
    const layers = s.layers as Array<[string, number]>
    // the XOR's layers come first (drawn on top) and are named as such
    const firstOther = layers.findIndex(([, cv]) => cv !== 2)
    expect(firstOther).toBeGreaterThan(0)
    expect(layers.slice(0, firstOther).every(([name, cv]) => cv === 2 && name.startsWith('XOR '))).toBe(true)
    expect(layers.slice(firstOther).every(([, cv]) => cv !== 2)).toBe(true)
    expect(existsSync(shot)).toBe(true)
    const png = PNG.sync.read(readFileSync(shot))
    let magenta = 0
    for (let i = 0; i < png.data.length; i += 4) if (png.data[i]! > 220 && png.data[i + 1]! < 40 && png.data[i + 2]! > 220) magenta++
    expect(magenta).toBeGreaterThan(10)
    // shutdown: answered, then KLayout ends by itself
    expect((await v.request({ cmd: 'shutdown' })).ok).toBe(true)
    for (let i = 0; i < 100 && alive(pid); i++) await new Promise((res) => setTimeout(res, 100))
    expect(alive(pid)).toBe(false)
  }, 90_000)
})
