import { existsSync, mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { request } from 'node:http'
import { connect, createServer, type AddressInfo, type Server } from 'node:net'
import { join } from 'node:path'
import { execa } from 'execa'
import { afterAll, describe, expect, test } from 'vitest'
import { connectViewer, exchange, readToken, sendToKlive, startViewerServer, ViewerError, type ViewerServer } from '../src/ipc/index.js'
import { ROOT } from './helpers/corpus.js'

// this file's own per-user token (inherited by the laytest serve it launches)
process.env.LAYTEST_VIEWER_TOKEN_FILE ??= join(mkdtempSync(join(tmpdir(), 'laytest-tok-')), 'viewer-token')

/* The viewer protocol: exact bytes against lyipc-style clients and servers, klive, launch-or-connect, abuse. */

const GDS = join(ROOT, 'examples/ring.gds'), GDS2 = join(ROOT, 'examples/ring-v2.gds')

/** Sends raw bytes, collects everything until the server closes. */
function raw(port: number, bytes: string | Buffer, opts: { endAfterWrite?: boolean; timeout?: number } = {}): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = connect({ host: '127.0.0.1', port })
    let out = ''
    const t = setTimeout(() => { s.destroy(); resolve(out) }, opts.timeout ?? 3000)
    s.on('connect', () => (opts.endAfterWrite ? s.end(bytes) : s.write(bytes)))
    s.on('data', (d) => (out += d.toString('latin1')))
    s.on('close', () => { clearTimeout(t); resolve(out) })
    s.on('error', reject)
  })
}

const servers: ViewerServer[] = []
async function server(opts = {}): Promise<{ server: ViewerServer; port: number }> {
  const r = await startViewerServer({ port: 0, ...opts })
  servers.push(r.server)
  return r
}
afterAll(async () => { for (const s of servers) await s.close() })

describe('lyipc compatibility (exact bytes)', () => {
  test('a lyipc client session: load, reload view, cellview, ping, unknown: ACK None without a line end, then the server closes', async () => {
    const { server: s, port } = await server()
    expect(await raw(port, `load ${GDS} 1\r\n`)).toBe('ACK None')
    expect(s.items.at(-1)).toMatchObject({ kind: 'load', files: { layout: GDS }, mode: 1 })
    expect(await raw(port, `load ${GDS2} 2\n`)).toBe('ACK None')
    expect(s.items.at(-1)).toMatchObject({ files: { layout: GDS, layout2: GDS2 }, version: 2 })
    expect(await raw(port, 'reload view\n')).toBe('ACK None')
    expect(await raw(port, 'cellview TOP\n')).toBe('ACK None')
    expect(s.focus).toEqual({ cell: 'TOP' })
    expect(await raw(port, 'ping\n')).toBe('ACK None')
    expect(await raw(port, 'frobnicate the layout\n')).toBe('ACK None') // lyipc answers what it does not know
    expect(await raw(port, 'load /no/such/file.gds\n')).toMatch(/^ERR 'Traceback \(most recent call last\):.*RuntimeError: Unable to open file: \/no\/such\/file.gds \(errno=2\) in MainWindow.load_layout\\n'$/)
  })

  test('JSON lines: hello, pipelined requests with ids echoed, errors as objects', async () => {
    const { port } = await server()
    const out = await raw(port, `{"token":"${readToken()}","id":1,"cmd":"hello"}\n{"id":"b","cmd":"diff","reference":${JSON.stringify(GDS)},"test":${JSON.stringify(GDS2)},"title":"t"}\n{"id":3,"cmd":"nope"}\n{not json\n`, { timeout: 500 })
    const lines = out.trim().split('\n').map((l) => JSON.parse(l))
    expect(lines[0]).toMatchObject({ id: 1, ok: true, server: 'laytest', protocol: 1 })
    expect(lines[1]).toMatchObject({ id: 'b', ok: true, seq: 1 })
    expect(lines[2]).toEqual({ id: 3, ok: false, error: 'unknown command "nope"' })
    expect(lines[3]).toEqual({ ok: false, error: 'malformed JSON' })
  })
})

