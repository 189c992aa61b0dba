import { spawnSync } from 'node:child_process'
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { execa } from 'execa'
import { afterAll, describe, expect, it } from 'vitest'
import { Layout, writeLayoutFile } from '../src/index.js'
import { tokenFile } from '../src/ipc/token.js'
import { startViewerServer, type ViewerServer } from '../src/ipc/index.js'
import { ROOT } from './helpers/corpus.js'

/*
 * `laytest git install`, `laytest textconv`, `laytest difftool` against real git, in temporary repositories,
 * through the built bin (dist/main.js). git runs with an empty global and no system configuration, so nothing
 * of the machine's git setup (pagers, drivers, aliases, hooks) takes part.
 */

const BIN = join(ROOT, 'dist/main.js')
const temps: string[] = []
/** A temporary folder, removed after the tests. */
function temp(prefix: string): string {
  const d = mkdtempSync(join(tmpdir(), prefix))
  temps.push(d)
  return d
}
const HOME = temp('laytest-git-home-')
writeFileSync(join(HOME, 'gitconfig'), '')

/** The environment of every git and laytest run: no inherited GIT_* variables (a hook may set GIT_DIR). */
function env(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const e: NodeJS.ProcessEnv = {}
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('GIT_')) e[k] = v
  return {
    ...e, HOME, XDG_CONFIG_HOME: join(HOME, '.config'), GIT_CONFIG_NOSYSTEM: '1', GIT_CONFIG_GLOBAL: join(HOME, 'gitconfig'),
    GIT_PAGER: 'cat', PAGER: 'cat', GIT_TERMINAL_PROMPT: '0', LAYTEST_CACHE: '0', NO_COLOR: '1', ...extra,
  }
}

interface Run { code: number; stdout: string; stderr: string }

function git(cwd: string, ...args: string[]): Run {
  const r = spawnSync('git', ['-c', 'color.ui=never', ...args], { cwd, encoding: 'utf8', env: env() })
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr }
}

function gitOk(cwd: string, ...args: string[]): string {
  const r = git(cwd, ...args)
  expect(r.code, `git ${args.join(' ')}: ${r.stderr}`).toBe(0)
  return r.stdout
}

function laytest(cwd: string, ...args: string[]): Run {
  return laytestEnv({}, cwd, ...args)
}

function laytestEnv(extra: Record<string, string>, cwd: string, ...args: string[]): Run {
  const r = spawnSync(process.execPath, [BIN, ...args], { cwd, encoding: 'utf8', env: env(extra) })
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr }
}

/** A fresh repository with a committer of its own. */
function repo(): string {
  const dir = temp('laytest-git-')
  gitOk(dir, 'init', '-q')
  gitOk(dir, 'config', 'user.name', 'laytest test')
  gitOk(dir, 'config', 'user.email', 'laytest@example.com')
  gitOk(dir, 'config', 'commit.gpgsign', 'false')
  return dir
}

/**
 * A small chip: TOP (a box on 1/0, two placements of `ring`, an array of `pad`, two labels), ring (a box and a
 * polygon on 1/0, three boxes on 2/0 of which the middle one is moved right by `dx` dbu, a path on 3/5), pad (41/0). `reversed` creates the cells and adds
 * every cell's shapes, texts and placements in the opposite order: the same layout, written differently.
 */
