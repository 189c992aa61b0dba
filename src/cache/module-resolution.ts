import { readFileSync, realpathSync, statSync } from 'node:fs'
import { dirname, isAbsolute, join, relative, resolve, sep } from 'node:path'
import { fileURLToPath } from 'node:url'

/*
 * Where an import specifier of the user's code leads, for a factory's key (factory-keys.ts): to local files,
 * whose content the key covers, or to an installed package, covered by its version. Anything that is the user's
 * own code must come out as files, however it is imported — relative paths, TypeScript's `./x.js` for `./x.ts`,
 * tsconfig `paths` and `baseUrl` aliases, package.json `imports` (`#x`), a package importing itself by name, a
 * workspace or `npm link`ed package (a node_modules entry that is a symlink out of node_modules) — or the key
 * would miss its edits. What cannot be resolved either way is reported, and the factory is never restored.
 * Resolution over-approximates: every file any condition or alias may load is covered (a rebuild at worst).
 */

export function statIdentity(p: string): string | null {
  try {
    const st = statSync(p, { bigint: true })
    return st.isFile() ? `${st.size}:${st.mtimeNs}:${st.ctimeNs}:${st.ino}:${st.dev}` : null
  } catch {
    return null
  }
}

export function isFile(p: string): boolean {
  return statIdentity(p) !== null
}

function isDir(p: string): boolean {
  try {
    return statSync(p).isDirectory()
  } catch {
    return false
  }
}

function realpath(p: string): string {
  try {
    return realpathSync(p)
  } catch {
    return p
  }
}

/** Source text without comments (strings and template literals kept as they are). */
export function stripComments(src: string): string {
  return scanSource(src, false).code
}

/**
 * Source text without comments (`code`) and, with `mask`, the same text with the contents of its string literals
 * replaced by `x` and its template literals (backticks included) by spaces (`masked`, offsets as in `code`).
 */
export function scanSource(src: string, mask: boolean): { code: string; masked: string } {
  // the kept text in slices, not a character at a time (a warm session's process scans every local module once)
  let code = ''
  let masked = ''
  let from = 0
  let i = 0
  const n = src.length
  while (i < n) {
    const c = src.charCodeAt(i)
    if (c === 47 && src.charCodeAt(i + 1) === 47) { // line comment: up to the newline
      code += src.slice(from, i)
      if (mask) masked += src.slice(from, i)
      while (i < n && src.charCodeAt(i) !== 10) i++
      from = i
    } else if (c === 47 && src.charCodeAt(i + 1) === 42) { // block comment: one space
      code += src.slice(from, i) + ' '
      if (mask) masked += src.slice(from, i) + ' '
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
      const end = Math.min(j, n)
      if (mask) {
        // a string keeps its quotes (a specifier is a quoted string); a template literal goes whole
        masked += src.slice(from, i) + (c === 96
          ? ' '.repeat(Math.min(end + 1, n) - i)
          : src[i] + src.slice(i + 1, end).replace(/[^\n]/g, 'x') + (end < n ? src[end] : ''))
      }
      code += src.slice(from, Math.min(end + 1, n))
      i = end + 1
      from = Math.min(i, n)
    } else i++
  }
  code += src.slice(from, n)
  if (mask) masked += src.slice(from, n)
  return { code, masked }
}

const TS_FOR_JS: Record<string, string[]> = { '.js': ['.ts', '.tsx'], '.jsx': ['.tsx'], '.mjs': ['.mts'], '.cjs': ['.cts'] }
const TRY_EXT = ['.ts', '.tsx', '.mts', '.cts', '.js', '.mjs', '.cjs', '.jsx', '.json']

/** The files a local specifier may load (Node's exact file, TypeScript's .ts for .js, extensionless, index). */
export function resolveLocal(spec: string, fromDir: string): string[] {
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

export function packageName(spec: string): string {
  const parts = spec.split('/')
  return spec.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0]!
}

