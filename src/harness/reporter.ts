/**
 * The vitest reporter `laytest/reporter`: after a run, writes laytest-results/index.html and summary.json with
 * every layout assertion (failures first), and lists references no test used. Keep vitest's own reporters
 * next to it:
 *
 *   // vitest.config.ts
 *   test: { setupFiles: ['laytest/vitest'], reporters: ['default', 'laytest/reporter'] }
 *   // in CI also 'junit' (outputFile) and 'github-actions'
 *
 * With LAYTEST_OPEN_DIFF=1 (or `laytest test --open-diff`) failures are handed to the viewer hook.
 */
import { clearRecords, removeUnused, writeRunReport, type ReportOptions, type RunSummary } from './report.js'
import { openDiffHook } from './open-diff.js'
import { CacheStore } from '../cache/store.js'

export interface LaytestReporterOptions extends ReportOptions {
  /** Delete references that no assertion used (only sensible after a run of every test file). */
  removeUnused?: boolean
}

export default class LaytestReporter {
  private readonly opts: LaytestReporterOptions

  constructor(opts: LaytestReporterOptions = {}) {
    this.opts = { ...opts, removeUnused: opts.removeUnused ?? process.env.LAYTEST_REMOVE_UNUSED === '1' }
  }

  onTestRunStart(): void {
    clearRecords(this.opts)
    new CacheStore({ root: this.opts.root }).resetRecorded()
  }

  async onTestRunEnd(): Promise<void> {
    // keep the session cache under its size cap (least recently used entries go first)
    new CacheStore({ root: this.opts.root }).prune()
    const s: RunSummary = writeRunReport(this.opts)
    if (s.total === 0) return
    const out = this.opts.resultsDir ?? 'laytest-results'
    const cached = s.assertions.filter((a) => a.cached).length
    const lines = [`laytest: ${s.failed} failed, ${s.passed} passed${cached ? ` (${cached} from the session cache)` : ''}, ${s.written} written, ${s.updated} updated — report: ${out}/index.html`]
    if (s.unused.length) {
      if (this.opts.removeUnused) {
        removeUnused(s, this.opts)
        lines.push(`laytest: removed ${s.unused.length} unused reference(s)`)
      } else {
        lines.push(`laytest: ${s.unused.length} reference(s) not used by this run (remove with LAYTEST_REMOVE_UNUSED=1 after a full run): ${s.unused.slice(0, 5).join(', ')}${s.unused.length > 5 ? ', ...' : ''}`)
      }
    }
    process.stdout.write(lines.join('\n') + '\n')
    if (process.env.LAYTEST_OPEN_DIFF === '1') await openDiffHook(s.assertions.filter((a) => a.status === 'failed'), this.opts)
  }
}
