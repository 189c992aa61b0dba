import { execFileSync } from 'node:child_process'
import { existsSync, mkdirSync, mkdtempSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, test } from 'vitest'
import { ROOT } from './helpers/corpus.js'

/*
 * `laytest/viewer` as a user's project imports it: a folder outside this repository with laytest in its
 * node_modules (a link to this package, built: dist/), a script importing the subpath, connecting a viewer it
 * starts itself and watching a generator step by step.
 */

describe('import { connectViewer, show, trace, animate, sendToKlive } from \'laytest/viewer\'', () => {
  test('the subpath is exported with its types, and works from another project', () => {
    const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { exports: Record<string, { types: string; default: string }> }
    expect(pkg.exports['./viewer']).toEqual({ types: './dist/ipc/viewer.d.ts', default: './dist/ipc/viewer.js' })
    expect(existsSync(join(ROOT, 'dist/ipc/viewer.js')), 'dist/ is built (npm run build)').toBe(true)
    const dts = readFileSync(join(ROOT, 'dist/ipc/viewer.d.ts'), 'utf8')
    for (const name of ['connectViewer', 'show', 'trace', 'animate', 'sendToKlive']) expect(dts).toContain(name)

    const proj = mkdtempSync(join(tmpdir(), 'laytest-user-'))
    mkdirSync(join(proj, 'node_modules'))
    symlinkSync(ROOT, join(proj, 'node_modules', 'laytest'), 'dir')
    writeFileSync(join(proj, 'package.json'), JSON.stringify({ name: 'user-project', type: 'module' }))
    writeFileSync(join(proj, 'watch.mjs'), `
import { connectViewer, show, trace, animate, sendToKlive, startViewerServer } from 'laytest/viewer'
import { Layout } from 'laytest'
const { server, port } = await startViewerServer({ port: 0 })
const ly = new Layout({ name: 'GEN' })
const top = ly.newCell('TOP')
const step = await trace(ly, { port, launch: false })
for (let i = 0; i < 3; i++) { top.addBox(1, i * 20, 0, i * 20 + 10, 10); await step('ring ' + i) }
const v = await connectViewer({ port, launch: false })
const list = await v.request({ cmd: 'list' })
console.log(JSON.stringify({ kinds: [typeof show, typeof animate, typeof sendToKlive], items: list.items.map((i) => [i.title, i.version]) }))
await server.close()
`)
    const out = execFileSync(process.execPath, ['watch.mjs'], { cwd: proj, encoding: 'utf8', env: { ...process.env, LAYTEST_VIEWER_TOKEN_FILE: join(proj, 'token') } })
    expect(JSON.parse(out)).toEqual({ kinds: ['function', 'function', 'function'], items: [['ring 2', 3]] })
  })
})
