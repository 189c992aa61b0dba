/*
 * git integration (docs/git.md):
 *
 * - `laytest git install [--global] [--command CMD]`: `.gitattributes` lines `*.gds diff=laytest` (and *.gds.gz,
 *   *.oas, *.oas.gz) and the git config of the `laytest` diff driver (textconv) and difftools (`laytest`,
 *   `laytest-open`). Idempotent; existing lines are kept; it says what it did.
 * - `laytest git uninstall [--global]`: removes exactly what install added.
 * - `laytest textconv FILE`: a stable text summary of a layout, one line per cell and layer, for `git diff`.
 * - `laytest difftool LOCAL REMOTE [NAME]`: laytest's XOR of two versions, for `git difftool -t laytest`.
 */
import { execFileSync } from 'node:child_process'
import { createHash } from 'node:crypto'
import { closeSync, copyFileSync, existsSync, mkdirSync, openSync, readFileSync, readSync, realpathSync, statSync, unlinkSync } from 'node:fs'
import { homedir, tmpdir } from 'node:os'
import { basename, dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { constants as zlibConstants, gunzipSync } from 'node:zlib'
import { parseArgs } from 'node:util'
import { GdsError } from '../gds/errors.js'
import { showName } from '../gds/names.js'
import { bboxUnion, type BBox } from '../layout/bbox.js'
import { layerShapesBBox } from '../layout/extent.js'
import { readLayout, writeFileAtomic } from '../layout/gdsio.js'
import { forEachShapeHash, hashPlacement, hashText, ShapeHasher, cellHashes } from '../layout/hash.js'
import { layerName, type LayerKey } from '../layout/layers.js'
import type { Cell, Instance, Layout } from '../layout/layout.js'
import type { GdsElementExtras } from '../gds/sink.js'
import { flatLayers, flatTextCount } from '../layout/stats.js'
import { diffCommand } from './diff.js'
import { UsageError } from './errors.js'
import type { CliIO, ViewerCommands } from './run.js'

/** The textconv output format. It is part of the command git runs, so git's textconv cache is dropped when it changes. */
export const TEXTCONV_FORMAT = 1

/** The files `laytest git install` gives the `laytest` diff driver. */
export const LAYOUT_PATTERNS = ['*.gds', '*.gds.gz', '*.oas', '*.oas.gz'] as const

const ATTR_COMMENT = '# laytest: layouts in git diff / git log -p / git difftool (laytest git install)'

/** `laytest git ...`, `laytest textconv ...`, `laytest difftool ...`; returns the exit code. */
export async function gitCommands(cmd: 'git' | 'textconv' | 'difftool', args: string[], io: CliIO, viewers: ViewerCommands): Promise<number> {
  if (cmd === 'textconv') {
    const { values, positionals } = parseArgs({ args, allowPositionals: true, options: { format: { type: 'string' } } })
    if (positionals.length !== 1) throw new UsageError('textconv takes exactly one FILE')
    if (values.format !== undefined && values.format !== String(TEXTCONV_FORMAT)) {
      throw new UsageError(`textconv --format ${values.format}: this laytest writes format ${TEXTCONV_FORMAT}; run laytest git install again`)
    }
    io.stdout.write(textconvCommand(positionals[0]!))
    return 0
  }
  if (cmd === 'difftool') {
    const { values, positionals } = parseArgs({
      args, allowPositionals: true,
      options: { 'open-diff': { type: 'boolean' }, viewer: { type: 'string' }, labels: { type: 'boolean' }, 'ignore-labels': { type: 'boolean' } },
    })
    if (positionals.length < 2 || positionals.length > 3) throw new UsageError('difftool takes two files and a name: laytest difftool LOCAL REMOTE [NAME]')
    if (values.viewer !== undefined && values.viewer !== 'laytest' && values.viewer !== 'klayout') throw new UsageError(`--viewer is laytest or klayout (got "${values.viewer}")`)
    return difftoolCommand(positionals[0]!, positionals[1]!, positionals[2], {
      openDiff: !!values['open-diff'], viewer: values.viewer === 'klayout' ? 'klayout' : 'laytest', ignoreLabels: !!values['ignore-labels'],
    }, io, viewers)
  }
  const [sub, ...rest] = args
  const { values, positionals } = parseArgs({ args: rest, allowPositionals: true, options: { global: { type: 'boolean' }, command: { type: 'string' } } })
  if (positionals.length) throw new UsageError(`git ${sub ?? ''}: unexpected argument "${positionals[0]}"`)
  if (sub === 'install') {
    io.stdout.write(gitInstall({ global: !!values.global, command: values.command }))
    return 0
  }
  if (sub === 'uninstall') {
    if (values.command !== undefined) throw new UsageError('git uninstall takes no --command')
    io.stdout.write(gitUninstall({ global: !!values.global }))
    return 0
  }
  throw new UsageError('git wants: install [--global] [--command CMD] | uninstall [--global]')
}

// ---------------------------------------------------------------------------------------------------------------
// textconv

/** How many text strings a texts line shows (the first ones in sorted order; the hash covers all). */
const TEXTS_SHOWN = 8

/**
 * `laytest textconv FILE`: the text git diffs instead of the layout's bytes. A file that is not a layout, or
 * that cannot be read, gives one line (with its size and SHA-256, so a change still shows) and no error: git
 * stops the whole `git diff` / `git log -p` when a textconv command fails. A missing FILE is an error.
 */
export function textconvCommand(file: string): string {
  let size: number
  try {
    const st = statSync(file)
    if (!st.isFile()) throw new UsageError(`${file}: not a file`)
    size = st.size
  } catch (e) {
    if (e instanceof UsageError) throw e
    throw new UsageError(`${file}: no such file`)
  }
  const head = `laytest textconv ${TEXTCONV_FORMAT}`
  if (size === 0) return `${head}: empty file (0 bytes)\n`
  const magic = layoutMagic(file)
  if (!magic) return `${head}: not a layout (no GDSII, OASIS or gzip header); ${size} bytes, sha256 ${fileSha256(file).slice(0, 16)}\n`
  let layout: Layout
  try {
    layout = readLayout(file, { ghostCells: 'empty', file: '<input>' })
  } catch (e) {
    return `${head}: unreadable ${magic} file: ${readError(e)}; ${size} bytes, sha256 ${fileSha256(file).slice(0, 16)}\n`
  }
  return textconvText(layout, `${head}: ${magic}`)
}

/** The reader's message without the file name (git hands textconv a temporary file with a random name). */
function readError(e: unknown): string {
  if (e instanceof GdsError) return [e.offset !== undefined ? `byte ${e.offset}` : '', e.record ?? '', e.expected].filter(Boolean).join(': ')
  const msg = e instanceof Error ? e.message : String(e)
  return msg.replace(/^<input>: /, '').split('\n')[0]!
}

/** 'GDSII' or 'OASIS' (', gzip' when compressed) from the first bytes, or null when the file is none of them. */
function layoutMagic(file: string): string | null {
  const b = Buffer.alloc(4096)
  const fd = openSync(file, 'r')
  let n: number
  try {
    n = readSync(fd, b, 0, b.length, 0)
  } finally {
    closeSync(fd)
  }
  if (n >= 2 && b[0] === 0x1f && b[1] === 0x8b) {
    // what is inside: the first bytes of the stream, inflated as far as this chunk goes
    let inner: Buffer = Buffer.alloc(0)
    try {
      inner = gunzipSync(b.subarray(0, n), { finishFlush: zlibConstants.Z_SYNC_FLUSH })
    } catch {
      // not even the start of a gzip stream: "gzip" says what can be said
    }
    const kind = magicOf(inner, inner.length)
    return kind ? `${kind}, gzip` : 'gzip'
  }
  return magicOf(b, n)
}

function magicOf(b: Buffer, n: number): 'GDSII' | 'OASIS' | null {
  if (n >= 4 && b[0] === 0 && b[1] === 6 && b[2] === 0 && b[3] === 2) return 'GDSII'
  if (n >= 11 && b.subarray(0, 11).toString('latin1') === '%SEMI-OASIS') return 'OASIS'
  return null
}

function fileSha256(file: string): string {
  const h = createHash('sha256')
  const fd = openSync(file, 'r')
  try {
    const buf = Buffer.alloc(1 << 20)
    for (let n; (n = readSync(fd, buf, 0, buf.length, null)) > 0;) h.update(buf.subarray(0, n))
  } finally {
    closeSync(fd)
  }
  return h.digest('hex')
}

/** Cell names in code-unit order (the same on every machine and locale). */
const byName = (a: Cell, b: Cell): number => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0)

