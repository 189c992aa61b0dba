import { mkdirSync, mkdtempSync, symlinkSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { execa } from 'execa'
import { ROOT } from './corpus.js'

/*
 * A temporary project as a user has it: laytest (this repository, its dist/) and vitest in node_modules, a
 * vitest config with laytest's setup file and reporter, and the given files. Runs use the real vitest binary.
 */

export const VITEST = join(ROOT, 'node_modules/vitest/vitest.mjs')

export const DEFAULT_CONFIG = "export default { test: { setupFiles: ['laytest/vitest'], include: ['**/*.test.mjs'], reporters: ['default', 'laytest/reporter'] } }\n"

export function project(files: Record<string, string>, config = DEFAULT_CONFIG): string {
  const dir = mkdtempSync(join(tmpdir(), 'laytest-proj-'))
  mkdirSync(join(dir, 'node_modules'))
  symlinkSync(ROOT, join(dir, 'node_modules/laytest'), 'dir')
  symlinkSync(join(ROOT, 'node_modules/vitest'), join(dir, 'node_modules/vitest'), 'dir')
  writeFileSync(join(dir, 'package.json'), '{"type":"module"}')
  writeFileSync(join(dir, 'vitest.config.mjs'), config)
  addFiles(dir, files)
  return dir
}

export function addFiles(dir: string, files: Record<string, string | Uint8Array>): void {
  for (const [name, text] of Object.entries(files)) {
    mkdirSync(join(dir, name, '..'), { recursive: true })
    writeFileSync(join(dir, name), text)
  }
}

/** `vitest run ARGS` in the project, with a clean environment (no CI, no colours, no GitHub variables). */
export async function vitest(dir: string, args: string[] = [], env: Record<string, string> = {}): Promise<{ code: number; out: string }> {
  const r = await execa(process.execPath, [VITEST, 'run', ...args], {
    cwd: dir, reject: false, all: true, extendEnv: false,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? dir, CI: '', NO_COLOR: '1', ...env },
  })
  return { code: r.exitCode ?? -1, out: r.all ?? '' }
}
