import { parseArgs } from 'node:util'
import { GdsError } from '../gds/errors.js'
import { oneLineMessage } from '../gds/names.js'
import { DiffError } from '../diff/index.js'
import { LypError } from '../render/lyp.js'
import { diffCommand } from './diff.js'
import { basename, resolve } from 'node:path'
import { infoCommand } from './info.js'
import { runVitest } from './test.js'
import { cacheCommand } from './cache.js'
import { sessionCommand } from './session.js'
import { exampleCommand } from './example.js'
import { UsageError } from './errors.js'
import { renderCommand } from './render.js'
import { gitCommands } from './git.js'

/**
 * The viewer's commands. They live in ipc/, the layer above this one, so the program (src/main.ts) hands them
 * in: the command line never imports the viewer.
 */
export interface ViewerCommands {
  serve(opts: { port?: number; host?: string; httpPort?: number; lyp?: string; http?: boolean; maxMemory?: number; maxConnections?: number }, out: { write(s: string): unknown }): Promise<void>
  open(opts: { port?: number; host?: string }): Promise<string>
  openDiff(summaryFile: string | undefined, opts: { port?: number; host?: string }): Promise<string>
  klayoutInstall(dir: string | undefined): string
  sendDiff(d: { reference: string; test: string; xor?: string; title: string }, viewer: 'laytest' | 'klayout'): Promise<string>
  /** Stops a running viewer (`laytest serve --stop`). */
  stop(opts: { port?: number; host?: string }): Promise<string>
}

export interface CliIO {
  stdout: { write(s: string): unknown }
  stderr: { write(s: string): unknown }
}

/** Exit codes: 0 success (for `diff`: equal), 1 different, 2 error. */
export const EXIT_OK = 0
export const EXIT_DIFFERENT = 1
export const EXIT_ERROR = 2

