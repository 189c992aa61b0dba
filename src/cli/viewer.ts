import { existsSync, readFileSync } from 'node:fs'
import { resolve } from 'node:path'
import type { AssertionRecord } from '../harness/matcher.js'
import { connectViewer, type ViewerOptions } from '../ipc/client.js'
import { startViewerServer } from '../ipc/server.js'
import { UsageError } from './errors.js'

/** `laytest serve`: runs the viewer server until a shutdown request (or the process is stopped). */
export async function serveCommand(opts: { port?: number; host?: string }, out: { write(s: string): unknown }): Promise<void> {
  const { server, host, port } = await startViewerServer({ port: opts.port, host: opts.host })
  out.write(`laytest viewer listening on ${host}:${port}\n`)
  await new Promise<void>((r) => server.once('closed', () => r()))
}

/** Sends failures (records of a run's summary.json) to the viewer as diffs; returns a line saying where. */
export async function sendFailures(failures: AssertionRecord[], root: string, opts: ViewerOptions = {}): Promise<string> {
  if (!failures.length) return 'laytest: no failures to show\n'
  const v = await connectViewer(opts)
  for (const f of failures) {
    const abs = (p: string | undefined): string | undefined => (p && existsSync(resolve(root, p)) ? resolve(root, p) : undefined)
    await v.diff({
      title: `${f.file} › ${f.test}`, reference: abs(f.reference),
      test: abs(f.results ? `${f.results}/actual.gds` : undefined), xor: abs(f.results ? `${f.results}/xor.gds` : undefined), layers: f.layers,
    })
  }
  return `laytest: ${failures.length} failure(s) sent to the ${v.kind === 'lyipc' ? 'lyipc (KLayout)' : 'laytest'} viewer at ${v.host}:${v.port}\n`
}

/** `laytest open-diff [summary.json]`: the failures of the last test run to the viewer. */
export async function openDiffCommand(summaryFile: string | undefined, opts: ViewerOptions): Promise<string> {
  const file = resolve(summaryFile ?? 'laytest-results/summary.json')
  if (!existsSync(file)) throw new UsageError(`${file}: no test run summary (run the tests with the laytest/reporter reporter)`)
  const s = JSON.parse(readFileSync(file, 'utf8')) as { assertions: AssertionRecord[] }
  return sendFailures(s.assertions.filter((a) => a.status === 'failed'), process.cwd(), opts)
}
