import { randomBytes } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { diffLayouts, xorLayout } from '../diff/index.js'
import type { BBox } from '../layout/bbox.js'
import { cellBBox, cellLayers } from '../layout/extent.js'
import { readLayout } from '../layout/gdsio.js'
import { layerName, toLayerKey, type LayerKey } from '../layout/layers.js'
import type { Layout } from '../layout/layout.js'
import { encodePng, fitView, LayerStyles, pairView, renderLayout, xorOverlay, type View } from '../render/index.js'
import type { ViewerItem, ViewerServer } from './server.js'
import { viewerPage } from './page.js'

/*
 * The web viewer's HTTP side: loopback by default, every URL under a random per-server token, the Host header
 * checked (DNS rebinding), and only layouts registered over IPC are ever read — no URL carries a path.
 * Views are rendered on the server by laytest's renderer for the window asked for, so zooming into a 1-dbu
 * difference in a huge layout costs one render, not a transfer of the geometry.
 */

interface Loaded {
  reference: Layout
  test: Layout | null
  xor: Layout | null
  clusters: BBox[]
  layers: Array<{ key: string; color: string; name?: string }>
  box: BBox
}

export interface HttpOptions {
  port?: number
  host?: string
  /** KLayout layer properties for the colours. */
  styles?: LayerStyles
}

export class ViewerHttp {
  readonly token = randomBytes(16).toString('hex')
  private http: Server | null = null
  private readonly loaded = new Map<number, Promise<Loaded>>()
  private readonly clients = new Set<ServerResponse>()
  url = ''

  constructor(
    private readonly ipc: ViewerServer,
    private readonly opts: HttpOptions = {},
  ) {
    ipc.on('item', (it: ViewerItem) => this.broadcast({ type: 'item', seq: it.seq }))
    ipc.on('clear', () => {
      this.loaded.clear()
      this.broadcast({ type: 'clear' })
    })
    ipc.on('focus', (f: unknown) => this.broadcast({ type: 'focus', focus: f }))
    ipc.on('closed', () => void this.close())
  }

  async listen(): Promise<string> {
    const http = createServer((req, res) => {
      this.handle(req, res).catch((e: unknown) => {
        if (!res.headersSent) res.writeHead(500, { 'content-type': 'text/plain' })
        res.end(`error: ${(e as Error).message}`)
      })
    })
    this.http = http
    const host = this.opts.host ?? '127.0.0.1'
    await new Promise<void>((resolve, reject) => {
      http.once('error', reject)
      http.listen(this.opts.port ?? 0, host, () => resolve())
    })
    const a = http.address() as AddressInfo
    this.url = `http://${host.includes(':') ? `[${host}]` : host}:${a.port}/${this.token}/`
    return this.url
  }

  async close(): Promise<void> {
    for (const c of this.clients) c.end()
    await new Promise<void>((r) => {
      if (!this.http) return r()
      this.http.close(() => r())
      // idle keep-alive connections (a browser's) would hold the server, and the process, open
      this.http.closeAllConnections()
    })
  }

  private broadcast(msg: unknown): void {
    for (const c of this.clients) c.write(`data: ${JSON.stringify(msg)}\n\n`)
  }

