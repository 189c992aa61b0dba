import { copyFileSync, mkdirSync, mkdtempSync, realpathSync, symlinkSync, writeFileSync } from 'node:fs'
import { connect } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { execFileSync } from 'node:child_process'
import { afterAll, describe, expect, test } from 'vitest'
import { interpretLyipc, pyRealpath, pyRepr, startViewerServer, type ViewerServer } from '../src/ipc/index.js'
import { ROOT } from './helpers/corpus.js'

/*
 * laytest serve as lyipc's server, byte for byte. The fixtures are the replies of lyipc 0.2.14's interpreter
 * (lyipc/interpreter.py) running inside KLayout 0.28.5 (Debian 12, Python 3.11, Qt offscreen), in this order, from
 * a KLayout with no view open, started in a folder holding ring.gds, "dir with space/ring.gds" and an empty
 * empty.gds. {CWD} is that folder, {INTERP} the file name of lyipc's interpreter module (the only part that
 * differs between two lyipc installations). Replies have no line end; the server closes after each.
 */
const LYIPC_SESSION: Array<[string, string]> = [
  ["reload view", "ERR 'Traceback (most recent call last):\\n  File \"{INTERP}\", line 52, in parse_message\\n    main.cm_reload()\\nRuntimeError: This function needs a layout but none was available in MainWindow.cm_reload\\n'"],
  ["cellview TOP", "ERR 'Traceback (most recent call last):\\n  File \"{INTERP}\", line 86, in parse_message\\n    cv = view.active_cellview()\\n         ^^^^^^^^^^^^^^^^^^^^\\nAttributeError: \\'NoneType\\' object has no attribute \\'active_cellview\\'\\n'"],
  ["cellview", "ERR 'Traceback (most recent call last):\\n  File \"{INTERP}\", line 83, in parse_message\\n    cellname = tokens[1]\\n               ~~~~~~^^^\\nIndexError: list index out of range\\n'"],
  ["load", "ERR 'Traceback (most recent call last):\\n  File \"{INTERP}\", line 58, in parse_message\\n    if tokens[1].startswith(\\'\"\\'):\\n       ~~~~~~^^^\\nIndexError: list index out of range\\n'"],
  ["load ", "ERR 'Traceback (most recent call last):\\n  File \"{INTERP}\", line 80, in parse_message\\n    quiet_load_layout(filename, mode)\\n  File \"{INTERP}\", line 27, in quiet_load_layout\\n    view = main.load_layout(filename, mode)\\n           ^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^\\nRuntimeError: Read error on file: {CWD} (errno=21) in MainWindow.load_layout\\n'"],
  ["load {CWD}/missing.gds", "ERR 'Traceback (most recent call last):\\n  File \"{INTERP}\", line 80, in parse_message\\n    quiet_load_layout(filename, mode)\\n  File \"{INTERP}\", line 27, in quiet_load_layout\\n    view = main.load_layout(filename, mode)\\n           ^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^\\nRuntimeError: Unable to open file: {CWD}/missing.gds (errno=2) in MainWindow.load_layout\\n'"],
  ["load missing.gds", "ERR 'Traceback (most recent call last):\\n  File \"{INTERP}\", line 80, in parse_message\\n    quiet_load_layout(filename, mode)\\n  File \"{INTERP}\", line 27, in quiet_load_layout\\n    view = main.load_layout(filename, mode)\\n           ^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^\\nRuntimeError: Unable to open file: {CWD}/missing.gds (errno=2) in MainWindow.load_layout\\n'"],
  ["load \"{CWD}/dir with space/ring.gds", "ERR 'Traceback (most recent call last):\\n  File \"{INTERP}\", line 70, in parse_message\\n    raise ValueError(\\'Malformed filename with only one quote\\')\\nValueError: Malformed filename with only one quote\\n'"],
  ["load ring.gds x", "ERR 'Traceback (most recent call last):\\n  File \"{INTERP}\", line 77, in parse_message\\n    mode = int(tokens[-1])\\n           ^^^^^^^^^^^^^^^\\nValueError: invalid literal for int() with base 10: \\'x\\'\\n'"],
  ["load {CWD}/empty.gds", "ACK None"],
  ["load {CWD}", "ERR 'Traceback (most recent call last):\\n  File \"{INTERP}\", line 80, in parse_message\\n    quiet_load_layout(filename, mode)\\n  File \"{INTERP}\", line 27, in quiet_load_layout\\n    view = main.load_layout(filename, mode)\\n           ^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^\\nRuntimeError: Read error on file: {CWD} (errno=21) in MainWindow.load_layout\\n'"],
  ["ping", "ACK None"],
  ["ping 1234", "ACK None"],
  ["frobnicate the layout", "ACK None"],
  ["", "ACK None"],
  ["reload", "ACK None"],
  ["reload view now", "ACK None"],
  ["load \"{CWD}/dir with space/ring.gds\" 1", "ACK None"],
  ["reload view", "ACK None"],
  ["cellview TOP", "ACK None"],
  ["cellview NOPE", "ACK None"],
  ["cellview", "ERR 'Traceback (most recent call last):\\n  File \"{INTERP}\", line 83, in parse_message\\n    cellname = tokens[1]\\n               ~~~~~~^^^\\nIndexError: list index out of range\\n'"],
  ["load ring.gds", "ACK None"],
  ["load ring.gds 2", "ACK None"],
  ["load ring.gds 10", "ACK None"],
  ["load ring.gds -1", "ACK None"],
  ["load ring.gds 1 2", "ACK None"],
  ["load \"{CWD}/dir with space/ring.gds\"", "ACK None"],
  ["load \"ring.gds\" 2", "ERR 'Traceback (most recent call last):\\n  File \"{INTERP}\", line 70, in parse_message\\n    raise ValueError(\\'Malformed filename with only one quote\\')\\nValueError: Malformed filename with only one quote\\n'"],
  ["load {CWD}/missing.gds", "ERR 'Traceback (most recent call last):\\n  File \"{INTERP}\", line 80, in parse_message\\n    quiet_load_layout(filename, mode)\\n  File \"{INTERP}\", line 27, in quiet_load_layout\\n    view = main.load_layout(filename, mode)\\n           ^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^\\nRuntimeError: Unable to open file: {CWD}/missing.gds (errno=2) in MainWindow.load_layout\\n'"],
  ["load ring.gds 0", "ACK None"],
]