function chip(file: string, opts: { dx?: number; reversed?: boolean } = {}): void {
  const dx = opts.dx ?? 0
  const l = new Layout({ dbu: 0.001 })
  const order = <T>(xs: T[]): T[] => (opts.reversed ? xs.reverse() : xs)
  const names = order(['TOP', 'ring', 'pad'])
  const cells = Object.fromEntries(names.map((n) => [n, l.newCell(n)]))
  const ring = cells.ring!, pad = cells.pad!, top = cells.TOP!
  for (const add of order([
    () => ring.addBox({ layer: 1, datatype: 0 }, 0, 0, 1000, 200),
    () => ring.addBox({ layer: 2, datatype: 0 }, 0, 100, 50, 900),
    () => ring.addBox({ layer: 2, datatype: 0 }, 400 + dx, 300, 600 + dx, 700), // inside the layer's box: only the hash sees a move
    () => ring.addBox({ layer: 2, datatype: 0 }, 950, 100, 1000, 900),
    () => ring.addPolygon({ layer: 1, datatype: 0 }, [[0, 300], [1000, 300], [500, 800]]),
    () => ring.addPath({ layer: 3, datatype: 5 }, [[0, 1000], [1000, 1000]], 50),
  ])) add()
  pad.addBox(41, -500, -500, 500, 500)
  for (const add of order([
    () => top.addBox(1, -2000, -2000, 2000, -1500),
    () => top.place(ring, { x: 0, y: 0 }),
    () => top.place(ring, { x: 5000, y: 0, rotation: 90 }),
    () => top.placeArray(pad, { cols: 3, rows: 1, colStep: [2000, 0], rowStep: [0, 0], y: 5000 }),
    () => top.addText({ layer: 66, datatype: 0 }, 'VDD', 0, 5000),
    () => top.addText({ layer: 66, datatype: 0 }, 'GND', 4000, 5000),
  ])) add()
  writeLayoutFile(l, file)
}

/** The lines a unified diff changes (without the ---/+++ file header). */
function changedLines(diff: string): string[] {
  return diff.split('\n').filter((l) => /^[-+]/.test(l) && !/^(---|\+\+\+) /.test(l))
}

const servers: ViewerServer[] = []
afterAll(async () => {
  for (const s of servers) await s.close()
  for (const d of temps) rmSync(d, { recursive: true, force: true })
})