  /** Host header: the address we listen on, or localhost, with our port. Anything else may be DNS rebinding. */
  private hostAllowed(req: IncomingMessage): boolean {
    const a = this.http!.address() as AddressInfo
    const h = (req.headers.host ?? '').toLowerCase()
    const names = new Set(['127.0.0.1', 'localhost', '[::1]', (this.opts.host ?? '127.0.0.1').toLowerCase()])
    return [...names].some((n) => h === `${n}:${a.port}`)
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (!this.hostAllowed(req)) return send(res, 403, 'text/plain', 'forbidden host')
    const url = new URL(req.url ?? '/', 'http://x')
    const parts = url.pathname.split('/').filter(Boolean)
    if (parts[0] !== this.token) return send(res, 404, 'text/plain', 'not found')
    const route = parts.slice(1)
    if (route.length === 0) return send(res, 200, 'text/html; charset=utf-8', viewerPage())
    if (route[0] === 'events') {
      res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-store', connection: 'keep-alive' })
      res.write(': laytest\n\n')
      this.clients.add(res)
      req.on('close', () => this.clients.delete(res))
      return
    }
    if (route[0] === 'api' && route[1] === 'items') {
      return send(res, 200, 'application/json', JSON.stringify(this.ipc.items.map(({ data: _d, files, ...rest }) => ({ ...rest, files: Object.keys(files) })).reverse()))
    }
    const seq = Number(route[2])
    const item = this.ipc.items.find((i) => i.seq === seq)
    if (route[0] === 'api' && route[1] === 'item') {
      if (!item) return send(res, 404, 'text/plain', 'no such item')
      const l = await this.load(item)
      return send(res, 200, 'application/json', JSON.stringify({ seq, title: item.title, kind: item.kind, box: l.box, clusters: l.clusters, layers: l.layers, report: item.report ?? null }))
    }
    if (route[0] === 'render' && route[1]) {
      if (!item) return send(res, 404, 'text/plain', 'no such item')
      const which = route[1]
      const l = await this.load(item)
      const num = (k: string, d: number): number => (Number.isFinite(Number(url.searchParams.get(k))) && url.searchParams.get(k) !== null ? Number(url.searchParams.get(k)) : d)
      const w = Math.min(4096, Math.max(16, num('w', 800))), h = Math.min(4096, Math.max(16, num('h', 600)))
      const win: BBox = [num('l', l.box[0]), num('b', l.box[1]), num('r', l.box[2]), num('t', l.box[3])]
      const view = viewOf(win, w, h)
      const want = url.searchParams.get('layers')
      const layers = want === null ? undefined : new Set(want.split(',').filter(Boolean).map((s) => toLayerKey(s)))
      const xorOnly = url.searchParams.get('xoronly') === '1'
      const base = { view, styles: this.opts.styles, layers: xorOnly ? new Set<LayerKey>() : layers }
      let png: Buffer
      if (which === 'reference') png = encodePng(renderLayout(l.reference, base).image)
      else if (which === 'test' && l.test) png = encodePng(renderLayout(l.test, base).image)
      else if (which === 'overlay') {
        const polygons: ArrayLike<number>[] = []
        if (l.xor) {
          for (const c of l.xor.cells.values()) {
            for (const [k, s] of c.layers) {
              if (layers && !layers.has(k)) continue
              const d = s.boxes.data
              for (let i = 0; i < s.boxCount; i++) polygons.push([d[4 * i]!, d[4 * i + 1]!, d[4 * i + 2]!, d[4 * i + 1]!, d[4 * i + 2]!, d[4 * i + 3]!, d[4 * i]!, d[4 * i + 3]!])
              const pc = s.polyCoords.data, ps = s.polyStarts.data
              for (let i = 0; i < s.polygonCount; i++) polygons.push(pc.subarray(ps[i]!, ps[i + 1]!))
            }
          }
        }
        png = encodePng(xorOverlay(l.reference, { polygons, clusters: [] }, { ...base, insets: 0 }))
      } else return send(res, 404, 'text/plain', 'no such image')
      res.writeHead(200, { 'content-type': 'image/png', 'cache-control': 'no-store' })
      res.end(png)
      return
    }
    send(res, 404, 'text/plain', 'not found')
  }

  /** Reads an item's registered layouts once (and computes its XOR when none was sent). */
  private load(item: ViewerItem): Promise<Loaded> {
    let p = this.loaded.get(item.seq)
    if (!p) {
      p = (async (): Promise<Loaded> => {
        const read = (k: string): Layout | null => {
          if (item.data?.[k]) return readLayout(item.data[k], { file: `${item.title} (${k})` })
          const f = item.files[k]
          return f ? readLayout(readFileSync(f), { file: f }) : null
        }
        const reference = read(item.kind === 'load' ? 'layout' : 'reference')!
        const test = item.kind === 'diff' ? read('test') : null
        let xor = item.kind === 'diff' ? read('xor') : null
        let clusters: BBox[] = []
        if (test) {
          const outcome = await diffLayouts(reference, test, { maxBoxes: 50 })
          clusters = Object.values(outcome.result.layers).flatMap((x) => x.bboxes)
          clusters.sort((a, b) => (b[2] - b[0]) * (b[3] - b[1]) - (a[2] - a[0]) * (a[3] - a[1]))
          xor ??= await xorLayout(outcome)
        }
        const keys = new Set<LayerKey>()
        for (const ly of [reference, test]) if (ly) for (const k of cellLayers(ly.topCell())) keys.add(k)
        const styles = this.opts.styles ?? new LayerStyles()
        const layers = [...keys].sort((a, b) => a - b).map((k) => {
          const st = styles.get(k)
          return { key: layerName(k), name: st.name, color: '#' + st.fill.map((c) => c.toString(16).padStart(2, '0')).join('') }
        })
        const v = test ? pairView(reference, test) : fitView(cellBBox(reference.topCell()) ?? [0, 0, 1, 1])
        const box: BBox = [v.l, v.b, v.r, v.t]
        return { reference, test, xor, clusters, layers, box }
      })()
      this.loaded.set(item.seq, p)
    }
    return p
  }
}

/** A view of `win` (dbu) into w x h pixels, centred, square pixels. */
function viewOf(win: BBox, w: number, h: number): View {
  const ww = Math.max(win[2] - win[0], 1e-9), wh = Math.max(win[3] - win[1], 1e-9)
  const scale = Math.min(w / ww, h / wh)
  const cx = (win[0] + win[2]) / 2, cy = (win[1] + win[3]) / 2
  const l = cx - w / scale / 2, t = cy + h / scale / 2
  return { l, b: t - h / scale, r: l + w / scale, t, width: w, height: h, scale }
}

function send(res: ServerResponse, status: number, type: string, body: string): void {
  res.writeHead(status, { 'content-type': type, 'cache-control': 'no-store', 'x-content-type-options': 'nosniff' })
  res.end(body)
}
