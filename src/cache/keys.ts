import { readFileSync, statSync } from 'node:fs'
import { resolve } from 'node:path'
import { sha256, type CacheStore } from './store.js'

/**
 * The SHA-256 of a file's bytes. Like git's index and ccache's direct mode, a file whose path, size, mtime (ns)
 * and inode are those of an earlier hashing is not read again: its hash comes from the cache. A file rewritten
 * with other content gets a new mtime, hence a new lookup key; the hash itself always describes content.
 */
export function fileContentHash(store: CacheStore | null, path: string): string {
  const abs = resolve(path)
  const st = statSync(abs, { bigint: true })
  const statKey = `stat\0${abs}\0${st.size}\0${st.mtimeNs}\0${st.ino}\0${st.dev}`
  const hit = store?.get(statKey)
  if (hit && hit.length === 64) return hit.toString('latin1')
  const h = sha256(readFileSync(abs))
  store?.put(statKey, h)
  return h
}