const INTERP = '/home/someone/.klayout/python/lyipc/interpreter.py'
const GDS = join(ROOT, 'examples/ring.gds'), GDS2 = join(ROOT, 'examples/ring-v2.gds')
process.env.LAYTEST_VIEWER_TOKEN_FILE ??= join(mkdtempSync(join(tmpdir(), 'laytest-tok-')), 'viewer-token')

/** What an lyipc client does: connect, send the line with \r\n, read until the server closes. */
function lyipcSend(port: number, line: string | Buffer, timeout = 3000): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const s = connect({ host: '127.0.0.1', port })
    const out: Buffer[] = []
    const t = setTimeout(() => { s.destroy(); reject(new Error(`no close within ${timeout} ms`)) }, timeout)
    s.on('connect', () => s.write(typeof line === 'string' ? `${line}\r\n` : line))
    s.on('data', (d) => out.push(d))
    s.on('close', () => { clearTimeout(t); resolve(Buffer.concat(out)) })
    s.on('error', reject)
  })
}

function workdir(): string {
  const cwd = realpathSync(mkdtempSync(join(tmpdir(), 'laytest-lyipc-')))
  copyFileSync(GDS, join(cwd, 'ring.gds'))
  mkdirSync(join(cwd, 'dir with space'))
  copyFileSync(GDS, join(cwd, 'dir with space', 'ring.gds'))
  writeFileSync(join(cwd, 'empty.gds'), '')
  return cwd
}

