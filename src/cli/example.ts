import { existsSync, mkdirSync, readFileSync } from 'node:fs'
import { dirname, join, relative, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { writeFileAtomic } from '../layout/atomic.js'
import { UsageError } from './errors.js'

/*
 * `laytest example [DIR]`: the two example layouts of the README's first command (examples/ring.gds and a
 * version with one ring moved by 10 nm), copied from the package into DIR (default ./examples), so that the
 * README's commands work in a project that installed laytest as they do in a clone of its repository.
 */

const FILES = ['ring.gds', 'ring-v2.gds']

/** The examples folder of the package (beside dist/, or beside src/ in a checkout). */
function shippedExamples(): string {
  return resolve(dirname(fileURLToPath(import.meta.url)), '../../examples')
}

export function exampleCommand(dir = 'examples'): string {
  const from = shippedExamples()
  const out = resolve(dir)
  let text = ''
  for (const name of FILES) {
    const src = join(from, name)
    if (!existsSync(src)) throw new UsageError(`the example ${name} is not in this installation of laytest (${from})`)
    const bytes = readFileSync(src)
    const target = join(out, name)
    const shown = relative(process.cwd(), target) || target
    if (existsSync(target)) {
      // never overwrite a file of the user's
      if (readFileSync(target).equals(bytes)) text += `${shown}: already there\n`
      else throw new UsageError(`${shown} exists and is not laytest's example; remove it or name another folder (laytest example DIR)`)
      continue
    }
    mkdirSync(out, { recursive: true })
    writeFileAtomic(target, bytes)
    text += `wrote ${shown}\n`
  }
  const rel = relative(process.cwd(), out) || '.'
  return text + `next: npx laytest diff ${rel}/ring.gds ${rel}/ring-v2.gds\n`
}
