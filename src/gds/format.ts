import { closeSync, openSync, readSync } from 'node:fs'
import { constants, gunzipSync } from 'node:zlib'
import { GdsError } from './errors.js'
import { isGzip, unreadableFile } from './file.js'
import { isOasis } from './oasis/records.js'

/*
 * Which stream format a file holds, from its first bytes (never its name): GDSII starts with a HEADER record
 * (length 6, type 0x00, data type 0x02), OASIS with the magic `%SEMI-OASIS\r\n`; either may be gzip-compressed
 * (the first bytes of the decompressed stream decide).
 */

export type LayoutFormat = 'gds' | 'oasis'

/** Bytes read from a file to decide (a gzip member decompresses far more than the few bytes needed from this). */
const SNIFF_BYTES = 4096

function startsWithGds(b: Uint8Array): boolean {
  // HEADER: record length 6, record type 0x00, data type 0x02 (two-byte integer)
  return b.length >= 4 && b[0] === 0 && b[1] === 6 && b[2] === 0x00 && b[3] === 0x02
}

/** The first decompressed bytes of a gzip stream that may be cut short (as the prefix of a file is). */
function gunzipPrefix(b: Uint8Array): Uint8Array {
  try {
    return gunzipSync(b, { finishFlush: constants.Z_SYNC_FLUSH })
  } catch {
    return new Uint8Array(0)
  }
}

/** Shows the first bytes of a file in an error message: printable ASCII as is, the rest as \xNN. */
function showBytes(b: Uint8Array): string {
  let s = ''
  for (let i = 0; i < Math.min(b.length, 12); i++) {
    const c = b[i]!
    s += c >= 0x20 && c < 0x7f && c !== 0x5c ? String.fromCharCode(c) : `\\x${c.toString(16).padStart(2, '0')}`
  }
  return b.length ? `"${s}"${b.length > 12 ? '...' : ''}` : 'an empty file'
}

/**
 * The format of a layout stream from its first bytes (a prefix is enough); a GdsError naming the file when it
 * is neither GDSII nor OASIS (plain or gzip-compressed).
 */
export function layoutFormatOf(prefix: Uint8Array, file: string): LayoutFormat {
  const gz = isGzip(prefix)
  const b = gz ? gunzipPrefix(prefix) : prefix
  if (isOasis(b)) return 'oasis'
  if (startsWithGds(b)) return 'gds'
  // a short or odd GDSII start is left to the GDSII reader, whose message names the record
  if (b.length >= 4 && b[2] === 0x00 && b[3] === 0x02) return 'gds'
  throw new GdsError({
    file, offset: 0,
    expected: 'a GDSII file (a HEADER record) or an OASIS file ("%SEMI-OASIS"), ' +
      `plain or gzip-compressed; found ${gz ? 'gzip data holding ' : ''}${showBytes(b)}`,
  })
}

/** The format of a layout file, from its first bytes. */
export function layoutFileFormat(path: string, file = path): LayoutFormat {
  // only the first bytes, also of a gzip file (its first block decides): not withLayoutFile, which reads gzip whole
  let fd: number
  try {
    fd = openSync(path, 'r')
  } catch (e) {
    throw unreadableFile(file, e)
  }
  try {
    const buf = new Uint8Array(SNIFF_BYTES)
    let n: number
    try {
      n = readSync(fd, buf, 0, SNIFF_BYTES, 0)
    } catch (e) {
      throw unreadableFile(file, e)
    }
    return layoutFormatOf(buf.subarray(0, n), file)
  } finally {
    closeSync(fd)
  }
}