/** A name as one token: plain when it is printable ASCII without spaces, else quoted with escapes. */
const nm = (name: string): string => showName(name, Infinity)

/**
 * The textconv text of a layout (see docs/git.md): a header; per top cell its flat summary per layer with the
 * hierarchical layer hashes of cellHashes; then, per cell in name order, one line per layer of its own shapes
 * (counts, box in µm, a hash of the shapes as a multiset), one per layer of its own texts, one per child cell it
 * places. Nothing depends on element order, file name, timestamps or the machine.
 */
export function textconvText(layout: Layout, head: string): string {
  const dbu = layout.dbu
  const um = (v: number): string => Number((v * dbu).toPrecision(12)).toString()
  const box = (b: BBox | null): string => (b ? `(${um(b[0])}, ${um(b[1])}) .. (${um(b[2])}, ${um(b[3])}) um` : 'empty')
  const cells = [...layout.cells.values()].sort(byName)
  const tops = layout.topCells().sort(byName)
  const ghosts = cells.filter((c) => c.ghost)
  const out: string[] = []
  out.push(`${head}, library ${nm(layout.name)}, dbu ${Number(dbu.toPrecision(12))} um, ${plural(cells.length, 'cell')}`)
  out.push(`top cells: ${tops.map((c) => nm(c.name)).join(' ') || '(none)'}`)
  if (ghosts.length) out.push(`undefined cells (referenced, not in the file; read as empty): ${ghosts.map((c) => nm(c.name)).join(' ')}`)

  for (const top of tops) {
    const hashes = cellHashes(top)
    const flat = flatLayers(top)
    let all: BBox | null = null
    for (const v of flat.values()) all = bboxUnion(all, v.bbox)
    const n = nm(top.name)
    out.push(`top ${n}: bbox ${box(all)}, ${plural(flatTextCount(top), 'text')}, hash ${short(hashes.full)}`)
    for (const k of [...hashes.layers.keys()].sort((a, b) => a - b)) {
      const f = flat.get(k)
      out.push(`top ${n} ${layerName(k)}: ${plural(f?.shapes ?? 0, 'flat shape')}, bbox ${box(f?.bbox ?? null)}, hash ${short(hashes.layers.get(k)!)}`)
    }
  }

  const h = new ShapeHasher()
  const p = new ShapeHasher()
  for (const c of cells) {
    const n = nm(c.name)
    if (c.ghost) {
      out.push(`cell ${n}: undefined (read as empty)`)
      continue
    }
    let lines = 0
    for (const k of [...c.layers.keys()].sort((a, b) => a - b)) {
      const s = c.layers.get(k)!
      if (!s.shapeCount) continue
      // the shapes as a multiset: lane sums of hash.ts's canonical shape hashes; properties with their shape's hash
      const acc = new Uint32Array(4)
      const props = new Uint32Array(4)
      const wanted = new Map<number, GdsElementExtras>()
      for (const e of s.extras ?? []) wanted.set(e.kind * 2 ** 32 + e.index, e.extras)
      let withProps = 0
      forEachShapeHash(s, h, (kind, index) => {
        h.finishInto(acc)
        const ex = wanted.get(kind * 2 ** 32 + index)
        if (!ex) return
        withProps++
        p.reset()
        for (const v of h.lanes()) p.add(v | 0)
        p.addNumber(ex.elflags ?? -1)
        p.addNumber(ex.plex ?? -1)
        for (const q of ex.props ?? []) {
          p.add(q.attr)
          p.addString(q.value)
        }
        p.finishInto(props)
      })
      const counts = [plural(s.boxCount, 'box', 'boxes'), plural(s.polygonCount, 'polygon'), plural(s.pathCount, 'path')].filter((x) => !x.startsWith('0 '))
      if (withProps) counts.push(`${withProps} with properties`)
      out.push(`cell ${n} ${layerName(k)}: ${counts.join(', ')}, bbox ${box(layerShapesBBox(s))}, hash ${withProps ? lanesHex(combine(h, 7, acc, props)) : lanesHex(acc)}`)
      lines++
    }

    if (c.texts.length) {
      const byLayer = new Map<LayerKey, { acc: Uint32Array; texts: Array<Cell['texts'][number]> }>()
      for (const t of c.texts) {
        let e = byLayer.get(t.layer)
        if (!e) byLayer.set(t.layer, (e = { acc: new Uint32Array(4), texts: [] }))
        hashText(h, t)
        h.finishInto(e.acc)
        e.texts.push(t)
      }
      for (const k of [...byLayer.keys()].sort((a, b) => a - b)) {
        const e = byLayer.get(k)!
        // the first few in (string, x, y) order, with their positions; the hash covers all, transforms included
        const texts = e.texts.sort((a, b) => (a.text < b.text ? -1 : a.text > b.text ? 1 : a.x - b.x || a.y - b.y))
        const shown = texts.slice(0, TEXTS_SHOWN).map((t) => `${JSON.stringify(t.text)} at (${um(t.x)}, ${um(t.y)})`)
        if (texts.length > TEXTS_SHOWN) shown.push(`and ${texts.length - TEXTS_SHOWN} more`)
        out.push(`cell ${n} ${layerName(k)} texts: ${texts.length} (${shown.join(', ')}), hash ${lanesHex(e.acc)}`)
        lines++
      }
    }

    if (c.instances.length) {
      const byChild = new Map<Cell, { acc: Uint32Array; placements: number; arrays: number; members: number }>()
      for (const inst of c.instances) {
        let e = byChild.get(inst.cell)
        if (!e) byChild.set(inst.cell, (e = { acc: new Uint32Array(4), placements: 0, arrays: 0, members: 0 }))
        hashInstance(h, inst)
        h.finishInto(e.acc)
        e.placements++
        const m = inst.array ? inst.array.cols * inst.array.rows : 1
        if (m > 1) e.arrays++
        e.members += m
      }
      for (const child of [...byChild.keys()].sort(byName)) {
        const e = byChild.get(child)!
        const arrays = e.arrays ? ` (${plural(e.arrays, 'array')}, ${plural(e.members, 'member')})` : ''
        out.push(`cell ${n} ref ${nm(child.name)}: ${plural(e.placements, 'placement')}${arrays}, hash ${lanesHex(e.acc)}`)
        lines++
      }
    }
    if (!lines) out.push(`cell ${n}: empty`)
  }
  return out.join('\n') + '\n'
}

