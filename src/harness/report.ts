import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs'
import { join, relative, resolve } from 'node:path'
import { writeFileAtomic } from '../layout/gdsio.js'
import type { AssertionRecord, LayerRecord } from './matcher.js'
import { referenceFolder } from './reference.js'
import { fmtArea } from './summary.js'

/*
 * The run report: every toMatchReference assertion of a run, written as summary.json and a static index.html
 * that work offline from a CI artifact: every link stays inside the results folder (a failure folder holds a
 * copy of the reference), no scripts or styles from elsewhere.
 *
 * The records come from the tests' task meta (the reporter collects them from vitest's test modules, so they
 * travel with blob reports to `vitest --merge-reports`), plus the fallback files of matchers that had no task.
 */

export interface ReportOptions {
  root?: string
  resultsDir?: string
  referenceDir?: string
  /** The matcher's path template, when a test file made no assertion that says it (default: laytest's). */
  pathTemplate?: string
  /** References under these path prefixes (relative to the root) are never reported or removed as unused. */
  keepUnused?: string[]
}

/** One vitest test that made layout assertions, as vitest reported it. */
export interface TestOutcome {
  /** vitest's state: the counts of layout tests are vitest's own. */
  state: 'passed' | 'failed' | 'skipped' | 'pending'
  /** vitest's error messages (for an assertion that did not finish: why). */
  errors: string[]
  /** The assertion records of every attempt. */
  records: AssertionRecord[]
}

/** One test file of the run. */
export interface ModuleOutcome {
  /** Relative to the root, "/" separated. */
  file: string
  /** vitest's module state ("passed": every hook and test passed). */
  state: string
  /** Every test of the file, with or without layout assertions. */
  tests: TestOutcome[]
}

/** What the reporter learned from vitest about a run. */
export interface RunInfo {
  modules: ModuleOutcome[]
  /** Records of matchers that had no task (read from the fallback files). */
  extra?: AssertionRecord[]
  /**
   * Why unused references cannot be decided for this run at all (a -t filter, a file filter, a shard, bail,
   * an interrupted run...). Empty: the run was complete and unfiltered.
   */
  vetoes: string[]
  shard?: { index: number; count: number }
  merged?: boolean
}

export interface RunSummary {
  /** Assertions (the last attempt of each test). */
  total: number
  passed: number
  failed: number
  written: number
  updated: number
  /** Of the above, decided by the session cache. */
  cached: number
  /** vitest's states of the tests that made layout assertions. */
  tests: { total: number; passed: number; failed: number; skipped: number }
  assertions: AssertionRecord[]
  /** References of completely run test files that no assertion used (relative to the root). */
  unused: string[]
  /** Which references were checked for use, and why others were not. */
  cleanup: {
    /** Test files whose reference folders were checked. */
    checked: string[]
    /** Test files that did not run completely: their references are kept whatever the run used. */
    kept: Array<{ file: string; reason: string }>
    /** Why nothing was checked (empty when something could be). */
    skipped: string[]
    /** References removed (LAYTEST_REMOVE_UNUSED=1 / removeUnused). */
    removed: string[]
  }
  shard?: { index: number; count: number }
  merged?: boolean
}

function dirs(opts: ReportOptions): { root: string; results: string; records: string; refs: string } {
  const root = opts.root ?? process.cwd()
  const results = resolve(root, opts.resultsDir ?? 'laytest-results')
  return { root, results, records: join(results, '.assertions'), refs: resolve(root, opts.referenceDir ?? 'reference') }
}

const slash = (p: string): string => p.split('\\').join('/')

/** Forgets the fallback records of an earlier run (call when a run starts). */
export function clearRecords(opts: ReportOptions = {}): void {
  rmSync(dirs(opts).records, { recursive: true, force: true })
}

