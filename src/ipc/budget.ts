/**
 * A memory cap shared by what the viewer keeps (inline layout data received, layouts read for display): entries
 * are charged their size; past the cap the least recently used ones are evicted (their owner drops them: a layout
 * read from a file is read again when next needed, inline data is gone with its item).
 */
export class MemoryBudget {
  private readonly entries = new Map<string, { bytes: number; evict: () => void }>()
  private total = 0
  evictions = 0

  constructor(readonly cap: number) {}

  get bytes(): number {
    return this.total
  }

  /** Charges an entry (replacing one of the same key) and evicts others while over the cap. */
  add(key: string, bytes: number, evict: () => void): void {
    this.remove(key)
    this.entries.set(key, { bytes, evict })
    this.total += bytes
    this.trim(key)
  }

  /** Marks an entry as just used. */
  touch(key: string): void {
    const e = this.entries.get(key)
    if (!e) return
    this.entries.delete(key)
    this.entries.set(key, e)
  }

  has(key: string): boolean {
    return this.entries.has(key)
  }

  /** Forgets an entry without calling its evict function (its owner dropped it). */
  remove(key: string): void {
    const e = this.entries.get(key)
    if (!e) return
    this.entries.delete(key)
    this.total -= e.bytes
  }

  keys(): string[] {
    return [...this.entries.keys()]
  }

  private trim(keep: string): void {
    for (const [k, e] of this.entries) {
      if (this.total <= this.cap) break
      if (k === keep) continue
      this.entries.delete(k)
      this.total -= e.bytes
      this.evictions++
      e.evict()
    }
  }
}

/** Bytes held by a layout's shape arrays (what dominates its memory), plus a little per cell. */
export function layoutBytes(layout: { cells: Map<string, { layers: Map<unknown, object> }> }): number {
  let n = 0
  for (const c of layout.cells.values()) {
    n += 256
    for (const s of c.layers.values()) {
      for (const v of Object.values(s)) {
        const d = (v as { data?: unknown } | null)?.data
        if (ArrayBuffer.isView(d)) n += d.byteLength
        else if (ArrayBuffer.isView(v)) n += (v as ArrayBufferView).byteLength
      }
    }
  }
  return n
}
