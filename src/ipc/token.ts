/*
 * The viewer's per-user secret: a token file only its owner can read (mode 0600, in a 0700 folder of the user's
 * runtime or cache directory). laytest serve creates it; laytest clients of the same user read it and send it with
 * every JSON request; other users cannot read it, so they cannot drive the viewer's JSON API or open its web page.
 * lyipc lines stay token-free (lyipc clients know nothing of it) but are limited to loading layout files.
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto'
import { chmodSync, closeSync, constants, fstatSync, lstatSync, mkdirSync, openSync, readFileSync, renameSync, writeSync } from 'node:fs'
import { homedir } from 'node:os'
import { dirname, join } from 'node:path'

/** Where the token lives: LAYTEST_VIEWER_TOKEN_FILE, else $XDG_RUNTIME_DIR/laytest, else the user's cache folder. */
export function tokenFile(env: NodeJS.ProcessEnv = process.env): string {
  if (env.LAYTEST_VIEWER_TOKEN_FILE) return env.LAYTEST_VIEWER_TOKEN_FILE
  if (process.platform === 'win32') return join(env.LOCALAPPDATA ?? join(homedir(), 'AppData', 'Local'), 'laytest', 'viewer-token')
  const runtime = env.XDG_RUNTIME_DIR
  if (runtime && ownedDir(runtime)) return join(runtime, 'laytest', 'viewer-token')
  const cache = env.XDG_CACHE_HOME || (process.platform === 'darwin' ? join(homedir(), 'Library', 'Caches') : join(homedir(), '.cache'))
  return join(cache, 'laytest', 'viewer-token')
}

function ownedDir(p: string): boolean {
  try {
    const s = lstatSync(p)
    return s.isDirectory() && (process.getuid === undefined || s.uid === process.getuid())
  } catch {
    return false
  }
}

export class TokenError extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'TokenError'
  }
}

const TOKEN_RE = /^[0-9a-f]{64}$/

/**
 * Reads the token (a client): LAYTEST_VIEWER_TOKEN (for a viewer on another machine), else the token file; null
 * when there is none yet. A file that others can read or that another user owns is refused.
 */
export function readToken(env: NodeJS.ProcessEnv = process.env): string | null {
  if (env.LAYTEST_VIEWER_TOKEN) return env.LAYTEST_VIEWER_TOKEN.trim()
  const file = tokenFile(env)
  let fd: number
  try {
    fd = openSync(file, constants.O_RDONLY | (constants.O_NOFOLLOW ?? 0))
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null
    throw new TokenError(`${file}: cannot read the viewer token (${(e as Error).message})`)
  }
  try {
    checkPrivate(file, fstatSync(fd))
    const t = readFileSync(fd, 'utf8').trim()
    return TOKEN_RE.test(t) ? t : null
  } finally {
    closeSync(fd)
  }
}

function checkPrivate(file: string, s: { uid: number; mode: number; isFile(): boolean }): void {
  if (!s.isFile()) throw new TokenError(`${file}: the viewer token is not a regular file`)
  if (process.platform === 'win32') return
  if (process.getuid && s.uid !== process.getuid()) throw new TokenError(`${file}: the viewer token belongs to another user (uid ${s.uid})`)
  if (s.mode & 0o077) throw new TokenError(`${file}: the viewer token is readable by others (mode ${(s.mode & 0o777).toString(8)}); remove it and restart laytest serve`)
}

/**
 * The token, created if missing (the server). A token file others could read is replaced by a new one; one owned
 * by another user is an error.
 */
export function ensureToken(env: NodeJS.ProcessEnv = process.env): { token: string; file: string } {
  if (env.LAYTEST_VIEWER_TOKEN) return { token: env.LAYTEST_VIEWER_TOKEN.trim(), file: '(LAYTEST_VIEWER_TOKEN)' }
  const file = tokenFile(env)
  mkdirSync(dirname(file), { recursive: true, mode: 0o700 })
  try {
    const t = readToken(env)
    if (t) return { token: t, file }
  } catch (e) {
    if (!/readable by others|not a regular file/.test((e as Error).message)) throw e
    // leaked (or tampered with): a new secret replaces it
  }
  const token = randomBytes(32).toString('hex')
  const tmp = `${file}.${process.pid}.${randomBytes(4).toString('hex')}`
  const fd = openSync(tmp, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL, 0o600)
  try {
    writeSync(fd, token + '\n')
  } finally {
    closeSync(fd)
  }
  if (process.platform !== 'win32') chmodSync(tmp, 0o600)
  renameSync(tmp, file)
  return { token, file }
}

/** Constant-time comparison of a presented token with the secret. */
export function tokenMatches(secret: string, presented: unknown): boolean {
  if (typeof presented !== 'string') return false
  const a = Buffer.from(secret), b = Buffer.from(presented)
  return a.length === b.length && timingSafeEqual(a, b)
}

/** The web viewer's URL key: derived from the secret, so only its holders can compute (or be given) the URL. */
export function webKey(secret: string): string {
  return createHmac('sha256', secret).update('laytest web viewer').digest('hex').slice(0, 32)
}