function plural(n: number, one: string, many = `${one}s`): string {
  return `${n} ${n === 1 ? one : many}`
}

/** 64 of the 128 bits of a hash, as 16 hex digits (enough to see a change; the full hashes are in laytest info/diff). */
function short(hex: string): string {
  return hex.slice(0, 16)
}

function lanesHex(l: ArrayLike<number>): string {
  return (((l[0]! ^ l[2]!) >>> 0).toString(16).padStart(8, '0')) + (((l[1]! ^ l[3]!) >>> 0).toString(16).padStart(8, '0'))
}

function combine(h: ShapeHasher, tag: number, a: Uint32Array, b: Uint32Array): [number, number, number, number] {
  h.reset()
  h.add(tag)
  for (const v of a) h.add(v | 0)
  for (const v of b) h.add(v | 0)
  return h.lanes()
}

/** A placement (canonical, see hash.ts) with its properties; the child is named by the line, not hashed. */
function hashInstance(h: ShapeHasher, inst: Instance): void {
  h.reset()
  h.add(4)
  hashPlacement(h, inst)
  for (const q of inst.extras?.props ?? []) {
    h.add(q.attr)
    h.addString(q.value)
  }
}

// ---------------------------------------------------------------------------------------------------------------
// difftool

export interface DifftoolOptions {
  openDiff: boolean
  viewer: 'laytest' | 'klayout'
  ignoreLabels: boolean
}

