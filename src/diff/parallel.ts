import { existsSync } from 'node:fs'
import { availableParallelism } from 'node:os'
import { fileURLToPath } from 'node:url'
import { Worker } from 'node:worker_threads'
import type { BooleanOps } from './clipper.js'
import { runTile, type TileJob, type TileOptions, type TileResult } from './engine.js'
import { ExactSum, type WireSum } from './exact-sum.js'
import { RingSet } from './rings.js'

/*
 * Tiles run in worker threads when there is enough work: each worker loads its own Clipper2 instance (WASM
 * modules are per thread) and gets one tile at a time, rings copied in as flat typed arrays and results
 * transferred back. Small jobs stay in this thread: starting a worker costs ~50 ms.
 */

/** Below this many rings (both sides, all tiles) the tiles run in this thread. */
export const PARALLEL_MIN_RINGS = 40000

const WORKER_URL = new URL('./tile-worker.js', import.meta.url)

/** Flat form of a RingSet for postMessage. */
export interface WireRings {
  xy: Float64Array
  starts: Uint32Array
  count: number
}

export function toWire(rs: RingSet): WireRings {
  return { xy: rs.xy.slice(0, rs.length), starts: rs.starts.slice(0, rs.count + 1), count: rs.count }
}

export function fromWire(w: WireRings): RingSet {
  return RingSet.wrap(w.xy, w.starts, w.count)
}

export interface WireJob {
  id: number
  box: [number, number, number, number]
  a: WireRings
  b: WireRings
  opts: TileOptions
}

export interface WireResult {
  id: number
  box: [number, number, number, number]
  xor: WireRings
  clusters: Float64Array | null
  opened: WireRings | null
  area: WireSum
  nonEmpty: boolean
  aArea: WireSum | null
  bArea: WireSum | null
  swept: boolean
}

export function resultToWire(id: number, r: TileResult): WireResult {
  return {
    id, box: r.box, xor: toWire(r.xor), clusters: r.clusters, opened: r.opened && toWire(r.opened), area: r.area.toWire(), nonEmpty: r.nonEmpty,
    aArea: r.aArea && r.aArea.toWire(), bArea: r.bArea && r.bArea.toWire(), swept: r.swept,
  }
}

export function resultFromWire(r: WireResult): TileResult {
  return {
    box: r.box, xor: fromWire(r.xor), clusters: r.clusters, opened: r.opened && fromWire(r.opened), area: ExactSum.fromWire(r.area), nonEmpty: r.nonEmpty,
    aArea: r.aArea && ExactSum.fromWire(r.aArea), bArea: r.bArea && ExactSum.fromWire(r.bArea), swept: r.swept,
  }
}

export function transferList(...rs: Array<WireRings | null>): ArrayBuffer[] {
  const out: ArrayBuffer[] = []
  for (const r of rs) if (r) out.push(r.xy.buffer as ArrayBuffer, r.starts.buffer as ArrayBuffer)
  return out
}

/** Default worker count: every core when there are several, none on a single core. */
export function defaultWorkers(): number {
  const n = availableParallelism()
  return n > 1 ? Math.min(n, 4) : 0
}

/** Runs tile jobs, in workers when worthwhile; `close()` ends the workers. */
export class TileRunner {
  private workers: Worker[] = []
  private readonly want: number
  /** Threads the last run() used (1: this thread). */
  lastThreads = 1

  constructor(
    private readonly ops: BooleanOps,
    workers?: number,
  ) {
    // the worker script exists once built (dist/); running from TypeScript sources (tests) stays in-thread
    this.want = existsSync(fileURLToPath(WORKER_URL)) ? (workers ?? defaultWorkers()) : 0
  }

  async run(jobs: TileJob[], opts: TileOptions): Promise<TileResult[]> {
    let rings = 0
    for (const j of jobs) rings += j.a.count + j.b.count
    if (this.want === 0 || jobs.length < 2 || rings < PARALLEL_MIN_RINGS) {
      this.lastThreads = 1
      return jobs.map((j) => runTile(this.ops, j, opts))
    }
    this.lastThreads = this.want
    while (this.workers.length < this.want) this.workers.push(new Worker(WORKER_URL))
    const results: TileResult[] = new Array(jobs.length)
    let next = 0
    await new Promise<void>((resolve, reject) => {
      let done = 0
      const send = (w: Worker): void => {
        if (next >= jobs.length) return
        const id = next++
        const j = jobs[id]!
        const msg: WireJob = { id, box: j.box, a: toWire(j.a), b: toWire(j.b), opts }
        w.postMessage(msg, transferList(msg.a, msg.b))
      }
      for (const w of this.workers) {
        w.removeAllListeners()
        w.on('error', reject)
        w.on('message', (r: WireResult) => {
          results[r.id] = resultFromWire(r)
          if (++done === jobs.length) resolve()
          else send(w)
        })
        // two jobs in flight per worker: the next one is there when a tile finishes
        send(w)
        send(w)
      }
    })
    return results
  }

  async close(): Promise<void> {
    await Promise.all(this.workers.map((w) => w.terminate()))
    this.workers = []
  }
}
