import { constants as zc, InflateRaw, inflateRawSync } from 'node:zlib'
import { MessageChannel, receiveMessageOnPort, Worker, type MessagePort } from 'node:worker_threads'

/*
 * Inflating CBLOCKs in a second thread while this one parses: a big OASIS file written by KLayout (or by
 * laytest) is mostly CBLOCKs, and inflating them takes a quarter of the read. A worker scans the file from the
 * first CBLOCK on, on its own: at the top level every record but the elements can be skipped without state (name
 * records, properties, CELL, CBLOCK headers), so it finds each CBLOCK, inflates it and hands the bytes over (no
 * copy: the ArrayBuffer is transferred). It stops at anything it cannot skip (a cell body outside CBLOCKs, an
 * unknown record, a corrupt header), and the parser inflates the rest itself.
 *
 * Who inflates block k: whoever moves the shared counter NEXT from k to k + 1 first (compare-and-exchange). The
 * parser takes a block itself when the worker has not reached it (at the start, while the worker starts, or
 * when the worker stopped); otherwise it waits for the worker's message. Every message carries the block's file
 * offset, checked against the parser's own: a worker that got lost is not believed. A block that does not
 * inflate is left to the parser (so that the error message is the parser's). At most MAX_AHEAD_KB of
 * inflated data wait to be used.
 */

const NEXT = 0
const POSTED = 1
const CONSUMED_KB = 2
const STOPPED = 3
const CANCEL = 4
const MAX_AHEAD_KB = 64 * 1024

/** The worker (CommonJS, evaluated from this string: it runs from the TypeScript sources and from dist alike). */
const WORKER_SOURCE = `
const { workerData, parentPort } = require('node:worker_threads')
const { openSync, readSync, closeSync } = require('node:fs')
const { inflateRawSync } = require('node:zlib')
const { path, start, sab, port, maxAheadKB, maxInflated } = workerData
const ctrl = new Int32Array(sab)
const WIN = 1 << 20
let buf = Buffer.allocUnsafe(WIN), pos = 0, end = 0, base = start, fd = -1
function more() {
  if (pos < end) { buf.copy(buf, 0, pos, end) }
  end -= pos; base += pos; pos = 0
  const r = readSync(fd, buf, end, buf.length - end, base + end)
  end += r
  return r > 0
}
function byte() { if (pos >= end && !more()) throw new Error('eof'); return buf[pos++] }
function u() {
  let v = 0, mul = 1
  for (;;) {
    const c = byte(), d = c & 0x7f
    if (d) { if (mul > 2 ** 49) throw new Error('big'); v += d * mul }
    if (c < 0x80) return v
    if (mul <= 2 ** 49) mul *= 128
  }
}
function skip(n) { while (n > 0) { if (pos >= end && !more()) throw new Error('eof'); const k = Math.min(n, end - pos); pos += k; n -= k } }
function str() { skip(u()) }
function take(n) {
  const out = Buffer.allocUnsafe(n)
  let o = 0
  while (o < n) { if (pos >= end && !more()) throw new Error('eof'); const k = Math.min(n - o, end - pos); buf.copy(out, o, pos, pos + k); pos += k; o += k }
  return out
}
function real(t) { if (t <= 3) u(); else if (t <= 5) { u(); u() } else if (t === 6) skip(4); else if (t === 7) skip(8); else throw new Error('real') }
function property() {
  const info = byte()
  if (info & 4) { if (info & 2) u(); else str() }
  if (!(info & 8)) {
    let n = info >> 4
    if (n === 15) n = u()
    for (let i = 0; i < n; i++) {
      const t = u()
      if (t <= 7) real(t); else if (t <= 9) u(); else if (t <= 12) str(); else if (t <= 15) u(); else throw new Error('value')
    }
  }
}
function interval() { const t = u(); if (t > 4) throw new Error('interval'); if (t >= 1) u(); if (t === 4) u() }
let k = 0, kbPosted = 0
try {
  fd = openSync(path, 'r')
  scan: while (Atomics.load(ctrl, ${CANCEL}) === 0) {
    const at = base + pos
    if (pos >= end && !more()) break
    const r = byte()
    switch (r) {
      case 0: case 15: case 16: case 29: break
      case 3: case 5: case 7: case 9: str(); break
      case 4: case 6: case 8: case 10: str(); u(); break
      case 11: case 12: str(); interval(); interval(); break
      case 13: u(); break
      case 14: str(); break
      case 28: property(); break
      case 30: u(); str(); break
      case 31: u(); str(); u(); break
      case 34: {
        if (u() !== 0) break scan
        const uncomp = u(), comp = u()
        const me = k++
        if (Atomics.compareExchange(ctrl, ${NEXT}, me, me + 1) !== me) { skip(comp); break }
        let msg
        try {
          if (uncomp > maxInflated || uncomp > comp * 1032 + 64) throw new Error('size')
          const out = inflateRawSync(take(comp), { maxOutputLength: Math.max(1, uncomp), chunkSize: Math.max(64, Math.min(uncomp + 1, 1 << 30)) })
          if (out.length !== uncomp) throw new Error('size')
          const ab = out.byteOffset === 0 && out.buffer.byteLength === out.length ? out.buffer : out.buffer.slice(out.byteOffset, out.byteOffset + out.length)
          msg = [{ k: me, at, buf: ab }, [ab]]
        } catch (e) {
          msg = [{ k: me, at, buf: null }, []]
        }
        while (Atomics.load(ctrl, ${CANCEL}) === 0 && Atomics.load(ctrl, ${POSTED}) > 0 && kbPosted - Atomics.load(ctrl, ${CONSUMED_KB}) > maxAheadKB) {
          Atomics.wait(ctrl, ${CONSUMED_KB}, Atomics.load(ctrl, ${CONSUMED_KB}), 100)
        }
        port.postMessage(msg[0], msg[1])
        kbPosted += Math.ceil(uncomp / 1024)
        Atomics.add(ctrl, ${POSTED}, 1)
        Atomics.notify(ctrl, ${POSTED})
        if (msg[0].buf === null) break scan
        break
      }
      default: break scan
    }
  }
} catch (e) {
  // a record this scanner cannot skip, or the end of the file: the parser goes on alone
} finally {
  if (fd >= 0) closeSync(fd)
  Atomics.store(ctrl, ${STOPPED}, 1)
  Atomics.notify(ctrl, ${POSTED})
}
`

