import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { execa } from 'execa'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { ROOT } from './helpers/corpus.js'

/*
 * The npm package as a user gets it (issue 16, point 8): `npm pack`, installed into an empty project with
 * vitest, and the README's commands run from there as written: `npx laytest example`, the first `diff`,
 * `info`, a vitest test with the README's config (reference written, then matched), the matcher's types, the
 * exports, and the README's links into the package. dist/ must be built (npm test builds it first).
 */

const VITEST_VERSION = (JSON.parse(readFileSync(join(ROOT, 'node_modules/vitest/package.json'), 'utf8')) as { version: string }).version
const TSC = join(ROOT, 'node_modules/typescript/bin/tsc')
let dir = ''
let installLog = ''

async function sh(cmd: string, args: string[], cwd = dir): Promise<{ code: number; out: string; stdout: string }> {
  const r = await execa(cmd, args, { cwd, reject: false, all: true, env: { CI: '', NO_COLOR: '1', npm_config_update_notifier: 'false' } })
  return { code: r.exitCode ?? -1, out: r.all ?? '', stdout: r.stdout ?? '' }
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'laytest-user-'))
  const packs = join(dir, '.packs')
  mkdirSync(packs)
  // dist/ is already built (npm test builds it); --ignore-scripts: no second build
  const pack = await sh('npm', ['pack', '--ignore-scripts', '--pack-destination', packs], ROOT)
  expect(pack.code, pack.out).toBe(0)
  const tgz = readdirSync(packs).find((n) => n.endsWith('.tgz'))!
  writeFileSync(join(dir, 'package.json'), '{ "name": "user-project", "private": true, "type": "module" }\n')
  const install = await sh('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund', join(packs, tgz), `vitest@${VITEST_VERSION}`])
  installLog = install.out
  expect(install.code, install.out).toBe(0)
}, 300_000)

afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true })
})

