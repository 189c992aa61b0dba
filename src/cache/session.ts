import { existsSync, mkdirSync, readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { gunzipSync, gzipSync } from 'node:zlib'
import { readLayout, writeFileAtomic, writeLayout } from '../layout/gdsio.js'
import { cellHash } from '../layout/hash.js'
import { Layout, type Cell } from '../layout/layout.js'
import { defaultCacheDir, sha256 } from './store.js'

/*
 * Sessions for scripts, like kfactory's save_session / load_session: the cells a generator built are written to
 * <dir>/layouts/<layout name>/cells.gds.gz with an index of their content hashes, and read back by a later
 * process, which can reuse them instead of building them again.
 */

export interface SessionOptions {
  /** Default: the session cache folder (build/session/laytest, or LAYTEST_SESSION_DIR). */
  dir?: string
}

export interface SaveSessionOptions extends SessionOptions {
  layouts: Layout[]
  /** Save only what this top cell needs (it and the cells below it; kfactory's save_session(c=...)). */
  only?: Cell
}

export interface LoadSessionOptions extends SessionOptions {
  /** Say so on stderr when there is no saved session (default false: a first run is silent). */
  warnMissingDir?: boolean
}

interface SessionIndex {
  name: string
  dbu: number
  sha256: string
  cells: Record<string, string>
}

function sessionDir(opts: SessionOptions): string {
  return join(opts.dir ?? defaultCacheDir(), 'layouts')
}

/** Writes the layouts (or what `only` needs) into the session folder; returns the files written. */
export function saveSession(opts: SaveSessionOptions): string[] {
  const written: string[] = []
  for (const layout of opts.layouts) {
    let toSave = layout
    if (opts.only) {
      if (opts.only.layout !== layout) continue
      toSave = subset(layout, opts.only)
    }
    const dir = join(sessionDir(opts), safe(layout.name))
    mkdirSync(dir, { recursive: true })
    const gz = gzipSync(writeLayout(toSave))
    const cells: Record<string, string> = {}
    for (const c of toSave.cells.values()) cells[c.name] = cellHash(c)
    const file = join(dir, 'cells.gds.gz')
    writeFileAtomic(file, gz)
    const index: SessionIndex = { name: layout.name, dbu: layout.dbu, sha256: sha256(gz), cells }
    writeFileAtomic(join(dir, 'index.json'), JSON.stringify(index, null, 1) + '\n')
    written.push(file)
  }
  return written
}

/**
 * The layouts of a saved session by name. A file that does not match its index (changed or damaged since it
 * was saved) is left out, never half-read.
 */
export function loadSession(opts: LoadSessionOptions = {}): Map<string, Layout> {
  const root = sessionDir(opts)
  const out = new Map<string, Layout>()
  if (!existsSync(root)) {
    if (opts.warnMissingDir) process.stderr.write(`laytest: no saved session in ${root}\n`)
    return out
  }
  for (const d of readdirSync(root)) {
    try {
      const index = JSON.parse(readFileSync(join(root, d, 'index.json'), 'utf8')) as SessionIndex
      const gz = readFileSync(join(root, d, 'cells.gds.gz'))
      if (sha256(gz) !== index.sha256) continue
      const layout = readLayout(gunzipSync(gz), { file: join(root, d, 'cells.gds.gz') })
      layout.name = index.name
      out.set(index.name, layout)
    } catch {
      // an incomplete or damaged entry: not part of the session
    }
  }
  return out
}

/** A copy of the layout with only `top` and the cells below it. */
function subset(layout: Layout, top: Cell): Layout {
  const keep = new Set<Cell>()
  const stack = [top]
  while (stack.length) {
    const c = stack.pop()!
    if (keep.has(c)) continue
    keep.add(c)
    for (const i of c.instances) stack.push(i.cell)
  }
  // through GDS bytes: the simplest exact copy, then drop what is not needed
  const copy = readLayout(writeLayout(layout))
  for (const name of [...copy.cells.keys()]) if (![...keep].some((c) => c.name === name)) copy.cells.delete(name)
  copy.touch()
  return copy
}

function safe(name: string): string {
  return name.replace(/[^A-Za-z0-9._-]+/g, '_') || 'layout'
}
