/**
 * The vitest reporter `laytest/reporter`: after a run, writes laytest-results/index.html and summary.json with
 * every layout assertion (failures first), and lists references no test used. Keep vitest's own reporters
 * next to it:
 *
 *   // vitest.config.ts
 *   test: { setupFiles: ['laytest/vitest'], reporters: ['default', 'laytest/reporter'] }
 *   // in CI also 'junit' (outputFile) and 'github-actions'
 *
 * The assertions travel in the tests' task meta, so a sharded run (`--shard=i/n --reporter=blob`) merged with
 * `vitest --merge-reports` gets one complete report. A shard's own report goes to laytest-results/shard-i-of-n/.
 *
 * With LAYTEST_OPEN_DIFF=1 (or `laytest test --open-diff`) failures are handed to the viewer hook; with
 * GITHUB_STEP_SUMMARY set, a Markdown summary is appended to the job's summary.
 */
import { appendFileSync } from 'node:fs'
import { join, relative } from 'node:path'
import { cleanResults, clearRecords, countsLine, markdownSummary, readRecords, removeUnused, reportFolder, writeReport, writeRunReport, type ModuleOutcome, type ReportOptions, type RunInfo, type RunSummary, type TestOutcome } from './report.js'
import { openDiffHook } from './open-diff.js'
import type { AssertionRecord } from './matcher.js'
import { META_KEY } from './config.js'
import { CacheStore } from '../cache/store.js'

export interface LaytestReporterOptions extends ReportOptions {
  /** Delete references that no assertion used (only those of test files that ran completely, in an unfiltered run). */
  removeUnused?: boolean
}

/*
 * The parts of vitest's reporter API used here, typed structurally: laytest does not import vitest (an optional
 * peer), and what is missing in another vitest version only makes the reporter more careful (no cleanup).
 */
interface SpecLike {
  moduleId: string
  project?: { name?: string }
}
interface TestErrorLike {
  message?: string
  name?: string
}
interface TestCaseLike {
  meta(): object
  result(): { state: string; errors?: ReadonlyArray<TestErrorLike> }
}
interface TestModuleLike {
  moduleId: string
  project?: { name?: string }
  state(): string
  children: { allTests(): Iterable<TestCaseLike> }
}
interface VitestLike {
  config?: {
    root?: string
    shard?: { index: number; count: number }
    bail?: number
    mergeReports?: string
    watch?: boolean
    testNamePattern?: RegExp
    /** vitest's test sequencer (it decides which files a shard runs). */
    sequence?: { sequencer?: new (vitest: unknown) => { shard(files: SpecLike[]): Promise<ReadonlyArray<SpecLike>> | ReadonlyArray<SpecLike> } }
  }
  getGlobalTestNamePattern?(): RegExp | undefined
  globTestSpecifications?(filters?: string[]): Promise<ReadonlyArray<SpecLike>>
}

const specKey = (s: { moduleId: string; project?: { name?: string } }): string => `${s.project?.name ?? ''}\0${s.moduleId}`

export default class LaytestReporter {
  private readonly opts: LaytestReporterOptions
  private vitest: VitestLike | null = null
  /** Test files of the project that this run left out (null: could not tell). */
  private missing: number | null = null
  private allCount = 0
  private runs = 0

  constructor(opts: LaytestReporterOptions = {}) {
    this.opts = { ...opts, removeUnused: opts.removeUnused ?? process.env.LAYTEST_REMOVE_UNUSED === '1' }
  }

  onInit(vitest: unknown): void {
    this.vitest = vitest as VitestLike
  }

  private get root(): string {
    return this.opts.root ?? process.cwd()
  }

  private rel(moduleId: string): string {
    return relative(this.root, moduleId).split('\\').join('/')
  }

  async onTestRunStart(specifications: ReadonlyArray<SpecLike> = []): Promise<void> {
    this.runs++
    const config = this.vitest?.config
    // did every test file of the project get into this run? (a file filter, --changed, --project, a watch re-run: no)
    this.missing = null
    try {
      const all = await this.vitest?.globTestSpecifications?.()
      if (all) {
        const here = new Set(specifications.map(specKey))
        this.allCount = all.length
        this.missing = all.filter((s) => !here.has(specKey(s))).length
      }
    } catch {
      this.missing = null
    }
    if (config?.mergeReports) return // the shards' artifacts are the input of a merge: nothing is cleared
    clearRecords(this.opts)
    new CacheStore({ root: this.opts.root }).resetRecorded()
    // fresh results: a shard or a watch re-run clears only its own test files' folders and its own report
    const shard = config?.shard
    if (shard) cleanResults(this.opts, { files: await this.shardFiles(specifications), reportDir: reportFolder(this.opts, shard) })
    else if (this.runs > 1) cleanResults(this.opts, { files: new Set(specifications.map((s) => this.rel(s.moduleId))) })
    else cleanResults(this.opts)
  }

  /**
   * The test files of this shard. vitest hands reporters every file of the run and shards them afterwards, with
   * the configured sequencer; asking that sequencer gives the same files. Nothing when it cannot be asked.
   */
  private async shardFiles(specifications: ReadonlyArray<SpecLike>): Promise<Set<string>> {
    try {
      const Sequencer = this.vitest?.config?.sequence?.sequencer
      if (typeof Sequencer !== 'function') return new Set()
      const mine = await new Sequencer(this.vitest).shard([...specifications])
      return new Set(mine.map((s) => this.rel(s.moduleId)))
    } catch {
      return new Set()
    }
  }

