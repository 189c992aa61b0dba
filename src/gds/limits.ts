/*
 * The reader's limits, shared with the layout builder (src/layout/layout.ts) so that a layout built in
 * TypeScript is refused with the same words as a file holding it would be: what can be built can be read back.
 */

/**
 * Most vertices one BOUNDARY/PATH may have by default. GDSII allows 8191 points per XY record (8190 distinct +
 * closing); several XY records in one element (a KLayout extension) are concatenated up to this limit.
 */
export const DEFAULT_MAX_VERTICES = 8191
/** Most members (columns x rows) one AREF may have by default; a larger array is refused rather than flattened. */
export const DEFAULT_MAX_ARRAY_MEMBERS = 1 << 24

/** What the reader expected of an element with too many vertices. */
export function verticesLimitText(max: number, found: number): string {
  return `at most ${max} vertices per element (found ${found}; the GDSII limit is 8191)`
}

/** What the reader expected of an array with too many members. */
export function arrayLimitText(max: number, cols: number, rows: number): string {
  return `at most ${max} array members (found ${cols} x ${rows} = ${cols * rows})`
}