describe('the client against other servers', () => {
  test('a plain lyipc server (KLayout with lyipc): diff becomes load ref 1, load test 2, load xor 2', async () => {
    const got: string[] = []
    const fake: Server = createServer((s) => {
      let buf = ''
      s.on('data', (d) => {
        buf += d.toString('latin1')
        if (buf.includes('\n')) {
          got.push(buf)
          s.end('ACK None\r\n')
        }
      })
    })
    await new Promise<void>((r) => fake.listen(0, '127.0.0.1', () => r()))
    const port = (fake.address() as AddressInfo).port
    const v = await connectViewer({ port, launch: false })
    expect(v.kind).toBe('lyipc')
    await v.diff({ reference: GDS, test: GDS2, xor: GDS })
    expect(got.slice(1)).toEqual([`load ${GDS} 1\r\n`, `load ${GDS2} 2\r\n`, `load ${GDS} 2\r\n`]) // as lyipc's client sends them
    fake.close()
  })

  test('klive 0.4.3: one JSON object back without closing; silence and absence are clear errors', async () => {
    let received = ''
    const klive = createServer((s) => {
      s.on('data', (d) => {
        received += d.toString()
        if (received.includes('\n')) s.write('{"version": "0.4.3", "klayout_version": "0.28.5", "type": "open", "file": "x.gds"}') // and stays open
      })
    })
    await new Promise<void>((r) => klive.listen(0, '127.0.0.1', () => r()))
    const port = (klive.address() as AddressInfo).port
    expect(await sendToKlive(GDS, { port })).toEqual({ version: '0.4.3', klayout_version: '0.28.5', type: 'open', file: 'x.gds' })
    expect(JSON.parse(received)).toEqual({ gds: GDS, keep_position: true })
    klive.close()
    const silent = createServer(() => {})
    await new Promise<void>((r) => silent.listen(0, '127.0.0.1', () => r()))
    await expect(sendToKlive(GDS, { port: (silent.address() as AddressInfo).port, timeout: 300 })).rejects.toThrow(/no reply from klive .* is KLayout with the klive plugin running\?/)
    silent.close()
    await expect(sendToKlive(GDS, { port })).rejects.toThrow(/klive is not listening/)
  })
})

describe('launch or connect', () => {
  test('nothing listens: the client starts laytest serve, a second client reuses it; stopped by PID', async () => {
    const probe = createServer()
    await new Promise<void>((r) => probe.listen(0, '127.0.0.1', () => r()))
    const port = (probe.address() as AddressInfo).port
    await new Promise<void>((r) => probe.close(() => r()))
    expect(existsSync(join(ROOT, 'dist/main.js'))).toBe(true)
    const v1 = await connectViewer({ port })
    expect(v1.kind).toBe('laytest')
    await v1.diff({ reference: GDS, test: GDS2, title: 'first' })
    const v2 = await connectViewer({ port, launch: false })
    await v2.diff({ reference: GDS, test: GDS2, title: 'second' })
    const list = await v2.request({ cmd: 'list' })
    expect((list.items as Array<{ title: string }>).map((i) => i.title)).toEqual(['first', 'second'])
    const pid = (await v2.request({ cmd: 'hello' })).pid as number
    process.kill(pid, 'SIGKILL')
    await expect(connectViewer({ port, launch: false })).rejects.toThrow(ViewerError)
  }, 30_000)

  test('laytest diff --open-diff sends the difference to the viewer', async () => {
    const { server: s, port } = await server()
    const r = await execa(process.execPath, [join(ROOT, 'dist/main.js'), 'diff', GDS, GDS2, '--open-diff', '--no-cache'], { reject: false, env: { LAYTEST_VIEWER: `127.0.0.1:${port}` } })
    expect(r.exitCode).toBe(1)
    expect(r.stdout).toMatch(/sent to the viewer at 127\.0\.0\.1:\d+/)
    expect(s.items.at(-1)).toMatchObject({ kind: 'diff', files: { reference: GDS, test: GDS2 } })
  })
})

describe('reliability', () => {
  test('200 concurrent clients are all answered', async () => {
    const { port } = await server()
    const replies = await Promise.all(Array.from({ length: 200 }, (_, i) => exchange('127.0.0.1', port, JSON.stringify({ id: i, cmd: 'hello' }))))
    expect(replies.map((r) => JSON.parse(r).id)).toEqual(Array.from({ length: 200 }, (_, i) => i))
  })

  test('an oversized line, a silent client and a client that leaves mid-line are dropped; the server goes on', async () => {
    const { port } = await server({ idleTimeout: 300 })
    // 10 MiB without a newline: refused once it passes the 1 MiB limit of plain lines
    expect(await raw(port, Buffer.alloc(10 << 20, 0x61))).toBe('ERR line longer than 1048576 bytes')
    // connects, sends nothing: closed after the idle timeout
    const t0 = Date.now()
    expect(await raw(port, '', { timeout: 3000 })).toBe('')
    expect(Date.now() - t0).toBeLessThan(2500)
    // leaves in the middle of a line
    expect(await raw(port, 'load /x', { endAfterWrite: true, timeout: 500 })).toBe('')
    expect(JSON.parse(await exchange('127.0.0.1', port, '{"cmd":"hello"}')).ok).toBe(true)
  })
})

