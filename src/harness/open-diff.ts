import { existsSync } from 'node:fs'
import { resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { AssertionRecord } from './matcher.js'
import type { ReportOptions } from './report.js'

/**
 * Where failures go with --open-diff / LAYTEST_OPEN_DIFF=1. The harness does not import the IPC layer (it sits
 * above it): it runs the bin's `open-diff` command, or a sender registered with setOpenDiffSender.
 */
export type OpenDiffSender = (failures: AssertionRecord[], opts: OpenDiffOptions) => Promise<void>

/** The report's options, and the summary.json the failures come from (default <resultsDir>/summary.json). */
export type OpenDiffOptions = ReportOptions & { summaryFile?: string }

let sender: OpenDiffSender | null = null

export function setOpenDiffSender(s: OpenDiffSender | null): void {
  sender = s
}

/**
 * Sends the failures of a run to the viewer: a registered sender, else the laytest bin's `open-diff` command on
 * the run's summary.json (it connects, or launches `laytest serve`). If that fails, the files are listed so a
 * person can open them.
 */
export async function openDiffHook(failures: AssertionRecord[], opts: OpenDiffOptions): Promise<void> {
  if (!failures.length) return
  if (sender) return sender(failures, opts)
  const root = opts.root ?? process.cwd()
  const summary = opts.summaryFile ?? resolve(root, opts.resultsDir ?? 'laytest-results', 'summary.json')
  const bin = fileURLToPath(new URL('../main.js', import.meta.url))
  const { execa } = await import('execa')
  const r = existsSync(bin) ? await execa(process.execPath, [bin, 'open-diff', summary], { cwd: root, reject: false, all: true }) : null
  if (r && r.exitCode === 0) {
    process.stdout.write(r.stdout)
    return
  }
  process.stdout.write(`laytest: --open-diff: the viewer could not be reached${r ? ` (${(r.all ?? '').trim().split('\n').pop()})` : ''}; open these in KLayout:\n` +
    failures.map((f) => `  ${f.reference}  ${f.results ?? ''}/xor.gds`).join('\n') + '\n')
}
