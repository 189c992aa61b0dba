/** The viewer's command-line commands (laytest serve, open, open-diff, klayout install, diff --open-diff). */
import { existsSync, mkdirSync, mkdtempSync, readFileSync } from 'node:fs'
import { homedir, tmpdir } from 'node:os'
import { diffLayouts, writeXorGds } from '../diff/index.js'
import { readLayoutFile } from './files.js'
import { writeFileAtomic } from '../layout/gdsio.js'
import { klayoutMacroLym } from './klayout-macro.js'
import { join, resolve } from 'node:path'
import type { AssertionRecord } from '../harness/matcher.js'
import { connectViewer, type ViewerConnection, type ViewerOptions } from './client.js'
import { startViewerServer } from './server.js'
import { ViewerHttp } from './http.js'
import { readLyp } from '../render/lyp.js'
import { execa } from 'execa'
import { UsageError } from '../cli/errors.js'
import type { ViewerCommands } from '../cli/run.js'
import type { DiffMessage } from './protocol.js'

/** `laytest serve`: the IPC server and the web viewer, until a shutdown request (or the process is stopped). */
export async function serveCommand(
  opts: { port?: number; host?: string; httpPort?: number; lyp?: string; http?: boolean; maxMemory?: number; maxConnections?: number },
  out: { write(s: string): unknown },
): Promise<void> {
  // the layer properties first: a bad file is an error before anything listens
  const styles = opts.lyp ? readLyp(opts.lyp) : undefined
  const { server, host, port } = await startViewerServer({ port: opts.port, host: opts.host, maxMemory: opts.maxMemory, maxConnections: opts.maxConnections })
  let url = ''
  if (opts.http !== false) {
    try {
      const web = new ViewerHttp(server, { port: opts.httpPort, host: opts.host, styles })
      url = await web.listen()
    } catch (e) {
      // (e.g. the web port is taken): the command fails, and the IPC server it started must not keep it alive
      await server.close()
      throw e
    }
    server.viewerUrl = url
  }
  out.write(`laytest viewer: IPC on ${host}:${port}${url ? `, web viewer ${url}` : ''}\n`)
  await new Promise<void>((r) => server.once('closed', () => r()))
}

/** `laytest open`: the web viewer in the user's browser (the server is started if needed). */
export async function openCommand(opts: ViewerOptions): Promise<string> {
  const v = await connectViewer(opts)
  const url = (await v.request({ cmd: 'hello' })).url
  if (typeof url !== 'string' || !url) throw new UsageError(`the viewer at ${v.host}:${v.port} has no web page (started with --no-http?)`)
  const opener = process.platform === 'darwin' ? 'open' : process.platform === 'win32' ? 'explorer' : 'xdg-open'
  const child = execa(opener, [url], { detached: true, stdio: 'ignore', reject: false })
  child.unref()
  void child.catch(() => {})
  return `${url}\n${await launchedNotice(v)}`
}

/**
 * When this command started the viewer: its URL, PID and how to stop it (it keeps running after the command, so
 * a person must know it is there).
 */
async function launchedNotice(v: ViewerConnection): Promise<string> {
  if (!v.launched) return ''
  let pid = v.launched.pid
  let url = ''
  if (v.kind === 'laytest') {
    try {
      const hello = await v.request({ cmd: 'hello' })
      if (typeof hello.url === 'string') url = hello.url
      if (typeof hello.pid === 'number') pid = hello.pid
    } catch {
      // the notice is best effort: the command itself worked
    }
  }
  const stop = v.kind === 'laytest' ? `laytest serve --stop --port ${v.port}` : pid === undefined ? 'stop its process' : process.platform === 'win32' ? `taskkill /PID ${pid}` : `kill ${pid}`
  return `laytest: started a viewer (${v.launched.command}, pid ${pid ?? '?'}) listening on ${v.host}:${v.port}${url ? `; web viewer: ${url}` : ''}\n` +
    `laytest: it keeps running for the next diffs; stop it with: ${stop}\n`
}