const servers: ViewerServer[] = []
async function server(cwd: string): Promise<{ server: ViewerServer; port: number }> {
  const r = await startViewerServer({ port: 0, cwd, lyipcInterpreter: INTERP })
  servers.push(r.server)
  return r
}
afterAll(async () => { for (const s of servers) await s.close() })

describe('lyipc byte fixtures', () => {
  test('the captured KLayout session, line by line: the same bytes, no line end, then close', async () => {
    const cwd = workdir()
    const { server: s, port } = await server(cwd)
    for (const [line, want] of LYIPC_SESSION) {
      const got = await lyipcSend(port, line.replaceAll('{CWD}', cwd))
      expect(got.toString('utf8'), line).toBe(want.replaceAll('{CWD}', cwd).replaceAll('{INTERP}', INTERP))
    }
    // what the session did: one view, opened with mode 1 from the quoted path with spaces, then loads into it
    expect(s.items.length).toBe(1)
    expect(s.current!.files.layout).toBe(join(cwd, 'ring.gds')) // the last load (mode 0) replaced the view's layout
  })

  test('the reload fallback of lyipc clients (kqp, lyipc_reload FILE): ERR "needs a layout" first, then load; then reload works', async () => {
    const cwd = workdir()
    const { server: s, port } = await server(cwd)
    const reloadOrLoad = async (file: string): Promise<string[]> => {
      const seen: string[] = []
      const r = (await lyipcSend(port, 'reload view')).toString()
      seen.push(r.slice(0, 3))
      if (r.startsWith('ERR ') && r.includes('needs a layout')) seen.push((await lyipcSend(port, `load ${file}`)).toString())
      return seen
    }
    expect(await reloadOrLoad('ring.gds')).toEqual(['ERR', 'ACK None'])
    expect(s.current).toMatchObject({ kind: 'load', files: { layout: join(cwd, 'ring.gds') }, version: 1 })
    expect(await reloadOrLoad('ring.gds')).toEqual(['ACK'])
    expect(s.current!.version).toBe(2) // re-read from disk by the viewers
  })

  test('load modes: 1 a new view, 2 added to the current view (shown as reference and test), 0 replaces it', async () => {
    const cwd = workdir()
    copyFileSync(GDS2, join(cwd, 'ring-v2.gds'))
    const { server: s, port } = await server(cwd)
    expect((await lyipcSend(port, 'load ring.gds 1')).toString()).toBe('ACK None')
    expect((await lyipcSend(port, 'load ring-v2.gds 2')).toString()).toBe('ACK None')
    expect(s.items.length).toBe(1)
    expect(s.current!.files).toEqual({ layout: join(cwd, 'ring.gds'), layout2: join(cwd, 'ring-v2.gds') })
    expect((await lyipcSend(port, 'load ring.gds 1')).toString()).toBe('ACK None')
    expect(s.items.length).toBe(2)
    expect((await lyipcSend(port, 'load ring-v2.gds')).toString()).toBe('ACK None')
    expect(s.items.length).toBe(2)
    expect(s.current!.files).toEqual({ layout: join(cwd, 'ring-v2.gds') })
    expect((await lyipcSend(port, 'cellview ring_b')).toString()).toBe('ACK None')
    expect(s.current!.cell).toBe('ring_b')
  })

  test('relative paths resolve against the server\'s working directory through symbolic links, as os.path.realpath', async () => {
    const cwd = workdir()
    mkdirSync(join(cwd, 'sub'))
    symlinkSync(join(cwd, 'dir with space'), join(cwd, 'link'))
    const { server: s, port } = await server(join(cwd, 'sub'))
    expect((await lyipcSend(port, 'load "../link/ring.gds"')).toString()).toBe('ERR ' + pyRepr(`Traceback (most recent call last):\n  File "${INTERP}", line 70, in parse_message\n    raise ValueError('Malformed filename with only one quote')\nValueError: Malformed filename with only one quote\n`))
    expect((await lyipcSend(port, 'load ../link/ring.gds')).toString()).toBe('ACK None')
    expect(s.current!.files.layout).toBe(join(cwd, 'dir with space', 'ring.gds'))
    // Python's realpath: ".." after a link is taken from the link's target
    const fs = { lstat: (p: string) => ({ isSymbolicLink: () => p === '/a/l' }), readlink: () => '/x/y/z' }
    expect(pyRealpath('l/../f.gds', '/a', fs)).toBe('/x/y/f.gds')
    expect(pyRealpath('', '/a/b', fs)).toBe('/a/b')
    expect(pyRealpath('/a/./b//c/../d', '/', fs)).toBe('/a/b/d')
  })

  test('a file that is not a layout gets the reply of a missing file: nothing read back, nothing confirmed, nothing blocks', async () => {
    const cwd = workdir()
    writeFileSync(join(cwd, 'secret.txt'), 'root:SECRET-CONTENT:0:0\n')
    const { server: s, port } = await server(cwd)
    const missing = (await lyipcSend(port, 'load nothing-here.gds')).toString()
    const secret = (await lyipcSend(port, 'load secret.txt')).toString()
    expect(secret).toBe(missing.replace('nothing-here.gds', 'secret.txt'))
    expect(secret).not.toContain('SECRET')
    expect(secret).toContain('Unable to open file:')
    execFileSync('mkfifo', [join(cwd, 'fifo.gds')])
    expect((await lyipcSend(port, 'load fifo.gds', 2000)).toString()).toBe(missing.replace('nothing-here.gds', 'fifo.gds'))
    expect((await lyipcSend(port, 'load /dev/zero', 2000)).toString()).toContain('Unable to open file: /dev/zero (errno=2)')
    expect(s.items.length).toBe(0)
  })

  test('the line end: lyipc strips one \\n then every \\r; a line split over packets; only the first line counts', async () => {
    const cwd = workdir()
    const { port } = await server(cwd)
    expect((await lyipcSend(port, Buffer.from('ping\r\r\n'))).toString()).toBe('ACK None')
    expect((await lyipcSend(port, Buffer.from('reload view \r\n'))).toString()).toBe('ACK None') // not ['reload', 'view']: an unknown line
    expect((await lyipcSend(port, Buffer.from('reload view\nload ring.gds\n'))).toString()).toMatch(/^ERR .*needs a layout/)
  })
})

