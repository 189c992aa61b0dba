import { readFileSync, statSync, type BigIntStats } from 'node:fs'
import { resolve } from 'node:path'
import { sha256, type CacheStore } from './store.js'

/*
 * File contents by stat, as git's index does it, without being fooled.
 *
 * The shortcut: a file whose (path, size, mtime ns, ctime ns, inode, device) equal those of an earlier hashing
 * is not read again; its SHA-256 comes from the cache. mtime alone is not enough: `cp -p`, `rsync -t --inplace`,
 * `touch -r` and fixed-epoch build tools edit a file in place (same size, same inode) and put the old mtime
 * back. They cannot put the ctime back: no system call sets it, every write, utime and chmod moves it to the
 * current time (git's core.trustctime).
 *
 * The racy case (git's "racily clean" entries): timestamps have a granularity (ns on ext4 but updated from a
 * clock that ticks every few ms, 1 s on some NFS/HFS+, 2 s on FAT), so a file written again right after it was
 * hashed can keep every stat field, ctime included. Design: the time of hashing is taken before the file is
 * stat'ed and read, and an entry is stored only when the file's mtime and ctime are both older than that time
 * minus RACY_MARGIN_NS (3 s: more than FAT's 2 s granularity plus clock ticks). A later write then necessarily
 * gives the file a ctime at or after the hashing time, hence another key. The stored entry keeps the hashing
 * time, and a lookup checks the rule again (and that the clock did not go backwards), so an entry is used only
 * when it was provably taken of a file that had not been written for RACY_MARGIN_NS. Files written within the
 * margin are simply hashed again on every lookup (cheap next to what a hit saves) until they are old enough.
 * A file is also stat'ed again after it was read: a change during the read is not stored either.
 *
 * What remains trusted: the system clock (a clock set back, or a network file system whose server clock runs
 * more than the margin behind the client's, could defeat the rule, as it defeats git's).
 */

/** Files whose mtime or ctime is not older than this before the moment of hashing are not remembered. */
export const RACY_MARGIN_NS = 3_000_000_000n

const KEY_VERSION = 'stat2'

/** One hashing of a file: its content hash, the stat it was taken under, and whether the stat can be trusted. */
export interface FileHash {
  path: string
  hash: string
  /** The file's identity when it was hashed (size, mtime, ctime, inode, device). */
  identity: string
  /** Wall time (ns since the epoch) taken before the file was stat'ed and read. */
  hashedAtNs: bigint
  /** With `keepBytes`, when the file had to be read: exactly the bytes hashed. */
  bytes?: Uint8Array
}

const nowNs = (): bigint => BigInt(Date.now()) * 1_000_000n

function identityOf(st: BigIntStats): string {
  return `${st.size}\0${st.mtimeNs}\0${st.ctimeNs}\0${st.ino}\0${st.dev}`
}

/**
 * The stat shortcut may be trusted for a file of these timestamps hashed at `hashedAt`: neither timestamp is
 * within RACY_MARGIN_NS of the hashing time (or after it), and the clock has not gone back since.
 */
function settled(st: BigIntStats, hashedAt: bigint, now: bigint): boolean {
  const limit = hashedAt - RACY_MARGIN_NS
  return st.mtimeNs < limit && st.ctimeNs < limit && hashedAt <= now
}

/**
 * The SHA-256 of a file's bytes; the stat shortcut (see above) avoids reading an unchanged file again. The hash
 * always describes content: a stale shortcut is impossible short of a clock that runs backwards.
 */
export function fileContentHash(store: CacheStore | null, path: string): string {
  return hashFile(store, path).hash
}

/**
 * fileContentHash with what it was taken under, for `unchangedSince`; with `keepBytes`, the bytes read (when
 * the file was read), so that a caller can use exactly the content it hashed.
 */
export function hashFile(store: CacheStore | null, path: string, opts: { keepBytes?: boolean } = {}): FileHash {
  const abs = resolve(path)
  const now = nowNs()
  const st = statSync(abs, { bigint: true })
  const identity = identityOf(st)
  const statKey = `${KEY_VERSION}\0${abs}\0${identity}`
  const hit = store?.get(statKey)
  if (hit) {
    const m = /^([0-9a-f]{64}) (\d+)$/.exec(hit.toString('latin1'))
    if (m && settled(st, BigInt(m[2]!), now)) return { path: abs, hash: m[1]!, identity, hashedAtNs: BigInt(m[2]!) }
  }
  const bytes = readFileSync(abs)
  const h = sha256(bytes)
  const after = statSync(abs, { bigint: true })
  if (store && identityOf(after) === identity && settled(st, now, now)) store.put(statKey, `${h} ${now}`)
  return { path: abs, hash: h, identity, hashedAtNs: now, ...(opts.keepBytes ? { bytes } : {}) }
}

/**
 * Whether the file is provably the one `h` hashed: the same identity, and timestamps older than the hashing by
 * the margin (so that no write since the hashing could have kept the identity). A result computed from the
 * file after `h` was taken may be stored under `h.hash` only if this holds afterwards.
 */
export function unchangedSince(h: FileHash): boolean {
  let st: BigIntStats
  try {
    st = statSync(h.path, { bigint: true })
  } catch {
    return false
  }
  return identityOf(st) === h.identity && settled(st, h.hashedAtNs, nowNs())
}