describe('the packed package, installed in an empty project', () => {
  test('installs without install scripts', () => {
    expect(installLog).not.toMatch(/install-scripts|prepare/)
    expect(JSON.parse(readFileSync(join(dir, 'node_modules/laytest/package.json'), 'utf8')).scripts?.prepare).toBeUndefined()
  })

  test('the README\'s first commands: laytest example, then diff (DIFFERENT, exit 1), info', async () => {
    const ex = await sh('npx', ['laytest', 'example'])
    expect(ex.code, ex.out).toBe(0)
    expect(ex.stdout).toContain('next: npx laytest diff examples/ring.gds examples/ring-v2.gds')
    // the README shows this output: the same table
    const diff = await sh('npx', ['laytest', 'diff', 'examples/ring.gds', 'examples/ring-v2.gds'])
    expect(diff.code).toBe(1)
    const readme = readFileSync(join(ROOT, 'README.md'), 'utf8')
    // every line as the README shows it (all but the time)
    for (const line of diff.stdout.split('\n').filter((l) => l && !/^DIFFERENT \(/.test(l))) expect(readme, line).toContain(line)
    expect(diff.stdout).toMatch(/DIFFERENT \(\d+ ms\)/)
    const info = await sh('npx', ['laytest', 'info', 'examples/ring.gds'])
    expect(info.code, info.out).toBe(0)
    expect(info.stdout).toContain('top: TOP')
    // a second `example` does not touch them; a different file of the user's is never overwritten
    expect((await sh('npx', ['laytest', 'example'])).stdout).toContain('already there')
    mkdirSync(join(dir, 'mine'))
    writeFileSync(join(dir, 'mine/ring.gds'), 'my own file')
    const refuse = await sh('npx', ['laytest', 'example', 'mine'])
    expect(refuse.code).toBe(2)
    expect(readFileSync(join(dir, 'mine/ring.gds'), 'utf8')).toBe('my own file')
  })

  test('a vitest test as the README configures it: the reference is written, then matched; configureLaytest from laytest', async () => {
    writeFileSync(join(dir, 'vitest.config.ts'), `import { defineConfig } from 'vitest/config'
export default defineConfig({
  test: { setupFiles: ['laytest/vitest'], reporters: ['default', 'laytest/reporter'] },
})
`)
    mkdirSync(join(dir, 'test'), { recursive: true })
    writeFileSync(join(dir, 'test/ring.test.ts'), `import { expect, test } from 'vitest'
import { Layout, configureLaytest } from 'laytest'
configureLaytest({ tolerance: 0 })
function ringChip(x: number): Layout {
  const ly = new Layout({ dbu: 0.001 })
  ly.newCell('TOP').addBox(1, x, 0, x + 1000, 500)
  return ly
}
test('ring resonator', async () => {
  await expect(ringChip(0)).toMatchReference()
  await expect('examples/ring.gds').toMatchReference('ring')
})
`)
    const first = await sh(process.execPath, ['node_modules/vitest/vitest.mjs', 'run'])
    expect(first.code, first.out).toBe(0)
    // the shipped source maps carry their sources (vitest warns about maps pointing to files not in the package)
    expect(first.out).not.toMatch(/points to missing source files/)
    expect(existsSync(join(dir, 'reference/test/ring.test.ts/ring-resonator.gds'))).toBe(true)
    expect(existsSync(join(dir, 'reference/test/ring.test.ts/ring.gds'))).toBe(true)
    const second = await sh(process.execPath, ['node_modules/vitest/vitest.mjs', 'run'])
    expect(second.code, second.out).toBe(0)
    expect(existsSync(join(dir, 'laytest-results/index.html'))).toBe(true)
    // a change fails with the XOR table
    writeFileSync(join(dir, 'test/ring.test.ts'), readFileSync(join(dir, 'test/ring.test.ts'), 'utf8').replace('ringChip(0)', 'ringChip(1)'))
    const third = await sh(process.execPath, ['node_modules/vitest/vitest.mjs', 'run'])
    expect(third.code).toBe(1)
    expect(third.out).toMatch(/laytest: layout differs from reference reference\/test\/ring\.test\.ts\/ring-resonator\.gds/)
  }, 120_000)

  test('factories under vitest with the session set up as docs/session.md says: the second run restores every cell; an edit rebuilds', async () => {
    // (the installed package has no src/: its dist/ frames, source-mapped by vitest, once pointed at files that
    // do not exist there, and no factory was ever restored)
    const p = join(dir, 'factories')
    mkdirSync(join(p, 'test'), { recursive: true })
    symlinkSync(join(dir, 'node_modules'), join(p, 'node_modules'), 'dir')
    writeFileSync(join(p, 'package.json'), '{ "type": "module" }\n')
    writeFileSync(join(p, 'vitest.config.ts'), `import { defineConfig } from 'vitest/config'
export default defineConfig({ test: { setupFiles: ['laytest/vitest', './test/session.setup.ts'], reporters: ['default', 'laytest/reporter'] } })
`)
    writeFileSync(join(p, 'test/session.setup.ts'), `import { afterAll } from 'vitest'
import { loadSession, saveSession } from 'laytest'
loadSession()
afterAll(() => { saveSession() })
`)
    writeFileSync(join(p, 'test/consts.ts'), 'export const WIDTH = 500\n')
    writeFileSync(join(p, 'test/pdk.ts'), `import { Layout } from 'laytest'
import { WIDTH } from './consts.js'
export function chip(): Layout {
  const ly = new Layout({ name: 'PDK' })
  const straight = ly.factory('straight', (c, { length }) => void c.addBox(1, 0, -WIDTH / 2, length, WIDTH / 2), { length: 10000 })
  const pair = ly.factory('pair', (c, { gap }) => {
    c.place(straight({ length: 20000 }))
    c.place(straight({ length: 20000 }), { y: gap })
  }, { gap: 2000 })
  ly.newCell('TOP').place(pair({ gap: 3000 }))
  return ly
}
`)
    writeFileSync(join(p, 'test/chip.test.ts'), `import { expect, test } from 'vitest'
import { chip } from './pdk.js'
test('chip', async () => { await expect(chip()).toMatchReference() })
`)
    const stats = async (): Promise<{ restored: number; built: number }> =>
      (JSON.parse((await sh('npx', ['laytest', 'session', 'stats', '--json'], p)).stdout) as { lastRun: { restored: number; built: number } }).lastRun
    const vitestRun = (): ReturnType<typeof sh> => sh(process.execPath, ['node_modules/vitest/vitest.mjs', 'run'], p)
    const first = await vitestRun()
    expect(first.code, first.out).toBe(0)
    expect(await stats()).toMatchObject({ restored: 0, built: 2 })
    const second = await vitestRun()
    expect(second.code, second.out).toBe(0)
    expect(await stats()).toMatchObject({ restored: 2, built: 0 })
    writeFileSync(join(p, 'test/consts.ts'), 'export const WIDTH = 400\n')
    const third = await vitestRun()
    expect(third.code).toBe(1)
    expect(third.out).toMatch(/laytest: layout differs from reference/)
    expect(await stats()).toMatchObject({ restored: 0, built: 2 })

    // a plain script run with node --enable-source-maps (Node maps the package's dist/ frames to its src/*.ts,
    // which the package does not have): restored on the second run all the same
    writeFileSync(join(p, 'script.mjs'), `import { Layout, loadSession, saveSession, sessionReport } from 'laytest'
loadSession({ dir: 'script-session' })
const ly = new Layout({ name: 'S' })
const box = ly.factory('box', (c, { w }) => void c.addBox(1, 0, 0, w, w), { w: 1000 })
box({ w: 2000 })
saveSession()
const r = sessionReport()
console.log(JSON.stringify({ restored: r.restored, built: r.built, module: box.module }))
`)
    const script = async (): Promise<{ restored: number; built: number; module: string }> =>
      JSON.parse((await sh(process.execPath, ['--enable-source-maps', 'script.mjs'], p)).stdout) as never
    expect(await script()).toEqual({ restored: 0, built: 1, module: join(p, 'script.mjs') })
    expect(await script()).toEqual({ restored: 1, built: 0, module: join(p, 'script.mjs') })
  }, 120_000)

  test('the matcher\'s types load with the README\'s declaration file; the entry points resolve', async () => {
    writeFileSync(join(dir, 'laytest.d.ts'), '/// <reference types="laytest/vitest" />\n')
    writeFileSync(join(dir, 'tsconfig.json'), JSON.stringify({
      compilerOptions: { target: 'ES2022', module: 'NodeNext', moduleResolution: 'NodeNext', strict: true, noEmit: true, skipLibCheck: true },
      include: ['test/**/*.ts', 'laytest.d.ts'],
    }))
    const ok = await sh(process.execPath, [TSC, '-p', 'tsconfig.json'])
    expect(ok.code, ok.out).toBe(0)
    // without it, TypeScript does not know the matcher (the declaration is what makes the difference)
    rmSync(join(dir, 'laytest.d.ts'))
    const without = await sh(process.execPath, [TSC, '-p', 'tsconfig.json'])
    expect(without.code).not.toBe(0)
    expect(without.out).toMatch(/toMatchReference/)
    const entries = await sh(process.execPath, ['--input-type=module', '-e', `
const main = await import('laytest')
const vt = await import('laytest/reporter')
console.log(typeof main.readLayout, typeof main.configureLaytest, typeof main.readOasis, typeof vt.default)`])
    expect(entries.stdout.trim()).toBe('function function function function')
  })

  test('the matcher\'s declaration merges with vitest 4\'s Matchers<T> and vitest 5\'s Matchers<R, T> (no skipLibCheck)', async () => {
    // vitest 5 needs Node 22, so its declarations are stood in for by a stub module with its exact Matchers and
    // Assertion signatures (vitest 5.1.2, dist/chunks/config.d.*.d.ts); vitest 4's are the installed ones
    const shapes: Record<string, string> = {
      v5: `export interface Matchers<R extends void | Promise<void> = void | Promise<void>, T = unknown> {}
export interface Assertion<R extends void | Promise<void> = void | Promise<void>, T = unknown> extends Matchers<R, T> { toBe(v: T): R }
export declare function expect<T>(actual: T): Assertion<void | Promise<void>, T>
export declare function test(name: string, fn: () => Promise<void>): void
export declare function beforeEach(fn: () => void): void`,
    }
    for (const [name, stub] of [['v4', null], ...Object.entries(shapes)] as Array<[string, string | null]>) {
      const p = join(dir, `types-${name}`)
      mkdirSync(join(p, 'node_modules'), { recursive: true })
      symlinkSync(join(dir, 'node_modules/laytest'), join(p, 'node_modules/laytest'), 'dir')
      // (checking every .d.ts takes Node's types, which @napi-rs/canvas's declarations use, as a user project has them)
      symlinkSync(join(ROOT, 'node_modules/@types'), join(p, 'node_modules/@types'), 'dir')
      if (stub === null) symlinkSync(join(dir, 'node_modules/vitest'), join(p, 'node_modules/vitest'), 'dir')
      else {
        mkdirSync(join(p, 'node_modules/vitest'))
        writeFileSync(join(p, 'node_modules/vitest/package.json'), '{"name":"vitest","version":"5.1.2","types":"index.d.ts"}')
        writeFileSync(join(p, 'node_modules/vitest/index.d.ts'), stub)
      }
      writeFileSync(join(p, 'laytest.d.ts'), '/// <reference types="laytest/vitest" />\n')
      writeFileSync(join(p, 'a.test.ts'), `import { expect, test } from 'vitest'
test('t', async () => {
  const r: Promise<void> = expect('ring.gds').toMatchReference('ring', { tolerance: 0.001 })
  await r
  // @ts-expect-error a name is a string or options
  await expect('ring.gds').toMatchReference(42)
})
`)
      writeFileSync(join(p, 'tsconfig.json'), JSON.stringify({
        compilerOptions: { target: 'ES2022', lib: ['ESNext'], module: 'NodeNext', moduleResolution: 'NodeNext', strict: true, noEmit: true, skipLibCheck: false, types: ['node'], preserveSymlinks: true },
        include: ['a.test.ts', 'laytest.d.ts'],
      }))
      const r = await sh(process.execPath, [TSC, '-p', join(p, 'tsconfig.json')])
      expect(r.code, `${name}: ${r.out}`).toBe(0)
    }
  }, 120_000)

  test('every link of the README points into the package', () => {
    const pkg = join(dir, 'node_modules/laytest')
    const readme = readFileSync(join(pkg, 'README.md'), 'utf8')
    const links = [...readme.matchAll(/\]\(([^)#\s]+)(?:#[^)]*)?\)/g)].map((m) => m[1]!).filter((l) => !/^[a-z]+:/.test(l))
    expect(links.length).toBeGreaterThan(5)
    for (const l of links) expect(existsSync(resolve(pkg, l)), l).toBe(true)
  })
})
