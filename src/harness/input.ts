import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { execa } from 'execa'
import { GdsError } from '../gds/errors.js'
import { sha256 } from '../cache/store.js'
import { readLayout, writeLayout } from '../layout/gdsio.js'
import { Layout } from '../layout/layout.js'

/** A command that writes a GDS file: "{out}" in its arguments is replaced by the path to write. */
export interface GeneratorInput {
  command: string[]
  cwd?: string
  env?: Record<string, string>
  /** ms; default from the options (120000). */
  timeout?: number
}

/** What toMatchReference accepts: a GDS path, GDS bytes, a Layout, or a generator command. */
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

export async function resolveInput(input: LayoutInput, timeout = 120000): Promise<ResolvedInput> {
  if (input instanceof Layout) return { layout: input, bytes: writeLayout(input), label: `Layout ${input.name}` }
  if (typeof input === 'string') {
    const { layout, fileHash } = readHashed(input)
    return { layout, bytes: writeLayout(layout), label: input, fileHash }
  }
  if (input instanceof Uint8Array) {
    const layout = readLayout(input, { file: '<bytes>' })
    return { layout, bytes: writeLayout(layout), label: `${input.length} bytes of GDS` }
  }
  if (input && typeof input === 'object' && Array.isArray((input as GeneratorInput).command)) return runGenerator(input as GeneratorInput, timeout)
  throw new InputError('toMatchReference expects a GDS path, GDS bytes, a laytest Layout or { command: [...] }')
}

/** A GDS file read once: its layout and the SHA-256 of exactly the bytes parsed. */
function readHashed(path: string): { layout: Layout; fileHash: string } {
  let bytes: Uint8Array
  try {
    bytes = readFileSync(path)
  } catch (e) {
    throw new GdsError({ file: path, expected: `a readable file (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})` })
  }
  return { layout: readLayout(bytes, { file: path }), fileHash: sha256(bytes) }
}

async function runGenerator(g: GeneratorInput, timeout: number): Promise<ResolvedInput> {
  if (g.command.length === 0) throw new InputError('generator command is empty')
  const dir = mkdtempSync(join(tmpdir(), 'laytest-gen-'))
  const out = join(dir, 'out.gds')
  const [cmd, ...args] = g.command.map((a) => a.replaceAll('{out}', out)) as [string, ...string[]]
  const shown = g.command.join(' ')
  try {
    const r = await execa(cmd, args, { cwd: g.cwd, env: g.env, timeout: g.timeout ?? timeout, reject: false, all: true, stdin: 'ignore' })
    const tail = (r.all ?? '').trim().split('\n').slice(-20).join('\n')
    if (r.timedOut) throw new InputError(`generator timed out after ${g.timeout ?? timeout} ms: ${shown}${tail ? `\n${tail}` : ''}`)
    if (r.failed || r.exitCode !== 0) {
      const why = r.exitCode !== undefined ? `exited with code ${r.exitCode}` : (r.shortMessage ?? 'failed')
      throw new InputError(`generator ${why}: ${shown}${tail ? `\n${tail}` : ''}`)
    }
    if (!existsSync(out)) throw new InputError(`generator did not write {out} (${out}): ${shown}`)
    const layout = readLayout(readFileSync(out), { file: `${shown} -> {out}` })
    return { layout, bytes: writeLayout(layout), label: shown }
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}
