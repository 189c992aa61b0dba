import { existsSync, mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { KLAYOUT_CONFIG, KLAYOUT_MACRO_PY } from './klayout-macro.js'
import { connect, type Socket } from 'node:net'
import { fileURLToPath } from 'node:url'
import { execa } from 'execa'
import { DEFAULT_PORT, type DiffMessage, type Reply, type Request } from './protocol.js'
import { readToken } from './token.js'

/** The viewer could not be reached or refused; the message says what was tried. */
export class ViewerError extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'ViewerError'
  }
}

export interface ViewerOptions {
  host?: string
  port?: number
  /** Start `laytest serve` when nothing listens (default true). */
  launch?: boolean
  /** How long to wait for a launched server (ms, default 10000). */
  launchTimeout?: number
  /** Per-request timeout (ms, default 5000). */
  timeout?: number
  /** What to launch when nothing listens: laytest's own server (default) or KLayout with laytest's macro. */
  viewer?: 'laytest' | 'klayout'
  /**
   * Paths as the viewer sees them, for a viewer on another machine (or WSL): `[[localPrefix, remotePrefix]]`;
   * default from LAYTEST_VIEWER_PATHMAP=/local/prefix=/remote/prefix (several separated by `;`).
   */
  pathMap?: Array<[string, string]>
  /** The viewer token (default: LAYTEST_VIEWER_TOKEN, else the token file of this user: token.ts). */
  token?: string | null
}

/**
 * host:port from the options, else LAYTEST_VIEWER=host:port, else lyipc's LYIPCTARGET ([user@]host), else
 * 127.0.0.1:11078.
 */
export function viewerAddress(opts: ViewerOptions = {}): { host: string; port: number } {
  const env = process.env.LAYTEST_VIEWER
  const m = env ? /^\[?(.*?)\]?:(\d+)$/.exec(env) : null
  const lyipc = process.env.LYIPCTARGET ? process.env.LYIPCTARGET.split('@').pop() : undefined
  const host = opts.host ?? m?.[1] ?? (lyipc && lyipc !== 'localhost' ? lyipc : undefined) ?? '127.0.0.1'
  return { host, port: opts.port ?? (m ? Number(m[2]) : DEFAULT_PORT) }
}

/** The path map of the options or of LAYTEST_VIEWER_PATHMAP. */
export function pathMapOf(opts: ViewerOptions = {}): Array<[string, string]> {
  if (opts.pathMap) return opts.pathMap
  const env = process.env.LAYTEST_VIEWER_PATHMAP
  if (!env) return []
  return env.split(';').filter(Boolean).map((e) => {
    const i = e.indexOf('=')
    if (i <= 0) throw new ViewerError(`LAYTEST_VIEWER_PATHMAP: "${e}" is not /local/prefix=/remote/prefix`)
    return [e.slice(0, i), e.slice(i + 1)] as [string, string]
  })
}

