import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import { execa } from 'execa'

/** `laytest test [args]`: the project's vitest with LAYTEST_OPEN_DIFF=1 when asked; returns its exit code. */
export async function runVitest(args: string[], openDiff: boolean): Promise<number> {
  let bin: string
  try {
    // the vitest of the project being tested, not laytest's own
    bin = join(dirname(createRequire(join(process.cwd(), 'package.json')).resolve('vitest/package.json')), 'vitest.mjs')
  } catch {
    throw new Error('vitest is not installed in this project (npm install -D vitest)')
  }
  const r = await execa(process.execPath, [bin, 'run', ...args], {
    stdio: 'inherit', reject: false, env: openDiff ? { LAYTEST_OPEN_DIFF: '1' } : {},
  })
  return r.exitCode ?? 2
}