const USAGE = `usage: laytest <command> [options]

commands:
  info FILE [--json] [--strict]       cells, layers, bounding box and shape counts of a GDSII or OASIS file
                                       (plain or gzip, told apart by content; --json: the KLayout-oracle
                                       schema). Undefined cells are read as empty cells, as KLayout does, with
                                       a warning; --strict makes them an error
  diff A B [options]                   exact per-layer XOR of two layout files (GDSII or OASIS, in any mix) and
                                       the changed cells; same-named top cells are compared pairwise;
                                       exit 0 equal, 1 different, 2 error
      --json                           the result object (per-layer entries keyed "L/D", areas in dbu^2)
      --tolerance T                    ignore differences narrower than T micrometres (reported "sliver only")
      --top-a CELL, --top-b CELL       top cells to compare (repeat for several; default: every top cell,
                                       paired with the same-named one on the other side)
      --layers L/D,...                 compare only these layers
      --exclude-layers L/D,...         leave these layers out
      --map FROM=TO,...                compare layer FROM as layer TO (on both sides)
      --ignore-labels                  do not compare labels (compared by default: string, layer, position)
      --missing-layer error            fail when a layer has geometry on one side only (default: compare
                                       it against empty and report "only in")
      --areas                          also report each side's merged area per layer (compares in full)
      --dbu-rounding                   allow dbus that are not integer multiples (rounds, like KLayout)
      --strict                         undefined cells are an error (default: empty, with a warning)
      -o, --output FILE                write the XOR as GDS (one layer per input layer)
      --with-inputs                    with -o: also A and B on layers L+1000 and L+2000
      --workers N                      threads for large XORs (default: every core, at most 4; 0: none)
      --out DIR                        artifacts: images, xor.gds and report.json in DIR
      --no-cache                       do not use the session cache (it answers when both files are unchanged)
      --open-diff [--viewer klayout]   show the difference in the viewer (laytest serve, or KLayout with
                                       laytest's macro; started if nothing listens)
      --images DIR [--name N]          write N-expected/-actual/-diff/-composite/-xor.png (default N: B's name)
      --size PX, --lyp FILE            image size (long side, default 1024) and KLayout layer properties
  test [vitest args] [--open-diff]     run vitest (the project's own); --open-diff sends failures to the viewer
  render FILE -o OUT.png [options]     draw a layout (GDSII or OASIS) to PNG (deterministic bytes)
      --cell C                         cell to draw (default: every top cell, as the file is)
      --size PX                        pixels on the long side (default 1024)
      --lyp FILE                       KLayout layer properties (colours, patterns, visibility)
      --window=l,b,r,t                 window in micrometres (default: the cell's box with a margin)
      --background #rrggbb             background colour (default #ffffff)
      --texts                          draw text labels (the shipped DejaVu font, thinned where they overlap)
      --strict                         undefined cells are an error (default: empty, with a warning)
  cache stats|clear|prune [--json]     the session cache (build/session/laytest): entries, size, hits and
                                       misses of the last run; clear it; evict down to the size cap
      --dir D, --max-bytes N           another cache folder (or LAYTEST_SESSION_DIR); the cap for prune
  session stats|list|clear [--json]    the factory session (saveSession/loadSession): layouts, factories,
      [--dir D]                        cells, bytes; what the last run restored or rebuilt and why; clear it
  serve [--port P] [--host H]          the viewer: IPC on 11078 (lyipc-compatible; 0: any free port) and a web
        [--http-port Q] [--lyp F]      viewer on Q (default: a free port); the URL is printed (--print-url)
        [--no-http] [--print-url]
        [--max-memory MB]              memory for loaded and inline layouts (default 1024; least recently
                                       used ones are evicted beyond it)
        [--max-connections N]          open connections at most (default 256; the longest idle one is
                                       pushed out beyond it)
  serve --stop [--port P]              stop the viewer listening on the port
  open                                 the web viewer in your browser (starts laytest serve if needed)
  klayout install [--dir D]            laytest's macro into KLayout (~/.klayout/pymacros): KLayout then shows
                                       diffs sent with --open-diff --viewer klayout
  open-diff [summary.json]             send the failures of the last test run to the viewer (started if needed)
  git install|uninstall [--global]     git diff / git log -p / git difftool -t laytest for *.gds, *.gds.gz,
      [--command CMD]                  *.oas, *.oas.gz in this repository (--global: all); see docs/git.md
  textconv FILE                        a stable text summary of a layout (what git diff shows), one line per
                                       cell and layer; always exit 0 for file content (git needs that)
  difftool LOCAL REMOTE [NAME]         the XOR table of two versions (git difftool -t laytest);
      [--open-diff] [--ignore-labels]  --open-diff also sends them to the viewer (-t laytest-open)
  example [DIR]                        copy the README's example layouts (ring.gds, ring-v2.gds) into DIR
                                       (default ./examples)
  help [COMMAND]                       this text, or one command's part of it (also: laytest COMMAND --help)
`

export { UsageError }

/**
 * The usage lines of one command (every entry of USAGE that starts with it: `serve` has two), or null for a
 * command USAGE does not list.
 */
export function usageOf(cmd: string): string | null {
  const lines = USAGE.split('\n')
  const out: string[] = []
  let inside = false
  for (const line of lines) {
    if (/^ {2}\S/.test(line)) inside = line.slice(2).split(' ')[0] === cmd
    else if (!/^ {3,}/.test(line)) inside = false
    if (inside) out.push(line)
  }
  return out.length ? `usage:\n${out.join('\n')}\n` : null
}

/** `laytest CMD --help` (or -h, before any `--`): every command but `test`, whose options are vitest's. */
function asksForHelp(cmd: string | undefined, rest: string[]): boolean {
  if (cmd === undefined || cmd === 'test' || cmd === 'help' || cmd.startsWith('-')) return false
  const end = rest.indexOf('--')
  return (end < 0 ? rest : rest.slice(0, end)).some((a) => a === '--help' || a === '-h')
}

