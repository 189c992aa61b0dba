export { diffLayouts, DiffError, type DiffOptions, type DiffResult, type DiffOutcome, type LayerDiff, type TopDiff, type LayerSelection } from './diff.js'
export type { ChangedCells, ChangedCell } from './cells.js'
export type { LabelDiff, FlatLabel } from './labels.js'
export { xorLayout, writeXorGds, type XorLayoutOptions } from './xor-gds.js'
