import { closeSync, openSync, renameSync, unlinkSync, writeFileSync, writeSync } from 'node:fs'
import { basename, dirname, join } from 'node:path'

/**
 * Writes a file atomically: the bytes go to a temporary file in the same folder, which is then renamed over the
 * target, so a reader never sees a half-written file and a failed write leaves the old file as it was.
 */
export function writeFileAtomic(path: string, bytes: Uint8Array | string): void {
  writeAtomically(path, (tmp) => writeFileSync(tmp, bytes))
}

/**
 * writeFileAtomic for content made in pieces: `produce` gets a function that appends bytes to the file (so a big
 * file need not be whole in memory). An exception from `produce` leaves the target as it was, and is rethrown.
 */
export function writeFileAtomicStream(path: string, produce: (write: (bytes: Uint8Array) => void) => void): void {
  writeAtomically(path, (tmp) => {
    const fd = openSync(tmp, 'w')
    try {
      produce((bytes) => {
        for (let off = 0; off < bytes.length; ) off += writeSync(fd, bytes, off, bytes.length - off)
      })
    } finally {
      closeSync(fd)
    }
  })
}

function writeAtomically(path: string, write: (tmp: string) => void): void {
  const tmp = join(dirname(path), `.${basename(path)}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`)
  try {
    write(tmp)
    renameSync(tmp, path)
  } catch (e) {
    try {
      unlinkSync(tmp)
    } catch {
      // the temporary file was never created
    }
    // the error names the file asked for, not the temporary one (which means nothing to the user)
    const code = (e as NodeJS.ErrnoException).code
    if (!code) throw e
    const why = code === 'ENOENT' ? 'its folder does not exist' : code === 'EISDIR' ? 'it is a folder' : code === 'EACCES' || code === 'EPERM' ? 'permission denied' : code === 'ENOSPC' ? 'no space left on the device' : code
    throw Object.assign(new Error(`cannot write ${path}: ${why} (${code})`), { code, path })
  }
}
