import { existsSync, mkdtempSync, readFileSync } from 'node:fs'
import { request } from 'node:http'
import { connect } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { execa } from 'execa'
import { afterAll, describe, expect, test } from 'vitest'
import { connectViewer } from '../src/ipc/index.js'
import { Layout, writeLayoutFile } from '../src/layout/index.js'
import { ROOT } from './helpers/corpus.js'

/*
 * Rendering runs in a worker thread of laytest serve: while a 4096x4096 view of a 400k-shape layout is drawn, the
 * IPC port answers lyipc pings in well under 100 ms.
 */

const kill: number[] = []
afterAll(() => { for (const pid of kill) try { process.kill(pid, 'SIGKILL') } catch { /* gone */ } })

function ping(port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now()
    const s = connect({ host: '127.0.0.1', port })
    let out = ''
    s.on('connect', () => s.write('ping\r\n'))
    s.on('data', (d) => (out += d))
    s.on('close', () => (out === 'ACK None' ? resolve(performance.now() - t0) : reject(new Error(`ping answered ${JSON.stringify(out)}`))))
    s.on('error', reject)
  })
}

function get(url: string): Promise<{ status: number; bytes: number; ms: number }> {
  const t0 = performance.now()
  return new Promise((resolve, reject) => {
    request(url, (res) => {
      let n = 0
      res.on('data', (d: Buffer) => (n += d.length))
      res.on('end', () => resolve({ status: res.statusCode ?? 0, bytes: n, ms: performance.now() - t0 }))
    }).on('error', reject).end()
  })
}

describe('the IPC port stays responsive while rendering', () => {
  test('pings during a 4096x4096 render are answered in under 100 ms', async () => {
    expect(existsSync(join(ROOT, 'dist/ipc/render-worker.js')), 'dist/ is built (npm run build)').toBe(true)
    const dir = mkdtempSync(join(tmpdir(), 'laytest-busy-'))
    const ly = new Layout({ name: 'BIG' })
    const top = ly.newCell('TOP')
    // 400k boxes, flat, so that drawing them takes a while
    for (let i = 0; i < 400_000; i++) {
      const x = (i % 800) * 50, y = Math.floor(i / 800) * 50
      top.addBox(1 + (i % 3), x, y, x + 30 + (i % 7), y + 30)
    }
    const file = join(dir, 'big.gds')
    writeLayoutFile(ly, file)
    const env = { ...process.env, LAYTEST_VIEWER_TOKEN_FILE: join(dir, 'token') }
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
    const v = await connectViewer({ port, launch: false, token: readFileSync(join(dir, 'token'), 'utf8').trim() })
    const { seq } = await v.request({ cmd: 'load', path: file })

    // the first request reads the file (in the worker); pings meanwhile
    const lat: number[] = []
    let done = false
    const pinger = (async () => { while (!done) { lat.push(await ping(port)); await new Promise((r) => setTimeout(r, 20)) } })()
    const first = await get(`${url}render/reference/${seq}?w=4096&h=4096`)
    const second = await get(`${url}render/reference/${seq}?w=4096&h=4096&l=0&b=0&r=20000&t=12000`)
    done = true
    await pinger
    expect(first.status).toBe(200)
    expect(second.status).toBe(200)
    // the renders were long enough for the pings to overlap them
    expect(first.ms + second.ms).toBeGreaterThan(300)
    expect(lat.length).toBeGreaterThan(5)
    lat.sort((a, b) => a - b)
    const msg = `ping latencies ${lat.map((x) => x.toFixed(0)).join(' ')} ms during renders of ${first.ms.toFixed(0)} + ${second.ms.toFixed(0)} ms`
    // rendering on the IPC thread would hold a ping for a whole render (seconds); the machine is shared, so a rare
    // scheduling hiccup is tolerated in the maximum, not in the 95th percentile
    expect(lat[Math.floor(lat.length * 0.95)]!, msg).toBeLessThan(100)
    expect(lat[Math.floor(lat.length / 2)]!, msg).toBeLessThan(30)
    expect(lat.at(-1)!, msg).toBeLessThan(Math.min(first.ms, second.ms) / 4)
    await v.request({ cmd: 'shutdown' })
  }, 120_000)
})