/** A local path as the viewer sees it: the longest matching local prefix replaced (whole path components only). */
export function mapPath(p: string, map: Array<[string, string]>): string {
  let best: [string, string] | null = null
  for (const e of map) {
    const local = e[0].replace(/[/\\]+$/, '')
    if ((p === local || p.startsWith(local + '/') || p.startsWith(local + '\\')) && (!best || local.length > best[0].length)) best = [local, e[1].replace(/[/\\]+$/, '')]
  }
  if (!best) return p
  const rest = p.slice(best[0].length)
  // a Windows prefix on the other side (C:\\…): backslashes
  return best[1] + (/^[A-Za-z]:\\/.test(best[1]) || best[1].includes('\\') ? rest.replace(/\//g, '\\') : rest)
}

/** Sends one line, returns the first line of the reply (without waiting for the server to close). */
export function exchange(host: string, port: number, line: string, timeout = 5000): Promise<string> {
  return new Promise((resolve, reject) => {
    const s: Socket = connect({ host, port })
    let buf = ''
    const done = (err: Error | null, v?: string): void => {
      clearTimeout(timer)
      s.destroy()
      if (err) reject(err)
      else resolve(v!)
    }
    const timer = setTimeout(() => done(new ViewerError(`no reply from ${host}:${port} within ${timeout} ms`)), timeout)
    s.on('connect', () => s.write(line.endsWith('\n') ? line : `${line}\r\n`))
    s.on('data', (d) => {
      buf += d.toString('utf8')
      const nl = buf.indexOf('\n')
      if (nl >= 0) done(null, buf.slice(0, nl).replace(/\r$/, ''))
    })
    s.on('end', () => done(null, buf.replace(/\r?\n$/, '')))
    s.on('error', (e) => done(e))
  })
}

/** A connection to a viewer: laytest's own server (JSON requests) or a plain lyipc server (KLayout + lyipc). */
export class ViewerConnection {
  private nextId = 1
  /** Set when connectViewer started this viewer (it outlives the process that started it). */
  launched?: { pid: number | undefined; command: string }

  constructor(
    readonly host: string,
    readonly port: number,
    readonly kind: 'laytest' | 'lyipc',
    private readonly timeout: number,
    private readonly token: string | null = null,
    readonly pathMap: Array<[string, string]> = [],
  ) {}

  /** A local path as the viewer sees it (path map). */
  viewerPath(p: string): string {
    return mapPath(p, this.pathMap)
  }

  async request(req: Request): Promise<Reply> {
    if (this.kind !== 'laytest') throw new ViewerError(`${this.host}:${this.port} is an lyipc server: it takes load, reload view and cellview only`)
    // the token first: the server then accepts long lines (inline data) from the first bytes on
    const line = await exchange(this.host, this.port, JSON.stringify({ ...(this.token ? { token: this.token } : {}), id: this.nextId++, ...req }), this.timeout)
    let r: Reply
    try {
      r = JSON.parse(line) as Reply
    } catch {
      throw new ViewerError(`unexpected reply from ${this.host}:${this.port}: ${line.slice(0, 200)}`)
    }
    if (!r.ok) throw new ViewerError(`viewer refused ${req.cmd}: ${r.error ?? 'no reason given'}`)
    return r
  }

  /** Re-reads the current view from disk (keeps pan and zoom): lyipc's `reload view`. */
  async reload(): Promise<void> {
    if (this.kind === 'laytest') await this.request({ cmd: 'reload' })
    else {
      const r = await exchange(this.host, this.port, 'reload view', this.timeout)
      if (!r.startsWith('ACK')) throw new ViewerError(`lyipc server at ${this.host}:${this.port} answered ${r} to reload view`)
    }
  }

  /** Shows a cell of the current view: lyipc's `cellview`. */
  async cellview(cell: string): Promise<void> {
    if (this.kind === 'laytest') await this.request({ cmd: 'focus', cell })
    else {
      const r = await exchange(this.host, this.port, `cellview ${cell}`, this.timeout)
      if (!r.startsWith('ACK')) throw new ViewerError(`lyipc server at ${this.host}:${this.port} answered ${r} to cellview ${cell}`)
    }
  }

  /** Shows a diff: laytest's `diff` request, or with lyipc the reference, the test and the XOR as layouts of one view. */
  async diff(d: DiffMessage): Promise<void> {
    const m = (p: string | undefined): string | undefined => (p === undefined ? p : this.viewerPath(p))
    if (this.kind === 'laytest') {
      await this.request({ cmd: 'diff', ...d, reference: m(d.reference), test: m(d.test), xor: m(d.xor) })
      return
    }
    const files = [m(d.reference), m(d.test), m(d.xor)].filter((f): f is string => typeof f === 'string')
    for (const [i, f] of files.entries()) {
      const r = await exchange(this.host, this.port, `load ${lyipcPath(f)} ${i === 0 ? 1 : 2}`, this.timeout)
      if (!r.startsWith('ACK')) throw new ViewerError(`lyipc server at ${this.host}:${this.port} answered ${r} to load ${f}`)
    }
  }

  /** Loads one layout (mode 0 replace, 1 new view, 2 add to the current view). */
  async load(path: string, mode: 0 | 1 | 2 = 0, title?: string): Promise<void> {
    const p = this.viewerPath(path)
    if (this.kind === 'laytest') await this.request({ cmd: 'load', path: p, mode, ...(title ? { title } : {}) })
    else {
      const r = await exchange(this.host, this.port, `load ${lyipcPath(p)} ${mode}`, this.timeout)
      if (!r.startsWith('ACK')) throw new ViewerError(`lyipc server at ${this.host}:${this.port} answered ${r.slice(0, 400)} to load ${p}`)
    }
  }
}

/** A path as lyipc clients send it: bare, in double quotes only when it contains a space. */
function lyipcPath(p: string): string {
  return p.includes(' ') ? `"${p}"` : p
}

/**
 * Asks who is listening: laytest (hello reply), lyipc (ACK to an unknown line), or nobody (null: the connection is
 * refused — a reset or a timeout is a busy viewer, never a reason to launch a second one).
 */
async function probe(host: string, port: number, timeout: number, token: string | null): Promise<'laytest' | 'lyipc' | null> {
  let line: string
  try {
    line = await exchange(host, port, JSON.stringify({ ...(token ? { token } : {}), id: 0, cmd: 'hello' }), timeout)
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code
    if (code === 'ECONNREFUSED') return null
    if (code === 'ECONNRESET') throw new ViewerError(`the viewer at ${host}:${port} closed the connection (too many connections?)`)
    throw e
  }
  if (line.startsWith('ACK')) return 'lyipc'
  try {
    const r = JSON.parse(line) as Reply
    // laytest serve, or KLayout running laytest's macro: the same JSON requests
    if (r.ok && (r.server === 'laytest' || r.server === 'laytest-klayout')) return 'laytest'
  } catch {
    // neither
  }
  throw new ViewerError(`${host}:${port} answers, but neither as laytest nor as lyipc (${line.slice(0, 120)})`)
}

/** The laytest bin next to this module (dist/), or the built one when running from the TypeScript sources. */
function cliPath(): string {
  const here = fileURLToPath(new URL('../main.js', import.meta.url))
  return existsSync(here) ? here : fileURLToPath(new URL('../../dist/main.js', import.meta.url))
}

/**
 * Connects to the viewer; if nothing listens, launches `laytest serve` (detached, it outlives this process) and
 * waits until it answers. A port held by a plain lyipc server (KLayout with lyipc) is used with lyipc commands.
 */
export async function connectViewer(opts: ViewerOptions = {}): Promise<ViewerConnection> {
  const { host, port } = viewerAddress(opts)
  const timeout = opts.timeout ?? 5000
  const map = pathMapOf(opts)
  const token = (): string | null => (opts.token !== undefined ? opts.token : readToken())
  const first = await probe(host, port, timeout, token())
  if (first) return new ViewerConnection(host, port, first, timeout, token(), map)
  if (opts.launch === false) throw new ViewerError(`no viewer listens on ${host}:${port} (start one with: laytest serve --port ${port})`)
  let child
  let what: string
  if (opts.viewer === 'klayout') {
    // KLayout with laytest's macro and a configuration without start-up dialogs (not written back: -t)
    const dir = mkdtempSync(join(tmpdir(), 'laytest-klayout-'))
    const macro = join(dir, 'laytest_viewer.py'), config = join(dir, 'klayoutrc')
    writeFileSync(macro, KLAYOUT_MACRO_PY)
    writeFileSync(config, KLAYOUT_CONFIG)
    const exe = process.env.LAYTEST_KLAYOUT ?? 'klayout'
    what = `${exe} -c ${config} -t -rm ${macro}`
    child = execa(exe, ['-c', config, '-t', '-rm', macro], { detached: true, stdio: 'ignore', cleanup: false, reject: false, env: { LAYTEST_KLAYOUT_PORT: String(port) } })
  } else {
    const cli = cliPath()
    if (!existsSync(cli)) throw new ViewerError(`no viewer on ${host}:${port}, and the laytest bin to launch one is not built (${cli}): run npm run build`)
    what = `laytest serve --port ${port}`
    child = execa(process.execPath, [cli, 'serve', '--port', String(port), '--host', host], { detached: true, stdio: 'ignore', cleanup: false, reject: false })
  }
  child.unref()
  // a program that cannot be started (not on PATH) or that stops at once is reported now, not after the timeout
  let ended: { code?: string; exitCode?: number; signal?: string; message?: string } | null = null
  void child.then((r) => { ended = r as typeof ended }, (e: unknown) => { ended = { message: (e as Error).message } })
  const deadline = Date.now() + (opts.launchTimeout ?? 10000)
  let tries = 0
  while (Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 100))
    const gone = ended as { code?: string; exitCode?: number; signal?: string; message?: string } | null
    if (gone) {
      // another client's viewer may have taken the port first
      const k = await probe(host, port, timeout, token()).catch(() => null)
      if (k) return new ViewerConnection(host, port, k, timeout, token(), map)
      if (gone.code === 'ENOENT') throw new ViewerError(`cannot start "${what.split(' ')[0]}": not found${opts.viewer === 'klayout' ? ' (install KLayout, or set LAYTEST_KLAYOUT to its program)' : ''}`)
      throw new ViewerError(`no viewer on ${host}:${port}: "${what}" stopped at once (${gone.exitCode !== undefined ? `exit code ${gone.exitCode}` : gone.signal ?? gone.message ?? 'no reason given'})`)
    }
    tries++
    const k = await probe(host, port, timeout, token()).catch(() => null)
    if (k) {
      const c = new ViewerConnection(host, port, k, timeout, token(), map)
      c.launched = { pid: child.pid, command: what }
      return c
    }
  }
  throw new ViewerError(`no viewer on ${host}:${port}; launched "${what}" (pid ${child.pid ?? '?'}) and asked ${tries} times in ${opts.launchTimeout ?? 10000} ms without an answer`)
}

