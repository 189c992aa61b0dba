import { EventEmitter } from 'node:events'
import { createServer, type AddressInfo, type Server, type Socket } from 'node:net'
import { isAbsolute } from 'node:path'
import { MemoryBudget } from './budget.js'
import { checkLayoutFile, layoutMagic, realpathLike } from './files.js'
import { ACK, defaultInterpreterPath, interpretLyipc, lyipcErrors, stripLineEnd } from './lyipc.js'
import { DEFAULT_PORT, MAX_JSON_LINE, MAX_PLAIN_LINE, PROTOCOL_VERSION, type DiffMessage, type Reply, type Request } from './protocol.js'
import { ensureToken, tokenMatches } from './token.js'

/** What the viewer holds: views (layouts loaded, diffs received), newest last. */
export interface ViewerItem {
  seq: number
  kind: 'load' | 'diff'
  time: string
  title: string
  /**
   * load: `layout` (and `layout2`, `layout3`… added by lyipc's mode 2, shown as reference, test, XOR); diff:
   * reference, test, xor. Registered files are the only files the viewer ever reads.
   */
  files: Record<string, string>
  /** Inline data received for a remote diff (base64 decoded; charged to the memory cap). */
  data?: Record<string, Buffer>
  mode?: number
  layers?: unknown
  report?: unknown
  /** Bumped when the content changes (reload from disk, a layout replaced or added): viewers redraw, keeping pan/zoom. */
  version: number
  /** The cell shown (lyipc's cellview, focus), when not the top cell. */
  cell?: string
  /** A window to show (focus), dbu [l, b, r, t]. */
  window?: number[]
}

export interface ServerOptions {
  port?: number
  host?: string
  /** Close a connection idle for this long (ms, default 30000). */
  idleTimeout?: number
  /** Connections at once (default 256); past it the oldest idle connection is closed for the new one. */
  maxConnections?: number
  /** The per-user secret (default: the token file's, created if needed: token.ts). */
  token?: string
  /** Where relative lyipc paths resolve (default: the process's working directory, as lyipc's server). */
  cwd?: string
  /** Memory cap for inline data and loaded layouts (bytes, default 1 GiB). */
  maxMemory?: number
  /** The interpreter module named in lyipc error tracebacks (default: where lyipc installs it for KLayout). */
  lyipcInterpreter?: string
}

/** Counters of the line reader, for tests and diagnostics. */
export interface ReadStats {
  /** Bytes searched for a line end (each received byte once: linear in the line length). */
  scanned: number
  /** Bytes copied to assemble lines. */
  copied: number
}

interface Conn {
  socket: Socket
  authed: boolean
  busy: number
  last: number
}

/**
 * The IPC server: lyipc lines and laytest JSON lines on one port. Every bad line gets an error reply and the
 * server goes on serving the others; oversized lines are refused, idle connections are closed.
 */
export class ViewerServer extends EventEmitter {
  readonly items: ViewerItem[] = []
  /** The current view (lyipc's): what `reload view`, `cellview` and load modes 0 and 2 act on. */
  current: ViewerItem | null = null
  private server: Server | null = null
  private seq = 0
  private readonly conns = new Set<Conn>()
  readonly stats: ReadStats = { scanned: 0, copied: 0 }
  readonly budget: MemoryBudget
  readonly token: string
  readonly tokenFile: string
  focus: { cell?: string; window?: number[] } = {}
  /** The web viewer's URL, when one runs next to the IPC port (given to authenticated clients only). */
  viewerUrl: string | null = null
  /** Connections closed to make room for new ones. */
  pushedOut = 0

  constructor(private readonly opts: ServerOptions = {}) {
    super()
    this.budget = new MemoryBudget(opts.maxMemory ?? 1 << 30)
    if (opts.token) {
      this.token = opts.token
      this.tokenFile = '(given)'
    } else {
      const t = ensureToken()
      this.token = t.token
      this.tokenFile = t.file
    }
  }

  get cwd(): string {
    return this.opts.cwd ?? process.cwd()
  }

