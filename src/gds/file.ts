import { closeSync, openSync, readFileSync, readSync } from 'node:fs'
import { GdsError } from './errors.js'

/** The error for a file that cannot be opened or read: its name and the system's code. */
export function unreadableFile(file: string, e: unknown): GdsError {
  return new GdsError({ file, expected: `a readable file (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})` })
}

/** The gzip magic (1f 8b). */
export function isGzip(b: Uint8Array): boolean {
  return b.length >= 2 && b[0] === 0x1f && b[1] === 0x8b
}

/**
 * Opens a layout file for either reader (GDSII, OASIS): a gzip-compressed file is handed over whole (`gzip`),
 * a plain one as a descriptor to read through a window (`plain`, with `read` turning a read failure into the
 * reader's error). The descriptor is closed afterwards whatever happens; open and read failures are one-line
 * GdsErrors naming `file`.
 */
export function withLayoutFile<T>(
  path: string, file: string,
  plain: (fd: number, read: (buf: Uint8Array, from: number, position: number) => number) => T,
  gzip: (whole: Uint8Array) => T,
): T {
  let fd: number
  try {
    fd = openSync(path, 'r')
  } catch (e) {
    throw unreadableFile(file, e)
  }
  const read = (buf: Uint8Array, from: number, position: number): number => {
    try {
      return readSync(fd, buf, from, buf.length - from, position)
    } catch (e) {
      throw unreadableFile(file, e)
    }
  }
  try {
    const head = new Uint8Array(2)
    let n = read(head, 0, 0)
    if (n === 1) n += read(head, 1, 1)
    if (isGzip(head.subarray(0, n))) {
      let whole: Uint8Array
      try {
        whole = readFileSync(path)
      } catch (e) {
        throw unreadableFile(file, e)
      }
      return gzip(whole)
    }
    return plain(fd, read)
  } finally {
    closeSync(fd)
  }
}
