import type { BooleanOps } from './clipper.js'
import { runTile, type TileJob, type TileOptions, type TileResult } from './engine.js'

export interface RunOptions extends TileOptions {
  workers?: number
}

/** Runs tile jobs (in this thread for now). */
export async function runTiles(ops: BooleanOps, jobs: TileJob[], opts: RunOptions): Promise<TileResult[]> {
  return jobs.map((j) => runTile(ops, j, opts))
}
