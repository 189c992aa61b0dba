import type { GdsElementExtras } from '../gds/sink.js'
import { IntBuf } from './intbuf.js'
import type { LayerKey } from './layers.js'
import { Layout, type ArraySpec, type Instance, type NodeElement, type Text } from './layout.js'
import { LayerShapes, type ShapeExtra } from './shapes.js'

/*
 * Cells as bytes for laytest's own caches (the factory session's packs): the model's arrays as they are in
 * memory, so that reading them back is a JSON.parse of a small header and typed-array views, with no per-vertex
 * work. A fresh process runs JavaScript unoptimised: parsing the same cells from gzipped GDSII cost a warm session
 * run ~50 ms per 1.5 MB, a snapshot of them is read in a few. Exact: shapes, texts, nodes, placements and extras
 * come back as they were (GDSII would round them through its records). Not an interchange format: only this code
 * reads it, and bytes it cannot read are a SnapshotError, which a cache treats as damage.
 *
 * The bytes (integers little-endian):
 *   "LTSNAP1\n"  u32 header bytes  header (UTF-8 JSON)  zero padding to a multiple of 4  int32 blob
 * The blob starts with a directory, per cell: its number of layers, then per layer its key and the lengths of its
 * six sections (boxes, polygon coordinates, polygon starts, path coordinates, path starts, path parameters). The
 * sections follow, cell by cell and layer by layer, then each node's coordinates. The header holds the names and
 * what is rare or not an integer: texts, nodes, instances (as arrays), extras, keyed by cell index.
 *
 * An instance names the cell it places by a number: an index into the snapshot's cells for a whole layout
 * (snapshotOfLayout / decodeSnapshot); a cache may give it its own meaning (the session: an index into the
 * cell's dependencies), as long as it reads the cells back with readSnapshot.
 */

const MAGIC = 'LTSNAP1\n'
const LITTLE_ENDIAN = new Uint8Array(Int32Array.of(1).buffer)[0] === 1
const LAYER_INTS = 7

/** Thrown when bytes are not a snapshot this code wrote, or are cut or damaged. */
export class SnapshotError extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'SnapshotError'
  }
}

/** A placed cell, by number (see above). */
export type SnapshotInstance = Omit<Instance, 'cell'> & { cell: number }

/** A cell as plain data. */
export interface SnapshotCell {
  name: string
  /** Referenced but not defined where it was read from (Cell.ghost). */
  ghost?: boolean
  layers: Array<[LayerKey, LayerShapes]>
  texts: readonly Text[]
  nodes: readonly NodeElement[]
  instances: readonly SnapshotInstance[]
}

export interface Snapshot {
  name: string
  dbu: number
  metersPerDbu: number
  userUnitsPerDbu: number
  cells: SnapshotCell[]
}

/** [cell, x, y, rotation, mirror, mag, array or 0, 1 absMag | 2 absAngle, extras?] */
type InstanceRecord = [number, number, number, number, boolean, number, [number, number, number, number, number, number] | 0, number, GdsElementExtras?]
/** [layer key, number of ints of coordinates, extras?] */
type NodeRecord = [number, number, GdsElementExtras?]

interface Header {
  name: string
  dbu: number
  metersPerDbu: number
  userUnitsPerDbu: number
  /** Int32 values in the blob (a check on the whole file). */
  ints: number
  names: string[]
  texts?: Record<string, Text[]>
  nodes?: Record<string, NodeRecord[]>
  instances?: Record<string, InstanceRecord[]>
  /** By "cell index:layer index". */
  extras?: Record<string, ShapeExtra[]>
  /** Indices of ghost cells. */
  ghosts?: number[]
}

/** Every cell of a layout as snapshot cells, in the layout's order; instances by index into that order. */
export function snapshotOfLayout(layout: Layout): Snapshot {
  const cells = [...layout.cells.values()]
  const indexOf = new Map(cells.map((c, i) => [c, i]))
  return {
    name: layout.name, dbu: layout.dbu, metersPerDbu: layout.metersPerDbu, userUnitsPerDbu: layout.meta.userUnitsPerDbu,
    cells: cells.map((c) => ({
      name: c.name, ghost: c.ghost, layers: [...c.layers], texts: c.texts, nodes: c.nodes,
      instances: c.instances.map((inst) => {
        const i = indexOf.get(inst.cell)
        if (i === undefined) throw new SnapshotError(`cell ${c.name} places a cell of another layout (${inst.cell.name})`)
        return { ...inst, cell: i }
      }),
    })),
  }
}

