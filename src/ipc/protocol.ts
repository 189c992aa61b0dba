/*
 * The viewer protocol (docs/protocol.md): one TCP port (11078, lyipc's) for two kinds of lines.
 * - lyipc lines, answered byte for byte as lyipc's server does (lyipc.ts): `load <path> [mode]`, `reload view`,
 *   `cellview <name>`, `ping`; the reply is `ACK None` or `ERR <repr of a Python traceback>`, no line end, then the
 *   server closes.
 * - laytest JSON lines (starting with `{`): `{"token", "id", "cmd", ...}`; one JSON reply line per request, the id
 *   echoed; the connection stays open, so requests can be pipelined. Everything but `hello` needs the token.
 */

export const DEFAULT_PORT = 11078
export const PROTOCOL_VERSION = 1
/** Longest accepted line: plain lyipc lines, and JSON lines (which may carry inline GDS data, base64). */
export const MAX_PLAIN_LINE = 1 << 20
export const MAX_JSON_LINE = 64 << 20

/** A laytest request (JSON line). */
export interface Request {
  /** The per-user secret (token.ts); sent first, so that long lines are accepted from their first bytes. */
  token?: string
  id?: string | number
  /** `screenshot` ({path, width, height}: the current view as a PNG) is served by KLayout with laytest's macro. */
  cmd: 'hello' | 'load' | 'reload' | 'diff' | 'focus' | 'clear' | 'shutdown' | 'list' | 'screenshot'
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