describe('Python semantics', () => {
  test('repr() of str as Python 3 writes it', () => {
    expect(pyRepr("it's")).toBe(`"it's"`)
    expect(pyRepr('a"b\'c')).toBe(`'a"b\\'c'`)
    expect(pyRepr('\x00\xa0é\u2028\t\\')).toBe(`'\\x00\\xa0é\\u2028\\t\\\\'`)
    expect(pyRepr('\u{1F600}\u{E0001}')).toBe(`'\u{1F600}\\U000e0001'`)
  })

  test('the mode is int() of the last word: signs, underscores; anything else is lyipc\'s ValueError', () => {
    const rp = (p: string): string => `/w/${p}`
    expect(interpretLyipc('load a.gds +2', rp)).toEqual({ kind: 'load', path: '/w/a.gds', mode: 2 })
    expect(interpretLyipc('load a.gds 1_0', rp)).toEqual({ kind: 'load', path: '/w/a.gds', mode: 10 })
    expect(interpretLyipc('load a.gds 1 2', rp)).toEqual({ kind: 'load', path: '/w/a.gds', mode: 2 })
    const bad = interpretLyipc('load a.gds 0x1', rp, '/i.py')
    expect(bad).toEqual({ kind: 'error', reply: `ERR 'Traceback (most recent call last):\\n  File "/i.py", line 77, in parse_message\\n    mode = int(tokens[-1])\\n           ^^^^^^^^^^^^^^^\\nValueError: invalid literal for int() with base 10: \\'0x1\\'\\n'` })
  })
})