/** The snapshot bytes of cells. */
export function encodeSnapshot(snap: Snapshot): Buffer {
  const dir: number[] = []
  const arrays: Int32Array[] = []
  const header: Header = {
    name: snap.name, dbu: snap.dbu, metersPerDbu: snap.metersPerDbu, userUnitsPerDbu: snap.userUnitsPerDbu, ints: 0, names: [],
  }
  snap.cells.forEach((c, ci) => {
    header.names.push(c.name)
    if (c.ghost) (header.ghosts ??= []).push(ci)
    dir.push(c.layers.length)
    c.layers.forEach(([key, s], li) => {
      const parts = [s.boxes.view(), s.polyCoords.view(), s.polyStarts.view(), s.pathCoords.view(), s.pathStarts.view(), s.pathParams.view()]
      dir.push(key, ...parts.map((a) => a.length))
      arrays.push(...parts)
      if (s.extras && s.extras.length) (header.extras ??= {})[`${ci}:${li}`] = s.extras
    })
    if (c.texts.length) (header.texts ??= {})[ci] = [...c.texts]
    if (c.nodes.length) {
      (header.nodes ??= {})[ci] = c.nodes.map((n) => {
        arrays.push(n.coords)
        return n.extras ? [n.layer, n.coords.length, n.extras] : [n.layer, n.coords.length]
      })
    }
    if (c.instances.length) {
      (header.instances ??= {})[ci] = c.instances.map((inst): InstanceRecord => {
        const p = inst.placement, a = inst.array
        const rec: InstanceRecord = [inst.cell, p.x, p.y, p.rotation, p.mirror, p.mag, a ? [a.cols, a.rows, a.colX, a.colY, a.rowX, a.rowY] : 0,
          (inst.absMag ? 1 : 0) | (inst.absAngle ? 2 : 0)]
        if (inst.extras) rec.push(inst.extras)
        return rec
      })
    }
  })
  arrays.unshift(Int32Array.from(dir))
  header.ints = arrays.reduce((n, a) => n + a.length, 0)
  const json = Buffer.from(JSON.stringify(header), 'utf8')
  const blobAt = (MAGIC.length + 4 + json.length + 3) & ~3
  const out = Buffer.alloc(blobAt + 4 * header.ints)
  out.write(MAGIC, 0, 'latin1')
  out.writeUInt32LE(json.length, MAGIC.length)
  json.copy(out, MAGIC.length + 4)
  let at = blobAt
  for (const a of arrays) {
    if (LITTLE_ENDIAN) out.set(new Uint8Array(a.buffer, a.byteOffset, a.byteLength), at)
    else for (let i = 0; i < a.length; i++) out.writeInt32LE(a[i]!, at + 4 * i)
    at += a.byteLength
  }
  return out
}

const EMPTY = new Int32Array(0)

/**
 * The cells of snapshot bytes. Their arrays are views of the bytes' memory (or of one aligned copy), kept as long
 * as any of them is: do not change `bytes` afterwards. Meant for cells that are not changed afterwards (a change
 * copies the array it grows, as IntBuf does).
 */
