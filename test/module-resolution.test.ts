import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { execa } from 'execa'
import { afterAll, describe, expect, test } from 'vitest'
import { Layout, loadSession, saveSession, sessionReport } from '../src/index.js'
import { codeFingerprint, explainChange, factoryKey, importSpecifiers, keyOfVersion, moduleGraph } from '../src/cache/factory-keys.js'
import { ROOT } from './helpers/corpus.js'

/*
 * What a factory's key covers (src/cache/module-resolution.ts): every way a module can import the user's own code
 * leads to files hashed by content — tsconfig paths, package.json imports, a package importing itself, a workspace
 * (symlinked) package — so an edit there changes the key; installed packages count by version; an import laytest
 * cannot follow leaves the factory without a key (never restored) instead of restoring it stale.
 */

const dirs: string[] = []
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true })
})

function tree(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'laytest-resolve-'))
  dirs.push(dir)
  for (const [name, text] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, name)), { recursive: true })
    writeFileSync(join(dir, name), text)
  }
  return dir
}

/** The key of a factory defined in `module` (the option, as a user would pass it). */
function keyOf(module: string): ReturnType<typeof factoryKey> {
  return factoryKey(new Layout().factory('f', () => {}, {}, { module }))
}

describe('import specifiers of a source', () => {
  test('imports, re-exports, side-effect imports, import(), require(); not in comments, strings or template literals', () => {
    const src = [
      "import a from './a.js'", 'import { b } from "pkg/b"', "export * from './c.mjs'", "import './side.css'",
      "const d = await import('./d.js')", "const e = require('e')",
      "const gen = `import x from '${DIST}'\nimport y from './not-me.js'`", `const s = "import z from './not-me-either.js'"`,
      "// import w from './commented.js'", "/* import v from './block.js' */", "const t = 'it\\'s'; import f from './f.js'",
      "import type { T } from '#types'",
    ].join('\n')
    expect(importSpecifiers(src).sort()).toEqual(['#types', './a.js', './c.mjs', './d.js', './f.js', './side.css', 'e', 'pkg/b'])
  })
})

