/*
 * How strings that come from files (cell names, texts, property values, lists of them) appear in messages:
 * always on one line, escaped, and bounded. A GDSII name is any bytes: newlines, NULs, binary bytes, 60 KB of
 * them, and a file can name thousands of cells in one error. Every message that shows such a string goes
 * through these helpers, so an error is one line a terminal, a log or a CI annotation can show as it is.
 */

/** Characters of a name shown at most (escapes included), before it is cut with "...". */
export const MAX_NAME_CHARS = 40
/** Characters a list of names takes at most, before the rest is counted ("and 4,127 more"). */
export const MAX_LIST_CHARS = 120
/** Characters of a whole one-line message at most (a last guard; messages are built shorter). */
export const MAX_MESSAGE_CHARS = 600

/** Printable ASCII that needs no quoting in a name: no space, quote, backslash or comma (a list separator). */
function bare(c: number): boolean {
  return c > 0x20 && c < 0x7f && c !== 0x22 && c !== 0x5c && c !== 0x2c
}

/** One character, escaped: \n \r \t \\ \" as in JSON, other control and non-ASCII bytes as \xNN, others \uNNNN. */
function escapeChar(c: number): string {
  switch (c) {
    case 0x0a: return '\\n'
    case 0x0d: return '\\r'
    case 0x09: return '\\t'
    case 0x5c: return '\\\\'
    case 0x22: return '\\"'
  }
  if (c >= 0x20 && c < 0x7f) return String.fromCharCode(c)
  if (c <= 0xff) return `\\x${c.toString(16).padStart(2, '0')}`
  return `\\u${c.toString(16).padStart(4, '0')}`
}

/**
 * A name as a message shows it: as it is when it is plain printable ASCII (`TOP`, `ring_10$1`), else in double
 * quotes with escapes (`"A\nB\x00\xff"`, `"my cell"`); longer than `max` characters, cut with "..."
 * (`"AAAA..."...`: the dots after the closing quote are not part of the name).
 */
export function showName(name: string, max = MAX_NAME_CHARS): string {
  let plain = name.length > 0
  for (let i = 0; plain && i < name.length; i++) plain = bare(name.charCodeAt(i))
  if (plain) return name.length <= max ? name : `${name.slice(0, Math.max(1, max - 3))}...`
  let out = ''
  let i = 0
  for (; i < name.length; i++) {
    const e = escapeChar(name.charCodeAt(i))
    if (out.length + e.length > max - 2) break
    out += e
  }
  return i < name.length ? `"${out}"...` : `"${out}"`
}

/** 4127 as "4,127". */
export function count(n: number): string {
  return n.toLocaleString('en-US')
}

export interface ListOptions {
  /** Items shown at most (default 3). */
  max?: number
  /** Characters the shown items take at most (default MAX_LIST_CHARS); at least one item is shown. */
  chars?: number
}

/**
 * Items already formatted for a message (see showName), joined with ", ", cut with a count of the rest:
 * "A, B, C and 4,127 more". `total` is the number of items the list stands for, when `items` holds only the
 * first few. An empty list gives "(none)".
 */
export function showList(items: readonly string[], opts: ListOptions = {}, total = items.length): string {
  if (total === 0) return '(none)'
  const max = opts.max ?? 3
  const chars = opts.chars ?? MAX_LIST_CHARS
  let out = ''
  let shown = 0
  for (const it of items) {
    if (shown >= max) break
    const next = shown === 0 ? it : `${out}, ${it}`
    if (shown > 0 && next.length > chars) break
    out = next
    shown++
  }
  return shown < total ? `${out} and ${count(total - shown)} more` : out
}

/** Names (raw, from a file) escaped and listed: `A, "B\n", C and 12 more`. */
export function showNames(names: readonly string[], opts: ListOptions = {}): string {
  const first = names.slice(0, opts.max ?? 3).map((n) => showName(n))
  return showList(first, opts, names.length)
}

/**
 * A reference cycle as "A -> B -> C -> A" (the first name repeated at the end); a long one as
 * "a cycle of 12,000 cells: A -> B -> ... -> Z -> A".
 */
export function showCycle(cycle: readonly string[]): string {
  // the cycle's names, the first repeated at the end (as CycleError gives it)
  const closed = cycle.length > 1 && cycle[0] === cycle[cycle.length - 1]
  const cells = closed ? cycle.length - 1 : cycle.length
  if (cells <= 4) return cycle.map((n) => showName(n)).join(' -> ')
  const first = cycle.slice(0, 2).map((n) => showName(n))
  const last = showName(cycle[cells - 1]!)
  return `a cycle of ${count(cells)} cells: ${first.join(' -> ')} -> ... -> ${last} -> ${showName(cycle[0]!)}`
}

/**
 * A last guard for any message: control characters escaped (a message is one line) and the length bounded.
 * Messages built with showName/showList are already one short line; this catches what comes from elsewhere
 * (an exception's text, a path given on the command line).
 */
export function oneLineMessage(message: string, max = MAX_MESSAGE_CHARS): string {
  let out = ''
  for (let i = 0; i < message.length; i++) {
    const c = message.charCodeAt(i)
    out += c < 0x20 || c === 0x7f || (c >= 0x80 && c < 0xa0) ? escapeChar(c) : message[i]
    if (out.length > max) return `${out.slice(0, max - 3)}...`
  }
  return out
}
