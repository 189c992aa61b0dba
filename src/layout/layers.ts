/** A layer/datatype pair packed into one number: layer * 65536 + datatype (both 0..65535). */
export type LayerKey = number

export type LayerSpec = number | [number, number] | { layer: number; datatype?: number } | string

export function layerKey(layer: number, datatype = 0): LayerKey {
  if (!Number.isInteger(layer) || layer < 0 || layer > 65535 || !Number.isInteger(datatype) || datatype < 0 || datatype > 65535) {
    throw new RangeError(`layer/datatype must be integers 0..65535 (got ${layer}/${datatype})`)
  }
  return layer * 65536 + datatype
}

export function layerOf(key: LayerKey): number {
  return Math.floor(key / 65536)
}

export function datatypeOf(key: LayerKey): number {
  return key % 65536
}

/** "L/D", the name KLayout and the oracles use. */
export function layerName(key: LayerKey): string {
  return `${layerOf(key)}/${datatypeOf(key)}`
}

/** Accepts 5 (datatype 0), [5, 2], {layer: 5, datatype: 2} or "5/2". */
export function toLayerKey(spec: LayerSpec): LayerKey {
  if (typeof spec === 'number') return layerKey(spec, 0)
  if (typeof spec === 'string') {
    const m = /^\s*(\d+)\s*(?:\/\s*(\d+)\s*)?$/.exec(spec)
    if (!m) throw new RangeError(`layer "${spec}" is not of the form L or L/D`)
    return layerKey(Number(m[1]), m[2] === undefined ? 0 : Number(m[2]))
  }
  if (Array.isArray(spec)) return layerKey(spec[0], spec[1])
  return layerKey(spec.layer, spec.datatype ?? 0)
}

export function compareLayerKeys(a: LayerKey, b: LayerKey): number {
  return a - b
}
