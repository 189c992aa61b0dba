import { createServer, type AddressInfo } from 'node:net'
import { afterEach, describe, expect, test } from 'vitest'
import { connectViewer, mapPath, pathMapOf, viewerAddress } from '../src/ipc/index.js'

/* Remote viewers: host:port (LAYTEST_VIEWER, lyipc's LYIPCTARGET) and the path map for paths seen elsewhere. */

const saved = { ...process.env }
afterEach(() => {
  for (const k of ['LAYTEST_VIEWER', 'LYIPCTARGET', 'LAYTEST_VIEWER_PATHMAP']) {
    if (saved[k] === undefined) delete process.env[k]
    else process.env[k] = saved[k]
  }
})

describe('remote viewers', () => {
  test('address: options, then LAYTEST_VIEWER, then LYIPCTARGET ([user@]host), then loopback', () => {
    delete process.env.LAYTEST_VIEWER
    delete process.env.LYIPCTARGET
    expect(viewerAddress()).toEqual({ host: '127.0.0.1', port: 11078 })
    process.env.LYIPCTARGET = 'me@workstation'
    expect(viewerAddress()).toEqual({ host: 'workstation', port: 11078 })
    process.env.LAYTEST_VIEWER = '[::1]:12000'
    expect(viewerAddress()).toEqual({ host: '::1', port: 12000 })
    expect(viewerAddress({ host: 'h', port: 1 })).toEqual({ host: 'h', port: 1 })
  })

  test('path map: the longest local prefix, whole components only; Windows prefixes get backslashes', () => {
    const map: Array<[string, string]> = [['/home/me', '/mnt/me'], ['/home/me/proj/', '/srv/proj'], ['/work', 'C:\\work']]
    expect(mapPath('/home/me/proj/a/x.gds', map)).toBe('/srv/proj/a/x.gds')
    expect(mapPath('/home/me/y.gds', map)).toBe('/mnt/me/y.gds')
    expect(mapPath('/home/meagain/y.gds', map)).toBe('/home/meagain/y.gds')
    expect(mapPath('/work/run/x.gds', map)).toBe('C:\\work\\run\\x.gds')
    process.env.LAYTEST_VIEWER_PATHMAP = '/a=/b;/c/d=/e'
    expect(pathMapOf()).toEqual([['/a', '/b'], ['/c/d', '/e']])
    process.env.LAYTEST_VIEWER_PATHMAP = 'nonsense'
    expect(() => pathMapOf()).toThrow(/is not \/local\/prefix=\/remote\/prefix/)
  })

  test('the paths a client sends are mapped (an lyipc server elsewhere sees its own paths)', async () => {
    const got: string[] = []
    const fake = createServer((s) => {
      let buf = ''
      s.on('data', (d) => {
        buf += d.toString('latin1')
        if (buf.includes('\n')) { got.push(buf); s.end('ACK None') }
      })
    })
    await new Promise<void>((r) => fake.listen(0, '127.0.0.1', () => r()))
    const port = (fake.address() as AddressInfo).port
    try {
      const v = await connectViewer({ port, launch: false, pathMap: [['/home/me/proj', '/mnt/c/proj']] })
      await v.load('/home/me/proj/out/chip.gds', 1)
      await v.diff({ reference: '/home/me/proj/ref.gds', test: '/home/me/proj/out/chip.gds' })
      expect(got.slice(1)).toEqual(['load /mnt/c/proj/out/chip.gds 1\r\n', 'load /mnt/c/proj/ref.gds 1\r\n', 'load /mnt/c/proj/out/chip.gds 2\r\n'])
    } finally {
      fake.close()
    }
  })
})