export async function runCli(argv: string[], io: CliIO, viewers: ViewerCommands): Promise<number> {
  const [cmd, ...rest] = argv
  if (asksForHelp(cmd, rest)) {
    const u = usageOf(cmd!)
    if (u === null) {
      io.stderr.write(`laytest: unknown command "${oneLineMessage(cmd!)}" (try: laytest help)\n`)
      return EXIT_ERROR
    }
    io.stdout.write(u)
    return EXIT_OK
  }
  if (cmd === 'help' && rest.length) {
    const u = usageOf(rest[0]!)
    if (u === null) {
      io.stderr.write(`laytest: unknown command "${oneLineMessage(rest[0]!)}" (try: laytest help)\n`)
      return EXIT_ERROR
    }
    io.stdout.write(u)
    return EXIT_OK
  }
  try {
    switch (cmd) {
      case 'info': {
        const { values, positionals } = parseArgs({
          args: rest, allowPositionals: true,
          options: { json: { type: 'boolean' }, strict: { type: 'boolean' }, 'ghost-cells': { type: 'boolean' } },
        })
        if (positionals.length !== 1) throw new UsageError('info takes exactly one FILE')
        const info = infoCommand(positionals[0]!, { json: !!values.json, strict: !!values.strict })
        if (values.json) for (const w of info.warnings) io.stderr.write(`laytest: ${w}\n`)
        io.stdout.write(info.text)
        return EXIT_OK
      }
      case 'diff': {
        const { values, positionals } = parseArgs({
          args: rest, allowPositionals: true,
          options: {
            json: { type: 'boolean' }, tolerance: { type: 'string' },
            'top-a': { type: 'string', multiple: true }, 'top-b': { type: 'string', multiple: true },
            layers: { type: 'string' }, 'exclude-layers': { type: 'string' }, map: { type: 'string' },
            labels: { type: 'boolean' }, 'ignore-labels': { type: 'boolean' }, 'missing-layer': { type: 'string' }, areas: { type: 'boolean' },
            'dbu-rounding': { type: 'boolean' }, output: { type: 'string', short: 'o' }, 'with-inputs': { type: 'boolean' },
            workers: { type: 'string' }, images: { type: 'string' }, out: { type: 'string' }, 'open-diff': { type: 'boolean' }, 'no-cache': { type: 'boolean' },
            viewer: { type: 'string' }, name: { type: 'string' }, size: { type: 'string' }, lyp: { type: 'string' },
            'ghost-cells': { type: 'boolean' }, strict: { type: 'boolean' },
          },
        })
        if (positionals.length !== 2) throw new UsageError('diff takes two files: laytest diff A B')
        const list = (v: string | undefined): string[] | undefined => (v === undefined ? undefined : v.split(',').map((s) => s.trim()).filter(Boolean))
        const map: Record<string, string> = {}
        for (const m of list(values.map) ?? []) {
          const [from, to, extra] = m.split('=')
          if (!from || !to || extra !== undefined) throw new UsageError(`--map wants FROM=TO pairs like 1/1=1/0 (got "${m}")`)
          map[from.trim()] = to.trim()
        }
        let tolerance: number | undefined
        if (values.tolerance !== undefined) {
          tolerance = Number(values.tolerance)
          if (!(tolerance >= 0)) throw new UsageError(`--tolerance wants a non-negative number of micrometres (got "${values.tolerance}")`)
        }
        const ml = values['missing-layer']
        if (ml !== undefined && ml !== 'error' && ml !== 'empty') throw new UsageError(`--missing-layer is "empty" or "error" (got "${ml}")`)
        if (values['with-inputs'] && !values.output) throw new UsageError('--with-inputs needs -o FILE')
        const workers = values.workers === undefined ? undefined : Number(values.workers)
        if (workers !== undefined && !(Number.isInteger(workers) && workers >= 0 && workers <= 64)) throw new UsageError(`--workers wants a whole number 0..64 (got "${values.workers}")`)
        const res = await diffCommand(positionals[0]!, positionals[1]!, {
          json: !!values.json, tolerance, topA: values['top-a'], topB: values['top-b'],
          layers: { include: list(values.layers), exclude: list(values['exclude-layers']), map },
          ignoreLabels: !!values['ignore-labels'], missingLayer: ml as 'empty' | 'error' | undefined, areas: !!values.areas,
          dbuRounding: !!values['dbu-rounding'], output: values.output, withInputs: !!values['with-inputs'], workers,
          images: values.images, out: values.out, name: values.name, size: parseSize(values.size), lyp: values.lyp, cache: !values['no-cache'],
          strict: !!values.strict,
        })
        if (values.json) for (const w of res.warnings) io.stderr.write(`laytest: ${w}\n`)
        io.stdout.write(res.text)
        if (values['open-diff'] && !res.equal) {
          const a = resolve(positionals[0]!), b = resolve(positionals[1]!)
          const xor = values.out ? resolve(values.out, 'xor.gds') : values.output ? resolve(values.output) : undefined
          const viewer = values.viewer === 'klayout' ? 'klayout' : 'laytest'
          io.stdout.write(await viewers.sendDiff({ reference: a, test: b, xor, title: `${basename(a)} vs ${basename(b)}` }, viewer))
        }
        return res.equal ? EXIT_OK : EXIT_DIFFERENT
      }
      case 'cache': {
        const { values, positionals } = parseArgs({ args: rest, allowPositionals: true, options: { json: { type: 'boolean' }, dir: { type: 'string' }, 'max-bytes': { type: 'string' } } })
        io.stdout.write(cacheCommand(positionals[0], { json: !!values.json, dir: values.dir, maxBytes: values['max-bytes'] === undefined ? undefined : Number(values['max-bytes']) }))
        return EXIT_OK
      }
      case 'session': {
        const { values, positionals } = parseArgs({ args: rest, allowPositionals: true, options: { json: { type: 'boolean' }, dir: { type: 'string' } } })
        io.stdout.write(sessionCommand(positionals[0], { json: !!values.json, dir: values.dir }))
        return EXIT_OK
      }
      case 'serve': {
        const { values } = parseArgs({ args: rest, options: { port: { type: 'string' }, host: { type: 'string' }, 'http-port': { type: 'string' }, lyp: { type: 'string' }, 'no-http': { type: 'boolean' }, 'print-url': { type: 'boolean' }, stop: { type: 'boolean' }, 'max-memory': { type: 'string' }, 'max-connections': { type: 'string' } } })
        const portOf = (v: string | undefined, what: string): number | undefined => {
          if (v === undefined) return undefined
          const n = Number(v)
          if (!(Number.isInteger(n) && n >= 0 && n < 65536)) throw new UsageError(`${what} wants 0..65535 (got "${v}")`)
          return n
        }
        if (values.stop) {
          io.stdout.write(await viewers.stop({ port: portOf(values.port, '--port'), host: values.host }))
          return EXIT_OK
        }
        const positive = (v: string | undefined, what: string, max: number): number | undefined => {
          if (v === undefined) return undefined
          const n = Number(v)
          if (!(Number.isInteger(n) && n >= 1 && n <= max)) throw new UsageError(`${what} wants a whole number 1..${max} (got "${v}")`)
          return n
        }
        const mb = positive(values['max-memory'], '--max-memory', 1 << 20)
        await viewers.serve({
          port: portOf(values.port, '--port'), host: values.host, httpPort: portOf(values['http-port'], '--http-port'), lyp: values.lyp, http: !values['no-http'],
          maxMemory: mb === undefined ? undefined : mb * 2 ** 20, maxConnections: positive(values['max-connections'], '--max-connections', 65536),
        }, io.stdout)
        return EXIT_OK
      }
      case 'klayout': {
        const { values, positionals } = parseArgs({ args: rest, allowPositionals: true, options: { dir: { type: 'string' } } })
        if (positionals[0] !== 'install') throw new UsageError('klayout wants: install [--dir D]')
        io.stdout.write(viewers.klayoutInstall(values.dir))
        return EXIT_OK
      }
      case 'open': {
        const { values } = parseArgs({ args: rest, options: { port: { type: 'string' }, host: { type: 'string' } } })
        io.stdout.write(await viewers.open({ port: values.port ? Number(values.port) : undefined, host: values.host }))
        return EXIT_OK
      }
      case 'open-diff': {
        const { values, positionals } = parseArgs({ args: rest, allowPositionals: true, options: { port: { type: 'string' }, host: { type: 'string' } } })
        io.stdout.write(await viewers.openDiff(positionals[0], { port: values.port ? Number(values.port) : undefined, host: values.host }))
        return EXIT_OK
      }
      case 'test': {
        // vitest with --open-diff turned into LAYTEST_OPEN_DIFF=1 for the reporter; everything else passed on
        const open = rest.includes('--open-diff')
        const args = rest.filter((a) => a !== '--open-diff')
        return await runVitest(args, open)
      }
      case 'render': {
        const { values, positionals } = parseArgs({
          args: rest, allowPositionals: true,
          options: {
            output: { type: 'string', short: 'o' }, cell: { type: 'string' }, size: { type: 'string' }, lyp: { type: 'string' },
            window: { type: 'string' }, background: { type: 'string' }, texts: { type: 'boolean' },
            'ghost-cells': { type: 'boolean' }, strict: { type: 'boolean' },
          },
        })
        if (positionals.length !== 1) throw new UsageError('render takes exactly one FILE')
        if (!values.output) throw new UsageError('render needs -o OUT.png')
        let window: [number, number, number, number] | undefined
        if (values.window !== undefined) {
          const w = values.window.split(',').map(Number)
          if (w.length !== 4 || w.some((v) => !Number.isFinite(v)) || !(w[0]! < w[2]! && w[1]! < w[3]!)) {
            throw new UsageError(`--window wants l,b,r,t in micrometres with l < r and b < t (got "${values.window}")`)
          }
          window = w as [number, number, number, number]
        }
        if (values.background !== undefined && !/^#?[0-9a-f]{6}$/i.test(values.background)) throw new UsageError(`--background wants #rrggbb (got "${values.background}")`)
        io.stdout.write(renderCommand(positionals[0]!, values.output, {
          cell: values.cell, size: parseSize(values.size), lyp: values.lyp, window, background: values.background, texts: !!values.texts,
          strict: !!values.strict,
        }))
        return EXIT_OK
      }
      case 'example': {
        const { positionals } = parseArgs({ args: rest, allowPositionals: true, options: {} })
        if (positionals.length > 1) throw new UsageError('example takes at most one DIR')
        io.stdout.write(exampleCommand(positionals[0]))
        return EXIT_OK
      }
      case 'git':
      case 'textconv':
      case 'difftool':
        return await gitCommands(cmd, rest, io, viewers)
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
    io.stderr.write(`laytest: ${oneLineMessage(oneLine(e))}\n`)
    return EXIT_ERROR
  }
}

function parseSize(v: string | undefined): number | undefined {
  if (v === undefined) return undefined
  const n = Number(v)
  if (!Number.isInteger(n) || n < 1 || n > 16384) throw new UsageError(`--size wants a whole number of pixels 1..16384 (got "${v}")`)
  return n
}

/** An error as the one line printed after "laytest: " (escaped and bounded by the caller, see names.ts). */
function oneLine(e: unknown): string {
  if (e instanceof GdsError || e instanceof UsageError || e instanceof DiffError || e instanceof LypError) return e.message
  if (e instanceof RangeError && /call stack/i.test(e.message)) {
    // no traversal in laytest recurses on the hierarchy; should something still run out of stack, say so plainly
    return `the input is nested too deeply for this machine's stack (${e.message}); please report it`
  }
  if (e instanceof Error && String((e as NodeJS.ErrnoException).code).startsWith('ERR_PARSE_ARGS_')) return e.message.replace(/\s*\n\s*/g, ' ')
  if (e instanceof Error) return `${e.name === 'Error' ? '' : `${e.name}: `}${e.message}`.split('\n')[0]!
  return String(e)
}
