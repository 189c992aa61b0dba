import type { AssertionRecord } from './matcher.js'
import type { ReportOptions } from './report.js'

/**
 * Where failures go with --open-diff / LAYTEST_OPEN_DIFF=1: a function that sends them to the viewer. The IPC
 * layer registers the real sender (setOpenDiffSender); until then failures are listed with their XOR files so a
 * person can open them.
 */
export type OpenDiffSender = (failures: AssertionRecord[], opts: ReportOptions) => Promise<void>

let sender: OpenDiffSender | null = null

export function setOpenDiffSender(s: OpenDiffSender | null): void {
  sender = s
}

export async function openDiffHook(failures: AssertionRecord[], opts: ReportOptions): Promise<void> {
  if (!failures.length) return
  if (sender) return sender(failures, opts)
  process.stdout.write(`laytest: --open-diff: no viewer connection available; open these in KLayout:\n${failures.map((f) => `  ${f.reference}  ${f.results ?? ''}/xor.gds`).join('\n')}\n`)
}