interface Block {
  k: number
  at: number
  buf: ArrayBuffer | null
}

/** A worker inflating the CBLOCKs of a file ahead of the parser. */
export class InflateAhead {
  private readonly ctrl: Int32Array
  private readonly worker: Worker
  private readonly port: MessagePort
  private readonly ready = new Map<number, Block>()
  private closed = false

  private constructor(path: string, start: number, maxInflated: number) {
    this.ctrl = new Int32Array(new SharedArrayBuffer(8 * 4))
    const { port1, port2 } = new MessageChannel()
    this.port = port1
    this.worker = new Worker(WORKER_SOURCE, {
      eval: true,
      workerData: { path, start, sab: this.ctrl.buffer, port: port2, maxAheadKB: MAX_AHEAD_KB, maxInflated },
      transferList: [port2],
    })
    this.worker.unref()
    // a worker that cannot start (or dies) only means the parser inflates everything itself
    this.worker.on('error', () => Atomics.store(this.ctrl, STOPPED, 1))
    this.worker.on('exit', () => Atomics.store(this.ctrl, STOPPED, 1))
  }

  /** A worker for the file from the CBLOCK record at `start` on; null where there are no threads. */
  static start(path: string, start: number, maxInflated: number): InflateAhead | null {
    try {
      return new InflateAhead(path, start, maxInflated)
    } catch {
      return null
    }
  }

  /**
   * The inflated bytes of block `k` (the k-th CBLOCK from the first), which starts at file offset `at`, when the
   * worker has them or is on them; null when the parser is to inflate it itself.
   */
  take(k: number, at: number): Uint8Array | null {
    if (this.closed) return null
    const ctrl = this.ctrl
    // the parser's claim: it inflates the block itself when the worker has not reached it
    if (Atomics.compareExchange(ctrl, NEXT, k, k + 1) === k) return null
    for (;;) {
      for (let m = receiveMessageOnPort(this.port); m; m = receiveMessageOnPort(this.port)) {
        const b = m.message as Block
        this.ready.set(b.k, b)
      }
      const b = this.ready.get(k)
      if (b) {
        this.ready.delete(k)
        if (b.buf === null || b.at !== at) {
          // the worker could not inflate it (the parser reports the error), or scanned a different file structure
          if (b.at !== at) this.close()
          return null
        }
        Atomics.add(ctrl, CONSUMED_KB, Math.ceil(b.buf.byteLength / 1024))
        Atomics.notify(ctrl, CONSUMED_KB)
        return new Uint8Array(b.buf)
      }
      const posted = Atomics.load(ctrl, POSTED)
      if (Atomics.load(ctrl, STOPPED) === 1 && this.ready.size === 0) {
        // a last look: messages posted before the worker stopped
        const m = receiveMessageOnPort(this.port)
        if (!m) return null
        const mb = m.message as Block
        this.ready.set(mb.k, mb)
        continue
      }
      Atomics.wait(ctrl, POSTED, posted, 200)
    }
  }