/** The fallback records (matchers without a task): the last state of each assertion of each attempt. */
export function readRecords(opts: ReportOptions = {}): AssertionRecord[] {
  const { records } = dirs(opts)
  if (!existsSync(records)) return []
  const byKey = new Map<string, AssertionRecord>()
  for (const f of readdirSync(records).sort()) {
    for (const line of readFileSync(join(records, f), 'utf8').split('\n')) {
      if (!line.trim()) continue
      let r: AssertionRecord
      try {
        r = JSON.parse(line) as AssertionRecord
      } catch {
        continue // a line cut short by a killed worker
      }
      const key = `${r.file}\0${r.test}\0${r.name}\0${r.repeat ?? 0}\0${r.attempt ?? 0}`
      byKey.delete(key)
      byKey.set(key, r)
    }
  }
  // a retried test asserts again: the last attempt counts
  const last = new Map<string, AssertionRecord>()
  for (const r of byKey.values()) {
    const key = `${r.file}\0${r.test}\0${r.name}`
    const prev = last.get(key)
    if (!prev || attemptOf(r) >= attemptOf(prev)) {
      last.delete(key)
      last.set(key, r)
    }
  }
  return [...last.values()]
}

const attemptOf = (r: AssertionRecord): number => (r.repeat ?? 0) * 1e6 + (r.attempt ?? 0)

/** Known artifact names: a folder made of these (or with assertion.json) is a failure folder of laytest's. */
const ARTIFACT = /^(assertion\.json|report\.json|actual\.gds|expected\.gds|xor\.gds|layout-(expected|actual|diff|composite|xor)\.png)$/

/** The test file a failure folder belongs to (from its assertion.json), '' when unknown, null when not laytest's. */
function folderOwner(dir: string): string | null {
  let names: string[]
  try {
    names = readdirSync(dir)
  } catch {
    return null
  }
  if (names.length === 0 || !names.every((n) => ARTIFACT.test(n) || n.startsWith('.'))) return null
  try {
    const rec = JSON.parse(readFileSync(join(dir, 'assertion.json'), 'utf8')) as { file?: unknown }
    return typeof rec.file === 'string' ? slash(rec.file) : ''
  } catch {
    return ''
  }
}

/**
 * Fresh results for a run (as Playwright empties its output folder): removes the failure folders of earlier
 * runs and the reports. `files` limits it to the folders of these test files (root-relative; a sharded run, a
 * watch re-run) plus `reportDir`; without it everything laytest wrote goes. Nothing else in the folder is
 * touched, and references never are. Returns the removed paths (relative to the results folder).
 */
export function cleanResults(opts: ReportOptions = {}, scope: { files?: ReadonlySet<string>; reportDir?: string } = {}): string[] {
  const { results } = dirs(opts)
  if (!existsSync(results)) return []
  const removed: string[] = []
  const rm = (name: string): void => {
    rmSync(join(results, name), { recursive: true, force: true })
    removed.push(name)
  }
  for (const name of readdirSync(results)) {
    const p = join(results, name)
    let isDir = false
    try {
      isDir = statSync(p).isDirectory()
    } catch {
      continue
    }
    if (!scope.files) {
      if (!isDir && (name === 'summary.json' || name === 'index.html')) rm(name)
      else if (isDir && (/^shard-\d+-of-\d+$/.test(name) || folderOwner(p) !== null)) rm(name)
      continue
    }
    if (!isDir) continue
    if (scope.reportDir && resolve(results, scope.reportDir) === p) {
      rm(name)
      continue
    }
    const owner = folderOwner(p)
    if (owner && scope.files.has(owner)) rm(name)
  }
  return removed
}

function listGds(dir: string): string[] {
  if (!existsSync(dir)) return []
  const out: string[] = []
  for (const e of readdirSync(dir)) {
    const p = join(dir, e)
    if (statSync(p).isDirectory()) out.push(...listGds(p))
    else if (/\.(gds|oas)(\.gz)?$/i.test(e)) out.push(p)
  }
  return out
}