  async listen(): Promise<{ host: string; port: number }> {
    const server = createServer((s) => this.connection(s))
    this.server = server
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject)
      server.listen(this.opts.port ?? DEFAULT_PORT, this.opts.host ?? '127.0.0.1', () => resolve())
    })
    const a = server.address() as AddressInfo
    return { host: a.address, port: a.port }
  }

  async close(): Promise<void> {
    for (const c of this.conns) c.socket.destroy()
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()))
    this.emit('closed')
  }

  get connections(): number {
    return this.conns.size
  }

  /** A new connection: past the limit, the connection idle the longest makes room (or, if none is idle, this one). */
  private admit(): boolean {
    const max = this.opts.maxConnections ?? 256
    if (this.conns.size < max) return true
    let oldest: Conn | null = null
    for (const o of this.conns) if (o.busy === 0 && (!oldest || o.last < oldest.last)) oldest = o
    if (!oldest) return false
    this.conns.delete(oldest)
    oldest.socket.destroy()
    this.pushedOut++
    return true
  }

  private connection(s: Socket): void {
    const c: Conn = { socket: s, authed: false, busy: 0, last: Date.now() }
    if (!this.admit()) {
      s.destroy()
      return
    }
    this.conns.add(c)
    s.on('close', () => this.conns.delete(c))
    s.on('error', () => s.destroy())
    s.setTimeout(this.opts.idleTimeout ?? 30000, () => s.destroy())
    // the line so far: chunks kept as received, only new bytes searched for "\n" (linear in the line length)
    let parts: Buffer[] = []
    let partLen = 0
    let closing = false
    const limitFor = (len: number, head: Buffer[]): number => (len <= MAX_PLAIN_LINE ? MAX_PLAIN_LINE : head[0]?.[0] === 0x7b && (c.authed || this.proves(head)) ? MAX_JSON_LINE : MAX_PLAIN_LINE)
    s.on('data', (chunk: Buffer) => {
      if (closing) return
      c.last = Date.now()
      let from = 0
      while (from < chunk.length) {
        const nl = chunk.indexOf(10, from)
        this.stats.scanned += (nl < 0 ? chunk.length : nl + 1) - from
        if (nl < 0) {
          parts.push(from ? chunk.subarray(from) : chunk)
          partLen += chunk.length - from
          break
        }
        let lineBuf: Buffer
        if (partLen) {
          parts.push(chunk.subarray(from, nl))
          lineBuf = Buffer.concat(parts, partLen + nl - from)
          this.stats.copied += lineBuf.length
        } else lineBuf = chunk.subarray(from, nl)
        parts = []
        partLen = 0
        from = nl + 1
        const first = lineBuf[0]
        if (first === 0x7b) {
          const limit = limitFor(lineBuf.length, [lineBuf])
          if (lineBuf.length > limit) {
            closing = true
            s.end(JSON.stringify({ ok: false, error: `line longer than ${limit} bytes${limit === MAX_PLAIN_LINE ? ' (longer JSON lines must start with {"token":…})' : ''}` }) + '\n')
            return
          }
          const line = lineBuf.toString('utf8').replace(/\r$/, '')
          c.busy++
          void this.json(line, c).then((r) => {
            c.busy--
            c.last = Date.now()
            if (!s.destroyed) s.write(JSON.stringify(r) + '\n')
          })
        } else {
          // lyipc: one command per connection, one reply (no line end, as lyipc's server), then close
          closing = true
          s.end(this.lyipc(stripLineEnd(lineBuf.toString('utf8') + '\n')))
          return
        }
      }
      const limit = limitFor(partLen, parts)
      if (partLen > limit) {
        closing = true
        const json = parts[0]?.[0] === 0x7b
        parts = []
        s.end(json ? JSON.stringify({ ok: false, error: `line longer than ${limit} bytes` }) + '\n' : `ERR line longer than ${limit} bytes`)
      }
    })
  }

  /** A long JSON line may pass the plain limit only if it starts with the token: {"token":"…" */
  private proves(parts: Buffer[]): boolean {
    const head = `{"token":${JSON.stringify(this.token)}`
    const first = parts[0]
    if (!first) return false
    const b = first.length >= head.length ? first : Buffer.concat(parts.slice(0, 8))
    return b.length >= head.length && b.subarray(0, head.length).toString('latin1') === head
  }

  private add(item: Omit<ViewerItem, 'seq' | 'time' | 'version'>, makeCurrent = true): ViewerItem {
    const it: ViewerItem = { ...item, seq: ++this.seq, time: new Date().toISOString(), version: 1 }
    this.items.push(it)
    if (it.data) {
      const bytes = Object.values(it.data).reduce((n, b) => n + b.length, 0)
      this.budget.add(`data:${it.seq}`, bytes, () => this.drop(it))
    }
    if (makeCurrent) this.current = it
    this.emit('item', it)
    return it
  }

  /** An item evicted (its inline data past the memory cap) or removed. */
  private drop(it: ViewerItem): void {
    const i = this.items.indexOf(it)
    if (i >= 0) this.items.splice(i, 1)
    if (this.current === it) this.current = this.items.at(-1) ?? null
    this.budget.remove(`data:${it.seq}`)
    this.emit('remove', it)
  }

  /** The content of an item changed: viewers re-read it and redraw in place. */
  touchItem(it: ViewerItem): void {
    it.version++
    this.emit('update', it)
  }

  /** Shows a layout file: mode 1 a new view, 2 added to the current view, anything else replaces the current view. */
  loadFile(path: string, mode: number, title?: string): ViewerItem {
    const cur = this.current
    if (cur && mode === 2) {
      if (cur.kind === 'load') {
        let n = 2
        while (cur.files[`layout${n}`]) n++
        cur.files[`layout${n}`] = path
      } else {
        const slot = (['reference', 'test', 'xor'] as const).find((k) => !cur.files[k] && !cur.data?.[k])
        if (slot) cur.files[slot] = path
      }
      this.touchItem(cur)
      return cur
    }
    if (cur && mode !== 1 && cur.kind === 'load') {
      cur.files = { layout: path }
      cur.title = title ?? path
      cur.mode = mode
      delete cur.cell
      delete cur.window
      this.touchItem(cur)
      return cur
    }
    return this.add({ kind: 'load', title: title ?? path, files: { layout: path }, mode })
  }

  /** An lyipc line (without its line end): the reply lyipc's server would send, byte for byte. */
  lyipc(line: string): string {
    const interp = this.opts.lyipcInterpreter ?? defaultInterpreterPath()
    const a = interpretLyipc(line, (p) => realpathLike(p, this.cwd), interp)
    switch (a.kind) {
      case 'error':
        return a.reply
      case 'reload':
        if (!this.current) return lyipcErrors.noLayout(interp)
        this.touchItem(this.current)
        return ACK
      case 'cellview':
        if (!this.current) return lyipcErrors.noView(interp)
        this.current.cell = a.cell
        delete this.current.window
        this.focus = { cell: a.cell }
        this.emit('focus', this.focus, this.current)
        return ACK
      case 'load': {
        const f = checkLayoutFile(a.path)
        if (f.ok) {
          this.loadFile(a.path, a.mode)
          return ACK
        }
        // KLayout swallows a stream error of an empty (still being written) file; a directory is KLayout's read
        // error; anything else that is not a layout is answered as a missing file, so the port neither reads nor
        // confirms files that are not layouts
        if (f.why === 'empty') return ACK
        if (f.why === 'directory') return lyipcErrors.readError(a.path, interp)
        return lyipcErrors.cannotOpen(a.path, interp)
      }
      default:
        // ping (lyipc shows a modal box, then answers), and any other line
        return ACK
    }
  }

  private fileError(path: unknown, what: string): string | null {
    if (typeof path !== 'string' || !path) return `${what}: a path is needed`
    const f = checkLayoutFile(path)
    if (f.ok) return null
    return `${what}: ${path}: ${f.why === 'directory' ? 'is a directory' : f.why === 'missing' ? 'no such file' : 'not a GDSII or OASIS layout'}`
  }

  /** A laytest JSON line: one reply object. `conn` carries the connection's authentication. */
  async json(line: string, conn?: { authed: boolean }): Promise<Reply> {
    let req: Request
    try {
      req = JSON.parse(line) as Request
    } catch {
      return { ok: false, error: 'malformed JSON' }
    }
    const id = req && typeof req === 'object' ? req.id : undefined
    const reply = (r: Reply): Reply => (id === undefined ? r : { ...r, id })
    if (!req || typeof req !== 'object' || typeof req.cmd !== 'string') return reply({ ok: false, error: 'a request needs "cmd"' })
    const authed = (conn?.authed ?? false) || tokenMatches(this.token, req.token)
    if (authed && conn) conn.authed = true
    if (req.cmd === 'hello') {
      const pub = { ok: true, server: 'laytest', protocol: PROTOCOL_VERSION, auth: 'token', capabilities: ['load', 'reload', 'diff', 'focus', 'clear', 'list', 'shutdown'] }
      return reply(authed ? { ...pub, authenticated: true, pid: process.pid, url: this.viewerUrl, cwd: this.cwd } : { ...pub, authenticated: false })
    }
    if (!authed) return reply({ ok: false, error: `unauthorized: ${req.token === undefined ? 'no' : 'wrong'} viewer token (laytest clients of the user running laytest serve read it from its token file)` })
    switch (req.cmd) {
      case 'load': {
        const path = typeof req.path === 'string' ? realpathLike(req.path, this.cwd) : req.path
        const err = this.fileError(path, 'load')
        if (err) return reply({ ok: false, error: err })
        const it = this.loadFile(path as string, Number(req.mode ?? 0), typeof req.title === 'string' ? req.title : undefined)
        return reply({ ok: true, seq: it.seq, version: it.version })
      }
      case 'diff': {
        const d = req as unknown as DiffMessage
        const files: Record<string, string> = {}
        const data: Record<string, Buffer> = {}
        for (const k of ['reference', 'test', 'xor'] as const) {
          const p = d[k]
          const inline = d[`${k}Data` as const]
          if (typeof inline === 'string') {
            data[k] = Buffer.from(inline, 'base64')
            if (!layoutMagic(data[k].subarray(0, 4096))) return reply({ ok: false, error: `${k}Data: not a GDSII or OASIS layout` })
          } else if (typeof p === 'string') {
            if (!isAbsolute(p)) return reply({ ok: false, error: `${k}: an absolute path is needed: ${p}` })
            const err = this.fileError(p, k)
            if (err) return reply({ ok: false, error: err })
            files[k] = p
          }
        }
        if (!files.reference && !data.reference) return reply({ ok: false, error: 'diff needs a reference (path or referenceData)' })
        const it = this.add({ kind: 'diff', title: String(d.title ?? files.test ?? 'diff'), files, data: Object.keys(data).length ? data : undefined, layers: d.layers, report: d.report })
        return reply({ ok: true, seq: it.seq })
      }
      case 'reload': {
        const it = typeof req.seq === 'number' ? this.items.find((i) => i.seq === req.seq) : this.current
        if (!it) return reply({ ok: false, error: typeof req.seq === 'number' ? `no item ${req.seq}` : 'nothing is shown: load a layout first' })
        this.touchItem(it)
        return reply({ ok: true, seq: it.seq, version: it.version })
      }
      case 'focus': {
        const it = typeof req.seq === 'number' ? this.items.find((i) => i.seq === req.seq) : this.current
        const cell = typeof req.cell === 'string' ? req.cell : undefined
        const window = Array.isArray(req.window) && req.window.length === 4 && req.window.every((x) => typeof x === 'number' && Number.isFinite(x)) ? (req.window as number[]) : undefined
        this.focus = { cell, window }
        if (it) {
          if (cell !== undefined) it.cell = cell
          if (window) it.window = window
          else delete it.window
        }
        this.emit('focus', this.focus, it ?? null)
        return reply({ ok: true })
      }
      case 'clear':
        for (const it of this.items) this.budget.remove(`data:${it.seq}`)
        this.items.length = 0
        this.current = null
        this.emit('clear')
        return reply({ ok: true })
      case 'list':
        return reply({ ok: true, items: this.items.map(({ data: _d, ...rest }) => rest), current: this.current?.seq ?? null, memory: this.budget.bytes, memoryCap: this.budget.cap, maxConnections: this.opts.maxConnections ?? 256 })
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
