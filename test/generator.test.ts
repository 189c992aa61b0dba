import { existsSync } from 'node:fs'
import { execFileSync } from 'node:child_process'
import { afterAll, describe, expect, test } from 'vitest'
import { InputError, resolveInput } from '../src/harness/input.js'

/*
 * Generators run in their own process group: on timeout, when vitest aborts the test, and when the generator
 * exits, whatever it started is stopped with it; nothing is left orphaned.
 */

const posix = process.platform !== 'win32'

/** PIDs of the `sleep 99N` processes these tests start (found by their exact command line). */
function sleeps(): number[] {
  const out = execFileSync('ps', ['-eo', 'pid=,args='], { encoding: 'utf8' })
  return out.split('\n').map((l) => /^\s*(\d+)\s+sleep (99[5-8])\s*$/.exec(l)).filter((m) => m !== null).map((m) => Number(m![1]))
}

async function until(ok: () => boolean, ms: number): Promise<boolean> {
  const end = Date.now() + ms
  while (Date.now() < end) {
    if (ok()) return true
    await new Promise((r) => setTimeout(r, 50))
  }
  return ok()
}

describe.runIf(posix)('generator processes', () => {
  afterAll(() => {
    // whatever a failing run of these tests left behind (only the processes these tests started)
    for (const pid of sleeps()) {
      try {
        process.kill(pid, 'SIGKILL')
      } catch {
        // gone meanwhile
      }
    }
  })

  test('on timeout the whole process group is killed: no orphans', async () => {
    const t = Date.now()
    await expect(resolveInput({ command: ['sh', '-c', 'sleep 997 & sleep 998; echo x'], timeout: 2000 })).rejects.toThrow(/^generator timed out after 2000 ms/)
    expect(Date.now() - t).toBeLessThan(8000)
    expect(await until(() => sleeps().length === 0, 3000), `left running: ${sleeps().join(' ')}`).toBe(true)
  }, 15_000)

  test('what a generator leaves running in the background is stopped when it exits', async () => {
    const t = Date.now()
    await expect(resolveInput({ command: ['sh', '-c', 'sleep 996 & exit 3'], timeout: 60000 })).rejects.toThrow(/^generator exited with code 3/)
    expect(Date.now() - t).toBeLessThan(8000)
    expect(await until(() => sleeps().length === 0, 3000), `left running: ${sleeps().join(' ')}`).toBe(true)
  }, 15_000)

  test('vitest aborting the test (its testTimeout fired first) stops the generator, and the message says so', async () => {
    const abort = new AbortController()
    setTimeout(() => abort.abort(), 300)
    const err = await resolveInput({ command: ['sh', '-c', 'sleep 995'], timeout: 60000 }, undefined, abort.signal).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(InputError)
    expect((err as Error).message).toMatch(/because vitest aborted the test .*testTimeout must be longer than the generator timeout \(60000 ms\)/)
    expect(await until(() => sleeps().length === 0, 3000)).toBe(true)
  }, 15_000)

  test('a generator that writes garbage is reported with its real output path, which is kept', async () => {
    const err = await resolveInput({ command: ['sh', '-c', 'echo garbage > "$1"', 'sh', '{out}'] }).catch((e: unknown) => e) as Error
    expect(err).toBeInstanceOf(InputError)
    expect(err.message).not.toContain('-> {out}')
    const m = /cannot read as GDSII or OASIS \(kept for a look\): (\/\S*laytest-gen-[^/]+\/out\.gds): byte \d+/.exec(err.message)
    expect(m, err.message).not.toBeNull()
    expect(existsSync(m![1]!)).toBe(true)
  })
})