/** The message of an assertion that was still running when its test ended. */
function unfinished(r: AssertionRecord, t: TestOutcome): string {
  const why = t.errors.find((e) => /timed? ?out/i.test(e)) ?? t.errors[0]
  const lines = [`laytest: toMatchReference(${r.name}) did not finish: ${why ? why.split('\n')[0] : t.state === 'passed' ? 'the test ended before it (was it awaited?)' : 'the test ended before it'}`]
  if (r.generatorTimeout !== undefined) {
    lines.push(`vitest's testTimeout must be longer than the generator's timeout (${r.generatorTimeout} ms): raise testTimeout, or lower generatorTimeout / { timeout } so laytest stops the generator first.`)
  } else if (why && /timed? ?out/i.test(why)) {
    lines.push('Raise vitest\'s testTimeout (or the test\'s timeout) for large layouts.')
  }
  return lines.join('\n')
}

/** The assertions and counts of a run, and the references no completely run test file used. */
export function summarize(run: RunInfo, opts: ReportOptions = {}): RunSummary {
  const { root, refs } = dirs(opts)
  const assertions: AssertionRecord[] = []
  const used = new Set<string>()
  const tests = { total: 0, passed: 0, failed: 0, skipped: 0 }
  for (const m of run.modules) {
    for (const t of m.tests) {
      if (!t.records.length) continue
      tests.total++
      if (t.state === 'passed') tests.passed++
      else if (t.state === 'failed') tests.failed++
      else tests.skipped++
      for (const r of t.records) used.add(resolve(root, r.reference))
      // a retried test asserts again: its last attempt counts (every attempt's references are used)
      const last = Math.max(...t.records.map(attemptOf))
      for (const r of t.records) {
        if (attemptOf(r) !== last) continue
        assertions.push(r.status === 'pending' ? { ...r, status: 'failed', message: unfinished(r, t) } : { ...r })
      }
    }
  }
  for (const r of run.extra ?? []) {
    used.add(resolve(root, r.reference))
    assertions.push(r.status === 'pending' ? { ...r, status: 'failed', message: `laytest: toMatchReference(${r.name}) did not finish (the test ended first: a timeout?)` } : { ...r })
  }

  // unused references: only in the folders of test files that ran completely, unfiltered; nothing when the run
  // as a whole was filtered, sharded, stopped early or interrupted
  const cleanup: RunSummary['cleanup'] = { checked: [], kept: [], skipped: [...run.vetoes], removed: [] }
  let candidates: string[] = []
  if (cleanup.skipped.length === 0) {
    const folders = new Set<string>()
    let shared = false
    for (const m of run.modules) {
      const counts = { failed: 0, skipped: 0, pending: 0 }
      for (const t of m.tests) if (t.state !== 'passed') counts[t.state]++
      const reason = m.state !== 'passed' && !counts.failed && !counts.skipped && !counts.pending
        ? `the file ${m.state === 'failed' ? 'failed (a hook or its collection)' : `is ${m.state}`}`
        : [counts.failed && `${counts.failed} test(s) failed`, counts.skipped && `${counts.skipped} test(s) skipped (.skip, .todo, .only, -t)`, counts.pending && `${counts.pending} test(s) did not run`].filter(Boolean).join(', ')
      if (reason) {
        cleanup.kept.push({ file: m.file, reason })
        continue
      }
      const recorded = m.tests.flatMap((t) => t.records).find((r) => r.referenceFolder !== undefined)
      const folder = recorded ? recorded.referenceFolder! : referenceFolder({ root, referenceDir: opts.referenceDir, pathTemplate: opts.pathTemplate }, m.file)
      if (folder === null) shared = true
      else folders.add(folder)
      cleanup.checked.push(m.file)
    }
    if (shared) {
      // the path template lets test files share folders: only a run where every test file ran completely decides
      if (cleanup.kept.length) {
        cleanup.skipped.push(`the reference path template lets test files share folders, and ${cleanup.kept.length} test file(s) did not run completely`)
        cleanup.checked = []
      } else {
        candidates = listGds(refs)
      }
    } else {
      for (const f of folders) candidates.push(...listGds(resolve(root, f)))
    }
  }
  const keep = (opts.keepUnused ?? []).map(slash)
  const unused = [...new Set(candidates)].filter((p) => !used.has(p)).map((p) => slash(relative(root, p))).filter((p) => !keep.some((k) => p.startsWith(k))).sort()

  const count = (s: AssertionRecord['status']): number => assertions.filter((a) => a.status === s).length
  const summary: RunSummary = {
    total: assertions.length, passed: count('passed'), failed: count('failed'), written: count('written'), updated: count('updated'),
    cached: assertions.filter((a) => a.cached).length, tests,
    assertions: assertions.sort((a, b) => Number(b.status === 'failed') - Number(a.status === 'failed') || a.file.localeCompare(b.file) || a.name.localeCompare(b.name)),
    unused, cleanup,
  }
  if (run.shard) summary.shard = run.shard
  if (run.merged) summary.merged = true
  return summary
}

