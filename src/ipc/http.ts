import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import type { BBox } from '../layout/bbox.js'
import type { LayerStyles } from '../render/index.js'
import type { ItemSpec, RenderRequest } from './render-core.js'
import { NotFound, renderBackend, type RenderBackend } from './render-pool.js'
import type { ViewerItem, ViewerServer } from './server.js'
import { viewerPage } from './page.js'
import { webKey } from './token.js'

/*
 * The web viewer's HTTP side: loopback by default, every URL under a key derived from the per-user secret (so only
 * clients holding the token file can compute or be given it), the Host header checked (DNS rebinding), and only
 * layouts registered over IPC are ever read — no URL carries a path. Views are rendered by laytest's renderer for
 * the window asked for, in a worker thread (render-pool.ts), so the IPC port answers while a big view is drawn.
 * Items change in place (reload, lyipc load modes 0 and 2, cellview, focus): the page is told by server-sent
 * events and redraws keeping its pan, zoom and layer choices.
 */

export interface HttpOptions {
  port?: number
  host?: string
  /** KLayout layer properties for the colours. */
  styles?: LayerStyles
  /** Render in a worker thread (default true, when the worker script is built). */
  threads?: boolean
}

export class ViewerHttp {
  readonly key: string
  private http: Server | null = null
  private readonly clients = new Set<ServerResponse>()
  readonly backend: RenderBackend
  url = ''

  constructor(
    private readonly ipc: ViewerServer,
    private readonly opts: HttpOptions = {},
  ) {
    this.key = webKey(ipc.token)
    this.backend = renderBackend({ styles: opts.styles, threads: opts.threads })
    ipc.on('item', (it: ViewerItem) => this.broadcast({ type: 'item', seq: it.seq, version: it.version }))
    ipc.on('update', (it: ViewerItem) => {
      this.dropOld(it)
      this.broadcast({ type: 'update', seq: it.seq, version: it.version })
    })
    ipc.on('remove', (it: ViewerItem) => {
      this.dropAll(it.seq)
      this.broadcast({ type: 'remove', seq: it.seq })
    })
    ipc.on('clear', () => {
      for (const k of ipc.budget.keys()) if (k.startsWith('layout:')) this.drop(k.slice(7))
      this.broadcast({ type: 'clear' })
    })
    ipc.on('focus', (f: unknown, it: ViewerItem | null) => this.broadcast({ type: 'focus', focus: f, seq: it?.seq ?? null, cell: it?.cell ?? null, window: it?.window ?? null }))
    ipc.on('closed', () => void this.close())
  }

  /** The web page's path prefix (the key). */
  get token(): string {
    return this.key
  }

  async listen(): Promise<string> {
    const http = createServer((req, res) => {
      this.handle(req, res).catch((e: unknown) => {
        const status = e instanceof NotFound ? 404 : 500
        if (!res.headersSent) res.writeHead(status, { 'content-type': 'text/plain', 'cache-control': 'no-store' })
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
    this.url = `http://${host.includes(':') ? `[${host}]` : host}:${a.port}/${this.key}/`
    return this.url
  }

  async close(): Promise<void> {
    for (const c of this.clients) c.end()
    await this.backend.close()
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

  private drop(key: string): void {
    this.ipc.budget.remove(`layout:${key}`)
    this.backend.drop(key)
  }

  private dropAll(seq: number): void {
    for (const k of this.ipc.budget.keys()) if (k.startsWith(`layout:${seq}:`)) this.drop(k.slice(7))
  }

  /** Older versions of an item are never drawn again. */
  private dropOld(it: ViewerItem): void {
    for (const k of this.ipc.budget.keys()) if (k.startsWith(`layout:${it.seq}:`) && k !== `layout:${it.seq}:${it.version}`) this.drop(k.slice(7))
  }

  private spec(it: ViewerItem): ItemSpec {
    return { key: `${it.seq}:${it.version}`, kind: it.kind, title: it.title, files: { ...it.files }, data: it.data }
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
    if (parts[0] !== this.key) return send(res, 404, 'text/plain', 'not found')
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
      return send(res, 200, 'application/json', JSON.stringify(this.ipc.items.map(({ data: _d, files, ...rest }) => ({ ...rest, files: Object.keys(files), current: rest.seq === this.ipc.current?.seq })).reverse()))
    }
    const seq = Number(route[2])
    const item = this.ipc.items.find((i) => i.seq === seq)
    const cellParam = url.searchParams.get('cell')
    const cell = cellParam === null || cellParam === '' ? undefined : cellParam
    if (route[0] === 'api' && route[1] === 'item') {
      if (!item) return send(res, 404, 'text/plain', 'no such item')
      const info = await this.info(item, cell ?? item.cell)
      return send(res, 200, 'application/json', JSON.stringify({
        seq, version: item.version, title: item.title, kind: item.kind, box: info.box, clusters: info.clusters, layers: info.layers, cells: info.cells, top: info.top,
        cell: cell ?? item.cell ?? null, window: item.window ?? null, report: item.report ?? null,
      }))
    }
    if (route[0] === 'render' && route[1]) {
      if (!item) return send(res, 404, 'text/plain', 'no such item')
      const which = route[1]
      if (which !== 'reference' && which !== 'test' && which !== 'overlay') return send(res, 404, 'text/plain', 'no such image')
      const info = await this.info(item, cell)
      const num = (k: string, d: number): number => (url.searchParams.get(k) !== null && Number.isFinite(Number(url.searchParams.get(k))) ? Number(url.searchParams.get(k)) : d)
      const w = Math.min(4096, Math.max(16, num('w', 800))), h = Math.min(4096, Math.max(16, num('h', 600)))
      const win: BBox = [num('l', info.box[0]), num('b', info.box[1]), num('r', info.box[2]), num('t', info.box[3])]
      const want = url.searchParams.get('layers')
      const r: RenderRequest = {
        which, w, h, win, layers: want === null ? null : want.split(','), xorOnly: url.searchParams.get('xoronly') === '1', cell,
        texts: url.searchParams.get('texts') !== '0',
      }
      const png = await this.backend.render(this.spec(item), r)
      this.ipc.budget.touch(`layout:${item.seq}:${item.version}`)
      res.writeHead(200, { 'content-type': 'image/png', 'cache-control': 'no-store', 'x-laytest-version': String(item.version) })
      res.end(png)
      return
    }
    send(res, 404, 'text/plain', 'not found')
  }

  /** An item's facts (reading it the first time, charged to the memory cap). */
  private async info(item: ViewerItem, cell?: string): Promise<Awaited<ReturnType<RenderBackend['info']>>> {
    const spec = this.spec(item)
    const info = await this.backend.info(spec, cell)
    const k = `layout:${spec.key}`
    if (this.ipc.budget.has(k)) this.ipc.budget.touch(k)
    else if (this.ipc.items.includes(item) && item.version === Number(spec.key.split(':')[1])) this.ipc.budget.add(k, info.bytes, () => this.backend.drop(spec.key))
    else this.backend.drop(spec.key) // changed or removed while it was read
    return info
  }
}

function send(res: ServerResponse, status: number, type: string, body: string): void {
  res.writeHead(status, { 'content-type': type, 'cache-control': 'no-store', 'x-content-type-options': 'nosniff' })
  res.end(body)
}