describe('laytest git install + git diff / git log -p', () => {
  it('is built', () => {
    expect(existsSync(BIN)).toBe(true)
  })

  it('git diff of a GDS with one moved box names the cell and the layer, and git log -p shows it too', () => {
    const dir = repo()
    mkdirSync(join(dir, 'layouts', 'deep'), { recursive: true })
    chip(join(dir, 'layouts', 'chip.gds'))
    // installed from a subdirectory: the repository's top level is configured
    const inst = laytest(join(dir, 'layouts', 'deep'), 'git', 'install')
    expect(inst.code, inst.stderr).toBe(0)
    expect(existsSync(join(dir, '.gitattributes'))).toBe(true)
    expect(existsSync(join(dir, 'layouts', 'deep', '.gitattributes'))).toBe(false)
    gitOk(dir, 'add', '-A')
    gitOk(dir, 'commit', '-qm', 'chip v1')

    chip(join(dir, 'layouts', 'chip.gds'), { dx: 10 })
    const diff = gitOk(dir, 'diff')
    const changed = changedLines(diff)
    // the cell whose own box moved, on the layer it is on, before and after (bbox in µm)
    const before = changed.find((l) => l.startsWith('-cell ring 2/0: '))
    const after = changed.find((l) => l.startsWith('+cell ring 2/0: '))
    expect(before).toMatch(/^-cell ring 2\/0: 3 boxes, bbox \(0, 0\.1\) \.\. \(1, 0\.9\) um, hash [0-9a-f]{16}$/)
    expect(after).toMatch(/^\+cell ring 2\/0: 3 boxes, bbox \(0, 0\.1\) \.\. \(1, 0\.9\) um, hash [0-9a-f]{16}$/)
    expect(after!.slice(1)).not.toBe(before!.slice(1))
    // and no other cell's own content: the other lines that change are the top cell's flat summaries of layer 2/0
    const cellLines = changed.filter((l) => /^[-+]cell /.test(l))
    expect(cellLines.map((l) => l.replace(/:.*/, ''))).toEqual(['-cell ring 2/0', '+cell ring 2/0'])
    for (const l of changed.filter((x) => /^[-+]top /.test(x))) expect(l).toMatch(/^[-+]top TOP( 2\/0)?: /)
    // without textconv, git says binary (diff.laytest.binary)
    expect(gitOk(dir, 'diff', '--no-textconv')).toMatch(/Binary files a\/layouts\/chip\.gds and b\/layouts\/chip\.gds differ/)

    gitOk(dir, 'commit', '-qam', 'move a box in ring')
    const log = gitOk(dir, 'log', '-p')
    const [second, first] = log.split(/^(?=commit [0-9a-f]{40}$)/m)
    expect(second).toContain('move a box in ring')
    expect(changedLines(second!).filter((l) => /^[-+]cell /.test(l)).map((l) => l.replace(/:.*/, ''))).toEqual(['-cell ring 2/0', '+cell ring 2/0'])
    // the first commit adds the whole summary
    expect(first).toContain('chip v1')
    expect(changedLines(first!)).toContain('+top cells: TOP')
    expect(changedLines(first!).filter((l) => l.startsWith('+cell '))).toHaveLength(8)
    // git cached the summaries (diff.laytest.cachetextconv) and shows the same from the cache
    expect(gitOk(dir, 'for-each-ref', 'refs/notes/textconv/')).toContain('refs/notes/textconv/laytest')
    expect(gitOk(dir, 'log', '-p')).toBe(log)
  })

  it('install twice adds nothing twice, keeps existing .gitattributes lines, says what it did; uninstall removes only its own', () => {
    const dir = repo()
    mkdirSync(join(dir, 'sub', 'dir'), { recursive: true })
    const mine = '# my attributes\n*.png binary\r\n*.txt text eol=lf\n*.gds -diff' // no newline at the end, a CRLF line
    writeFileSync(join(dir, '.gitattributes'), mine)

    const first = laytest(join(dir, 'sub', 'dir'), 'git', 'install')
    expect(first.code, first.stderr).toBe(0)
    expect(first.stdout).toContain(`laytest git install: ${gitOk(dir, 'rev-parse', '--show-toplevel').trim()}`)
    expect(first.stdout).toContain('.gitattributes: added *.gds diff=laytest, *.gds.gz diff=laytest, *.oas diff=laytest, *.oas.gz diff=laytest')
    expect(first.stdout).toMatch(/line 4 sets -diff for \*\.gds; the line added below overrides it/)
    expect(first.stdout).toMatch(/git config --local diff\.laytest\.textconv '.*textconv --format 1'/)
    expect(first.stdout).toMatch(/git config --local difftool\.laytest\.cmd '.*difftool "\$LOCAL" "\$REMOTE" "\$MERGED"'/)
    const afterFirst = readFileSync(join(dir, '.gitattributes'), 'utf8')
    expect(afterFirst.startsWith(mine + '\r\n')).toBe(true) // every line of the user's kept, as it was
    expect(afterFirst.slice(mine.length)).toBe('\r\n\r\n# laytest: layouts in git diff / git log -p / git difftool (laytest git install)\r\n' +
      '*.gds diff=laytest\r\n*.gds.gz diff=laytest\r\n*.oas diff=laytest\r\n*.oas.gz diff=laytest\r\n')
    const configFirst = readFileSync(join(dir, '.git', 'config'), 'utf8')

    const second = laytest(join(dir, 'sub'), 'git', 'install')
    expect(second.code, second.stderr).toBe(0)
    expect(second.stdout).toContain('already diff=laytest (unchanged)')
    expect(second.stdout).toContain('Already installed; nothing changed.')
    expect(readFileSync(join(dir, '.gitattributes'), 'utf8')).toBe(afterFirst)
    expect(readFileSync(join(dir, '.git', 'config'), 'utf8')).toBe(configFirst)
    for (const key of ['diff.laytest.textconv', 'diff.laytest.cachetextconv', 'diff.laytest.binary', 'difftool.laytest.cmd', 'difftool.laytest-open.cmd']) {
      expect(gitOk(dir, 'config', '--get-all', key).trim().split('\n'), key).toHaveLength(1)
    }
    for (const f of ['a.gds', 'sub/dir/b.gds', 'c.gds.gz', 'd.oas', 'e.oas.gz']) expect(gitOk(dir, 'check-attr', 'diff', '--', f)).toBe(`${f}: diff: laytest\n`)
    expect(gitOk(dir, 'check-attr', 'diff', '--', 'x.png')).toBe('x.png: diff: unset\n')

    const un = laytest(join(dir, 'sub'), 'git', 'uninstall')
    expect(un.code, un.stderr).toBe(0)
    expect(un.stdout).toContain('removed *.gds diff=laytest, *.gds.gz diff=laytest, *.oas diff=laytest, *.oas.gz diff=laytest')
    expect(readFileSync(join(dir, '.gitattributes'), 'utf8')).toBe(mine.replace(/\r?\n/g, '\r\n') + '\r\n')
    expect(git(dir, 'config', '--get-regexp', 'laytest').stdout).toBe('')
    expect(readFileSync(join(dir, '.git', 'config'), 'utf8')).not.toMatch(/diff|textconv/)
  })

  it('--global configures the user\'s git (attributes file and config) once', () => {
    const home = temp('laytest-git-global-')
    writeFileSync(join(home, 'gitconfig'), '[user]\n\tname = someone\n')
    const e = env({ HOME: home, XDG_CONFIG_HOME: join(home, 'xdg'), GIT_CONFIG_GLOBAL: join(home, 'gitconfig') })
    const run = (...args: string[]): Run => {
      const r = spawnSync(process.execPath, [BIN, ...args], { cwd: home, encoding: 'utf8', env: e })
      return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr }
    }
    const r1 = run('git', 'install', '--global', '--command', 'laytest')
    expect(r1.code, r1.stderr).toBe(0)
    const attrs = readFileSync(join(home, 'xdg', 'git', 'attributes'), 'utf8')
    expect(attrs).toContain('*.gds diff=laytest\n')
    const cfg = readFileSync(join(home, 'gitconfig'), 'utf8')
    expect(cfg).toContain('name = someone')
    expect(cfg).toContain('textconv = laytest textconv --format 1')
    expect(run('git', 'install', '--global', '--command', 'laytest').stdout).toContain('Already installed; nothing changed.')
    expect(readFileSync(join(home, 'xdg', 'git', 'attributes'), 'utf8')).toBe(attrs)
    expect(readFileSync(join(home, 'gitconfig'), 'utf8')).toBe(cfg)
    expect(run('git', 'uninstall', '--global').code).toBe(0)
    expect(existsSync(join(home, 'xdg', 'git', 'attributes'))).toBe(false)
    expect(readFileSync(join(home, 'gitconfig'), 'utf8')).not.toContain('laytest')
  })

  it('outside a repository: one line, exit 2', () => {
    const dir = temp('laytest-nogit-')
    const r = laytestEnv({ GIT_CEILING_DIRECTORIES: tmpdir() }, dir, 'git', 'install')
    expect(r.code).toBe(2)
    expect(r.stderr).toMatch(/^laytest: .* is not inside a git work tree/)
    expect(r.stderr.trim().split('\n')).toHaveLength(1)
  })
})

