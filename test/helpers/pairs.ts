import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { FIXTURES, HAVE_SHARED, SHARED } from './corpus.js'

export interface PairXor {
  [layer: string]: { area_dbu2: bigint; merged_polygons: number }
}

export interface PairJson {
  name: string
  /** Absolute paths. */
  a: string
  b: string
  top_a: string | string[]
  top_b: string | string[]
  expect_equal: boolean
  xor_dbu: number
  xor: PairXor
  xor_per_top?: Record<string, PairXor>
}

/** Parses a pair oracle keeping areas exact (they can exceed 2^53). */
function parsePair(base: string, file: string): PairJson {
  const text = readFileSync(join(base, 'pairs', file), 'utf8').replace(/"area_dbu2":\s*(\d+)/g, '"area_dbu2": "$1"')
  const j = JSON.parse(text) as Omit<PairJson, 'name'>
  const fix = (x: Record<string, { area_dbu2: unknown; merged_polygons: number }>): PairXor => {
    const out: PairXor = {}
    for (const [k, v] of Object.entries(x)) out[k] = { area_dbu2: BigInt(v.area_dbu2 as string), merged_polygons: v.merged_polygons }
    return out
  }
  return {
    ...j, name: file.replace(/\.json$/, ''), a: join(base, j.a), b: join(base, j.b),
    xor: fix(j.xor as never), xor_per_top: j.xor_per_top ? Object.fromEntries(Object.entries(j.xor_per_top).map(([k, v]) => [k, fix(v as never)])) : undefined,
  }
}

export function pairsIn(base: string): PairJson[] {
  const dir = join(base, 'pairs')
  if (!existsSync(dir)) return []
  return readdirSync(dir).filter((f) => f.endsWith('.json')).sort().map((f) => parsePair(base, f))
}

/** The shared pairs when present, else the copies in test/fixtures. */
export function allPairs(): PairJson[] {
  return HAVE_SHARED ? pairsIn(SHARED) : pairsIn(FIXTURES)
}