export function readSnapshot(bytes: Uint8Array): Snapshot {
  const fail = (what: string): never => {
    throw new SnapshotError(`not a laytest snapshot: ${what}`)
  }
  if (bytes.length < MAGIC.length + 4 || Buffer.from(bytes.buffer, bytes.byteOffset, MAGIC.length).toString('latin1') !== MAGIC) fail('no LTSNAP1 header')
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length)
  const jsonBytes = buf.readUInt32LE(MAGIC.length)
  const blobAt = (MAGIC.length + 4 + jsonBytes + 3) & ~3
  if (blobAt > buf.length) fail(`a header of ${jsonBytes} bytes in ${buf.length}`)
  let h: Header
  try {
    h = JSON.parse(buf.toString('utf8', MAGIC.length + 4, MAGIC.length + 4 + jsonBytes)) as Header
  } catch {
    return fail('the header is not JSON')
  }
  if (!h || !Array.isArray(h.names) || !Number.isInteger(h.ints) || h.ints < 0) fail('the header is incomplete')
  if (buf.length !== blobAt + 4 * h.ints) fail(`${buf.length - blobAt} bytes of data where the header says ${4 * h.ints}`)
  // the blob in place when it is aligned (a large file read whole has its own memory), else one aligned copy
  // (small Buffers share a pool and start anywhere in it); fresh memory costs page faults, so no needless copy
  let blob: Int32Array
  if (LITTLE_ENDIAN && (buf.byteOffset + blobAt) % 4 === 0) blob = new Int32Array(buf.buffer, buf.byteOffset + blobAt, h.ints)
  else {
    blob = new Int32Array(h.ints)
    if (LITTLE_ENDIAN) new Uint8Array(blob.buffer).set(buf.subarray(blobAt))
    else for (let i = 0; i < h.ints; i++) blob[i] = buf.readInt32LE(blobAt + 4 * i)
  }
  const n = h.names.length
  // the directory first: where the sections start
  let d = 0
  for (let ci = 0; ci < n; ci++) {
    if (d >= h.ints) fail('the directory runs past the data')
    d += 1 + LAYER_INTS * blob[d]!
  }
  if (d > h.ints) fail('the directory runs past the data')
  let at = d
  const take = (len: number): IntBuf => {
    if (!(len >= 0) || at + len > h.ints) fail('a section runs past the data')
    const v = len === 0 ? EMPTY : blob.subarray(at, at + len)
    at += len
    return new IntBuf(v)
  }
  const cells: SnapshotCell[] = []
  const ghosts = new Set(h.ghosts ?? [])
  d = 0
  for (let ci = 0; ci < n; ci++) {
    const layerCount = blob[d++]!
    const layers: Array<[LayerKey, LayerShapes]> = []
    for (let li = 0; li < layerCount; li++, d += LAYER_INTS) {
      const s = new LayerShapes(take(blob[d + 1]!), take(blob[d + 2]!), take(blob[d + 3]!), take(blob[d + 4]!), take(blob[d + 5]!), take(blob[d + 6]!))
      if (s.polyStarts.length < 1 || s.pathStarts.length < 1 || s.polyStarts.data[0] !== 0 || s.pathStarts.data[0] !== 0 || s.polyStarts.data[s.polygonCount] !== s.polyCoords.length ||
        s.pathStarts.data[s.pathCount] !== s.pathCoords.length || s.pathParams.length !== 4 * s.pathCount || (s.boxes.length & 3) !== 0) {
        fail(`cell ${ci}: the sections of layer ${blob[d]} do not fit together`)
      }
      const x = h.extras?.[`${ci}:${li}`]
      if (x) s.extras = x
      layers.push([blob[d]!, s])
    }
    const name = h.names[ci]
    if (typeof name !== 'string') fail(`cell ${ci} has no name`)
    const nodes = (h.nodes?.[ci] ?? []).map((r): NodeElement => (r[2] ? { layer: r[0], coords: take(r[1]).data, extras: r[2] } : { layer: r[0], coords: take(r[1]).data }))
    const instances = (h.instances?.[ci] ?? []).map((r): SnapshotInstance => {
      if (!Array.isArray(r) || r.length < 8) fail(`cell ${ci}: an instance record of another shape`)
      // indexed, not destructured: unoptimised code would make an iterator and a result object per field
      const a = r[6], flags = r[7]
      const array: ArraySpec | null = a ? { cols: a[0], rows: a[1], colX: a[2], colY: a[3], rowX: a[4], rowY: a[5] } : null
      const inst: SnapshotInstance = { cell: r[0], placement: { x: r[1], y: r[2], rotation: r[3], mirror: r[4], mag: r[5] }, array }
      if (flags & 1) inst.absMag = true
      if (flags & 2) inst.absAngle = true
      if (r[8]) inst.extras = r[8]
      return inst
    })
    const cell: SnapshotCell = { name: name!, layers, texts: h.texts?.[ci] ?? [], nodes, instances }
    if (ghosts.has(ci)) cell.ghost = true
    cells.push(cell)
  }
  if (at !== h.ints) fail(`${h.ints - at} ints of data no section claims`)
  return { name: String(h.name), dbu: h.dbu, metersPerDbu: h.metersPerDbu, userUnitsPerDbu: h.userUnitsPerDbu, cells }
}

/** The layout of snapshot bytes written from snapshotOfLayout (see readSnapshot for what it keeps of `bytes`). */
export function decodeSnapshot(bytes: Uint8Array): Layout {
  const snap = readSnapshot(bytes)
  const layout = new Layout({ name: snap.name })
  layout.setUnits(snap.dbu, snap.metersPerDbu)
  layout.meta = { ...layout.meta, userUnitsPerDbu: snap.userUnitsPerDbu }
  const cells = snap.cells.map((r) => layout.newCell(r.name))
  snap.cells.forEach((r, ci) => {
    const cell = cells[ci]!
    if (r.ghost) cell.ghost = true
    for (const [key, s] of r.layers) cell.layers.set(key, s)
    cell.texts.push(...r.texts)
    cell.nodes.push(...r.nodes)
    for (const inst of r.instances) {
      const child = cells[inst.cell]
      if (!child) throw new SnapshotError(`not a laytest snapshot of a layout: cell ${ci} places cell ${inst.cell}, which it does not have`)
      cell.addInstance({ ...inst, cell: child })
    }
  })
  return layout
}

/** The bytes of a whole layout (decodeSnapshot reads it back). */
export function encodeLayoutSnapshot(layout: Layout): Buffer {
  return encodeSnapshot(snapshotOfLayout(layout))
}
