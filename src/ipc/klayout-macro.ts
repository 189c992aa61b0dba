/**
 * laytest's KLayout macro (Python for KLayout's pya, written for laytest): inside the KLayout GUI it serves the
 * viewer protocol on one port — lyipc lines (answered as lyipc does: ACK None, or ERR with the traceback of what
 * failed, never a modal dialog) and laytest JSON lines (hello, load, reload, diff: reference, test and a distinctly
 * styled XOR as layouts of one view with every hierarchy level drawn, shutdown, deferred out of the socket
 * handler). docs/viewer.md.
 */
export const KLAYOUT_MACRO_PY = String.raw`# laytest viewer server for KLayout (written by laytest: laytest klayout install)
import pya, json, os, traceback
PORT = int(os.environ.get('LAYTEST_KLAYOUT_PORT', '11078'))
app = pya.Application.instance()
server = pya.QTcpServer()
conns = []
timers = []
XOR_COLOR = 0xff00ff

def reply(conn, text, end='\n'):
    conn.write((text + end).encode('utf-8'))
    conn.flush()

def show_all(view):
    # every hierarchy level drawn (child cells too), whole layout in view
    try:
        view.max_hier()
        view.zoom_fit()
    except Exception:
        pass

def style_xor(view, index):
    # the XOR on its own, distinct layers on top of the others: strong colour, hatched, thick frame, named
    # the inputs are drawn as outlines (hollow), so the XOR's fill stands out whatever their colours
    props = []
    it = view.begin_layers()
    while not it.at_end():
        if it.current().source_cellview == index:
            props.append(it.current().dup())
            view.delete_layer(it)
        else:
            it.current().dither_pattern = 1
            it.next()
    for p in reversed(props):
        p.fill_color = XOR_COLOR
        p.frame_color = XOR_COLOR
        p.dither_pattern = 5
        p.width = 2
        p.name = 'XOR ' + p.source
        view.insert_layer(view.begin_layers(), p)

def later(f):
    # outside the socket handler (exiting inside it corrupts KLayout's heap)
    t = pya.QTimer()
    t.setSingleShot(True)
    t.timeout = f
    timers.append(t)
    t.start(0)

def quit_now():
    for c in conns:
        try:
            c.abort()
        except Exception:
            pass
    server.close()
    app.exit(0)

def lyipc_line(mw, msg):
    # lyipc's line protocol (load <path> [mode], reload view, cellview <cell>, ping): ACK None or ERR <repr of traceback>
    tokens = msg.split(' ')
    try:
        if tokens == ['reload', 'view']:
            mw.cm_reload()
        elif tokens[0] == 'load':
            if tokens[1].startswith('"'):
                name, i, closed = tokens[1][1:], 2, False
                while i < len(tokens):
                    name += ' '
                    if tokens[i].endswith('"'):
                        name += tokens[i][:-1]
                        closed = True
                        break
                    name += tokens[i]
                    i += 1
                if not closed:
                    raise ValueError('Malformed filename with only one quote')
            else:
                name, i = tokens[1], 1
            name = os.path.realpath(name)
            mode = int(tokens[-1]) if i < len(tokens) - 1 else 0
            if not os.path.isfile(name):
                raise RuntimeError('Unable to open file: %s (errno=2) in MainWindow.load_layout' % name)
            mw.load_layout(name, mode)
            show_all(mw.current_view())
        elif tokens[0] == 'cellview':
            cell = tokens[1]
            mw.current_view().active_cellview().set_cell_name(cell)
            show_all(mw.current_view())
    except Exception:
        return 'ERR ' + repr(traceback.format_exc())
    return 'ACK None'

def handle(conn):
    while conn.canReadLine():
        raw = bytes(conn.readLine()).decode('utf-8', 'replace').rstrip('\n').rstrip('\r')
        mw = app.main_window()
        if raw.startswith('{'):
            try:
                req = json.loads(raw)
            except Exception:
                reply(conn, json.dumps({'ok': False, 'error': 'malformed JSON'})); continue
            if not isinstance(req, dict):
                reply(conn, json.dumps({'ok': False, 'error': 'a request is an object'})); continue
            rid = req.get('id')
            out = {'ok': True}
            cmd = req.get('cmd')
            try:
                if cmd == 'hello':
                    out.update({'server': 'laytest-klayout', 'protocol': 1, 'pid': os.getpid(), 'klayout': app.version()})
                elif cmd == 'load':
                    mw.load_layout(req['path'], int(req.get('mode', 0)))
                    show_all(mw.current_view())
                elif cmd == 'reload':
                    mw.cm_reload()
                elif cmd == 'diff':
                    files = [f for f in (req.get('reference'), req.get('test'), req.get('xor')) if f]
                    for f in files:
                        if not os.path.isfile(f):
                            raise RuntimeError('no such file: %s' % f)
                    for i, f in enumerate(files):
                        mw.load_layout(f, 1 if i == 0 else 2)
                    view = mw.current_view()
                    if req.get('xor'):
                        style_xor(view, view.cellviews() - 1)
                    show_all(view)
                    out['cellviews'] = view.cellviews()
                    out['hier'] = [view.min_hier_levels, view.max_hier_levels]
                elif cmd == 'screenshot':
                    view = mw.current_view()
                    view.save_image(req['path'], int(req.get('width', 800)), int(req.get('height', 600)))
                    names = []
                    it = view.begin_layers()
                    while not it.at_end():
                        names.append([it.current().name, it.current().source_cellview])
                        it.next()
                    out['layers'] = names
                elif cmd == 'shutdown':
                    if rid is not None:
                        out['id'] = rid
                    reply(conn, json.dumps(out))
                    later(quit_now)
                    return
                else:
                    out = {'ok': False, 'error': 'unknown command %s' % json.dumps(cmd)}
            except Exception as e:
                out = {'ok': False, 'error': str(e)}
            if rid is not None:
                out['id'] = rid
            reply(conn, json.dumps(out))
        else:
            reply(conn, lyipc_line(mw, raw), end='')
            conn.disconnectFromHost()
            return

def on_new():
    conn = server.nextPendingConnection()
    conns.append(conn)
    conn.readyRead = lambda: handle(conn)
    conn.disconnected = lambda: conns.remove(conn) if conn in conns else None

server.newConnection = on_new
ok = server.listen(pya.QHostAddress('127.0.0.1'), PORT)
print('laytest klayout server', 'listening' if ok else 'FAILED', PORT, flush=True)
`

