export { Layout, Cell, CycleError, LayoutLimitError, type Instance, type Text, type ArraySpec, type PathOptions, type TextOptions, type PlaceOptions, type ArrayOptions, type LayoutOptions } from './layout.js'
export {
  FrozenCellError, canonicalJson, factoryCellName, abbreviate, portOf, transformPort, connectTo, MAX_CELL_NAME,
  type CellFactory, type FactoryCellInfo, type FactoryOptions, type FactoryParams, type ParamValue, type ParamsOf, type Port, type PortSpec,
} from './factory.js'
export { layerKey, layerName, layerOf, datatypeOf, toLayerKey, type LayerKey, type LayerSpec } from './layers.js'
export { type BBox, bboxUnion, bboxTouches } from './bbox.js'
export { LayerShapes, ShapeKind } from './shapes.js'
export { readLayouts } from './read-parallel.js'
export { readLayout, readGdsLayout, writeLayout, writeLayoutFile, writeFileAtomic, formatOfName, CONTEXT_INFO_CELL, type ReadLayoutOptions, type WriteLayoutOptions } from './gdsio.js'
export { readOasis, writeOasis, writeOasisFile, type ReadOasisOptions, type WriteOasisOptions } from './oasisio.js'
export { ghostWarning, ghostCellNames } from './ghosts.js'
export { showMicrons } from './units.js'
export { cellBBox, cellLayers } from './extent.js'
export { flatten, forEachMember, memberCount, type FlatSink, type FlattenOptions } from './flatten.js'
export { flatLayers, flatTextCount, cellCounts, summarize, type LayoutSummary, type FlatLayerInfo, type CellCounts } from './stats.js'
export { cellHashes, cellHash, HASH_FORMAT_VERSION, type CellHashes } from './hash.js'
export { pathHull, ROUND_END_POINTS } from './path.js'
export { placementAffine, compose, type Placement, type Affine } from './transform.js'