describe('git difftool -t laytest', () => {
  it('prints laytest\'s XOR table for a changed layout, skips other files, exits 0', () => {
    const dir = repo()
    chip(join(dir, 'chip.gds'))
    writeFileSync(join(dir, 'notes.txt'), 'v1\n')
    writeFileSync(join(dir, 'placeholder.gds'), '') // committed empty, a layout later
    expect(laytest(dir, 'git', 'install').code).toBe(0)
    gitOk(dir, 'add', '-A')
    gitOk(dir, 'commit', '-qm', 'v1')
    chip(join(dir, 'chip.gds'), { dx: 10 })
    chip(join(dir, 'placeholder.gds'))
    writeFileSync(join(dir, 'notes.txt'), 'v2\n')

    // --trust-exit-code: git passes laytest's exit code on (0: compared, equal or not)
    const r = git(dir, 'difftool', '--trust-exit-code', '-t', 'laytest', '-y')
    expect(r.code, r.stderr).toBe(0)
    expect(r.stderr).toBe('')
    expect(r.stdout).toContain('laytest difftool: chip.gds\nA: old chip.gds (top TOP)\nB: new chip.gds (top TOP)\n')
    expect(r.stdout).toContain('Layer       XOR area (um^2)   Polygons  Only in  Largest difference (um)')
    expect(r.stdout).toMatch(/\n2\/0 +0\.016 +4 +- +\(0\.4, 0\.3\) \.\. \(0\.41, 0\.7\)\n/) // 10 nm x 0.4 um on each side, in both placements
    expect(r.stdout).toContain('1 of 4 layer(s) differ.')
    expect(r.stdout).toMatch(/changed +ring: layers 2\/0 \(own content\)/)
    expect(r.stdout).toContain('laytest difftool: notes.txt: not a layout, skipped')
    expect(r.stdout).toContain('laytest difftool: placeholder.gds: the old version is not a layout (empty); nothing to compare')

    // between two commits too
    gitOk(dir, 'commit', '-qam', 'v2')
    const h = git(dir, 'difftool', '--trust-exit-code', '-t', 'laytest', '-y', 'HEAD~1', 'HEAD', '--', 'chip.gds')
    expect(h.code, h.stderr).toBe(0)
    expect(h.stdout).toMatch(/\n2\/0 +0\.016 /)

    // a version laytest cannot read: the error, and with --trust-exit-code git difftool fails (laytest exits 0
    // for equal and different layouts, so the flag only passes its errors on)
    writeFileSync(join(dir, 'chip.gds'), readFileSync(join(dir, 'chip.gds')).subarray(0, 100))
    const bad = git(dir, 'difftool', '--trust-exit-code', '-t', 'laytest', '-y', '--', 'chip.gds')
    expect(bad.code).not.toBe(0) // git: "fatal: external diff died"
    expect(bad.stderr).toMatch(/^laytest: .*chip\.gds: byte \d+: /m)
  })

  it('-t laytest-open also sends both versions and the XOR to the viewer, kept after git removed its temporary files', async () => {
    const dir = repo()
    chip(join(dir, 'chip.gds'))
    expect(laytest(dir, 'git', 'install').code).toBe(0)
    gitOk(dir, 'add', '-A')
    gitOk(dir, 'commit', '-qm', 'v1')
    chip(join(dir, 'chip.gds'), { dx: 10 })
    gitOk(dir, 'commit', '-qam', 'v2')
    const { server, port } = await startViewerServer({ port: 0 })
    servers.push(server)
    const tmp = temp('laytest-git-tmp-') // where the copies for the viewer go
    // the same user as the server: its token file (the test's HOME is a temporary one)
    const r = await execa('git', ['difftool', '-t', 'laytest-open', '-y', 'HEAD~1', 'HEAD'], {
      cwd: dir, env: env({ LAYTEST_VIEWER: `127.0.0.1:${port}`, TMPDIR: tmp, LAYTEST_VIEWER_TOKEN_FILE: tokenFile() }), extendEnv: false, reject: false,
    })
    expect(r.exitCode, r.stderr).toBe(0)
    expect(r.stdout).toMatch(/sent to the viewer at 127\.0\.0\.1:\d+/)
    const item = server.items.at(-1)!
    expect(item).toMatchObject({ kind: 'diff', title: 'chip.gds (git difftool)' })
    for (const k of ['reference', 'test', 'xor'] as const) expect(existsSync(item.files[k]!), k).toBe(true)
    expect(item.files.reference).toMatch(/old-chip\.gds$/)
    expect(item.files.test).toMatch(/new-chip\.gds$/)
    expect(item.files.reference!.startsWith(join(tmp, 'laytest-difftool'))).toBe(true)
  })
})