describe('the web viewer over HTTP', () => {
  test('token, Host header and registered files only', async () => {
    const { ViewerHttp } = await import('../src/ipc/http.js')
    const { server } = await server_()
    const { readLyp } = await import('../src/render/index.js')
    const web = new ViewerHttp(server, { styles: readLyp(join(ROOT, 'test/fixtures/render/klayout-written.lyp')), threads: false })
    const url = await web.listen()
    try {
      const base = new URL(url)
      const get = (path: string, host?: string): Promise<{ status: number; body: string }> =>
        new Promise((resolve, reject) => {
          const req = request({ host: base.hostname, port: base.port, path, headers: host ? { host } : {} }, (res) => {
            let body = ''
            res.on('data', (d) => (body += d))
            res.on('end', () => resolve({ status: res.statusCode ?? 0, body }))
          })
          req.on('error', reject)
          req.end()
        })
      expect((await get(base.pathname)).status).toBe(200)
      expect((await get(`${base.pathname}api/items`, 'evil.example')).status).toBe(403)
      expect((await get('/0123456789abcdef0123456789abcdef/api/items')).status).toBe(404)
      expect((await get(`${base.pathname}render/reference/1`)).status).toBe(404) // nothing registered yet
      expect((await get(`${base.pathname}../../etc/passwd`)).status).toBe(404)
      expect(await server.json(JSON.stringify({ cmd: 'diff', reference: GDS, test: GDS2 }))).toMatchObject({ ok: false, error: expect.stringMatching(/^unauthorized/) })
      await server.json(JSON.stringify({ token: readToken(), cmd: 'diff', reference: GDS, test: GDS2 }))
      const item = JSON.parse((await get(`${base.pathname}api/item/1`)).body)
      expect(item.clusters.length).toBeGreaterThan(0)
      // layer colours and names from the .lyp (1/0 is "metal1", #ff0000 there)
      expect(item.layers.find((l: { key: string }) => l.key === '1/0')).toEqual({ key: '1/0', name: 'metal1', color: '#ff0000' })
      // 66/0 holds the chip's label only: listed, so that the page's layer list (which it sends back) draws it
      expect(item.layers.map((l: { key: string }) => l.key)).toContain('66/0')
      expect((await get(`${base.pathname}render/overlay/1?w=200&h=100`)).status).toBe(200)
    } finally {
      await web.close()
    }
  })
})

async function server_(): Promise<{ server: ViewerServer; port: number }> {
  return server()
}

describe('show, trace, animate', () => {
  test('send layouts to the viewer as a generator runs', async () => {
    const { show, trace, animate } = await import('../src/ipc/index.js')
    const { Layout } = await import('../src/layout/index.js')
    const { server: s, port } = await server()
    const ly = new Layout({ name: 'GEN' })
    const top = ly.newCell('TOP').addBox(1, 0, 0, 10, 10)
    await show(ly, { port, launch: false })
    expect(s.items.at(-1)).toMatchObject({ kind: 'load', title: expect.stringMatching(/GEN\.gds$/) })
    const shown = s.items.at(-1)!
    const step = await trace(ly, { port, launch: false })
    top.addBox(2, 0, 0, 5, 5)
    await step('added 2/0')
    // the same view, its content replaced (mode 0): viewers redraw it in place
    expect(s.items).toEqual([shown])
    expect(shown.title).toBe('added 2/0')
    const v0 = shown.version
    const frames = [1, 2, 3].map((w) => {
      const f = new Layout()
      f.newCell('TOP').addBox(1, 0, 0, w * 10, 10)
      return f
    })
    const titles: string[] = []
    s.on('update', (it: { title: string }) => titles.push(it.title))
    await animate(frames, { port, launch: false, fps: 50 })
    expect(titles).toEqual(['frame 1/3', 'frame 2/3', 'frame 3/3'])
    expect(s.items).toEqual([shown])
    expect(shown.version).toBe(v0 + 3)
  })
})