/**
 * Sends a GDS file to klive (gdsfactory's KLayout plugin, 127.0.0.1:8082): one JSON object out, one JSON object
 * back; klive does not close the connection, so the reply is parsed as soon as it is complete.
 */
export function sendToKlive(gds: string, opts: { host?: string; port?: number; timeout?: number } = {}): Promise<Record<string, unknown>> {
  const host = opts.host ?? '127.0.0.1', port = opts.port ?? 8082, timeout = opts.timeout ?? 5000
  return new Promise((resolve, reject) => {
    const s = connect({ host, port })
    let buf = ''
    const finish = (err: Error | null, v?: Record<string, unknown>): void => {
      clearTimeout(timer)
      s.destroy()
      if (err) reject(err)
      else resolve(v!)
    }
    const timer = setTimeout(() => finish(new ViewerError(`no reply from klive at ${host}:${port} within ${timeout} ms: is KLayout with the klive plugin running?`)), timeout)
    s.on('connect', () => s.write(JSON.stringify({ gds, keep_position: true }) + '\n'))
    s.on('data', (d) => {
      buf += d.toString('utf8')
      const obj = firstJsonObject(buf)
      if (obj) finish(null, obj)
    })
    s.on('error', (e) => finish((e as NodeJS.ErrnoException).code === 'ECONNREFUSED' ? new ViewerError(`klive is not listening on ${host}:${port}: start KLayout with the klive plugin`) : e))
  })
}

/** The first complete JSON object in a text (braces balanced outside strings), or null if incomplete. */
function firstJsonObject(text: string): Record<string, unknown> | null {
  const start = text.indexOf('{')
  if (start < 0) return null
  let depth = 0, inStr = false, esc = false
  for (let i = start; i < text.length; i++) {
    const c = text[i]!
    if (inStr) {
      if (esc) esc = false
      else if (c === '\\') esc = true
      else if (c === '"') inStr = false
    } else if (c === '"') inStr = true
    else if (c === '{') depth++
    else if (c === '}' && --depth === 0) return JSON.parse(text.slice(start, i + 1)) as Record<string, unknown>
  }
  return null
}