/**
 * `laytest difftool LOCAL REMOTE [NAME]`, what `git difftool -t laytest` runs: the XOR table of the two versions
 * (`laytest diff` with ghost cells read as empty). Exit 0 when it compared (equal or not) or skipped a file that
 * is not a layout, 2 when it could not compare. With --open-diff the two versions and the XOR are copied out of
 * git's temporary files (git deletes them when the tool returns) and sent to the viewer.
 */
async function difftoolCommand(local: string, remote: string, name: string | undefined, opts: DifftoolOptions, io: CliIO, viewers: ViewerCommands): Promise<number> {
  const shown = name ?? basename(remote)
  // git hands /dev/null for the missing side of an added or deleted file
  const absent = (f: string): boolean => f === '/dev/null' || f.toLowerCase() === 'nul' || !existsSync(f)
  if (absent(local) || absent(remote)) {
    io.stdout.write(`laytest difftool: ${shown}: ${absent(local) && absent(remote) ? 'missing on both sides' : absent(local) ? 'added (no old version to compare)' : 'deleted (no new version to compare)'}\n`)
    return 0
  }
  if (!layoutMagic(local) && !layoutMagic(remote)) {
    io.stdout.write(`laytest difftool: ${shown}: not a layout, skipped (git diff shows it)\n`)
    return 0
  }
  // one side only is a layout (an empty or text version): nothing to XOR, and git's temporary name means nothing
  if (!layoutMagic(local) || !layoutMagic(remote)) {
    io.stdout.write(`laytest difftool: ${shown}: the ${layoutMagic(local) ? 'new' : 'old'} version is not a layout (${readableKind(layoutMagic(local) ? remote : local)}); nothing to compare\n`)
    return 0
  }
  let a = local, b = remote, xor: string | undefined
  if (opts.openDiff) {
    const key = createHash('sha256').update(readFileSync(local)).update('\0').update(readFileSync(remote)).digest('hex').slice(0, 16)
    const dir = join(tmpdir(), 'laytest-difftool', key)
    mkdirSync(dir, { recursive: true })
    const base = basename(shown)
    a = join(dir, `old-${base}`)
    b = join(dir, `new-${base}`)
    copyFileSync(local, a)
    copyFileSync(remote, b)
    xor = join(dir, 'xor.gds')
  }
  const res = await diffCommand(a, b, { json: false, cache: false, output: xor, ignoreLabels: opts.ignoreLabels })
  // name the versions as a person knows them, not by git's temporary files
  const text = res.text.replace(`A: ${a} (`, `A: old ${shown} (`).replace(`B: ${b} (`, `B: new ${shown} (`)
  io.stdout.write(`laytest difftool: ${shown}\n${text}`)
  if (opts.openDiff && !res.equal) {
    io.stdout.write(`laytest difftool: the two versions and the XOR are kept in ${dirname(a)}\n`)
    io.stdout.write(await viewers.sendDiff({ reference: a, test: b, xor, title: `${shown} (git difftool)` }, opts.viewer))
  }
  return 0
}

