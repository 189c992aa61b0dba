import { readdirSync, readFileSync, statSync } from 'node:fs'
import { builtinModules } from 'node:module'
import { dirname, isAbsolute, join, relative, resolve, sep } from 'node:path'
import { fileURLToPath } from 'node:url'
import { canonicalJson, type CellFactory, type FactoryParams } from '../layout/factory.js'
import { packageOfFile, resolveLocal, resolveSpecifier, scanSource, statIdentity } from './module-resolution.js'
import { LAYTEST_VERSION, sha256 } from './store.js'

/*
 * The key of a cell factory, for the session (session.ts): everything its cells can depend on that is not a
 * parameter. It covers
 *   - the build function's source text (Function.prototype.toString) and the factory's defaults,
 *   - the content of the module that defined the factory and of every local module that module imports,
 *     transitively: static imports, re-exports, `import('literal')` and `require('literal')`, resolved the way
 *     Node and TypeScript toolchains resolve them (module-resolution.ts: exact file; `./x.js` may be `./x.ts`;
 *     extensionless and folder index files; tsconfig paths; package.json imports; self-reference; workspace
 *     packages),
 *   - installed packages by name and version from their package.json,
 * An import that leads nowhere laytest can see leaves the factory without a key (never restored).
 *   - laytest's version and code (codeFingerprint) and the JavaScript engine's version (V8, whose Math functions
 *     may round differently).
 * The keys of the factories its cells used are added per cell (session.ts, cellKey), so a changed dependency
 * invalidates its dependants even when their modules do not import it.
 */

export const FACTORY_KEY_VERSION = 2

/** Node's JavaScript engine (see FactoryVersion.engine). */
const ENGINE = process.versions.v8

/**
 * A fingerprint of the code files under `dir` (.js, .ts, .mjs, .wasm, recursively): their paths, sizes and
 * modification times (an installed package's are fixed by npm; a rebuilt one's change).
 */
export function codeFingerprint(dir: string): string {
  const parts: string[] = []
  let names: string[] = []
  try {
    names = readdirSync(dir, { recursive: true }) as string[]
  } catch {
    return 'unreadable'
  }
  for (const name of names.sort()) {
    if (!/\.(?:[cm]?[jt]s|wasm)$/.test(name) || name.endsWith('.d.ts')) continue
    try {
      const st = statSync(join(dir, name))
      if (st.isFile()) parts.push(`${name}:${st.size}:${st.mtimeMs}`)
    } catch {
      // removed meanwhile
    }
  }
  return sha256(parts.join('\n')).slice(0, 16)
}

let ownCode: string | null = null
/** laytest's code: the build's id (`npm run build` writes dist/build-id.txt), else the fingerprint of its files. */
function laytestCode(): string {
  if (ownCode === null) {
    try {
      ownCode = readFileSync(join(LAYTEST_CODE, 'build-id.txt'), 'utf8').trim().slice(0, 16)
    } catch {
      // running from source (laytest's own tests) or a build without it: the files themselves
    }
    if (!ownCode || !/^[0-9a-f]{16}$/.test(ownCode)) ownCode = codeFingerprint(LAYTEST_CODE)
  }
  return ownCode
}

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
  /**
   * The JavaScript engine's version (V8): Math.sin and friends may round differently in another, and a cell
   * built there could differ from the saved one in a last digit, i.e. by a dbu. Absent in keys of key version 1.
   */
  engine?: string
  /**
   * laytest's own code (its build id, or its files' paths, sizes and times when run from source): a laytest
   * changed without a new version (a linked or locally built one) may build cells differently. Absent in keys
   * of key version 1.
   */
  laytestCode?: string
  /** Files of the import graph: path relative to the module's folder ('/' separated) -> SHA-256 of the content. */
  files: Record<string, string>
  /** Packages imported anywhere in the graph: name -> version ('?' when no package.json was found). */
  packages: Record<string, string>
  /** Local specifiers that resolved to no file, as "file: specifier" (a file appearing there changes the key). */
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
  /** Imports whose specifier is computed (`import(name)`), as the start of their text. */
  computed: string[]
}

/** Per process, by path: content hash and import specifiers, reused while the file's stat is the same. */
const files = new Map<string, FileInfo>()

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
  const scan = SCANNED.test(path) ? scanImports(bytes.toString('utf8')) : { specifiers: [], computed: [] }
  const info = { identity, hash: sha256(bytes), ...scan }
  files.set(path, info)
  return info
}

/**
 * The module specifiers a JavaScript/TypeScript source imports: `import ... from 's'`, `import 's'`,
 * `export ... from 's'`, `import('s')`, `require('s')`, `import x = require('s')`. A regular-expression scan:
 * text that only looks like an import (inside a string) adds a dependency too, which costs a rebuild at worst.
 */
export function importSpecifiers(src: string): string[] {
  return scanImports(src).specifiers
}