  close(): void {
    if (this.closed) return
    this.closed = true
    Atomics.store(this.ctrl, CANCEL, 1)
    Atomics.notify(this.ctrl, CONSUMED_KB)
    this.port.close()
    void this.worker.terminate()
  }
}

/** Inflates one CBLOCK's data in this thread: one output chunk of the announced size (no concatenation). */
export function inflateBlock(data: Uint8Array, uncomp: number): Uint8Array {
  const b = inflateRawSync(data, { maxOutputLength: Math.max(1, uncomp), chunkSize: Math.max(64, Math.min(uncomp + 1, 1 << 30)) })
  return new Uint8Array(b.buffer, b.byteOffset, b.length)
}

/** The parts of node:zlib's native handle that BlockInflater uses (not public API: checked before use). */
interface ZlibHandle {
  writeSync(flush: number, input: Uint8Array, inOff: number, inLen: number, out: Uint8Array, outOff: number, outLen: number): void
  reset(): void
  close(): void
  onerror: (message: string) => void
}

/**
 * Inflates the CBLOCKs of one file in this thread, one after the other, with one zlib stream (reset between
 * blocks) into one output buffer that each block reuses: the data of a block is valid until the next call.
 *
 * `inflateRawSync` per block builds a whole stream object (Transform, Duplex, their states: JavaScript that runs
 * cold in a fresh process) and a fresh output buffer each time: for KLayout's files (a CBLOCK per cell, 472 in the
 * hierarchical benchmark file; 26 of 1 MB in the flat one) that took 1.5-2x as long as inflating the same blocks
 * with one stream into one buffer (CPU time, best of 8: 24-69 against 21-33 ms for the hierarchical file's
 * blocks, 70-138 against 70-76 ms for the flat one's), the difference being set-up and fresh memory, not
 * inflating. This drives node:zlib's native handle
 * directly (`_handle.writeSync`, as zlib's own synchronous path does); where that is not there (another Node),
 * or for anything but a block that inflates cleanly to exactly its announced size, it falls back to
 * inflateBlock, which then reports what is wrong as before.
 */
export class BlockInflater {
  /** One inflater kept between reads (a test run reads many files in one process): see acquire / release. */
  private static spare: BlockInflater | null = null

  /** The kept inflater, or a new one. */
  static acquire(): BlockInflater {
    const b = BlockInflater.spare ?? new BlockInflater()
    BlockInflater.spare = null
    return b
  }

  private handle: ZlibHandle | null = null
  private state: Uint32Array | null = null
  private failed: string | null = null
  private out = new Uint8Array(0)
  private unusable = false

  inflate(data: Uint8Array, uncomp: number): Uint8Array {
    const h = this.handle ?? this.open()
    if (!h) return inflateBlock(data, uncomp)
    if (this.out.length < uncomp + 1) this.out = new Uint8Array(Math.max(uncomp + 1, Math.min(2 * this.out.length, 1 << 26), 1 << 16))
    const out = this.out, st = this.state!
    this.failed = null
    try {
      h.writeSync(zc.Z_FINISH, data, 0, data.length, out, 0, uncomp + 1)
    } catch {
      this.failed = 'threw'
    }
    const written = uncomp + 1 - st[0]!
    if (this.failed === null && st[1] === 0 && written === uncomp) {
      h.reset()
      return out.subarray(0, uncomp)
    }
    // anything else: a new stream next time, and this block as before (with its error, if it has one)
    this.close()
    return inflateBlock(data, uncomp)
  }

  private open(): ZlibHandle | null {
    if (this.unusable) return null
    try {
      const z = new InflateRaw() as unknown as { _handle?: ZlibHandle; _writeState?: Uint32Array }
      const h = z._handle, st = z._writeState
      if (!h || typeof h.writeSync !== 'function' || typeof h.reset !== 'function' || !(st instanceof Uint32Array) || st.length < 2) {
        this.unusable = true
        return null
      }
      // errors come back here (zlib's own handler would destroy the stream object and throw on a later tick)
      h.onerror = (message: string) => {
        this.failed = message ?? 'error'
      }
      this.handle = h
      this.state = st
      return h
    } catch {
      this.unusable = true
      return null
    }
  }

  /** Done with this read: kept for the next one (with an output buffer of at most 4 MiB), else closed. */
  release(): void {
    if (BlockInflater.spare === null && this.out.length <= 4 << 20) BlockInflater.spare = this
    else this.close()
  }

  /** Frees the zlib stream (the output buffer goes with this object). */
  close(): void {
    const h = this.handle
    this.handle = null
    this.state = null
    if (h) {
      try {
        h.close()
      } catch {
        // already closed
      }
    }
  }
}