  /** Why unused references cannot be decided for this run as a whole. */
  private vetoes(reason: string | undefined, unhandled: number, anyFailed: boolean): string[] {
    const v: string[] = []
    const config = this.vitest?.config
    if (!this.vitest || !config) return ['no information from vitest about which test files ran']
    const pattern = this.vitest.getGlobalTestNamePattern?.() ?? config.testNamePattern
    if (pattern) v.push(`the tests were filtered by name (-t ${pattern.source})`)
    if (config.shard) v.push(`this is shard ${config.shard.index} of ${config.shard.count} (the merged report, vitest --merge-reports, lists unused references)`)
    if (this.missing === null) v.push('could not tell whether every test file ran')
    else if (this.missing > 0) v.push(`only ${this.allCount - this.missing} of ${this.allCount} test files ran (a file filter, --changed, --related or --project)`)
    if (config.bail && anyFailed) v.push(`--bail ${config.bail} may have stopped the run early`)
    if (reason === 'interrupted') v.push('the run was interrupted')
    if (unhandled) v.push(`${unhandled} unhandled error(s)`)
    return v
  }

  async onTestRunEnd(testModules: ReadonlyArray<unknown> = [], unhandledErrors: ReadonlyArray<unknown> = [], reason?: string): Promise<void> {
    const config = this.vitest?.config
    const merged = !!config?.mergeReports
    // keep the session cache under its size cap (least recently used entries go first)
    if (!merged) new CacheStore({ root: this.opts.root }).prune()
    const modules = (testModules as ReadonlyArray<TestModuleLike>).map((m) => this.moduleOutcome(m))
    const anyFailed = modules.some((m) => m.state === 'failed')
    const run: RunInfo = {
      modules, extra: merged ? [] : readRecords(this.opts), vetoes: this.vetoes(reason, unhandledErrors.length, anyFailed),
      ...(config?.shard ? { shard: { index: config.shard.index, count: config.shard.count } } : {}), ...(merged ? { merged: true } : {}),
    }
    const s: RunSummary = writeRunReport(this.opts, run)
    const lines: string[] = []
    const report = relative(this.root, join(reportFolder(this.opts, run.shard), 'index.html')).split('\\').join('/')
    if (s.total) lines.push(`laytest: ${countsLine(s)} — report: ${report}`)
    if (s.unused.length) {
      if (this.opts.removeUnused) {
        // listed first, then removed
        lines.push(`laytest: removing ${s.unused.length} unused reference(s):`, ...s.unused.map((u) => `  ${u}`))
        process.stdout.write(lines.splice(0).join('\n') + '\n')
        removeUnused(s, this.opts)
        writeReport(s, this.opts) // the report says they are gone
        lines.push(`laytest: removed ${s.unused.length} unused reference(s)`)
      } else {
        lines.push(`laytest: ${s.unused.length} reference(s) not used by any test (LAYTEST_REMOVE_UNUSED=1 removes them): ${s.unused.slice(0, 5).join(', ')}${s.unused.length > 5 ? ', ...' : ''}`)
      }
    }
    if (this.opts.removeUnused) {
      if (s.cleanup.skipped.length) lines.push(`laytest: unused references were not removed: ${s.cleanup.skipped.join('; ')}`)
      else if (s.cleanup.kept.length) lines.push(`laytest: kept the references of ${s.cleanup.kept.length} test file(s) that did not run completely: ${s.cleanup.kept.map((k) => `${k.file} (${k.reason})`).join(', ')}`)
    }
    if (lines.length) process.stdout.write(lines.join('\n') + '\n')
    if (process.env.GITHUB_STEP_SUMMARY && (s.total || s.unused.length)) {
      try {
        appendFileSync(process.env.GITHUB_STEP_SUMMARY, markdownSummary(s, this.opts))
      } catch (e) {
        process.stdout.write(`laytest: could not append to GITHUB_STEP_SUMMARY: ${(e as Error).message}\n`)
      }
    }
    if (process.env.LAYTEST_OPEN_DIFF === '1' && !merged) {
      await openDiffHook(s.assertions.filter((a) => a.status === 'failed'), { ...this.opts, summaryFile: join(reportFolder(this.opts, run.shard), 'summary.json') })
    }
  }

  private moduleOutcome(m: TestModuleLike): ModuleOutcome {
    const tests: TestOutcome[] = []
    for (const t of m.children.allTests()) {
      const r = t.result()
      const state = r.state === 'passed' || r.state === 'failed' || r.state === 'skipped' ? r.state : 'pending'
      const meta = t.meta() as Record<string, unknown>
      const records = Array.isArray(meta[META_KEY]) ? (meta[META_KEY] as AssertionRecord[]) : []
      tests.push({ state, errors: (r.errors ?? []).map((e) => `${e.name && e.name !== 'Error' ? `${e.name}: ` : ''}${e.message ?? ''}`), records })
    }
    return { file: this.rel(m.moduleId), state: m.state(), tests }
  }
}
