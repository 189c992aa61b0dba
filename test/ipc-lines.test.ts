import { mkdtempSync } from 'node:fs'
import { connect } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, test } from 'vitest'
import { readToken, startViewerServer, type ViewerServer } from '../src/ipc/index.js'

/*
 * Request lines are read in linear time: only new bytes are searched for the line end, and the line is assembled
 * once. Asserted on the work counted by the server (every byte searched once, copied at most once) and, loosely,
 * on time: a 40 MB line within about 4x the time of a 10 MB one (the old reader took 14x).
 */

process.env.LAYTEST_VIEWER_TOKEN_FILE ??= join(mkdtempSync(join(tmpdir(), 'laytest-tok-')), 'viewer-token')

let server: ViewerServer | undefined
let port = 0
afterAll(async () => { await server?.close() })

/** Sends one long JSON line (token first) in 64 KiB writes; resolves with the reply and the time to get it. */
function sendLong(port: number, token: string, padBytes: number): Promise<{ reply: Record<string, unknown>; ms: number; bytes: number }> {
  const head = `{"token":"${token}","id":1,"cmd":"hello","pad":"`
  const tail = '"}\n'
  const body = Buffer.alloc(padBytes, 0x61)
  return new Promise((resolve, reject) => {
    const s = connect({ host: '127.0.0.1', port })
    let buf = ''
    let t0 = 0
    s.on('connect', () => {
      t0 = performance.now()
      s.write(head)
      for (let o = 0; o < body.length; o += 1 << 16) s.write(body.subarray(o, o + (1 << 16)))
      s.write(tail)
    })
    s.on('data', (d) => {
      buf += d
      if (buf.includes('\n')) {
        s.destroy()
        resolve({ reply: JSON.parse(buf) as Record<string, unknown>, ms: performance.now() - t0, bytes: head.length + padBytes + tail.length })
      }
    })
    s.on('error', reject)
  })
}

describe('request lines in linear time', () => {
  test('10 MB and 40 MB lines: each byte searched once, the line copied once, time about linear', async () => {
    const r = await startViewerServer({ port: 0 })
    server = r.server
    port = r.port
    const token = readToken()!
    await sendLong(r.port, token, 1 << 20) // warm-up
    const measure = async (mb: number): Promise<{ ms: number; scanned: number; copied: number; bytes: number }> => {
      const before = { ...r.server.stats }
      const x = await sendLong(r.port, token, mb * 1_000_000)
      expect(x.reply).toMatchObject({ id: 1, ok: true, authenticated: true })
      return { ms: x.ms, scanned: r.server.stats.scanned - before.scanned, copied: r.server.stats.copied - before.copied, bytes: x.bytes }
    }
    const small = await measure(10)
    const big = await measure(40)
    // counted work: exactly the bytes received, searched once; the line (without its "\n") assembled once
    expect(small.scanned).toBe(small.bytes)
    expect(big.scanned).toBe(big.bytes)
    expect(small.copied).toBe(small.bytes - 1)
    expect(big.copied).toBe(big.bytes - 1)
    // time: 4x the bytes, well under the quadratic 16x (generous bound for a shared 2-core machine)
    expect(big.ms / small.ms).toBeLessThan(8)
  }, 60_000)

  test('a plain (lyipc) line is cut at 1 MiB whatever its length, with lyipc\'s ERR form', async () => {
    if (!server) ({ server, port } = await startViewerServer({ port: 0 }))
    const reply = await new Promise<string>((resolve, reject) => {
      const s = connect({ host: '127.0.0.1', port })
      let out = ''
      s.on('connect', () => s.write(Buffer.alloc(3 << 20, 0x61)))
      s.on('data', (d) => (out += d))
      s.on('close', () => resolve(out))
      s.on('error', (e) => (out ? resolve(out) : reject(e)))
    })
    expect(reply).toBe('ERR line longer than 1048576 bytes')
  })
})
