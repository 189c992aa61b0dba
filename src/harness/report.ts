import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs'
import { join, relative, resolve } from 'node:path'
import { writeFileAtomic } from '../layout/gdsio.js'
import type { AssertionRecord } from './matcher.js'

/*
 * The run report: every toMatchReference assertion of a run (the matcher appends records to
 * <resultsDir>/.assertions/*.jsonl in the test workers), written as summary.json and a static index.html that
 * works offline from a CI artifact zip (relative links, no scripts or styles from elsewhere).
 */

export interface ReportOptions {
  root?: string
  resultsDir?: string
  referenceDir?: string
  /** References under these path prefixes (relative to the root) are never reported or removed as unused. */
  keepUnused?: string[]
}

export interface RunSummary {
  total: number
  passed: number
  failed: number
  written: number
  updated: number
  assertions: AssertionRecord[]
  /** References under referenceDir that no assertion of this run used. */
  unused: string[]
}

function dirs(opts: ReportOptions): { root: string; results: string; records: string; refs: string } {
  const root = opts.root ?? process.cwd()
  const results = resolve(root, opts.resultsDir ?? 'laytest-results')
  return { root, results, records: join(results, '.assertions'), refs: resolve(root, opts.referenceDir ?? 'reference') }
}

/** Forgets the records of an earlier run (call when a run starts). */
export function clearRecords(opts: ReportOptions = {}): void {
  rmSync(dirs(opts).records, { recursive: true, force: true })
}

export function readRecords(opts: ReportOptions = {}): AssertionRecord[] {
  const { records } = dirs(opts)
  if (!existsSync(records)) return []
  // a retried test asserts again: the last attempt counts
  const byKey = new Map<string, AssertionRecord>()
  for (const f of readdirSync(records).sort()) {
    for (const line of readFileSync(join(records, f), 'utf8').split('\n')) {
      if (!line.trim()) continue
      const r = JSON.parse(line) as AssertionRecord
      const key = `${r.file}\0${r.test}\0${r.name}`
      byKey.delete(key)
      byKey.set(key, r)
    }
  }
  return [...byKey.values()]
}

function listGds(dir: string): string[] {
  if (!existsSync(dir)) return []
  const out: string[] = []
  for (const e of readdirSync(dir)) {
    const p = join(dir, e)
    if (statSync(p).isDirectory()) out.push(...listGds(p))
    else if (/\.gds(\.gz)?$/i.test(e)) out.push(p)
  }
  return out
}

/** Writes summary.json and index.html into the results folder; returns the summary. */
export function writeRunReport(opts: ReportOptions = {}): RunSummary {
  const { root, results, refs } = dirs(opts)
  const assertions = readRecords(opts)
  const used = new Set(assertions.map((a) => resolve(root, a.reference)))
  const keep = (opts.keepUnused ?? []).map((k) => k.split('\\').join('/'))
  const unused = listGds(refs).filter((p) => !used.has(p)).map((p) => relative(root, p)).filter((p) => !keep.some((k) => p.split('\\').join('/').startsWith(k))).sort()
  const count = (s: AssertionRecord['status']): number => assertions.filter((a) => a.status === s).length
  const summary: RunSummary = {
    total: assertions.length, passed: count('passed'), failed: count('failed'), written: count('written'), updated: count('updated'),
    assertions: [...assertions].sort((a, b) => Number(b.status === 'failed') - Number(a.status === 'failed') || a.file.localeCompare(b.file) || a.name.localeCompare(b.name)),
    unused,
  }
  mkdirSync(results, { recursive: true })
  writeFileAtomic(join(results, 'summary.json'), JSON.stringify(summary, null, 1) + '\n')
  writeFileAtomic(join(results, 'index.html'), html(summary, root, results))
  return summary
}

/** Deletes unused references (only on explicit request). */
export function removeUnused(summary: RunSummary, opts: ReportOptions = {}): void {
  const root = opts.root ?? process.cwd()
  for (const p of summary.unused) rmSync(resolve(root, p), { force: true })
}

const esc = (s: string): string => s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!)

function html(s: RunSummary, root: string, results: string): string {
  // paths in records are relative to the root; links must be relative to the results folder
  const link = (p: string): string => esc(relative(results, resolve(root, p)).split('\\').join('/'))
  const rows = s.assertions.map((a, i) => {
    const head = `<h2 class="${a.status}"><span class="badge">${a.status}</span> ${esc(a.file)} › ${esc(a.test)} <small>${esc(a.name)}</small></h2>`
    if (a.status !== 'failed') return `<section>${head}<p>reference <code>${esc(a.reference)}</code></p></section>`
    const table = a.layers?.length
      ? `<table><tr><th>layer</th><th>XOR area (dbu²)</th><th>polygons</th><th>only in</th></tr>${a.layers.map((l) => `<tr><td>${esc(l.layer)}</td><td>${l.xorArea}</td><td>${l.polygons}</td><td>${l.onlyIn ?? '–'}</td></tr>`).join('')}</table>`
      : ''
    const img = a.images
    const slider = img
      ? `<div class="slider" style="--pos:50%"><img src="${link(img.expected)}" alt="expected"><img class="top" src="${link(img.actual)}" alt="actual">` +
        `<input type="range" min="0" max="100" value="50" aria-label="expected / actual" oninput="this.parentNode.style.setProperty('--pos', this.value + '%')"></div>` +
        `<p class="legend">slider: expected (left) / actual (right)</p><img class="wide" src="${link(img.composite)}" alt="composite"><img class="wide" src="${link(img.xor)}" alt="XOR overlay">`
      : ''
    const files = a.results ? ['xor.gds', 'actual.gds', 'report.json'].map((f) => `<a href="${link(join(a.results!, f))}">${f}</a>`).join(' · ') : ''
    return `<section id="a${i}">${head}<pre>${esc(a.message ?? '')}</pre>${table}${slider}<p>${files} · reference <a href="${link(a.reference)}">${esc(a.reference)}</a></p></section>`
  })
  const unused = s.unused.length ? `<section><h2>References not used in this run (${s.unused.length})</h2><ul>${s.unused.map((u) => `<li><code>${esc(u)}</code></li>`).join('')}</ul></section>` : ''
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
<h1>laytest: ${s.failed} failed, ${s.passed} passed, ${s.written} written, ${s.updated} updated</h1>
${rows.join('\n')}
${unused}
</body></html>
`
}
