import { count, showList, showName } from '../gds/names.js'
import type { Layout } from './layout.js'

/*
 * Undefined ("ghost") cells: referenced in a file but never defined. They are read as KLayout reads them, as
 * empty cells, and said once in one line; `strict` (CLI --strict) makes them an error. Both readers (GDSII and
 * OASIS) word it the same way here.
 */

/** Characters of each name in the messages (a message stays one line of a few hundred characters). */
const NAME_CHARS = 32

/** Whether undefined cells are kept as empty cells: `ghostCells` if given, else not in strict mode. */
export function ghostCellsMode(opts: { ghostCells?: 'error' | 'empty'; strict?: boolean }): 'error' | 'empty' {
  return opts.ghostCells ?? (opts.strict ? 'error' : 'empty')
}

/** The `expected` part of the error for undefined cells (names with the cell that first referenced each). */
export function undefinedCellsExpected(missing: Array<{ name: string; by: string }>): string {
  const n = missing.length
  const shown = missing.slice(0, 3).map((m) => `${showName(m.name, NAME_CHARS)} (referenced by ${showName(m.by || '?', NAME_CHARS)})`)
  return `a definition of every referenced cell (strict mode); ${n > 1 ? `${count(n)} are ` : ''}undefined: ` +
    `${showList(shown, { chars: 80 }, n)}; without strict (--strict) ${n > 1 ? 'they are' : 'it is'} read as ${n > 1 ? 'empty cells' : 'an empty cell'}, as KLayout does`
}

/** The undefined cells of a layout, by name (empty when there are none). */
export function ghostCellNames(layout: Layout): string[] {
  const out: string[] = []
  for (const c of layout.cells.values()) if (c.ghost) out.push(c.name)
  return out
}

/**
 * One line saying that a layout has undefined cells, or null: how many, the first few names (escaped, cut with
 * a count), and how to make it an error. `file` names the layout.
 */
export function ghostWarning(layout: Layout, file: string): string | null {
  const names = ghostCellNames(layout)
  if (!names.length) return null
  const n = names.length
  const shown = names.slice(0, 3).map((s) => showName(s, NAME_CHARS))
  return `warning: ${file}: ${n > 1 ? `${count(n)} cells are` : 'a cell is'} referenced but not defined, read as empty ` +
    `(KLayout's ghost cells): ${showList(shown, { chars: 100 }, n)}; --strict (strict: true) makes this an error`
}