/** The folder a run's report goes to: the results folder, or shard-<i>-of-<n>/ in it for one shard of a sharded run. */
export function reportFolder(opts: ReportOptions, shard?: { index: number; count: number }): string {
  const { results } = dirs(opts)
  return shard ? join(results, `shard-${shard.index}-of-${shard.count}`) : results
}

/**
 * Writes summary.json and index.html (into the results folder, or its shard folder) and returns the summary.
 * Without run information only the fallback records are reported and no reference is called unused.
 */
export function writeRunReport(opts: ReportOptions = {}, run?: RunInfo): RunSummary {
  const info: RunInfo = run ?? { modules: [], extra: readRecords(opts), vetoes: ['no information from vitest about which test files ran'] }
  const summary = summarize(info, opts)
  writeReport(summary, opts)
  return summary
}

/** Writes a summary as summary.json and index.html (again, e.g. after the unused references were removed). */
export function writeReport(summary: RunSummary, opts: ReportOptions = {}): void {
  const { results } = dirs(opts)
  const out = reportFolder(opts, summary.shard)
  mkdirSync(out, { recursive: true })
  writeFileAtomic(join(out, 'summary.json'), JSON.stringify(summary, null, 1) + '\n')
  writeFileAtomic(join(out, 'index.html'), html(summary, results, out))
}

/** Deletes the summary's unused references (only on explicit request); returns them. */
export function removeUnused(summary: RunSummary, opts: ReportOptions = {}): string[] {
  const root = opts.root ?? process.cwd()
  for (const p of summary.unused) rmSync(resolve(root, p), { force: true })
  summary.cleanup.removed = [...summary.unused]
  return summary.cleanup.removed
}

const esc = (s: string): string => s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!)

/** A coordinate in dbu as µm. */
const um = (v: number, dbu: number): string => Number((v * dbu).toPrecision(10)).toString()

/** A differing layer's figures in µm, for people. */
export function layerFigures(l: LayerRecord, dbu: number | undefined): { area: string; where: string } {
  if (dbu === undefined) return { area: `${l.xorArea} dbu²`, where: '' }
  const b = l.bbox
  return { area: fmtArea(l.xorArea, dbu), where: b ? `(${um(b[0], dbu)}, ${um(b[1], dbu)}) .. (${um(b[2], dbu)}, ${um(b[3], dbu)})` : '' }
}

