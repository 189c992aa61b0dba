/*
 * lyipc's line protocol, reply for reply. lyipc's server (lyipc 0.2.14: lyipc/server.py, lyipc/interpreter.py)
 * reads one line, strips the trailing "\n" then any "\r", splits it on single spaces and answers either
 * `ACK None` or `ERR ` + repr(traceback.format_exc()) — one line, no terminator — then disconnects.
 *
 * The tracebacks below are the ones lyipc's interpreter produces inside KLayout 0.28.5 (Python 3.11, Debian 12),
 * captured by running it there: same frames, line numbers, source lines, caret lines and exception messages. The
 * only part that differs between two lyipc installations is the file name of the interpreter module; laytest
 * names it where lyipc's installer links it for KLayout (~/.klayout/python/lyipc/interpreter.py).
 */
import { homedir } from 'node:os'
import { join } from 'node:path'

/** What an lyipc line asks for, after lyipc's own parsing (errors already turned into lyipc's reply). */
export type LyipcAction =
  | { kind: 'reload' }
  | { kind: 'ping' }
  | { kind: 'load'; path: string; mode: number }
  | { kind: 'cellview'; cell: string }
  | { kind: 'other' }
  | { kind: 'error'; reply: string }

/** The module file lyipc's tracebacks name (as installed for KLayout's Python by lyipc's installer). */
export function defaultInterpreterPath(): string {
  return join(homedir(), '.klayout', 'python', 'lyipc', 'interpreter.py')
}

export const ACK = 'ACK None'

/** Python's repr() of a str: single quotes unless the text holds ' and no ", escapes for non-printables. */
export function pyRepr(s: string): string {
  const q = s.includes("'") && !s.includes('"') ? '"' : "'"
  let out = q
  for (const ch of s) {
    const c = ch.codePointAt(0)!
    if (ch === q || ch === '\\') out += '\\' + ch
    else if (ch === '\n') out += '\\n'
    else if (ch === '\r') out += '\\r'
    else if (ch === '\t') out += '\\t'
    else if (c < 0x20 || c === 0x7f) out += '\\x' + c.toString(16).padStart(2, '0')
    else if (ch !== ' ' && /[\p{C}\p{Z}]/u.test(ch)) {
      // not printable for Python (str.isprintable): control, format, surrogate, private, unassigned, separators
      out += c <= 0xff ? '\\x' + c.toString(16).padStart(2, '0') : c <= 0xffff ? '\\u' + c.toString(16).padStart(4, '0') : '\\U' + c.toString(16).padStart(8, '0')
    } else out += ch
  }
  return out + q
}

interface Frame {
  line: number
  fn: 'parse_message' | 'quiet_load_layout'
  source: string
  /** Python 3.11's marker line under the failing expression (absent when it spans the whole line). */
  marks?: string
}

/** `ERR <repr of the traceback>`, as lyipc's interpreter sends it. */
export function lyipcError(frames: Frame[], exception: string, interpreter = defaultInterpreterPath()): string {
  let tb = 'Traceback (most recent call last):\n'
  for (const f of frames) {
    tb += `  File "${interpreter}", line ${f.line}, in ${f.fn}\n    ${f.source}\n`
    if (f.marks) tb += `    ${f.marks}\n`
  }
  tb += exception + '\n'
  return 'ERR ' + pyRepr(tb)
}

/* The frames of lyipc's interpreter.py where its errors are raised. */
const F = {
  reload: { line: 52, fn: 'parse_message', source: 'main.cm_reload()' },
  loadToken: { line: 58, fn: 'parse_message', source: `if tokens[1].startswith('"'):`, marks: '   ~~~~~~^^^' },
  oneQuote: { line: 70, fn: 'parse_message', source: "raise ValueError('Malformed filename with only one quote')" },
  mode: { line: 77, fn: 'parse_message', source: 'mode = int(tokens[-1])', marks: '       ^^^^^^^^^^^^^^^' },
  quietLoad: { line: 80, fn: 'parse_message', source: 'quiet_load_layout(filename, mode)' },
  loadLayout: { line: 27, fn: 'quiet_load_layout', source: 'view = main.load_layout(filename, mode)', marks: '       ^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^' },
  cellToken: { line: 83, fn: 'parse_message', source: 'cellname = tokens[1]', marks: '           ~~~~~~^^^' },
  cellview: { line: 86, fn: 'parse_message', source: 'cv = view.active_cellview()', marks: '     ^^^^^^^^^^^^^^^^^^^^' },
} satisfies Record<string, Frame>

