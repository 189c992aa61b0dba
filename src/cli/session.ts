import { existsSync, statSync } from 'node:fs'
import { relative } from 'node:path'
import { clearSession, sessionInfo, type SessionInfo } from '../cache/session.js'
import { UsageError } from './errors.js'

export interface SessionCommandOptions {
  json: boolean
  dir?: string
}

function size(bytes: number): string {
  return bytes < 1024 ? `${bytes} B` : bytes < 2 ** 20 ? `${(bytes / 1024).toFixed(1)} KiB` : `${(bytes / 2 ** 20).toFixed(1)} MiB`
}

function plural(n: number, one: string, many = `${one}s`): string {
  return `${n} ${n === 1 ? one : many}`
}

function shown(path: string): string {
  const r = relative(process.cwd(), path)
  return r && !r.startsWith('..') ? r : path
}

/** The last run's record, for people: counts, then each rebuilt cell and why (the first 20). */
function lastRunText(info: SessionInfo): string {
  const r = info.lastRun
  if (!r) return 'last run: none recorded (saveSession writes the record)\n'
  let out = `last run (${r.time}, pid ${r.pid}): ${r.restored} restored, ${r.built} built\n`
  const built = r.cells.filter((c) => c.outcome === 'built')
  for (const c of built.slice(0, 20)) out += `  built ${c.cell} (${c.factory}): ${c.reason ?? '?'}\n`
  if (built.length > 20) out += `  ... and ${built.length - 20} more (--json lists them all)\n`
  return out
}

/** `laytest session stats|list|clear`: the factory session of scripts and tests (docs/session.md). */
export function sessionCommand(sub: string | undefined, opts: SessionCommandOptions): string {
  if (opts.dir !== undefined && existsSync(opts.dir) && !statSync(opts.dir).isDirectory()) {
    throw new UsageError(`--dir ${opts.dir}: a folder (the session folder), not a file`)
  }
  switch (sub) {
    case 'stats': {
      const info = sessionInfo({ dir: opts.dir })
      if (opts.json) {
        return JSON.stringify({
          dir: info.dir, factories: info.factories, cells: info.cells, bytes: info.bytes,
          layouts: info.layouts.map((l) => ({ layout: l.layout, factories: l.factories.length, cells: l.cells, packs: l.packs, bytes: l.bytes, problem: l.problem })),
          wholeLayouts: info.wholeLayouts,
          lastRun: info.lastRun,
        }, null, 1) + '\n'
      }
      let out = `${shown(info.dir)}: ${plural(info.layouts.length, 'layout')}, ${plural(info.factories, 'factory', 'factories')}, ${plural(info.cells, 'cell')}, ${size(info.bytes)}\n`
      for (const l of info.layouts) {
        out += l.problem
          ? `  ${l.layout}: unusable (${l.problem}); rebuilt and replaced by the next save\n`
          : `  ${l.layout}: ${plural(l.factories.length, 'factory', 'factories')}, ${plural(l.cells, 'cell')}, ${plural(l.packs, 'pack')}, ${size(l.bytes)}\n`
      }
      if (info.wholeLayouts.length) out += `  saved whole: ${info.wholeLayouts.join(', ')}\n`
      return out + lastRunText(info)
    }
    case 'list': {
      const info = sessionInfo({ dir: opts.dir })
      if (opts.json) return JSON.stringify(info, null, 1) + '\n'
      if (!info.layouts.length) return `${shown(info.dir)}: no factory cells saved\n`
      let out = ''
      for (const l of info.layouts) {
        out += `${l.layout}${l.dbu === null ? '' : ` (dbu ${l.dbu})`}: ${shown(l.folder)}\n`
        if (l.problem) out += `  unusable: ${l.problem}\n`
        for (const f of l.factories) {
          out += `  ${f.name}: ${plural(f.cells.length, 'cell')}${f.module ? `, ${shown(f.module)}` : ''}\n`
          const w = Math.max(...f.cells.map((c) => c.name.length))
          for (const c of f.cells) {
            const extra = [c.ports.length ? `ports ${c.ports.join(' ')}` : '', c.deps ? `uses ${c.deps}` : ''].filter(Boolean).join(', ')
            out += `    ${c.name.padEnd(w)}  ${JSON.stringify(c.params)}${extra ? `  ${extra}` : ''}\n`
          }
        }
      }
      return out
    }
    case 'clear': {
      const dir = clearSession({ dir: opts.dir })
      return opts.json ? JSON.stringify({ dir, cleared: true }) + '\n' : `${shown(dir)}: session cleared (factory cells, layouts, run records)\n`
    }
    default:
      throw new UsageError('session wants stats, list or clear')
  }
}