interface PackageJson {
  name?: string
  version?: string
  main?: unknown
  module?: unknown
  exports?: unknown
  imports?: unknown
}

const packageJsons = new Map<string, PackageJson | null>()

function readPackage(file: string): PackageJson | null {
  let p = packageJsons.get(file)
  if (p === undefined) {
    try {
      const v = JSON.parse(readFileSync(file, 'utf8')) as unknown
      p = v && typeof v === 'object' ? (v as PackageJson) : null
    } catch {
      p = null
    }
    packageJsons.set(file, p)
  }
  return p
}

/** The nearest package.json upwards of `dir` (its folder and content), or null. */
function nearestPackage(dir: string): { dir: string; pj: PackageJson } | null {
  for (let d = dir; ; ) {
    const pj = isFile(join(d, 'package.json')) ? readPackage(join(d, 'package.json')) : null
    if (pj) return { dir: d, pj }
    const up = dirname(d)
    if (up === d) return null
    d = up
  }
}

/** For a file inside node_modules: its package's name and version (from the nearest package.json with a name). */
export function packageOfFile(file: string): { name: string; version: string } | null {
  if (!file.split(sep).includes('node_modules')) return null
  for (let d = dirname(file); ; ) {
    const pj = readPackage(join(d, 'package.json'))
    if (pj?.name) return { name: pj.name, version: pj.version ?? '?' }
    const up = dirname(d)
    if (up === d || d.endsWith(`${sep}node_modules`)) return { name: relative(dirname(file), file), version: '?' }
    d = up
  }
}

/** Every string in an exports/imports target (conditions and fallback arrays, all of them). */
function targetStrings(t: unknown, out: string[] = []): string[] {
  if (typeof t === 'string') out.push(t)
  else if (Array.isArray(t)) for (const x of t) targetStrings(x, out)
  else if (t && typeof t === 'object') for (const x of Object.values(t)) targetStrings(x, out)
  return out
}

/**
 * The targets of `key` in a package.json exports or imports map: an exact key, else the pattern (one `*`) with
 * the longest prefix, with `*` replaced. Null when nothing matches.
 */
function mapTargets(map: Record<string, unknown>, key: string): string[] | null {
  if (Object.prototype.hasOwnProperty.call(map, key)) return targetStrings(map[key])
  let best: { prefix: string; star: string; target: unknown } | null = null
  for (const [k, v] of Object.entries(map)) {
    const i = k.indexOf('*')
    if (i < 0) continue
    const prefix = k.slice(0, i), suffix = k.slice(i + 1)
    if (key.length >= k.length - 1 && key.startsWith(prefix) && key.endsWith(suffix) && (!best || prefix.length > best.prefix.length)) {
      best = { prefix, star: key.slice(prefix.length, key.length - suffix.length), target: v }
    }
  }
  return best ? targetStrings(best.target).map((t) => t.split('*').join(best!.star)) : null
}

/** The files subpath `sub` ('.' or './x') of a package folder may load: its exports, else main/module or the path. */
function packageFiles(dir: string, pj: PackageJson, sub: string): string[] {
  const out: string[] = []
  const exp = pj.exports
  if (exp !== undefined && exp !== null) {
    const sugar = typeof exp === 'string' || Array.isArray(exp) || (typeof exp === 'object' && !Object.keys(exp).some((k) => k.startsWith('.')))
    const targets = sugar ? (sub === '.' ? targetStrings(exp) : null) : mapTargets(exp as Record<string, unknown>, sub)
    for (const t of targets ?? []) if (t.startsWith('./')) out.push(...resolveLocal(t, dir))
    return out
  }
  if (sub === '.') {
    for (const m of [pj.main, pj.module]) if (typeof m === 'string') out.push(...resolveLocal(m.startsWith('.') ? m : `./${m}`, dir))
    if (!out.length) out.push(...resolveLocal('./index', dir))
    return out
  }
  return resolveLocal(sub, dir)
}

