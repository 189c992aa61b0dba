import { readFileSync, statSync } from 'node:fs'
import { builtinModules } from 'node:module'
import { dirname, isAbsolute, join, relative, resolve, sep } from 'node:path'
import { fileURLToPath } from 'node:url'
import { canonicalJson, type CellFactory, type FactoryParams } from '../layout/factory.js'
import { LAYTEST_VERSION, sha256 } from './store.js'

/*
 * The key of a cell factory, for the session (session.ts): everything its cells can depend on that is not a
 * parameter. It covers
 *   - the build function's source text (Function.prototype.toString) and the factory's defaults,
 *   - the content of the module that defined the factory and of every local module that module imports,
 *     transitively: static imports, re-exports, `import('literal')` and `require('literal')`, resolved the way
 *     Node and TypeScript toolchains resolve them (exact file; `./x.js` may be `./x.ts`; extensionless and folder
 *     index files for bundler-style projects),
 *   - packages (bare specifiers found in node_modules) by name and version from their package.json,
 *   - laytest's version.
 * The keys of the factories its cells used are added per cell (session.ts, cellKey), so a changed dependency
 * invalidates its dependants even when their modules do not import it.
 */

export const FACTORY_KEY_VERSION = 1

/** What a factory's key was computed from; stored in the session so that a changed key can be explained. */
export interface FactoryVersion {
  factory: string
  /** Absolute path of the module (for messages; not part of the key, so a moved project keeps its keys). */
  module: string
  /** SHA-256 of the build function's source text. */
  build: string
  /** The defaults as canonical JSON. */
  defaults: string
  laytest: string
  /** Files of the import graph: path relative to the module's folder ('/' separated) -> SHA-256 of the content. */
  files: Record<string, string>
  /** Packages imported anywhere in the graph: name -> version ('?' when no package.json was found). */
  packages: Record<string, string>
  /** Specifiers that resolved to nothing, as "file: specifier" (a file appearing there changes the key). */
  unresolved: string[]
  /** The factory's `key` option (canonical JSON), when it has one. */
  keyOption?: string
}

export type FactoryKey = { key: string; version: FactoryVersion; problem: null } | { key: null; version: null; problem: string }

/** laytest's own code (src/, dist/, or a bench build's src/): imported as "laytest", by version. */
const LAYTEST_CODE = dirname(dirname(fileURLToPath(import.meta.url))) + sep

const SCANNED = /\.(?:[cm]?[jt]sx?)$/i
const BUILTINS = new Set(builtinModules)

interface FileInfo {
  identity: string
  hash: string
  specifiers: string[]
}

/** Per process, by path: content hash and import specifiers, reused while the file's stat is the same. */
const files = new Map<string, FileInfo>()

function statIdentity(p: string): string | null {
  try {
    const st = statSync(p, { bigint: true })
    return st.isFile() ? `${st.size}:${st.mtimeNs}:${st.ctimeNs}:${st.ino}:${st.dev}` : null
  } catch {
    return null
  }
}

function isFile(p: string): boolean {
  return statIdentity(p) !== null
}

function isDir(p: string): boolean {
  try {
    return statSync(p).isDirectory()
  } catch {
    return false
  }
}

function fileInfo(path: string): FileInfo | null {
  const identity = statIdentity(path)
  if (identity === null) return null
  const known = files.get(path)
  if (known && known.identity === identity) return known
  let bytes: Buffer
  try {
    bytes = readFileSync(path)
  } catch {
    return null
  }
  const info = { identity, hash: sha256(bytes), specifiers: SCANNED.test(path) ? importSpecifiers(bytes.toString('utf8')) : [] }
  files.set(path, info)
  return info
}

/** Source text without comments (strings and template literals kept as they are). */
function stripComments(src: string): string {
  // the kept text in slices, not a character at a time (a warm session's process scans every local module once)
  let out = ''
  let from = 0
  let i = 0
  const n = src.length
  while (i < n) {
    const c = src.charCodeAt(i)
    if (c === 47 && src.charCodeAt(i + 1) === 47) { // line comment: up to the newline
      out += src.slice(from, i)
      while (i < n && src.charCodeAt(i) !== 10) i++
      from = i
    } else if (c === 47 && src.charCodeAt(i + 1) === 42) { // block comment: one space
      out += src.slice(from, i) + ' '
      const end = src.indexOf('*/', i + 2)
      i = end < 0 ? n : end + 2
      from = i
    } else if (c === 34 || c === 39 || c === 96) { // string or template literal: kept
      let j = i + 1
      while (j < n && src.charCodeAt(j) !== c) {
        if (src.charCodeAt(j) === 92) j++
        else if (c !== 96 && src.charCodeAt(j) === 10) break
        j++
      }
      i = j + 1
    } else i++
  }
  return out + src.slice(from, n)
}

