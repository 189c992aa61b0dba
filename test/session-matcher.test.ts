import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { execa } from 'execa'
import { afterAll, expect, test } from 'vitest'
import { ROOT } from './helpers/corpus.js'
import { project, vitest } from './helpers/project.js'

/*
 * Issue 18, "with the matcher": the pattern docs/session.md gives (loadSession in a setup file, saveSession after
 * the run) in a user's project run by the real vitest, with factories whose builds are counted in a file: a second
 * run builds nothing and passes; an edit to a constants module rebuilds exactly the cells that depend on it, and
 * the comparison fails on the changed geometry (never a stale pass); reverting it passes again.
 */

const dirs: string[] = []
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true })
})

const FILES = {
  'consts.mjs': 'export const WIDTH = 500\n',
  'pdk.mjs': `import { appendFileSync } from 'node:fs'
import { Layout } from 'laytest'
import { WIDTH } from './consts.mjs'
export function chip() {
  const ly = new Layout({ name: 'PDK' })
  const leaf = ly.factory('leaf', (c, { length }) => {
    appendFileSync('builds.log', 'leaf\\n')
    c.addBox(1, 0, -WIDTH / 2, length, WIDTH / 2)
    c.addPort({ name: 'o2', x: length, y: 0, angle: 0, width: WIDTH, layer: 1 })
  }, { length: 10000 })
  const block = ly.factory('block', (c, { n }) => {
    appendFileSync('builds.log', 'block\\n')
    for (let i = 0; i < n; i++) c.place(leaf({ length: 1000 * (i + 1) }), { y: 2000 * i })
  }, { n: 2 })
  const top = ly.newCell('TOP')
  top.place(block({ n: 2 }))
  return ly
}
`,
  'session.setup.mjs': `import { afterAll } from 'vitest'
import { loadSession, saveSession } from 'laytest'
loadSession()
afterAll(() => { saveSession() })
`,
  'chip.test.mjs': `import { expect, test } from 'vitest'
import { chip } from './pdk.mjs'
test('chip', async () => { await expect(chip()).toMatchReference() })
`,
}

const CONFIG = "export default { test: { setupFiles: ['laytest/vitest', './session.setup.mjs'], include: ['**/*.test.mjs'], reporters: ['default', 'laytest/reporter'] } }\n"

interface LastRun {
  restored: number
  built: number
  cells: Array<{ cell: string; outcome: string; reason?: string }>
}

test('factories under the matcher: run 2 restores every cell and passes; a constants edit rebuilds leaf and block and fails; reverting passes', async () => {
  const dir = project(FILES, CONFIG)
  dirs.push(dir)
  const builds = (): string[] => (existsSync(join(dir, 'builds.log')) ? readFileSync(join(dir, 'builds.log'), 'utf8').trim().split('\n') : [])
  const lastRun = async (): Promise<LastRun> => {
    const r = await execa(process.execPath, [join(ROOT, 'dist/main.js'), 'session', 'stats', '--json'], { cwd: dir })
    return (JSON.parse(r.stdout) as { lastRun: LastRun }).lastRun
  }

  const first = await vitest(dir)
  expect(first.code, first.out).toBe(0)
  expect(existsSync(join(dir, 'reference/chip.test.mjs/chip.gds'))).toBe(true)
  expect(builds().sort()).toEqual(['block', 'leaf', 'leaf'])
  expect(existsSync(join(dir, 'build/session/laytest/factories/PDK/index.json'))).toBe(true)

  // nothing changed: every factory cell restored, none built, and the comparison passes
  const second = await vitest(dir)
  expect(second.code, second.out).toBe(0)
  expect(second.out).toMatch(/laytest: 0 failed, 1 passed, 0 written/)
  expect(builds()).toHaveLength(3)
  expect(await lastRun()).toMatchObject({ restored: 3, built: 0 })

  // a module only leaf's module imports changes the geometry: leaf's cells and block are built again, and the
  // comparison sees the change
  writeFileSync(join(dir, 'consts.mjs'), 'export const WIDTH = 600\n')
  const third = await vitest(dir)
  expect(third.code, third.out).toBe(1)
  expect(third.out).toMatch(/DIFFERENT|differ/i)
  expect(builds().slice(3).sort()).toEqual(['block', 'leaf', 'leaf'])
  const changed = await lastRun()
  expect(changed).toMatchObject({ restored: 0, built: 3 })
  expect(changed.cells.find((c) => c.cell === 'leaf_L1000')!.reason).toMatch(/consts\.mjs changed/)
  expect(changed.cells.find((c) => c.cell === 'block_N2')!.reason).toMatch(/uses leaf_L1000 \(factory leaf\), which changed|consts\.mjs changed/)

  // reverted: built again (the session holds the edited cells now), and equal to the reference
  writeFileSync(join(dir, 'consts.mjs'), 'export const WIDTH = 500\n')
  const fourth = await vitest(dir)
  expect(fourth.code, fourth.out).toBe(0)
  expect(builds()).toHaveLength(9)
  // and once more: restored, and the comparison that passed last time is not made again (the verdict cache)
  const fifth = await vitest(dir)
  expect(fifth.code, fifth.out).toBe(0)
  expect(builds()).toHaveLength(9)
  expect(await lastRun()).toMatchObject({ restored: 3, built: 0 })
  expect(fifth.out).toMatch(/1 of 1 decided by the session cache/)
}, 120_000)

test('node --enable-source-maps (stack text mapped to laytest\'s src/*.ts): the factories are still keyed by the user\'s modules', async () => {
  const dir = project({
    ...FILES,
    'main.mjs': `import { loadSession, saveSession, sessionReport, writeLayoutFile } from 'laytest'
import { chip } from './pdk.mjs'
loadSession({ dir: 'session' })
const ly = chip()
writeLayoutFile(ly, 'chip.gds')
saveSession()
console.log(JSON.stringify({ modules: [...ly.factories.values()].map((f) => f.module), ...sessionReport() }))
`,
  }, CONFIG)
  dirs.push(dir)
  const run = async (): Promise<{ modules: string[]; restored: number; built: number; cells: Array<{ cell: string; reason?: string }> }> =>
    JSON.parse((await execa(process.execPath, ['--enable-source-maps', 'main.mjs'], { cwd: dir })).stdout) as never
  const first = await run()
  expect(first.modules).toEqual([join(dir, 'pdk.mjs'), join(dir, 'pdk.mjs')])
  expect([first.built, first.restored]).toEqual([3, 0])
  expect([(await run()).built, (await run()).restored]).toEqual([0, 3])
  writeFileSync(join(dir, 'consts.mjs'), 'export const WIDTH = 600\n')
  const edited = await run()
  expect([edited.built, edited.restored]).toEqual([3, 0])
  expect(edited.cells.find((c) => c.cell === 'leaf_L1000')!.reason).toMatch(/consts\.mjs changed/)
})
