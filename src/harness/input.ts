import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { execa } from 'execa'
import { GdsError } from '../gds/errors.js'
import { layoutFormatOf } from '../gds/format.js'
import { sha256 } from '../cache/store.js'
import { readLayout, writeLayout, type ReadLayoutOptions } from '../layout/gdsio.js'
import { Layout } from '../layout/layout.js'

/** A command that writes a GDS file: "{out}" in its arguments is replaced by the path to write. */
export interface GeneratorInput {
  command: string[]
  /** The format the generator writes (the name {out} ends in: out.gds or out.oas); any is read by its content. */
  format?: 'gds' | 'oas'
  cwd?: string
  env?: Record<string, string>
  /** ms; default from the options (120000). */
  timeout?: number
}

/** What toMatchReference accepts: a GDSII or OASIS path or bytes, a Layout, or a generator command. */
export type LayoutInput = string | Uint8Array | Layout | GeneratorInput

/** A layout input that could not be turned into a layout; the message says what happened. */
export class InputError extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'InputError'
  }
}

export interface ResolvedInput {
  layout: Layout
  /** Deterministic GDS bytes of the layout (what a reference is written as). */
  bytes: Uint8Array
  /** Where it came from, for messages. */
  label: string
  /**
   * For a path: the SHA-256 of the file's bytes that were parsed (read once, so the hash is exactly of what is
   * compared, whatever happens to the file meanwhile).
   */
  fileHash?: string
}

/**
 * The layout of an input. `signal` (vitest's test signal) stops a running generator when vitest gives up on the
 * test first (its testTimeout, a cancelled run).
 */
export async function resolveInput(input: LayoutInput, timeout = 120000, signal?: AbortSignal, read: ReadLayoutOptions = {}): Promise<ResolvedInput> {
  if (input instanceof Layout) return { layout: input, bytes: writeLayout(input), label: `Layout ${input.name}` }
  if (typeof input === 'string') {
    const { layout, fileHash } = readHashed(input, read)
    return { layout, bytes: writeLayout(layout), label: input, fileHash }
  }
  if (input instanceof Uint8Array) {
    const layout = readLayout(input, { ...read, file: '<bytes>' })
    return { layout, bytes: writeLayout(layout), label: `${input.length} bytes of ${layoutFormatOf(input.subarray(0, 4096), '<bytes>') === 'oasis' ? 'OASIS' : 'GDS'}` }
  }
  if (isGenerator(input)) return runGenerator(input, timeout, signal, read)
  throw new InputError('toMatchReference expects a GDSII or OASIS path or bytes, a laytest Layout or { command: [...] }')
}

export function isGenerator(input: unknown): input is GeneratorInput {
  return !!input && typeof input === 'object' && Array.isArray((input as GeneratorInput).command)
}

/** A GDS file read once: its layout and the SHA-256 of exactly the bytes parsed. */
function readHashed(path: string, read: ReadLayoutOptions): { layout: Layout; fileHash: string } {
  let bytes: Uint8Array
  try {
    bytes = readFileSync(path)
  } catch (e) {
    throw new GdsError({ file: path, expected: `a readable file (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})` })
  }
  return { layout: readLayout(bytes, { ...read, file: path }), fileHash: sha256(bytes) }
}

/** Process groups of running generators: killed if this process exits while they run. */
const running = new Set<() => void>()
let exitHook = false

/**
 * Runs a generator in its own process group (POSIX: detached, group id = its pid), so that on timeout, when
 * vitest aborts the test, and when the generator itself exits, everything it started is stopped too: nothing
 * is left orphaned. SIGTERM first, SIGKILL 2 s later for what ignores it.
 */
async function runGenerator(g: GeneratorInput, timeout: number, signal: AbortSignal | undefined, read: ReadLayoutOptions): Promise<ResolvedInput> {
  if (g.command.length === 0) throw new InputError('generator command is empty')
  const limit = g.timeout ?? timeout
  const shown = g.command.join(' ')
  if (signal?.aborted) throw new InputError(`generator not started: vitest already aborted the test: ${shown}`)
  const dir = mkdtempSync(join(tmpdir(), 'laytest-gen-'))
  const out = join(dir, g.format === 'oas' ? 'out.oas' : 'out.gds')
  const [cmd, ...args] = g.command.map((a) => a.replaceAll('{out}', out)) as [string, ...string[]]
  const posix = process.platform !== 'win32'
  let keep = false
  const child = execa(cmd, args, { cwd: g.cwd, env: g.env, reject: false, all: true, stdin: 'ignore', detached: posix, cleanup: true })
  const pid = child.pid
  const killGroup = (sig: NodeJS.Signals): void => {
    try {
      if (posix && pid) process.kill(-pid, sig)
      else child.kill(sig)
    } catch {
      // the group is gone already
    }
  }
  let stopped: 'timeout' | 'aborted' | null = null
  const stop = (why: 'timeout' | 'aborted'): void => {
    stopped ??= why
    killGroup('SIGTERM')
    setTimeout(() => killGroup('SIGKILL'), 2000).unref()
  }
  const timer = setTimeout(() => stop('timeout'), limit)
  const onAbort = (): void => stop('aborted')
  signal?.addEventListener('abort', onAbort, { once: true })
  // what the generator left running in the background would hold its output open: stopped when it exits
  child.once('exit', () => {
    killGroup('SIGTERM')
    setTimeout(() => killGroup('SIGKILL'), 2000).unref()
  })
  const kill = (): void => killGroup('SIGKILL')
  running.add(kill)
  if (!exitHook) {
    exitHook = true
    process.once('exit', () => {
      for (const k of running) k()
    })
  }
  try {
    const r = await child
    const tail = (r.all ?? '').trim().split('\n').slice(-20).join('\n')
    if (stopped === 'timeout') throw new InputError(`generator timed out after ${limit} ms (its process group was killed): ${shown}${tail ? `\n${tail}` : ''}`)
    if (stopped === 'aborted') {
      throw new InputError(`generator stopped after ${Math.round(r.durationMs)} ms because vitest aborted the test (its testTimeout fired first, or the run was cancelled); ` +
        `vitest's testTimeout must be longer than the generator timeout (${limit} ms): ${shown}`)
    }
    if (r.failed || r.exitCode !== 0) {
      const why = r.exitCode !== undefined ? `exited with code ${r.exitCode}` : r.signal ? `was killed by ${r.signal}` : (r.shortMessage ?? 'failed')
      throw new InputError(`generator ${why}: ${shown}${tail ? `\n${tail}` : ''}`)
    }
    if (!existsSync(out)) throw new InputError(`generator did not write {out} (${out}): ${shown}`)
    let layout: Layout
    try {
      layout = readLayout(readFileSync(out), { ...read, file: out })
    } catch (e) {
      if (!(e instanceof GdsError)) throw e
      keep = true
      throw new InputError(`generator wrote a file laytest cannot read as GDSII or OASIS (kept for a look): ${e.message}\n  generator: ${shown}`)
    }
    return { layout, bytes: writeLayout(layout), label: shown }
  } finally {
    clearTimeout(timer)
    signal?.removeEventListener('abort', onAbort)
    running.delete(kill)
    if (!keep) rmSync(dir, { recursive: true, force: true })
  }
}
