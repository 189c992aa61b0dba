import { existsSync, mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { KLAYOUT_MACRO_PY } from './klayout-macro.js'
import { connect, type Socket } from 'node:net'
import { fileURLToPath } from 'node:url'
import { execa } from 'execa'
import { DEFAULT_PORT, type DiffMessage, type Reply, type Request } from './protocol.js'

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
}

/** host:port from the options, else LAYTEST_VIEWER=host:port, else 127.0.0.1:11078. */
export function viewerAddress(opts: ViewerOptions = {}): { host: string; port: number } {
  const env = process.env.LAYTEST_VIEWER
  const m = env ? /^(.*):(\d+)$/.exec(env) : null
  return { host: opts.host ?? m?.[1] ?? '127.0.0.1', port: opts.port ?? (m ? Number(m[2]) : DEFAULT_PORT) }
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
    s.on('connect', () => s.write(line.endsWith('\n') ? line : `${line}\n`))
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
  ) {}

  async request(req: Request): Promise<Reply> {
    if (this.kind !== 'laytest') throw new ViewerError(`${this.host}:${this.port} is an lyipc server: it takes load, reload view and cellview only`)
    const line = await exchange(this.host, this.port, JSON.stringify({ id: this.nextId++, ...req }), this.timeout)
    let r: Reply
    try {
      r = JSON.parse(line) as Reply
    } catch {
      throw new ViewerError(`unexpected reply from ${this.host}:${this.port}: ${line.slice(0, 200)}`)
    }
    if (!r.ok) throw new ViewerError(`viewer refused ${req.cmd}: ${r.error ?? 'no reason given'}`)
    return r
  }

  /** Shows a diff: laytest's `diff` request, or with lyipc the reference, the test and the XOR as layouts of one view. */
  async diff(d: DiffMessage): Promise<void> {
    if (this.kind === 'laytest') {
      await this.request({ cmd: 'diff', ...d })
      return
    }
    const files = [d.reference, d.test, d.xor].filter((f): f is string => typeof f === 'string')
    for (const [i, f] of files.entries()) {
      const r = await exchange(this.host, this.port, `load ${lyipcPath(f)} ${i === 0 ? 1 : 2}`, this.timeout)
      if (!r.startsWith('ACK')) throw new ViewerError(`lyipc server at ${this.host}:${this.port} answered ${r} to load ${f}`)
    }
  }

  /** Loads one layout (mode 0 replace, 1 new view, 2 add to the current view). */
  async load(path: string, mode: 0 | 1 | 2 = 0): Promise<void> {
    if (this.kind === 'laytest') await this.request({ cmd: 'load', path, mode })
    else await exchange(this.host, this.port, `load ${lyipcPath(path)} ${mode}`, this.timeout)
  }
}

/** A path as lyipc clients send it: bare, in double quotes only when it contains a space. */
function lyipcPath(p: string): string {
  return p.includes(' ') ? `"${p}"` : p
}

/** Asks who is listening: laytest (hello reply), lyipc (ACK to an unknown line), or nobody (null). */
async function probe(host: string, port: number, timeout: number): Promise<'laytest' | 'lyipc' | null> {
  let line: string
  try {
    line = await exchange(host, port, JSON.stringify({ id: 0, cmd: 'hello' }), timeout)
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code
    if (code === 'ECONNREFUSED' || code === 'ECONNRESET') return null
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
  const first = await probe(host, port, timeout)
  if (first) return new ViewerConnection(host, port, first, timeout)
  if (opts.launch === false) throw new ViewerError(`no viewer listens on ${host}:${port} (start one with: laytest serve --port ${port})`)
  let child
  let what: string
  if (opts.viewer === 'klayout') {
    // KLayout with laytest's macro; -nc: no configuration file, hence no start-up dialogs
    const macro = join(mkdtempSync(join(tmpdir(), 'laytest-klayout-')), 'laytest_viewer.py')
    writeFileSync(macro, KLAYOUT_MACRO_PY)
    what = `klayout -nc -rm ${macro}`
    child = execa('klayout', ['-nc', '-rm', macro], { detached: true, stdio: 'ignore', cleanup: false, reject: false, env: { LAYTEST_KLAYOUT_PORT: String(port) } })
  } else {
    const cli = cliPath()
    if (!existsSync(cli)) throw new ViewerError(`no viewer on ${host}:${port}, and the laytest bin to launch one is not built (${cli}): run npm run build`)
    what = `laytest serve --port ${port}`
    child = execa(process.execPath, [cli, 'serve', '--port', String(port), '--host', host], { detached: true, stdio: 'ignore', cleanup: false, reject: false })
  }
  child.unref()
  void child.catch(() => {})
  const deadline = Date.now() + (opts.launchTimeout ?? 10000)
  let tries = 0
  while (Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 100))
    tries++
    const k = await probe(host, port, timeout).catch(() => null)
    if (k) {
      const c = new ViewerConnection(host, port, k, timeout)
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