/** Where a bare or `#` specifier leads: local files, and/or a package by version; or why it leads nowhere. */
export interface Resolution {
  files: string[]
  packages: Array<{ name: string; version: string }>
  /** Set when the specifier leads nowhere laytest can see (then the factory cannot be keyed). */
  unresolvable: string | null
}

/**
 * A bare specifier (`pkg`, `pkg/sub`, `@scope/pkg`, an alias) or a package import (`#x`) from a file in
 * `fromDir`. `ownPackage` names the package laytest itself is (imported as a package, by its version).
 */
export function resolveSpecifier(spec: string, fromDir: string, ownPackage: { name: string; version: string }): Resolution {
  const r: Resolution = { files: [], packages: [], unresolvable: null }
  if (spec.startsWith('#')) {
    const owner = nearestPackage(fromDir)
    const imports = owner?.pj.imports
    const targets = owner && imports && typeof imports === 'object' ? mapTargets(imports as Record<string, unknown>, spec) : null
    if (!owner || !targets) {
      r.unresolvable = `no package.json "imports" entry for ${spec}`
      return r
    }
    for (const t of targets) {
      if (t.startsWith('./')) r.files.push(...resolveLocal(t, realpath(owner.dir)))
      else if (!t.startsWith('#')) {
        const sub = resolveSpecifier(t, owner.dir, ownPackage)
        r.files.push(...sub.files)
        r.packages.push(...sub.packages)
        if (sub.unresolvable) r.unresolvable = sub.unresolvable
      }
    }
    if (!r.files.length && !r.packages.length && !r.unresolvable) r.unresolvable = `package.json "imports" maps ${spec} to no file`
    return r
  }
  // TypeScript's path aliases and baseUrl (also what vite's tsconfig-paths aliases read): local files; a
  // pattern that matches but finds no file falls back to packages, as TypeScript does
  const aliased = tsconfigFiles(spec, fromDir)
  r.files.push(...aliased.files)
  const name = packageName(spec)
  const sub = `.${spec.slice(name.length)}`
  if (name === ownPackage.name) {
    r.packages.push({ name, version: ownPackage.version })
    return r
  }
  const found = findPackage(name, fromDir)
  if (found) {
    const real = realpath(found.dir)
    if (found.self || !real.split(sep).includes('node_modules')) {
      // the user's own code under a package name (self-reference, a workspace or linked package): by content
      const files = packageFiles(real, found.pj, sub)
      if (files.length) r.files.push(...files)
      else if (!r.files.length) r.unresolvable = `${spec} is a local package (${real}) whose ${sub === '.' ? 'entry' : sub} laytest cannot find`
    } else r.packages.push({ name, version: found.pj.version ?? '?' })
    return r
  }
  if (r.files.length) return r // an alias or baseUrl found it
  // type-only imports of a package whose types come from @types
  const types = findPackage(`@types/${name.startsWith('@') ? name.slice(1).replace('/', '__') : name}`, fromDir)
  if (types && !types.self) {
    r.packages.push({ name: `@types/${name}`, version: types.pj.version ?? '?' })
    return r
  }
  r.unresolvable = aliased.matched ? `tsconfig paths map ${spec} to no file, and it is no installed package`
    : `${spec} is no installed package and no tsconfig path (an alias laytest does not know?)`
  return r
}

/** Package `name` as Node finds it from `fromDir`: node_modules upwards, then the package itself (self-reference). */
function findPackage(name: string, fromDir: string): { dir: string; pj: PackageJson; self: boolean } | null {
  for (let d = fromDir; ; ) {
    const dir = join(d, 'node_modules', name)
    const pj = isFile(join(dir, 'package.json')) ? readPackage(join(dir, 'package.json')) : null
    if (pj) return { dir, pj, self: false }
    const up = dirname(d)
    if (up === d) break
    d = up
  }
  const own = nearestPackage(fromDir)
  return own && own.pj.name === name ? { dir: own.dir, pj: own.pj, self: true } : null
}