/** importSpecifiers, and the imports whose specifier is computed (their target cannot be known from the text). */
export function scanImports(src: string): { specifiers: string[]; computed: string[] } {
  // matched on a copy whose string contents are masked (same offsets): an import statement written inside a
  // string or template literal (generated code, a test's fixture) is text, not an import of this module
  const { code, masked } = scanSource(src, true)
  const out = new Set<string>()
  const patterns = [
    /\b(?:import|export)\b[^'"`;]*?\bfrom\s*(['"])([^'"\n]+)\1/dg,
    /\bimport\s*(['"])([^'"\n]+)\1/dg,
    /\bimport\s*\(\s*(['"])([^'"\n]+)\1\s*[,)]/dg,
    /\brequire\s*\(\s*(['"])([^'"\n]+)\1\s*\)/dg,
  ]
  for (const re of patterns) {
    for (const m of masked.matchAll(re)) {
      const at = m.indices?.[2]
      if (at) out.add(code.slice(at[0], at[1]))
    }
  }
  const computed: string[] = []
  for (const m of masked.matchAll(/(?<![.\w$])(?:import|require)\s*\(\s*(?!['"\s])/g)) {
    computed.push(code.slice(m.index, m.index + 40).split('\n')[0]!.trim())
  }
  return { specifiers: [...out], computed }
}


export interface ModuleGraph {
  files: Record<string, string>
  packages: Record<string, string>
  unresolved: string[]
  /** Imports that lead nowhere laytest can see, as "file: specifier (why)": the graph is incomplete. */
  unresolvable: string[]
}

function sorted<T>(o: Record<string, T>): Record<string, T> {
  const out: Record<string, T> = {}
  for (const k of Object.keys(o).sort()) out[k] = o[k]!
  return out
}

/** laytest itself, imported by name (linked or installed): a package, by its version (its code is in the key apart). */
const OWN_PACKAGE = { name: 'laytest', version: LAYTEST_VERSION }

/** The import graph of a module: local files by content, packages by version (see the top of this file). */
export function moduleGraph(entry: string): ModuleGraph {
  const root = dirname(entry)
  const rel = (p: string): string => relative(root, p).split(sep).join('/') || '.'
  const graph: ModuleGraph = { files: {}, packages: {}, unresolved: [], unresolvable: [] }
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
    for (const c of info.computed) graph.unresolvable.push(`${rel(file)}: ${c} (a computed import: its target cannot be known)`)
    for (const spec of info.specifiers) {
      if (spec.startsWith('node:') || BUILTINS.has(spec) || BUILTINS.has(spec.split('/')[0]!)) continue
      if (spec.startsWith('.') || spec.startsWith('/') || spec.startsWith('file:') || isAbsolute(spec)) {
        // a local file that does not exist (yet): its appearing changes the key
        const targets = resolveLocal(spec, dir)
        if (!targets.length) graph.unresolved.push(`${rel(file)}: ${spec}`)
        for (const t of targets) stack.push(t)
        continue
      }
      if (spec.startsWith('data:')) continue // the code is the specifier itself, which the file's hash covers
      if (/^[a-z][a-z0-9+.-]*:/i.test(spec)) {
        graph.unresolvable.push(`${rel(file)}: ${spec} (a URL scheme laytest cannot follow)`)
        continue
      }
      const r = resolveSpecifier(spec, dir, OWN_PACKAGE)
      for (const t of r.files) stack.push(t)
      for (const p of r.packages) graph.packages[p.name] = p.version
      if (r.unresolvable) graph.unresolvable.push(`${rel(file)}: ${r.unresolvable}`)
    }
  }
  graph.files = sorted(graph.files)
  graph.packages = sorted(graph.packages)
  graph.unresolved = [...new Set(graph.unresolved)].sort()
  graph.unresolvable = [...new Set(graph.unresolvable)].sort()
  return graph
}

/**
 * A factory's key, or why it has none: its module is unknown, or it imports what laytest cannot follow (then an
 * edit there would go unseen: the factory is never restored). Computed when the factory is first called.
 */
export function factoryKey(f: CellFactory<FactoryParams>): FactoryKey {
  if (!f.module) return { key: null, version: null, problem: `cannot locate its source module (${f.moduleProblem ?? 'its module is unknown'})` }
  const g = moduleGraph(f.module)
  if (g.unresolvable.length) {
    const n = g.unresolvable.length
    return { key: null, version: null, problem: `its module imports what laytest cannot resolve to files or packages, so edits there would go unseen: ${g.unresolvable.slice(0, 3).join('; ')}${n > 3 ? ` and ${n - 3} more` : ''}` }
  }
  const version: FactoryVersion = {
    factory: f.factoryName,
    module: f.module,
    build: sha256(String(f.build)),
    defaults: canonicalJson(f.defaults),
    laytest: LAYTEST_VERSION,
    engine: ENGINE,
    laytestCode: laytestCode(),
    files: g.files,
    packages: g.packages,
    unresolved: g.unresolved,
    ...(f.keyOption !== null ? { keyOption: f.keyOption } : {}),
  }
  return { key: keyOfVersion(version), version, problem: null }
}

export function keyOfVersion(v: FactoryVersion): string {
  const parts: unknown[] = ['laytest-factory', FACTORY_KEY_VERSION, v.factory, v.build, v.defaults, v.laytest, v.engine ?? null, v.laytestCode ?? null, v.files, v.packages, v.unresolved]
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
  if (old.laytest === now.laytest && old.laytestCode !== now.laytestCode) parts.push(`laytest's code changed (same version ${now.laytest})`)
  if (old.engine !== now.engine) parts.push(`the JavaScript engine changed (V8 ${old.engine ?? '?'} -> ${now.engine ?? '?'}: another Node)`)
  if (!changed.length && old.build !== now.build) parts.push('its build function changed')
  if (old.defaults !== now.defaults) parts.push('its defaults changed')
  if (old.keyOption !== now.keyOption) parts.push('its key option changed')
  if (JSON.stringify(old.unresolved) !== JSON.stringify(now.unresolved)) parts.push('unresolved imports changed')
  return parts.length ? parts.join('; ') : 'its key changed'
}
