/*
 * What the viewer may read: layout files only. The GDSII or OASIS magic (also inside gzip) is checked before
 * anything else, on a descriptor opened without blocking (a FIFO or device is never read), and nothing of a file
 * that is not a layout is ever sent back.
 */
import { closeSync, constants, fstatSync, lstatSync, openSync, readFileSync, readlinkSync, readSync } from 'node:fs'
import { readLayout } from '../layout/gdsio.js'
import type { Layout } from '../layout/layout.js'
import { readOasis } from '../layout/oasisio.js'
import { pyRealpath } from './lyipc.js'
import { layoutFormatOf, type LayoutFormat } from '../gds/format.js'

export type { LayoutFormat }

/** The format the bytes start with (plain or gzip-compressed), or null: GDSII's HEADER record, or OASIS's magic. */
export function layoutMagic(head: Uint8Array): LayoutFormat | null {
  try {
    return layoutFormatOf(head, '')
  } catch {
    return null
  }
}

export type FileCheck = { ok: true; format: LayoutFormat } | { ok: false; why: 'missing' | 'directory' | 'empty' | 'not-layout' }

/** Is `path` a readable regular file that starts like a layout? Reads at most 4 KiB, never blocks. */
export function checkLayoutFile(path: string): FileCheck {
  let fd: number
  try {
    fd = openSync(path, constants.O_RDONLY | (constants.O_NONBLOCK ?? 0))
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code
    if (code === 'EISDIR') return { ok: false, why: 'directory' }
    return { ok: false, why: 'missing' }
  }
  try {
    const st = fstatSync(fd)
    if (st.isDirectory()) return { ok: false, why: 'directory' }
    if (!st.isFile()) return { ok: false, why: 'not-layout' }
    if (st.size === 0) return { ok: false, why: 'empty' }
    const head = Buffer.alloc(4096)
    const n = readSync(fd, head, 0, head.length, 0)
    const f = layoutMagic(head.subarray(0, n))
    return f ? { ok: true, format: f } : { ok: false, why: 'not-layout' }
  } catch {
    return { ok: false, why: 'missing' }
  } finally {
    closeSync(fd)
  }
}

/** Reads layout bytes (GDSII, OASIS, gzip GDSII); anything else is refused without a word about its content. */
export function readLayoutBytes(bytes: Uint8Array, file: string): Layout {
  const f = layoutMagic(bytes.subarray(0, 4096))
  if (!f) throw new Error(`${file}: not a GDSII or OASIS layout`)
  return f === 'oasis' ? readOasis(bytes, { file }) : readLayout(bytes, { file })
}

/** Reads a registered layout file again (it may have changed on disk: reload). */
export function readLayoutFile(path: string): Layout {
  const c = checkLayoutFile(path)
  if (!c.ok) throw new Error(`${path}: ${c.why === 'missing' ? 'cannot be opened' : c.why === 'directory' ? 'is a directory' : c.why === 'empty' ? 'is empty' : 'is not a GDSII or OASIS layout'}`)
  return readLayoutBytes(readFileSync(path), path)
}

/** os.path.realpath on this machine's file system. */
export function realpathLike(name: string, cwd: string): string {
  return pyRealpath(name, cwd, { lstat: (p) => lstatSync(p), readlink: (p) => readlinkSync(p) })
}
