/** Worker thread of TileRunner: runs one tile job per message. */
import { parentPort } from 'node:worker_threads'
import { booleanOps } from './clipper.js'
import { runTile } from './engine.js'
import { fromWire, toWire, transferList, type WireJob, type WireResult } from './parallel.js'

const ops = await booleanOps()
parentPort!.on('message', (job: WireJob) => {
  const r = runTile(ops, { box: job.box, a: fromWire(job.a), b: fromWire(job.b) }, job.opts)
  const out: WireResult = {
    id: job.id, box: r.box, xor: toWire(r.xor), opened: r.opened && toWire(r.opened), a: r.a && toWire(r.a), b: r.b && toWire(r.b),
  }
  parentPort!.postMessage(out, transferList(out.xor, out.opened, out.a, out.b))
})