// ---------------------------------------------------------------------------------------------------------------
// tsconfig.json: compilerOptions.paths and baseUrl, following `extends`

interface TsPaths {
  /** Folder the `paths` targets are relative to. */
  pathsBase: string | null
  paths: Record<string, string[]> | null
  baseUrl: string | null
}

const tsconfigs = new Map<string, TsPaths | null>()
const tsconfigOfDir = new Map<string, string | null>()

function parseJsonc(text: string): unknown {
  try {
    return JSON.parse(stripComments(text).replace(/,(\s*[}\]])/g, '$1'))
  } catch {
    return null
  }
}

/** The paths options of a tsconfig file, its `extends` chain merged (the nearer file's options win). */
function readTsconfig(file: string, depth = 0): TsPaths | null {
  const known = tsconfigs.get(file)
  if (known !== undefined) return known
  let out: TsPaths | null = null
  let text: string | null = null
  try {
    text = readFileSync(file, 'utf8')
  } catch {
    // unreadable: no options
  }
  const json = text === null ? null : (parseJsonc(text) as { extends?: unknown; compilerOptions?: { paths?: unknown; baseUrl?: unknown } } | null)
  if (json && typeof json === 'object') {
    const dir = dirname(file)
    out = { pathsBase: null, paths: null, baseUrl: null }
    const parents = typeof json.extends === 'string' ? [json.extends] : Array.isArray(json.extends) ? json.extends.filter((e): e is string => typeof e === 'string') : []
    for (const ext of parents) {
      if (depth > 8) break
      const base = ext.startsWith('.') || isAbsolute(ext) ? resolve(dir, ext) : join(dir, 'node_modules', ext)
      const parent = readTsconfig(isFile(base) ? base : `${base}.json`, depth + 1)
      if (parent) out = { ...out, ...Object.fromEntries(Object.entries(parent).filter(([, v]) => v !== null)) }
    }
    const co = json.compilerOptions
    if (co && typeof co === 'object') {
      if (typeof co.baseUrl === 'string') out.baseUrl = resolve(dir, co.baseUrl)
      if (co.paths && typeof co.paths === 'object') {
        out.paths = Object.fromEntries(Object.entries(co.paths as Record<string, unknown>).map(([k, v]) => [k, Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : []]))
        out.pathsBase = out.baseUrl ?? dir
      }
    }
    if (out.paths && !out.pathsBase) out.pathsBase = out.baseUrl ?? dir
  }
  tsconfigs.set(file, out)
  return out
}

/** The nearest tsconfig.json upwards of `dir` (not above a node_modules folder), or null. */
function nearestTsconfig(dir: string): string | null {
  const known = tsconfigOfDir.get(dir)
  if (known !== undefined) return known
  let found: string | null = null
  if (isFile(join(dir, 'tsconfig.json'))) found = join(dir, 'tsconfig.json')
  else if (!dir.endsWith(`${sep}node_modules`)) {
    const up = dirname(dir)
    found = up === dir ? null : nearestTsconfig(up)
  }
  tsconfigOfDir.set(dir, found)
  return found
}

/** The files a specifier may load through the nearest tsconfig's `paths` (matched: a pattern applies) or `baseUrl`. */
function tsconfigFiles(spec: string, fromDir: string): { matched: boolean; files: string[] } {
  const file = nearestTsconfig(fromDir)
  const ts = file ? readTsconfig(file) : null
  if (!ts) return { matched: false, files: [] }
  const targets = ts.paths && ts.pathsBase ? mapTargets(ts.paths, spec) : null
  const files: string[] = []
  for (const t of targets ?? []) files.push(...resolveLocal(t, ts.pathsBase!))
  // (with paths, TypeScript itself would not look at baseUrl alone; a file found there is covered all the same)
  if (ts.baseUrl) files.push(...resolveLocal(spec, ts.baseUrl))
  return { matched: targets !== null, files }
}
