import { parseArgs } from 'node:util'
import { GdsError } from '../gds/errors.js'
import { infoCommand } from './info.js'

export interface CliIO {
  stdout: { write(s: string): unknown }
  stderr: { write(s: string): unknown }
}

/** Exit codes: 0 success (for `diff`: equal), 1 different, 2 error. */
export const EXIT_OK = 0
export const EXIT_ERROR = 2

const USAGE = `usage: laytest <command> [options]

commands:
  info FILE [--json] [--ghost-cells]   cells, layers, bounding box and shape counts of a GDSII file
                                       (--json: the KLayout-oracle schema; --ghost-cells: keep referenced
                                       but undefined cells as empty cells instead of failing)
  help                                 this text
`

/** A user-facing error: printed as one line, exit code 2. */
export class UsageError extends Error {}

export async function runCli(argv: string[], io: CliIO): Promise<number> {
  const [cmd, ...rest] = argv
  try {
    switch (cmd) {
      case 'info': {
        const { values, positionals } = parseArgs({
          args: rest, allowPositionals: true,
          options: { json: { type: 'boolean' }, 'ghost-cells': { type: 'boolean' } },
        })
        if (positionals.length !== 1) throw new UsageError('info takes exactly one FILE')
        io.stdout.write(infoCommand(positionals[0]!, { json: !!values.json, ghostCells: !!values['ghost-cells'] }))
        return EXIT_OK
      }
      case undefined:
      case 'help':
      case '--help':
      case '-h':
        io.stdout.write(USAGE)
        return cmd === undefined ? EXIT_ERROR : EXIT_OK
      default:
        throw new UsageError(`unknown command "${cmd}" (try: laytest help)`)
    }
  } catch (e) {
    io.stderr.write(`laytest: ${oneLine(e)}\n`)
    return EXIT_ERROR
  }
}

function oneLine(e: unknown): string {
  if (e instanceof GdsError || e instanceof UsageError) return e.message
  if (e instanceof Error && (e as NodeJS.ErrnoException).code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION') return e.message
  if (e instanceof Error) return `${e.name === 'Error' ? '' : `${e.name}: `}${e.message}`.split('\n')[0]!
  return String(e)
}