describe('laytest textconv', () => {
  const dir = temp('laytest-textconv-')

  it('is byte-identical across runs and across a rewrite of the same layout in another order, and names what changed', () => {
    chip(join(dir, 'a.gds'))
    chip(join(dir, 'b-reversed.gds'), { reversed: true })
    chip(join(dir, 'c-moved.gds'), { dx: 10 })
    expect(readFileSync(join(dir, 'a.gds')).equals(readFileSync(join(dir, 'b-reversed.gds')))).toBe(false) // really written differently
    const a1 = laytest(dir, 'textconv', 'a.gds')
    const a2 = laytest(dir, 'textconv', join(dir, 'a.gds'))
    const b = laytest(dir, 'textconv', 'b-reversed.gds')
    for (const r of [a1, a2, b]) expect(r.code, r.stderr).toBe(0)
    expect(a2.stdout).toBe(a1.stdout)
    expect(b.stdout).toBe(a1.stdout)
    expect(a1.stdout.split('\n').slice(0, 3)).toEqual([
      'laytest textconv 1: GDSII, library LIB, dbu 0.001 um, 3 cells',
      'top cells: TOP',
      'top TOP: bbox (-2, -2) .. (5, 5.5) um, 2 texts, hash ' + a1.stdout.split('\n')[2]!.slice(-16),
    ])
    const lines = a1.stdout.trimEnd().split('\n')
    const cellLines = lines.filter((l) => l.startsWith('cell ')).map((l) => l.replace(/, hash [0-9a-f]{16}$/, ''))
    expect(cellLines).toEqual([
      'cell TOP 1/0: 1 box, bbox (-2, -2) .. (2, -1.5) um',
      'cell TOP 66/0 texts: 2 ("GND" at (4, 5), "VDD" at (0, 5))',
      'cell TOP ref pad: 1 placement (1 array, 3 members)',
      'cell TOP ref ring: 2 placements',
      'cell pad 41/0: 1 box, bbox (-0.5, -0.5) .. (0.5, 0.5) um',
      'cell ring 1/0: 1 box, 1 polygon, bbox (0, 0) .. (1, 0.8) um',
      'cell ring 2/0: 3 boxes, bbox (0, 0.1) .. (1, 0.9) um',
      'cell ring 3/5: 1 path, bbox (0, 0.975) .. (1, 1.025) um',
    ])
    expect(lines.filter((l) => l.startsWith('top TOP ')).map((l) => l.replace(/:.*/, ''))).toEqual(['top TOP 1/0', 'top TOP 2/0', 'top TOP 3/5', 'top TOP 41/0'])
    // nothing of the file's name or place
    expect(a1.stdout).not.toMatch(/a\.gds|laytest-textconv-/)
    // a 10 nm move inside the layer's box is a different line (the hash sees what counts and box do not)
    const c = laytest(dir, 'textconv', 'c-moved.gds')
    const moved = c.stdout.split('\n').filter((l) => !a1.stdout.split('\n').includes(l))
    expect(moved.map((l) => l.replace(/:.*/, ''))).toEqual(['top TOP', 'top TOP 2/0', 'cell ring 2/0'])
  })

  it('says so in one line, exit 0, for files git may hand it that are no readable layout; a missing file is an error', () => {
    writeFileSync(join(dir, 'notes.gds'), 'version https://git-lfs.github.com/spec/v1\noid sha256:0000\nsize 12\n')
    writeFileSync(join(dir, 'empty.gds'), '')
    chip(join(dir, 'whole.gds'))
    writeFileSync(join(dir, 'truncated.gds'), readFileSync(join(dir, 'whole.gds')).subarray(0, 100))
    const n = laytest(dir, 'textconv', 'notes.gds')
    expect(n).toMatchObject({ code: 0, stderr: '' })
    expect(n.stdout).toMatch(/^laytest textconv 1: not a layout \(no GDSII, OASIS or gzip header\); 67 bytes, sha256 [0-9a-f]{16}\n$/)
    expect(laytest(dir, 'textconv', 'empty.gds')).toMatchObject({ code: 0, stdout: 'laytest textconv 1: empty file (0 bytes)\n' })
    const t = laytest(dir, 'textconv', 'truncated.gds')
    expect(t.code).toBe(0)
    expect(t.stdout).toMatch(/^laytest textconv 1: unreadable GDSII file: byte \d+: .*; 100 bytes, sha256 [0-9a-f]{16}\n$/)
    expect(t.stdout).not.toContain('truncated.gds')
    const m = laytest(dir, 'textconv', 'missing.gds')
    expect(m.code).toBe(2)
    expect(m.stderr).toBe('laytest: missing.gds: no such file\n')
  })

  it('reads undefined referenced cells as empty and says so in the header', () => {
    const l = new Layout({ dbu: 0.001 })
    const ghost = l.newCell('LIB_CELL')
    ghost.ghost = true // not written: the file references a cell it does not define
    l.newCell('TOP').addBox(1, 0, 0, 100, 100).place(ghost, { x: 10, y: 0 })
    writeLayoutFile(l, join(dir, 'ghost.gds'))
    const r = laytest(dir, 'textconv', 'ghost.gds')
    expect(r.code, r.stderr).toBe(0)
    const lines = r.stdout.split('\n')
    expect(lines[2]).toBe('undefined cells (referenced, not in the file; read as empty): LIB_CELL')
    expect(lines).toContain('cell LIB_CELL: undefined (read as empty)')
    expect(r.stdout).toMatch(/\ncell TOP ref LIB_CELL: 1 placement, hash [0-9a-f]{16}\n/)
  })
})