/** What a file that is not a layout holds, in a word or two. */
function readableKind(file: string): string {
  try {
    const size = statSync(file).size
    return size === 0 ? 'empty' : `${size} bytes`
  } catch {
    return 'unreadable'
  }
}

// ---------------------------------------------------------------------------------------------------------------
// install / uninstall

interface Target {
  /** The .gitattributes file (or the global attributes file). */
  attributes: string
  /** Arguments that select the config file: ['--local'] or ['--global']. */
  scope: string[]
  /** Where git runs. */
  cwd: string
  /** The repository's top level (local installs). */
  top?: string
  what: string
}

function git(args: string[], cwd: string): string {
  return execFileSync('git', args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] })
}

/** git's output, or null when git exits non-zero (e.g. `git config --get` of an unset key). */
function gitMaybe(args: string[], cwd: string): string | null {
  try {
    return git(args, cwd)
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') throw new UsageError('git was not found on PATH')
    return null
  }
}

function target(global: boolean): Target {
  const cwd = process.cwd()
  if (global) {
    const configured = gitMaybe(['config', '--global', '--get', 'core.attributesFile'], cwd)?.trim()
    const xdg = process.env.XDG_CONFIG_HOME || join(homedir(), '.config')
    const attributes = configured ? configured.replace(/^~(?=$|\/)/, homedir()) : join(xdg, 'git', 'attributes')
    return { attributes, scope: ['--global'], cwd, what: 'your global git configuration' }
  }
  let top: string
  try {
    top = git(['rev-parse', '--show-toplevel'], cwd).trim()
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') throw new UsageError('git was not found on PATH')
    const why = String((e as { stderr?: string }).stderr ?? '').trim().split('\n')[0]
    throw new UsageError(`${cwd} is not inside a git work tree${why ? ` (${why})` : ''}; run laytest git install in the repository (or use --global)`)
  }
  if (!top) throw new UsageError(`${cwd} is not inside a git work tree (a bare repository?)`)
  return { attributes: join(top, '.gitattributes'), scope: ['--local'], cwd: top, top, what: top }
}

