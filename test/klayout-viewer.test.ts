import { spawnSync } from 'node:child_process'
import { mkdtempSync, readFileSync } from 'node:fs'
import { createServer, type AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { XMLParser } from 'fast-xml-parser'
import { afterAll, describe, expect, test } from 'vitest'
import { connectViewer, exchange, KLAYOUT_MACRO_PY } from '../src/ipc/index.js'
import { ROOT } from './helpers/corpus.js'

/*
 * KLayout as the viewer, for real (Debian klayout, Qt offscreen platform: no display needed): laytest launches
 * KLayout with its macro, sends a diff, and KLayout shows reference, test and XOR as three layouts of one view.
 * KLayout ignores SIGTERM: it is stopped by a shutdown request and by PID with SIGKILL.
 */

const have = spawnSync('klayout', ['-b', '-v'], { encoding: 'utf8' }).status === 0
if (!have) console.warn('[laytest tests] klayout not found: the KLayout viewer test is skipped (apt-get install klayout)')

const GDS = join(ROOT, 'examples/ring.gds'), GDS2 = join(ROOT, 'examples/ring-v2.gds')

describe('laytest klayout install', () => {
  test('writes an autorun .lym holding exactly the macro', () => {
    const dir = mkdtempSync(join(tmpdir(), 'laytest-kl-'))
    const r = spawnSync(process.execPath, [join(ROOT, 'dist/main.js'), 'klayout', 'install', '--dir', dir], { encoding: 'utf8' })
    expect(r.status, r.stderr).toBe(0)
    const lym = new XMLParser({ parseTagValue: false, trimValues: false }).parse(readFileSync(join(dir, 'laytest_viewer.lym'), 'utf8')) as { 'klayout-macro': Record<string, string> }
    expect(lym['klayout-macro'].autorun).toBe('true')
    expect(lym['klayout-macro'].interpreter).toBe('python')
    expect(lym['klayout-macro'].text).toBe(KLAYOUT_MACRO_PY)
  })
})

describe.skipIf(!have)('KLayout with laytest\'s macro', () => {
  const pids: number[] = []
  afterAll(() => {
    for (const p of pids) try { process.kill(p, 'SIGKILL') } catch { /* gone */ }
  })

  test('launched when nothing listens; a diff becomes three layouts in one view; lyipc lines work', async () => {
    const probe = createServer()
    await new Promise<void>((r) => probe.listen(0, '127.0.0.1', () => r()))
    const port = (probe.address() as AddressInfo).port
    await new Promise<void>((r) => probe.close(() => r()))
    process.env.QT_QPA_PLATFORM ??= 'offscreen'
    const v = await connectViewer({ port, viewer: 'klayout', launchTimeout: 45000 })
    const hello = await v.request({ cmd: 'hello' })
    pids.push(hello.pid as number)
    expect(hello).toMatchObject({ ok: true, server: 'laytest-klayout', protocol: 1 })
    expect(String(hello.klayout)).toMatch(/^KLayout \d/)
    const r = await v.request({ cmd: 'diff', reference: GDS, test: GDS2, xor: GDS })
    expect(r.cellviews).toBe(3)
    expect(await exchange('127.0.0.1', port, `load ${GDS} 1`)).toBe('ACK None')
    await v.request({ cmd: 'shutdown' }).catch(() => undefined)
  }, 90_000)
})