/**
 * The module specifiers a JavaScript/TypeScript source imports: `import ... from 's'`, `import 's'`,
 * `export ... from 's'`, `import('s')`, `require('s')`, `import x = require('s')`. A regular-expression scan:
 * text that only looks like an import (inside a string) adds a dependency too, which costs a rebuild at worst.
 */
export function importSpecifiers(src: string): string[] {
  const code = stripComments(src)
  const out = new Set<string>()
  const patterns = [
    /\b(?:import|export)\b[^'"`;]*?\bfrom\s*(['"])([^'"\n]+)\1/g,
    /\bimport\s*(['"])([^'"\n]+)\1/g,
    /\bimport\s*\(\s*(['"])([^'"\n]+)\1\s*[,)]/g,
    /\brequire\s*\(\s*(['"])([^'"\n]+)\1\s*\)/g,
  ]
  for (const re of patterns) for (const m of code.matchAll(re)) out.add(m[2]!)
  return [...out]
}

const TS_FOR_JS: Record<string, string[]> = { '.js': ['.ts', '.tsx'], '.jsx': ['.tsx'], '.mjs': ['.mts'], '.cjs': ['.cts'] }
const TRY_EXT = ['.ts', '.tsx', '.mts', '.cts', '.js', '.mjs', '.cjs', '.jsx', '.json']

/** The files a local specifier may load (Node's exact file, TypeScript's .ts for .js, extensionless, index). */
function resolveLocal(spec: string, fromDir: string): string[] {
  let base: string
  try {
    base = spec.startsWith('file:') ? fileURLToPath(spec) : resolve(fromDir, spec.replace(/[?#].*$/, ''))
  } catch {
    return []
  }
  const out: string[] = []
  if (isFile(base)) out.push(base)
  const ext = /\.[^./\\]+$/.exec(base)?.[0]?.toLowerCase() ?? ''
  for (const alt of TS_FOR_JS[ext] ?? []) {
    const p = base.slice(0, -ext.length) + alt
    if (isFile(p)) out.push(p)
  }
  if (out.length) return out
  for (const e of TRY_EXT) if (isFile(base + e)) return [base + e]
  if (isDir(base)) for (const e of TRY_EXT) if (isFile(join(base, `index${e}`))) return [join(base, `index${e}`)]
  return []
}

function packageName(spec: string): string {
  const parts = spec.split('/')
  return spec.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0]!
}

const packageVersions = new Map<string, string | null>()

function readPackage(file: string): { name?: string; version?: string } | null {
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as { name?: string; version?: string }
  } catch {
    return null
  }
}

/** The version of package `name` as Node would find it from `fromDir` (node_modules upwards), or null. */
function packageVersion(name: string, fromDir: string): string | null {
  for (let d = fromDir; ; ) {
    const pj = join(d, 'node_modules', name, 'package.json')
    let v = packageVersions.get(pj)
    if (v === undefined) {
      v = isFile(pj) ? (readPackage(pj)?.version ?? '?') : null
      packageVersions.set(pj, v)
    }
    if (v !== null) return v
    const up = dirname(d)
    if (up === d) return selfReference(name, fromDir)
    d = up
  }
}

/** A package importing itself by name (Node's self-reference): the nearest package.json upwards of that name. */
function selfReference(name: string, fromDir: string): string | null {
  for (let d = fromDir; ; ) {
    const pj = join(d, 'package.json')
    if (isFile(pj)) {
      const p = readPackage(pj)
      return p?.name === name ? (p.version ?? '?') : null
    }
    const up = dirname(d)
    if (up === d) return null
    d = up
  }
}

/** For a file inside node_modules: its package's name and version (from the nearest package.json with a name). */
function packageOfFile(file: string): { name: string; version: string } | null {
  if (!file.split(sep).includes('node_modules')) return null
  for (let d = dirname(file); ; ) {
    const pj = readPackage(join(d, 'package.json'))
    if (pj?.name) return { name: pj.name, version: pj.version ?? '?' }
    const up = dirname(d)
    if (up === d || d.endsWith(`${sep}node_modules`)) return { name: relative(dirname(file), file), version: '?' }
    d = up
  }
}

export interface ModuleGraph {
  files: Record<string, string>
  packages: Record<string, string>
  unresolved: string[]
}

function sorted<T>(o: Record<string, T>): Record<string, T> {
  const out: Record<string, T> = {}
  for (const k of Object.keys(o).sort()) out[k] = o[k]!
  return out
}

/** The import graph of a module: local files by content, packages by version (see the top of this file). */
export function moduleGraph(entry: string): ModuleGraph {
  const root = dirname(entry)
  const rel = (p: string): string => relative(root, p).split(sep).join('/') || '.'
  const graph: ModuleGraph = { files: {}, packages: {}, unresolved: [] }
  const seen = new Set<string>()
  const stack = [resolve(entry)]
  while (stack.length) {
    const file = stack.pop()!
    if (seen.has(file)) continue
    seen.add(file)
    if (file.startsWith(LAYTEST_CODE)) {
      graph.packages.laytest = LAYTEST_VERSION
      continue
    }
    const pkg = packageOfFile(file)
    if (pkg && file !== resolve(entry)) {
      graph.packages[pkg.name] = pkg.version
      continue
    }
    const info = fileInfo(file)
    if (!info) {
      graph.files[rel(file)] = 'missing'
      continue
    }
    graph.files[rel(file)] = info.hash
    const dir = dirname(file)
    for (const spec of info.specifiers) {
      if (spec.startsWith('node:') || BUILTINS.has(spec) || BUILTINS.has(spec.split('/')[0]!)) continue
      if (spec.startsWith('.') || spec.startsWith('/') || spec.startsWith('file:') || isAbsolute(spec)) {
        const targets = resolveLocal(spec, dir)
        if (!targets.length) graph.unresolved.push(`${rel(file)}: ${spec}`)
        for (const t of targets) stack.push(t)
        continue
      }
      if (spec.startsWith('#') || /^[a-z][a-z0-9+.-]*:/i.test(spec)) {
        graph.unresolved.push(`${rel(file)}: ${spec}`)
        continue
      }
      const name = packageName(spec)
      const v = packageVersion(name, dir)
      if (v === null) graph.unresolved.push(`${rel(file)}: ${spec}`)
      else graph.packages[name] = v
    }
  }
  graph.files = sorted(graph.files)
  graph.packages = sorted(graph.packages)
  graph.unresolved = [...new Set(graph.unresolved)].sort()
  return graph
}

/** A factory's key, or why it has none (its module is unknown). Computed when the factory is first called. */
export function factoryKey(f: CellFactory<FactoryParams>): FactoryKey {
  if (!f.module) return { key: null, version: null, problem: f.moduleProblem ?? 'its module is unknown' }
  const g = moduleGraph(f.module)
  const version: FactoryVersion = {
    factory: f.factoryName,
    module: f.module,
    build: sha256(String(f.build)),
    defaults: canonicalJson(f.defaults),
    laytest: LAYTEST_VERSION,
    files: g.files,
    packages: g.packages,
    unresolved: g.unresolved,
    ...(f.keyOption !== null ? { keyOption: f.keyOption } : {}),
  }
  return { key: keyOfVersion(version), version, problem: null }
}

export function keyOfVersion(v: FactoryVersion): string {
  const parts: unknown[] = ['laytest-factory', FACTORY_KEY_VERSION, v.factory, v.build, v.defaults, v.laytest, v.files, v.packages, v.unresolved]
  // (without a key option, the keys of earlier sessions stay valid)
  if (v.keyOption !== undefined) parts.push(v.keyOption)
  return sha256(JSON.stringify(parts))
}

/** Why a factory's key changed, in words: the files, packages, build function or laytest version that differ. */
export function explainChange(old: FactoryVersion, now: FactoryVersion): string {
  const parts: string[] = []
  const changed: string[] = []
  for (const [f, h] of Object.entries(now.files)) {
    if (old.files?.[f] === undefined) changed.push(`${f} (new import)`)
    else if (old.files[f] !== h) changed.push(f)
  }
  for (const f of Object.keys(old.files ?? {})) if (now.files[f] === undefined) changed.push(`${f} (no longer imported)`)
  if (changed.length) parts.push(`${changed.slice(0, 4).join(', ')}${changed.length > 4 ? ` and ${changed.length - 4} more` : ''} changed`)
  for (const [p, v] of Object.entries(now.packages)) {
    if (p === 'laytest') continue
    if (old.packages?.[p] !== v) parts.push(old.packages?.[p] === undefined ? `package ${p} ${v} imported` : `package ${p} ${old.packages[p]} -> ${v}`)
  }
  if (old.laytest !== now.laytest) parts.push(`laytest ${old.laytest} -> ${now.laytest}`)
  if (!changed.length && old.build !== now.build) parts.push('its build function changed')
  if (old.defaults !== now.defaults) parts.push('its defaults changed')
  if (old.keyOption !== now.keyOption) parts.push('its key option changed')
  if (JSON.stringify(old.unresolved) !== JSON.stringify(now.unresolved)) parts.push('unresolved imports changed')
  return parts.length ? parts.join('; ') : 'its key changed'
}
