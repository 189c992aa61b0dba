/**
 * Synthetic layouts for benchmarks, built with laytest's own builder and writer. Seeded, so every run
 * measures the same bytes.
 */
import { closeSync, fsyncSync, openSync, writeSync } from 'node:fs'
import { Layout, writeLayout, type Cell } from '../src/index.js'

export function rng(seed: number): () => number {
  let s = seed >>> 0
  return () => {
    s = (Math.imul(s ^ (s >>> 15), 0x2c1b3c6d) + 0x6d2b79f5) >>> 0
    return ((s ^ (s >>> 12)) >>> 0) / 4294967296
  }
}

/**
 * A flat top cell: `n` shapes over 10 layers, 70 % rectangles (written as BOUNDARY), 25 % polygons, 5 % paths.
 * `shift` moves every shape by that many dbu in x (the same shapes otherwise).
 */
export function flatLayout(n: number, seed = 1, shift = 0): Layout {
  const r = rng(seed)
  const layout = new Layout({ name: 'FLAT', dbu: 0.001 })
  const top = layout.newCell('TOP')
  const side = Math.ceil(Math.sqrt(n)) * 2000
  for (let i = 0; i < n; i++) {
    const layer = 1 + Math.floor(r() * 10)
    const x = Math.floor(r() * side) + shift, y = Math.floor(r() * side)
    const w = 100 + Math.floor(r() * 1500), h = 100 + Math.floor(r() * 1500)
    const k = r()
    if (k < 0.7) top.addBox(layer, x, y, x + w, y + h)
    else if (k < 0.95) top.addPolygon(layer, [x, y, x + w, y, x + w, y + h / 2, x + w / 2, y + h, x, y + h].map(Math.round))
    else top.addPath(layer, [[x, y], [x + w, y], [x + w, y + h]], 50 + Math.floor(r() * 200))
  }
  return layout
}

/**
 * A hierarchical chip like a big PDK test chip: `leaves` leaf cells with `perLeaf` shapes each, grouped into
 * blocks that place leaves (single placements and arrays, some rotated/mirrored), blocks placed in a top cell.
 */
export function hierLayout(leaves: number, perLeaf: number, seed = 2): Layout {
  const r = rng(seed)
  const layout = new Layout({ name: 'HIER', dbu: 0.001 })
  const leafCells = []
  for (let i = 0; i < leaves; i++) {
    const c = layout.newCell(`leaf_${i}`)
    for (let j = 0; j < perLeaf; j++) {
      const layer = 1 + Math.floor(r() * 10)
      const x = Math.floor(r() * 20000), y = Math.floor(r() * 20000)
      const w = 50 + Math.floor(r() * 800), h = 50 + Math.floor(r() * 800)
      if (r() < 0.75) c.addBox(layer, x, y, x + w, y + h)
      else c.addPolygon(layer, [x, y, x + w, y, x + w, y + h, x + w / 2, y + h, x, y + 2 * h].map(Math.round))
    }
    leafCells.push(c)
  }
  const blocks: Cell[] = []
  const nBlocks = Math.max(1, Math.floor(leaves / 10))
  for (let b = 0; b < nBlocks; b++) {
    const c = layout.newCell(`block_${b}`)
    for (let k = 0; k < 12; k++) {
      const leaf = leafCells[Math.floor(r() * leafCells.length)]!
      const x = Math.floor(r() * 200000), y = Math.floor(r() * 200000)
      if (r() < 0.3) c.placeArray(leaf, { x, y, cols: 2 + Math.floor(r() * 4), rows: 2 + Math.floor(r() * 4), colStep: [25000, 0], rowStep: [0, 25000] })
      else c.place(leaf, { x, y, rotation: 90 * Math.floor(r() * 4), mirror: r() < 0.5 })
    }
    blocks.push(c)
  }
  // every leaf is placed somewhere: one top cell, as a chip has
  const placed = new Set(blocks.flatMap((b) => b.instances.map((i) => i.cell)))
  leafCells.forEach((leaf, i) => {
    if (!placed.has(leaf)) blocks[i % blocks.length]!.place(leaf, { x: Math.floor(r() * 200000), y: Math.floor(r() * 200000) })
  })
  const top = layout.newCell('TOP')
  blocks.forEach((b, i) => top.place(b, { x: (i % 10) * 300000, y: Math.floor(i / 10) * 300000 }))
  return layout
}

export function flatBytes(n: number): Uint8Array {
  return writeLayout(flatLayout(n))
}

export function hierBytes(leaves: number, perLeaf: number): Uint8Array {
  return writeLayout(hierLayout(leaves, perLeaf))
}

/** Writes a benchmark input and flushes it to disk, so that write-back does not run during the timings. */
export function writeDurably(file: string, bytes: Uint8Array): void {
  const fd = openSync(file, 'w')
  try {
    for (let o = 0; o < bytes.length; ) o += writeSync(fd, bytes, o)
    fsyncSync(fd)
  } finally {
    closeSync(fd)
  }
}
