import { EventEmitter } from 'node:events'
import { existsSync } from 'node:fs'
import { createServer, type AddressInfo, type Server, type Socket } from 'node:net'
import { isAbsolute } from 'node:path'
import { DEFAULT_PORT, MAX_JSON_LINE, MAX_PLAIN_LINE, PROTOCOL_VERSION, parseLyipc, type DiffMessage, type Reply, type Request } from './protocol.js'

/** What the viewer holds: layouts loaded and diffs received, newest last. */
export interface ViewerItem {
  seq: number
  kind: 'load' | 'diff'
  time: string
  title: string
  /** load: the file; diff: reference, test, xor files (registered: the only files the viewer may serve). */
  files: Record<string, string>
  /** Inline data received for a remote diff (base64 decoded). */
  data?: Record<string, Buffer>
  mode?: number
  layers?: unknown
  report?: unknown
}

export interface ServerOptions {
  port?: number
  host?: string
  /** Close a connection idle for this long (ms, default 30000). */
  idleTimeout?: number
  maxConnections?: number
}

/**
 * The IPC server: lyipc lines and laytest JSON lines on one port. Every bad line gets an error reply and the
 * server goes on serving the others; oversized lines and idle connections are dropped.
 */
export class ViewerServer extends EventEmitter {
  readonly items: ViewerItem[] = []
  private server: Server | null = null
  private seq = 0
  private readonly sockets = new Set<Socket>()
  focus: { cell?: string; window?: number[] } = {}
  /** The web viewer's URL, when one runs next to the IPC port. */
  viewerUrl: string | null = null

  constructor(private readonly opts: ServerOptions = {}) {
    super()
  }

  async listen(): Promise<{ host: string; port: number }> {
    const server = createServer((s) => this.connection(s))
    server.maxConnections = this.opts.maxConnections ?? 256
    this.server = server
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject)
      server.listen(this.opts.port ?? DEFAULT_PORT, this.opts.host ?? '127.0.0.1', () => resolve())
    })
    const a = server.address() as AddressInfo
    return { host: a.address, port: a.port }
  }

  async close(): Promise<void> {
    for (const s of this.sockets) s.destroy()
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()))
    this.emit('closed')
  }

  private connection(s: Socket): void {
    this.sockets.add(s)
    s.on('close', () => this.sockets.delete(s))
    s.on('error', () => s.destroy())
    s.setTimeout(this.opts.idleTimeout ?? 30000, () => s.destroy())
    let buf: Buffer = Buffer.alloc(0)
    let closing = false
    s.on('data', (chunk: Buffer) => {
      if (closing) return
      buf = buf.length ? Buffer.concat([buf, chunk]) : chunk
      for (;;) {
        const nl = buf.indexOf(10)
        if (nl < 0) break
        const line = buf.subarray(0, nl).toString('utf8').replace(/\r$/, '')
        buf = buf.subarray(nl + 1)
        if (line.startsWith('{')) {
          void this.json(line).then((r) => {
            if (!s.destroyed) s.write(JSON.stringify(r) + '\n')
          })
        } else {
          // lyipc: one command per connection, one reply line, then close
          closing = true
          s.end(this.lyipc(line) + '\n')
          return
        }
      }
      const limit = buf[0] === 0x7b ? MAX_JSON_LINE : MAX_PLAIN_LINE
      if (buf.length > limit) {
        closing = true
        s.end(buf[0] === 0x7b ? JSON.stringify({ ok: false, error: `line longer than ${limit} bytes` }) + '\n' : `ERR line longer than ${limit} bytes\n`)
      }
    })
  }

  private add(item: Omit<ViewerItem, 'seq' | 'time'>): ViewerItem {
    const it = { ...item, seq: ++this.seq, time: new Date().toISOString() }
    this.items.push(it)
    this.emit('item', it)
    return it
  }

  /** An lyipc line: the reply (lyipc answers ACK None, also to what it does not know). */
  lyipc(line: string): string {
    const c = parseLyipc(line)
    switch (c.kind) {
      case 'load':
        if (!isAbsolute(c.path) || !existsSync(c.path)) return `ERR no such file: ${c.path}`
        this.add({ kind: 'load', title: c.path, files: { layout: c.path }, mode: c.mode })
        return 'ACK None'
      case 'reload':
        this.emit('reload')
        return 'ACK None'
      case 'cellview':
        this.focus = { cell: c.cell }
        this.emit('focus', this.focus)
        return 'ACK None'
      default:
        return 'ACK None'
    }
  }

  /** A laytest JSON line: one reply object. */
  async json(line: string): Promise<Reply> {
    let req: Request
    try {
      req = JSON.parse(line) as Request
    } catch {
      return { ok: false, error: 'malformed JSON' }
    }
    const id = req && typeof req === 'object' ? req.id : undefined
    const reply = (r: Reply): Reply => (id === undefined ? r : { ...r, id })
    if (!req || typeof req !== 'object' || typeof req.cmd !== 'string') return reply({ ok: false, error: 'a request needs "cmd"' })
    switch (req.cmd) {
      case 'hello':
        return reply({ ok: true, server: 'laytest', protocol: PROTOCOL_VERSION, pid: process.pid, url: this.viewerUrl, capabilities: ['load', 'reload', 'diff', 'focus', 'clear', 'list', 'shutdown'] })
      case 'load': {
        const path = String(req.path ?? '')
        if (!isAbsolute(path) || !existsSync(path)) return reply({ ok: false, error: `no such file: ${path}` })
        const it = this.add({ kind: 'load', title: String(req.title ?? path), files: { layout: path }, mode: Number(req.mode ?? 0) })
        return reply({ ok: true, seq: it.seq })
      }
      case 'diff': {
        const d = req as unknown as DiffMessage
        const files: Record<string, string> = {}
        const data: Record<string, Buffer> = {}
        for (const k of ['reference', 'test', 'xor'] as const) {
          const p = d[k]
          const inline = d[`${k}Data` as const]
          if (typeof inline === 'string') data[k] = Buffer.from(inline, 'base64')
          else if (typeof p === 'string') {
            if (!isAbsolute(p) || !existsSync(p)) return reply({ ok: false, error: `no such file for ${k}: ${p}` })
            files[k] = p
          }
        }
        if (!files.reference && !data.reference) return reply({ ok: false, error: 'diff needs a reference (path or referenceData)' })
        const it = this.add({ kind: 'diff', title: String(d.title ?? files.test ?? 'diff'), files, data: Object.keys(data).length ? data : undefined, layers: d.layers, report: d.report })
        return reply({ ok: true, seq: it.seq })
      }
      case 'reload':
        this.emit('reload')
        return reply({ ok: true })
      case 'focus':
        this.focus = { cell: typeof req.cell === 'string' ? req.cell : undefined, window: Array.isArray(req.window) ? (req.window as number[]) : undefined }
        this.emit('focus', this.focus)
        return reply({ ok: true })
      case 'clear':
        this.items.length = 0
        this.emit('clear')
        return reply({ ok: true })
      case 'list':
        return reply({ ok: true, items: this.items.map(({ data: _d, ...rest }) => rest) })
      case 'shutdown':
        setImmediate(() => void this.close())
        return reply({ ok: true })
      default:
        return reply({ ok: false, error: `unknown command ${JSON.stringify(req.cmd)}` })
    }
  }
}

/** Starts a viewer server; resolves with it and where it listens. */
export async function startViewerServer(opts: ServerOptions = {}): Promise<{ server: ViewerServer; host: string; port: number }> {
  const server = new ViewerServer(opts)
  const addr = await server.listen()
  return { server, ...addr }
}