/**
 * KLayout's configuration for a KLayout that laytest launches (klayout -c FILE -t): every hierarchy level of a new
 * cell drawn, no "file changed on disk, reload?" prompt, and no start-up tip (the viewer-mode tip is marked as
 * seen; the hierarchy tip does not appear once full hierarchy is on). -t: the file is not written back.
 */
export const KLAYOUT_CONFIG = `<?xml version="1.0" encoding="utf-8"?>
<config>
 <full-hierarchy-new-cell>true</full-hierarchy-new-cell>
 <layout-file-watcher-enabled>false</layout-file-watcher-enabled>
 <tip-window-hidden>editor-mode=0</tip-window-hidden>
</config>
`

const esc = (s: string): string => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;')

/** The macro as a KLayout .lym file that runs when KLayout starts (autorun). */
export function klayoutMacroLym(): string {
  return `<?xml version="1.0" encoding="utf-8"?>
<klayout-macro>
 <description>laytest viewer server (IPC for laytest diffs)</description>
 <version/>
 <category>pymacros</category>
 <prolog/>
 <epilog/>
 <doc/>
 <autorun>true</autorun>
 <autorun-early>false</autorun-early>
 <shortcut/>
 <show-in-menu>false</show-in-menu>
 <group-name/>
 <menu-path/>
 <interpreter>python</interpreter>
 <dsl-interpreter-name/>
 <text>${esc(KLAYOUT_MACRO_PY)}</text>
</klayout-macro>
`
}