/** A word for sh (git runs textconv and difftool commands through the shell). */
function shq(s: string): string {
  return /^[\w@%+=:,./-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`
}

/** How git should start this laytest: node and the bin that runs now, as absolute paths. */
function laytestCommand(): string {
  const here = fileURLToPath(new URL('../main.js', import.meta.url))
  const bin = existsSync(here) ? here : process.argv[1] ? realpathSync(process.argv[1]) : here
  return `${shq(process.execPath)} ${shq(bin)}`
}

function configEntries(command: string): Array<[string, string]> {
  return [
    ['diff.laytest.textconv', `${command} textconv --format ${TEXTCONV_FORMAT}`],
    ['diff.laytest.cachetextconv', 'true'],
    ['diff.laytest.binary', 'true'],
    ['difftool.laytest.cmd', `${command} difftool "$LOCAL" "$REMOTE" "$MERGED"`],
    ['difftool.laytest-open.cmd', `${command} difftool --open-diff "$LOCAL" "$REMOTE" "$MERGED"`],
  ]
}

/** The attribute line laytest adds for a pattern. */
const attrLine = (pattern: string): string => `${pattern} diff=laytest`

/** The `diff` attribute the last line for exactly this pattern sets in a .gitattributes text (undefined: none). */
function lastDiffSetting(lines: string[], pattern: string): { value: string; line: number } | undefined {
  let found: { value: string; line: number } | undefined
  lines.forEach((raw, i) => {
    const words = raw.trim().split(/\s+/)
    if (words[0] !== pattern || raw.trim().startsWith('#')) return
    for (const w of words.slice(1)) {
      if (w === 'binary' || w === '-diff') found = { value: w, line: i + 1 }
      else if (w === 'diff' || w === '!diff') found = { value: w, line: i + 1 }
      else if (w.startsWith('diff=')) found = { value: w, line: i + 1 }
    }
  })
  return found
}

function splitLines(text: string): { lines: string[]; eol: string } {
  const eol = text.includes('\r\n') ? '\r\n' : '\n'
  const lines = text.split(/\r?\n/)
  if (lines.length && lines[lines.length - 1] === '') lines.pop()
  return { lines, eol }
}

export function gitInstall(opts: { global: boolean; command?: string }): string {
  const t = target(opts.global)
  const report: string[] = [`laytest git install: ${t.what}`]
  const rel = t.top ? '.gitattributes' : t.attributes

  // .gitattributes: missing lines appended, nothing else touched
  const before = existsSync(t.attributes) ? readFileSync(t.attributes, 'utf8') : null
  const { lines, eol } = splitLines(before ?? '')
  const added: string[] = []
  const present: string[] = []
  for (const pattern of LAYOUT_PATTERNS) {
    const last = lastDiffSetting(lines, pattern)
    if (last?.value === 'diff=laytest') {
      present.push(pattern)
      continue
    }
    if (last) report.push(`  ${rel}: line ${last.line} sets ${last.value} for ${pattern}; the line added below overrides it (the last line wins), the other attributes of that line stay`)
    added.push(attrLine(pattern))
  }
  if (added.length) {
    // after the last line, with our comment the first time (and a blank line before it)
    const block = lines.includes(ATTR_COMMENT) ? added : [ATTR_COMMENT, ...added]
    let text = before ?? ''
    if (text && !text.endsWith('\n')) text += eol
    if (block[0] === ATTR_COMMENT && text.trim()) text += eol
    text += block.join(eol) + eol
    mkdirSync(dirname(t.attributes), { recursive: true })
    writeFileAtomic(t.attributes, text)
    report.push(`  ${rel}: ${before === null ? 'created with' : 'added'} ${added.join(', ')}`)
  }
  if (present.length) report.push(`  ${rel}: ${present.join(', ')} already diff=laytest (unchanged)`)

  // git config
  const command = opts.command ?? laytestCommand()
  const unchanged: string[] = []
  let changed = 0
  for (const [key, value] of configEntries(command)) {
    const cur = gitMaybe(['config', ...t.scope, '--get-all', key], t.cwd)
    const values = cur === null ? [] : cur.replace(/\n$/, '').split('\n')
    if (values.length === 1 && values[0] === value) {
      unchanged.push(key)
      continue
    }
    git(['config', ...t.scope, '--replace-all', key, value], t.cwd)
    changed++
    report.push(`  git config ${t.scope[0]} ${key} ${shq(value)}${values.length ? ` (was ${values.map(shq).join(', ')})` : ''}`)
  }
  if (unchanged.length) report.push(`  git config ${t.scope[0]}: ${unchanged.join(', ')} already set (unchanged)`)

  // what git will really use here (a later .gitattributes line or .git/info/attributes can override ours)
  if (t.top) {
    const out = gitMaybe(['check-attr', 'diff', '--', ...LAYOUT_PATTERNS.map((p) => p.replace('*', 'laytest-probe'))], t.top) ?? ''
    for (const line of out.split('\n').filter(Boolean)) {
      const m = /^(.*): diff: (.*)$/.exec(line)
      if (m && m[2] !== 'laytest') report.push(`  warning: git check-attr says ${m[1]} gets diff=${m[2]} here: another attributes file (.git/info/attributes?) overrides laytest's line`)
    }
  }
  report.push(!added.length && !changed
    ? 'Already installed; nothing changed.'
    : `Installed. git diff and git log -p show ${LAYOUT_PATTERNS.join(' ')} files as laytest textconv summaries; ` +
      'git difftool -t laytest shows the XOR of two versions (-t laytest-open also opens the viewer).' +
      (t.top ? ' Commit .gitattributes to share the patterns; each clone runs laytest git install for the config.' : ''))
  return report.join('\n') + '\n'
}

