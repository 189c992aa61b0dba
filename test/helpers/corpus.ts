import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..')
export const FIXTURES = join(ROOT, 'test/fixtures/corpus')
/** The shared corpus beside the project (absent on machines without it). */
export const SHARED = resolve(ROOT, '../shared/corpus')
export const HAVE_SHARED = existsSync(join(SHARED, 'gds'))

export interface CorpusFile {
  name: string
  path: string
  oracle: OracleJson
}

export interface OracleJson {
  dbu: number
  top_cells: string[]
  cells: Record<string, { bbox: number[] | null; counts: Record<string, number>; ghost?: boolean; gds_elements?: Record<string, number> }>
  flat: Record<string, Record<string, { shapes: number; bbox: number[] | null; merged_area_dbu2: number; merged_polygons: number; has_round_paths?: boolean }>>
  flat_bbox: Record<string, number[] | null>
  texts_flat: Record<string, number>
  warnings?: string[]
}

export function corpusFiles(base: string): CorpusFile[] {
  const dir = join(base, 'gds')
  if (!existsSync(dir)) return []
  return readdirSync(dir)
    .sort()
    .map((name) => ({
      name,
      path: join(dir, name),
      oracle: JSON.parse(readFileSync(join(base, 'oracle', `${name}.json`), 'utf8')) as OracleJson,
    }))
}

/** Fixture files always; the whole shared corpus when it is there. */
export function allCorpusFiles(): CorpusFile[] {
  const fx = corpusFiles(FIXTURES)
  if (!HAVE_SHARED) return fx
  const shared = corpusFiles(SHARED)
  const names = new Set(shared.map((f) => f.name))
  return [...shared, ...fx.filter((f) => !names.has(f.name))]
}

export function sharedNotice(what: string): void {
  if (!HAVE_SHARED) console.warn(`[laytest tests] ../shared/corpus not found: ${what} runs on test/fixtures only`)
}

/** Files whose oracle shows referenced-but-undefined cells (KLayout keeps them as ghost cells). */
export function hasGhostCells(f: CorpusFile): boolean {
  return Object.values(f.oracle.cells).some((c) => c.ghost)
}
