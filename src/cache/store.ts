import { createHash, randomBytes } from 'node:crypto'
import { readFileSync as readText } from 'node:fs'
import { writeFileAtomic } from '../layout/gdsio.js'
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, utimesSync } from 'node:fs'
import { join, resolve } from 'node:path'

/*
 * A content-addressed cache on disk (build/session/laytest/ by default, kfactory's convention): entries are
 * keyed by hashes of what they were computed from, so an entry can never be stale — a changed input is a
 * different key. Each entry file is a header line with the SHA-256 of its payload, then the payload; a corrupt or
 * truncated entry fails the check and is a miss (and is replaced), never a hit. Writes are atomic (temp file,
 * rename), so parallel vitest workers can share the folder. Size is capped by evicting the least recently used
 * entries (hits refresh the file's mtime).
 */

/** 2: verdicts of the exact XOR (results of version 1 could hold a false EQUAL for non-Manhattan edits). */
export const CACHE_FORMAT_VERSION = 2
/** laytest's version: part of every result key (another laytest may compute other results). */
export const LAYTEST_VERSION = laytestVersion()

/** The version in laytest's own package.json, found upwards from this module (dist/, src/ or a bench build). */
function laytestVersion(): string {
  for (let url = new URL('./package.json', import.meta.url); ; ) {
    try {
      const pkg = JSON.parse(readText(url, 'utf8')) as { name?: string; version?: string }
      if (pkg.name === 'laytest' && pkg.version) return pkg.version
    } catch {
      // no package.json at this level
    }
    const up = new URL('../package.json', url)
    if (up.href === url.href) return '0.0.0-unknown'
    url = up
  }
}
const MAGIC = `laytest-cache v${CACHE_FORMAT_VERSION}`

export interface CacheOptions {
  /** Folder (default build/session/laytest under the root, or LAYTEST_SESSION_DIR). */
  dir?: string
  root?: string
  /** Size cap in bytes (default 1 GiB). */
  maxBytes?: number
}

export interface CacheStats {
  entries: number
  bytes: number
  /** Of this process (and, in `laytest cache stats`, of the last run: see stats.json). */
  hits: number
  misses: number
}

export function defaultCacheDir(root = process.cwd()): string {
  return resolve(root, process.env.LAYTEST_SESSION_DIR ?? 'build/session/laytest')
}

export class CacheStore {
  readonly dir: string
  readonly maxBytes: number
  hits = 0
  misses = 0

  constructor(opts: CacheOptions = {}) {
    this.dir = opts.dir ? resolve(opts.root ?? process.cwd(), opts.dir) : defaultCacheDir(opts.root)
    this.maxBytes = opts.maxBytes ?? 2 ** 30
  }

  private entryPath(key: string): string {
    const h = sha256(key)
    return join(this.dir, 'entries', h.slice(0, 2), `${h}.bin`)
  }

  private ensureDir(): void {
    if (existsSync(join(this.dir, '.gitignore'))) return
    mkdirSync(join(this.dir, 'entries'), { recursive: true })
    // never touch the user's own .gitignore: the cache folder ignores itself
    writeFileAtomic(join(this.dir, '.gitignore'), '*\n')
  }

  /** The payload stored under `key`, or null (missing, corrupt or truncated: a miss). */
  get(key: string): Buffer | null {
    const p = this.entryPath(key)
    let data: Buffer
    try {
      data = readFileSync(p)
    } catch {
      this.misses++
      return null
    }
    const nl = data.indexOf(10)
    const header = nl > 0 ? data.subarray(0, nl).toString('latin1') : ''
    const payload = data.subarray(nl + 1)
    const m = /^(\S+ v\d+) ([0-9a-f]{64}) (\d+)$/.exec(header)
    if (!m || m[1] !== MAGIC || Number(m[3]) !== payload.length || sha256(payload) !== m[2]) {
      rmSync(p, { force: true })
      this.misses++
      return null
    }
    const now = new Date()
    try {
      utimesSync(p, now, now)
    } catch {
      // evicted meanwhile by another process: the data read is still valid
    }
    this.hits++
    return payload
  }

  getJson<T>(key: string): T | null {
    const b = this.get(key)
    if (!b) return null
    try {
      return JSON.parse(b.toString('utf8')) as T
    } catch {
      return null
    }
  }

  put(key: string, payload: Uint8Array | string): void {
    this.ensureDir()
    const body = typeof payload === 'string' ? Buffer.from(payload, 'utf8') : Buffer.from(payload.buffer, payload.byteOffset, payload.byteLength)
    const p = this.entryPath(key)
    mkdirSync(join(p, '..'), { recursive: true })
    writeFileAtomic(p, Buffer.concat([Buffer.from(`${MAGIC} ${sha256(body)} ${body.length}\n`, 'latin1'), body]))
  }

  putJson(key: string, value: unknown): void {
    this.put(key, JSON.stringify(value))
  }

  private files(): Array<{ path: string; size: number; mtime: number }> {
    const root = join(this.dir, 'entries')
    if (!existsSync(root)) return []
    const out: Array<{ path: string; size: number; mtime: number }> = []
    for (const d of readdirSync(root)) {
      const sub = join(root, d)
      let names: string[]
      try {
        names = readdirSync(sub)
      } catch {
        continue
      }
      for (const f of names) {
        if (!f.endsWith('.bin')) continue
        try {
          const st = statSync(join(sub, f))
          out.push({ path: join(sub, f), size: st.size, mtime: st.mtimeMs })
        } catch {
          // removed by another process meanwhile
        }
      }
    }
    return out
  }

  stats(): CacheStats {
    const files = this.files()
    return { entries: files.length, bytes: files.reduce((n, f) => n + f.size, 0), hits: this.hits, misses: this.misses }
  }

  /** Evicts least recently used entries until the cache is at most maxBytes (or `target`). */
  prune(target = this.maxBytes): number {
    const files = this.files().sort((a, b) => a.mtime - b.mtime)
    let total = files.reduce((n, f) => n + f.size, 0)
    let removed = 0
    for (const f of files) {
      if (total <= target) break
      rmSync(f.path, { force: true })
      total -= f.size
      removed++
    }
    return removed
  }

  clear(): void {
    rmSync(join(this.dir, 'entries'), { recursive: true, force: true })
    this.resetRecorded()
  }

  /**
   * Records this process's hits and misses (one small file per process: parallel workers never overwrite each
   * other's counts), for `laytest cache stats`.
   */
  recordStats(): void {
    if (!this.hits && !this.misses) return
    this.ensureDir()
    mkdirSync(join(this.dir, 'stats'), { recursive: true })
    writeFileAtomic(join(this.dir, 'stats', `${process.pid}-${randomBytes(6).toString('hex')}.json`), JSON.stringify({ hits: this.hits, misses: this.misses }))
    this.hits = 0
    this.misses = 0
  }

  /** Hits and misses recorded since the last reset (the reporter resets at the start of a test run). */
  recorded(): { hits: number; misses: number } {
    const dir = join(this.dir, 'stats')
    const sum = { hits: 0, misses: 0 }
    if (!existsSync(dir)) return sum
    for (const f of readdirSync(dir)) {
      try {
        const s = JSON.parse(readFileSync(join(dir, f), 'utf8')) as { hits: number; misses: number }
        sum.hits += s.hits
        sum.misses += s.misses
      } catch {
        // a file being written: counted next time
      }
    }
    return sum
  }

  resetRecorded(): void {
    rmSync(join(this.dir, 'stats'), { recursive: true, force: true })
  }
}

export function sha256(data: string | Uint8Array): string {
  return createHash('sha256').update(data).digest('hex')
}