export function gitUninstall(opts: { global: boolean }): string {
  const t = target(opts.global)
  const report: string[] = [`laytest git uninstall: ${t.what}`]
  const rel = t.top ? '.gitattributes' : t.attributes
  if (existsSync(t.attributes)) {
    const text = readFileSync(t.attributes, 'utf8')
    const { lines, eol } = splitLines(text)
    const ours = new Set<string>([ATTR_COMMENT, ...LAYOUT_PATTERNS.map(attrLine)])
    const kept = lines.filter((l) => !ours.has(l.trim()))
    const removed = lines.filter((l) => ours.has(l.trim()) && l.trim() !== ATTR_COMMENT)
    // a blank line install put before its block goes with it
    while (kept.length && kept[kept.length - 1]!.trim() === '' && removed.length) kept.pop()
    if (kept.length === lines.length) report.push(`  ${rel}: no laytest lines`)
    else if (kept.every((l) => !l.trim())) {
      unlinkSync(t.attributes)
      report.push(`  ${rel}: removed ${removed.map((l) => l.trim()).join(', ')}; the file held nothing else and was deleted`)
    } else {
      writeFileAtomic(t.attributes, kept.join(eol) + eol)
      report.push(`  ${rel}: removed ${removed.map((l) => l.trim()).join(', ')}`)
    }
  } else {
    report.push(`  ${rel}: not there`)
  }
  const unset: string[] = []
  for (const [key] of configEntries('')) {
    if (gitMaybe(['config', ...t.scope, '--get-all', key], t.cwd) === null) continue
    git(['config', ...t.scope, '--unset-all', key], t.cwd)
    unset.push(key)
  }
  for (const section of ['diff.laytest', 'difftool.laytest', 'difftool.laytest-open']) {
    // drop the section header git leaves behind, unless the user keeps other settings in it
    const esc = section.replace(/[.-]/g, (c) => `\\${c}`)
    if (gitMaybe(['config', ...t.scope, '--get-regexp', `^${esc}\\.`], t.cwd) === null) gitMaybe(['config', ...t.scope, '--remove-section', section], t.cwd)
  }
  report.push(unset.length ? `  git config ${t.scope[0]}: removed ${unset.join(', ')}` : `  git config ${t.scope[0]}: no laytest entries`)
  if (t.top && gitMaybe(['rev-parse', '--verify', '--quiet', 'refs/notes/textconv/laytest'], t.top) !== null) {
    git(['update-ref', '-d', 'refs/notes/textconv/laytest'], t.top)
    report.push('  removed git\'s textconv cache (refs/notes/textconv/laytest)')
  }
  return report.join('\n') + '\n'
}