describe('what a factory key covers', () => {
  test('tsconfig paths and baseUrl (comments, trailing commas, extends): the aliased files by content', () => {
    const dir = tree({
      'tsconfig.base.json': '{ "compilerOptions": { "baseUrl": ".", "paths": { "@/*": ["src/*"], "~consts": ["src/consts.ts"], "*": ["types/*"] } } }',
      'node_modules/real-pkg/package.json': JSON.stringify({ name: 'real-pkg', version: '1.2.3' }),
      'tsconfig.json': '// the project\n{ "extends": "./tsconfig.base.json", "compilerOptions": { "strict": true, }, }',
      'src/pdk.ts': "import { W } from '@/consts'\nimport { H } from '~consts'\nimport { util } from 'lib/util'\nimport r from 'real-pkg'\nexport const x = W + H + util",
      'src/consts.ts': 'export const W = 1\nexport const H = 2\n',
      'lib/util.ts': 'export const util = 3\n',
    })
    const g = moduleGraph(join(dir, 'src/pdk.ts'))
    expect(Object.keys(g.files)).toEqual(['../lib/util.ts', 'consts.ts', 'pdk.ts'])
    // the catch-all pattern finds no types/real-pkg: the package, as TypeScript falls back to it
    expect(g.packages).toEqual({ 'real-pkg': '1.2.3' })
    expect(g.unresolvable).toEqual([])
    const before = keyOf(join(dir, 'src/pdk.ts')).key
    writeFileSync(join(dir, 'src/consts.ts'), 'export const W = 5\nexport const H = 2\n')
    expect(keyOf(join(dir, 'src/pdk.ts')).key).not.toBe(before)
    const mid = keyOf(join(dir, 'src/pdk.ts')).key
    writeFileSync(join(dir, 'lib/util.ts'), 'export const util = 4\n')
    expect(keyOf(join(dir, 'src/pdk.ts')).key).not.toBe(mid)
  })

  test('package.json imports (#x, patterns, conditions) and a package importing itself by name: files by content', () => {
    const dir = tree({
      'package.json': JSON.stringify({
        name: 'my-pdk', version: '1.0.0', type: 'module',
        imports: { '#consts': './src/consts.js', '#parts/*': { node: './src/parts/*.js', default: './src/parts/*.js' } },
        exports: { '.': './src/index.js', './layers': { import: './src/layers.js' } },
      }),
      'src/pdk.js': "import { W } from '#consts'\nimport { bend } from '#parts/bend'\nimport { L } from 'my-pdk/layers'\nimport { all } from 'my-pdk'\n",
      'src/consts.js': 'export const W = 1\n',
      'src/parts/bend.js': 'export const bend = 1\n',
      'src/layers.js': 'export const L = 1\n',
      'src/index.js': 'export const all = 1\n',
    })
    const g = moduleGraph(join(dir, 'src/pdk.js'))
    expect(Object.keys(g.files)).toEqual(['consts.js', 'index.js', 'layers.js', 'parts/bend.js', 'pdk.js'])
    expect(g.packages).toEqual({})
    expect(g.unresolvable).toEqual([])
  })

  test('a workspace package linked into node_modules is the user\'s code (files); an installed one counts by version; @types for type-only imports', () => {
    const dir = tree({
      'packages/shapes/package.json': JSON.stringify({ name: '@me/shapes', version: '0.0.1', main: 'index.js' }),
      'packages/shapes/index.js': "export { arc } from './arc.js'\n",
      'packages/shapes/arc.js': 'export const arc = 1\n',
      'app/node_modules/real-pkg/package.json': JSON.stringify({ name: 'real-pkg', version: '2.3.4' }),
      'app/node_modules/@types/typed-only/package.json': JSON.stringify({ name: '@types/typed-only', version: '9.9.9' }),
      'app/pdk.js': "import { arc } from '@me/shapes'\nimport r from 'real-pkg'\nimport type { T } from 'typed-only'\nimport { Layout } from 'laytest'\n",
    })
    mkdirSync(join(dir, 'app/node_modules/@me'), { recursive: true })
    symlinkSync(join(dir, 'packages/shapes'), join(dir, 'app/node_modules/@me/shapes'), 'dir')
    symlinkSync(ROOT, join(dir, 'app/node_modules/laytest'), 'dir')
    const g = moduleGraph(join(dir, 'app/pdk.js'))
    expect(Object.keys(g.files)).toEqual(['../packages/shapes/arc.js', '../packages/shapes/index.js', 'pdk.js'])
    expect(g.packages).toEqual({ '@types/typed-only': '9.9.9', laytest: expect.any(String), 'real-pkg': '2.3.4' })
    const before = keyOf(join(dir, 'app/pdk.js')).key
    writeFileSync(join(dir, 'packages/shapes/arc.js'), 'export const arc = 2\n')
    expect(keyOf(join(dir, 'app/pdk.js')).key).not.toBe(before)
  })

  test('an import laytest cannot follow (an unknown alias, a bundler scheme, a computed import()): no key, and it says which', () => {
    const dir = tree({
      'pdk.js': "import { W } from '~/consts'\nimport v from 'virtual:pdk-config'\nimport data from 'data:text/javascript,export default 1'\nimport { gone } from './not-there.js'\n",
      'plugins.js': "export const load = (name) => import(`./parts/${name}.js`)\nexport const meta = import.meta.url\n",
      'uses-plugins.js': "import { load } from './plugins.js'\n",
    })
    const viaComputed = keyOf(join(dir, 'uses-plugins.js'))
    expect(viaComputed.key).toBeNull()
    expect(viaComputed.problem).toMatch(/plugins\.js: import\(`\.\/parts\/\$\{name\}\.js`\) \(a computed import: its target cannot be known\)/)
    const k = keyOf(join(dir, 'pdk.js'))
    expect(k.key).toBeNull()
    expect(k.problem).toMatch(/cannot resolve to files or packages, so edits there would go unseen: pdk\.js: virtual:pdk-config \(a URL scheme laytest cannot follow\); pdk\.js: ~\/consts is no installed package and no tsconfig path/)
    // in a session: built every run, said once on stderr with what to do
    const errors: string[] = []
    const write = process.stderr.write.bind(process.stderr)
    process.stderr.write = ((chunk: string | Uint8Array) => (errors.push(String(chunk)), true)) as typeof process.stderr.write
    try {
      loadSession({ dir: join(dir, 'session') })
      const ly = new Layout({ name: 'X' })
      const f = ly.factory('aliased', (c) => void c.addBox(1, 0, 0, 1, 1), {}, { module: join(dir, 'pdk.js') })
      f()
      saveSession()
      loadSession({ dir: join(dir, 'session') })
      const f2 = new Layout({ name: 'X' }).factory('aliased', (c) => void c.addBox(1, 0, 0, 1, 1), {}, { module: join(dir, 'pdk.js') })
      f2()
      expect([f.builds, f2.builds, f2.restores]).toEqual([1, 1, 0])
      expect(sessionReport().cells[0]!.reason).toMatch(/^it has no key: its module imports what laytest cannot resolve/)
    } finally {
      process.stderr.write = write
      loadSession({ dir: join(dir, 'none') })
    }
    expect(errors.join('')).toMatch(/factory aliased \(layout X\): its module imports what laytest cannot resolve .*; its cells are built every run, never restored from the session\. Import local code by a path, a tsconfig path/)

    // a relative import of a missing file is no obstacle: the file's appearing changes the key
    writeFileSync(join(dir, 'ok.js'), "import { gone } from './not-there.js'\n")
    const ok = keyOf(join(dir, 'ok.js'))
    expect(ok.key).not.toBeNull()
    writeFileSync(join(dir, 'not-there.js'), 'export const gone = 1\n')
    expect(keyOf(join(dir, 'ok.js')).key).not.toBe(ok.key)
  })

  test('the JavaScript engine is part of the key: another Node rebuilds, and says so', () => {
    const dir = tree({ 'pdk.js': 'export const x = 1\n' })
    const k = keyOf(join(dir, 'pdk.js'))
    expect(k.version!.engine).toBe(process.versions.v8)
    const other = { ...k.version!, engine: '10.2.154.26-node.36' }
    expect(keyOfVersion(other)).not.toBe(k.key)
    expect(explainChange(other, k.version!)).toBe(`the JavaScript engine changed (V8 10.2.154.26-node.36 -> ${process.versions.v8}: another Node)`)
  })

  test('laytest\'s own code is part of the key: a laytest rebuilt without a new version rebuilds, and says so', () => {
    const code = tree({ 'layout/a.js': 'export const a = 1\n', 'layout/a.d.ts': 'export {}\n', 'layout/a.js.map': '{}', 'gds/d.wasm': 'x' })
    const f1 = codeFingerprint(code)
    expect(codeFingerprint(code)).toBe(f1)
    writeFileSync(join(code, 'layout/a.js.map'), '{"changed": true}') // not code
    writeFileSync(join(code, 'layout/a.d.ts'), 'export type T = 1\n') // not code either
    expect(codeFingerprint(code)).toBe(f1)
    writeFileSync(join(code, 'layout/a.js'), 'export const a = 22\n')
    expect(codeFingerprint(code)).not.toBe(f1)
    const k = keyOf(join(code, 'layout/a.js'))
    expect(k.version!.laytestCode).toMatch(/^[0-9a-f]{16}$/)
    const other = { ...k.version!, laytestCode: '0123456789abcdef' }
    expect(keyOfVersion(other)).not.toBe(k.key)
    expect(explainChange(other, k.version!)).toBe(`laytest's code changed (same version ${k.version!.laytest})`)
  })

  test('the build id (npm run build writes dist/build-id.txt): a hash of the built code, content not times', async () => {
    const dist = tree({ 'index.js': 'export * from "./a.js"\n', 'a.js': 'export const a = 1\n', 'gds/d.wasm': 'w', 'a.js.map': '{}', 'a.d.ts': 'export {}\n' })
    const id = async (): Promise<string> => {
      await execa(process.execPath, [join(ROOT, 'src/cache/build-id.mjs'), dist])
      return readFileSync(join(dist, 'build-id.txt'), 'utf8').trim()
    }
    const first = await id()
    expect(first).toMatch(/^[0-9a-f]{64}$/)
    utimesSync(join(dist, 'a.js'), new Date(2000, 0, 1), new Date(2000, 0, 1))
    writeFileSync(join(dist, 'a.js.map'), '{"other": 1}')
    expect(await id()).toBe(first)
    writeFileSync(join(dist, 'gds/d.wasm'), 'W')
    expect(await id()).not.toBe(first)
    // the built laytest has one, and its factory keys carry it
    const built = readFileSync(join(ROOT, 'dist/build-id.txt'), 'utf8')
    expect(built).toMatch(/^[0-9a-f]{64}\n$/)
    const script = `const { Layout } = await import(${JSON.stringify(join(ROOT, 'dist/index.js'))})
const { factoryKey } = await import(${JSON.stringify(join(ROOT, 'dist/cache/factory-keys.js'))})
console.log(factoryKey(new Layout().factory('f', () => {}, {}, { module: ${JSON.stringify(join(dist, 'a.js'))} })).version.laytestCode)`
    const r = await execa(process.execPath, ['--input-type=module', '-e', script])
    expect(r.stdout.trim()).toBe(built.slice(0, 16))
  })
})
