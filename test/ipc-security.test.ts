import { chmodSync, mkdtempSync, readFileSync, statSync } from 'node:fs'
import { request } from 'node:http'
import { connect, type Socket } from 'node:net'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { afterAll, describe, expect, test } from 'vitest'
import { ViewerHttp } from '../src/ipc/http.js'
import { connectViewer, ensureToken, exchange, readToken, startViewerServer, tokenFile, type ViewerServer } from '../src/ipc/index.js'
import { ROOT } from './helpers/corpus.js'

/* Point 7 of issue 17: the per-user token, what hello tells strangers, idle connections, the memory cap. */

const GDS = join(ROOT, 'examples/ring.gds'), GDS2 = join(ROOT, 'examples/ring-v2.gds')
const TOKEN_FILE = join(mkdtempSync(join(tmpdir(), 'laytest-sec-')), 'laytest', 'viewer-token')
process.env.LAYTEST_VIEWER_TOKEN_FILE = TOKEN_FILE

const servers: ViewerServer[] = []
async function server(opts = {}): Promise<{ server: ViewerServer; port: number }> {
  const r = await startViewerServer({ port: 0, ...opts })
  servers.push(r.server)
  return r
}
afterAll(async () => { for (const s of servers) await s.close() })

function get(url: string, path: string): Promise<{ status: number; body: string }> {
  const base = new URL(url)
  return new Promise((resolve, reject) => {
    const req = request({ host: base.hostname, port: base.port, path }, (res) => {
      let body = ''
      res.on('data', (d) => (body += d))
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }))
    })
    req.on('error', reject)
    req.end()
  })
}

describe('the per-user token', () => {
  test('created by the server, mode 0600 in a 0700 folder; clients of the user read it; a file others can read is refused and replaced', async () => {
    await server()
    expect(tokenFile()).toBe(TOKEN_FILE)
    const st = statSync(TOKEN_FILE)
    expect(st.mode & 0o777).toBe(0o600)
    expect(statSync(dirname(TOKEN_FILE)).mode & 0o777).toBe(0o700)
    const t = readToken()
    expect(t).toMatch(/^[0-9a-f]{64}$/)
    expect(readFileSync(TOKEN_FILE, 'utf8').trim()).toBe(t)
    // leaked: readable by the group
    chmodSync(TOKEN_FILE, 0o640)
    expect(() => readToken()).toThrow(/readable by others/)
    const fresh = ensureToken()
    expect(fresh.token).not.toBe(t)
    expect(statSync(TOKEN_FILE).mode & 0o777).toBe(0o600)
    expect(readToken()).toBe(fresh.token)
  })

  test('the JSON API refuses every command but hello without the token; hello tells strangers no URL, no pid', async () => {
    const { server: s, port } = await server()
    const web = new ViewerHttp(s, { threads: false })
    s.viewerUrl = await web.listen()
    try {
      const ask = async (req: object): Promise<Record<string, unknown>> => JSON.parse(await exchange('127.0.0.1', port, JSON.stringify(req))) as Record<string, unknown>
      const hello = await ask({ cmd: 'hello' })
      expect(hello).toMatchObject({ ok: true, server: 'laytest', authenticated: false })
      expect(hello).not.toHaveProperty('url')
      expect(hello).not.toHaveProperty('pid')
      expect(JSON.stringify(hello)).not.toContain(web.key)
      for (const req of [{ cmd: 'load', path: GDS }, { cmd: 'diff', reference: GDS, test: GDS2 }, { cmd: 'list' }, { cmd: 'shutdown' }, { cmd: 'reload' }, { cmd: 'load', path: GDS, token: 'f'.repeat(64) }]) {
        const r = await ask(req)
        expect(r.ok, JSON.stringify(req)).toBe(false)
        expect(String(r.error)).toMatch(/^unauthorized/)
      }
      expect(s.items.length).toBe(0)
      const token = readToken()!
      const ok = await ask({ token, cmd: 'hello' })
      expect(ok).toMatchObject({ authenticated: true, url: s.viewerUrl, pid: process.pid })
      // once authenticated, the connection stays so (pipelined requests need not repeat it)
      const lines = await new Promise<string[]>((resolve, reject) => {
        const c = connect({ host: '127.0.0.1', port })
        let buf = ''
        c.on('connect', () => c.write(`{"token":"${token}","id":1,"cmd":"hello"}\n{"id":2,"cmd":"load","path":${JSON.stringify(GDS)}}\n`))
        c.on('data', (d) => {
          buf += d
          if (buf.split('\n').length > 2) { c.destroy(); resolve(buf.trim().split('\n')) }
        })
        c.on('error', reject)
      })
      expect(JSON.parse(lines[1]!)).toMatchObject({ id: 2, ok: true, seq: 1 })
      // the client reads the token file itself
      const v = await connectViewer({ port, launch: false })
      expect((await v.request({ cmd: 'list' })).items).toHaveLength(1)
      expect((await v.request({ cmd: 'hello' })).url).toBe(s.viewerUrl)
    } finally {
      await web.close()
    }
  })

  test('the web viewer lives under a key derived from the secret; other keys are 404', async () => {
    const { server: s } = await server()
    const web = new ViewerHttp(s, { threads: false })
    const url = await web.listen()
    try {
      expect(url).toContain(`/${web.key}/`)
      expect(web.key).not.toBe(s.token)
      expect((await get(url, new URL(url).pathname)).status).toBe(200)
      expect((await get(url, `/${s.token}/`)).status).toBe(404)
      expect((await get(url, '/api/items')).status).toBe(404)
    } finally {
      await web.close()
    }
  })

  test('an unauthenticated client cannot send a line longer than 1 MiB; an authenticated one can (token first)', async () => {
    const { port } = await server()
    const pad = 'a'.repeat(2 << 20)
    const refused = JSON.parse(await exchange('127.0.0.1', port, JSON.stringify({ cmd: 'hello', pad }))) as { ok: boolean; error: string }
    expect(refused).toMatchObject({ ok: false })
    expect(refused.error).toMatch(/line longer than 1048576 bytes/)
    const ok = JSON.parse(await exchange('127.0.0.1', port, JSON.stringify({ token: readToken(), cmd: 'hello', pad }))) as { ok: boolean; authenticated: boolean }
    expect(ok).toMatchObject({ ok: true, authenticated: true })
  })
})