/** Sends failures (records of a run's summary.json) to the viewer as diffs; returns a line saying where. */
export async function sendFailures(failures: AssertionRecord[], root: string, opts: ViewerOptions = {}): Promise<string> {
  if (!failures.length) return 'laytest: no failures to show\n'
  const v = await connectViewer(opts)
  for (const f of failures) {
    const abs = (p: string | undefined): string | undefined => (p && existsSync(resolve(root, p)) ? resolve(root, p) : undefined)
    await v.diff({
      // a downloaded CI artifact has the reference in the failure's folder
      title: `${f.file} › ${f.test}`, reference: abs(f.reference) ?? abs(f.results ? `${f.results}/expected.gds` : undefined),
      test: abs(f.results ? `${f.results}/actual.gds` : undefined), xor: abs(f.results ? `${f.results}/xor.gds` : undefined), layers: f.layers,
    })
  }
  return `laytest: ${failures.length} failure(s) sent to the ${v.kind === 'lyipc' ? 'lyipc (KLayout)' : 'laytest'} viewer at ${v.host}:${v.port}\n${await launchedNotice(v)}`
}

/** `laytest open-diff [summary.json]`: the failures of the last test run to the viewer. */
export async function openDiffCommand(summaryFile: string | undefined, opts: ViewerOptions): Promise<string> {
  const file = resolve(summaryFile ?? 'laytest-results/summary.json')
  if (!existsSync(file)) throw new UsageError(`${file}: no test run summary (run the tests with the laytest/reporter reporter)`)
  let s: { assertions?: unknown }
  try {
    s = JSON.parse(readFileSync(file, 'utf8')) as { assertions?: unknown }
  } catch (e) {
    throw new UsageError(`${file}: not a laytest run summary (${e instanceof SyntaxError ? 'not JSON' : (e as NodeJS.ErrnoException).code ?? 'unreadable'})`)
  }
  if (!s || typeof s !== 'object' || !Array.isArray(s.assertions) || !s.assertions.every((a) => a && typeof a === 'object')) {
    throw new UsageError(`${file}: not a laytest run summary (no "assertions" list; laytest/reporter writes laytest-results/summary.json)`)
  }
  return sendFailures((s.assertions as AssertionRecord[]).filter((a) => a.status === 'failed'), process.cwd(), opts)
}

/** `laytest klayout install [--dir D]`: laytest's macro into KLayout's macro folder (autorun). */
export function klayoutInstallCommand(dir: string | undefined): string {
  const target = dir ?? join(homedir(), '.klayout', 'pymacros')
  mkdirSync(target, { recursive: true })
  const file = join(target, 'laytest_viewer.lym')
  writeFileAtomic(file, klayoutMacroLym())
  return `${file}: installed; KLayout now serves laytest diffs on port 11078 (LAYTEST_KLAYOUT_PORT to change) when it starts\n`
}

/** `laytest diff --open-diff`: one difference to the viewer (started if needed). */
export async function sendDiff(d: DiffMessage, viewer: 'laytest' | 'klayout'): Promise<string> {
  const v = await connectViewer({ viewer, launchTimeout: viewer === 'klayout' ? 30000 : undefined })
  // KLayout (laytest's macro, or lyipc) shows what it is sent: the XOR is always computed for it
  if (!d.xor && d.reference && d.test && (viewer === 'klayout' || v.kind === 'lyipc')) d = { ...d, xor: await xorFile(d.reference, d.test) }
  await v.diff(d)
  return `laytest: sent to the viewer at ${v.host}:${v.port}\n${await launchedNotice(v)}`
}

/** The XOR of two layout files, written to a temporary GDS file. */
export async function xorFile(reference: string, test: string): Promise<string> {
  const outcome = await diffLayouts(readLayoutFile(reference), readLayoutFile(test))
  const file = join(mkdtempSync(join(tmpdir(), 'laytest-xor-')), 'xor.gds')
  await writeXorGds(outcome, file)
  return file
}

/** `laytest serve --stop`: shuts down the viewer listening on the port. */
export async function stopCommand(opts: ViewerOptions): Promise<string> {
  const v = await connectViewer({ ...opts, launch: false })
  const pid = (await v.request({ cmd: 'hello' })).pid
  await v.request({ cmd: 'shutdown' })
  return `laytest: stopped the viewer on ${v.host}:${v.port}${typeof pid === 'number' ? ` (pid ${pid})` : ''}\n`
}

/** What the command line needs from the viewer, handed to runCli by the program (src/main.ts). */
export const viewerCommands: ViewerCommands = {
  serve: serveCommand, open: openCommand, openDiff: openDiffCommand, klayoutInstall: klayoutInstallCommand, sendDiff, stop: stopCommand,
}
