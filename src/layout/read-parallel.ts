import { existsSync, statSync } from 'node:fs'
import { availableParallelism } from 'node:os'
import { fileURLToPath } from 'node:url'
import { Worker } from 'node:worker_threads'
import { GdsError } from '../gds/errors.js'
import { readLayout, type ReadLayoutOptions } from './gdsio.js'
import type { Layout } from './layout.js'
import { layoutFromWire, type WireLayout } from './wire.js'

const WORKER_URL = new URL('./read-worker.js', import.meta.url)
/**
 * Files smaller than this are read in this thread, after the first. A worker costs ~30 ms to start, reads
 * unoptimised code again (a second read in this thread is warm: about half the first), and two isolates
 * warming up compete for the two cores; measured on 2 cores: two 36 MB hierarchical files 140-190 ms in
 * this thread vs 230-270 ms with a worker, two 112 MB flat files 370-440 ms vs 290-390 ms.
 */
const PARALLEL_MIN_BYTES = 64 << 20

/**
 * Reads several GDSII files at once: the first in this thread, the others (when large, and when there are
 * several cores) in worker threads, whose layouts come back without copying their coordinate arrays.
 * Errors are the same as readLayout's.
 */
export async function readLayouts(paths: string[], opts: ReadLayoutOptions = {}, minBytes = PARALLEL_MIN_BYTES): Promise<Layout[]> {
  const usable = availableParallelism() > 1 && existsSync(fileURLToPath(WORKER_URL))
  const size = (p: string): number => {
    try {
      return statSync(p).size
    } catch {
      return 0 // readLayout reports the missing file
    }
  }
  const pending = paths.map((p, i) => (i > 0 && usable && size(p) >= minBytes ? inWorker(p, opts) : null))
  const out: Layout[] = []
  try {
    for (let i = 0; i < paths.length; i++) out.push(pending[i] ? await pending[i]! : readLayout(paths[i]!, opts))
  } finally {
    // a failure in this thread must not leave a worker's rejection unhandled
    for (const p of pending) p?.catch(() => {})
  }
  return out
}

function inWorker(path: string, opts: ReadLayoutOptions): Promise<Layout> {
  return new Promise((resolve, reject) => {
    const w = new Worker(WORKER_URL, { workerData: { path, opts } })
    w.once('message', (m: { ok: true; wire: WireLayout } | { ok: false; gds: ConstructorParameters<typeof GdsError>[0] | null; message: string; name: string; code?: string }) => {
      void w.terminate()
      if (m.ok) resolve(layoutFromWire(m.wire))
      else if (m.gds) reject(new GdsError(m.gds))
      else reject(Object.assign(new Error(m.message), { name: m.name, code: m.code }))
    })
    w.once('error', reject)
  })
}