/** The errors a layout-less or view-less KLayout raises, and those of loading a file. */
export const lyipcErrors = {
  noLayout: (p?: string): string => lyipcError([F.reload], 'RuntimeError: This function needs a layout but none was available in MainWindow.cm_reload', p),
  noView: (p?: string): string => lyipcError([F.cellview], "AttributeError: 'NoneType' object has no attribute 'active_cellview'", p),
  /** A file that cannot be opened (KLayout's message; laytest also answers this for a file that is not a layout). */
  cannotOpen: (file: string, p?: string): string => lyipcError([F.quietLoad, F.loadLayout], `RuntimeError: Unable to open file: ${file} (errno=2) in MainWindow.load_layout`, p),
  /** A directory. */
  readError: (file: string, p?: string): string => lyipcError([F.quietLoad, F.loadLayout], `RuntimeError: Read error on file: ${file} (errno=21) in MainWindow.load_layout`, p),
}

/** Python's int() of a str, or null where it raises ValueError. */
export function pyInt(s: string): number | null {
  // Python's str.strip(): Unicode white space, and the separators U+001C..U+001F
  const isSpace = (ch: string): boolean => /\s/u.test(ch) || (ch >= '\u001c' && ch <= '\u001f')
  let a = 0, b = s.length
  while (a < b && isSpace(s[a]!)) a++
  while (b > a && isSpace(s[b - 1]!)) b--
  const t = s.slice(a, b)
  if (!/^[+-]?\d+(_\d+)*$/.test(t)) return null
  return Number(t.replace(/_/g, ''))
}

/**
 * One lyipc line (without its line end) parsed exactly as lyipc's interpreter does. `realpath` is
 * os.path.realpath on the server's side (relative names resolve against its working directory).
 * State-dependent errors (reload or cellview with nothing loaded, files that cannot be opened) are decided by the
 * caller, which has the state.
 */
export function interpretLyipc(msg: string, realpath: (p: string) => string, interpreter?: string): LyipcAction {
  const tokens = msg.split(' ')
  if (tokens.length === 2 && tokens[0] === 'reload' && tokens[1] === 'view') return { kind: 'reload' }
  const t0 = tokens[0]
  if (t0 === 'ping') return { kind: 'ping' }
  if (t0 === 'load') {
    if (tokens.length < 2) return { kind: 'error', reply: lyipcError([F.loadToken], 'IndexError: list index out of range', interpreter) }
    let filename: string
    let iword: number
    if (tokens[1]!.startsWith('"')) {
      // a name with spaces: words up to the one ending in a quote (a quoted one-word name is malformed to lyipc)
      filename = tokens[1]!.slice(1)
      let closed = false
      for (iword = 2; iword < tokens.length; iword++) {
        const word = tokens[iword]!
        filename += ' '
        if (word.endsWith('"')) {
          filename += word.slice(0, -1)
          closed = true
          break
        }
        filename += word
      }
      if (!closed) return { kind: 'error', reply: lyipcError([F.oneQuote], 'ValueError: Malformed filename with only one quote', interpreter) }
    } else {
      iword = 1
      filename = tokens[1]!
    }
    const path = realpath(filename)
    let mode = 0
    if (iword < tokens.length - 1) {
      const last = tokens[tokens.length - 1]!
      const m = pyInt(last)
      if (m === null) return { kind: 'error', reply: lyipcError([F.mode], `ValueError: invalid literal for int() with base 10: ${pyRepr(last)}`, interpreter) }
      mode = m
    }
    return { kind: 'load', path, mode }
  }
  if (t0 === 'cellview') {
    if (tokens.length < 2) return { kind: 'error', reply: lyipcError([F.cellToken], 'IndexError: list index out of range', interpreter) }
    return { kind: 'cellview', cell: tokens[1]! }
  }
  return { kind: 'other' }
}

/** lyipc's server strips the line end: rstrip('\n') then rstrip('\r'). */
export function stripLineEnd(line: string): string {
  return line.replace(/\n+$/, '').replace(/\r+$/, '')
}

/**
 * Python's os.path.realpath (non-strict): absolute against `cwd`, symbolic links resolved component by component,
 * `..` taken after the links before it are resolved, missing components kept as they are.
 */
export function pyRealpath(name: string, cwd: string, fs: { lstat(p: string): { isSymbolicLink(): boolean } ; readlink(p: string): string }): string {
  const seen = new Map<string, string | null>()
  const join2 = (a: string, b: string): string => (a === '/' ? '/' + b : a + '/' + b)
  const walk = (path: string, rest: string): string => {
    for (const name of rest.split('/')) {
      if (!name || name === '.') continue
      if (name === '..') {
        path = path === '/' ? '/' : path.slice(0, path.lastIndexOf('/')) || '/'
        continue
      }
      const next = join2(path, name)
      if (seen.has(next)) {
        const r = seen.get(next)
        // a link loop: Python keeps the path as it is
        path = r ?? next
        continue
      }
      let isLink = false
      try {
        isLink = fs.lstat(next).isSymbolicLink()
      } catch {
        isLink = false
      }
      if (!isLink) {
        path = next
        continue
      }
      seen.set(next, null)
      const target = fs.readlink(next)
      path = walk(target.startsWith('/') ? '/' : path, target)
      seen.set(next, path)
    }
    return path
  }
  return name.startsWith('/') ? walk('/', name) : walk('/', join2(cwd, name))
}
