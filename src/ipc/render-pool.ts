/*
 * Rendering off the IPC thread: a worker thread (render-worker.js next to this module) holds the items' layouts
 * and draws views; the IPC and HTTP side only forwards requests. When the worker script is not there (running
 * from the TypeScript sources), the same code runs inline.
 */
import { existsSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { Worker } from 'node:worker_threads'
import type { LayerStyles } from '../render/index.js'
import { ItemRenderer, stylesData, type ItemInfo, type ItemSpec, type RenderRequest } from './render-core.js'

export interface RenderBackend {
  readonly threaded: boolean
  info(item: ItemSpec, cell?: string): Promise<ItemInfo>
  render(item: ItemSpec, req: RenderRequest): Promise<Buffer>
  /** Resolves when the item's spatial indexes are built (they are built anyway, after it is read). */
  prepare(item: ItemSpec): Promise<void>
  drop(key: string): void
  close(): Promise<void>
}

/** A failure the viewer answers with 404 (no such cell or image) rather than 500. */
export class NotFound extends Error {}

class InlineBackend implements RenderBackend {
  readonly threaded = false
  private readonly r: ItemRenderer
  constructor(styles?: LayerStyles) {
    this.r = new ItemRenderer(styles)
  }
  async info(item: ItemSpec, cell?: string): Promise<ItemInfo> {
    try {
      return await this.r.info(item, cell)
    } catch (e) {
      throw e instanceof RangeError ? new NotFound(e.message) : e
    }
  }
  async render(item: ItemSpec, req: RenderRequest): Promise<Buffer> {
    try {
      return await this.r.render(item, req)
    } catch (e) {
      throw e instanceof RangeError ? new NotFound(e.message) : e
    }
  }
  prepare(item: ItemSpec): Promise<void> {
    return this.r.prepare(item)
  }
  drop(key: string): void {
    this.r.drop(key)
  }
  async close(): Promise<void> {}
}

interface Pending {
  resolve: (v: unknown) => void
  reject: (e: Error) => void
}

class WorkerBackend implements RenderBackend {
  readonly threaded = true
  private readonly worker: Worker
  private nextId = 1
  private readonly pending = new Map<number, Pending>()
  /** Keys whose inline data the worker has. */
  private readonly sent = new Set<string>()

  constructor(script: string, styles?: LayerStyles) {
    this.worker = new Worker(script, { workerData: { styles: stylesData(styles) } })
    this.worker.unref()
    this.worker.on('message', (m: { id: number; ok: boolean; value?: unknown; error?: string; missing?: boolean; range?: boolean }) => {
      const p = this.pending.get(m.id)
      if (!p) return
      this.pending.delete(m.id)
      if (m.ok) p.resolve(m.value)
      else if (m.missing) p.reject(Object.assign(new Error('missing'), { missing: true }))
      else p.reject(m.range ? new NotFound(m.error) : new Error(m.error))
    })
    this.worker.on('error', (e) => {
      for (const p of this.pending.values()) p.reject(e)
      this.pending.clear()
    })
  }

  private call<T>(msg: Record<string, unknown>): Promise<T> {
    const id = this.nextId++
    return new Promise<T>((resolve, reject) => {
      this.pending.set(id, { resolve: resolve as (v: unknown) => void, reject })
      this.worker.postMessage({ ...msg, id })
    })
  }

  /** The item without its inline data once the worker has it; with it again if the worker asks. */
  private async withItem<T>(item: ItemSpec, f: (it: ItemSpec) => Promise<T>): Promise<T> {
    const light: ItemSpec = item.data && this.sent.has(item.key) ? { ...item, data: undefined, dataOmitted: true } : item
    try {
      const v = await f(light)
      if (item.data) this.sent.add(item.key)
      return v
    } catch (e) {
      if (!(e as { missing?: boolean }).missing) throw e
      const v = await f(item)
      this.sent.add(item.key)
      return v
    }
  }

  info(item: ItemSpec, cell?: string): Promise<ItemInfo> {
    return this.withItem(item, (it) => this.call<ItemInfo>({ op: 'info', item: it, cell }))
  }

  async render(item: ItemSpec, req: RenderRequest): Promise<Buffer> {
    const ab = await this.withItem(item, (it) => this.call<ArrayBuffer>({ op: 'render', item: it, req }))
    return Buffer.from(ab)
  }

  prepare(item: ItemSpec): Promise<void> {
    return this.withItem(item, (it) => this.call<void>({ op: 'prepare', item: it }))
  }

  drop(key: string): void {
    this.sent.delete(key)
    void this.call({ op: 'drop', key }).catch(() => {})
  }

  async close(): Promise<void> {
    await this.worker.terminate()
  }
}

/** The worker script next to this module (dist/ipc/render-worker.js), or null when running from sources. */
export function workerScript(): string | null {
  const p = fileURLToPath(new URL('./render-worker.js', import.meta.url))
  return existsSync(p) ? p : null
}

/** A render backend: a worker thread when possible (default), else inline. */
export function renderBackend(opts: { styles?: LayerStyles; threads?: boolean } = {}): RenderBackend {
  const script = opts.threads === false ? null : workerScript()
  return script ? new WorkerBackend(script, opts.styles) : new InlineBackend(opts.styles)
}
