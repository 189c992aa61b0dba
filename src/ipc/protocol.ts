/*
 * The viewer protocol (docs/protocol.md): one TCP port (11078, lyipc's) for two kinds of lines.
 * - lyipc lines, byte-compatible with lyipc clients: `load <path> [mode]`, `reload view`, `cellview <name>`,
 *   `ping`; the server replies one line (`ACK None`, or `ERR <message>` for a command it cannot do) and closes.
 * - laytest JSON lines (starting with `{`): `{"id", "cmd", ...}`; one JSON reply line per request, the id echoed;
 *   the connection stays open, so requests can be pipelined.
 */

export const DEFAULT_PORT = 11078
export const PROTOCOL_VERSION = 1
/** Longest accepted line: plain lyipc lines, and JSON lines (which may carry inline GDS data, base64). */
export const MAX_PLAIN_LINE = 1 << 20
export const MAX_JSON_LINE = 64 << 20

export type LyipcCommand =
  | { kind: 'load'; path: string; mode: 0 | 1 | 2 }
  | { kind: 'reload' }
  | { kind: 'cellview'; cell: string }
  | { kind: 'ping' }
  | { kind: 'unknown'; line: string }

/** Splits an lyipc line on single spaces; a path may be in double quotes (and then contain spaces). */
export function parseLyipc(line: string): LyipcCommand {
  const m = /^(\S+)\s*(.*)$/.exec(line.trim())
  if (!m) return { kind: 'unknown', line }
  const [, cmd, rest] = m as unknown as [string, string, string]
  switch (cmd) {
    case 'load': {
      const q = /^"([^"]*)"\s*(\d)?\s*$/.exec(rest) ?? /^(\S+)\s*(\d)?\s*$/.exec(rest)
      if (!q) return { kind: 'unknown', line }
      const mode = Number(q[2] ?? 0)
      return { kind: 'load', path: q[1]!, mode: mode === 1 || mode === 2 ? mode : 0 }
    }
    case 'reload':
      return { kind: 'reload' }
    case 'cellview':
      return rest ? { kind: 'cellview', cell: rest.replace(/^"|"$/g, '') } : { kind: 'unknown', line }
    case 'ping':
      return { kind: 'ping' }
    default:
      return { kind: 'unknown', line }
  }
}

/** A laytest request (JSON line). */
export interface Request {
  id?: string | number
  cmd: 'hello' | 'load' | 'reload' | 'diff' | 'focus' | 'clear' | 'shutdown' | 'list'
  [k: string]: unknown
}

export interface Reply {
  id?: string | number
  ok: boolean
  error?: string
  [k: string]: unknown
}

/** A diff as the viewer receives it: files by path, or inline (base64) for a server on another machine. */
export interface DiffMessage {
  reference?: string
  test?: string
  xor?: string
  referenceData?: string
  testData?: string
  xorData?: string
  title?: string
  layers?: unknown
  report?: unknown
}
