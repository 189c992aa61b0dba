/** Worker thread of TileRunner: runs one tile job per message. */
import { parentPort } from 'node:worker_threads'
import { booleanOps } from './clipper.js'
import { runTile } from './engine.js'
import { fromWire, resultToWire, transferList, type WireJob } from './parallel.js'

const ops = await booleanOps()
parentPort!.on('message', (job: WireJob) => {
  const r = runTile(ops, { box: job.box, a: fromWire(job.a), b: fromWire(job.b) }, job.opts)
  const out = resultToWire(job.id, r)
  const transfer = transferList(out.xor, out.opened)
  if (out.clusters) transfer.push(out.clusters.buffer as ArrayBuffer)
  parentPort!.postMessage(out, transfer)
})
