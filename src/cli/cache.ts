import { CacheStore } from '../cache/store.js'
import { UsageError } from './errors.js'

export interface CacheCommandOptions {
  json: boolean
  dir?: string
  maxBytes?: number
}

/** `laytest cache stats|clear|prune`. */
export function cacheCommand(sub: string | undefined, opts: CacheCommandOptions): string {
  if (opts.maxBytes !== undefined && !(Number.isInteger(opts.maxBytes) && opts.maxBytes >= 0)) throw new UsageError('--max-bytes wants a whole number of bytes')
  const store = new CacheStore({ dir: opts.dir, maxBytes: opts.maxBytes })
  switch (sub) {
    case 'stats': {
      const s = store.stats()
      const r = store.recorded()
      const out = { dir: store.dir, entries: s.entries, bytes: s.bytes, hits: r.hits, misses: r.misses, maxBytes: store.maxBytes }
      if (opts.json) return JSON.stringify(out, null, 1) + '\n'
      return `${store.dir}: ${s.entries} entries, ${(s.bytes / 2 ** 20).toFixed(1)} MiB (cap ${(store.maxBytes / 2 ** 20).toFixed(0)} MiB); last run: ${r.hits} hits, ${r.misses} misses\n`
    }
    case 'clear':
      store.clear()
      return `${store.dir}: cleared\n`
    case 'prune': {
      const n = store.prune()
      return `${store.dir}: ${n} entries evicted, ${store.stats().entries} left\n`
    }
    default:
      throw new UsageError('cache wants stats, clear or prune')
  }
}
