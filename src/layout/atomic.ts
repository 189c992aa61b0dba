import { renameSync, unlinkSync, writeFileSync } from 'node:fs'
import { basename, dirname, join } from 'node:path'

/**
 * Writes a file atomically: the bytes go to a temporary file in the same folder, which is then renamed over the
 * target, so a reader never sees a half-written file and a failed write leaves the old file as it was.
 */
export function writeFileAtomic(path: string, bytes: Uint8Array | string): void {
  const tmp = join(dirname(path), `.${basename(path)}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`)
  try {
    writeFileSync(tmp, bytes)
    renameSync(tmp, path)
  } catch (e) {
    try {
      unlinkSync(tmp)
    } catch {
      // the temporary file was never created
    }
    throw e
  }
}
