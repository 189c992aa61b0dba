import { mkdtempSync } from 'node:fs'
import { request } from 'node:http'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { PNG } from 'pngjs'
import { afterAll, describe, expect, test } from 'vitest'
import { ViewerHttp } from '../src/ipc/http.js'
import { connectViewer, exchange, startViewerServer, type ViewerServer } from '../src/ipc/index.js'
import { readLayout, writeLayoutFile } from '../src/layout/gdsio.js'
import { ROOT } from './helpers/corpus.js'

/* The viewer takes OASIS as it takes GDSII (issue 15: "everywhere a layout is taken": serve / viewer loads). */

const dir = mkdtempSync(join(tmpdir(), 'laytest-ipc-oas-'))
process.env.LAYTEST_VIEWER_TOKEN_FILE = join(dir, 'token', 'viewer-token')
const REF = join(dir, 'ring.oas'), TEST = join(dir, 'ring-v2.oas.gz')
writeLayoutFile(readLayout(join(ROOT, 'examples/ring.gds')), REF)
writeLayoutFile(readLayout(join(ROOT, 'examples/ring-v2.gds')), TEST)

const servers: ViewerServer[] = []
afterAll(async () => { for (const s of servers) await s.close() })

function get(url: string, path: string): Promise<{ status: number; body: Buffer }> {
  const base = new URL(url)
  return new Promise((resolve, reject) => {
    const req = request({ host: base.hostname, port: base.port, path }, (res) => {
      const parts: Buffer[] = []
      res.on('data', (d: Buffer) => parts.push(d))
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(parts) }))
    })
    req.on('error', reject)
    req.end()
  })
}

describe('the viewer with OASIS files', () => {
  test('lyipc load of .oas and .oas.gz; a JSON diff of two OASIS files is drawn', async () => {
    const { server, port } = await startViewerServer({ port: 0 })
    servers.push(server)
    const web = new ViewerHttp(server, { threads: false })
    const url = await web.listen()
    try {
      expect(await exchange('127.0.0.1', port, `load ${REF}`)).toBe('ACK None')
      expect(await exchange('127.0.0.1', port, `load ${TEST} 2`)).toBe('ACK None')
      const v = await connectViewer({ port, launch: false })
      const { seq } = await v.request({ cmd: 'diff', reference: REF, test: TEST, title: 'oasis' })
      const base = new URL(url).pathname
      const r = await get(url, `${base}render/overlay/${seq as number}?w=200&h=120`)
      expect(r.status).toBe(200)
      const png = PNG.sync.read(r.body)
      expect(png.width).toBe(200)
      // something of the layout is drawn (not a blank picture)
      let inked = 0
      for (let i = 0; i < png.data.length; i += 4) if (png.data[i] !== 255 || png.data[i + 1] !== 255 || png.data[i + 2] !== 255) inked++
      expect(inked).toBeGreaterThan(100)
    } finally {
      await web.close()
    }
  })
})
