/** Worker thread of readLayouts(): reads one file and sends the layout back as transferable plain data. */
import { parentPort, workerData } from 'node:worker_threads'
import { GdsError } from '../gds/errors.js'
import { readLayout, type ReadLayoutOptions } from './gdsio.js'
import { layoutToWire } from './wire.js'

const { path, opts } = workerData as { path: string; opts: ReadLayoutOptions }
try {
  const { wire, transfer } = layoutToWire(readLayout(path, opts))
  parentPort!.postMessage({ ok: true, wire }, transfer)
} catch (e) {
  const g = e instanceof GdsError ? { file: e.file, offset: e.offset, record: e.record, expected: e.expected, cells: e.cells } : null
  parentPort!.postMessage({ ok: false, gds: g, message: e instanceof Error ? e.message : String(e), name: e instanceof Error ? e.name : 'Error', code: (e as NodeJS.ErrnoException).code })
}