describe('connections and memory', () => {
  test('idle connections beyond the limit push out the oldest idle one; clients keep being served', async () => {
    const { server: s, port } = await server({ maxConnections: 5 })
    const idle: Socket[] = []
    const closed: number[] = []
    for (let i = 0; i < 5; i++) {
      const c = connect({ host: '127.0.0.1', port })
      await new Promise<void>((r) => c.on('connect', () => r()))
      c.on('close', () => closed.push(i))
      idle.push(c)
      await new Promise((r) => setTimeout(r, 15))
    }
    await new Promise((r) => setTimeout(r, 50))
    expect(s.connections).toBe(5)
    // a new client at the limit: the oldest idle connection makes room
    const settle = async (): Promise<void> => { for (let i = 0; i < 100 && s.connections > 4; i++) await new Promise((r) => setTimeout(r, 10)) }
    for (let k = 0; k < 3; k++) {
      expect(JSON.parse(await exchange('127.0.0.1', port, '{"cmd":"hello"}')).ok).toBe(true)
      await settle()
    }
    await new Promise((r) => setTimeout(r, 50))
    expect(closed).toEqual([0])
    expect(s.pushedOut).toBe(1)
    // more idle clients: the next oldest go, in order, and requests are still answered
    for (let i = 5; i < 7; i++) {
      const c = connect({ host: '127.0.0.1', port })
      await new Promise<void>((r) => c.on('connect', () => r()))
      c.on('close', () => closed.push(i))
      idle.push(c)
      await new Promise((r) => setTimeout(r, 15))
    }
    expect(JSON.parse(await exchange('127.0.0.1', port, '{"cmd":"hello"}')).ok).toBe(true)
    await new Promise((r) => setTimeout(r, 100))
    expect(closed).toEqual([0, 1, 2])
    expect(s.connections).toBeLessThanOrEqual(5)
    for (const c of idle) c.destroy()
  })

  test('inline data and read layouts are capped: least recently used evicted, the newest kept and drawable', async () => {
    const a = readFileSync(GDS), b = readFileSync(GDS2)
    const perDiff = a.length + b.length
    const cap = perDiff * 3 + 100
    const { server: s, port } = await server({ maxMemory: cap })
    const web = new ViewerHttp(s, { threads: false })
    const url = await web.listen()
    try {
      const v = await connectViewer({ port, launch: false })
      for (let i = 0; i < 8; i++) await v.request({ cmd: 'diff', referenceData: a.toString('base64'), testData: b.toString('base64'), title: `d${i}` })
      expect(s.budget.bytes).toBeLessThanOrEqual(cap)
      const list = (await v.request({ cmd: 'list' })).items as Array<{ title: string }>
      expect(list.map((i) => i.title)).toEqual(['d5', 'd6', 'd7'])
      expect(s.budget.evictions).toBe(5)
      // drawing an item charges its layouts: older items' data goes, the one drawn stays
      const base = new URL(url).pathname
      const newest = s.items.at(-1)!
      expect((await get(url, `${base}render/overlay/${newest.seq}?w=100&h=100`)).status).toBe(200)
      expect(s.budget.bytes).toBeLessThanOrEqual(cap)
      expect(s.items.at(-1)).toBe(newest)
      expect((await get(url, `${base}render/overlay/1?w=100&h=100`)).status).toBe(404) // evicted long ago
    } finally {
      await web.close()
    }
  })

  test('laytest serve --max-memory and --max-connections set the caps; bad values are usage errors', async () => {
    const { execa } = await import('execa')
    const bin = join(ROOT, 'dist/main.js')
    const bad = await execa(process.execPath, [bin, 'serve', '--max-connections', '0'], { reject: false })
    expect(bad.exitCode).toBe(2)
    expect(bad.stderr).toMatch(/^laytest: --max-connections wants a whole number 1\.\.65536 \(got "0"\)$/)
    const child = execa(process.execPath, [bin, 'serve', '--port', '0', '--no-http', '--max-memory', '3', '--max-connections', '7'], { reject: false })
    try {
      const port = await new Promise<number>((resolve, reject) => {
        let out = ''
        child.stdout!.on('data', (d: Buffer) => {
          out += d.toString()
          const m = /IPC on [^:]+:(\d+)/.exec(out)
          if (m) resolve(Number(m[1]))
        })
        void child.then(() => reject(new Error(`serve ended: ${out}`)), reject)
      })
      const v = await connectViewer({ port, launch: false })
      const list = await v.request({ cmd: 'list' })
      expect(list.memoryCap).toBe(3 * 2 ** 20)
      expect(list.maxConnections).toBe(7)
    } finally {
      child.kill('SIGKILL')
      await child
    }
  })
})
