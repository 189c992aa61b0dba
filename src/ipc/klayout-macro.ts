/**
 * laytest's KLayout macro (Python for KLayout's pya, written for laytest): inside the KLayout GUI it serves the
 * viewer protocol on one port — lyipc lines (load <path> [mode] and the rest answered ACK None) and laytest JSON
 * lines (hello, load, diff: reference, test and XOR as layouts of one view, shutdown). docs/protocol.md.
 */
export const KLAYOUT_MACRO_PY = String.raw`# laytest viewer server for KLayout (written by laytest: laytest klayout install)
import pya, json, os
PORT = int(os.environ.get('LAYTEST_KLAYOUT_PORT', '11078'))
server = pya.QTcpServer()
conns = []
def reply(conn, text):
    conn.write((text + '\n').encode('utf-8'))
    conn.flush()
def handle(conn):
    while conn.canReadLine():
        raw = bytes(conn.readLine()).decode('utf-8', 'replace').rstrip('\r\n')
        mw = pya.Application.instance().main_window()
        if raw.startswith('{'):
            try:
                req = json.loads(raw)
            except Exception:
                reply(conn, json.dumps({'ok': False, 'error': 'malformed JSON'})); continue
            rid = req.get('id')
            out = {'ok': True}
            cmd = req.get('cmd')
            try:
                if cmd == 'hello':
                    out.update({'server': 'laytest-klayout', 'protocol': 1, 'pid': os.getpid(), 'klayout': pya.Application.instance().version()})
                elif cmd == 'load':
                    mw.load_layout(req['path'], int(req.get('mode', 0)))
                elif cmd == 'diff':
                    files = [req.get('reference'), req.get('test'), req.get('xor')]
                    first = True
                    for f in files:
                        if f:
                            mw.load_layout(f, 1 if first else 2)
                            first = False
                    out['cellviews'] = mw.current_view().cellviews()
                elif cmd == 'shutdown':
                    reply(conn, json.dumps(dict(out, id=rid)))
                    pya.Application.instance().exit(0)
                    return
                else:
                    out = {'ok': False, 'error': 'unknown command %s' % json.dumps(cmd)}
            except Exception as e:
                out = {'ok': False, 'error': str(e)}
            if rid is not None:
                out['id'] = rid
            reply(conn, json.dumps(out))
        else:
            parts = raw.split(' ')
            if parts and parts[0] == 'load' and len(parts) >= 2:
                mw.load_layout(parts[1].strip('"'), int(parts[2]) if len(parts) > 2 else 0)
            reply(conn, 'ACK None')
            conn.disconnectFromHost()
            return
def on_new():
    conn = server.nextPendingConnection()
    conns.append(conn)
    conn.readyRead = lambda: handle(conn)
server.newConnection = on_new
ok = server.listen(pya.QHostAddress('127.0.0.1'), PORT)
print('laytest klayout server', 'listening' if ok else 'FAILED', PORT, flush=True)
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