function html(s: RunSummary, results: string, out: string): string {
  // artifact paths are relative to the results folder; links relative to the report's folder, and always inside
  const link = (p: string): string => esc(slash(relative(out, join(results, p))))
  const rows = s.assertions.map((a, i) => {
    const head = `<h2 class="${a.status}"><span class="badge">${a.error ? 'error' : a.status}</span> ${esc(a.file)} › ${esc(a.test)} <small>${esc(a.name)}</small></h2>`
    if (a.status !== 'failed') return `<section>${head}<p>reference <code>${esc(a.reference)}</code>${a.cached ? ' (session cache)' : ''}</p></section>`
    const table = a.layers?.length
      ? `<table><tr><th>layer</th><th>XOR area (µm²)</th><th>polygons</th><th>only in</th><th>largest difference (µm)</th></tr>${a.layers.map((l) => {
        const f = layerFigures(l, a.dbu)
        return `<tr><td>${esc(l.layer)}</td><td>${esc(f.area)}</td><td>${l.polygons}</td><td>${l.onlyIn ?? '–'}</td><td>${esc(f.where)}</td></tr>`
      }).join('')}</table>`
      : ''
    const f = a.files
    const slider = f?.expected && f.actual
      ? `<div class="slider" style="--pos:50%"><img src="${link(f.expected)}" alt="expected"><img class="top" src="${link(f.actual)}" alt="actual">` +
        `<input type="range" min="0" max="100" value="50" aria-label="expected / actual" oninput="this.parentNode.style.setProperty('--pos', this.value + '%')"></div>` +
        `<p class="legend">slider: expected (left) / actual (right)</p>` +
        (f.composite ? `<a href="${link(f.composite)}" title="full size"><img class="wide" src="${link(f.composite)}" alt="composite: expected, actual, XOR, pixel diff"></a>` : '') +
        (f.xor ? `<a href="${link(f.xor)}" title="full size"><img class="wide" src="${link(f.xor)}" alt="XOR over the expected layout, with zoomed insets"></a>` : '')
      : ''
    const gds: Array<[string | undefined, string]> = [[f?.expectedGds, 'expected.gds (the reference)'], [f?.actualGds, 'actual.gds'], [f?.xorGds, 'xor.gds'], [f?.report, 'report.json']]
    const files = gds.filter(([p]) => p).map(([p, label]) => `<a href="${link(p!)}">${esc(label)}</a>`).join(' · ')
    return `<section id="a${i}">${head}<pre>${esc(a.message ?? '')}</pre>${table}${slider}<p>${files ? `${files} · ` : ''}reference <code>${esc(a.reference)}</code></p></section>`
  })
  const unused = s.unused.length
    ? `<section><h2>References not used by this run (${s.unused.length})${s.cleanup.removed.length ? ': removed' : ''}</h2><ul>${s.unused.map((u) => `<li><code>${esc(u)}</code></li>`).join('')}</ul></section>`
    : ''
  const skipped = s.cleanup.skipped.length ? `<p class="legend">Unused references were not checked: ${esc(s.cleanup.skipped.join('; '))}.</p>` : ''
  const title = `laytest: ${countsLine(s)}`
  const where = s.merged ? ' (merged shards)' : s.shard ? ` (shard ${s.shard.index} of ${s.shard.count})` : ''
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>laytest: ${s.failed} failed, ${s.passed + s.written + s.updated} passed</title>
<style>
body{font:14px/1.4 system-ui,sans-serif;margin:2em;color:#222}h1{font-size:20px}h2{font-size:15px;margin:0 0 .5em}
section{border:1px solid #ddd;border-radius:6px;padding:1em;margin:1em 0}.badge{display:inline-block;padding:0 .5em;border-radius:3px;background:#888;color:#fff;font-size:12px}
.failed .badge{background:#c0392b}.passed .badge{background:#27ae60}.written .badge,.updated .badge{background:#2980b9}
pre{background:#f6f6f6;padding:.8em;overflow:auto;font-size:12px}table{border-collapse:collapse}td,th{border:1px solid #ddd;padding:2px 8px;text-align:right}
.slider{position:relative;display:inline-block;max-width:100%}.slider img{display:block;max-width:100%}.slider .top{position:absolute;left:0;top:0;clip-path:inset(0 0 0 var(--pos))}
.slider input{position:absolute;left:0;right:0;bottom:4px;width:100%}img.wide{display:block;max-width:100%;margin:.5em 0}.legend{color:#666;font-size:12px}
</style></head><body>
<h1>${esc(title)}${esc(where)}</h1>
<p class="legend">Layout tests (vitest's count): ${s.tests.failed} failed, ${s.tests.passed} passed${s.tests.skipped ? `, ${s.tests.skipped} skipped` : ''}. Areas in µm², coordinates in µm.</p>
${rows.join('\n')}
${unused}
${skipped}
</body></html>
`
}

/** "1 failed, 2 passed, 0 written, 0 updated" and, when the session cache decided some, how many of all. */
export function countsLine(s: RunSummary): string {
  return `${s.failed} failed, ${s.passed} passed, ${s.written} written, ${s.updated} updated${s.cached ? `; ${s.cached} of ${s.total} decided by the session cache` : ''}`
}

const cell = (s: string): string => s.replace(/\|/g, '\\|').replace(/\n/g, ' ')

/**
 * The run as Markdown for GitHub's job summary (GITHUB_STEP_SUMMARY): counts, the failed layouts with their
 * per-layer XOR in µm², and where each one's files are in the uploaded laytest-results artifact.
 */
export function markdownSummary(s: RunSummary, opts: ReportOptions = {}, env: NodeJS.ProcessEnv = process.env): string {
  const resultsDir = slash(opts.resultsDir ?? 'laytest-results')
  const where = s.merged ? ' (merged shards)' : s.shard ? ` (shard ${s.shard.index} of ${s.shard.count})` : ''
  const lines = [`### laytest${where}: ${s.failed ? '❌' : '✅'} ${countsLine(s)}`, '']
  const runUrl = env.GITHUB_SERVER_URL && env.GITHUB_REPOSITORY && env.GITHUB_RUN_ID
    ? `${env.GITHUB_SERVER_URL}/${env.GITHUB_REPOSITORY}/actions/runs/${env.GITHUB_RUN_ID}#artifacts` : null
  const failed = s.assertions.filter((a) => a.status === 'failed')
  if (failed.length) {
    lines.push('| test | reference | differing layers: XOR area (µm²) | files in the artifact |', '|---|---|---|---|')
    for (const a of failed) {
      const layers = a.layers?.length ? a.layers.map((l) => `${l.layer}: ${layerFigures(l, a.dbu).area}`).join(', ') : cell((a.message ?? '').split('\n')[0]!.replace(/^laytest: /, ''))
      const folder = a.files ? `\`${resultsDir}/${a.files.folder}/\`` : '–'
      lines.push(`| ${cell(`${a.file} › ${a.test}`)} | \`${cell(a.reference)}\` | ${cell(layers)} | ${folder} |`)
    }
    lines.push('')
    for (const a of failed.filter((x) => x.layers?.length)) {
      lines.push(`<details><summary>${esc(`${a.file} › ${a.test} (${a.name})`)}</summary>`, '')
      lines.push('| layer | XOR area (µm²) | polygons | only in | largest difference (µm) |', '|---|--:|--:|---|---|')
      for (const l of a.layers!) {
        const f = layerFigures(l, a.dbu)
        lines.push(`| ${l.layer} | ${f.area} | ${l.polygons} | ${l.onlyIn ?? '–'} | ${f.where} |`)
      }
      if (a.files) {
        const names = [a.files.composite, a.files.xor, a.files.expectedGds, a.files.actualGds, a.files.xorGds].filter(Boolean).map((p) => `\`${resultsDir}/${p}\``)
        lines.push('', `Files: ${names.join(', ')}`)
      }
      lines.push('', '</details>', '')
    }
    lines.push(runUrl
      ? `The images, the GDS files of both sides and the HTML report (\`index.html\`) are in the [\`laytest-results\` artifact of this run](${runUrl}).`
      : `The images, the GDS files of both sides and the HTML report are in \`${resultsDir}/\` (\`index.html\`).`)
  }
  if (s.unused.length) lines.push('', `${s.unused.length} reference(s) not used by any test${s.cleanup.removed.length ? ' (removed)' : ''}: ${s.unused.slice(0, 10).map((u) => `\`${u}\``).join(', ')}${s.unused.length > 10 ? ', …' : ''}`)
  return lines.join('\n') + '\n'
}
